"""Small modal screens: key help, text prompts, confirmation, a picker and the
command display. None of them runs a query."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from cxtui.render import safe_text


class _Modal(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss_none", "Close", id="close")]

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def _key_label(key: str) -> str:
    names = {"question_mark": "?", "slash": "/", "ctrl+p": "Ctrl+P", "escape": "Esc"}
    return ", ".join(names.get(k, k) for k in key.split(","))


class HelpScreen(_Modal):
    """Every key, generated from the real bindings of the screen below."""

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        from rich.table import Table

        table = Table(box=None, show_header=True, header_style="bold", expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does")
        table.add_column("Where", style="dim")
        for key, desc, where in self.rows:
            table.add_row(Text(_key_label(key)), Text(desc), Text(where))
        with Vertical(classes="dialog help"):
            yield Label("Keys — Esc closes", classes="dialog-title")
            yield Static(table, id="help-table")


class PromptScreen(_Modal):
    """One line of input; Enter returns it, Escape returns None."""

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)


class ConfirmScreen(_Modal):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(safe_text(self.question)), classes="dialog-title")
            yield Label("y = yes · n or Esc = no")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PickScreen(_Modal):
    """Choose one of several values."""

    def __init__(self, title: str, choices: list[str], current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(
                *(Option(Text(safe_text(c)), id=str(i)) for i, c in enumerate(self.choices)),
                id="pick",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.choices:
            options.highlighted = self.choices.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])


class CommandScreen(_Modal):
    def __init__(self, command: str, copied: bool) -> None:
        super().__init__()
        self.command = command
        self.copied = copied

    def compose(self) -> ComposeResult:
        note = (
            "copied to the clipboard (OSC 52)"
            if self.copied
            else "not copied: a value in it holds control characters (shown here as \\xNN)"
        )
        with Vertical(classes="dialog"):
            yield Label("Prints this view — Esc closes", classes="dialog-title")
            yield Static(Text(safe_text(self.command)), id="command-text")
            yield Label(note, classes="dim")

"""What a view's pane is: the `Pane` base (a view's Output on screen) and the
table pane (a block of measures, the main table, further tables, a footer). Kept
apart from `panes.py`, which maps pane kinds to classes, so that a pane kind in
its own module (tui/widgets/) can subclass these without an import cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cxtui.render import safe_text
from cxtui.tui.widgets.data_view import DataView

if TYPE_CHECKING:
    from cxtui.registry import Output, View

# Tables under the main one (the churn trend under the reasons) fit this many.
SECONDARY_TABLES = 1


def table_id(view_id: str, index: int) -> str:
    """The DataView id of a view's table `index` (0: the main table)."""
    return view_id if index == 0 else f"{view_id}-{index}"


def footer_text(view: DataView) -> str:
    rows = f"{view.row_count:,} rows"
    if view.filter_text:
        rows += f" matching {view.filter_text!r}"
    note = f" · {view.table.footer}" if view.table is not None and view.table.footer else ""
    return rows + note


class Pane(Vertical):
    """A view's pane: `show` puts an Output on screen."""

    DEFAULT_CSS = "Pane { height: 1fr; }"

    def __init__(self, view: View) -> None:
        super().__init__(classes="pane")
        self.view = view
        self.output: Output | None = None

    def show(self, output: Output, currency: str) -> None:
        raise NotImplementedError

    @property
    def main(self):
        """The widget that takes focus and shows the loading indicator."""
        return self.query_one(f"#{self.view.id}")

    def table_index(self, view: DataView) -> int:
        """Which of the Output's tables `view` shows."""
        for i in range(1 + SECONDARY_TABLES):
            if view.id == table_id(self.view.id, i):
                return i
        return 0


class TablePane(Pane):
    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield Static("", id=f"{vid}-summary", classes="pane-summary")
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield DataView(id=vid)
        for i in range(1, 1 + SECONDARY_TABLES):
            yield Static("", id=f"{vid}-{i}-title", classes="pane-title")
            yield DataView(id=table_id(vid, i), classes="small")
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def on_mount(self) -> None:
        self._display(None)

    def _display(self, output: Output | None) -> None:
        vid = self.view.id
        summary = self.query_one(f"#{vid}-summary", Static)
        summary.display = output is not None and output.summary is not None
        count = len(output.tables) if output is not None else 1
        for i in range(1, 1 + SECONDARY_TABLES):
            shown = i < count
            self.query_one(f"#{vid}-{i}-title").display = shown
            self.query_one(f"#{table_id(vid, i)}").display = shown

    def show(self, output: Output, currency: str) -> None:
        from cxtui import views
        from cxtui.render import render_object

        self.output = output
        self._display(output)
        vid = self.view.id
        if output.summary is not None:
            block = render_object(output.summary, views.KINDS, "table", output.title, currency)
            self.query_one(f"#{vid}-summary", Static).update(block)
        for i, rt in enumerate(output.tables[: 1 + SECONDARY_TABLES]):
            self.query_one(f"#{table_id(vid, i)}", DataView).set_table(rt)
            self.table_shown(self.query_one(f"#{table_id(vid, i)}", DataView))

    def table_shown(self, view: DataView) -> None:
        """The title above a table and the footer under the pane."""
        if view.table is None:
            return
        for title in self.query(f"#{view.id}-title"):
            title.update(Text(safe_text(view.table.title)))
        if view.id == self.view.id:
            self.set_footer(Text(safe_text(self.footer(view))))

    def footer(self, view: DataView) -> str:
        """The main table's rows and footer, then the output's notes."""
        notes = self.output.notes if self.output is not None else []
        return " · ".join([footer_text(view), *notes])

    def set_footer(self, text: Text) -> None:
        self.query_one(f"#{self.view.id}-footer", Static).update(text)

    def show_detail(self, view: DataView, row: dict | None) -> None:
        """The highlighted row's prose (at-risk's signals) in full under the table,
        whatever the width (the column itself may be off to the right)."""
        column = self.view.detail_column
        if column is None or view.id != self.view.id or view.table is None:
            return
        detail = Text()
        if row is not None:
            # whom the row is about: an account, or a titled finding (insights)
            who = row.get("name") or row.get("customer_id") or row.get("title")
            value = row.get(column)
            if who is not None:
                detail.append(f"{safe_text(who, 40)}: ", style="bold")
            empty = "no signal fires" if column == "signals" else f"no {column}"
            detail.append(safe_text(value) if value else empty)
            detail.append("\n")
        detail.append(safe_text(self.footer(view)))
        self.set_footer(detail)

"""What every data screen shares: the top bar, the breadcrumb, queries in
thread workers that post results back, and the table actions (filter, sort,
export, command) that work on whichever table has focus."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey
from textual.worker import get_current_worker

from cxtui.errors import CxError
from cxtui.render import safe_text
from cxtui.tui.messages import Failed, TableReady
from cxtui.tui.widgets.data_view import DataView

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.tui.context import AppContext


class TopBar(Static):
    """Dataset, as_of and --where: what every number on screen is computed over."""


class Breadcrumb(Static):
    pass


class KeyFooter(Footer):
    """Textual's Footer without binding each key's `compact` to the footer's.
    A pane switch changes the keys shown, so the footer composes its keys
    again; each key's binding then restyled it on mounting (over half of a
    Tab's time). This footer is never compact: its keys are made with compact
    off, which is what the binding would set, and look the same."""

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: set[str] = set()
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:  # one key per action
                shown.add(binding.action)
                yield self._key(binding, enabled, tooltip)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, _ = found
                tooltip = binding.tooltip or binding.description
                # not bound in Textual's either: it keeps its own compact style
                yield self._key(binding, enabled, tooltip, "-command-palette", compact=True)

    def _key(
        self, binding, enabled: bool, tooltip: str, classes: str = "", compact: bool = False
    ) -> FooterKey:
        key = FooterKey(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            disabled=not enabled,
            tooltip=tooltip,
            classes=classes,
        )
        if not compact:
            key.set_reactive(FooterKey.compact, False)
        return key


class DataScreen(Screen):
    crumbs: list[str] = []

    @property
    def cx(self) -> AppContext:
        return self.app  # type: ignore[return-value]

    @property
    def analysis(self) -> Analysis:
        assert self.cx.analysis is not None
        return self.cx.analysis

    def compose_top(self) -> ComposeResult:
        yield TopBar(self.cx.top_bar_text(), id="topbar")
        yield Breadcrumb(id="crumbs")

    def compose_bottom(self) -> ComposeResult:
        yield KeyFooter()

    def set_crumbs(self, crumbs: list[str]) -> None:
        self.crumbs = crumbs
        text = Text(" › ".join(safe_text(c, 60) for c in crumbs))
        for crumb in self.query(Breadcrumb):
            crumb.update(text)

    # ------------------------------------------------------------ queries

    def run_query(self, target: str, fn: Callable[[], Any], done: Callable[[Any], Message]) -> None:
        """Run `fn` in a thread worker (one group per target: a newer run cancels
        the older) and post `done(result)` back, or its error as `Failed`."""
        self.set_loading(target, True)
        self.run_worker(
            lambda: self._run(target, fn, done),
            thread=True,
            group=target,
            exclusive=True,
            exit_on_error=False,
            name=target,
        )

    def _run(self, target: str, fn: Callable[[], Any], done: Callable[[Any], Message]) -> None:
        worker = get_current_worker()
        try:
            result = fn()
        except CxError as exc:
            self.post_message(Failed(target, str(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(done(result))

    def load_table(self, target: str, fn: Callable[[], Any], cursor_row: int = 0) -> None:
        """A table query for the DataView `target`."""
        self.run_query(target, fn, lambda table: TableReady(target, table, cursor_row))

    def set_loading(self, target: str, loading: bool) -> None:
        for widget in self.query(f"#{target}"):
            widget.loading = loading

    def on_failed(self, message: Failed) -> None:
        self.set_loading(message.target, False)
        self.notify(safe_text(message.error), severity="error", timeout=8, markup=False)

    def on_table_ready(self, message: TableReady) -> None:
        self.set_loading(message.target, False)
        view = self.query_one(f"#{message.target}", DataView)
        view.set_table(message.table, message.cursor_row, base=not message.derived)
        self.table_shown(view)

    def table_shown(self, view: DataView) -> None:
        """A table is on screen (screens update its title and footer)."""

    # ------------------------------------------------------------ table actions

    def active_view(self) -> DataView | None:
        focused = self.focused
        if isinstance(focused, DataView):
            return focused
        views = [v for v in self.query(DataView) if v.display and v.table is not None]
        return views[0] if views else None

    def cli_command(self) -> str:
        return self.cx.invocation.command("overview")

    def export_name(self) -> str:
        return "view"

    def drill(self, view: DataView, row: dict[str, Any]) -> None:
        """Enter on a row; screens that drill override this."""

    def on_data_view_selected(self, event: DataView.Selected) -> None:
        event.stop()
        self.drill(event.view, event.row)

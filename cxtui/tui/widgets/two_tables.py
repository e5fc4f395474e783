"""A table pane whose lower table drills too (engagement's levels under its
diversity bins, lift's measures under its sides): `t` moves the focus between
the tables, since Tab goes to the next pane."""

from __future__ import annotations

from textual.binding import Binding

from cxtui.tui.pane import TablePane
from cxtui.tui.widgets.data_view import DataView


class TwoTablesPane(TablePane):
    BINDINGS = [Binding("t", "other_table", "Other table", id="other-table")]

    def action_other_table(self) -> None:
        shown = [v for v in self.query(DataView) if v.display]
        if len(shown) < 2:
            return
        focused = self.screen.focused
        at = shown.index(focused) if focused in shown else -1
        shown[(at + 1) % len(shown)].focus()

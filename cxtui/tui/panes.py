"""How a view's `Output` is drawn in its pane, by the view's `pane` kind: a
table pane (a block of measures, the main table, further tables, a footer), the
Overview's cards and sparklines, or a kind of its own. Widgets only display what
the view computed; a new kind of pane is a `Pane` subclass (tui/pane.py) and one
line in `PANE_KINDS`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult

from cxtui.tui.pane import SECONDARY_TABLES, Pane, TablePane, footer_text, table_id
from cxtui.tui.widgets.acquisition import AcquisitionPane
from cxtui.tui.widgets.bars import BarsPane
from cxtui.tui.widgets.clv import ClvPane
from cxtui.tui.widgets.flow_tree import FlowPane
from cxtui.tui.widgets.heatmap import HeatmapPane
from cxtui.tui.widgets.overview import OverviewData, OverviewPanel
from cxtui.tui.widgets.satisfaction import SatisfactionPane
from cxtui.tui.widgets.two_tables import TwoTablesPane

if TYPE_CHECKING:
    from cxtui.registry import Output, View

# re-exported: the screens import the pane classes from here
__all__ = [
    "PANE_KINDS",
    "SECONDARY_TABLES",
    "Pane",
    "TablePane",
    "footer_text",
    "make_pane",
    "table_id",
]


class OverviewPane(Pane):
    def compose(self) -> ComposeResult:
        yield OverviewPanel(id=self.view.id)

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        data = OverviewData(
            output.summary or {}, output.extras.get("trend"), output.tables, currency
        )
        self.query_one(OverviewPanel).show(data)


PANE_KINDS: dict[str, type[Pane]] = {
    "table": TablePane,
    "overview": OverviewPane,
    "satisfaction": SatisfactionPane,
    "acquisition": AcquisitionPane,
    "clv": ClvPane,
    "tables": TwoTablesPane,
    "tree": FlowPane,
    "bars": BarsPane,
    "heatmap": HeatmapPane,
}


def make_pane(view: View) -> Pane:
    return PANE_KINDS[view.pane](view)

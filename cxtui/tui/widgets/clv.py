"""The CLV pane: the fitted parameters and notes on top, the deciles of clv_12m
as bars, then every customer by clv_12m (`t` moves between the two tables;
Enter on a decile lists its customers, on a customer opens the account). It
only displays what the view computed (`cxtui.viewdefs.clv.pane`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from cxtui.measures import render_kind
from cxtui.render import format_value, safe_text
from cxtui.tui.pane import TablePane, table_id
from cxtui.tui.widgets.data_view import DataView

if TYPE_CHECKING:
    from cxtui.registry import Output

DECILES = 1  # the Output's table index of the deciles (0: the customers)
SYMBOLS = (
    ("BG/NBD", (("r", "r"), ("alpha", "α"), ("a", "a"), ("b", "b"))),
    ("Gamma-Gamma", (("p", "p"), ("q", "q"), ("v", "v"))),
)


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def model_text(extras: dict[str, Any], currency: str = "$") -> Text:
    """`BG/NBD r 0.243 α 4.41 a 0.793 b 2.43 · Gamma-Gamma p 6.25 q 3.74 v 15.4`,
    then the customers fitted and valued (the notes are in the pane's footer)."""
    params = extras.get("parameters") or {}
    text = Text()
    for i, (model, keys) in enumerate(SYMBOLS):
        if i:
            text.append(" · ")
        text.append(f"{model} ", style="bold")
        text.append(" ".join(f"{sym} {_number(params.get(key))}" for key, sym in keys))
    fitted = format_value(params.get("customers_fitted"), render_kind("customers_fitted"))
    text.append(f"\n{fitted} customers fitted")
    valued = extras.get("customers_valued")
    if valued:
        total = format_value(extras.get("clv_total"), render_kind("clv_12m"), currency)
        text.append(f" · Σ clv_12m {total} over {valued:,} customers")
    unvalued = extras.get("customers_unvalued")
    if unvalued:
        text.append(f" · {unvalued:,} without a prediction")
    return text


class ClvPane(TablePane):
    """Table 0 (the customers) is the main DataView, under the deciles (table 1)."""

    BINDINGS = [Binding("t", "next_table", "Next table", id="clv-next-table")]
    DEFAULT_CSS = """
    ClvPane .pane-summary { height: auto; max-height: 4; }
    ClvPane DataView { height: 1fr; min-height: 5; }
    ClvPane DataView.deciles { height: auto; max-height: 35%; }
    """

    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield Static("", id=f"{vid}-summary", classes="pane-summary")
        yield Static("", id=f"{vid}-{DECILES}-title", classes="pane-title")
        yield DataView(id=table_id(vid, DECILES), classes="deciles")
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield DataView(id=vid)
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def _display(self, output: Output | None) -> None:
        pass  # every part is always there

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        vid = self.view.id
        self.query_one(f"#{vid}-summary", Static).update(model_text(output.extras, currency))
        for i, rt in enumerate(output.tables[: DECILES + 1]):
            view = self.query_one(f"#{table_id(vid, i)}", DataView)
            view.set_table(rt, view.cursor_row)
            self.table_shown(view)

    def table_shown(self, view: DataView) -> None:
        super().table_shown(view)
        if view.id != self.view.id and view.table is not None:
            title = Text("t: next table  ", style="dim")
            title.append(safe_text(view.table.title))
            self.query_one(f"#{view.id}-title", Static).update(title)

    def action_next_table(self) -> None:
        """The customers ↔ the deciles."""
        deciles = self.query_one(f"#{table_id(self.view.id, DECILES)}", DataView)
        target = self.main if self.screen.focused is deciles else deciles
        target.focus()

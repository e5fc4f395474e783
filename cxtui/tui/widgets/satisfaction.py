"""The Satisfaction pane: an NPS gauge from −100 to +100 with the respondent
figures under it, the main table (the respondent groups, or the groups of the
chosen dimension) and one lower table at a time: the monthly trend, the drivers
or the areas to improve (`t` moves to the next table). It only displays what the
view computed (`cxtui.viewdefs.satisfaction.pane`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Static

from cxtui.measures import render_kind
from cxtui.render import format_value, safe_text
from cxtui.tui.pane import TablePane, table_id
from cxtui.tui.widgets.data_view import DataView

if TYPE_CHECKING:
    from cxtui.registry import Output

NPS_MIN, NPS_MAX = -100, 100
LOWER_NAMES = {1: "trend", 2: "drivers", 3: "areas to improve"}


def gauge_cells(nps: float | None, cells: int) -> str:
    """The bar alone, `cells` wide (odd, so 0 has the middle cell): ├ ┤ at the ends,
    ┼ at 0, ● at the value (clamped to the scale). Readable without colour."""
    cells = max(5, cells | 1)
    bar = ["─"] * cells
    bar[0], bar[-1], bar[cells // 2] = "├", "┤", "┼"
    if nps is not None:
        clamped = min(NPS_MAX, max(NPS_MIN, nps))
        bar[round((clamped - NPS_MIN) / (NPS_MAX - NPS_MIN) * (cells - 1))] = "●"
    return "".join(bar)


def marker_cell(nps: float, cells: int) -> int:
    cells = max(5, cells | 1)
    clamped = min(NPS_MAX, max(NPS_MIN, nps))
    return round((clamped - NPS_MIN) / (NPS_MAX - NPS_MIN) * (cells - 1))


def gauge_text(summary: dict[str, Any], window: str, width: int) -> Text:
    """`NPS +19.5 · last 90d  −100 ├────┼──●───┤ +100`, fitted to `width`."""
    nps = summary.get("nps")
    value = "—" if nps is None else f"{nps:+.1f}"
    head = f"NPS {value} · last {window}  "
    text = Text(head, style="bold")
    cells = max(5, width - len(head) - len("−100  +100") - 1)
    bar = gauge_cells(nps, cells)
    text.append("−100 ")
    if nps is None:
        text.append(bar, style="dim")
    else:
        at, mid = marker_cell(nps, cells), len(bar) // 2
        low, high = sorted((at, mid))
        text.append(bar[:low])
        # the stretch from 0 to the value, in the direction's colour (plain without colour)
        style = "green" if nps >= 0 else "red"
        for i in range(low, high + 1):
            text.append(bar[i], style=f"bold {style}" if i == at else style)
        text.append(bar[high + 1 :])
    text.append(" +100")
    return text


def figures_text(summary: dict[str, Any], currency: str = "$") -> Text:
    """Respondents, the three groups with their shares, then CSAT."""

    def fmt(key: str) -> str:
        return format_value(summary.get(key), render_kind(key), currency)

    text = Text(f"{fmt('respondents')} respondents")
    for count, share, label in (
        ("promoters", "promoter_share", "promoters"),
        ("passives", "passive_share", "passives"),
        ("detractors", "detractor_share", "detractors"),
    ):
        text.append(f" · {label} {fmt(count)} ({fmt(share)})")
    csat = f"CSAT {fmt('csat_mean')} mean, {fmt('csat_share')} ≥ 4"
    text.append(f" · {csat} ({fmt('csat_responses')} with CSAT)")
    return text


class NpsGauge(Widget):
    """The gauge and the figures; redrawn at the pane's width."""

    DEFAULT_CSS = "NpsGauge { height: auto; padding: 0 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summary: dict[str, Any] | None = None
        self.window = ""
        self.currency = "$"

    def show(self, summary: dict[str, Any], window: str, currency: str) -> None:
        self.summary, self.window, self.currency = summary, window, currency
        self.refresh(layout=True)

    def render(self) -> Text:
        if self.summary is None:
            return Text("")
        width = max(self.size.width, 40)
        out = gauge_text(self.summary, self.window, width)
        out.append("\n")
        out.append_text(figures_text(self.summary, self.currency))
        return out


class SatisfactionPane(TablePane):
    """Table 0 is the main DataView; tables 1–3 (trend, drivers, areas to improve)
    take turns in the lower one."""

    BINDINGS = [Binding("t", "next_table", "Next table", id="satisfaction-next-table")]
    DEFAULT_CSS = """
    SatisfactionPane DataView { height: 1fr; }
    SatisfactionPane DataView.main { height: auto; max-height: 40%; }
    SatisfactionPane .lower { margin-top: 1; }
    """

    def __init__(self, view) -> None:
        super().__init__(view)
        self.lower = 1  # which of the Output's tables the lower DataView shows
        self._cursors: dict[int, int] = {}

    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield NpsGauge(id=f"{vid}-gauge")
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield DataView(id=vid, classes="main")
        yield Static("", id=f"{vid}-1-title", classes="pane-title lower")
        yield DataView(id=table_id(vid, 1))
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def _display(self, output: Output | None) -> None:
        pass  # every part is always there

    @property
    def lower_view(self) -> DataView:
        return self.query_one(f"#{table_id(self.view.id, 1)}", DataView)

    @property
    def main_view(self) -> DataView:
        return self.query_one(f"#{self.view.id}", DataView)

    def available(self) -> list[int]:
        """The lower tables this output has (no topics: the trend only)."""
        count = len(self.output.tables) if self.output is not None else 0
        return [i for i in LOWER_NAMES if i < count]

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        self.query_one(NpsGauge).show(
            output.summary or {}, output.extras.get("window", ""), currency
        )
        main = self.main_view
        main.set_table(output.tables[0], main.cursor_row)
        self.table_shown(main)
        if self.lower not in self.available():
            self.lower = 1
        self._show_lower(self.lower)

    def _show_lower(self, index: int) -> None:
        assert self.output is not None
        view = self.lower_view
        if view.table is not None:
            self._cursors[self.lower] = view.cursor_row
        self.lower = index
        view.set_table(self.output.tables[index], self._cursors.get(index, 0))
        self.table_shown(view)

    def table_index(self, view: DataView) -> int:
        return self.lower if view.id == table_id(self.view.id, 1) else 0

    def table_shown(self, view: DataView) -> None:
        super().table_shown(view)
        if view.id != self.view.id and view.table is not None:
            hint = "t: next table  " if len(self.available()) > 1 else ""
            title = Text(hint, style="dim")
            title.append(safe_text(view.table.title))
            self.query_one(f"#{view.id}-title", Static).update(title)

    def action_next_table(self) -> None:
        """Main table → trend → drivers → areas to improve → main table."""
        if self.output is None:
            return
        stops = [0, *self.available()]
        focused = self.screen.focused
        now = self.lower if focused is self.lower_view else 0
        nxt = stops[(stops.index(now) + 1) % len(stops)]
        if nxt == 0:
            self.main_view.focus()
            return
        if nxt != self.lower:
            self._show_lower(nxt)
        self.lower_view.focus()

"""The Cohorts pane: the cohort table as a heatmap. Each age cell (p0, p1, …) is
shaded by its value on one hue, from the table's lowest value to its highest,
and carries a glyph of the same scale (░ ▒ ▓ █) beside the number, so the
shading reads with NO_COLOR and on a monochrome terminal too; a legend gives
each glyph's range. It only displays what the view computed
(`cxtui.viewdefs.cohorts`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.strip import Strip
from textual.widgets import Static

from cxtui.render import format_value, safe_text
from cxtui.tui.pane import TablePane
from cxtui.tui.widgets.data_view import DataView, _cell_width

if TYPE_CHECKING:
    import polars as pl

    from cxtui.registry import Output
    from cxtui.render import ResultTable

AGE = re.compile(r"p\d+")
GLYPHS = "░▒▓█"  # lowest quarter of the scale … highest
# one hue (blue), darker for lower values; the text colour that reads on each
SHADES = ("#10283f", "#1b4a75", "#2d72b0", "#7fb2e5")
INKS = ("#ffffff", "#ffffff", "#ffffff", "#000000")


def is_age(key: str) -> bool:
    return AGE.fullmatch(key) is not None


def value_range(frame: pl.DataFrame) -> tuple[float, float] | None:
    """The lowest and highest age cell of the table (None: no value at all)."""
    values = [v for c in frame.columns if is_age(c) for v in frame[c].to_list() if v is not None]
    return (min(values), max(values)) if values else None


def level(value: float, scale: tuple[float, float] | None) -> int:
    """0–3: which quarter of the scale the value is in (the top one when the
    scale is a single value)."""
    if scale is None:
        return len(GLYPHS) - 1
    lo, hi = scale
    if hi <= lo:
        return len(GLYPHS) - 1
    return max(0, min(len(GLYPHS) - 1, int((value - lo) / (hi - lo) * len(GLYPHS))))


def legend_text(scale: tuple[float, float] | None, title: str, hints: str) -> Text:
    """`Logo retention by month · ░ <89.1% ▒ <92.8% ▓ <96.4% █ ≥96.4%`, then the
    pane's keys on a line of their own."""
    text = Text(f"{title} · ", style="bold")
    if scale is None:
        text.append("no values", style="dim")
    else:
        lo, hi = scale
        step = (hi - lo) / len(GLYPHS)
        bounds = [format_value(lo + i * step, "pct") for i in range(1, len(GLYPHS))]
        if hi <= lo:
            ranges = ["", "", "", format_value(hi, "pct")]
        else:
            ranges = [f"<{b}" for b in bounds] + [f"≥{bounds[-1]}"]
        for i, glyph in enumerate(GLYPHS):
            if ranges[i]:
                text.append(f" {glyph} ", style=Style(color=INKS[i], bgcolor=SHADES[i]))
                text.append(f" {ranges[i]} ")
    text.append("\n")
    text.append(hints, style="dim")
    return text


class HeatmapView(DataView):
    """A DataView whose age cells are shaded and carry their glyph."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.scale: tuple[float, float] | None = None
        self._drawing = -1  # the row `_line` is drawing (-1: the header)

    def set_table(self, table: ResultTable, cursor_row: int = 0, base: bool = True) -> None:
        if base:
            self.scale = value_range(table.frame)
        super().set_table(table, cursor_row, base)
        # room for the glyph and a space beside the widest value
        sample = table.frame.head(500)
        for i, spec in enumerate(self.specs):
            if is_age(spec.key):
                cells = [format_value(v, spec.kind, table.currency) for v in sample[spec.key]]
                widest = max((_cell_width(c) for c in cells), default=1)
                self.natural[i] = max(self.natural[i], widest + 2)
        self._layout()

    def render_line(self, y: int) -> Strip:
        self._drawing = int(self.scroll_offset.y) + y - 1 if y > 0 else -1
        try:
            return super().render_line(y)
        finally:
            self._drawing = -1

    def _line(self, cells: list[str], styles: list[Style], base: Style) -> Strip:
        index = self._drawing
        if self.table is not None and 0 <= index < self.row_count:
            row = self.table.frame.row(index)
            cells, styles = list(cells), list(styles)
            for i, spec in enumerate(self.specs):
                value = row[i]
                if value is None or not is_age(spec.key):
                    continue
                n = level(value, self.scale)
                cells[i] = f"{GLYPHS[n]} {cells[i]}"
                styles[i] = Style(color=INKS[n], bgcolor=SHADES[n]) + styles[i]
        return super()._line(cells, styles, base)


class HeatmapPane(TablePane):
    """The legend, then the cohort table (table 0, every cell drills)."""

    DEFAULT_CSS = """
    HeatmapPane > .heatmap-legend { height: auto; padding: 0 1; }
    HeatmapPane HeatmapView { height: 1fr; }
    """
    HINTS = "m: logo/revenue · i: month/quarter · ←/→, Enter: a cell's customers"

    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield Static("", id=f"{vid}-legend", classes="heatmap-legend")
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield HeatmapView(id=vid)
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def _display(self, output: Output | None) -> None:
        pass  # every part is always there

    @property
    def heatmap(self) -> HeatmapView:
        return self.query_one(f"#{self.view.id}", HeatmapView)

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        grid = self.heatmap
        if output.tables:
            grid.set_table(output.tables[0], grid.cursor_row)
            self.table_shown(grid)
        extras: dict[str, Any] = output.extras
        what = f"{extras.get('metric', 'logo')} retention by {extras.get('period', 'month')}"
        self.query_one(f"#{self.view.id}-legend", Static).update(
            legend_text(grid.scale, what.capitalize(), self.HINTS)
        )

    def table_shown(self, view: DataView) -> None:
        if view.table is None:
            return
        self.query_one(f"#{view.id}-title", Static).update(Text(safe_text(view.table.title)))
        self.set_footer(Text(safe_text(self.footer(view))))

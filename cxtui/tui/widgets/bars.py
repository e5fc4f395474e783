"""The Revenue pane: a headline (the latest month's quick ratio, the window's
movements, new vs returning buyers), a diverging bar chart of the movements per
month drawn with block characters (new, expansion and reactivation above the
zero line, contraction and churn below it; each movement its own glyph, so the
chart reads without colour), and the movements table. It only displays what the
view computed (`cxtui.viewdefs.revenue`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from cxtui.measures import render_kind
from cxtui.render import format_value, safe_text
from cxtui.tui.pane import TablePane
from cxtui.tui.widgets.data_view import DataView

if TYPE_CHECKING:
    from cxtui.registry import Output

# series key → (glyph, colour, legend label); a series the map does not know
# takes the next of FALLBACK
GLYPHS: dict[str, tuple[str, str, str]] = {
    "new_mrr": ("█", "green", "new"),
    "expansion_mrr": ("▓", "cyan", "expansion"),
    "reactivation_mrr": ("▒", "blue", "reactivation"),
    "contraction_mrr": ("░", "yellow", "contraction"),
    "churned_mrr": ("▚", "red", "churned"),
    "new_buyer_revenue": ("█", "green", "new buyers"),
    "returning_buyer_revenue": ("▓", "cyan", "returning buyers"),
}
# the legend's labels on a narrow pane
SHORT = {
    "expansion": "exp",
    "reactivation": "react",
    "contraction": "contr",
    "churned": "churn",
    "new buyers": "new",
    "returning buyers": "returning",
}
FALLBACK = (("▞", "magenta"), ("▙", "white"))
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MIN_ROWS, MAX_ROWS = 3, 10


def style_of(key: str, index: int) -> tuple[str, str, str]:
    if key in GLYPHS:
        return GLYPHS[key]
    glyph, colour = FALLBACK[index % len(FALLBACK)]
    return glyph, colour, key


def compact_money(value: float, currency: str, signed: bool = True) -> str:
    """+$1.2M, −$350k, $0: the axis labels (`signed`: a + on positive values)."""
    sign = "+" if value > 0 and signed else "−" if value < 0 else ""
    mag = abs(value)
    if mag >= 1e6:
        body = f"{mag / 1e6:.1f}M"
    elif mag >= 1e3:
        body = f"{mag / 1e3:.0f}k"
    else:
        body = f"{mag:.0f}"
    return f"{sign}{currency}{body}"


def _stack(values: list[float], unit: float) -> list[int]:
    """Cumulative cell boundaries of stacked values (all ≥ 0) at `unit` per
    cell: the stack gets round(Σ ÷ unit) cells (at least one when Σ > 0), shared
    out by largest remainder, so a small movement never outgrows a big one."""
    total = sum(values)
    if unit <= 0 or total <= 0:
        return [0] * len(values)
    cells = max(1, round(total / unit))
    exact = [v / total * cells for v in values]
    shares = [int(x) for x in exact]
    by_remainder = sorted(range(len(values)), key=lambda i: (shares[i] - exact[i], i))
    for i in by_remainder[: cells - sum(shares)]:
        shares[i] += 1
    out, cum = [], 0
    for n in shares:
        cum += n
        out.append(cum)
    return out


def _cell(bounds: list[int], level: int) -> int | None:
    """Which series covers cell `level` (1 = next to the axis), or None."""
    for i, b in enumerate(bounds):
        if level <= b:
            return i
    return None


def chart_lines(
    months: list[date],
    series: list[tuple[str, list[float | None]]],
    width: int,
    rows: int,
    currency: str = "$",
) -> list[Text]:
    """The chart as lines of Text, `width` wide at most: `rows` rows of bars
    shared by the gains above the zero line and the losses below it (one scale
    for both), then the month labels and the legend. Positive values stack up,
    negative ones down, in the series' order; too many months for the width
    keep the latest."""
    if not months or not series:
        return [Text("no months to draw", style="dim")]
    clean = [(k, [v or 0.0 for v in vals]) for k, vals in series]
    ups = [[max(v, 0.0) for v in vals] for _, vals in clean]
    downs = [[max(-v, 0.0) for v in vals] for _, vals in clean]
    n = len(months)
    up_tot = [sum(s[i] for s in ups) for i in range(n)]
    down_tot = [sum(s[i] for s in downs) for i in range(n)]
    max_up, max_down = max(up_tot), max(down_tot)
    labels_w = 1 + max(
        len(compact_money(max_up, currency)), len(compact_money(-max_down, currency))
    )
    room = max(width - labels_w - 2, 2)
    col = max(2, min(6, room // n))
    shown = min(n, room // col)
    first = n - shown
    bar = max(1, col - 1)
    if max_up <= 0 and max_down <= 0:
        return [Text("no movements in these months", style="dim")]
    rows = max(rows, 2)
    if max_down <= 0:
        up_rows, down_rows = rows, 0
    elif max_up <= 0:
        up_rows, down_rows = 0, rows
    else:
        # the split of the rows that gives the finest common scale
        up_rows = min(range(1, rows), key=lambda k: max(max_up / k, max_down / (rows - k)))
        down_rows = rows - up_rows
    unit = max(max_up / up_rows if up_rows else 0.0, max_down / down_rows if down_rows else 0.0)
    styles = [style_of(k, i) for i, (k, _) in enumerate(clean)]
    up_bounds = [_stack([s[i] for s in ups], unit) for i in range(n)]
    down_bounds = [_stack([s[i] for s in downs], unit) for i in range(n)]

    def axis(label: str, tick: str) -> Text:
        return Text(f"{label:>{labels_w - 1}} {tick}", style="dim")

    def bar_row(bounds: list[list[int]], level: int, label: str, tick: str) -> Text:
        line = axis(label, tick)
        for i in range(first, n):
            which = _cell(bounds[i], level)
            if which is None:
                line.append(" " * col)
            else:
                glyph, colour, _ = styles[which]
                line.append(glyph * bar, style=colour)
                line.append(" " * (col - bar))
        return line

    lines: list[Text] = []
    for level in range(up_rows, 0, -1):
        top = level == up_rows
        label = compact_money(up_rows * unit, currency) if top else ""
        lines.append(bar_row(up_bounds, level, label, "┤" if top else "│"))
    zero = axis("0", "┼")
    zero.append("─" * (col * shown), style="dim")
    lines.append(zero)
    for level in range(1, down_rows + 1):
        bottom = level == down_rows
        label = compact_money(-down_rows * unit, currency) if bottom else ""
        lines.append(bar_row(down_bounds, level, label, "┤" if bottom else "│"))
    names = Text(" " * (labels_w + 1))
    # two-digit months in narrow columns; columns 2 wide label every other month
    # (the latest always), so labels never touch
    step = 1 if col >= 3 else 2
    for j, m in enumerate(months[first:]):
        name = MONTHS[m.month - 1] if col >= 4 else f"{m.month:02d}"
        labelled = (shown - 1 - j) % step == 0
        names.append(f"{name if labelled else '':<{col}}"[:col], style="dim")
    lines.append(names)
    key = legend(clean, styles)
    if len(key) > width:
        key = legend(clean, [(g, c, SHORT.get(label, label)) for g, c, label in styles])
    span = Text(f"{months[first]:%Y-%m} → {months[-1]:%Y-%m}  ", style="dim")
    lines.append(span + key if len(span) + len(key) <= width else key)
    return [line[:width] if len(line) > width else line for line in lines]


def legend(series: list[tuple[str, list[float]]], styles: list[tuple[str, str, str]]) -> Text:
    """`▲ █ new ▓ expansion ▒ reactivation  ▼ ░ contraction ▚ churned`: the
    series drawn above the line, then those below it."""
    text = Text()
    gains = [i for i, (_, vals) in enumerate(series) if any(v > 0 for v in vals)]
    losses = [i for i, (_, vals) in enumerate(series) if any(v < 0 for v in vals)]
    for arrow, which in (("▲", gains), ("▼", losses)):
        if not which:
            continue
        text.append(f"{arrow} ", style="dim")
        for i in which:
            glyph, colour, label = styles[i]
            text.append(glyph, style=colour)
            text.append(f" {label} ")
        text.append(" ")
    text.rstrip()
    return text


def headline(summary: dict[str, Any], monthly: bool, currency: str) -> Text:
    """The latest month's quick ratio and the window's MRR (or revenue), then new
    vs returning buyers when the data has orders; short enough for 80 columns."""

    def fmt(key: str) -> str:
        return format_value(summary.get(key), render_kind(key), currency)

    def money(key: str) -> str:
        value = summary.get(key)
        return "—" if value is None else compact_money(value, currency, signed=False)

    text = Text()
    last = summary.get("last_month")
    month = f" ({last:%Y-%m})" if isinstance(last, date) else ""
    if monthly:
        text.append(f"Quick ratio {fmt('quick_ratio')}{month}", style="bold")
        text.append(f" · window {fmt('window_quick_ratio')}")
        text.append(
            f" · MRR {money('start_mrr')} → {money('end_mrr')} (net {money('net_new_mrr')})"
        )
    else:
        text.append(f"Revenue {money('revenue')}", style="bold")
        text.append(f" · {fmt('orders')} orders · AOV {fmt('aov')}")
    if summary.get("new_buyers_30d") is not None:
        text.append(
            f"\nBuyers 30d: {fmt('new_buyers_30d')} new, {fmt('returning_buyers_30d')} "
            f"returning · 12m: {fmt('new_buyers_12m')} new, {fmt('returning_buyers_12m')} "
            "returning"
        )
    return text


class MovementChart(Widget):
    """The chart, redrawn at the pane's width; taller on taller terminals."""

    DEFAULT_CSS = "MovementChart { height: auto; padding: 0 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: dict[str, Any] | None = None
        self.currency = "$"

    def show(self, data: dict[str, Any] | None, currency: str) -> None:
        self.data, self.currency = data, currency
        self.refresh(layout=True)

    def chart_rows(self) -> int:
        return max(MIN_ROWS, min(MAX_ROWS, self.app.size.height // 5))

    def render(self) -> Text:
        if not self.data:
            return Text("")
        width = max(self.size.width, 30)
        lines = chart_lines(
            self.data["months"], self.data["series"], width, self.chart_rows(), self.currency
        )
        return Text("\n").join(lines)


class BarsPane(TablePane):
    """The headline, the chart, then the movements table (table 0, which drills)."""

    DEFAULT_CSS = """
    BarsPane > .bars-headline { height: auto; padding: 0 1; }
    BarsPane DataView { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield Static("", id=f"{vid}-headline", classes="bars-headline")
        yield MovementChart(id=f"{vid}-chart")
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield DataView(id=vid)
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def _display(self, output: Output | None) -> None:
        pass  # every part is always there

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        bars = output.extras.get("bars") or {}
        monthly = bool(bars.get("monthly"))
        self.query_one(f"#{self.view.id}-headline", Static).update(
            headline(output.summary or {}, monthly, currency)
            if output.summary is not None
            else Text("")
        )
        self.query_one(MovementChart).show(bars or None, currency)
        main = self.query_one(f"#{self.view.id}", DataView)
        if output.tables:
            main.set_table(output.tables[0], main.cursor_row)
            self.table_shown(main)

    def table_shown(self, view: DataView) -> None:
        if view.table is None:
            return
        self.query_one(f"#{view.id}-title", Static).update(Text(safe_text(view.table.title)))
        self.set_footer(Text(safe_text(self.footer(view))))

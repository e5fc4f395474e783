"""The Overview pane: KPI cards, 12-month sparklines and two distributions.
It only displays what `views` computed (see OverviewData)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Sparkline, Static

from cxtui.measures import label_of, render_kind
from cxtui.render import ResultTable, format_value, safe_text


def _shown(key: str, label: str | None = None) -> tuple[str, str, str]:
    """(label, key, render kind) from the catalog; `label` where the screen says it
    in fewer words than the catalog."""
    return (label or label_of(key), key, render_kind(key))


# (label, overview key, kind) in reading order.
CARDS: tuple[tuple[str, str, str], ...] = (
    _shown("customers_total"),
    _shown("active_customers", "Active"),
    _shown("new_customers_30d"),
    _shown("churned_customers_30d"),
    _shown("logo_churn_rate_30d"),
    _shown("growth_rate_mom"),
    _shown("revenue_12m"),
    _shown("orders_12m"),
    _shown("aov_12m"),
    _shown("buyers_12m"),
    _shown("revenue_per_buyer_12m"),
    _shown("repeat_purchase_rate_12m"),
    _shown("mrr"),
    _shown("arr"),
    _shown("nrr_12m"),
    _shown("grr_12m"),
    _shown("nps_90d"),
    _shown("nps_90d_n"),
    _shown("mean_account_nps"),
    _shown("avg_tenure_months"),
)

# (label, trend key, kind): the monthly series of metrics.trend.
SERIES: tuple[tuple[str, str, str], ...] = (
    _shown("active_customers"),
    _shown("revenue", "Revenue / month"),
    _shown("mrr"),
    _shown("churned_customers", "Churned / month"),
)


@dataclass
class OverviewData:
    overview: dict[str, Any]
    trend: pl.DataFrame | None  # None until the second query arrives
    distributions: list[ResultTable]
    currency: str = "$"


def kpi_grid(data: OverviewData, columns: int) -> Table:
    grid = Table.grid(expand=True, padding=(0, 2))
    for _ in range(columns):
        grid.add_column(ratio=1, no_wrap=True)
        grid.add_column(justify="right", no_wrap=True)
    cells: list[Text] = []
    for label, key, kind in CARDS:
        cells.append(Text(label, style="dim"))
        cells.append(Text(format_value(data.overview.get(key), kind, data.currency), style="bold"))
    per_row = columns * 2
    for i in range(0, len(cells), per_row):
        row = cells[i : i + per_row]
        row += [Text("")] * (per_row - len(row))
        grid.add_row(*row)
    return grid


def distribution(rt: ResultTable, width: int = 20) -> Table:
    """Customers per value as bars (literal labels, shares of all customers)."""
    dim = rt.frame.columns[0]
    table = Table(
        title=Text(f"Customers by {dim}"), box=None, show_header=False, title_justify="left"
    )
    table.add_column(no_wrap=True, max_width=18)
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for row in rt.frame.head(8).iter_rows(named=True):
        share = row.get("customer_share") or 0.0
        bar = "█" * round(share * width)
        table.add_row(
            Text(safe_text(row[dim]) if row[dim] is not None else "(none)"),
            Text(bar.ljust(width), style="cyan"),
            Text(format_value(share, render_kind("customer_share"))),
            Text(format_value(row["customers"], render_kind("customers"))),
        )
    return table


class OverviewPanel(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    OverviewPanel { height: 1fr; padding: 0 1; }
    OverviewPanel #kpis { margin-bottom: 1; }
    OverviewPanel .spark-row { height: 1; }
    OverviewPanel .spark-label { width: 20; color: $text-muted; }
    OverviewPanel .spark-value { width: 16; text-align: right; }
    OverviewPanel Sparkline { width: 1fr; height: 1; }
    OverviewPanel #distributions { height: auto; margin-top: 1; }
    OverviewPanel #distributions Static { width: 1fr; height: auto; margin-bottom: 1; }
    """
    BINDINGS = [
        ("up,k", "scroll_up", "Up"),
        ("down,j", "scroll_down", "Down"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: OverviewData | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="kpis")
        yield Label("Last 12 months", classes="section")
        for label, key, _ in SERIES:
            with Horizontal(classes="spark-row"):
                yield Label(label, classes="spark-label")
                yield Sparkline([], id=f"spark-{key}")
                yield Label("", id=f"spark-value-{key}", classes="spark-value")
        with Horizontal(id="distributions"):
            yield Static("", id="dist-0")
            yield Static("", id="dist-1")

    def show(self, data: OverviewData) -> None:
        self.data = data
        self._draw_kpis()
        if data.trend is None:
            return
        for _, key, kind in SERIES:
            values = data.trend[key].to_list() if key in data.trend.columns else []
            present = [v for v in values if v is not None]
            spark = self.query_one(f"#spark-{key}", Sparkline)
            spark.data = [float(v) for v in present]
            # a series the dataset cannot give (no orders, no monthly) is hidden
            spark.parent.display = bool(present)
            last = values[-1] if values else None
            self.query_one(f"#spark-value-{key}", Label).update(
                format_value(last, kind, data.currency)
            )
        for i in range(2):
            target = self.query_one(f"#dist-{i}", Static)
            if i < len(data.distributions):
                target.update(distribution(data.distributions[i]))
            else:
                target.update("")

    def _draw_kpis(self) -> None:
        layout = "horizontal" if (self.size.width or 80) >= 100 else "vertical"
        dist = self.query_one("#distributions")
        if dist.styles.layout is None or dist.styles.layout.name != layout:
            dist.styles.layout = layout  # only on a change: a layout triggers a resize
        if self.data is not None:
            columns = max(1, min(4, (self.size.width or 80) // 36))
            self.query_one("#kpis", Static).update(kpi_grid(self.data, columns))

    def on_resize(self) -> None:
        self._draw_kpis()

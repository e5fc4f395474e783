"""Segment trends (SPEC §7): one row per value of a dimension, one column per
month, holding customers, active, revenue, aov, mrr or churn_rate. A derived
dimension (lifecycle, revenue_tier, …) takes its value as of each month's end,
from the facts of that as_of (`cxtui.engine.asof`, one month at a time, cached);
the pane adds a sparkline per row. Enter on a cell lists that value's customers
of that month. The formulas are in `cxtui.metrics.trends`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause, sql_literal
from cxtui.measures import label_of, render_kind
from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    PaneKey,
    View,
    lazy,
    register,
)

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.metrics.scope import Scope
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
tr = lazy("cxtui.metrics.trends")
panes = lazy("cxtui.metrics.panes")
engine = lazy("cxtui.engine")
render = lazy("cxtui.render")
pl = lazy("polars")

DEFAULT_BY = "lifecycle"
DEFAULT_MEASURE = "customers"
DEFAULT_MONTHS = 12
# metrics.trends.TREND_MEASURES (named here so that `cxtui --help` needs no polars)
MEASURES = ("customers", "active", "revenue", "aov", "mrr", "churn_rate")
SPARKS = "▁▂▃▄▅▆▇█"
HINT = "Enter on a month lists that value's customers of the month"


def _options(opts: Opts) -> tuple[str, str, int]:
    by = opts.get("by") or DEFAULT_BY
    measure = (opts.get("measure") or DEFAULT_MEASURE).lower()
    months = opts.get("months")
    return by, measure, DEFAULT_MONTHS if months is None else months


def month_scope(
    analysis: Analysis, by: str, months: int
) -> tuple[Scope, dict[date, str] | None, list[date]]:
    """The scope the trend is computed over, the facts column holding each
    month's value of a derived dimension (None: a plain column), and the months'
    first days."""
    scope = analysis.scope
    as_of = analysis.ds.as_of
    firsts = tr.months_of(as_of, months)
    if not tr.is_derived(scope, by):
        return scope, None, firsts
    days = {first: tr.measured_at(first, as_of) for first in firsts}
    # a month ending before the first customer's start has no one to count: not built
    since = analysis.facts["start_date"].min() if analysis.facts.height else None
    built = [day for day in days.values() if since is not None and day >= since]  # type: ignore[operator]
    scope, names = engine.scope_at(analysis, by, built)
    return scope, {first: names.get(day, by) for first, day in days.items()}, firsts


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


def trends_table(analysis: Analysis, by: str, measure: str, months: int) -> ResultTable:
    tr.check_trends(analysis.scope, by, measure, months)
    scope, at, firsts = month_scope(analysis, by, months)
    frame = engine.collect(tr.trends(scope, by, measure, months, at))
    kind, n = render_kind(measure), len(firsts)
    # the latest months are the last to go on a narrow screen
    columns = [render.ColumnSpec(by, "text", priority=0)] + [
        render.ColumnSpec(tr.month_label(first), kind, priority=1 + (n - 1 - i) // 3)
        for i, first in enumerate(firsts)
    ]
    span = f"{tr.month_label(firsts[0])} → {tr.month_label(firsts[-1])}"
    how = " (value as of each month's end)" if at is not None else ""
    title = f"{label_of(measure)} by {by}{how}, {span} — {_subtitle(analysis)}"
    return render.ResultTable(title, frame, columns, currency=analysis.ds.config.currency)


def run(analysis: Analysis, opts: Opts) -> Output:
    by, measure, months = _options(opts)
    rt = trends_table(analysis, by, measure, months)
    return Output(tables=[rt], extras={"by": by, "measure": measure}, notes=[HINT])


def sparkline(values: list[Any]) -> str:
    """▁…█ from the row's lowest (or 0) to its highest value; a blank for null."""
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(min(known), 0), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif high == low:
            out.append(SPARKS[0])
        else:
            out.append(SPARKS[min(len(SPARKS) - 1, int((v - low) / (high - low) * len(SPARKS)))])
    return "".join(out)


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The command's table with a sparkline of each row (oldest to newest) after
    the dimension, then the months newest first: the latest are on screen
    however narrow the terminal, the older ones a scroll to the right."""
    out = run(analysis, opts)
    rt = out.tables[0]
    by = out.extras["by"]
    months = [c.key for c in rt.columns if c.key != by]
    spark = [sparkline([row[m] for m in months]) for row in rt.frame.iter_rows(named=True)]
    frame = rt.frame.with_columns(pl.Series("spark", spark, dtype=pl.String))
    frame = frame.select(by, "spark", *reversed(months))
    spark_spec = render.ColumnSpec("spark", "text", priority=0)
    columns = [rt.columns[0], spark_spec, *reversed(rt.columns[1:])]
    out.tables = [render.ResultTable(rt.title, frame, columns, rt.footer, rt.currency)]
    out.notes = [f"{HINT} · months newest first"]
    return out


# ---------------------------------------------------------------- drill-down


def _label(value: Any) -> str:
    return "(none)" if value is None else str(value)


def members_table(
    analysis: Analysis, by: str, measure: str, months: int, first: date, value: Any
) -> ResultTable:
    """The customers behind one cell (metrics.trends.trend_members), biggest first."""
    scope, at, _ = month_scope(analysis, by, months)
    order = panes.default_top_by(analysis.scope)
    keep = [c for c in (*views.MEMBER_COLUMNS, "start_date", order) if c in scope.fact_columns()]
    lf = tr.trend_members(scope, by, measure, first, value, at).select(list(dict.fromkeys(keep)))
    frame = engine.collect(
        lf.sort([order, "customer_id"], descending=[True, False], nulls_last=True)
    )
    who = {"active": "active at the month's end", "churn_rate": "churned in the month"}
    what = who.get(measure, "started by the month's end")
    title = f"{by} = {_label(value)}, {tr.month_label(first)}: {frame.height:,} customers {what}"
    return views.members_table(analysis, frame, title)


def _clause(
    by: str, value: Any, measure: str, first: date, end: date, dated: bool, last: bool
) -> str:
    parts = [match_clause([by], [value]), f"start_date <= {sql_literal(end)}"]
    if measure == "active":
        if dated:
            parts.append(f"(churn_date IS NULL OR churn_date > {sql_literal(end)})")
        elif last:
            parts.append("status = 'active'")
    elif measure == "churn_rate":
        parts.append(f"churn_date >= {sql_literal(first)} AND churn_date <= {sql_literal(end)}")
    return " AND ".join(parts)


def drill(ctx: DrillContext) -> Members | None:
    """Enter on a month's cell: that value's customers of the month (for active,
    those active at its end; for churn_rate, those churned in it); on the
    dimension or the sparkline, the latest month. A null cell opens nothing."""
    if ctx.table != 0:
        return None
    by, measure, months = _options(ctx.opts)
    if by not in ctx.row:
        return None
    a = ctx.analysis
    as_of = a.ds.as_of
    firsts = {tr.month_label(f): f for f in tr.months_of(as_of, months)}
    column = ctx.column if ctx.column in firsts else list(firsts)[-1]
    if ctx.row.get(column) is None:
        return None
    first, value = firsts[column], ctx.row[by]
    end = tr.measured_at(first, as_of)
    dated = tr.has_churn_dates(a.scope)
    counted = ctx.row[column] if measure in ("customers", "active") else a.facts.height
    clause = _clause(by, value, measure, first, end, dated, end == as_of)
    invocation = ctx.invocation
    if end != as_of and tr.is_derived(a.scope, by):
        # the value as of the month's end: the list of `top` at that as_of
        invocation = replace(invocation, as_of=end)
    return Members(
        ["Trends", f"{by} = {_label(value)}", column],
        lambda: members_table(a, by, measure, months, first, value),
        invocation.command("top", "-n", str(max(int(counted), 1)), where=clause),
        f"trends-{by}-{_label(value)}-{column}",
    )


def command(opts: Opts, table: int) -> list[str]:
    by, measure, months = _options(opts)
    args = ["--by", by]
    if measure != DEFAULT_MEASURE:
        args += ["--measure", measure]
    return args + (["--months", str(months)] if months != DEFAULT_MONTHS else [])


VIEW = register(
    View(
        id="trends",
        title="Trends",
        group="Revenue & cohorts",
        help=(
            "A dimension's values month by month: customers, active, revenue, aov, mrr or "
            "churn rate (derived dimensions as of each month's end)."
        ),
        run=run,
        options=(
            Option(
                "by",
                ("--by",),
                str,
                DEFAULT_BY,
                "The dimension: lifecycle, revenue_tier, rfm_segment, engagement, risk_band "
                "(each as of the month's end) or any customer column.",
            ),
            Option(
                "measure",
                ("--measure",),
                str,
                DEFAULT_MEASURE,
                "customers (started by the month's end), active (at its end), revenue or mrr "
                "(in the month), aov, churn_rate (churned in the month ÷ active at its first day).",
                choices=MEASURES,
            ),
            Option(
                "months",
                ("--months",),
                int,
                DEFAULT_MONTHS,
                "The last N months, ending with the month of as_of.",
            ),
        ),
        pane_stages=(pane,),
        drill=drill,
        command=command,
        keys=(
            PaneKey("m", "Measure", "measure", cycle=True),
            PaneKey(
                "d",
                "Dimension",
                "by",
                choices=lambda a, o: views.dimensions(a),
                title="Trends by",
            ),
        ),
        export_name=lambda o: "trends-{}-{}".format(*_options(o)[:2]),
    )
)

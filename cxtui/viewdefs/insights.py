"""Insights (SPEC §11): ranked findings from the other views, each with its
evidence, customers, value at stake, recommended action and the command that
prints the underlying view; Enter lists the customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.registry import (
    DrillContext,
    Members,
    Opts,
    Output,
    ReportPart,
    View,
    lazy,
    records,
    register,
)

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
insights = lazy("cxtui.metrics.insights")
retention = lazy("cxtui.metrics.retention")
acquisition_view = lazy("cxtui.viewdefs.acquisition")
lift_view = lazy("cxtui.viewdefs.lift")
lift = lazy("cxtui.metrics.lift")
render = lazy("cxtui.render")
pl = lazy("polars")

CHANNEL_MONTHS = 3  # the acquisition view's default window
REPORT_TOP = 5  # the report opens with this many
COLUMN_PRIORITY = {
    "rank": 0,
    "title": 0,
    "value": 0,
    "customers": 1,
    "evidence": 1,
    "recommended_action": 2,
    "command": 4,
    "where": 5,
}


def _money(analysis: Analysis):
    cur = analysis.ds.config.currency
    return lambda v: render.format_value(v, "money", cur)


def find(analysis: Analysis) -> tuple[list[Any], list[str]]:
    """Every rule the data supports, ranked; and notes for the rules left out."""
    from cxtui.errors import CxError

    scope, ds = analysis.scope, analysis.ds
    money = _money(analysis)
    t = insights.thresholds(scope)
    clauses = insights.account_clauses(scope)
    days = int(t["churn_window_days"])
    queries = [
        insights.account_counts(scope, clauses),
        insights.churn_reason_counts(scope, days),
    ]
    seg_dim = next((d for d in ("segment", "revenue_tier") if d in scope.fact_columns()), None)
    if ds.has("monthly") and seg_dim:
        queries.append(retention.retention_by(scope, seg_dim))
    frames = engine.collect_all(queries)
    found = insights.account_insights(scope, frames[0].row(0, named=True), money)
    notes = [
        f"{name}: needs {need}"
        for name, need in (
            ("lapsing repeat buyers", "an orders table"),
            ("detractors", "a feedback table"),
            ("payment issues", "an events table with payment_failed events"),
            ("renewals among at-risk accounts", "customers.renewal_date"),
        )
        if clauses[
            {
                "lapsing repeat buyers": "lapsing_buyers",
                "detractors": "detractors",
                "payment issues": "payment_issues",
                "renewals among at-risk accounts": "renewals_at_risk",
            }[name]
        ]
        is None
    ]
    from cxtui.metrics.facts import churn_source

    if churn_source(ds) in ("churn_date", "monthly", "orders"):
        churn = insights.churn_insight(scope, frames[1], days, money)
        found += [churn] if churn else []
    else:
        notes.append("largest churn reason: needs churn dates (customers.churn_date or monthly)")
    if len(frames) > 2:
        low = insights.retention_insight(scope, seg_dim, frames[2], money)
        found += [low] if low else []
    else:
        notes.append("lowest-NRR segment: needs a monthly table and a segment column")
    if ds.has("spend") and "channel" in scope.fact_columns():
        try:
            channels, _ = acquisition_view.acquisition_result(analysis, CHANNEL_MONTHS, "channel")
            found += insights.channel_insights(channels.frame, CHANNEL_MONTHS, money)
        except CxError as exc:
            notes.append(f"channel LTV:CAC: {exc}")
    else:
        notes.append("best and worst channel LTV:CAC: needs a spend table and customers.channel")
    if ds.has("events"):
        try:
            summary = lift_view.compute(analysis, None, None).summary
            opportunity = insights.lift_insight(summary, money)
            found += [opportunity] if opportunity else []
        except CxError:
            notes.append(f"lift opportunity: needs {lift.DEFAULT_EVENT} events")
    else:
        notes.append("lift opportunity: needs an events table")
    found += quality_insights(analysis)
    return insights.ranked(found), notes


def quality_insights(analysis: Analysis) -> list[Any]:
    """Data-quality notes that change a number (values left out, ids not counted)."""
    out = []
    for note in analysis.ds.notes:
        out.append(
            insights.Insight(
                "data_quality",
                "Data quality: a number is affected",
                note,
                None,
                None,
                "Fix the source export, then compare the numbers again",
                ["validate"],
            )
        )
    return out


def _command(ins, invocation) -> str:
    where = ins.where if ins.command[0] == "top" else None
    return invocation.command(ins.command[0], *ins.command[1:], where=where)


def _frame(found: list[Any], invocation) -> Any:
    rows = insights.insight_rows(found)
    for row, ins in zip(rows, found, strict=True):
        row["command"] = _command(ins, invocation)
        row["where"] = ins.where
    cols = [*insights.INSIGHT_KEYS, "where"]
    if not rows:
        return pl.DataFrame(
            schema={
                "rank": pl.Int64,
                "title": pl.String,
                "evidence": pl.String,
                "customers": pl.Int64,
                "value": pl.Float64,
                "recommended_action": pl.String,
                "command": pl.String,
                "where": pl.String,
            }
        )
    return pl.DataFrame(rows, infer_schema_length=None).select(cols)


def run(analysis: Analysis, opts: Opts) -> Output:
    from cxtui.commands import Invocation

    found, notes = find(analysis)
    ds = analysis.ds
    invocation = Invocation(
        ds.root, ds.config.source, ds.as_of if ds.as_of_given else None, analysis.where
    )
    frame = _frame(found, invocation)
    footer = "; ".join(f"left out — {n}" for n in notes) or None
    rt = views.table(f"Insights — as of {analysis.ds.as_of}", frame, analysis, footer)
    for col in rt.columns:  # what a narrow terminal keeps: the finding, its size, its value
        col.priority = COLUMN_PRIORITY.get(col.key, col.priority)
        col.wrap = col.key in ("evidence", "recommended_action")

    def as_json(out: Output) -> Any:
        rows = records(out.tables[0])
        return {"as_of": analysis.ds.as_of.isoformat(), "insights": rows, "notes": notes}

    return Output(tables=[rt], extras={"found": found, "notes": notes}, json=as_json)


def drill(ctx: DrillContext) -> Members | None:
    clause, title = ctx.row.get("where"), ctx.row.get("title")
    if not clause:
        return None
    a = ctx.analysis
    title_n = f"{title}: {ctx.row.get('customers') or 0:,} customers"
    return Members(
        ["Insights", str(title)],
        lambda: views.where_members_table(a, clause, title_n),
        ctx.invocation.command("top", "-n", str(ctx.row.get("customers") or 0), where=clause),
        f"insight-{ctx.row.get('rank')}",
    )


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        out = run(analysis, {})
        rt = out.tables[0]
        top = render.ResultTable(rt.title, rt.frame.head(REPORT_TOP), rt.columns, None, rt.currency)
        return [
            ReportPart(
                -1,
                "Top insights",
                table=top,
                json_key="insights",
                json_value=records(rt),
                json_order=-1,  # the report starts with the top insights
            )
        ]

    return [job]


VIEW = register(
    View(
        id="insights",
        title="Insights",
        help="Ranked findings with their evidence, customers, value at stake and next action.",
        run=run,
        options=(),
        drill=drill,
        report=report,
        detail_column="evidence",
    )
)

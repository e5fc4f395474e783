"""Revenue (SPEC §7): MRR movements per month with `monthly`, else revenue per
month from orders; a summary block with the latest month's quick ratio, the
window's totals and §8's new vs returning buyers. Every movement count drills to
exactly its customers, and `--customers MOVEMENT --month YYYY-MM` prints that
list. The formulas are in `cxtui.metrics.movements`."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause
from cxtui.errors import CxError
from cxtui.metrics.periods import month_start
from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    ReportPart,
    View,
    lazy,
    records,
    register,
)
from cxtui.viewdefs.common import breakdown_key

if TYPE_CHECKING:
    import polars

    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
mv = lazy("cxtui.metrics.movements")
engine = lazy("cxtui.engine")

DEFAULT_MONTHS = 12

# The movements (metrics.movements.MOVEMENTS) and buyer kinds (BUYER_KINDS),
# named here too so that `cxtui --help` does not import polars.
MOVEMENT_NAMES = ("new", "expansion", "reactivation", "contraction", "churned")
BUYER_KINDS = ("buyers", "new_buyers", "returning_buyers")
# A cell's column → the customers it is about (its count, or its amount).
MOVEMENT_OF_COLUMN = {
    "new_mrr": "new",
    "new_customers": "new",
    "expansion_mrr": "expansion",
    "expanded_customers": "expansion",
    "reactivation_mrr": "reactivation",
    "reactivated_customers": "reactivation",
    "contraction_mrr": "contraction",
    "contracted_customers": "contraction",
    "churned_mrr": "churned",
    "churned_customers": "churned",
}
BUYERS_OF_COLUMN = {
    "buyers": "buyers",
    "revenue": "buyers",
    "new_buyers": "new_buyers",
    "new_buyer_revenue": "new_buyers",
    "returning_buyers": "returning_buyers",
    "returning_buyer_revenue": "returning_buyers",
}
WHO = {
    "new": "New",
    "expansion": "Expanded",
    "reactivation": "Reactivated",
    "contraction": "Contracted",
    "churned": "Churned",
    "buyers": "Buyers",
    "new_buyers": "New buyers",
    "returning_buyers": "Returning buyers",
}
# The movement chart's series (losses drawn below the zero line).
GAINS = ("new_mrr", "expansion_mrr", "reactivation_mrr")
LOSSES = ("contraction_mrr", "churned_mrr")
BUYER_SERIES = ("new_buyer_revenue", "returning_buyer_revenue")
HINT = "←/→ to a movement column, Enter lists its customers"


def parse_month(text: str) -> date:
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", text)
    if match and 1 <= int(match[2]) <= 12:
        return date(int(match[1]), int(match[2]), 1)
    raise CxError(f"--month {text!r}: not a month; fix: use YYYY-MM, e.g. 2025-03")


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


def _monthly(analysis: Analysis) -> bool:
    return analysis.ds.has("monthly")


# ---------------------------------------------------------------- the summary


def window_summary(frame: polars.DataFrame, monthly: bool) -> dict[str, Any]:
    """The block above the table, from the overall rows (one per month, oldest
    first): the window's months; with monthly the latest month's quick ratio,
    the window's quick ratio (Σ gains ÷ Σ losses), its start and end mrr and each
    movement's Σ over the months; from orders, Σ revenue, orders, aov and the
    new and returning buyers' revenue."""
    out: dict[str, Any] = {"first_month": frame["month"][0], "last_month": frame["month"][-1]}

    def total(col: str) -> Any:
        return frame[col].sum()

    if monthly:
        gained = sum(total(c) for c in GAINS)
        lost = sum(total(c) for c in LOSSES)
        start, end = frame["start_mrr"][0], frame["end_mrr"][-1]
        out |= {
            "quick_ratio": frame["quick_ratio"][-1],
            "window_quick_ratio": gained / lost if lost else None,
            "start_mrr": start,
            **{c: total(c) for c in (*GAINS, *LOSSES)},
            "end_mrr": end,
            "net_new_mrr": end - start,
        }
    else:
        revenue, orders = total("revenue"), total("orders")
        out |= {
            "revenue": revenue,
            "orders": orders,
            "aov": revenue / orders if orders else None,
            **{c: total(c) for c in BUYER_SERIES},
        }
    return out


def chart_series(frame: polars.DataFrame, monthly: bool) -> dict[str, Any]:
    """What the pane's bar chart draws: the months and one signed series per
    movement (gains positive, losses negative), in stacking order."""
    if monthly:
        series = [(c, frame[c].to_list()) for c in GAINS]
        series += [(c, [-v for v in frame[c].to_list()]) for c in LOSSES]
    else:
        series = [(c, frame[c].to_list()) for c in BUYER_SERIES]
    return {"months": frame["month"].to_list(), "series": series, "monthly": monthly}


# ---------------------------------------------------------------- tables


def months_table(analysis: Analysis, frame, months: int, by: str | None) -> ResultTable:
    what = "MRR movements" if _monthly(analysis) else "Revenue per month from orders"
    per = f" by {by}" if by else ""
    title = f"{what}{per}, last {months} months — {_subtitle(analysis)}"
    rt = views.table(title, frame, analysis)
    for col in rt.columns:
        if col.key in ("month", by):
            col.priority = 0  # the month and the dimension are never hidden
    return rt


def movement_members(
    analysis: Analysis,
    movement: str,
    month: date,
    by: str | None = None,
    value: Any = None,
) -> ResultTable:
    """Exactly the customers a movement count holds in `month` (of the block
    `by` = `value`): with monthly a movement (new, expansion, reactivation,
    contraction, churned) with the month before's and the month's mrr and the
    movement's amount; from orders a buyer kind (buyers, new_buyers,
    returning_buyers) with the month's revenue. Biggest amount first."""
    scope = analysis.scope
    if _monthly(analysis):
        lf = mv.movement_customers(scope, month, movement, by, value)
        extra = ["prev_month_mrr", "month_mrr", "movement_mrr"]
    else:
        lf = mv.buyer_customers(scope, month, movement, by, value)
        extra = ["month_revenue"]
    have = set(scope.fact_columns())
    cols = [c for c in views.MEMBER_COLUMNS if c in have and c not in extra] + extra
    frame = engine.collect(lf.select(cols))
    who = WHO.get(movement, movement)
    which = "" if by is None else f", {by} = {'(none)' if value is None else value}"
    title = f"{who} in {month:%Y-%m}{which}: {frame.height:,} customers"
    return views.table(title, frame, analysis)


def _movement_of_count(column: str) -> str:
    return MOVEMENT_OF_COLUMN.get(column, column)


# ---------------------------------------------------------------- the command


def _check_opts(opts: Opts) -> None:
    customers, month, by = opts.get("customers"), opts.get("month"), opts.get("by")
    if month and not customers:
        raise CxError("--month picks the month of --customers; fix: add --customers MOVEMENT")
    if customers and by:
        raise CxError(
            "--customers lists one movement's customers; fix: drop --by "
            "(restrict the list with --where instead)"
        )


def run(analysis: Analysis, opts: Opts) -> Output:
    _check_opts(opts)
    months = opts.get("months", DEFAULT_MONTHS)
    mv.check_months(months)
    customers = opts.get("customers")
    if customers:
        month = parse_month(opts["month"]) if opts.get("month") else month_start(analysis.ds.as_of)
        movement = _movement_of_count(customers.strip().lower())
        return Output(tables=[movement_members(analysis, movement, month)])
    return months_output(analysis, months, opts.get("by"), bool(opts.get("summary")))


def months_output(analysis: Analysis, months: int, by: str | None, summary_json: bool) -> Output:
    """The table (blocks per `by` value when given), the summary block of the
    overall months and §8's new vs returning keys, and the chart's series; one
    parallel collect."""
    scope = analysis.scope
    queries = [mv.revenue_months(scope, months), mv.new_vs_returning(scope)]
    if by:
        queries.append(mv.revenue_months(scope, months, by))
    frames = engine.collect_all(queries)
    overall, buyers = frames[0], frames[1].row(0, named=True)
    monthly = _monthly(analysis)
    summary = window_summary(overall, monthly) | {k: buyers[k] for k in mv.NEW_VS_RETURNING_KEYS}
    rt = months_table(analysis, frames[-1] if by else overall, months, by)
    first, last = summary["first_month"], summary["last_month"]
    what = "MRR movements" if monthly else "Revenue from orders"
    title = f"{what} {first:%Y-%m} → {last:%Y-%m} ({months} months) — {_subtitle(analysis)}"

    def as_json(out: Output) -> Any:
        rows = records(out.tables[0])
        value: Any = {"by": by, "groups": group_rows(rows, by)} if by else rows
        if not summary_json:
            return value
        return {**value, "summary": summary} if by else {"rows": rows, "summary": summary}

    return Output(
        title=title,
        summary=summary,
        tables=[rt],
        extras={"bars": chart_series(overall, monthly), "months": months, "by": by},
        json=as_json,
        notes=[HINT],
    )


def group_rows(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """SPEC §7's `groups`: one entry per value of `by`, in the rows' order (values
    ascending, null last), each with its rows without the `by` key."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        value = row[by]
        if not groups or groups[-1][by] != value:
            groups.append({by: value, "rows": []})
        groups[-1]["rows"].append({k: v for k, v in row.items() if k != by})
    return groups


# ---------------------------------------------------------------- the pane


def drill(ctx: DrillContext) -> Members | None:
    """Enter on a movement's count or amount lists its customers that month."""
    if ctx.table != 0 or ctx.column is None or "month" not in ctx.row:
        return None
    a = ctx.analysis
    kinds = MOVEMENT_OF_COLUMN if _monthly(a) else BUYERS_OF_COLUMN
    movement = kinds.get(ctx.column)
    if movement is None:
        return None
    by = ctx.opts.get("by")
    value = ctx.row.get(by) if by else None
    month = ctx.row["month"]
    label = f"{WHO[movement]} {month:%Y-%m}"
    crumbs = ["Revenue", *([f"{by} = {'(none)' if value is None else value}"] if by else []), label]
    args = ["--customers", movement, "--month", f"{month:%Y-%m}"]
    return Members(
        crumbs,
        lambda: movement_members(a, movement, month, by, value),
        ctx.invocation.command("revenue", *args, where=match_clause([by], [value]) if by else None),
        f"revenue-{movement}-{month:%Y-%m}",
    )


def command(opts: Opts, table: int) -> list[str]:
    args: list[str] = []
    if opts.get("months", DEFAULT_MONTHS) != DEFAULT_MONTHS:
        args += ["--months", str(opts["months"])]
    if opts.get("by"):
        args += ["--by", opts["by"]]
    return args


# ---------------------------------------------------------------- the report


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if not (analysis.ds.has("monthly") or analysis.ds.has("orders")):
            return []
        out = months_output(analysis, DEFAULT_MONTHS, None, False)
        monthly = _monthly(analysis)
        what = "MRR movements" if monthly else "Revenue per month"
        return [
            ReportPart(
                64,
                f"Revenue ({DEFAULT_MONTHS} months)",
                summary=out.summary,
                table_heading="Revenue",
                json_key="revenue_summary",
                json_value=out.summary,
            ),
            ReportPart(
                64.5, f"{what} ({DEFAULT_MONTHS} months)", table=out.tables[0], json_key="revenue"
            ),
        ]

    return [job]


VIEW = register(
    View(
        id="revenue",
        title="Revenue",
        group="Revenue & cohorts",
        help=(
            "MRR movements per month (new, expansion, reactivation, contraction, churned, "
            "quick ratio), or revenue per month from orders without monthly, with new vs "
            "returning buyers."
        ),
        run=run,
        options=(
            Option(
                "months",
                ("--months",),
                int,
                DEFAULT_MONTHS,
                "Months shown, ending with the month of as_of.",
            ),
            Option(
                "by",
                ("--by",),
                str,
                None,
                "A block of months per value of this dimension (ids that are not customers "
                "in the null group).",
            ),
            Option(
                "customers",
                ("--customers",),
                str,
                None,
                "Print the customers behind a count instead: "
                + ", ".join(MOVEMENT_NAMES)
                + " (monthly), or "
                + ", ".join(BUYER_KINDS)
                + " (orders only).",
                metavar="MOVEMENT",
            ),
            Option(
                "month",
                ("--month",),
                str,
                None,
                "With --customers: the month (YYYY-MM; default the month of as_of).",
                metavar="YYYY-MM",
            ),
            Option(
                "summary",
                ("--summary",),
                bool,
                False,
                "JSON: an object {rows, summary} (with --by: {by, groups, summary}).",
            ),
        ),
        pane="bars",
        drill=drill,
        command=command,
        report=report,
        keys=(breakdown_key("Revenue by"),),
        export_name=lambda o: "revenue" + (f"-{o['by']}" if o.get("by") else ""),
    )
)

"""Cohorts (SPEC §7): retention of the customers who started in the same month
or quarter, by logo or by revenue, one row per cohort and one column per age.
The pane is a heatmap; Enter on a cell lists the members retained at that age
(on `customers`, every member), and `--cohort LABEL [--age N]` prints that list.
The formulas are in `cxtui.metrics.cohorts`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause
from cxtui.errors import CxError
from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    PaneKey,
    ReportPart,
    View,
    lazy,
    records,
    register,
)
from cxtui.viewdefs.common import breakdown_key
from cxtui.viewdefs.revenue import group_rows

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
co = lazy("cxtui.metrics.cohorts")
engine = lazy("cxtui.engine")
pl = lazy("polars")

DEFAULT_MONTHS = 12
METRICS = ("logo", "revenue")  # metrics.cohorts.COHORT_METRICS
PERIODS = ("month", "quarter")  # metrics.cohorts.COHORT_PERIODS
AGE = re.compile(r"p(\d+)")
HINT = "Enter: the members retained at that age (on customers: every member)"


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


def require_starts(analysis: Analysis) -> None:
    """A dataset where no customer starts by as_of has no cohort to show: say
    what gives a start (SPEC §1), whatever --where selects."""
    facts = analysis.facts
    started = "in_universe" in facts.columns and bool(facts["in_universe"].any())
    if not started:
        raise CxError(
            f"cohorts need start dates: no customer starts on or before {analysis.ds.as_of}; "
            "fix: add signup_date to customers, or orders, monthly (mrr > 0) or events rows "
            "(a customer starts at its first one)"
        )


def _options(opts: Opts) -> tuple[str, str, int, str | None]:
    metric = (opts.get("metric") or "logo").lower()
    period = (opts.get("period") or "month").lower()
    return metric, period, opts.get("months", DEFAULT_MONTHS), opts.get("by")


def cohorts_table(
    analysis: Analysis, metric: str, period: str, months: int, by: str | None
) -> ResultTable:
    frame = engine.collect(co.cohorts(analysis.scope, metric, period, months, by))
    what = "Logo retention" if metric == "logo" else "Revenue retention"
    per = f" by {by}" if by else ""
    title = f"{what} by {period} cohort{per}, last {months} months — {_subtitle(analysis)}"
    rt = views.table(title, frame, analysis)
    for col in rt.columns:
        if col.key in ("cohort", "customers", by):
            col.priority = 0
    return rt


def cohort_members_table(
    analysis: Analysis,
    cohort: str,
    age: int | None,
    metric: str,
    period: str,
    by: str | None = None,
    value: Any = None,
) -> ResultTable:
    """The cohort's members (of the block `by` = `value`) retained at `age`, or
    all of them when `age` is None (`cxtui.metrics.cohorts.cohort_members`)."""
    scope = analysis.scope
    lf = co.cohort_members(scope, cohort, age, metric, period, by, value)
    names = lf.collect_schema().names()
    extra = [c for c in ("start_date", "period_mrr", "period_revenue") if c in names]
    cols = [c for c in views.MEMBER_COLUMNS if c in names and c not in extra] + extra
    frame = engine.collect(lf.select(cols))
    which = "" if by is None else f", {by} = {'(none)' if value is None else value}"
    if age is None:
        who = f"Cohort {cohort}{which}: every member"
    else:
        if metric == "logo":
            kept = "active"
        else:
            kept = "with mrr" if analysis.ds.has("monthly") else "with orders"
        who = f"Cohort {cohort}{which}: {kept} at age {age}"
    return views.table(f"{who}, {frame.height:,} customers", frame, analysis)


# ---------------------------------------------------------------- the command


def run(analysis: Analysis, opts: Opts) -> Output:
    metric, period, months, by = _options(opts)
    cohort, age = opts.get("cohort"), opts.get("age")
    if age is not None and not cohort:
        raise CxError("--age picks an age of --cohort; fix: add --cohort YYYY-MM (or YYYY-Qn)")
    if cohort and by:
        raise CxError(
            "--cohort lists one cohort's members; fix: drop --by "
            "(restrict the list with --where instead)"
        )
    if cohort:
        if age is not None and age < 0:
            raise CxError(f"--age {age}: must be 0 or more; fix: pass e.g. --age 3")
        return Output(tables=[cohort_members_table(analysis, cohort, age, metric, period)])
    require_starts(analysis)
    rt = cohorts_table(analysis, metric, period, months, by)

    def as_json(out: Output) -> Any:
        rows = records(out.tables[0])
        return {"by": by, "groups": group_rows(rows, by)} if by else rows

    return Output(
        tables=[rt],
        json=as_json,
        extras={"metric": metric, "period": period, "by": by},
        notes=[HINT],
    )


# ---------------------------------------------------------------- the pane


def drill(ctx: DrillContext) -> Members | None:
    """Enter on an age cell: the members retained at that age; on the cohort,
    customers or dimension cell: every member. A null cell opens nothing."""
    if ctx.table != 0 or "cohort" not in ctx.row:
        return None
    metric, period, _months, by = _options(ctx.opts)
    age_match = AGE.fullmatch(ctx.column or "")
    age = int(age_match[1]) if age_match else None
    if age is not None and ctx.row.get(ctx.column) is None:
        return None  # a period after as_of, or a past one without churn dates
    cohort = ctx.row["cohort"]
    value = ctx.row.get(by) if by else None
    a = ctx.analysis
    args = [*(["--metric", metric] if metric != "logo" else [])]
    args += [*(["--period", period] if period != "month" else []), "--cohort", cohort]
    args += ["--age", str(age)] if age is not None else []
    where = match_clause([by], [value]) if by else None
    label = f"{cohort} age {age}" if age is not None else f"{cohort} members"
    crumbs = ["Cohorts", *([f"{by} = {'(none)' if value is None else value}"] if by else []), label]
    return Members(
        crumbs,
        lambda: cohort_members_table(a, cohort, age, metric, period, by, value),
        ctx.invocation.command("cohorts", *args, where=where),
        f"cohort-{cohort}" + (f"-age{age}" if age is not None else ""),
    )


def command(opts: Opts, table: int) -> list[str]:
    metric, period, months, by = _options(opts)
    args = ["--metric", metric, "--period", period]
    if months != DEFAULT_MONTHS:
        args += ["--months", str(months)]
    return args + (["--by", by] if by else [])


# ---------------------------------------------------------------- the report


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        facts = analysis.facts
        if "in_universe" not in facts.columns or not facts["in_universe"].any():
            return []
        rt = cohorts_table(analysis, "logo", "month", DEFAULT_MONTHS, None)
        heading = f"Cohorts: logo retention by month ({DEFAULT_MONTHS} months)"
        return [ReportPart(65, heading, table=rt, json_key="cohorts")]

    return [job]


VIEW = register(
    View(
        id="cohorts",
        title="Cohorts",
        group="Revenue & cohorts",
        help=(
            "Retention of the customers who started in the same month or quarter: "
            "a row per cohort, a column per age (logo or revenue)."
        ),
        run=run,
        options=(
            Option(
                "metric",
                ("--metric",),
                str,
                "logo",
                choices=METRICS,
                help="logo (members active ÷ members) or revenue (members' mrr ÷ their first mrr; "
                "orders only: the period's order amounts ÷ the first period's).",
            ),
            Option(
                "period",
                ("--period",),
                str,
                "month",
                choices=PERIODS,
                help="Cohorts by month or quarter.",
            ),
            Option(
                "months",
                ("--months",),
                int,
                DEFAULT_MONTHS,
                "The cohorts of the last N months, ending with the month of as_of.",
            ),
            Option(
                "by",
                ("--by",),
                str,
                None,
                "A block of cohorts per value of this dimension.",
            ),
            Option(
                "cohort",
                ("--cohort",),
                str,
                None,
                "Print this cohort's members instead (YYYY-MM, or YYYY-Qn with --period quarter).",
                metavar="LABEL",
            ),
            Option(
                "age",
                ("--age",),
                int,
                None,
                "With --cohort: only the members retained at this age (0 = the start period).",
                metavar="N",
            ),
        ),
        pane="heatmap",
        drill=drill,
        command=command,
        report=report,
        keys=(
            # pickers with the other value first and highlighted: the key, then
            # Enter, toggles (a `cycle` key needs Option.choices, which the CLI
            # cannot take yet)
            PaneKey("m", "Logo/revenue", "metric", cycle=True),
            PaneKey("i", "Month/quarter", "period", cycle=True),
            breakdown_key("Cohorts by"),
        ),
        export_name=lambda o: f"cohorts-{o.get('metric', 'logo')}-{o.get('period', 'month')}",
    )
)

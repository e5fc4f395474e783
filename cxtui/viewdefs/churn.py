"""Churn reasons and the monthly churn trend (SPEC §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxtui.commands import churned_clause
from cxtui.errors import CxError
from cxtui.metrics.periods import parse_window, shift_days
from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    ReportPart,
    View,
    lazy,
    register,
)

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")
panes = lazy("cxtui.metrics.panes")
render = lazy("cxtui.render")

DEFAULT_WINDOW = "12m"  # the command's, the pane's and the report's window
DEFAULT_WINDOW_WORDS = "12 months"


def window_days(window: str) -> int:
    try:
        return parse_window(window)
    except ValueError as exc:
        raise CxError(f"--window: {exc}") from None


def run(analysis: Analysis, opts: Opts) -> Output:
    window = opts.get("window") or DEFAULT_WINDOW
    days = window_days(window)
    if opts.get("trend"):
        return Output(tables=[views.churn_trend_table(analysis)])
    return Output(tables=[views.churn_table(analysis, days, window)])


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The pane shows the reasons and, under them, the trend."""
    window = opts.get("window") or DEFAULT_WINDOW
    reasons = views.churn_table(analysis, window_days(window), window)
    trend = views.churn_trend_table(analysis)
    trend = render.ResultTable(
        "Churn by month", trend.frame, trend.columns, trend.footer, trend.currency
    )
    return Output(tables=[reasons, trend])


def drill(ctx: DrillContext) -> Members | None:
    if ctx.table != 0:
        return None  # a month of the trend: no account list (yet)
    a = ctx.analysis
    window = ctx.opts.get("window") or DEFAULT_WINDOW
    days = window_days(window)
    reason = ctx.row["reason"]
    title = f"Churned in the last {window}: {reason}"
    clause = churned_clause(
        reason,
        "churn_reason" in a.facts.columns,
        panes.churn_source(a.ds) not in ("is_active", "none"),
        shift_days(a.ds.as_of, -days),
        a.ds.as_of,
    )
    return Members(
        ["Churn", str(reason)],
        lambda: views.churned_members_table(a, days, reason, title),
        ctx.invocation.command("top", "-n", str(ctx.row["churned_customers"]), where=clause),
        f"churned-{reason}",
    )


def command(opts: Opts, table: int) -> list[str]:
    if table == 1 or opts.get("trend"):
        return ["--trend"]
    return ["--window", opts.get("window") or DEFAULT_WINDOW]


def report(analysis: Analysis):
    def reasons() -> list[ReportPart]:
        rt = views.churn_table(analysis, window_days(DEFAULT_WINDOW), DEFAULT_WINDOW)
        return [ReportPart(30, f"Churn reasons ({DEFAULT_WINDOW_WORDS})", table=rt)]

    def trend() -> list[ReportPart]:
        rt = views.churn_trend_table(analysis)
        return [ReportPart(31, "Churn trend", table=rt)] if rt.frame.height else []

    return [reasons, trend]


VIEW = register(
    View(
        id="churn",
        title="Churn",
        help="Churned customers by reason with lost MRR and revenue (or --trend by month).",
        run=run,
        options=(
            Option(
                "window",
                ("--window",),
                str,
                DEFAULT_WINDOW,
                "Window ending at as_of: 30d, 90d, 12m, 2y…",
            ),
            Option("trend", ("--trend",), bool, False, "Print the monthly churn trend instead."),
        ),
        pane_stages=(pane,),
        drill=drill,
        command=command,
        report=report,
    )
)

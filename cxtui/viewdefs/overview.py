"""Overview (SPEC §2): the KPIs, then in the TUI a 12-month trend and the
customers by region and revenue tier."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxtui.registry import Opts, Output, ReportPart, View, lazy, register

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")

# The Overview pane's distributions, when the data has them.
DISTRIBUTIONS = ("region", "revenue_tier")


def run(analysis: Analysis, opts: Opts) -> Output:
    return Output(
        title=f"Overview — as of {analysis.ds.as_of}", summary=views.overview_object(analysis)
    )


def kpis(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The KPIs alone: on screen first, the trend and distributions follow (the
    cards show no new-vs-returning key, so the pane skips their orders pass)."""
    summary = views.overview_object(analysis, buyers=False)
    return Output(title=f"Overview — as of {analysis.ds.as_of}", summary=summary)


def trend_and_distributions(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    assert previous is not None
    dims = [d for d in DISTRIBUTIONS if d in analysis.facts.columns]
    trend, distributions = views.overview_extras(analysis, dims)
    return Output(
        title=previous.title,
        summary=previous.summary,
        tables=distributions,
        extras={"trend": trend},
    )


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        obj = views.overview_object(analysis)
        return [ReportPart(0, "Overview", summary=obj, json_key="overview", json_value=obj)]

    return [job]


VIEW = register(
    View(
        id="overview",
        title="Overview",
        help="Overall statistics: customers, growth, churn, revenue, MRR, retention, NPS.",
        run=run,
        pane="overview",
        pane_stages=(kpis, trend_and_distributions),
        report=report,
        common=frozenset({"as_of", "format", "where", "config", "color"}),
    )
)

"""Event diversity and engagement levels (SPEC §10): customers by how many
distinct event types they have, and by the §2 engagement level (events in 90
days); every row lists exactly its customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause
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
from cxtui.viewdefs.common import NONE, event_type_counts, ranked_members, subtitle, top_command

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
metrics = lazy("cxtui.metrics.engagement")

DIVERSITY, LEVELS = 0, 1  # the Output's tables


def _by(opts: Opts) -> str | None:
    return opts.get("by") or None


def _of(by: str | None) -> str:
    return f" by {by}" if by else ""


def tables(analysis: Analysis, by: str | None) -> tuple[ResultTable, ResultTable]:
    """The diversity bins and the engagement levels, in one parallel collect."""
    scope = analysis.scope
    metrics.require_events(scope)
    types = event_type_counts(analysis)["event_type"].to_list()
    bins, levels = engine.collect_all(
        [metrics.diversity_bins(scope, by, types), metrics.engagement_levels(scope, by)]
    )
    cfg = analysis.ds.config
    low, high = f"{cfg.engagement_low:g}", f"{cfg.engagement_high:g}"
    return (
        views.table(
            f"Event diversity{_of(by)} — {subtitle(analysis)}",
            bins,
            analysis,
            "distinct event types per customer, over all events up to as_of",
        ),
        views.table(
            f"Engagement levels{_of(by)} — {subtitle(analysis)}",
            levels,
            analysis,
            f"events in the last 90 days: Low < {low}, Medium {low}-{high}, High > {high}",
        ),
    )


def run(analysis: Analysis, opts: Opts) -> Output:
    by = _by(opts)
    diversity, levels = tables(analysis, by)

    def as_json(out: Output) -> Any:
        return {
            "as_of": analysis.ds.as_of,
            "by": by,
            "diversity": records(out.tables[DIVERSITY]),
            "engagement_levels": records(out.tables[LEVELS]),
        }

    return Output(tables=[diversity, levels], json=as_json)


def drill(ctx: DrillContext) -> Members:
    a, by, row = ctx.analysis, _by(ctx.opts), ctx.row
    by_value = row.get(by) if by else None
    group = [] if by is None else ["(none)" if by_value is None else str(by_value)]
    n = row["customers"]
    if ctx.table == DIVERSITY:
        label = row[metrics.DIVERSITY]
        crumb = " · ".join([*group, f"{label} event types"])
        # no facts column holds the number of event types: the view itself is the command
        command = ctx.invocation.command("engagement", *(["--by", by] if by else []))

        def load() -> ResultTable:
            return ranked_members(
                a,
                lambda s: metrics.diversity_members(s, label, by, by_value),
                f"{crumb}: {n:,} customers",
            )

    else:
        level = row[metrics.LEVEL]
        crumb = " · ".join([*group, f"{level} engagement"])
        dims = [*([by] if by else []), metrics.LEVEL]
        values = [*([by_value] if by else []), level]
        command = top_command(ctx.invocation, n, match_clause(dims, values))

        def load() -> ResultTable:
            return ranked_members(
                a,
                lambda s: metrics.engagement_level_members(s, level, by, by_value),
                f"{crumb}: {n:,} customers",
            )

    return Members(["Engagement", crumb], load, command, f"engagement-{crumb}")


def _dimension_choices(analysis: Analysis, opts: Opts) -> list[str]:
    # the levels are rows already: grouping them by engagement says nothing
    return [NONE, *(d for d in views.dimensions(analysis) if d != metrics.LEVEL)]


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if not analysis.ds.has("events"):
            return []
        diversity, levels = tables(analysis, None)
        return [
            ReportPart(70, "Event diversity", table=diversity),
            ReportPart(71, "Engagement levels", table=levels),
        ]

    return [job]


VIEW = register(
    View(
        id="engagement",
        title="Engagement",
        group="Engagement",
        help="Customers by distinct event types and by engagement level (events in 90 days).",
        run=run,
        pane="tables",
        options=(
            Option(
                "by",
                ("--by",),
                str,
                None,
                "Also break both tables down by this dimension (shares are within each group).",
            ),
        ),
        drill=drill,
        keys=(
            PaneKey(
                "d",
                "Dimension",
                "by",
                choices=_dimension_choices,
                apply=lambda opts, value: {**opts, "by": None if value == NONE else value},
                current=lambda opts: opts.get("by") or NONE,
                title="Engagement by",
            ),
        ),
        command=lambda opts, table: ["--by", opts["by"]] if opts.get("by") else [],
        report=report,
    )
)

"""Segments (SPEC §2): customers grouped by one or two dimensions; Enter lists
exactly the customers a row counts."""

from __future__ import annotations

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
    register,
)

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")

# The report's segment tables, when the data has the dimension.
REPORT_DIMENSIONS = (("revenue_tier", "Segments by revenue tier"), ("region", "Segments by region"))
NO_SECOND = "(no second dimension)"


def split_dims(by: str) -> list[str]:
    dims = [d.strip() for d in by.split(",") if d.strip()]
    if len(set(dims)) < len(dims):
        raise CxError(f"--by {by!r}: a dimension is named twice; fix: give two different ones")
    return dims


def resolve(analysis: Analysis, opts: Opts) -> Opts:
    """The command's default dimension: revenue_tier, else segment, else region,
    else the first the data has."""
    if opts.get("by"):
        return opts
    dims = views.dimensions(analysis)
    preferred = [d for d in ("revenue_tier", "segment", "region") if d in dims]
    return {**opts, "by": (preferred or dims or ["revenue_tier"])[0]}


def resolve_pane(analysis: Analysis, opts: Opts) -> Opts:
    """The pane starts with the first dimension offered (the derived ones first)."""
    if opts.get("by"):
        return opts
    dims = views.dimensions(analysis)
    return {**opts, "by": dims[0] if dims else "revenue_tier"}


def run(analysis: Analysis, opts: Opts) -> Output:
    opts = resolve(analysis, opts)
    return Output(tables=[views.segments_table(analysis, split_dims(opts["by"]))])


def _label(value: Any) -> str:
    return "(none)" if value is None else str(value)


def drill(ctx: DrillContext) -> Members:
    dims = split_dims(ctx.opts["by"])
    values = [ctx.row[d] for d in dims]
    label = " × ".join(_label(v) for v in values)
    title = f"{label}: {ctx.row['customers']:,} customers"
    a = ctx.analysis
    return Members(
        [views.segments_title(dims), label],
        lambda: views.segment_members_table(a, dims, values, title),
        ctx.invocation.command(
            "top", "-n", str(ctx.row["customers"]), where=match_clause(dims, values)
        ),
        f"segment-{label}",
    )


def _first(opts: Opts, dim: str) -> Opts:
    dims = split_dims(opts["by"])
    return {**opts, "by": ",".join([dim, *[d for d in dims[1:] if d != dim]])}


def _second(opts: Opts, dim: str) -> Opts:
    dims = split_dims(opts["by"])
    return {**opts, "by": ",".join(dims[:1] if dim == NO_SECOND else [dims[0], dim])}


def _second_choices(analysis: Analysis, opts: Opts) -> list[str]:
    first = split_dims(opts["by"])[:1]
    return [NO_SECOND, *[d for d in views.dimensions(analysis) if d not in first]]


def _second_current(opts: Opts) -> str:
    dims = split_dims(opts["by"])
    return dims[1] if len(dims) > 1 else NO_SECOND


def report(analysis: Analysis):
    def job(dim: str, heading: str, order: float):
        def run_one() -> list[ReportPart]:
            if dim not in analysis.facts.columns:
                return []
            rt = views.segments_table(analysis, [dim])
            return [ReportPart(order, heading, table=rt)]

        return run_one

    return [job(dim, heading, 10 + i) for i, (dim, heading) in enumerate(REPORT_DIMENSIONS)]


VIEW = register(
    View(
        id="segments",
        title="Segments",
        help="Customers grouped by one or two dimensions.",
        run=run,
        options=(
            Option(
                "by",
                ("--by",),
                str,
                None,
                "Dimension(s), comma-separated for a cross-tab: revenue_tier, lifecycle, "
                "rfm_segment, engagement, risk_band, or any customer column (default: "
                "revenue_tier, else segment, region or the first dimension the data has).",
            ),
        ),
        resolve=resolve_pane,
        drill=drill,
        keys=(
            PaneKey(
                "d",
                "Dimension",
                "by",
                choices=lambda a, o: views.dimensions(a),
                apply=_first,
                current=lambda o: split_dims(o["by"])[0],
                title="Segment by",
            ),
            PaneKey(
                "x",
                "Cross-tab",
                "by",
                choices=_second_choices,
                apply=_second,
                current=_second_current,
                title="Cross-tab with",
                show=False,
            ),
        ),
        command=lambda opts, table: ["--by", opts["by"]],
        export_name=lambda opts: "segments-" + "-".join(split_dims(opts["by"])),
        report=report,
    )
)

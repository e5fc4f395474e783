"""Segments (SPEC §2): customers grouped by one or two dimensions, with any
numeric column's aggregates added by `--measure COL:AGG` (issue 13); Enter
lists exactly the customers a row counts."""

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
from cxtui.viewdefs.common import subtitle

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
panes = lazy("cxtui.metrics.panes")
segment_measures = lazy("cxtui.metrics.segment_measures")

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


def split_measures(spec: str | None) -> list[str]:
    """ "annual_revenue:mean, mrr:SUM" -> ["annual_revenue:mean", "mrr:sum"]."""
    out = []
    for part in (spec or "").split(","):
        column, sep, agg = part.strip().rpartition(":")
        if part.strip():
            out.append(f"{column.strip()}:{agg.strip().lower()}" if sep else part.strip())
    return out


def _measure_kind(column: str, agg: str, dtype) -> str:
    """How `COL_AGG` is shown: a count is a whole number; money and rates stay
    money and rates; whole numbers and scores stay whole unless averaged."""
    if agg == "count":
        return "int"
    kind = views.spec(column).kind  # the catalog's; text for a column it does not know
    whole = agg in ("sum", "min", "max")
    if kind in ("money", "pct", "float") or (kind in ("int", "score") and whole):
        return kind
    return "int" if dtype.is_integer() and whole else "float"


def segments_table(analysis: Analysis, dims: list[str], measure: str | None) -> ResultTable:
    """The segments table, with the `--measure` columns after the segment keys."""
    if not measure:
        return views.segments_table(analysis, dims)
    scope = analysis.scope
    exprs = segment_measures.parse_segment_measures(scope, measure)
    frame = engine.collect(panes.segments(scope, dims, exprs))
    rt = views.table(f"{views.segments_title(dims)} — {subtitle(analysis)}", frame, analysis)
    schema = analysis.facts.schema
    added = {}
    for item in split_measures(measure):
        column, _, agg = item.rpartition(":")
        added[f"{column}_{agg}"] = _measure_kind(column, agg, schema[column])
    for col in rt.columns:
        if col.key in dims:
            col.priority = 0  # the dimension itself is never hidden
        elif col.key in added:
            col.kind, col.priority = added[col.key], 1  # asked for: kept on narrow screens
    return rt


def run(analysis: Analysis, opts: Opts) -> Output:
    opts = resolve(analysis, opts)
    return Output(tables=[segments_table(analysis, split_dims(opts["by"]), opts.get("measure"))])


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


NO_MEASURE = "(none)"


def _measure_choices(analysis: Analysis, opts: Opts) -> list[str]:
    """(none) clears the measures, a current one is removed, any other added."""
    current = split_measures(opts.get("measure"))
    columns = segment_measures.measure_columns(analysis.scope)
    offered = [f"{c}:{agg}" for c in columns for agg in segment_measures.SEGMENT_AGGREGATES]
    return [
        NO_MEASURE,
        *(f"remove {m}" for m in current),
        *(m for m in offered if m not in current),
    ]


def _apply_measure(opts: Opts, value: str) -> Opts:
    current = split_measures(opts.get("measure"))
    if value == NO_MEASURE:
        current = []
    elif value.startswith("remove ") or value in current:
        gone = value.removeprefix("remove ")
        current = [m for m in current if m != gone]
    else:
        current = [*current, value]
    return {**opts, "measure": ",".join(current) or None}


def command(opts: Opts, table: int) -> list[str]:
    measure = split_measures(opts.get("measure"))
    return ["--by", opts["by"], *(["--measure", ",".join(measure)] if measure else [])]


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
            Option(
                "measure",
                ("--measure",),
                str,
                None,
                "Add aggregates of numeric columns, comma-separated COLUMN:AGGREGATE with "
                "AGGREGATE one of sum, mean, median, min, max, count; e.g. "
                "annual_revenue:mean,mrr:sum (columns named COLUMN_AGGREGATE).",
                metavar="COL:AGG[,…]",
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
                anywhere=True,
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
            PaneKey(
                "a",
                "Add measure",
                "measure",
                choices=_measure_choices,
                apply=_apply_measure,
                current=lambda o: None,
                title="Add a measure (COLUMN:AGGREGATE; pick a current one to remove it)",
            ),
        ),
        command=command,
        export_name=lambda opts: "segments-" + "-".join(split_dims(opts["by"])),
        report=report,
    )
)

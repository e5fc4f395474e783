"""Net and gross revenue retention over 12 months (SPEC §2), overall and by a dimension."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.registry import (
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

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")


def _title(header: dict[str, Any]) -> str:
    return (
        f"Retention {header['start_month']:%Y-%m} → {header['end_month']:%Y-%m}"
        f" — as of {header['as_of']}"
    )


def run(analysis: Analysis, opts: Opts) -> Output:
    result = views.retention_result(analysis, opts.get("by"))
    tables = [result.segments] if result.segments is not None else []

    def as_json(out: Output) -> Any:
        segments = records(out.tables[0]) if out.tables else []
        return {**result.header, "overall": result.overall, "segments": segments}

    return Output(title=_title(result.header), summary=result.overall, tables=tables, json=as_json)


def report_dimension(analysis: Analysis) -> str | None:
    cols = set(analysis.facts.columns)
    return "segment" if "segment" in cols else ("revenue_tier" if "revenue_tier" in cols else None)


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if not analysis.ds.has("monthly"):
            return []
        by = report_dimension(analysis)
        result = views.retention_result(analysis, by)
        parts = [
            ReportPart(
                1,
                "Retention (overall)",
                summary=result.overall,
                table_heading="Retention",
                json_key="retention",
                json_value={**result.header, "overall": result.overall},
                json_order=55,
            )
        ]
        if result.segments is not None:
            parts.append(ReportPart(40, f"Retention by {by}", table=result.segments))
        return parts

    return [job]


VIEW = register(
    View(
        id="retention",
        title="Retention",
        help="Net and gross revenue retention over the last 12 months (monthly MRR).",
        run=run,
        options=(
            Option("by", ("--by",), str, None, "Also break retention down by this dimension."),
        ),
        report=report,
        # the pane breaks retention down by the report's dimension; `d` picks another
        resolve=lambda a, o: o if o.get("by") else {**o, "by": report_dimension(a)},
        keys=(
            PaneKey(
                "d",
                "Dimension",
                "by",
                choices=lambda a, o: views.dimensions(a),
                title="Retention by",
            ),
        ),
    )
)

"""Acquisition (SPEC §8): new customers, spend, CAC, LTV and LTV:CAC per channel
(or any dimension) over the last `--months` calendar months, with the row of
every new customer as the summary block. Enter on a row lists its new customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause, sql_literal
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

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
engine_clv = lazy("cxtui.engine.clv")
acq = lazy("cxtui.metrics.acquisition")
panes = lazy("cxtui.metrics.panes")
render = lazy("cxtui.render")
pl = lazy("polars")

DEFAULT_MONTHS = 3  # the command's, the pane's and the report's window
DEFAULT_BY = "channel"
LTV_METHODS = {
    "contractual": "LTV = ARPA ÷ monthly subscriber churn (monthly MRR)",
    "orders": "LTV = mean predicted clv_12m (orders)",
    None: "LTV needs a monthly or an orders table",
}


def _clv(analysis: Analysis):
    """The CLV predictions when acquisition's LTV is the orders model, else None."""
    if acq.ltv_method(analysis.scope) != "orders":
        return None
    return engine_clv.clv_result(analysis, "acquisition ltv").predictions


def _window_words(analysis: Analysis, months: int) -> str:
    first, last = acq.acquisition_window(analysis.ds.as_of, months)
    span = f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} → {last:%Y-%m}"
    return f"{span} ({months} month{'s' if months != 1 else ''})"


def _footer(analysis: Analysis, by: str) -> str:
    parts = [LTV_METHODS[acq.ltv_method(analysis.scope)]]
    if not analysis.ds.has("spend"):
        parts.append("no spend table: spend and CAC are null")
    elif by != "channel":
        parts.append("spend is by channel: null by another dimension")
    return "; ".join(parts)


def acquisition_result(analysis: Analysis, months: int, by: str):
    """(the per-value table, the total row as a dict), computed once per analysis
    (the pane, the report and the insights' channels share it)."""
    return analysis.derived.get(
        f"acquisition:{months}:{by}", lambda: _acquisition_result(analysis, months, by)
    )


def _acquisition_result(analysis: Analysis, months: int, by: str):
    scope, clv = analysis.scope, _clv(analysis)
    exposure = None
    if acq.ltv_method(scope) == "contractual":  # one pass for the rows' and the total's LTV
        exposure = engine.collect(acq.churn_exposure(scope)).lazy()
    rows, total = engine.collect_all(
        [
            acq.acquisition(scope, months, by, clv, exposure),
            acq.acquisition_total(scope, months, clv, exposure),
        ]
    )
    where = f" · where {analysis.where}" if analysis.where else ""
    title = (
        f"New customers by {by}, {_window_words(analysis, months)} — "
        f"as of {analysis.ds.as_of}{where}"
    )
    rt = views.table(title, rows, analysis, _footer(analysis, by))
    for col in rt.columns:
        if col.key == by:
            col.priority = 0  # the dimension itself is never hidden
    return rt, total.row(0, named=True)


def _by(opts: Opts) -> str:
    return opts.get("by") or DEFAULT_BY


def run(analysis: Analysis, opts: Opts) -> Output:
    months, by = opts.get("months", DEFAULT_MONTHS), _by(opts)
    rt, total = acquisition_result(analysis, months, by)
    first, last = acq.acquisition_window(analysis.ds.as_of, months)

    def as_json(out: Output) -> Any:
        return {
            "as_of": analysis.ds.as_of,
            "months": months,
            "first_month": first,
            "last_month": last,
            "by": by,
            "ltv_method": acq.ltv_method(analysis.scope),
            "total": total,
            "rows": records(out.tables[0]),
        }

    return Output(
        title=f"All new customers, {_window_words(analysis, months)}",
        summary=total,
        tables=[rt],
        extras={"by": by, "total": total},
        json=as_json,
    )


def resolve(analysis: Analysis, opts: Opts) -> Opts:
    """The pane's dimension: channel when the customers have one, else the first
    dimension the data offers."""
    if opts.get("by"):
        return opts
    if DEFAULT_BY in analysis.facts.columns:
        return {**opts, "by": DEFAULT_BY}
    dims = views.dimensions(analysis)
    return {**opts, "by": dims[0] if dims else DEFAULT_BY}


def drill(ctx: DrillContext) -> Members | None:
    by = _by(ctx.opts)
    if by not in ctx.row or not ctx.row.get("new_customers"):
        return None  # a channel that spent and acquired nobody
    a, months, value = ctx.analysis, ctx.opts.get("months", DEFAULT_MONTHS), ctx.row[by]
    first, _ = acq.acquisition_window(a.ds.as_of, months)
    label = "(none)" if value is None else str(value)
    count = ctx.row["new_customers"]
    title = f"New customers, {by} {label}, {_window_words(a, months)}: {count:,}"

    def load():
        match = pl.col(by).is_null() if value is None else pl.col(by) == value
        frame = a.ranked_members(
            lambda scope: acq.acquired(scope, months).filter(match),
            panes.default_top_by(a.scope),
            views.MEMBER_COLUMNS,
        )
        return views.members_table(a, frame, title)

    clause = f"{match_clause([by], [value])} AND start_date >= {sql_literal(first)}"
    return Members(
        ["Acquisition", label],
        load,
        ctx.invocation.command("top", "-n", str(count), where=clause),
        f"acquired-{label}",
    )


def _ratio_words(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}:1"


def summary_line(total: dict[str, Any], currency: str) -> str:
    """ "1,234 new customers; average CAC $X, LTV $Y, LTV:CAC Z:1"."""
    fmt = render.format_value
    cac, ltv = fmt(total.get("cac"), "money", currency), fmt(total.get("ltv"), "money", currency)
    return (
        f"{fmt(total.get('new_customers'), 'int')} new customers; average CAC {cac}, "
        f"LTV {ltv}, LTV:CAC {_ratio_words(total.get('ltv_to_cac'))}"
    )


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if DEFAULT_BY not in analysis.facts.columns:
            return []
        rt, total = acquisition_result(analysis, DEFAULT_MONTHS, DEFAULT_BY)
        first, last = acq.acquisition_window(analysis.ds.as_of, DEFAULT_MONTHS)
        window = _window_words(analysis, DEFAULT_MONTHS)
        lead = f"All channels, {window}:"
        cur = analysis.ds.config.currency
        summary = {
            "months": DEFAULT_MONTHS,
            "first_month": first,
            "last_month": last,
            "ltv_method": acq.ltv_method(analysis.scope),
            **total,
        }
        return [
            ReportPart(
                88,
                "Acquisition",
                bullets=[(lead, summary_line(total, cur))],
                after_bullets=_footer(analysis, DEFAULT_BY),
                json_key="acquisition_summary",
                json_value=summary,
            ),
            ReportPart(88.5, f"Acquisition by channel, {window}", table=rt, json_key="acquisition"),
        ]

    return [job]


VIEW = register(
    View(
        id="acquisition",
        title="Acquisition",
        group="Acquisition & value",
        help=(
            "New customers, spend, CAC, LTV and LTV:CAC per channel (or another dimension) "
            "over the last months."
        ),
        run=run,
        options=(
            Option(
                "months",
                ("--months",),
                int,
                DEFAULT_MONTHS,
                "Calendar months ending with the month of as_of.",
                min=1,
                max=1200,
            ),
            Option(
                "by",
                ("--by",),
                str,
                None,
                "channel (default) or another customer dimension (spend is by channel only).",
            ),
        ),
        pane="acquisition",
        resolve=resolve,
        drill=drill,
        keys=(
            PaneKey(
                "d",
                "Dimension",
                "by",
                choices=lambda a, o: views.dimensions(a),
                title="Acquisition by",
            ),
        ),
        report=report,
    )
)

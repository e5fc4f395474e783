"""Result tables shared by the CLI and the TUI: each pane's query, collected once,
with its column formatting. No printing and no widgets here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from cxtui.engine import Analysis, collect, collect_all
from cxtui.measures import MEASURES, priority_of, render_kind, wraps
from cxtui.metrics import account, panes
from cxtui.metrics.movements import NEW_VS_RETURNING_KEYS, new_vs_returning
from cxtui.metrics.overview import OVERVIEW_KEYS, overview
from cxtui.metrics.retention import (
    RETENTION_KEYS,
    retention_by,
    retention_months,
    retention_overall,
)
from cxtui.render import ColumnSpec, ResultTable, safe_text

# How every catalogued key is formatted, by the renderer's kind names (render
# infers the kind of a column the catalog does not know).
KINDS: dict[str, str] = {key: m.render_kind for key, m in MEASURES.items()}


def spec(key: str) -> ColumnSpec:
    """How column `key` is shown: its kind, narrow-terminal priority and wrapping,
    from the catalog of measures (`cxtui.measures`)."""
    return ColumnSpec(
        key=key,
        kind=render_kind(key),
        priority=priority_of(key),
        wrap=wraps(key),
    )


def segments_title(by: list[str]) -> str:
    """ "Segments by region × plan": the dimensions are column names from the data,
    shown safe and at most 40 characters each (CLI titles and the TUI breadcrumb)."""
    return "Segments by " + " × ".join(safe_text(d, 40) for d in by)


def table(
    title: str,
    frame: pl.DataFrame,
    analysis: Analysis,
    footer: str | None = None,
    columns: list[str] | None = None,
) -> ResultTable:
    keys = columns if columns is not None else frame.columns
    return ResultTable(
        title=title,
        frame=frame,
        columns=[spec(k) for k in keys],
        footer=footer,
        currency=analysis.ds.config.currency,
    )


def _limit(frame: pl.DataFrame, limit: int | None) -> pl.DataFrame:
    return frame if not limit else frame.head(limit)


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


# ---------------------------------------------------------------- panes


def overview_object(analysis: Analysis, buyers: bool = True) -> dict[str, Any]:
    """The overview's keys, then SPEC §8's new vs returning buyers (one collect;
    `buyers=False` leaves them out: the TUI's KPI cards come first without the
    30-day orders pass they need)."""
    if not buyers:
        row = collect(overview(analysis.scope)).row(0, named=True)
        return {k: row[k] for k in OVERVIEW_KEYS}
    kpis, nvr_frame = collect_all([overview(analysis.scope), new_vs_returning(analysis.scope)])
    row, nvr = kpis.row(0, named=True), nvr_frame.row(0, named=True)
    return {**{k: row[k] for k in OVERVIEW_KEYS}, **{k: nvr[k] for k in NEW_VS_RETURNING_KEYS}}


def segments_table(analysis: Analysis, by: list[str], limit: int | None = None) -> ResultTable:
    frame = collect(panes.segments(analysis.scope, by))
    rt = table(
        f"{segments_title(by)} — {_subtitle(analysis)}",
        _limit(frame, limit),
        analysis,
    )
    for col in rt.columns:
        if col.key in by:
            col.priority = 0  # the dimension itself is never hidden
    return rt


def top_table(analysis: Analysis, by: str | None, n: int | None) -> ResultTable:
    by = by or panes.default_top_by(analysis.scope)
    values = None
    if by in panes.TOP_BY_JOINED:  # clv_12m: from the analysis's CLV result
        from cxtui.engine.clv import clv_result

        values = clv_result(analysis, f"top --by {by}").predictions.lazy()
    frame = collect(panes.top_customers(analysis.scope, by, n, values))
    return table(f"Top customers by {by} — {_subtitle(analysis)}", frame, analysis)


def churn_table(analysis: Analysis, window_days: int, window: str, limit=None) -> ResultTable:
    frame = collect(panes.churn_reasons(analysis.scope, window_days))
    footer = None
    if panes.churn_source(analysis.ds) == "is_active":
        footer = "status from is_active: every inactive customer counts (no churn dates)"
    return table(
        f"Churn reasons, last {window} — {_subtitle(analysis)}",
        _limit(frame, limit),
        analysis,
        footer,
    )


def churn_trend_table(analysis: Analysis) -> ResultTable:
    frame = collect(panes.churn_trend(analysis.scope))
    return table(f"Churn trend — {_subtitle(analysis)}", frame, analysis)


def at_risk_table(
    analysis: Analysis, n: int | None, min_score: float
) -> tuple[ResultTable, dict[str, Any]]:
    rows, summary = collect_all(
        [
            panes.at_risk(analysis.scope, n, min_score),
            panes.at_risk_summary(analysis.scope, min_score),
        ]
    )
    s = summary.row(0, named=True)
    from cxtui.render import format_value

    cur = analysis.ds.config.currency
    footer = (
        f"{s['customers']:,} accounts with risk score ≥ {min_score:g}; "
        f"MRR at risk {format_value(s['mrr_at_risk'], 'money', cur)}"
    )
    return table(f"At-risk accounts — {_subtitle(analysis)}", rows, analysis, footer), s


@dataclass
class Retention:
    header: dict[str, Any]
    overall: dict[str, Any]
    segments: ResultTable | None


def retention_result(analysis: Analysis, by: str | None) -> Retention:
    scope = analysis.scope
    s_month, e_month = retention_months(scope)
    header = {"as_of": analysis.ds.as_of, "start_month": s_month, "end_month": e_month, "by": by}
    if not analysis.ds.has("monthly"):
        overall = {k: None for k in RETENTION_KEYS}
        return Retention(header, overall, None)
    queries = [retention_overall(scope)]
    if by:
        panes.check_dimension(scope, by)
        queries.append(retention_by(scope, by))
    frames = collect_all(queries)
    overall = frames[0].row(0, named=True)
    seg = None
    if by:
        seg = table(
            f"Net revenue retention {s_month:%Y-%m} → {e_month:%Y-%m} by {by}", frames[1], analysis
        )
    return Retention(header, {k: overall[k] for k in RETENTION_KEYS}, seg)


MEMBER_COLUMNS = (
    "customer_id",
    "name",
    "segment",
    "status",
    "revenue_12m",
    "mrr",
    "risk_score",
    "owner",
    "churn_date",
    "churn_reason",
)


def members_table(analysis: Analysis, frame: pl.DataFrame, title: str) -> ResultTable:
    """An account list (segment drill-down, churned accounts)."""
    cols = [c for c in MEMBER_COLUMNS if c in frame.columns]
    return table(title, frame.select(cols), analysis)


@dataclass
class Account:
    summary: dict[str, Any]  # fact, signals, actions
    history: dict[str, pl.DataFrame]
    attributes: list[str]  # the customer's own columns, in table order
    as_of: Any = None


def account_result(analysis: Analysis, customer_id: str) -> Account:
    scope = analysis.scope
    history = account.account_history(scope, customer_id)
    frames = collect_all([account.account_fact(scope, customer_id), *history.values()])
    if frames[0].height == 0:
        sample = analysis.facts["customer_id"].head(3).to_list()
        raise account.not_found(sample, customer_id)
    fact = frames[0].row(0, named=True)
    fact.update(account_clv(analysis, customer_id))
    summary = account.account_summary(scope, fact)
    attributes = [c for c in analysis.ds.columns("customers") if c != "customer_id"]
    return Account(
        summary, dict(zip(history, frames[1:], strict=True)), attributes, analysis.ds.as_of
    )


def account_clv(analysis: Analysis, customer_id: str) -> dict[str, Any]:
    """The customer's p_alive and clv_12m (SPEC §8) when the data has orders (null
    for a customer without orders), from the analysis's CLV result; {} without."""
    if not analysis.ds.has("orders"):
        return {}
    from cxtui.engine.clv import clv_result

    predictions = clv_result(analysis, "account").predictions
    row = predictions.filter(pl.col("customer_id") == customer_id)
    values = row.row(0, named=True) if row.height else {}
    return {k: values.get(k) for k in ("p_alive", "clv_12m")}


# ---------------------------------------------------------------- TUI helpers


def overview_extras(analysis: Analysis, dims: list[str]) -> tuple[pl.DataFrame, list[ResultTable]]:
    """The Overview pane's 12-month trend and a segments table per dimension, in
    one parallel collect (the KPIs come first, from `overview_object`)."""
    from cxtui.metrics.trend import monthly_trend

    scope = analysis.scope
    frames = collect_all([monthly_trend(scope), *(panes.segments(scope, [d]) for d in dims)])
    tables = [
        table(f"{segments_title([d])} — {_subtitle(analysis)}", f, analysis)
        for d, f in zip(dims, frames[1:], strict=True)
    ]
    return frames[0], tables


def dimensions(analysis: Analysis) -> list[str]:
    return panes.dimensions(analysis.scope)


def segment_members_table(
    analysis: Analysis, by: list[str], values: list[Any], title: str
) -> ResultTable:
    """Exactly the customers a segments row counts, biggest first."""
    order = panes.default_top_by(analysis.scope)
    frame = analysis.ranked_members(
        lambda scope: panes.segment_members(scope, by, values), order, MEMBER_COLUMNS
    )
    return members_table(analysis, frame, title)


def where_members_table(analysis: Analysis, clause: str, title: str) -> ResultTable:
    """The started customers a --where clause over the facts selects (an
    insight's accounts), biggest first."""
    from cxtui.engine import where_expr

    order = panes.default_top_by(analysis.scope)
    expr = where_expr(clause, analysis.facts.schema)
    frame = analysis.ranked_members(
        lambda scope: scope.universe.filter(expr), order, MEMBER_COLUMNS
    )
    return members_table(analysis, frame, title)


def churned_members_table(
    analysis: Analysis, window_days: int, reason: str | None, title: str
) -> ResultTable:
    frame = collect(panes.churned_accounts(analysis.scope, window_days, reason))
    return members_table(analysis, frame, title)


def sort_table(rt: ResultTable, key: str, descending: bool) -> ResultTable:
    frame = rt.frame.sort(key, descending=descending, nulls_last=True, maintain_order=True)
    return ResultTable(rt.title, frame, rt.columns, rt.footer, rt.currency)


def filter_table(rt: ResultTable, text: str) -> ResultTable:
    """Rows where any text column contains `text` (case-insensitive, literal)."""
    if not text:
        return rt
    needle = text.lower()
    frame = rt.frame
    conds = [
        pl.col(c).cast(pl.String).str.to_lowercase().str.contains(needle, literal=True)
        for c, dtype in frame.schema.items()
        if dtype == pl.String or dtype == pl.Categorical
    ]
    if not conds:
        return ResultTable(rt.title, frame.clear(), rt.columns, rt.footer, rt.currency)
    filtered = frame.filter(pl.any_horizontal(conds).fill_null(False))
    return ResultTable(rt.title, filtered, rt.columns, rt.footer, rt.currency)

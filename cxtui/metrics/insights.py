"""SPEC §11 insights: ranked findings computed by rules from the other views.

Each rule reads what the data supports and gives an `Insight`: a title, the
evidence (the numbers and the window), how many customers it concerns, the
value at stake, a recommended action, the `cxtui …` command that prints the
underlying view, and a `--where` clause over the facts that selects exactly
its customers (the drill-down). A rule the data cannot support gives a note
naming the table or column that would enable it. Thresholds come from
`cxtui.toml [insights]` (config.DEFAULT_INSIGHTS).

Value at stake is the customers' annual value (SPEC Part II "value":
revenue_12m with orders, else annual_revenue, else 12 × mrr), except where a
rule says otherwise (a channel's spend, lost MRR annualised, a lift
opportunity). Insights are ranked by value at stake, descending, the ones
without a value last (then by customers, then title).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from cxtui.metrics.periods import shift_days
from cxtui.metrics.scope import Scope
from cxtui.metrics.values import value_expr

INSIGHT_KEYS = (
    "rank",
    "title",
    "evidence",
    "customers",
    "value",
    "recommended_action",
    "command",
)


@dataclass
class Insight:
    id: str
    title: str
    evidence: str
    customers: int | None
    value: float | None
    recommended_action: str
    command: list[str]  # the view and its arguments, after the dataset
    where: str | None = None  # the facts filter selecting exactly its customers
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Insights:
    found: list[Insight]
    notes: list[str]  # rules left out, and which table or column would enable them


def thresholds(scope: Scope) -> dict[str, float]:
    return dict(scope.ds.config.insights)


def _value(scope: Scope) -> pl.Expr:
    expr = value_expr(scope)
    return expr if expr is not None else pl.lit(None, dtype=pl.Float64)


# ---------------------------------------------------------------- account rules


def account_clauses(scope: Scope) -> dict[str, str | None]:
    """The facts filters of the account-level rules (None: the data cannot say)."""
    t = thresholds(scope)
    cols = set(scope.fact_columns())
    risk = f"active AND risk_score >= {t['risk_score']:g}"
    out: dict[str, str | None] = {"at_risk": risk}
    out["lapsing_buyers"] = (
        f"active AND lifetime_orders >= {int(t['min_orders'])} "
        f"AND days_since_last_order >= {int(t['order_gap_days'])}"
        if scope.ds.has("orders")
        else None
    )
    out["detractors"] = "min_score_90d <= 6" if "min_score_90d" in cols else None
    out["payment_issues"] = (
        "active AND payment_events_90d > 0"
        if scope.ds.has("events") and "payment_events_90d" in cols
        else None
    )
    out["renewals_at_risk"] = (
        f"{risk} AND s_renewal_due IS NOT NULL" if "renewal_date" in cols else None
    )
    return out


def account_counts(scope: Scope, clauses: dict[str, str | None]) -> pl.LazyFrame:
    """One row: each account rule's customers, Σ value and Σ mrr, in one pass
    over the started customers."""
    value = _value(scope)
    mrr = pl.col("mrr") if scope.ds.has("monthly") else pl.lit(None, dtype=pl.Float64)
    aggs: list[pl.Expr] = []
    for rule, clause in clauses.items():
        if clause is None:
            continue
        hit = pl.sql_expr(clause).fill_null(False)
        aggs += [
            hit.sum().cast(pl.Int64).alias(f"{rule}__customers"),
            value.filter(hit).sum().alias(f"{rule}__value"),
            mrr.filter(hit).sum().alias(f"{rule}__mrr"),
        ]
    return scope.universe.select(aggs)


# ---------------------------------------------------------------- churn reasons


def churn_windows(as_of: date, days: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """(this window, the one before): (as_of − days, as_of] and (as_of − 2·days, as_of − days]."""
    start = shift_days(as_of, -days)
    return (start, as_of), (shift_days(as_of, -2 * days), start)


def churn_reason_counts(scope: Scope, days: int) -> pl.LazyFrame:
    """Per reason ("Unknown" for a missing one), customers churned in this window
    and in the one before, with their value now and their last MRR."""
    (s1, e1), (s0, e0) = churn_windows(scope.as_of, days)
    cols = set(scope.fact_columns())
    reason = (
        pl.col("churn_reason").fill_null("Unknown") if "churn_reason" in cols else pl.lit("Unknown")
    )
    churn = pl.col("churn_date")
    now = (churn > s1) & (churn <= e1)
    before = (churn > s0) & (churn <= e0)
    lost = pl.col("last_positive_mrr") if "last_positive_mrr" in cols else pl.lit(None, pl.Float64)
    return (
        scope.universe.filter(churn.is_not_null())
        .with_columns(reason.alias("reason"))
        .group_by("reason")
        .agg(
            now.sum().cast(pl.Int64).alias("churned"),
            before.sum().cast(pl.Int64).alias("churned_before"),
            lost.filter(now).sum().alias("lost_mrr"),
            _value(scope).filter(now).sum().alias("lost_value"),
        )
        .filter(pl.col("churned") > 0)
        .sort(["churned", "reason"], descending=[True, False])
    )


# ---------------------------------------------------------------- the rules

Money = Callable[[float | None], str]


def _n(count: int | None) -> str:
    return f"{count or 0:,}"


def account_insights(scope: Scope, row: dict[str, Any], money: Money) -> list[Insight]:
    """The account-level rules from `account_counts`' row."""
    t = thresholds(scope)
    clauses = account_clauses(scope)
    score = f"{t['risk_score']:g}"
    out: list[Insight] = []

    def get(rule: str, what: str) -> Any:
        return row.get(f"{rule}__{what}")

    def add(rule: str, title: str, evidence: str, action: str, command: list[str]) -> None:
        n = get(rule, "customers")
        if clauses.get(rule) is not None and n:
            out.append(
                Insight(
                    rule, title, evidence, n, get(rule, "value"), action, command, clauses[rule]
                )
            )

    mrr_note = (
        f"; MRR at risk {money(get('at_risk', 'mrr'))}" if get("at_risk", "mrr") is not None else ""
    )
    add(
        "at_risk",
        "Accounts at risk",
        f"{_n(get('at_risk', 'customers'))} active accounts score ≥ {score} as of "
        f"{scope.as_of}{mrr_note}",
        "Have each owner contact their highest-scoring accounts this week, starting with "
        "the signals shown in `cxtui at-risk`",
        ["at-risk", "-n", str(get("at_risk", "customers") or 0), "--min-score", score],
    )
    gap, orders = int(t["order_gap_days"]), int(t["min_orders"])
    add(
        "lapsing_buyers",
        "Repeat buyers gone quiet",
        f"{_n(get('lapsing_buyers', 'customers'))} active customers with ≥ {orders} orders "
        f"have not ordered for {gap}+ days",
        "Send a win-back offer or a personal check-in before they lapse for good",
        ["top", "-n", str(get("lapsing_buyers", "customers") or 0)],
    )
    add(
        "detractors",
        "Detractors in the last 90 days",
        f"{_n(get('detractors', 'customers'))} customers gave a score ≤ 6 in the 90 days to "
        f"{scope.as_of}",
        "Follow up each detractor personally within 48 hours and log the top complaint",
        ["satisfaction"],
    )
    add(
        "payment_issues",
        "Payment issues in the last 90 days",
        f"{_n(get('payment_issues', 'customers'))} active accounts had a failed payment "
        f"in the 90 days to {scope.as_of}",
        "Work through them with billing before service is interrupted",
        ["top", "-n", str(get("payment_issues", "customers") or 0)],
    )
    add(
        "renewals_at_risk",
        "Renewals due among at-risk accounts",
        f"{_n(get('renewals_at_risk', 'customers'))} accounts scoring ≥ {score} renew within "
        f"90 days of {scope.as_of}",
        "Prepare each renewal now: a value recap with the sponsor and a plan for the signals",
        ["at-risk", "-n", str(get("renewals_at_risk", "customers") or 0), "--min-score", score],
    )
    return out


def churn_insight(scope: Scope, reasons: pl.DataFrame, days: int, money: Money) -> Insight | None:
    """The largest churn reason of the window, and whether it grew against the
    window before."""
    if reasons.height == 0:
        return None
    top = reasons.row(0, named=True)
    now, before = top["churned"], top["churned_before"]
    if before:
        change = now / before - 1
        trend = f"{'up' if change > 0 else 'down' if change < 0 else 'flat'} {abs(change):.0%}"
        trend += f" from {before:,} in the {days} days before"
    else:
        trend = f"none in the {days} days before"
    lost = top["lost_mrr"]
    value = lost * 12 if lost is not None and scope.ds.has("monthly") else top["lost_value"]
    (start, end) = churn_windows(scope.as_of, days)[0]
    reason = top["reason"]
    if "churn_reason" in set(scope.fact_columns()):
        if reason == "Unknown":
            reason_clause = "(churn_reason IS NULL OR churn_reason = 'Unknown')"
        else:
            reason_clause = "churn_reason = " + "'" + str(reason).replace("'", "''") + "'"
        reason_clause += " AND "
    else:
        reason_clause = ""
    where = f"{reason_clause}churn_date > DATE '{start}' AND churn_date <= DATE '{end}'"
    return Insight(
        "churn_reason",
        f"Largest churn reason: {reason}",
        f"{now:,} customers churned for this reason in the {days} days to {scope.as_of} "
        f"({trend}); lost MRR {money(lost)}",
        now,
        value,
        "Review these exits with the team that owns the reason and fix its root cause",
        ["churn", "--window", f"{days}d"],
        where,
        {"grew": bool(before) and now > before},
    )


def retention_insight(
    scope: Scope, by: str, segments: pl.DataFrame, money: Money
) -> Insight | None:
    """The segment with the lowest NRR (among those with at least min_customers
    in the retention base)."""
    t = thresholds(scope)
    # the null group also holds ids that are not customers: no segment to act on
    rows = segments.filter(
        pl.col(by).is_not_null()
        & pl.col("nrr").is_not_null()
        & (pl.col("customers") >= t["min_customers"])
    ).sort(["nrr", by], nulls_last=True)
    if rows.height < 2:  # a single segment is no comparison
        return None
    low = rows.row(0, named=True)
    # value at stake: the MRR the segment lost net over the 12 months, annualised
    lost = max(0.0, (low["start_mrr"] or 0.0) - (low["end_mrr"] or 0.0)) * 12
    value = low[by]
    clause = f"{by} IS NULL" if value is None else f"{by} = '" + str(value).replace("'", "''") + "'"
    return Insight(
        "lowest_nrr",
        f"Lowest net revenue retention: {by} {value if value is not None else '(none)'}",
        f"NRR {low['nrr']:.1%} over 12 months ({low['customers']:,} accounts; MRR "
        f"{money(low['start_mrr'])} → {money(low['end_mrr'])})",
        low["customers"],
        lost,
        "Find what the churned and contracted accounts of this segment have in common",
        ["retention", "--by", by],
        f"{clause} AND mrr_12m_ago > 0",
        {"nrr": low["nrr"]},
    )


def channel_insights(channels: pl.DataFrame, months: int, money: Money) -> list[Insight]:
    """The channels with the best and the worst LTV:CAC over the window."""
    rows = channels.filter(pl.col("ltv_to_cac").is_not_null() & pl.col("channel").is_not_null())
    if rows.height < 2:
        return []
    rows = rows.sort(["ltv_to_cac", "channel"], descending=[True, False])
    out = []
    for kind, row in (("best", rows.row(0, named=True)), ("worst", rows.row(-1, named=True))):
        name = str(row["channel"])
        action = (
            "Shift budget towards this channel while its CAC holds"
            if kind == "best"
            else "Cut or rework this channel's spend: each customer costs more than the others"
        )
        out.append(
            Insight(
                f"channel_{kind}",
                f"{'Best' if kind == 'best' else 'Worst'} LTV:CAC channel: {name}",
                f"LTV:CAC {row['ltv_to_cac']:.1f}:1 (CAC {money(row['cac'])}, LTV "
                f"{money(row['ltv'])}) for {row['new_customers']:,} new customers in the last "
                f"{months} months",
                row["new_customers"],
                row["spend"],  # value at stake: what the channel costs
                action,
                ["acquisition", "--months", str(months)],
                "channel = '" + name.replace("'", "''") + "'",
                {"ltv_to_cac": row["ltv_to_cac"], "spend": row["spend"]},
            )
        )
    return out


def lift_insight(summary: dict[str, Any], money: Money) -> Insight | None:
    """The lift opportunity of the default event (an association, not an effect)."""
    opportunity = summary.get("opportunity")
    if opportunity is None or opportunity <= 0:
        return None
    name = summary["name"]
    evidence = (
        f"customers with {name} are worth {money(summary['value_mean_with'])} a year against "
        f"{money(summary['value_mean_without'])} without; {summary['customers_without']:,} "
        "customers without (an association, not a proven effect)"
    )
    return Insight(
        "lift",
        f"Lift opportunity: {summary['subject']}",
        evidence,
        summary["customers_without"],
        opportunity,
        f"Offer {name} to the customers without it and measure the difference",
        ["lift", "--event", name] if summary["kind"] == "event" else ["lift", "--flag", name],
    )


# ---------------------------------------------------------------- ranking


def ranked(found: list[Insight]) -> list[Insight]:
    return sorted(
        found,
        key=lambda i: (
            i.value is None,
            -(i.value or 0.0),
            -(i.customers or 0),
            i.title,
        ),
    )


def insight_rows(found: list[Insight]) -> list[dict[str, Any]]:
    """The table / JSON rows, in rank order."""
    return [
        {
            "rank": i,
            "id": ins.id,
            "title": ins.title,
            "evidence": ins.evidence,
            "customers": ins.customers,
            "value": ins.value,
            "recommended_action": ins.recommended_action,
        }
        for i, ins in enumerate(found, start=1)
    ]

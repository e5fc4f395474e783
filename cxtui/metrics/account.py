"""SPEC §2 "Account detail": one customer's facts, history and recommended actions."""

from __future__ import annotations

from typing import Any

import polars as pl

from cxtui.data.load import Dataset
from cxtui.data.schema import INSTANTS, SCHEMA
from cxtui.errors import CxError
from cxtui.metrics.periods import add_months, month_start, shift_days
from cxtui.metrics.scope import Scope
from cxtui.metrics.signals import SIGNALS


def account_fact(scope: Scope, customer_id: str) -> pl.LazyFrame:
    """The customer's facts row (empty when the id is unknown)."""
    return scope.facts.filter(pl.col("customer_id") == customer_id)


def not_found(scope_ids: list[str], customer_id: str) -> CxError:
    return CxError(
        f"customer {customer_id!r} not found; fix: use an id from the customers table "
        f"(e.g. {', '.join(map(str, scope_ids))}), see `cxtui top`"
    )


def signal_rows(fact: dict[str, Any], weights: dict[str, float]) -> list[dict[str, Any]]:
    """Every risk signal with its before/after values, strength and points."""
    out = []
    for signal in SIGNALS:
        before, after = signal.before_column, signal.after_column
        strength = fact.get(f"s_{signal.id}")
        out.append(
            {
                "signal": signal.id,
                "measure": signal.label,
                "before": fact.get(before) if before else None,
                "after": fact.get(after) if after else None,
                "fires": strength is not None,
                "strength": strength,
                "weight": weights[signal.id],
                "points": fact.get(f"risk_{signal.id}") or 0.0,
                "action": signal.action if strength is not None else None,
            }
        )
    return out


def recommended_actions(fact: dict[str, Any], signals: list[dict[str, Any]]) -> list[str]:
    owner = fact.get("owner") or "the account owner"
    firing = sorted((s for s in signals if s["fires"]), key=lambda s: -s["points"])
    return [f"{owner}: {s['action']}" for s in firing]


def account_history(scope: Scope, customer_id: str) -> dict[str, pl.LazyFrame]:
    """Last 12 months of metrics, 10 latest orders, events by type, recent feedback
    (the rows of the dataset, also for an analysis store: `Dataset.account_rows`)."""
    as_of = scope.as_of
    ds = scope.ds.account_rows()
    only = pl.col("customer_id") == customer_id
    out: dict[str, pl.LazyFrame] = {}
    if ds.has("monthly"):
        first = add_months(month_start(as_of), -11)
        keep = [c for c in SCHEMA["monthly"] if c in ds.columns("monthly") and c != "customer_id"]
        out["monthly"] = (
            ds.scan("monthly").filter(only & (pl.col("month") >= first)).select(keep).sort("month")
        )
    if ds.has("orders"):
        keep = [c for c in SCHEMA["orders"] if c in ds.columns("orders") and c != "customer_id"]
        out["orders"] = (
            ds.scan("orders").filter(only).select(keep).sort("order_date", descending=True).head(10)
        )
    if ds.has("events"):
        d90 = shift_days(as_of, -90)
        out["events"] = (
            ds.scan("events")
            .filter(only)
            .group_by("event_type")
            .agg(
                (pl.col("ts") > d90).sum().cast(pl.Int64).alias("last_90d"),
                pl.len().cast(pl.Int64).alias("lifetime"),
            )
            .sort(["lifetime", "event_type"], descending=[True, False])
        )
    if ds.has("feedback"):
        # topic and csat beside the score when the data has them; the comment last
        order = ("date", "score", "csat", "topic", "comment")
        keep = [c for c in order if c in ds.columns("feedback")]
        out["feedback"] = (
            ds.scan("feedback").filter(only).select(keep).sort("date", descending=True).head(10)
        )
    if ds.has("tickets"):
        out["tickets"] = latest_tickets(scope, customer_id, ds=ds)
    return out


# account detail's Tickets section, in order (SPEC §9)
TICKET_COLUMNS = ("created_at", "first_response_hours", "resolved_at", "topic", "status")


def latest_tickets(
    scope: Scope, customer_id: str, n: int = 10, ds: Dataset | None = None
) -> pl.LazyFrame:
    """The customer's `n` latest tickets (SPEC §9), newest first: created_at (its
    date), first_response_hours (creation to first response; null when none is
    dated on or before as_of), resolved_at (the date, when on or before as_of),
    topic and status as recorded; columns the table lacks are left out. `ds`:
    the dataset whose rows are read (default: the scope's)."""
    ds = scope.ds if ds is None else ds
    cols = ds.columns("tickets")
    created = pl.col(INSTANTS[("tickets", "created_at")])

    def seen(name: str) -> pl.Expr:
        return pl.when(pl.col(name).dt.date() <= scope.as_of).then(pl.col(name))

    exprs = {"created_at": pl.col("created_at")}
    if "first_response_at" in cols:
        hours = (seen("first_response_at") - created).dt.total_microseconds() / 3_600_000_000
        exprs["first_response_hours"] = hours
    if "resolved_at" in cols:
        exprs["resolved_at"] = seen("resolved_at").dt.date()
    exprs |= {c: pl.col(c) for c in ("topic", "status") if c in cols}
    return (
        ds.scan("tickets")
        .filter(pl.col("customer_id") == customer_id)
        .sort(created, descending=True, nulls_last=True, maintain_order=True)
        .head(n)
        .select(exprs[name].alias(name) for name in TICKET_COLUMNS if name in exprs)
    )


def account_summary(scope: Scope, fact: dict[str, Any]) -> dict[str, Any]:
    """The facts row with every signal explained and the actions for the owner."""
    signals = signal_rows(fact, scope.ds.config.risk_weights)
    return {
        "fact": fact,
        "signals": signals,
        "actions": recommended_actions(fact, signals) if fact.get("active") else [],
    }

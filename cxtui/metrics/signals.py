"""SPEC §2 "Risk score": the table of risk signals, one entry per signal.

Everything else about a signal is derived from its entry: the `[risk]` keys that
cxtui.toml accepts and their defaults (`data.config`), the facts' `s_<id>`
strength and `risk_<id>` points columns and the at-risk `signals` text
(`metrics.facts`), and the account detail's before → after values and next
action (`metrics.account`). What genuinely differs per signal, the strength
formula and the value its text shows, is a small function named in the entry.

A strength is 0–1 where the signal fires and null where it does not; the facts
keep it for active customers only and weigh it into the score. Nothing is
collected here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from cxtui.metrics.periods import shift_days

# Thresholds hold at equality: a change of exactly −30% is computed in floating
# point as −0.29999999999999993 (7/3 ÷ 10/3 − 1), so comparisons allow EPS.
EPS = 1e-9

Thresholds = Mapping[str, float]


@dataclass(frozen=True)
class RiskSignal:
    id: str  # the [risk.weights] key and the s_<id> / risk_<id> facts columns
    weight: float  # points at full strength (SPEC §2)
    thresholds: dict[str, float]  # [risk.thresholds] key -> default
    before_column: str | None  # facts column with the value before (block P), if any
    after_column: str | None  # facts column with the value now (block R, or the fact)
    text: str  # the signals-text template; "{}" is where `text_value` goes
    label: str  # what the before / after values measure (account detail)
    action: str  # the next action for the account owner when it fires
    needs: tuple[str, ...]  # facts columns the strength and the text read
    strength: Callable[[Thresholds, date], pl.Expr]  # (thresholds, as_of) -> strength
    text_value: Callable[[], pl.Expr]  # the text's value, as a String expression

    def text_expr(self) -> pl.Expr:
        """The signal's part of the signals text, e.g. "logins −46%"."""
        before, _, after = self.text.partition("{}")
        pieces = [pl.lit(before)] if before else []
        pieces.append(self.text_value())
        if after:
            pieces.append(pl.lit(after))
        return pl.concat_str(pieces)


# ---------------------------------------------------------------- rounding and text


def round_half_away(expr: pl.Expr) -> pl.Expr:
    """Round half away from zero; the 1e-9 nudge absorbs float noise like 12.4999999."""
    x = expr.round(9)
    return (x.abs() + 0.5).floor() * x.sign()


def _whole(expr: pl.Expr) -> pl.Expr:
    """A whole number for the signal text, rounded half away from zero like the
    score (polars' own `round` takes halves to even: −36.5 would show as −36)."""
    return round_half_away(expr).cast(pl.Int64, strict=False)


def _pct(expr: pl.Expr) -> pl.Expr:
    """A signed whole-number percentage as text with a real minus sign: −46%, +196%."""
    v = _whole(expr * 100)
    sign = pl.when(v < 0).then(pl.lit("−")).otherwise(pl.lit("+"))
    return pl.concat_str(sign, v.abs().cast(pl.String), pl.lit("%"))


def _change(prefix: str) -> pl.Expr:
    """mean_R ÷ mean_P − 1 of a monthly block (SPEC §2's "change")."""
    return pl.col(f"{prefix}_r") / pl.col(f"{prefix}_p") - 1


def _ticket_ratio() -> pl.Expr:
    return pl.col("tickets_r") / pl.max_horizontal(pl.col("tickets_p"), pl.lit(1.0)) - 1


def _capped(expr: pl.Expr) -> pl.Expr:
    return pl.min_horizontal(pl.lit(1.0), expr)


# ---------------------------------------------------------------- strengths


def _decline(prefix: str, fire_at: float, full: float) -> pl.Expr:
    """mean_P > 0 and change ≤ fire_at: strength min(1, −change ÷ full)."""
    p, r = pl.col(f"{prefix}_p"), pl.col(f"{prefix}_r")
    change = _change(prefix)
    fires = (p > 0) & r.is_not_null() & (change <= fire_at + EPS)
    return pl.when(fires).then(_capped(-change / full))


def _login_decline(t: Thresholds, as_of: date) -> pl.Expr:
    return _decline("logins", t["login_decline_change"], t["login_decline_full"])


def _usage_decline(t: Thresholds, as_of: date) -> pl.Expr:
    return _decline("features", t["usage_decline_change"], t["usage_decline_full"])


def _ticket_spike(t: Thresholds, as_of: date) -> pl.Expr:
    p, r = pl.col("tickets_p"), pl.col("tickets_r")
    fires = (r >= t["ticket_spike_ratio"] * p - EPS) & (
        r - p >= t["ticket_spike_min_increase"] - EPS
    )
    return pl.when(fires).then(_capped(_ticket_ratio() / t["ticket_spike_full"]))


def _nps_drop(t: Thresholds, as_of: date) -> pl.Expr:
    delta = pl.col("nps_r") - pl.col("nps_p")
    return pl.when(delta <= t["nps_drop_delta"] + EPS).then(_capped(-delta / t["nps_drop_full"]))


def _order_gap(t: Thresholds, as_of: date) -> pl.Expr:
    days = pl.col("days_since_last_order")
    fires = (pl.col("lifetime_orders") >= t["order_gap_min_orders"]) & (days >= t["order_gap_days"])
    return pl.when(fires).then(_capped(days / t["order_gap_full_days"]))


def _detractor(t: Thresholds, as_of: date) -> pl.Expr:
    return pl.when(pl.col("min_score_90d") <= t["detractor_max_score"]).then(1.0)


def _renewal_due(t: Thresholds, as_of: date) -> pl.Expr:
    rd = pl.col("renewal_date")
    due = (rd > as_of) & (rd <= shift_days(as_of, int(t["renewal_due_days"])))
    return pl.when(due).then(1.0)


def _payment_issue(t: Thresholds, as_of: date) -> pl.Expr:
    return pl.when(pl.col("payment_events_90d") > 0).then(1.0)


# ---------------------------------------------------------------- the table

SIGNALS: tuple[RiskSignal, ...] = (
    RiskSignal(
        id="login_decline",
        weight=25.0,
        thresholds={
            "login_decline_change": -0.30,  # fires when change <= this
            "login_decline_full": 0.60,  # strength 1 at this decline
        },
        before_column="logins_p",
        after_column="logins_r",
        text="logins {}",
        label="Logins per month",
        action="book a check-in call to find out why usage dropped and re-onboard the key users",
        needs=("logins_p", "logins_r"),
        strength=_login_decline,
        text_value=lambda: _pct(_change("logins")),
    ),
    RiskSignal(
        id="ticket_spike",
        weight=20.0,
        thresholds={
            "ticket_spike_ratio": 1.5,  # mean_R >= ratio x mean_P
            "ticket_spike_min_increase": 1.0,  # and mean_R - mean_P >= this
            "ticket_spike_full": 2.0,  # strength = (ratio - 1) / this
        },
        before_column="tickets_p",
        after_column="tickets_r",
        text="tickets {}",
        label="Support tickets per month",
        action="review the open tickets for a systemic issue this week and agree a fix plan",
        needs=("tickets_p", "tickets_r"),
        strength=_ticket_spike,
        text_value=lambda: _pct(_ticket_ratio()),
    ),
    RiskSignal(
        id="nps_drop",
        weight=20.0,
        thresholds={
            "nps_drop_delta": -10.0,  # fires when delta <= this
            "nps_drop_full": 40.0,  # strength 1 at this drop
        },
        before_column="nps_p",
        after_column="nps_r",
        text="NPS −{} pts",
        label="Account NPS",
        action="call the sponsor about the falling NPS and log the top complaint",
        needs=("nps_p", "nps_r"),
        strength=_nps_drop,
        text_value=lambda: _whole(pl.col("nps_r") - pl.col("nps_p")).abs().cast(pl.String),
    ),
    RiskSignal(
        id="usage_decline",
        weight=15.0,
        thresholds={
            "usage_decline_change": -0.20,  # fires when change <= this
            "usage_decline_full": 0.50,  # strength 1 at this decline
        },
        before_column="features_p",
        after_column="features_r",
        text="usage {}",
        label="Features used",
        action="run a feature adoption session for the features they stopped using",
        needs=("features_p", "features_r"),
        strength=_usage_decline,
        text_value=lambda: _pct(_change("features")),
    ),
    RiskSignal(
        id="order_gap",
        weight=20.0,
        thresholds={
            "order_gap_days": 90.0,  # fires at this many days since the last order
            "order_gap_min_orders": 2.0,  # for customers with at least this many orders
            "order_gap_full_days": 180.0,  # strength 1 at this many days
        },
        before_column=None,
        after_column="days_since_last_order",
        text="no order for {} days",
        label="Days since last order",
        action="reach out with a re-order reminder or offer before they lapse",
        needs=("lifetime_orders", "days_since_last_order"),
        strength=_order_gap,
        text_value=lambda: pl.col("days_since_last_order").cast(pl.String),
    ),
    RiskSignal(
        id="detractor",
        weight=15.0,
        thresholds={"detractor_max_score": 6.0},  # a survey score <= this in 90d
        before_column=None,
        after_column="min_score_90d",
        text="detractor (score {})",
        label="Lowest survey score in 90 days",
        action="follow up on the detractor survey answer personally within 48 hours",
        needs=("min_score_90d",),
        strength=_detractor,
        text_value=lambda: _whole(pl.col("min_score_90d")).cast(pl.String),
    ),
    RiskSignal(
        id="renewal_due",
        weight=10.0,
        thresholds={"renewal_due_days": 90.0},  # renewal_date in (as_of, as_of + this]
        before_column=None,
        after_column="renewal_date",
        text="renewal {}",
        label="Renewal date",
        action="prepare the renewal: value recap and pricing before the date",
        needs=("renewal_date",),
        strength=_renewal_due,
        text_value=lambda: pl.col("renewal_date").cast(pl.String),
    ),
    RiskSignal(
        id="payment_issue",
        weight=10.0,
        thresholds={},  # the event types are [risk] payment_event_types
        before_column=None,
        after_column="payment_events_90d",
        text="payment issues ×{}",
        label="Payment failures in 90 days",
        action="sort out the failed payment with billing before service is interrupted",
        needs=("payment_events_90d",),
        strength=_payment_issue,
        text_value=lambda: pl.col("payment_events_90d").cast(pl.String),
    ),
)

# Thresholds on the score itself rather than on one signal.
SCORE_THRESHOLDS: dict[str, float] = {
    "at_risk_score": 60.0,  # lifecycle "At Risk", at_risk_customers, risk_band High
    "medium_risk_score": 30.0,  # risk_band Medium
}

SIGNAL_IDS: tuple[str, ...] = tuple(s.id for s in SIGNALS)


def default_weights() -> dict[str, float]:
    """[risk.weights] defaults, in table order."""
    return {s.id: s.weight for s in SIGNALS}


def default_thresholds() -> dict[str, float]:
    """[risk.thresholds] defaults: every signal's, in table order, then the score's."""
    return {**{k: v for s in SIGNALS for k, v in s.thresholds.items()}, **SCORE_THRESHOLDS}

"""An independent, plain-Python reading of SPEC §2 (with the §6 exact readings).

Written from SPEC.md, docs/metrics.md and docs/config.md only -- never from
``cxtui/metrics``, ``cxtui/engine.py`` or ``cxtui/views.py`` -- so that
``tests/test_reference.py`` can check cxtui's numbers a second way.

pyarrow is used only to read Parquet files into lists of dicts; every metric
is a loop over rows with ``datetime.date`` arithmetic done by hand.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

TABLES = ("customers", "orders", "monthly", "events", "feedback")
DERIVED = ("revenue_tier", "lifecycle", "rfm_segment", "engagement", "risk_band")
SIGNALS = (
    "login_decline",
    "ticket_spike",
    "nps_drop",
    "usage_decline",
    "order_gap",
    "detractor",
    "renewal_due",
    "payment_issue",
)
WEIGHTS = {
    "login_decline": 25,
    "ticket_spike": 20,
    "nps_drop": 20,
    "usage_decline": 15,
    "order_gap": 20,
    "detractor": 15,
    "renewal_due": 10,
    "payment_issue": 10,
}


# --------------------------------------------------------------------------- helpers


def to_day(value: Any) -> date | None:
    """A calendar date from a date, a timestamp (its own calendar date) or ISO text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# rows whose customer_id is null: kept like orphan rows (they count in overview's
# totals, retention and as_of) but never a customer; "\0" is no real id
NULL_ID = "\0null"


def id_text(value: Any) -> str:
    """Ids are compared as text."""
    return NULL_ID if value is None else str(value)


def month_first(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(first: date, k: int) -> date:
    """The first day of the month k calendar months after ``first``'s month."""
    idx = first.year * 12 + (first.month - 1) + k
    return date(idx // 12, idx % 12 + 1, 1)


def month_last(first: date) -> date:
    return add_months(first, 1) - timedelta(days=1)


def minus_one_month(d: date) -> date:
    """as_of − 1 calendar month, the day clamped (2025-03-31 → 2025-02-28)."""
    prev = add_months(month_first(d), -1)
    return date(prev.year, prev.month, min(d.day, month_last(prev).day))


def round_half_away(x: float | Fraction) -> int:
    return math.floor(abs(x) + Fraction(1, 2)) * (1 if x >= 0 else -1)


def ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return num / den


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def in_window(d: date | None, as_of: date, days: int) -> bool:
    """d in (as_of − days, as_of]."""
    return d is not None and as_of - timedelta(days=days) < d <= as_of


def read_table(folder: Path, name: str) -> tuple[list[dict], list[str]] | None:
    path = folder / f"{name}.parquet"
    if not path.exists():
        path = folder / name
        if not path.is_dir():
            return None
    table = pq.read_table(path)
    return table.to_pylist(), list(table.schema.names)


# ---------------------------------------------------------------------------- engine


class Reference:
    """Every figure of SPEC §2 for one dataset folder as of one date."""

    def __init__(
        self,
        folder: str | Path,
        as_of: date | None = None,
        *,
        inactive_after_days: int = 365,
        payment_event_types: tuple[str, ...] = ("payment_failed",),
        tiers: tuple[float, float] = (50_000, 5_000),
        engagement_bins: tuple[float, float] = (15, 30),
        weights: dict[str, float] | None = None,
    ) -> None:
        folder = Path(folder)
        raw = {t: read_table(folder, t) for t in TABLES}
        self.has = {t: raw[t] is not None for t in TABLES}
        self.columns = {t: (raw[t][1] if raw[t] else []) for t in TABLES}
        rows = {t: (raw[t][0] if raw[t] else []) for t in TABLES}
        self.inactive_after_days = inactive_after_days
        self.payment_event_types = set(payment_event_types)
        self.tiers = tiers
        self.engagement_bins = engagement_bins
        self.weights = {**WEIGHTS, **(weights or {})}

        self.as_of = as_of or self._latest_date(rows)
        self.month = month_first(self.as_of)
        self._index(rows)
        self._build_customers(rows)
        self._facts()
        self._risk_all()
        self._derived()

    # -- as_of and raw rows ---------------------------------------------------

    @staticmethod
    def _latest_date(rows: dict[str, list[dict]]) -> date:
        found: list[date] = []
        for r in rows["orders"]:
            found.append(to_day(r["order_date"]))
        for r in rows["events"]:
            found.append(to_day(r["ts"]))
        for r in rows["feedback"]:
            found.append(to_day(r["date"]))
        months = [to_day(r["month"]) for r in rows["monthly"]]
        months = [m for m in months if m is not None]
        if months:
            found.append(month_last(month_first(max(months))))
        for r in rows["customers"]:
            found.append(to_day(r.get("signup_date")))
            found.append(to_day(r.get("churn_date")))
        return max(d for d in found if d is not None)

    def _index(self, rows: dict[str, list[dict]]) -> None:
        """Per-id rows, with nothing dated after as_of."""
        as_of = self.as_of
        self.orders: dict[str, list[tuple[date, float]]] = defaultdict(list)
        self.all_orders: list[tuple[str, date, float]] = []
        for r in rows["orders"]:
            d = to_day(r["order_date"])
            if d is None or d > as_of:
                continue
            # a null amount is still an orders row ("every orders row is an order for
            # buyer counts, frequency and recency", §2) that adds nothing to any sum
            amount = 0.0 if r["amount"] is None else float(r["amount"])
            cid = id_text(r["customer_id"])
            self.orders[cid].append((d, amount))
            self.all_orders.append((cid, d, amount))
        for lst in self.orders.values():
            lst.sort(key=lambda x: x[0])

        # monthly: month first day -> list of rows; the month's mrr is the sum of its rows
        self.monthly: dict[str, dict[date, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for r in rows["monthly"]:
            m = to_day(r["month"])
            if m is None:
                continue
            m = month_first(m)
            if m > self.month:
                continue
            self.monthly[id_text(r["customer_id"])][m].append(r)

        self.events: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for r in rows["events"]:
            d = to_day(r["ts"])
            if d is None or d > as_of:
                continue
            self.events[id_text(r["customer_id"])].append((d, r["event_type"]))

        self.feedback: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for r in rows["feedback"]:
            d = to_day(r["date"])
            if d is None or d > as_of:
                continue
            self.feedback[id_text(r["customer_id"])].append((d, r["score"]))

    def month_mrr(self, cid: str, m: date) -> float | None:
        """Σ mrr of the id's rows in month m; 0 without rows; None without a monthly table."""
        if not self.has["monthly"]:
            return None
        return sum(float(r["mrr"]) for r in self.monthly[cid].get(m, []) if r["mrr"] is not None)

    def mrr_months(self, cid: str) -> list[tuple[date, float]]:
        out = []
        for m in sorted(self.monthly.get(cid, {})):
            out.append((m, self.month_mrr(cid, m)))
        return out

    # -- customers, start, churn ---------------------------------------------

    def _build_customers(self, rows: dict[str, list[dict]]) -> None:
        self.attrs: dict[str, dict] = {}
        if self.has["customers"]:
            for r in rows["customers"]:
                cid = id_text(r["customer_id"])
                if cid in self.attrs or cid == NULL_ID:
                    continue  # first row wins
                a = dict(r)
                a["customer_id"] = cid
                self.attrs[cid] = a
        else:
            ids: list[str] = []
            seen: set[str] = set()
            seen.add(NULL_ID)  # rows without an id: like orphans, never a customer
            for t, col in (("orders", "customer_id"), ("monthly", "customer_id")):
                for r in rows[t]:
                    cid = id_text(r[col])
                    if cid not in seen:
                        seen.add(cid)
                        ids.append(cid)
            for t in ("events", "feedback"):
                for r in rows[t]:
                    cid = id_text(r["customer_id"])
                    if cid not in seen:
                        seen.add(cid)
                        ids.append(cid)
            skip = {"customer_id", "month", "mrr", "logins", "features_used", "support_tickets"}
            skip |= {"nps", "status"}
            for cid in ids:
                a: dict[str, Any] = {"customer_id": cid}
                months = self.monthly.get(cid)
                if months:
                    latest = months[max(months)][-1]
                    for k, v in latest.items():
                        if k not in skip:
                            a[k] = v
                self.attrs[cid] = a

        cust_cols = self.columns["customers"]
        if "churn_date" in cust_cols:
            self.churn_source = "churn_date"
        elif self.has["monthly"]:
            self.churn_source = "monthly"
        elif "is_active" in cust_cols:
            self.churn_source = "is_active"
        elif self.has["orders"]:
            self.churn_source = "orders"
        else:
            self.churn_source = None

        as_of = self.as_of
        self.start: dict[str, date] = {}
        self.churn: dict[str, date | None] = {}
        self.reason: dict[str, str | None] = {}
        self.is_active_flag: dict[str, bool] = {}
        for cid, a in self.attrs.items():
            signup = to_day(a.get("signup_date"))
            if signup is not None:
                start = signup
            else:
                cands = []
                if self.orders.get(cid):
                    cands.append(self.orders[cid][0][0])
                for m, v in self.mrr_months(cid):
                    if v > 0:
                        cands.append(m)
                        break
                if self.events.get(cid):
                    cands.append(min(d for d, _ in self.events[cid]))
                start = min(cands) if cands else None
            if start is None or start > as_of:
                continue  # not a customer (yet)
            self.start[cid] = start

            churn: date | None = None
            if self.churn_source == "churn_date":
                churn = to_day(a.get("churn_date"))
            elif self.churn_source == "monthly":
                positive = [m for m, v in self.mrr_months(cid) if v > 0]
                if positive:
                    churn = add_months(max(positive), 1)
            elif self.churn_source == "orders" and self.orders.get(cid):
                churn = self.orders[cid][-1][0] + timedelta(days=self.inactive_after_days)
            if churn is not None and churn > as_of:
                churn = None
            self.churn[cid] = churn
            self.reason[cid] = a.get("churn_reason") if churn is not None else None
            if self.churn_source == "is_active":
                self.is_active_flag[cid] = a.get("is_active") is not False
                # no dates: the reason of an inactive customer is shown, as in the churn pane
                if not self.is_active_flag[cid]:
                    self.reason[cid] = a.get("churn_reason")
        self.universe = sorted(self.start)

    def active_at(self, cid: str, d: date) -> bool:
        if self.churn_source == "is_active":
            assert d == self.as_of, "is_active datasets have a status at as_of only"
            return self.start[cid] <= d and self.is_active_flag[cid]
        churn = self.churn[cid]
        return self.start[cid] <= d and not (churn is not None and churn <= d)

    # -- per-customer facts -----------------------------------------------------

    def _facts(self) -> None:
        as_of = self.as_of
        has_o, has_m, has_e = self.has["orders"], self.has["monthly"], self.has["events"]
        self.f: dict[str, dict[str, Any]] = {}
        for cid in self.universe:
            orders = self.orders.get(cid, [])
            o12 = [(d, a) for d, a in orders if in_window(d, as_of, 365)]
            f: dict[str, Any] = {
                "active": self.active_at(cid, as_of),
                "revenue_12m": sum(a for _, a in o12) if has_o else None,
                "orders_12m": sum(1 for _, a in o12 if a > 0) if has_o else None,
                "order_rows_12m": len(o12),
                "lifetime_revenue": sum(a for _, a in orders) if has_o else None,
                "lifetime_orders": len(orders) if has_o else None,
                "last_order_date": orders[-1][0] if orders else None,
                "mrr": self.month_mrr(cid, self.month) if has_m else None,
                "events_90d": (
                    sum(1 for d, _ in self.events.get(cid, []) if in_window(d, as_of, 90))
                    if has_e
                    else None
                ),
            }
            self.f[cid] = f

    # -- risk -------------------------------------------------------------------

    def _block(self, cid: str, column: str, months: list[date]) -> float | None:
        if column not in self.columns["monthly"]:
            return None
        vals = []
        for m in months:
            for r in self.monthly.get(cid, {}).get(m, []):
                if r.get(column) is not None:
                    vals.append(Fraction(r[column]))
        return mean(vals)

    def risk(self, cid: str) -> dict[str, Any]:
        """risk_score and every signal's before/after/strength for an active customer.

        Means, changes, strengths and the weighted sum are exact fractions, so a
        threshold or a .5 is decided by the numbers, not by binary rounding noise.
        """
        as_of = self.as_of
        r_months = [add_months(self.month, k) for k in (-2, -1, 0)]
        p_months = [add_months(self.month, k) for k in (-5, -4, -3)]
        sig: dict[str, dict[str, Any]] = {}

        def put(name: str, fires: bool, strength: Fraction | None, before=None, after=None):
            s = strength if fires else None
            before = float(before) if isinstance(before, Fraction) else before
            after = float(after) if isinstance(after, Fraction) else after
            sig[name] = {"fires": fires, "strength": s, "before": before, "after": after}

        one = Fraction(1)
        for name, col, thr, div in (
            ("login_decline", "logins", Fraction(-30, 100), Fraction(6, 10)),
            ("usage_decline", "features_used", Fraction(-20, 100), Fraction(5, 10)),
        ):
            p, r = self._block(cid, col, p_months), self._block(cid, col, r_months)
            fires, s = False, None
            if p is not None and r is not None and p > 0:
                change = r / p - 1
                if change <= thr:
                    fires, s = True, min(one, -change / div)
            put(name, fires, s, p, r)

        p = self._block(cid, "support_tickets", p_months)
        r = self._block(cid, "support_tickets", r_months)
        fires, s = False, None
        if p is not None and r is not None and r >= Fraction(3, 2) * p and r - p >= 1:
            fires, s = True, min(one, (r / max(p, one) - 1) / 2)
        put("ticket_spike", fires, s, p, r)

        p, r = self._block(cid, "nps", p_months), self._block(cid, "nps", r_months)
        fires, s = False, None
        if p is not None and r is not None and r - p <= -10:
            fires, s = True, min(one, -(r - p) / 40)
        put("nps_drop", fires, s, p, r)

        f = self.f[cid]
        fires, s, days = False, None, None
        if self.has["orders"] and f["last_order_date"] is not None:
            days = (as_of - f["last_order_date"]).days
            if f["lifetime_orders"] >= 2 and days >= 90:
                fires, s = True, min(one, Fraction(days, 180))
        put("order_gap", fires, s, None, days)

        scores = [
            sc for d, sc in self.feedback.get(cid, []) if in_window(d, as_of, 90) and sc is not None
        ]
        low = min(scores) if scores else None
        put("detractor", low is not None and low <= 6, one, None, low)

        renewal = to_day(self.attrs[cid].get("renewal_date"))
        due = renewal is not None and as_of < renewal <= as_of + timedelta(days=90)
        put("renewal_due", due, one, None, renewal)

        n_pay = sum(
            1
            for d, t in self.events.get(cid, [])
            if t in self.payment_event_types and in_window(d, as_of, 90)
        )
        put("payment_issue", n_pay > 0, one, None, n_pay)

        raw = Fraction(0)
        for name in SIGNALS:
            if sig[name]["fires"]:
                raw += Fraction(self.weights[name]) * sig[name]["strength"]
        for v in sig.values():
            v["strength"] = None if v["strength"] is None else float(v["strength"])
        score = min(100, round_half_away(raw))
        return {"risk_score": score, "raw": float(raw), "signals": sig}

    def _risk_all(self) -> None:
        self.risk_of: dict[str, dict[str, Any]] = {}
        for cid in self.universe:
            if self.f[cid]["active"]:
                self.risk_of[cid] = self.risk(cid)

    def score(self, cid: str) -> int | None:
        r = self.risk_of.get(cid)
        return r["risk_score"] if r else None

    # -- derived dimensions -------------------------------------------------------

    def _value_source(self) -> str | None:
        if self.has["orders"]:
            return "revenue_12m"
        if "annual_revenue" in self.columns["customers"] or any(
            "annual_revenue" in a for a in self.attrs.values()
        ):
            return "annual_revenue"
        if self.has["monthly"]:
            return "mrr"
        return None

    def _value(self, cid: str, source: str | None) -> float | None:
        if source is None:
            return None
        if source == "annual_revenue":
            v = self.attrs[cid].get("annual_revenue")
            return None if v is None else float(v)
        return self.f[cid][source]

    # -- SPEC Part II "value" and "arr" ----------------------------------------------

    def _has_annual_revenue(self) -> bool:
        return "annual_revenue" in self.columns["customers"] or any(
            "annual_revenue" in a for a in self.attrs.values()
        )

    def _annual_revenue(self, cid: str) -> float | None:
        v = self.attrs[cid].get("annual_revenue")
        return None if v is None else float(v)

    def part2_value(self, cid: str) -> float | None:
        """revenue_12m with orders, else annual_revenue, else 12 × mrr."""
        if self.has["orders"]:
            return self.f[cid]["revenue_12m"]
        if self._has_annual_revenue():
            return self._annual_revenue(cid)
        if self.has["monthly"]:
            return 12 * self.f[cid]["mrr"]
        return None

    def part2_totals(self, members: list[str]) -> dict[str, float | None]:
        """`arr` (12 × Σ mrr with monthly, else Σ annual_revenue) and `value` (Σ
        value) of a group; a sum over no known value is null."""

        def known_sum(values: list[float | None]) -> float | None:
            known = [v for v in values if v is not None]
            return sum(known) if known else None

        if self.has["monthly"]:
            arr = 12 * sum(self.f[c]["mrr"] for c in members)
        elif self._has_annual_revenue():
            arr = known_sum([self._annual_revenue(c) for c in members])
        else:
            arr = None
        return {"arr": arr, "value": known_sum([self.part2_value(c) for c in members])}

    def _derived(self) -> None:
        as_of = self.as_of
        source = self._value_source()
        self.dim: dict[str, dict[str, Any]] = {cid: {} for cid in self.universe}

        # revenue_tier
        ent, smb = self.tiers
        for cid in self.universe:
            v = self._value(cid, source)
            if v is not None and source == "mrr":
                v = 12 * v
            tier = None
            if v is not None:
                tier = "Enterprise" if v >= ent else "SMB" if v >= smb else "Individual"
            self.dim[cid]["revenue_tier"] = tier

        # lifecycle
        rest = []
        for cid in self.universe:
            score = self.score(cid)
            if not self.f[cid]["active"]:
                life = "Inactive"
            elif in_window(self.start[cid], as_of, 30):
                life = "New"
            elif score is not None and score >= 60:
                life = "At Risk"
            else:
                life = None
                rest.append(cid)
            self.dim[cid]["lifecycle"] = life

        def vip_key(cid: str):
            v = self._value(cid, source)
            return (v is None, -(v or 0.0), cid)

        # no value to rank by (no orders, annual_revenue or monthly): nobody is VIP
        n_vip = len(rest) // 10 if source is not None else 0
        ranked = sorted(rest, key=vip_key)
        for i, cid in enumerate(ranked):
            self.dim[cid]["lifecycle"] = "VIP" if i < n_vip else "Regular"

        # rfm
        self.rfm: dict[str, tuple[int, int, int]] = {}
        buyers = [c for c in self.universe if self.orders.get(c)]
        n = len(buyers)
        vals = {
            c: (
                -(as_of - self.orders[c][-1][0]).days,
                len(self.orders[c]),
                sum(a for _, a in self.orders[c]),
            )
            for c in buyers
        }
        ordered = [sorted(v[k] for v in vals.values()) for k in range(3)]
        for c in buyers:
            sc = []
            for k in range(3):
                # rank ascending in goodness; tied values share their lowest rank
                rank = 1 + bisect_left(ordered[k], vals[c][k])
                sc.append((rank - 1) * 5 // n + 1)
            self.rfm[c] = (sc[0], sc[1], sc[2])
        for cid in self.universe:
            self.dim[cid]["rfm_segment"] = rfm_name(*self.rfm[cid][:2]) if cid in self.rfm else None

        # engagement
        low, high = self.engagement_bins
        for cid in self.universe:
            ev = self.f[cid]["events_90d"]
            eng = None
            if ev is not None:
                eng = "Low" if ev < low else "High" if ev > high else "Medium"
            self.dim[cid]["engagement"] = eng

        # risk band
        for cid in self.universe:
            s = self.score(cid)
            band = None
            if s is not None:
                band = "High" if s >= 60 else "Medium" if s >= 30 else "Low"
            self.dim[cid]["risk_band"] = band

    def dim_value(self, cid: str, dim: str) -> Any:
        if dim in DERIVED:
            return self.dim[cid][dim] if cid in self.dim else None
        if dim == "churn_reason" and cid in self.reason:
            return self.reason[cid]  # hidden while the churn_date is after as_of
        a = self.attrs.get(cid)
        return None if a is None else a.get(dim)

    # -- panes ----------------------------------------------------------------------

    def overview(self) -> dict[str, Any]:
        as_of, U, f = self.as_of, self.universe, self.f
        status_only = self.churn_source == "is_active"
        # no churn source at all (a customers table without churn_date / is_active and
        # no monthly / orders): churn-over-time keys cannot be supported -> null (§2)
        no_churn_dates = status_only or self.churn_source is None
        active = sum(1 for c in U if f[c]["active"])
        out: dict[str, Any] = {
            "as_of": as_of.isoformat(),
            "customers_total": len(U),
            "active_customers": active,
            "new_customers_30d": sum(1 for c in U if in_window(self.start[c], as_of, 30)),
        }
        if no_churn_dates:
            out["churned_customers_30d"] = None
            out["growth_rate_mom"] = None
            out["logo_churn_rate_30d"] = None
        else:
            out["churned_customers_30d"] = sum(1 for c in U if in_window(self.churn[c], as_of, 30))
            prev = minus_one_month(as_of)
            active_prev = sum(1 for c in U if self.active_at(c, prev))
            g = ratio(active, active_prev)
            out["growth_rate_mom"] = None if g is None else g - 1
            d0 = as_of - timedelta(days=30)
            base = [c for c in U if self.active_at(c, d0)]
            lost = sum(1 for c in base if in_window(self.churn[c], as_of, 30))
            out["logo_churn_rate_30d"] = ratio(lost, len(base))
        tenures = []
        for c in U:
            end = as_of
            if not status_only and self.churn[c] is not None:
                end = min(self.churn[c], as_of)
            tenures.append((end - self.start[c]).days / 30.4375)
        out["avg_tenure_months"] = mean(tenures)

        if self.has["orders"]:
            o12 = [(cid, a) for cid, d, a in self.all_orders if in_window(d, as_of, 365)]
            revenue = sum(a for _, a in o12)
            n_orders = sum(1 for _, a in o12 if a > 0)
            buyers = [c for c in U if f[c]["order_rows_12m"] >= 1]
            repeat = [c for c in buyers if f[c]["order_rows_12m"] >= 2]
            out["revenue_12m"] = revenue
            out["orders_12m"] = n_orders
            out["aov_12m"] = ratio(revenue, n_orders)
            out["buyers_12m"] = len(buyers)
            out["revenue_per_buyer_12m"] = ratio(revenue, len(buyers))
            out["repeat_purchase_rate_12m"] = ratio(len(repeat), len(buyers))
        else:
            for k in (
                "revenue_12m",
                "orders_12m",
                "aov_12m",
                "buyers_12m",
                "revenue_per_buyer_12m",
                "repeat_purchase_rate_12m",
            ):
                out[k] = None

        if self.has["monthly"]:
            mrr = sum(self.month_mrr(cid, self.month) for cid in self.monthly)
            out["mrr"] = mrr
            out["arr"] = 12 * mrr
        else:
            out["mrr"] = None
            out["arr"] = self.part2_totals(sorted(U))["arr"]  # Σ annual_revenue, or null
        ret = self.retention()["overall"]
        out["nrr_12m"] = ret["nrr"]
        out["grr_12m"] = ret["grr"]

        if self.has["feedback"]:
            prom = det = n = 0
            for c in U:
                resp = [
                    (d, s)
                    for d, s in self.feedback.get(c, [])
                    if in_window(d, as_of, 90) and s is not None
                ]
                if not resp:
                    continue
                last = max(d for d, _ in resp)
                score = max(s for d, s in resp if d == last)
                n += 1
                prom += score >= 9
                det += score <= 6
            nps = ratio(prom - det, n)
            out["nps_90d"] = None if nps is None else 100 * nps
            out["nps_90d_n"] = n
        else:
            out["nps_90d"] = out["nps_90d_n"] = None

        vals = []
        if "nps" in self.columns["monthly"]:
            for c in U:
                if not f[c]["active"]:
                    continue
                months = self.monthly.get(c, {})
                for m in sorted(months, reverse=True):
                    nn = [r["nps"] for r in months[m] if r.get("nps") is not None]
                    if nn:
                        vals.append(float(nn[-1]))
                        break
        out["mean_account_nps"] = mean(vals)
        out["value"] = self.part2_totals(sorted(U))["value"]  # customers of U only
        out.update(self.new_vs_returning())
        return out

    def new_vs_returning(self) -> dict[str, Any]:
        """SPEC §8 "New vs returning", for W in 30d and 12m: a buyer of W is an id
        with an orders row in W (every id in orders, customer or not); new when its
        first orders row ever is in W, returning when that row is before W;
        revenue = Σ amount of its rows in W; aov = revenue ÷ its rows in W with
        amount > 0. Null without an orders table."""
        out: dict[str, Any] = {}
        for label, days in (("30d", 30), ("12m", 365)):
            if not self.has["orders"]:
                for kind in ("new", "returning"):
                    out[f"{kind}_buyers_{label}"] = None
                    out[f"{kind}_buyer_revenue_{label}"] = None
                    out[f"{kind}_buyer_aov_{label}"] = None
                continue
            sums = {"new": [0, 0.0, 0], "returning": [0, 0.0, 0]}  # buyers, revenue, orders
            for rows in self.orders.values():
                inside = [(d, a) for d, a in rows if in_window(d, self.as_of, days)]
                if not inside:
                    continue
                first = min(d for d, _ in rows)
                kind = "new" if in_window(first, self.as_of, days) else "returning"
                sums[kind][0] += 1
                sums[kind][1] += sum(a for _, a in inside)
                sums[kind][2] += sum(1 for _, a in inside if a > 0)
            for kind, (buyers, revenue, n_orders) in sums.items():
                out[f"{kind}_buyers_{label}"] = buyers
                out[f"{kind}_buyer_revenue_{label}"] = revenue
                out[f"{kind}_buyer_aov_{label}"] = ratio(revenue, n_orders)
        return out

    def segments(self, by: str) -> list[dict[str, Any]]:
        """``by`` is one dimension or two, comma-separated (a cross-tab)."""
        dims = by.split(",")
        U, f = self.universe, self.f
        groups: dict[tuple, list[str]] = defaultdict(list)
        for c in U:
            groups[tuple(self.dim_value(c, d) for d in dims)].append(c)
        has_o, has_m = self.has["orders"], self.has["monthly"]
        total_rev = sum(f[c]["revenue_12m"] for c in U) if has_o else None
        rows = []
        for value, members in groups.items():
            n = len(members)
            act = sum(1 for c in members if f[c]["active"])
            rev = sum(f[c]["revenue_12m"] for c in members) if has_o else None
            n_ord = sum(f[c]["orders_12m"] for c in members) if has_o else None
            scores = [self.score(c) for c in members if self.score(c) is not None]
            rows.append(
                {
                    **dict(zip(dims, value, strict=True)),
                    "customers": n,
                    "customer_share": ratio(n, len(U)),
                    "active_customers": act,
                    "active_rate": ratio(act, n),
                    "revenue_12m": rev,
                    "revenue_share": ratio(rev, total_rev),
                    "orders_12m": n_ord,
                    "aov_12m": ratio(rev, n_ord),
                    "mrr": sum(f[c]["mrr"] for c in members) if has_m else None,
                    "avg_risk_score": mean(scores),
                    "at_risk_customers": sum(1 for s in scores if s >= 60),
                    **self.part2_totals(members),
                }
            )
        rows.sort(key=lambda r: (-r["customers"], *(k for d in dims for k in null_last(r[d]))))
        return rows

    def default_top_by(self) -> str:
        if self.has["orders"]:
            return "revenue_12m"
        if self.has["monthly"]:
            return "mrr"
        return "annual_revenue"

    def top(self, by: str | None = None, n: int = 10) -> list[dict[str, Any]]:
        by = by or self.default_top_by()
        U, f = self.universe, self.f

        def value(c):
            return self._value(c, by) if by == "annual_revenue" else f[c][by]

        vals = {c: value(c) for c in U}
        known = [v for v in vals.values() if v is not None]
        total = sum(known) if known else None
        order = sorted(U, key=lambda c: (vals[c] is None, -(vals[c] or 0.0), c))
        out = []
        for i, c in enumerate(order[:n], start=1):
            lod = f[c]["last_order_date"]
            out.append(
                {
                    "rank": i,
                    "customer_id": c,
                    "name": self.attrs[c].get("name"),
                    "segment": self.attrs[c].get("segment"),
                    by: vals[c],
                    "revenue_share": ratio(vals[c], total),
                    "orders_12m": f[c]["orders_12m"],
                    "last_order_date": lod.isoformat() if lod else None,
                    "status": "active" if f[c]["active"] else "churned",
                }
            )
        return out

    def churned(self, window_days: int = 365) -> list[str]:
        if self.churn_source == "is_active":
            return [c for c in self.universe if not self.f[c]["active"]]
        return [c for c in self.universe if in_window(self.churn[c], self.as_of, window_days)]

    def churn_reasons(self, window_days: int = 365) -> list[dict[str, Any]]:
        status_only = self.churn_source == "is_active"
        members = self.churned(window_days)
        groups: dict[str, list[str]] = defaultdict(list)
        for c in members:
            reason = self.attrs[c].get("churn_reason") if status_only else self.reason[c]
            groups["Unknown" if reason is None else reason].append(c)
        rows = []
        for reason, cs in groups.items():
            lost_mrr = lost_rev = None
            if not status_only and self.has["monthly"]:
                lost_mrr = 0.0
                for c in cs:
                    before = [v for m, v in self.mrr_months(c) if v > 0 and m < self.churn[c]]
                    if before:
                        lost_mrr += before[-1]
            if not status_only and self.has["orders"]:
                lost_rev = 0.0
                for c in cs:
                    lo = self.churn[c] - timedelta(days=365)
                    lost_rev += sum(a for d, a in self.orders.get(c, []) if lo <= d < self.churn[c])
            rows.append(
                {
                    "reason": reason,
                    "churned_customers": len(cs),
                    "share": ratio(len(cs), len(members)),
                    "lost_mrr": lost_mrr,
                    "lost_revenue_12m": lost_rev,
                }
            )
        rows.sort(key=lambda r: (-r["churned_customers"], r["reason"]))
        return rows

    def at_risk(self, n: int = 20, min_score: float = 25) -> dict[str, Any]:
        f = self.f
        cands = [c for c in self.risk_of if self.risk_of[c]["risk_score"] >= min_score]
        cands.sort(key=lambda c: (-self.risk_of[c]["risk_score"], -(f[c]["mrr"] or 0.0), c))
        rows = []
        for c in cands[:n]:
            a = self.attrs[c]
            rows.append(
                {
                    "customer_id": c,
                    "name": a.get("name"),
                    "segment": a.get("segment"),
                    "owner": a.get("owner"),
                    "risk_score": self.risk_of[c]["risk_score"],
                    "mrr": f[c]["mrr"],
                    "revenue_12m": f[c]["revenue_12m"],
                    "signals": [s for s in SIGNALS if self.risk_of[c]["signals"][s]["fires"]],
                }
            )
        summary = {
            "customers": len(cands),
            "mrr_at_risk": sum(f[c]["mrr"] for c in cands) if self.has["monthly"] else None,
            "revenue_12m_at_risk": (
                sum(f[c]["revenue_12m"] for c in cands) if self.has["orders"] else None
            ),
            "min_score": float(min_score),
        }
        return {"rows": rows, "summary": summary}

    def retention(self, by: str | None = None) -> dict[str, Any]:
        s_month, e_month = add_months(self.month, -12), self.month
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "start_month": s_month.isoformat(),
            "end_month": e_month.isoformat(),
            "by": by,
        }
        base: list[tuple[str, float, float]] = []
        if self.has["monthly"]:
            for cid in self.monthly:
                start = self.month_mrr(cid, s_month)
                if start > 0:
                    base.append((cid, start, self.month_mrr(cid, e_month)))
        out["overall"] = retention_block(base) if self.has["monthly"] else retention_block(None)
        segs: list[dict[str, Any]] = []
        if by is not None:
            groups: dict[Any, list] = defaultdict(list)
            for item in base:
                cid = item[0]
                value = self.dim_value(cid, by) if cid in self.start else None
                groups[value].append(item)
            for value, items in groups.items():
                segs.append({by: value, **retention_block(items)})
            segs.sort(key=lambda r: (-r["customers"], *null_last(r[by])))
        out["segments"] = segs
        return out


def retention_block(base: list[tuple[str, float, float]] | None) -> dict[str, Any]:
    keys = ("customers", "start_mrr", "end_mrr", "expansion", "contraction", "churned_mrr")
    if base is None:
        return {k: None for k in (*keys, "nrr", "grr")}
    s = sum(b[1] for b in base)
    e = sum(b[2] for b in base)
    return {
        "customers": len(base),
        "start_mrr": s,
        "end_mrr": e,
        "expansion": sum(max(0.0, en - st) for _, st, en in base),
        "contraction": sum(st - en for _, st, en in base if 0 < en < st),
        "churned_mrr": sum(st for _, st, en in base if en == 0),
        "nrr": ratio(e, s),
        "grr": ratio(sum(min(st, en) for _, st, en in base), s),
    }


def null_last(value: Any) -> tuple[bool, Any]:
    return (value is None, "" if value is None else value)


def rfm_name(r: int, f: int) -> str:
    if r == 5 and f >= 4:
        return "Champions"
    if r in (3, 4) and f >= 4:
        return "Loyal"
    if r >= 4 and f in (2, 3):
        return "Potential Loyalist"
    if r == 5 and f == 1:
        return "New"
    if r == 4 and f == 1:
        return "Promising"
    if r == 3 and f == 3:
        return "Need Attention"
    if r == 3 and f <= 2:
        return "About To Sleep"
    if r <= 2 and f in (3, 4):
        return "At Risk"
    if r <= 2 and f == 5:
        return "Can't Lose"
    return "Hibernating"

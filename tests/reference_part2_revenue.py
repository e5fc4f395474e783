"""An independent, plain-Python reading of SPEC §7 (MRR movements, revenue per
month from orders, cohorts) and §8's "New vs returning", with the readings of
docs/metrics.md ("Revenue movements and cohorts").

Written from the SPEC text, never from ``cxtui/metrics/movements.py`` or
``cohorts.py``: dicts and loops over rows, months as ``datetime.date``. The
SPEC §1-2 groundwork (start, churn dates, dimension values, each id's rows up
to as_of) comes from ``tests/reference.py``, itself written from the SPEC.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.reference import Reference, add_months, month_first, month_last, ratio

Where = Callable[[dict], bool]  # a customer's attributes -> matches --where


class RevenueReference:
    def __init__(
        self, folder: str | Path, as_of: date | None = None, where: Where | None = None
    ) -> None:
        self.base = Reference(folder, as_of)
        self.as_of = self.base.as_of
        self.where = where

    # -- which ids count, and their group --------------------------------------

    def counts(self, cid: str) -> bool:
        """Every id counts; with --where only the customers that match."""
        if self.where is None:
            return True
        attrs = self.base.attrs.get(cid)
        return attrs is not None and self.where(attrs)

    def group(self, cid: str, by: str | None) -> Any:
        if by is None:
            return None
        if cid not in self.base.attrs:
            return None  # ids that are not customers: the null group
        return self.base.dim_value(cid, by)

    def window(self, months: int) -> list[date]:
        last = month_first(self.as_of)
        return [add_months(last, -k) for k in range(months - 1, -1, -1)]

    # -- MRR movements ------------------------------------------------------------

    def mrr(self, cid: str, m: date) -> float:
        rows = self.base.monthly.get(cid, {}).get(m, [])
        return sum(float(r["mrr"]) for r in rows if r["mrr"] is not None)

    def movement(self, cid: str, m: date) -> tuple[str | None, float]:
        """The id's movement in month m and its amount (SPEC §7)."""
        cur = self.mrr(cid, m)
        prev = self.mrr(cid, add_months(m, -1))
        if prev == 0 and cur > 0:
            earlier = any(
                self.mrr(cid, old) > 0 for old in self.base.monthly.get(cid, {}) if old < m
            )
            return ("reactivation" if earlier else "new"), cur
        if 0 < prev < cur:
            return "expansion", cur - prev
        if 0 < cur < prev:
            return "contraction", prev - cur
        if prev > 0 and cur == 0:
            return "churned", prev
        return None, 0.0

    def movements(self, months: int = 12, by: str | None = None) -> list[dict]:
        window = self.window(months)
        ids = [cid for cid in self.base.monthly if self.counts(cid)]
        # a block per value held by an id with a row in the window or the month before
        seen = set(window) | {add_months(window[0], -1)}
        groups: dict[Any, list[str]] = defaultdict(list)
        for cid in ids:
            if any(m in seen for m in self.base.monthly[cid]):
                groups[self.group(cid, by)].append(cid)
        if by is None:
            groups = {None: list(groups.get(None, []))}
        out = []
        for value in sorted(groups, key=lambda v: (v is None, v if v is not None else "")):
            members = groups[value]
            for m in window:
                row: dict[str, Any] = {"month": m}
                if by is not None:
                    row = {by: value, "month": m}
                amounts = defaultdict(float)
                n = defaultdict(int)
                for cid in members:
                    kind, amount = self.movement(cid, m)
                    if kind is not None:
                        amounts[kind] += amount
                        n[kind] += 1
                start = sum(self.mrr(cid, add_months(m, -1)) for cid in members)
                end = sum(self.mrr(cid, m) for cid in members)
                row.update(
                    start_mrr=start,
                    new_mrr=amounts["new"],
                    expansion_mrr=amounts["expansion"],
                    reactivation_mrr=amounts["reactivation"],
                    contraction_mrr=amounts["contraction"],
                    churned_mrr=amounts["churned"],
                    end_mrr=end,
                    net_new_mrr=end - start,
                    new_customers=n["new"],
                    expanded_customers=n["expansion"],
                    reactivated_customers=n["reactivation"],
                    contracted_customers=n["contraction"],
                    churned_customers=n["churned"],
                    quick_ratio=ratio(
                        amounts["new"] + amounts["expansion"] + amounts["reactivation"],
                        amounts["contraction"] + amounts["churned"],
                    ),
                )
                out.append(row)
        return out

    def movement_ids(self, m: date, kind: str) -> set[str]:
        """The customers (not other ids) whose movement in m is `kind`."""
        return {
            cid
            for cid in self.base.monthly
            if cid in self.base.attrs and self.counts(cid) and self.movement(cid, m)[0] == kind
        }

    # -- orders ---------------------------------------------------------------------

    def order_rows(self) -> dict[str, list[tuple[date, float]]]:
        rows: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for cid, d, amount in self.base.all_orders:
            if self.counts(cid):
                rows[cid].append((d, amount))
        return rows

    def order_months(self, months: int = 12, by: str | None = None) -> list[dict]:
        rows = self.order_rows()
        first = {cid: min(d for d, _ in lst) for cid, lst in rows.items()}
        window = self.window(months)
        in_window = {cid for cid, lst in rows.items() if any(d >= window[0] for d, _ in lst)}
        groups: dict[Any, list[str]] = defaultdict(list)
        for cid in in_window:
            groups[self.group(cid, by)].append(cid)
        if by is None:
            groups = {None: list(groups.get(None, []))}
        by_month: dict[str, dict[date, list[tuple[date, float]]]] = {}
        for cid in in_window:
            by_month[cid] = defaultdict(list)
            for d, a in rows[cid]:
                by_month[cid][month_first(d)].append((d, a))
        out = []
        for value in sorted(groups, key=lambda v: (v is None, v if v is not None else "")):
            for m in window:
                row: dict[str, Any] = {by: value, "month": m} if by else {"month": m}
                revenue = 0.0
                n_orders = buyers = new = returning = 0
                new_rev = ret_rev = 0.0
                for cid in groups[value]:
                    mine = by_month[cid].get(m, [])
                    if not mine:
                        continue
                    spent = sum(a for _, a in mine)
                    revenue += spent
                    n_orders += sum(1 for _, a in mine if a > 0)
                    buyers += 1
                    if month_first(first[cid]) == m:
                        new += 1
                        new_rev += spent
                    else:
                        returning += 1
                        ret_rev += spent
                row.update(
                    revenue=revenue,
                    orders=n_orders,
                    buyers=buyers,
                    new_buyers=new,
                    returning_buyers=returning,
                    new_buyer_revenue=new_rev,
                    returning_buyer_revenue=ret_rev,
                    aov=ratio(revenue, n_orders),
                )
                out.append(row)
        return out

    def new_vs_returning(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        has_orders = self.base.has["orders"]
        rows = self.order_rows()
        for w, days in (("30d", 30), ("12m", 365)):
            lo = self.as_of - timedelta(days=days)  # the window is (lo, as_of]
            stats = {"new": [0, 0.0, 0], "returning": [0, 0.0, 0]}
            for lst in rows.values():
                inside = [(d, a) for d, a in lst if lo < d <= self.as_of]
                if not inside:
                    continue
                kind = "new" if min(d for d, _ in lst) > lo else "returning"
                stats[kind][0] += 1
                stats[kind][1] += sum(a for _, a in inside)
                stats[kind][2] += sum(1 for _, a in inside if a > 0)
            # SPEC §8's order: buyers, revenue, aov, each new then returning
            for kind in ("new", "returning"):
                out[f"{kind}_buyers_{w}"] = stats[kind][0] if has_orders else None
            for kind in ("new", "returning"):
                out[f"{kind}_buyer_revenue_{w}"] = stats[kind][1] if has_orders else None
            for kind in ("new", "returning"):
                _, revenue, n_orders = stats[kind]
                out[f"{kind}_buyer_aov_{w}"] = ratio(revenue, n_orders) if has_orders else None
        return out

    # -- cohorts ----------------------------------------------------------------------

    @staticmethod
    def period_of(d: date, period: str) -> tuple[int, int]:
        return (d.year, d.month) if period == "month" else (d.year, (d.month - 1) // 3 + 1)

    @staticmethod
    def months_of(p: tuple[int, int], period: str) -> list[date]:
        if period == "month":
            return [date(p[0], p[1], 1)]
        return [date(p[0], 3 * (p[1] - 1) + k, 1) for k in (1, 2, 3)]

    @staticmethod
    def label(p: tuple[int, int], period: str) -> str:
        return f"{p[0]:04d}-{p[1]:02d}" if period == "month" else f"{p[0]:04d}-Q{p[1]}"

    def next_period(self, p: tuple[int, int], period: str) -> tuple[int, int]:
        last = self.months_of(p, period)[-1]
        return self.period_of(add_months(last, 1), period)

    def cohorts(
        self, metric: str = "logo", period: str = "month", months: int = 12, by: str | None = None
    ) -> list[dict]:
        base = self.base
        cohorts = sorted({self.period_of(m, period) for m in self.window(months)})
        now = self.period_of(self.as_of, period)
        members: dict[tuple[Any, tuple[int, int]], list[str]] = defaultdict(list)
        values = set()
        for cid in base.universe:
            if not self.counts(cid):
                continue
            p = self.period_of(base.start[cid], period)
            if p in cohorts:
                members[(self.group(cid, by), p)].append(cid)
                values.add(self.group(cid, by))
        if by is None:
            values = {None}
        dated = base.churn_source not in ("is_active", None)
        out = []
        for value in sorted(values, key=lambda v: (v is None, v if v is not None else "")):
            for c in cohorts:
                cs = members.get((value, c), [])
                row: dict[str, Any] = {by: value} if by else {}
                row.update(cohort=self.label(c, period), customers=len(cs))
                first_period_revenue = None
                p = c
                for a in range(len(cohorts)):
                    key = f"p{a}"
                    if p > now:
                        row[key] = None
                        continue
                    at_as_of = p == now
                    if metric == "logo":
                        if at_as_of:
                            row[key] = ratio(
                                sum(1 for x in cs if base.active_at(x, self.as_of)), len(cs)
                            )
                        elif dated:
                            day = month_last(self.months_of(p, period)[-1])
                            row[key] = ratio(sum(1 for x in cs if base.active_at(x, day)), len(cs))
                        else:
                            row[key] = None
                    elif base.has["monthly"]:
                        month = (
                            month_first(self.as_of) if at_as_of else self.months_of(p, period)[-1]
                        )
                        num = sum(self.mrr(x, month) for x in cs)
                        den = 0.0
                        for x in cs:
                            positive = sorted(
                                m for m in base.monthly.get(x, {}) if self.mrr(x, m) > 0
                            )
                            if positive:
                                den += self.mrr(x, positive[0])
                        row[key] = ratio(num, den)
                    else:
                        inside = set(self.months_of(p, period))
                        num = sum(
                            amount
                            for x in cs
                            for d, amount in base.orders.get(x, [])
                            if month_first(d) in inside
                        )
                        if a == 0:
                            first_period_revenue = num
                        row[key] = ratio(num, first_period_revenue)
                    p = self.next_period(p, period)
                out.append(row)
        return out

    def cohort_ids(
        self, cohort: str, age: int, metric: str = "logo", period: str = "month"
    ) -> set[str]:
        """The members of a cohort retained at an age (docs/metrics.md)."""
        base = self.base
        cs = [
            x
            for x in base.universe
            if self.counts(x)
            and self.label(self.period_of(base.start[x], period), period) == cohort
        ]
        year, rest = cohort.split("-")
        p = (int(year), int(rest.lstrip("Q")))
        for _ in range(age):
            p = self.next_period(p, period)
        now = self.period_of(self.as_of, period)
        if p > now:
            return set()
        at_as_of = p == now
        if metric == "logo":
            if not at_as_of and base.churn_source in ("is_active", None):
                return set()  # no churn dates: only the period holding as_of has a cell
            day = self.as_of if at_as_of else month_last(self.months_of(p, period)[-1])
            return {x for x in cs if base.active_at(x, day)}
        if base.has["monthly"]:
            month = month_first(self.as_of) if at_as_of else self.months_of(p, period)[-1]
            return {x for x in cs if self.mrr(x, month) > 0}
        inside = set(self.months_of(p, period))
        return {x for x in cs if any(month_first(d) in inside for d, _ in base.orders.get(x, []))}

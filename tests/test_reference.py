"""Differential test: cxtui's JSON output against ``tests/reference.py``.

The reference is a second, independent reading of SPEC §2 / §6 in plain
Python. Both run on small synthetic datasets that poke at the exact readings
(window edges, clamped months, start rules, each churn source, string ids,
orphans, refunds, ties) and on the bundled demo.
"""

from __future__ import annotations

import json
import math
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cxtui.cli import app

from .reference import SIGNALS, Reference
from .reference_part2_revenue import RevenueReference

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"
runner = CliRunner()
ALL = "1000000"


# ------------------------------------------------------------------------- datasets


def write(folder: Path, name: str, rows: list[dict], schema: pa.Schema) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / f"{name}.parquet")


def rand_day(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def months_between(a: date, b: date) -> list[date]:
    out, m = [], date(a.year, a.month, 1)
    while m <= b:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def money(rng: random.Random, lo: int, hi: int) -> float:
    """Quarter amounts: exact in binary, so sums do not depend on their order."""
    return rng.randint(lo * 4, hi * 4) / 4


def monthly_metrics(rng: random.Random, months: list[date], decline: bool) -> list[dict]:
    """Usage rows; a decliner's last three months drop, some blocks have nulls."""
    logins, feats, nps = rng.randint(3, 60), rng.randint(1, 15), rng.choice(range(-50, 101, 10))
    rows = []
    for i, _m in enumerate(months):
        late = decline and i >= len(months) - 3
        k = rng.uniform(0.2, 0.85) if late else rng.uniform(0.85, 1.15)
        rows.append(
            {
                "logins": None if rng.random() < 0.05 else int(logins * k),
                "features_used": int(feats * k),
                "support_tickets": rng.randint(2, 6)
                if late and rng.random() < 0.5
                else 0
                if rng.random() < 0.5
                else rng.randint(0, 2),
                "nps": None
                if rng.random() < 0.15
                else max(-100, min(100, nps - (rng.randint(0, 60) if late else 0))),
            }
        )
    return rows


PAY = {"event_type": "payment_failed"}
SAAS_AS_OF = date(2025, 7, 31)  # previous month clamps to 2025-06-30
SAAS_PAST = "2025-03-31"  # previous month clamps to 2025-02-28


def build_saas(root: Path) -> Path:
    """(a) canonical SaaS folder: every table, string ids, orphans, refunds."""
    rng = random.Random(101)
    T = SAAS_AS_OF
    folder = root / "saas"
    ids = [f"C{i}" for i in range(1, 299)] + ["007", "7"]
    customers, orders, monthly, events, feedback = [], [], [], [], []
    edges = [T - timedelta(days=d) for d in (0, 1, 29, 30, 31, 89, 90, 91, 364, 365, 366)]
    edges += [date(2025, 6, 30), date(2025, 6, 29), date(2025, 7, 1)]  # around as_of − 1 month
    for i, cid in enumerate(ids):
        signup = rand_day(rng, date(2022, 1, 1), T)
        if i % 23 == 0:
            signup = edges[i % len(edges)]
        if i % 41 == 5:
            signup = date(2025, 3, 31)  # the past as_of itself
        churn = None
        if rng.random() < 0.35:
            churn = rand_day(rng, signup + timedelta(days=20), T + timedelta(days=40))
            if i % 7 == 0:
                churn = edges[(i // 7) % len(edges)]
            elif i % 11 == 0:
                churn = churn.replace(day=1)  # that month's mrr is not "before churning"
            churn = min(churn, T)
            if churn < signup:
                churn = None
        big = rng.random() < 0.06
        customers.append(
            {
                "customer_id": cid,
                "name": f"Company {i}",
                "segment": rng.choice(["Enterprise", "SMB", "SMB", "Individual", None]),
                "region": rng.choice(["EMEA", "APAC", "NA"]),
                "owner": rng.choice(["Ann", "Bob", "Cy", None]),
                "signup_date": None if rng.random() < 0.1 else signup,
                "churn_date": churn,
                "churn_reason": rng.choice(["Price", "Competitor", "Closure", None])
                if churn or rng.random() < 0.1
                else None,
                "annual_revenue": None if rng.random() < 0.1 else money(rng, 100, 90_000),
                "seats": rng.choice([1, 2, 10, 25, None]),
                "renewal_date": None
                if rng.random() < 0.15
                else T + timedelta(days=rng.choice([0, 1, 89, 90, 91, *range(-40, 150, 7)])),
            }
        )
        end = churn or T
        # orders, a few after churn, refunds and zero amounts
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8, 14])):
            d = rand_day(rng, signup - timedelta(days=10), end + timedelta(days=30))
            if rng.random() < 0.05:
                d = rng.choice(edges)
            if d > T:
                continue
            amount = money(rng, 5, 900) * (60 if big else 1)
            r = rng.random()
            amount = -amount / 2 if r < 0.07 else 0.0 if r < 0.09 else amount
            orders.append({"customer_id": cid, "order_date": d, "amount": amount})
        if churn and i % 3 == 0:  # the edges of lost_revenue_12m: [churn − 365, churn)
            for d in (churn - timedelta(days=365), churn - timedelta(days=366), churn):
                orders.append({"customer_id": cid, "order_date": d, "amount": 40.5})
        # monthly: mrr from signup month to churn month, then a zero row or two
        if rng.random() < 0.8:
            first = date(signup.year, signup.month, 1)
            months = months_between(first, end)
            decline = rng.random() < 0.3
            base = money(rng, 20, 800) * (30 if big else 1)
            metrics = monthly_metrics(rng, months, decline)
            for m, met in zip(months, metrics, strict=True):
                base = max(0.25, base + rng.choice([-1, 0, 0, 0, 1, 2]) * 10.25)
                monthly.append({"customer_id": cid, "month": m, "mrr": base, **met})
            if churn:
                for m in months_between(churn, min(churn + timedelta(days=50), T))[1:]:
                    monthly.append({"customer_id": cid, "month": m, "mrr": 0.0})
        # events: heavy users, payment failures around the 90-day edge
        n_ev = rng.choice([0, 2, 8, 14, 15, 16, 30, 31, 45])
        for _ in range(n_ev):
            d = rand_day(rng, max(signup, T - timedelta(days=120)), end)
            ts = datetime(d.year, d.month, d.day, rng.randint(0, 23), rng.randint(0, 59))
            kind = rng.choices(["login", "export", "payment_failed", "page_view"], [5, 2, 1, 5])[0]
            events.append({"customer_id": cid, "ts": ts, "event_type": kind, "value": 1.0})
        if i % 17 == 3:
            d = rng.choice([T - timedelta(days=90), T - timedelta(days=89), T])
            ts = datetime(d.year, d.month, d.day, 23, 59)
            events.append({"customer_id": cid, "ts": ts, "event_type": "payment_failed"})
        # feedback: some twice on the same day
        if rng.random() < 0.45:
            for _ in range(rng.randint(1, 3)):
                d = rand_day(rng, T - timedelta(days=200), T)
                if rng.random() < 0.1:
                    d = rng.choice(edges)
                feedback.append({"customer_id": cid, "date": d, "score": rng.randint(0, 10)})
                if rng.random() < 0.1:
                    feedback.append({"customer_id": cid, "date": d, "score": rng.randint(0, 10)})
    # hand-made risk accounts: the last six months are (P block, R block) per column;
    # thresholds met exactly by fractional means, .5 sums (round half away from zero)
    flat = {"logins": [20] * 6, "features_used": [4] * 6, "support_tickets": [0] * 6}
    flat["nps"] = [30] * 6
    handmade = {
        "R1": ({"features_used": [4, 4, 4, 3, 3, 3]}, None, False),  # 7.5 + 15 = 22.5 -> 23
        "R2": ({"features_used": [4, 4, 4, 3, 3, 3]}, 30, True),  # 42.5 -> 43
        "R3": ({"nps": [30, 30, 30, -10, -10, -10]}, None, False),  # 20 + 15 = 35
        "R4": (
            {"logins": [20, 20, 20, 14, 14, 14], "support_tickets": [0, 0, 0, 1, 1, 1]},
            None,
            False,
        ),
        "R5": ({"support_tickets": [0, 0, 0, 2, 2, 2]}, 90, False),
        # means of thirds: logins 10/3 -> 7/3 is exactly -30 %, tickets 2/3 -> 5/3 is
        # exactly +1, nps 91/3 -> 61/3 is exactly -10 points: all three fire
        "R6": (
            {
                "logins": [3, 3, 4, 2, 2, 3],
                "support_tickets": [0, 1, 1, 2, 2, 1],
                "nps": [30, 30, 31, 20, 20, 21],
            },
            None,
            False,
        ),
        # features 10/3 -> 8/3 is exactly -20 %: usage fires at strength 0.4 (6 points)
        "R7": ({"features_used": [3, 3, 4, 2, 3, 3]}, None, False),
    }
    all_months = months_between(date(2024, 1, 1), T)
    for cid, (cols, renewal_in, pay) in handmade.items():
        renewal = None if renewal_in is None else T + timedelta(days=renewal_in)
        customers.append(
            {"customer_id": cid, "name": cid, "segment": "SMB", "region": "NA"}
            | {"signup_date": date(2023, 1, 1), "renewal_date": renewal}
        )
        for k, m in enumerate(all_months):
            j = max(0, k - (len(all_months) - 6))
            row = {c: (cols.get(c) or flat[c])[j] for c in flat}
            monthly.append({"customer_id": cid, "month": m, "mrr": 100.0, **row})
        feedback.append({"customer_id": cid, "date": T - timedelta(days=10), "score": 3})
        if pay:
            ts = datetime(T.year, T.month, T.day - 5)
            events.append({"customer_id": cid, "ts": ts, "event_type": "payment_failed"})
    # a duplicated customer id: the first row is kept
    customers.append({**customers[4], "segment": "Duplicate", "signup_date": date(2020, 1, 1)})
    # the as_of day itself carries an order; orphans in orders, monthly, events
    orders.append({"customer_id": "C1", "order_date": T, "amount": 10.0})
    for k, d in enumerate([T, T - timedelta(days=100), T - timedelta(days=400)]):
        orders.append({"customer_id": f"X{k}", "order_date": d, "amount": 123.25})
    for m in months_between(date(2024, 1, 1), T):
        monthly.append({"customer_id": "X1", "month": m, "mrr": 77.5})
    events.append({"customer_id": "X9", "ts": datetime(2025, 7, 1), "event_type": "login"})
    write(
        folder,
        "customers",
        customers,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("name", pa.string()),
                ("segment", pa.string()),
                ("region", pa.string()),
                ("owner", pa.string()),
                ("signup_date", pa.date32()),
                ("churn_date", pa.date32()),
                ("churn_reason", pa.string()),
                ("annual_revenue", pa.float64()),
                ("seats", pa.int64()),
                ("renewal_date", pa.date32()),
            ]
        ),
    )
    write(
        folder,
        "orders",
        orders,
        pa.schema(
            [("customer_id", pa.string()), ("order_date", pa.date32()), ("amount", pa.float64())]
        ),
    )
    write(
        folder,
        "monthly",
        monthly,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("month", pa.date32()),
                ("mrr", pa.float64()),
                ("logins", pa.int64()),
                ("features_used", pa.int64()),
                ("support_tickets", pa.int64()),
                ("nps", pa.int64()),
            ]
        ),
    )
    write(
        folder,
        "events",
        events,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("ts", pa.timestamp("us")),
                ("event_type", pa.string()),
                ("value", pa.float64()),
            ]
        ),
    )
    write(
        folder,
        "feedback",
        feedback,
        pa.schema([("customer_id", pa.string()), ("date", pa.date32()), ("score", pa.int64())]),
    )
    return folder


def build_retail(root: Path) -> Path:
    """(b) an orders-only log, integer ids, no customers table: churn = inactivity."""
    rng = random.Random(202)
    folder = root / "retail"
    end = date(2025, 6, 14)
    orders = []
    for cid in range(1, 401):
        first = rand_day(rng, date(2022, 1, 1), end)
        last = rand_day(rng, first, end) if rng.random() < 0.6 else end
        k = rng.choice([1, 1, 2, 3, 4, 6, 10, 20])
        for j in range(k):
            d = first if j == 0 else rand_day(rng, first, last)
            if cid % 19 == 0 and j == 0:
                d = end - timedelta(days=rng.choice([0, 30, 90, 180, 364, 365, 366]))
            ts = datetime(d.year, d.month, d.day, rng.randint(0, 23), rng.randint(0, 59))
            amount = money(rng, 1, 600) * (100 if cid % 37 == 0 else 1)
            if rng.random() < 0.06:
                amount = -amount
            orders.append({"customer_id": cid, "order_date": ts, "amount": amount})
    write(
        folder,
        "orders",
        orders,
        pa.schema(
            [
                ("customer_id", pa.int64()),
                ("order_date", pa.timestamp("us")),
                ("amount", pa.float64()),
            ]
        ),
    )
    return folder


def build_monthly_only(root: Path) -> Path:
    """(c) monthly rows only: churn from the last month with mrr > 0."""
    rng = random.Random(303)
    folder = root / "monthly_only"
    last_month = date(2025, 6, 1)
    rows = []
    for i in range(250):
        cid = f"m{i:03d}"
        first = rng.choice(months_between(date(2022, 1, 1), last_month))
        months = months_between(first, last_month)
        stop = len(months)
        if rng.random() < 0.4:
            stop = rng.randint(1, len(months))
        gap = rng.random() < 0.1  # churned, then reactivated
        base = money(rng, 10, 400) * (20 if i % 31 == 0 else 1)
        flat = i % 2 == 0  # list prices: many equal mrr values, ties broken by id
        if flat:
            base = rng.choice([49.0, 99.0, 249.0, 999.0])
        metrics = monthly_metrics(rng, months, rng.random() < 0.35)
        segment = rng.choice(["SMB", "Individual", None])
        for j, (m, met) in enumerate(zip(months, metrics, strict=True)):
            if j >= stop + 2:
                break  # rows stop altogether after a couple of zero months
            mrr = 0.0 if j >= stop else base + (0 if flat else j * 5.25)
            if i % 7 == 2 and j < 2:
                mrr = 0.0  # a free trial first: start is the first month with mrr > 0
            if gap and len(months) > 6 and 2 <= j < 4:
                mrr = 0.0
            if j == len(months) // 2 and i % 5 == 0:
                segment = "Enterprise"  # attributes come from the latest row
            rows.append(
                {
                    "customer_id": cid,
                    "month": m + timedelta(days=14),  # any day of the month
                    "mrr": mrr,
                    **met,
                    "segment": segment,
                    "region": "EMEA" if i % 3 else "APAC",
                    "owner": rng.choice(["Ann", "Bob"]),
                    "name": f"Account {i}",
                }
            )
        if i % 50 == 7:  # a second row in a month: its mrr adds up
            rows.append({"customer_id": cid, "month": months[-1], "mrr": 12.5})
    schema = pa.schema(
        [
            ("customer_id", pa.string()),
            ("month", pa.date32()),
            ("mrr", pa.float64()),
            ("logins", pa.int64()),
            ("features_used", pa.int64()),
            ("support_tickets", pa.int64()),
            ("nps", pa.int64()),
            ("segment", pa.string()),
            ("region", pa.string()),
            ("owner", pa.string()),
            ("name", pa.string()),
        ]
    )
    write(folder, "monthly", rows, schema)
    return folder


def build_is_active(root: Path) -> Path:
    """(d) a customers snapshot with is_active, plus events and feedback."""
    rng = random.Random(404)
    folder = root / "is_active"
    T = date(2025, 5, 31)
    customers, events, feedback = [], [], []
    berlin = ZoneInfo("Europe/Berlin")
    for i in range(260):
        cid = i * 7 + 3
        signup = rand_day(rng, date(2021, 6, 1), T)
        customers.append(
            {
                "customer_id": cid,
                "name": f"User {i}",
                "segment": rng.choice(["SMB", "Individual", "Enterprise"]),
                "plan": rng.choice(["free", "pro", "team", None]),
                "owner": rng.choice(["Ann", "Bob", None]),
                "signup_date": signup,
                "is_active": rng.choice([True, True, True, False, None]),
                "annual_revenue": None if i % 13 == 0 else money(rng, 100, 80_000),
                "renewal_date": T + timedelta(days=rng.randint(-30, 120)),
            }
        )
        for _ in range(rng.choice([0, 3, 14, 15, 16, 31, 40])):
            d = rand_day(rng, max(signup, T - timedelta(days=100)), T)
            kind = rng.choices(["login", "payment_failed"], [9, 1])[0]
            # 00:30 in Berlin is the day before in UTC: the local date counts
            ts = datetime(d.year, d.month, d.day, rng.choice([0, 12]), 30, tzinfo=berlin)
            events.append({"customer_id": str(cid), "ts": ts, "event_type": kind})
        if i % 9 == 0:  # right on the 90-day edge, local time just after midnight
            d = T - timedelta(days=rng.choice([89, 90]))
            ts = datetime(d.year, d.month, d.day, 0, 30, tzinfo=berlin)
            events.append({"customer_id": str(cid), "ts": ts, "event_type": "payment_failed"})
        if rng.random() < 0.5:
            d = rand_day(rng, T - timedelta(days=120), T)
            score = rng.randint(0, 10)
            feedback.append({"customer_id": cid, "date": d.isoformat(), "score": score})
    events.append({"customer_id": "0003", "ts": datetime(2025, 5, 1, tzinfo=berlin)} | PAY)
    events.append({"customer_id": "3", "ts": datetime(2025, 5, 2, tzinfo=berlin)} | PAY)
    feedback.append({"customer_id": 3, "date": "2025-05-30", "score": 1})
    write(
        folder,
        "customers",
        customers,
        pa.schema(
            [
                ("customer_id", pa.int64()),
                ("name", pa.string()),
                ("segment", pa.string()),
                ("plan", pa.string()),
                ("owner", pa.string()),
                ("signup_date", pa.date32()),
                ("is_active", pa.bool_()),
                ("annual_revenue", pa.float64()),
                ("renewal_date", pa.date32()),
            ]
        ),
    )
    write(
        folder,
        "events",
        events,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("ts", pa.timestamp("us", tz="Europe/Berlin")),
                ("event_type", pa.string()),
            ]
        ),
    )
    write(
        folder,
        "feedback",
        feedback,
        pa.schema([("customer_id", pa.int32()), ("date", pa.string()), ("score", pa.int64())]),
    )
    return folder


def build_mixed(root: Path) -> Path:
    """(f) no customers table but orders, monthly, events and feedback.

    orders is a hive-partitioned folder, monthly a folder of two files. Churn
    comes from monthly for everybody (ids with orders only never churn), some
    ids appear only in events (start = first event) or only in feedback (not
    customers at all).
    """
    rng = random.Random(606)
    folder = root / "mixed"
    T = date(2025, 4, 30)
    orders, monthly, events, feedback = [], [], [], []
    for i in range(220):
        cid = f"a{i}"
        first = rand_day(rng, date(2022, 6, 1), T)
        if i % 5 != 0:  # monthly rows
            months = months_between(first, T)
            stop = rng.randint(1, len(months)) if rng.random() < 0.4 else len(months)
            base = rng.choice([29.0, 79.0, 199.0]) if i % 3 else money(rng, 10, 300)
            metrics = monthly_metrics(rng, months, rng.random() < 0.3)
            for j, (m, met) in enumerate(zip(months, metrics, strict=True)):
                monthly.append(
                    {
                        "customer_id": cid,
                        "month": m,
                        "mrr": base if j < stop else 0.0,
                        **met,
                        "segment": rng.choice(["SMB", "Individual"])
                        if j == 0
                        else None
                        if i % 4 == 0
                        else "SMB",
                        "owner": rng.choice(["Ann", "Bob"]),
                        "name": f"Mixed {i}",
                    }
                )
        if i % 5 != 1:  # orders, some starting before the first mrr
            for _ in range(rng.choice([0, 1, 2, 4, 9])):
                d = rand_day(rng, first - timedelta(days=200), T)
                orders.append({"customer_id": cid, "order_date": d, "amount": money(rng, 1, 500)})
        for _ in range(rng.choice([0, 0, 5, 16, 35])):
            d = rand_day(rng, max(first, T - timedelta(days=150)), T)
            kind = rng.choices(["login", "payment_failed"], [12, 1])[0]
            events.append(
                {"customer_id": cid, "ts": datetime(d.year, d.month, d.day, 9), "event_type": kind}
            )
        if rng.random() < 0.4:
            d = rand_day(rng, T - timedelta(days=100), T)
            feedback.append({"customer_id": cid, "date": d, "score": rng.randint(0, 10)})
    for k in range(20):  # known from events alone
        d = rand_day(rng, date(2024, 1, 1), T)
        events.append(
            {"customer_id": f"e{k}", "ts": datetime(d.year, d.month, d.day), "event_type": "login"}
        )
    for k in range(10):  # feedback alone does not start a customer
        feedback.append({"customer_id": f"f{k}", "date": T - timedelta(days=k), "score": 2})
    schema = pa.schema(
        [
            ("customer_id", pa.string()),
            ("order_date", pa.date32()),
            ("amount", pa.float64()),
            ("year", pa.int32()),
        ]
    )
    for o in orders:
        o["year"] = o["order_date"].year
    pq.write_to_dataset(
        pa.Table.from_pylist(orders, schema=schema), folder / "orders", partition_cols=["year"]
    )
    mschema = pa.schema(
        [
            ("customer_id", pa.string()),
            ("month", pa.date32()),
            ("mrr", pa.float64()),
            ("logins", pa.int64()),
            ("features_used", pa.int64()),
            ("support_tickets", pa.int64()),
            ("nps", pa.int64()),
            ("segment", pa.string()),
            ("owner", pa.string()),
            ("name", pa.string()),
        ]
    )
    (folder / "monthly").mkdir(parents=True)
    half = len(monthly) // 2
    for k, part in enumerate((monthly[:half], monthly[half:])):
        pq.write_table(
            pa.Table.from_pylist(part, schema=mschema), folder / "monthly" / f"part-{k}.parquet"
        )
    write(
        folder,
        "events",
        events,
        pa.schema(
            [("customer_id", pa.string()), ("ts", pa.timestamp("us")), ("event_type", pa.string())]
        ),
    )
    write(
        folder,
        "feedback",
        feedback,
        pa.schema([("customer_id", pa.string()), ("date", pa.date32()), ("score", pa.int64())]),
    )
    return folder


def build_saas_monthly(root: Path) -> Path:
    """(g) customers without churn_date + monthly (month as a timestamp) + feedback.

    Churn comes from monthly; customers with no mrr never churn; the tier and
    VIP use annual_revenue (there is no orders table).
    """
    rng = random.Random(707)
    folder = root / "saas_monthly"
    last = date(2025, 2, 1)
    customers, monthly, feedback = [], [], []
    for i in range(240):
        cid = f"S{i}"
        signup = rand_day(rng, date(2022, 3, 1), date(2025, 2, 27))
        customers.append(
            {
                "customer_id": cid,
                "name": f"Saas {i}",
                "segment": rng.choice(["SMB", "Enterprise", "Individual"]),
                "owner": rng.choice(["Ann", "Bob", None]),
                "signup_date": None if i % 9 == 0 else signup,
                "annual_revenue": None if i % 8 == 0 else rng.choice([1200.0, 6000.0, 60000.0]),
                "renewal_date": signup.replace(year=2025) if signup.month != 2 else None,
            }
        )
        if i % 6 == 0:
            continue  # no monthly rows at all
        months = months_between(signup, last)
        stop = rng.randint(1, len(months)) if rng.random() < 0.35 else len(months)
        metrics = monthly_metrics(rng, months, rng.random() < 0.35)
        if i % 10 == 1:  # a whole block of nulls cannot fire its signal
            for met in metrics[-6:-3]:
                met["nps"] = met["logins"] = None
        for j, (m, met) in enumerate(zip(months, metrics, strict=True)):
            if j > stop + 1:
                break
            ts = datetime(m.year, m.month, rng.randint(1, 28), 6)
            mrr = 0.0 if j >= stop else rng.choice([50.0, 100.0, 500.0])
            monthly.append({"customer_id": cid, "month": ts, "mrr": mrr, **met})
        if rng.random() < 0.5:
            d = rand_day(rng, date(2024, 10, 1), date(2025, 2, 28))
            ts = datetime(d.year, d.month, d.day, 23, 59)
            feedback.append({"customer_id": cid, "date": ts, "score": rng.randint(0, 10)})
    write(
        folder,
        "customers",
        customers,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("name", pa.string()),
                ("segment", pa.string()),
                ("owner", pa.string()),
                ("signup_date", pa.date32()),
                ("annual_revenue", pa.float64()),
                ("renewal_date", pa.date32()),
            ]
        ),
    )
    write(
        folder,
        "monthly",
        monthly,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("month", pa.timestamp("ms")),
                ("mrr", pa.float64()),
                ("logins", pa.int64()),
                ("features_used", pa.int64()),
                ("support_tickets", pa.int64()),
                ("nps", pa.int64()),
            ]
        ),
    )
    write(
        folder,
        "feedback",
        feedback,
        pa.schema(
            [("customer_id", pa.string()), ("date", pa.timestamp("us")), ("score", pa.int64())]
        ),
    )
    return folder


def build_shop(root: Path) -> Path:
    """(h) customers (no churn_date) + orders + events: churn = inactivity, with a config."""
    rng = random.Random(808)
    folder = root / "shop"
    T = date(2024, 12, 31)
    customers, orders, events = [], [], []
    for i in range(300):
        cid = f"{i:04d}"  # leading zeros are part of the id
        signup = rand_day(rng, date(2022, 1, 1), T)
        customers.append(
            {
                "customer_id": cid,
                "name": f"Shop {i}",
                "segment": rng.choice(["Retail", "Wholesale", None]),
                "signup_date": signup,
            }
        )
        for _ in range(rng.choice([0, 1, 2, 3, 6, 12])):
            d = rand_day(rng, signup, T)
            if i % 13 == 0:
                d = T - timedelta(days=rng.choice([179, 180, 181]))
            amount = money(rng, 1, 3000)
            orders.append({"customer_id": cid, "order_date": d, "amount": amount})
        for _ in range(rng.choice([0, 2, 6, 9, 12])):
            d = rand_day(rng, T - timedelta(days=100), T)
            kind = rng.choice(["view", "card_declined", "payment_failed", "view"])
            events.append(
                {"customer_id": cid, "ts": datetime(d.year, d.month, d.day), "event_type": kind}
            )
    write(
        folder,
        "customers",
        customers,
        pa.schema(
            [
                ("customer_id", pa.string()),
                ("name", pa.string()),
                ("segment", pa.string()),
                ("signup_date", pa.date32()),
            ]
        ),
    )
    write(
        folder,
        "orders",
        orders,
        pa.schema(
            [("customer_id", pa.string()), ("order_date", pa.date32()), ("amount", pa.float64())]
        ),
    )
    write(
        folder,
        "events",
        events,
        pa.schema(
            [("customer_id", pa.string()), ("ts", pa.timestamp("us")), ("event_type", pa.string())]
        ),
    )
    (root / "shop.toml").write_text(
        "[settings]\ninactive_after_days = 180\n"
        "[tiers]\nenterprise = 20000\nsmb = 2000\n"
        "[engagement]\nlow = 3\nhigh = 8\n"
        '[risk]\npayment_event_types = ["payment_failed", "card_declined"]\n'
        "[risk.weights]\norder_gap = 30\npayment_issue = 20\n"
    )
    return folder


SHOP_CONFIG = {
    "inactive_after_days": 180,
    "tiers": (20000, 2000),
    "engagement_bins": (3, 8),
    "payment_event_types": ("payment_failed", "card_declined"),
    "weights": {"order_gap": 30, "payment_issue": 20},
}


# name -> (builder, --as-of, dimensions, top --by choices)
CASES: dict[str, tuple[Any, str | None, list[str], list[str | None]]] = {
    "saas": (
        build_saas,
        None,
        [
            *["segment", "region", "owner", "seats", "revenue_tier", "lifecycle"],
            *["rfm_segment", "risk_band", "engagement", "segment,region", "lifecycle,rfm_segment"],
        ],
        [None, "mrr", "lifetime_revenue"],
    ),
    "saas_past": (
        build_saas,
        SAAS_PAST,
        [
            *["segment", "churn_reason", "revenue_tier", "lifecycle", "rfm_segment"],
            *["risk_band", "engagement"],
        ],
        [None, "mrr", "lifetime_revenue"],
    ),
    "retail": (
        build_retail,
        None,
        ["revenue_tier", "lifecycle", "rfm_segment", "risk_band"],
        [None, "lifetime_revenue"],
    ),
    "retail_past": (
        build_retail,
        "2024-03-31",
        ["revenue_tier", "lifecycle", "rfm_segment"],
        [None],
    ),
    "monthly_only": (
        build_monthly_only,
        None,
        ["segment", "region", "revenue_tier", "lifecycle", "risk_band"],
        [None],
    ),
    "monthly_past": (
        build_monthly_only,
        "2024-12-15",
        ["segment", "revenue_tier", "lifecycle"],
        [None],
    ),
    "is_active": (
        build_is_active,
        None,
        ["segment", "plan", "revenue_tier", "lifecycle", "risk_band", "engagement", "is_active"],
        [None],
    ),
    "mixed": (
        build_mixed,
        None,
        ["segment", "owner", "revenue_tier", "lifecycle", "rfm_segment", "engagement"],
        [None, "mrr"],
    ),
    "saas_monthly": (
        build_saas_monthly,
        None,
        ["segment", "owner", "revenue_tier", "lifecycle", "risk_band"],
        [None, "annual_revenue"],
    ),
    "shop": (
        build_shop,
        None,
        ["segment", "revenue_tier", "lifecycle", "rfm_segment", "risk_band", "engagement"],
        [None, "lifetime_revenue"],
    ),
    "demo": (
        None,
        None,
        ["segment", "revenue_tier", "lifecycle", "rfm_segment", "risk_band", "engagement"],
        [None, "mrr"],
    ),
}
RETENTION_BY = {
    "saas": "revenue_tier",
    "saas_past": "segment",
    "monthly_only": "segment",
    "monthly_past": "segment",
    "mixed": "segment",
    "saas_monthly": "owner",
    "demo": "segment",
}
CHURN_WINDOWS = {"saas": ("90d", 90), "monthly_only": ("2y", 730)}


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("reference")


_refs: dict[str, tuple[Path, Reference]] = {}
_built: dict[str, Path] = {}


@pytest.fixture
def case(request, root: Path) -> tuple[str, Path, Reference]:
    name = request.param
    if name not in _refs:
        builder, as_of = CASES[name][0], CASES[name][1]
        if builder is None:
            folder = DEMO
        else:
            folder = _built.get(builder.__name__) or builder(root)
            _built[builder.__name__] = folder
        settings = SHOP_CONFIG if name == "shop" else {}
        ref = Reference(folder, date.fromisoformat(as_of) if as_of else None, **settings)
        _refs[name] = (folder, ref)
    folder, ref = _refs[name]
    return name, folder, ref


def cli(name: str, folder: Path, command: str, *args: str) -> Any:
    as_of = CASES[name][1]
    argv = [command, str(folder), *args, "--format", "json", "--no-cache"]
    if as_of:
        argv += ["--as-of", as_of]
    if name == "shop":
        argv += ["--config", str(folder.parent / "shop.toml")]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# -------------------------------------------------------------------------- compare


def diff(actual: Any, expected: Any, path: str = "") -> list[str]:
    """Every difference: numbers to 1e-6 relative, nulls equal, lists in order."""
    if expected is None or actual is None:
        return (
            [] if actual is None and expected is None else [f"{path}: {actual!r} != {expected!r}"]
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        ok = math.isclose(actual, expected, rel_tol=1e-6, abs_tol=1e-9)
        return [] if ok else [f"{path}: {actual!r} != {expected!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        if set(actual) != set(expected):
            out.append(f"{path}: keys {sorted(actual)} != {sorted(expected)}")
        for k in expected:
            if k in actual:
                out += diff(actual[k], expected[k], f"{path}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        out = []
        if len(actual) != len(expected):
            out.append(f"{path}: {len(actual)} rows != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected, strict=False)):
            out += diff(a, e, f"{path}[{i}]")
        return out
    return [] if actual == expected else [f"{path}: {actual!r} != {expected!r}"]


def check(actual: Any, expected: Any, what: str) -> None:
    problems = diff(actual, expected)
    assert not problems, f"{what}: {len(problems)} differences\n" + "\n".join(problems[:25])


SIGNAL_WORDS = {
    "logins": "login_decline",
    "tickets": "ticket_spike",
    "NPS": "nps_drop",
    "usage": "usage_decline",
    "no order": "order_gap",
    "detractor": "detractor",
    "renewal": "renewal_due",
    "payment": "payment_issue",
}


def fired(text: str | None) -> list[str]:
    """The signal names behind an at-risk row's short text."""
    names = []
    for part in (text or "").split(", "):
        hits = [sig for word, sig in SIGNAL_WORDS.items() if part.startswith(word)]
        assert len(hits) <= 1, part
        if hits:
            names.append(hits[0])
    return sorted(names, key=SIGNALS.index)


CASE_NAMES = list(CASES)
SEGMENT_PARAMS = [(n, d) for n in CASES for d in CASES[n][2]]
TOP_PARAMS = [(n, b) for n in CASES for b in CASES[n][3]]


# ---------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASE_NAMES, indirect=True)
def test_overview(case) -> None:
    name, folder, ref = case
    # overview ends with SPEC §8's new vs returning buyers (their own reference)
    buyers = RevenueReference(folder, ref.as_of).new_vs_returning()
    check(cli(name, folder, "overview"), {**ref.overview(), **buyers}, f"{name} overview")


@pytest.mark.parametrize(("case", "dim"), SEGMENT_PARAMS, indirect=["case"])
def test_segments(case, dim: str) -> None:
    name, folder, ref = case
    actual = cli(name, folder, "segments", "--by", dim, "--limit", "0")
    check(actual, ref.segments(dim), f"{name} segments --by {dim}")


@pytest.mark.parametrize(("case", "by"), TOP_PARAMS, indirect=["case"])
def test_top(case, by: str | None) -> None:
    name, folder, ref = case
    args = ["-n", ALL, "--limit", "0"] + (["--by", by] if by else [])
    check(cli(name, folder, "top", *args), ref.top(by, 10**6), f"{name} top --by {by}")


@pytest.mark.parametrize("case", CASE_NAMES, indirect=True)
def test_churn_reasons(case) -> None:
    name, folder, ref = case
    actual = cli(name, folder, "churn", "--window", "12m", "--limit", "0")
    check(actual, ref.churn_reasons(365), f"{name} churn")
    if name in CHURN_WINDOWS:
        window, days = CHURN_WINDOWS[name]
        actual = cli(name, folder, "churn", "--window", window, "--limit", "0")
        check(actual, ref.churn_reasons(days), f"{name} churn --window {window}")


def at_risk_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "signals": fired(r["signals"])} for r in rows]


@pytest.mark.parametrize("case", CASE_NAMES, indirect=True)
def test_risk_score_of_every_active_customer(case) -> None:
    """at-risk with --min-score 0 lists every active customer with its score."""
    name, folder, ref = case
    actual = cli(name, folder, "at-risk", "-n", ALL, "--min-score", "0", "--limit", "0")
    check(at_risk_rows(actual), ref.at_risk(10**6, 0)["rows"], f"{name} at-risk (all)")


@pytest.mark.parametrize("case", CASE_NAMES, indirect=True)
def test_at_risk_defaults_and_summary(case) -> None:
    name, folder, ref = case
    actual = cli(name, folder, "at-risk", "--summary")
    expected = ref.at_risk()
    check({**actual, "rows": at_risk_rows(actual["rows"])}, expected, f"{name} at-risk")


@pytest.mark.parametrize("case", CASE_NAMES, indirect=True)
def test_retention(case) -> None:
    name, folder, ref = case
    by = RETENTION_BY.get(name)
    args = ["--by", by, "--limit", "0"] if by else []
    check(cli(name, folder, "retention", *args), ref.retention(by), f"{name} retention")


def account_got_want(out: dict, ref: Reference, cid: str) -> tuple[dict, dict]:
    """What `cxtui account ID --format json` says about status, lifecycle, start,
    tier, RFM and each risk signal, and what the reference says."""
    f = ref.f[cid]
    got = {
        "status": out["status"]["status"],
        "lifecycle": out["status"]["lifecycle"],
        "start_date": out["status"]["start_date"],
        "revenue_tier": out["status"].get("revenue_tier"),
        "rfm": out.get("rfm_scores"),
    }
    want = {
        "status": "active" if f["active"] else "churned",
        "lifecycle": ref.dim[cid]["lifecycle"],
        "start_date": ref.start[cid].isoformat(),
        "revenue_tier": ref.dim[cid]["revenue_tier"],
        "rfm": dict(zip("rfm", ref.rfm.get(cid, (None, None, None)), strict=True)),
    }
    if cid in ref.risk_of:
        risk = ref.risk_of[cid]
        got["risk_score"] = out["risk"]["risk_score"]
        want["risk_score"] = risk["risk_score"]
        for s in out["risk"]["signals"]:
            name = s["signal"]
            e = risk["signals"][name]
            got[name] = {"fires": s["fires"], "strength": s["strength"] if s["fires"] else None}
            want[name] = {"fires": e["fires"], "strength": e["strength"]}
            if name in ("login_decline", "ticket_spike", "nps_drop", "usage_decline"):
                got[name] |= {"before": s["before"], "after": s["after"]}
                want[name] |= {"before": e["before"], "after": e["after"]}
    return got, want


@pytest.mark.parametrize("case", [n for n in CASE_NAMES if n != "demo"], indirect=True)
def test_account_signals_and_facts(case) -> None:
    """Per-signal before/after/strength and the RFM scores, on a sample of accounts."""
    name, folder, ref = case
    active = sorted(ref.risk_of, key=lambda c: (-ref.risk_of[c]["raw"], c))
    rng = random.Random(7)
    sample = active[:4] + rng.sample(active, min(4, len(active)))
    sample += rng.sample(ref.universe, 3) + [
        c for c in ("R1", "R2", "R4", "R5", "R6", "R7") if c in ref.f
    ]
    problems = []
    for cid in dict.fromkeys(sample):
        out = cli(name, folder, "account", cid)
        got, want = account_got_want(out, ref, cid)
        problems += diff(got, want, cid)
    assert not problems, f"{name} account: {len(problems)} differences\n" + "\n".join(problems)


@pytest.mark.parametrize("case", [n for n in CASE_NAMES if n != "demo"], indirect=True)
def test_datasets_exercise_the_readings(case) -> None:
    """Guards the generators: each dataset really reaches the paths it is there for."""
    name, _folder, ref = case
    source = {
        "saas": "churn_date",
        "saas_past": "churn_date",
        "retail": "orders",
        "retail_past": "orders",
        "monthly_only": "monthly",
        "monthly_past": "monthly",
        "is_active": "is_active",
        "mixed": "monthly",
        "saas_monthly": "monthly",
        "shop": "orders",
    }[name]
    assert ref.churn_source == source
    assert len(ref.universe) >= 100
    assert ref.churned(365), "somebody churned in the 12m window"
    assert ref.at_risk(10**6, 0)["rows"], "active customers with a score"
    lifecycles = {ref.dim[c]["lifecycle"] for c in ref.universe}
    assert {"Inactive", "Regular", "VIP"} <= lifecycles
    if name == "saas":
        fired_anywhere = {
            s for r in ref.risk_of.values() for s in SIGNALS if r["signals"][s]["fires"]
        }
        assert fired_anywhere == set(SIGNALS)
        assert len({ref.dim[c]["rfm_segment"] for c in ref.universe}) == 11  # 10 names + null
        assert {"Low", "Medium", "High"} <= {ref.dim[c]["engagement"] for c in ref.universe}
        assert ref.at_risk()["rows"] and ref.overview()["churned_customers_30d"] > 0
    if name == "mixed":
        assert any(c.startswith("e") for c in ref.universe)  # started by an event
        assert not any(c.startswith("f") for c in ref.universe)  # feedback alone: no

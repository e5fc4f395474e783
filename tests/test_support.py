"""SPEC §9 support on tiny fixtures, every expected number worked out by hand: the
three sources (tickets table, monthly.support_tickets, support_ticket_created
events), the ranges, response hours and resolution; the tickets table mapped
from a CSV; [support] config errors; validate findings; and a plain-Python
implementation compared on generated data.

as_of is 2025-06-30, so the default 90d window is (2025-04-01, 2025-06-30].
"""

from __future__ import annotations

import math
import random
import statistics
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cxtui.data.config import load_config
from cxtui.data.load import open_dataset
from cxtui.data.validate import validate_dataset
from cxtui.engine import collect, open_analysis
from cxtui.errors import CxError
from cxtui.metrics import support as sup
from cxtui.metrics.overview import overview

AS_OF = date(2025, 6, 30)
D = date
T = datetime
LABELS = ["0", "1", "2-4", "5-10", "11+"]


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def write(root: Path, table: str, frame: pl.DataFrame) -> None:
    root.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(root / f"{table}.parquet")


def customers(root: Path, ids: list[str], late: tuple[str, ...] = ()) -> None:
    signup = [D(2025, 7, 15) if i in late else D(2024, 1, 1) for i in ids]
    write(root, "customers", pl.DataFrame({"customer_id": ids, "signup_date": signup}))


def scope_of(root: Path, as_of: date | None = AS_OF, where: str | None = None):
    return open_analysis(root, as_of=as_of, where=where, use_cache=False).scope


def one(lf: pl.LazyFrame) -> dict:
    (row,) = collect(lf).to_dicts()
    return row


def ranges(scope, window_days: int = 90) -> dict[str, tuple]:
    got = collect(sup.ticket_ranges(scope, window_days)).to_dicts()
    assert [r["range"] for r in got] == list(sup.range_labels(scope.ds.config.support_ranges))
    return {r["range"]: (r["customers"], r["share"]) for r in got}


# ---------------------------------------------------------------- the tickets table

# customer_id, created_at, first_response_at, resolved_at (CSV text); the comments
# give each ticket's part in the figures
TICKETS_CSV = """account;opened;first_reply;closed;category;state
a;2025-04-01T10:00:00;2025-04-01T11:00:00;2025-04-01;billing;closed
a;2025-04-02 08:00;2025-04-02 10:30;2025-04-03;billing;closed
a;2025-06-30T23:00:00;2025-07-01T01:00:00;;login;open
b;2025-05-10;2025-05-10T06:00:00;2025-05-11;login;closed
b;2025-05-12 12:00;2025-05-12 11:00;2025-07-02;billing;open
c;2025-06-01T09:00:00+02:00;2025-06-01T08:00:00Z;2025-06-01T09:00:00Z;login;closed
x;2025-06-01;2025-06-01T01:00:00;2025-06-01;billing;closed
late;2025-06-20;2025-06-20T01:00:00;2025-06-21;billing;closed
c;2025-07-05;2025-07-05T01:00:00;;billing;open
d;2025-05-01 10:00;;2025-05-02;login;closed
"""
# 1. on the excluded lower edge     2. 2.5 h, resolved      3. on as_of; its response
# and no resolution by as_of        4. a date: from midnight, 6 h, resolved
# 5. response before creation: left out; resolved after as_of: not resolved
# 6. 07:00 UTC -> 08:00 UTC: 1 h, resolved       7. not a customer
# 8. a customer who starts after as_of           9. after as_of
# 10. no first response, resolved
TICKETS_TOML = """[tables.tickets]
path = "helpdesk.csv"
separator = ";"

[tables.tickets.columns]
customer_id = "account"
created_at = "opened"
first_response_at = "first_reply"
resolved_at = "closed"
topic = "category"
status = "state"
"""


@pytest.fixture
def helpdesk(tmp_path: Path) -> Path:
    root = tmp_path / "helpdesk"
    customers(root, ["a", "b", "c", "d", "e", "late"], late=("late",))
    (root / "helpdesk.csv").write_text(TICKETS_CSV)
    (root / "cxtui.toml").write_text(TICKETS_TOML)
    return root


def test_tickets_table_figures_by_hand(helpdesk: Path) -> None:
    scope = scope_of(helpdesk)
    assert sup.support_source(scope.ds) == "tickets"
    row = one(sup.support(scope))
    # in the window, of customers: a 2 (#2, #3), b 2 (#4, #5), c 1 (#6), d 1 (#10)
    assert (row["source"], row["tickets"], row["customers"]) == ("tickets", 6, 5)
    # hours: #2 2.5, #4 6, #6 1 (#3 answered after as_of, #5 negative, #10 none)
    assert row["responded_tickets"] == 3
    assert row["first_response_hours_mean"] == pytest.approx(9.5 / 3, rel=1e-12)
    assert row["first_response_hours_median"] == pytest.approx(2.5, rel=1e-12)
    # resolved by as_of: #2, #4, #6, #10 of 6 created
    assert row["resolved_tickets"] == 4
    assert row["resolution_rate"] == pytest.approx(4 / 6, rel=1e-12)
    assert ranges(scope) == {
        "0": (1, 0.2),  # e
        "1": (2, 0.4),  # c, d
        "2-4": (2, 0.4),  # a, b
        "5-10": (0, 0.0),
        "11+": (0, 0.0),
    }


def test_range_drill_down_holds_exactly_the_counted_customers(helpdesk: Path) -> None:
    scope = scope_of(helpdesk)
    got = collect(sup.range_accounts(scope, "2-4"))
    assert got["customer_id"].to_list() == ["a", "b"] and got["tickets"].to_list() == [2, 2]
    assert collect(sup.range_accounts(scope, "0"))["customer_id"].to_list() == ["e"]
    assert collect(sup.range_accounts(scope, "11+")).height == 0
    with pytest.raises(CxError, match="unknown ticket range '3-4'"):
        sup.range_accounts(scope, "3-4")


def test_instants_keep_their_time_and_the_date_its_calendar_day(helpdesk: Path) -> None:
    ds = open_dataset(helpdesk, as_of=AS_OF)
    frame = ds.tables["tickets"].collect()
    c = frame.filter(pl.col("customer_id") == "c").row(0, named=True)
    assert c["created_at"] == D(2025, 6, 1)  # the written date
    assert c["created_time"] == T(2025, 6, 1, 7)  # 09:00 at +02:00
    assert c["first_response_at"] == T(2025, 6, 1, 8)
    b = frame.filter(pl.col("customer_id") == "b").row(0, named=True)
    assert b["created_time"] == T(2025, 5, 10) and b["resolved_at"] == T(2025, 5, 11)
    assert frame.schema["topic"] == pl.String and frame.schema["status"] == pl.String


def test_a_7_day_window_and_where(helpdesk: Path) -> None:
    row = one(sup.support(scope_of(helpdesk), window_days=7))
    # (2025-06-23, 2025-06-30]: #3 only, answered after as_of and not resolved
    assert (row["tickets"], row["responded_tickets"], row["resolved_tickets"]) == (1, 0, 0)
    assert row["first_response_hours_mean"] is None and row["resolution_rate"] == 0.0
    where = one(sup.support(scope_of(helpdesk, where="customer_id IN ('b', 'e')")))
    # b's #4 (6 h, resolved) and #5 (negative, resolved after as_of)
    assert (where["tickets"], where["customers"], where["resolved_tickets"]) == (2, 2, 1)
    assert where["first_response_hours_median"] == 6.0


def test_parquet_timestamps_aware_and_naive(tmp_path: Path) -> None:
    root = tmp_path / "pq"
    customers(root, ["a", "b"])
    berlin = pl.Datetime("us", "Europe/Berlin")
    write(
        root,
        "tickets",
        pl.DataFrame(
            {
                "customer_id": ["a", "b"],
                "created_at": pl.Series(
                    [T(2025, 6, 30, 23, 30), T(2025, 6, 1, 12)], dtype=pl.Datetime("ms")
                ).dt.replace_time_zone("Europe/Berlin"),
                "first_response_at": pl.Series(
                    [T(2025, 6, 30, 22), T(2025, 6, 1, 10, 15)], dtype=pl.Datetime("ns")
                ).dt.replace_time_zone("UTC"),
            }
        ).with_columns(pl.col("created_at").cast(berlin)),
    )
    row = one(sup.support(scope_of(root)))
    # a: created 23:30 Berlin (21:30 UTC) on as_of's date: in the window; answered
    # 22:00 UTC: 0.5 h. b: 12:00 Berlin = 10:00 UTC, answered 10:15 UTC: 0.25 h
    assert row["tickets"] == 2
    assert row["first_response_hours_mean"] == pytest.approx(0.375, rel=1e-12)
    assert row["resolved_tickets"] is None and row["resolution_rate"] is None  # no column


def test_a_time_that_does_not_read_is_one_line_error(tmp_path: Path) -> None:
    root = tmp_path / "bad_time"
    customers(root, ["a"])
    (root / "tickets.csv").write_text("customer_id,created_at\na,2025-06-01 25:99\n")
    with pytest.raises(CxError, match=r"table tickets: column 'created_at'.*'2025-06-01 25:99'"):
        open_dataset(root, as_of=AS_OF)


def test_tickets_do_not_move_the_default_as_of(tmp_path: Path) -> None:
    root = tmp_path / "as_of"
    customers(root, ["a"])
    write(
        root, "orders", pl.DataFrame({"customer_id": ["a"], "order_date": [AS_OF], "amount": [1.0]})
    )
    write(
        root,
        "tickets",
        pl.DataFrame({"customer_id": ["a", "a"], "created_at": [D(2025, 6, 1), D(2025, 8, 1)]}),
    )
    scope = scope_of(root, as_of=None)
    assert scope.as_of == AS_OF
    assert one(sup.support(scope))["tickets"] == 1  # the August ticket is not seen


def test_ticket_validation_findings_and_the_rest_still_works(helpdesk: Path) -> None:
    findings = validate_dataset(helpdesk, as_of=AS_OF)
    by_check = {(f.table, f.column, f.check): f for f in findings}
    negative = by_check[("tickets", "first_response_at", "response before creation")]
    assert negative.level == "warning" and negative.count == 1  # ticket 5
    missing = by_check[("tickets", "first_response_at", "missing values")]
    assert missing.level == "note" and missing.count == 1 and "response hours" in missing.detail
    unresolved = by_check[("tickets", "resolved_at", "missing values")]
    assert unresolved.count == 2 and "not resolved" in unresolved.detail
    orphans = by_check[("tickets", "customer_id", "unknown customers")]
    assert orphans.count == 1 and "support" in orphans.detail
    assert not any(f.level == "error" for f in findings)
    assert not any(f.column == "created_time" for f in findings)  # an internal column
    assert one(overview(scope_of(helpdesk)))["customers_total"] == 5


def test_csat_outside_1_to_5_is_a_finding(tmp_path: Path) -> None:
    root = tmp_path / "csat"
    customers(root, ["a"])
    write(
        root,
        "feedback",
        pl.DataFrame(
            {
                "customer_id": ["a"] * 4,
                "date": [D(2025, 6, 1)] * 4,
                "score": [9.0, 8.0, 7.0, 6.0],
                "csat": [0.0, 3.0, 6.0, None],
            }
        ),
    )
    (finding,) = [f for f in validate_dataset(root) if f.check == "csat outside 1-5"]
    assert (finding.level, finding.table, finding.column, finding.count) == (
        "warning",
        "feedback",
        "csat",
        2,
    )


# ---------------------------------------------------------------- the other two sources


def test_monthly_support_tickets_over_calendar_months(tmp_path: Path) -> None:
    root = tmp_path / "monthly"
    customers(root, ["a", "b", "c", "d"])
    rows = [
        ("a", D(2025, 3, 1), 5.0),  # before Apr-Jun
        ("a", D(2025, 4, 1), 1.0),
        ("a", D(2025, 5, 1), 2.0),
        ("b", D(2025, 6, 1), 12.0),
        ("c", D(2025, 6, 1), None),  # no value: 0
        ("x", D(2025, 6, 1), 4.0),  # not a customer
        ("b", D(2025, 7, 1), 9.0),  # after month(as_of)
    ]
    write(
        root,
        "monthly",
        pl.DataFrame(
            rows,
            schema={"customer_id": pl.String, "month": pl.Date, "support_tickets": pl.Float64},
            orient="row",
        ).with_columns(mrr=pl.lit(10.0)),
    )
    scope = scope_of(root)
    assert sup.support_source(scope.ds) == "monthly"
    row = one(sup.support(scope))  # 90d: Apr, May, Jun
    assert (row["source"], row["tickets"], row["customers"]) == ("monthly", 15.0, 4)
    assert row["first_response_hours_mean"] is None and row["resolution_rate"] is None
    assert ranges(scope) == {
        "0": (2, 0.5),  # c, d
        "1": (0, 0.0),
        "2-4": (1, 0.25),  # a: 3
        "5-10": (0, 0.0),
        "11+": (1, 0.25),  # b: 12
    }
    assert one(sup.support(scope, window_days=30))["tickets"] == 12.0  # June only
    assert one(sup.support(scope, window_days=365))["tickets"] == 20.0  # Jul 2024 - Jun 2025
    assert [sup.window_months(d) for d in (7, 30, 90, 183, 200, 365)] == [1, 1, 3, 6, 7, 12]


def test_events_of_type_support_ticket_created(tmp_path: Path) -> None:
    root = tmp_path / "events"
    customers(root, ["a", "b", "c"])
    rows = [
        ("a", D(2025, 4, 1), "support_ticket_created"),  # on the excluded edge
        ("a", D(2025, 4, 2), "support_ticket_created"),
        ("a", D(2025, 6, 30), "support_ticket_created"),
        ("a", D(2025, 6, 30), "login"),
        ("b", D(2025, 5, 1), "support_ticket_created"),
        ("x", D(2025, 5, 1), "support_ticket_created"),  # not a customer
    ]
    write(
        root,
        "events",
        pl.DataFrame(
            rows,
            schema={"customer_id": pl.String, "ts": pl.Date, "event_type": pl.String},
            orient="row",
        ),
    )
    # monthly without support_tickets does not count as a source
    write(
        root,
        "monthly",
        pl.DataFrame({"customer_id": ["a"], "month": [D(2025, 6, 1)], "mrr": [1.0]}),
    )
    scope = scope_of(root)
    assert sup.support_source(scope.ds) == "events"
    row = one(sup.support(scope))
    assert (row["source"], row["tickets"], row["customers"]) == ("events", 3, 3)
    assert ranges(scope) == {
        "0": (1, 1 / 3),  # c
        "1": (1, 1 / 3),  # b
        "2-4": (1, 1 / 3),  # a
        "5-10": (0, 0.0),
        "11+": (0, 0.0),
    }


def test_a_source_without_ticket_data_gives_nulls_not_zeros(tmp_path: Path) -> None:
    events = tmp_path / "no_ticket_events"
    customers(events, ["a"])
    write(
        events,
        "events",
        pl.DataFrame({"customer_id": ["a"], "ts": [AS_OF], "event_type": ["login"]}),
    )
    monthly = tmp_path / "empty_column"
    customers(monthly, ["a"])
    write(
        monthly,
        "monthly",
        pl.DataFrame(
            {
                "customer_id": ["a"],
                "month": [D(2025, 6, 1)],
                "mrr": [1.0],
                "support_tickets": [None],
            },
            schema_overrides={"support_tickets": pl.Float64},
        ),
    )
    for root in (events, monthly):
        scope = scope_of(root)
        row = one(sup.support(scope))
        assert row["tickets"] is None and row["customers"] == 1
        assert all(v == (None, None) for v in ranges(scope).values())
        assert collect(sup.customer_tickets(scope))["tickets"].to_list() == [None]


def test_no_source_is_a_one_line_error(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    customers(root, ["a"])
    scope = scope_of(root)
    assert sup.support_source(scope.ds) is None
    with pytest.raises(CxError, match=r"support needs a tickets table.*\[tables\.tickets\]"):
        sup.support(scope)


# ---------------------------------------------------------------- [support] ranges


def test_configured_ranges(tmp_path: Path) -> None:
    root = tmp_path / "ranges"
    customers(root, ["a", "b", "c"])
    write(
        root,
        "tickets",
        pl.DataFrame({"customer_id": ["a", "a", "a", "b"], "created_at": [D(2025, 6, 1)] * 4}),
    )
    (root / "cxtui.toml").write_text("[support]\nranges = [0, 3]\n")
    scope = scope_of(root)
    assert sup.range_labels((0, 3)) == ("0-2", "3+")
    assert ranges(scope) == {"0-2": (2, 2 / 3), "3+": (1, 1 / 3)}  # b 1, c 0; a 3
    assert sup.range_labels((0, 1, 2, 5, 11)) == tuple(LABELS)


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[support]\nranges = [1, 2]\n", "[support.ranges] the first range must start at 0"),
        ("[support]\nranges = [0, 2, 2]\n", "[support.ranges] range starts must increase"),
        ("[support]\nranges = [0, 1.5]\n", "[support.ranges] ranges count tickets: whole"),
        ("[support]\nranges = []\n", "[support.ranges] expected a list of whole numbers"),
        ('[support]\nranges = "0,1"\n', "[support.ranges] expected a list of whole numbers"),
        ('[support]\nranges = [0, "1"]\n', "[support.ranges] expected a finite number"),
        ("[support]\nbins = [0, 1]\n", "[support] unknown key 'bins'"),
        ("support = 3\n", "[support] expected a table of settings"),
    ],
)
def test_bad_support_config_is_one_clear_error(tmp_path: Path, toml: str, needle: str) -> None:
    (tmp_path / "cxtui.toml").write_text(toml)
    with pytest.raises(CxError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert needle in message and "fix:" in message and "\n" not in message


def test_default_ranges_and_tickets_mapping_keys() -> None:
    from cxtui.data.config import Config, parse_config

    assert Config().support_ranges == (0, 1, 2, 5, 11)
    cfg = parse_config(Path("x.toml"), {"tables": {"tickets": "desk.csv"}})
    assert cfg.tables["tickets"].path == "desk.csv"
    assert Config(support_ranges=(0, 3)).fingerprint() != Config().fingerprint()


# ---------------------------------------------------------------- an independent implementation


def reference(ids: dict[str, date], tickets: list[tuple], as_of: date, days: int) -> dict:
    """Tickets-table support read as docs/metrics.md records it, in plain Python.
    tickets: (customer, created datetime, first response or None, resolved or None)."""
    lo = as_of - timedelta(days=days)
    per = {cid: 0 for cid, start in ids.items() if start <= as_of}
    hours, resolved, created = [], 0, 0
    for cid, made, first, done in tickets:
        if cid not in per or not (lo < made.date() <= as_of):
            continue
        per[cid] += 1
        created += 1
        if first is not None and first.date() <= as_of and first >= made:
            hours.append((first - made).total_seconds() / 3600)
        if done is not None and done.date() <= as_of:
            resolved += 1
    starts = (0, 1, 2, 5, 11)
    counts = dict.fromkeys(LABELS, 0)
    for n in per.values():
        counts[LABELS[max(i for i, s in enumerate(starts) if n >= s)]] += 1
    return {
        "tickets": created,
        "customers": len(per),
        "mean": statistics.fmean(hours) if hours else None,
        "median": statistics.median(hours) if hours else None,
        "resolution_rate": resolved / created if created else None,
        "ranges": {k: (v, v / len(per)) for k, v in counts.items()},
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_plain_python_reference_on_generated_data(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    ids = {f"c{i}": D(2024, 1, 1) + timedelta(days=rng.randrange(600)) for i in range(50)}
    tickets = []
    for _ in range(300):
        cid = rng.choice([*ids, "ghost"])
        made = T(2025, 7, 3) - timedelta(minutes=rng.randrange(60 * 24 * 120))
        first = (
            made + timedelta(minutes=rng.randrange(-60, 60 * 30)) if rng.random() < 0.8 else None
        )
        done = made + timedelta(hours=rng.randrange(0, 24 * 6)) if rng.random() < 0.7 else None
        tickets.append((cid, made, first, done))
    root = tmp_path / f"gen{seed}"
    write(
        root,
        "customers",
        pl.DataFrame({"customer_id": list(ids), "signup_date": list(ids.values())}),
    )
    write(
        root,
        "tickets",
        pl.DataFrame(
            tickets,
            schema={
                "customer_id": pl.String,
                "created_at": pl.Datetime("us"),
                "first_response_at": pl.Datetime("us"),
                "resolved_at": pl.Datetime("us"),
            },
            orient="row",
        ),
    )
    scope = scope_of(root)
    for days in (7, 30, 90):
        want = reference(ids, tickets, AS_OF, days)
        row = one(sup.support(scope, window_days=days))
        assert (row["tickets"], row["customers"]) == (want["tickets"], want["customers"])
        for key, got in (
            ("mean", row["first_response_hours_mean"]),
            ("median", row["first_response_hours_median"]),
            ("resolution_rate", row["resolution_rate"]),
        ):
            assert (got is None) == (want[key] is None), key
            assert got is None or math.isclose(got, want[key], rel_tol=1e-9), key
        got_ranges = ranges(scope, days)
        for label, (n, share) in want["ranges"].items():
            assert got_ranges[label][0] == n
            assert math.isclose(got_ranges[label][1], share, rel_tol=1e-9)

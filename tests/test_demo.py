"""The demo generator (cxtui/demo.py): determinism, layout, and the shapes the panes rely on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from cxtui import demo
from cxtui.cli import app
from cxtui.data.load import open_dataset
from cxtui.demo import DEMO_AS_OF, TABLES, generate_demo

N = 3000

CANONICAL = {
    "customers": [
        "customer_id", "name", "segment", "plan", "region", "country", "industry", "channel",
        "owner", "signup_date", "churn_date", "churn_reason", "annual_revenue", "renewal_date",
    ],
    "orders": ["order_id", "customer_id", "order_date", "amount", "quantity"],
    "monthly": [
        "customer_id", "month", "mrr", "logins", "features_used", "support_tickets", "nps",
        "status",
    ],
    "events": ["customer_id", "ts", "event_type", "value"],
    "feedback": ["customer_id", "date", "score", "csat", "comment", "topic"],
    "tickets": [
        "ticket_id", "customer_id", "created_at", "first_response_at", "resolved_at", "topic",
        "status", "priority",
    ],
    "spend": ["month", "channel", "amount"],
}  # fmt: skip
DATE_COLUMNS = {
    "customers": ["signup_date", "churn_date"],
    "orders": ["order_date"],
    "monthly": ["month"],
    "events": ["ts"],
    "feedback": ["date"],
    "tickets": ["created_at", "first_response_at", "resolved_at"],
    "spend": ["month"],
}


def read(root: Path, table: str) -> pl.DataFrame:
    return pl.read_parquet(root / f"{table}.parquet")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("demo")
    return root, generate_demo(root, N, seed=7)


@pytest.fixture(scope="module")
def root(generated) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def tables(root: Path) -> dict[str, pl.DataFrame]:
    return {t: read(root, t) for t in TABLES}


# ---------------------------------------------------------------- determinism and layout


def test_same_arguments_give_identical_tables_and_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate_demo(a, 1500, seed=3)
    generate_demo(b, 1500, seed=3)
    for table in TABLES:
        assert_frame_equal(read(a, table), read(b, table))
        assert (a / f"{table}.parquet").read_bytes() == (b / f"{table}.parquet").read_bytes()


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate_demo(a, 1500, seed=3)
    generate_demo(b, 1500, seed=4)
    for table in TABLES:
        assert not read(a, table).equals(read(b, table)), table


def test_every_table_has_its_canonical_columns_and_reported_rows(generated) -> None:
    root, rows = generated
    assert set(rows) == set(TABLES)
    for table in TABLES:
        frame = read(root, table)
        assert frame.columns == CANONICAL[table]
        assert frame.height == rows[table] > 0


def test_tables_are_sorted_by_customer_then_date(tables) -> None:
    for table, date_col in (
        ("orders", "order_date"),
        ("monthly", "month"),
        ("events", "ts"),
        ("tickets", "created_at"),
    ):
        frame = tables[table]
        assert frame.equals(frame.sort("customer_id", date_col, maintain_order=True)), table
    ids = tables["customers"]["customer_id"]
    assert ids.is_sorted() and ids.n_unique() == N
    assert ids[0] == "C0000001" and ids.str.len_chars().unique().to_list() == [8]
    assert tables["orders"]["order_id"].n_unique() == tables["orders"].height
    assert tables["tickets"]["ticket_id"].n_unique() == tables["tickets"].height


def test_large_datasets_are_written_as_folders_of_parts(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(demo, "CHUNK_CUSTOMERS", 400)
    stages: list[tuple[str, float]] = []
    rows = generate_demo(tmp_path, 1000, seed=1, progress=lambda s, f: stages.append((s, f)))
    for table in TABLES[:-1]:
        parts = sorted((tmp_path / table).glob("*.parquet"))
        assert [p.name for p in parts] == [f"part-0000{i}.parquet" for i in range(3)]
        assert not (tmp_path / f"{table}.parquet").exists()
    assert (tmp_path / "spend.parquet").is_file()
    ds = open_dataset(tmp_path)
    assert ds.row_counts == rows
    customers = ds.tables["customers"].collect()
    assert customers["customer_id"].n_unique() == 1000
    orders = ds.tables["orders"].select("order_id").collect()
    assert orders["order_id"].n_unique() == rows["orders"]
    # progress: per chunk and stage, never backwards, ending at 1
    fractions = [f for _, f in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(s.startswith("chunk 3/3") for s, _ in stages)
    # a smaller run into the same folder replaces the parts instead of mixing with them
    monkeypatch.setattr(demo, "CHUNK_CUSTOMERS", 500_000)
    generate_demo(tmp_path, 300, seed=1)
    assert not (tmp_path / "orders").exists()
    assert open_dataset(tmp_path).row_counts["customers"] == 300


# ---------------------------------------------------------------- dates and as_of


def test_all_dates_are_on_or_before_demo_as_of(tables) -> None:
    for table, cols in DATE_COLUMNS.items():
        for col in cols:
            latest = tables[table][col].max()
            latest = latest.date() if hasattr(latest, "date") else latest
            assert latest <= DEMO_AS_OF, (table, col)
    # Renewal dates are contract dates: the next anniversary, within a year of as_of.
    c = tables["customers"]
    renewal = c.filter(pl.col("renewal_date").is_not_null())
    assert renewal["churn_date"].null_count() == renewal.height
    days = renewal.select((pl.col("renewal_date") - DEMO_AS_OF).dt.total_days()).to_series()
    assert days.min() >= 1 and days.max() <= 366


def test_as_of_resolves_to_demo_as_of(root: Path) -> None:
    assert open_dataset(root).as_of == DEMO_AS_OF


def test_no_order_event_or_feedback_after_churn_or_before_signup(tables) -> None:
    c = tables["customers"].select("customer_id", "signup_date", "churn_date")
    assert (c["churn_date"] > c["signup_date"]).all()
    for table, col in (
        ("orders", "order_date"),
        ("events", "ts"),
        ("feedback", "date"),
        ("tickets", "created_at"),
    ):
        rows = tables[table].join(c, on="customer_id").with_columns(pl.col(col).cast(pl.Date))
        assert rows.filter(pl.col(col) < pl.col("signup_date")).height == 0, table
        assert rows.filter(pl.col(col) >= pl.col("churn_date")).height == 0, table


# ---------------------------------------------------------------- shapes


def test_region_shares_and_missing_regions(tables) -> None:
    region = tables["customers"]["region"]
    shares = region.drop_nulls().value_counts(normalize=True)
    share = dict(zip(shares["region"], shares["proportion"], strict=True))
    assert share["EMEA"] == pytest.approx(0.39, abs=0.04)
    assert share["Americas"] == pytest.approx(0.35, abs=0.04)
    assert share["APAC"] == pytest.approx(0.26, abs=0.04)
    assert 0.002 <= region.null_count() / N <= 0.025


def test_revenue_is_heavy_tailed_across_tiers(tables) -> None:
    c = tables["customers"]
    counts = dict(c.group_by("segment").len().iter_rows())
    assert set(counts) == {"Enterprise", "SMB", "Individual"}
    assert counts["Enterprise"] / N == pytest.approx(0.003, abs=0.002)
    revenue = tables["orders"].join(c, on="customer_id").group_by("segment").agg(pl.sum("amount"))
    per_account = {s: r / counts[s] for s, r in revenue.iter_rows()}
    assert per_account["Enterprise"] > 20 * per_account["SMB"] > 100 * per_account["Individual"]
    managed = c.filter(pl.col("owner").is_not_null())["segment"]
    assert (managed != "Individual").all() and (managed == "Enterprise").sum() == counts[
        "Enterprise"
    ]


def test_churn_history_and_orders_per_customer(tables) -> None:
    c = tables["customers"]
    churned = c.filter(pl.col("churn_date").is_not_null())
    assert 0.15 <= churned.height / N <= 0.35
    assert set(churned["churn_reason"].drop_nulls()) == set(demo.CHURN_REASONS)
    assert (
        c.filter(pl.col("churn_date").is_null())["churn_reason"].null_count() == N - churned.height
    )
    assert 15 <= tables["orders"].height / N <= 25


def test_orphan_orders_exist(tables) -> None:
    orphans = tables["orders"].join(tables["customers"], on="customer_id", how="anti")
    assert 5 <= orphans.height <= 10


def test_validate_exits_0_with_findings(root: Path) -> None:
    result = CliRunner().invoke(app, ["validate", str(root)])
    assert result.exit_code == 0, result.output
    assert "unknown customers" in result.output
    assert "region" in result.output


def _months_to_churn(tables) -> pl.DataFrame:
    """Monthly rows of churned accounts, with k = calendar months before the churn month."""
    c = tables["customers"].filter(pl.col("churn_date").is_not_null())
    month_no = pl.col("month").dt.year() * 12 + pl.col("month").dt.month()
    churn_no = pl.col("churn_date").dt.year() * 12 + pl.col("churn_date").dt.month()
    return (
        tables["monthly"]
        .join(c.select("customer_id", "churn_date"), on="customer_id")
        .with_columns((churn_no - month_no).alias("k"))
    )


def test_pre_churn_signature(tables) -> None:
    rows = _months_to_churn(tables)
    # the three calendar months ending with the churn month vs the nine before them
    window = (
        pl.when(pl.col("k") <= 2).then(pl.lit("pre")).when(pl.col("k") <= 11).then(pl.lit("early"))
    )
    per_account = (
        rows.with_columns(window.alias("window"))
        .drop_nulls("window")
        .group_by("customer_id", "window")
        .agg(pl.mean("logins"), pl.mean("support_tickets"), pl.mean("nps"))
        .pivot("window", index="customer_id", values=["logins", "support_tickets", "nps"])
        .drop_nulls()
        .filter(pl.col("logins_early") > 0)
    )
    assert per_account.height >= 50
    login_change = (per_account["logins_pre"] / per_account["logins_early"] - 1).mean()
    assert login_change <= -0.30
    assert (
        per_account["support_tickets_pre"].mean()
        >= 1.8 * per_account["support_tickets_early"].mean()
    )
    assert (per_account["nps_pre"] - per_account["nps_early"]).mean() <= -20


def test_some_active_accounts_already_show_the_decline(tables) -> None:
    active = tables["customers"].filter(pl.col("churn_date").is_null()).select("customer_id")
    q2 = pl.col("month") >= date(2026, 4, 1)
    q1 = (pl.col("month") >= date(2026, 1, 1)) & ~q2
    blocks = (
        tables["monthly"]
        .join(active, on="customer_id")
        .group_by("customer_id")
        .agg(
            pl.col("logins").filter(q1).mean().alias("p"),
            pl.col("logins").filter(q2).mean().alias("r"),
        )
        .drop_nulls()
        .filter(pl.col("p") > 0)
    )
    declining = blocks.filter(pl.col("r") / pl.col("p") - 1 <= -0.30).height
    assert 0.015 <= declining / blocks.height <= 0.12


def test_feedback_scores_and_hostile_comments(tables) -> None:
    f = tables["feedback"]
    assert f["score"].min() >= 0 and f["score"].max() <= 10
    assert f["csat"].min() >= 1 and f["csat"].max() <= 5
    comments = set(f["comment"].drop_nulls())
    assert "[bold]great[/bold] support" in comments
    assert any("[red]" in text for text in comments)
    promoters = (f["score"] >= 9).mean()
    detractors = (f["score"] <= 6).mean()
    assert 0 < 100 * (promoters - detractors) < 60


def test_training_goes_with_revenue(tables) -> None:
    c = tables["customers"].select("customer_id", "segment")
    trainings = tables["events"].filter(pl.col("event_type") == "training_attended")
    counts = dict(trainings.join(c, on="customer_id").group_by("segment").len().iter_rows())
    sizes = dict(c.group_by("segment").len().iter_rows())
    assert counts["SMB"] / sizes["SMB"] > 1.5 * counts["Individual"] / sizes["Individual"]


def test_spend_covers_every_month_and_channel(tables) -> None:
    spend = tables["spend"]
    assert set(spend["channel"]) == set(demo.CHANNELS)
    assert spend.group_by("month").len()["len"].unique().to_list() == [len(demo.CHANNELS)]
    assert spend["month"].min() == demo.HISTORY_START and (spend["amount"] > 0).all()


# ---------------------------------------------------------------- round 2: the shapes Part II reads

HISTORY_MONTHS = pl.date_range(demo.HISTORY_START, DEMO_AS_OF.replace(day=1), "1mo", eager=True)


@pytest.fixture(scope="module")
def movements(tables) -> pl.DataFrame:
    """Each id's SPEC §7 movement per month, months without a row read as mrr 0."""
    per_month = tables["monthly"].group_by("customer_id", "month").agg(pl.sum("mrr"))
    grid = (
        per_month.select("customer_id")
        .unique()
        .join(HISTORY_MONTHS.alias("month").to_frame(), how="cross")
        .join(per_month, on=["customer_id", "month"], how="left")
        .with_columns(pl.col("mrr").fill_null(0.0))
        .sort("customer_id", "month")
    )
    cur, prev = pl.col("mrr"), pl.col("mrr").shift(1, fill_value=0.0).over("customer_id")
    earlier = (cur > 0).cast(pl.Int32).cum_sum().shift(1, fill_value=0).over("customer_id") > 0
    kind = (
        pl.when((prev == 0) & (cur > 0) & ~earlier)
        .then(pl.lit("new"))
        .when((prev == 0) & (cur > 0))
        .then(pl.lit("reactivation"))
        .when((prev > 0) & (cur > prev))
        .then(pl.lit("expansion"))
        .when((cur > 0) & (cur < prev))
        .then(pl.lit("contraction"))
        .when((prev > 0) & (cur == 0))
        .then(pl.lit("churned"))
    )
    return grid.with_columns(prev.alias("prev"), kind.alias("kind"))


def test_mrr_moves_in_every_way_and_paused_accounts_come_back(tables, movements) -> None:
    last_year = movements.filter(pl.col("month") > date(2025, 6, 1)).drop_nulls("kind")
    counts = dict(last_year.group_by("kind").len().iter_rows())
    assert set(counts) == {"new", "expansion", "reactivation", "contraction", "churned"}
    assert counts["expansion"] > counts["contraction"] > counts["reactivation"] >= 12
    months_with_reactivations = last_year.filter(pl.col("kind") == "reactivation")["month"]
    assert months_with_reactivations.n_unique() >= 8
    # Pauses: mrr-0 rows marked "paused", and pauses missing from the export (a gap in the rows).
    monthly = tables["monthly"]
    paused = monthly.filter(pl.col("status") == "paused")
    assert paused.height > 0 and (paused["mrr"] == 0).all()
    assert (monthly.filter(pl.col("status") != "paused")["mrr"] > 0).all()
    gaps = (
        monthly.sort("customer_id", "month")
        .with_columns(
            (pl.col("month").dt.year() * 12 + pl.col("month").dt.month())
            .diff()
            .over("customer_id")
            .alias("step")
        )
        .filter(pl.col("step") > 1)
    )
    assert gaps.height > 0
    assert set(monthly["status"]) == {"active", "cancelled", "paused"}


def test_movement_events_are_the_monthly_movements(tables, movements) -> None:
    window = movements.filter(pl.col("month") >= demo.EVENTS_FROM)
    want = {
        "plan_upgraded": "expansion",
        "plan_downgraded": "contraction",
        "subscription_paused": "churned",
        "subscription_resumed": "reactivation",
    }
    events = tables["events"].with_columns(pl.col("ts").dt.truncate("1mo").cast(pl.Date).alias("m"))
    churn_month = tables["customers"].select(
        "customer_id", pl.col("churn_date").dt.truncate("1mo").alias("churn_month")
    )
    for event_type, kind in want.items():
        got = events.filter(pl.col("event_type") == event_type).select("customer_id", "m")
        expected = window.filter(pl.col("kind") == kind).select(
            "customer_id", pl.col("month").alias("m")
        )
        if kind == "churned":  # a pause, not the churn: that one is in or after the churn month
            expected = (
                expected.join(churn_month, on="customer_id", how="left")
                .filter(pl.col("churn_month").is_null() | (pl.col("m") < pl.col("churn_month")))
                .drop("churn_month")
            )
        assert got.height > 0, event_type
        assert_frame_equal(got.sort(pl.all()), expected.sort(pl.all()), check_dtypes=False)
    # each movement event's value is the mrr it moved
    moved = (
        events.filter(pl.col("event_type").is_in(list(want)))
        .join(window.rename({"month": "m"}), on=["customer_id", "m"])
        .with_columns(
            pl.when(pl.col("kind") == "churned")
            .then(pl.col("prev"))
            .when(pl.col("kind") == "reactivation")
            .then(pl.col("mrr"))
            .otherwise((pl.col("mrr") - pl.col("prev")).abs())
            .alias("want")
        )
    )
    assert moved.height > 50 and ((moved["value"] - moved["want"]).abs() < 0.006).all()


def test_signups_are_seasonal_and_ids_follow_them(tables) -> None:
    c = tables["customers"]
    assert c["signup_date"].is_sorted()
    by_month = dict(c.group_by(pl.col("signup_date").dt.month()).len().iter_rows())
    strong = by_month[1] + by_month[3] + by_month[9]
    weak = by_month[7] + by_month[8] + by_month[12]
    assert strong > 1.4 * weak


def test_cac_and_value_differ_by_channel(tables) -> None:
    c, spend = tables["customers"], tables["spend"]
    since = date(2026, 1, 1)
    new = c.filter(pl.col("signup_date") >= since).group_by("channel").len()
    cost = spend.filter(pl.col("month") >= since).group_by("channel").agg(pl.sum("amount"))
    cac = dict(
        new.join(cost, on="channel").select("channel", pl.col("amount") / pl.col("len")).iter_rows()
    )
    assert set(cac) == set(demo.CHANNELS)
    assert min(cac, key=cac.get) == "Direct/Organic" and max(cac, key=cac.get) == "Trade Shows"
    assert cac["Trade Shows"] > 8 * cac["Direct/Organic"]
    assert cac["Paid Search"] > 1.5 * cac["Referral"]
    # What a customer of each channel is worth: referrals stay and buy, social sign-ups leave.
    orders = tables["orders"].filter(pl.col("order_date") > date(2025, 6, 30))
    value = (
        c.join(orders.group_by("customer_id").agg(pl.sum("amount")), on="customer_id", how="left")
        .filter(pl.col("segment") == "Individual")  # the same tier, so the channel is what differs
        .group_by("channel")
        .agg(
            pl.col("amount").fill_null(0).mean(),
            pl.col("churn_date").is_not_null().mean().alias("gone"),
        )
    )
    worth = {ch: (v, g) for ch, v, g in value.iter_rows()}
    assert worth["Referral"][0] > 1.4 * worth["Social Media"][0]
    assert worth["Referral"][1] < 0.75 * worth["Social Media"][1]


def test_feedback_has_topics_whose_satisfaction_differs(tables) -> None:
    f = tables["feedback"]
    csat = f["csat"].drop_nulls()
    assert set(csat.unique()) == {1, 2, 3, 4, 5}
    assert 0.02 <= f["csat"].null_count() / f.height <= 0.15
    assert set(f["topic"].drop_nulls()) == set(demo.FEEDBACK_TOPICS)
    assert 0.005 <= f["topic"].null_count() / f.height <= 0.06
    by_topic = (
        f.drop_nulls("topic")
        .group_by("topic")
        .agg(pl.mean("csat"), pl.mean("score"), (pl.col("score") <= 6).mean().alias("detractors"))
        .sort("csat", descending=True)
    )
    drivers, worst = by_topic.row(0, named=True), by_topic.row(-1, named=True)
    assert drivers["topic"] in {"onboarding", "usability"}
    assert worst["topic"] in {"billing", "performance"}
    assert drivers["csat"] - worst["csat"] >= 0.6
    assert drivers["score"] - worst["score"] >= 1.0
    assert worst["detractors"] >= 2 * drivers["detractors"]


def test_tickets_times_status_and_counts_are_consistent(tables) -> None:
    t = tables["tickets"]
    end = datetime(DEMO_AS_OF.year, DEMO_AS_OF.month, DEMO_AS_OF.day) + timedelta(days=1)
    assert t["created_at"].min() >= datetime(2025, 1, 1)
    for col in ("created_at", "first_response_at", "resolved_at"):
        assert t[col].max() < end, col
    assert (
        t["first_response_at"].drop_nulls() >= t.drop_nulls("first_response_at")["created_at"]
    ).all()
    responded = t.drop_nulls(["first_response_at", "resolved_at"])
    assert (responded["resolved_at"] >= responded["first_response_at"]).all()
    # resolved_at is set exactly for resolved tickets; open ones are the recent or stuck ones
    assert (t["resolved_at"].is_not_null() == (t["status"] == "resolved")).all()
    assert set(t["status"]) == set(demo.TICKET_STATUSES)
    assert set(t["topic"]) == set(demo.TICKET_TOPICS)
    assert 0 < t["first_response_at"].null_count() < 0.03 * t.height
    # the support pane's figures over the last 90 days
    recent = t.filter(pl.col("created_at") >= end - timedelta(days=90))
    hours = (recent["first_response_at"] - recent["created_at"]).dt.total_seconds() / 3600
    assert 1.0 <= hours.mean() <= 4.0 and hours.median() < hours.mean()
    assert 0.88 <= recent["resolved_at"].is_not_null().mean() <= 0.98
    # a subscription account's tickets of a month are its monthly support_tickets
    per_month = t.group_by(
        "customer_id", pl.col("created_at").dt.truncate("1mo").cast(pl.Date).alias("month")
    ).len()
    monthly = (
        tables["monthly"]
        .filter(pl.col("month") >= demo.TICKETS_FROM)
        .join(per_month, on=["customer_id", "month"], how="full", coalesce=True)
        .join(tables["customers"].select("customer_id", "segment"), on="customer_id")
    )
    subscribers = monthly.filter(
        pl.col("customer_id").is_in(tables["monthly"]["customer_id"].implode())
    )
    assert (subscribers["support_tickets"].fill_null(0) == subscribers["len"].fill_null(0)).all()
    assert monthly.filter(pl.col("mrr").is_null()).height > 0  # other customers open tickets too
    # and the events' support_ticket_created are the tickets created in the events window
    events = tables["events"].filter(pl.col("event_type") == "support_ticket_created")
    in_window = t.filter(pl.col("created_at") >= demo.EVENTS_FROM)
    assert_frame_equal(
        events.select("customer_id", "ts").sort(pl.all()),
        in_window.select("customer_id", pl.col("created_at").alias("ts")).sort(pl.all()),
    )
    # with the ticket's priority as the event's value
    same = events.join(
        in_window.select("customer_id", pl.col("created_at").alias("ts"), "priority"),
        on=["customer_id", "ts"],
    )
    assert same.height >= events.height and (same["value"] == same["priority"]).mean() > 0.999


def _per_customer_events(tables) -> pl.DataFrame:
    e = tables["events"]
    in_90 = pl.col("ts").cast(pl.Date) > DEMO_AS_OF - timedelta(days=90)
    per = e.group_by("customer_id").agg(
        pl.col("event_type").n_unique().alias("types"),
        in_90.sum().alias("events_90d"),
        (pl.col("event_type") == "training_attended").any().alias("trained"),
    )
    return (
        tables["customers"]
        .select("customer_id", "segment", "churn_date")
        .join(per, on="customer_id", how="left")
        .with_columns(
            pl.col("types", "events_90d").fill_null(0), pl.col("trained").fill_null(False)
        )
    )


def test_event_types_are_diverse_with_a_spread_of_distinct_types(tables) -> None:
    e = tables["events"]
    assert set(e["event_type"]) == set(demo.EVENT_TYPES) and len(demo.EVENT_TYPES) >= 15
    assert "payment_failed" in set(e["event_type"])
    types = _per_customer_events(tables)["types"]
    bins = [(types <= 4).mean(), ((types >= 5) & (types <= 7)).mean(), (types >= 8).mean()]
    assert all(share >= 0.15 for share in bins), bins
    # the engagement levels still place most individuals Low, most SMB Medium or High
    active = _per_customer_events(tables).filter(pl.col("churn_date").is_null())
    low = active.group_by("segment").agg((pl.col("events_90d") < 15).mean().alias("low"))
    low = dict(low.iter_rows())
    assert low["Individual"] > 0.5 > low["SMB"]


def test_customers_who_train_are_worth_more_and_more_active(tables) -> None:
    per = _per_customer_events(tables)
    revenue = (
        tables["orders"]
        .filter(pl.col("order_date") > DEMO_AS_OF - timedelta(days=365))
        .group_by("customer_id")
        .agg(pl.sum("amount").alias("revenue_12m"))
    )
    sides = (
        per.join(revenue, on="customer_id", how="left")
        .group_by("trained")
        .agg(
            pl.len().alias("customers"),
            pl.col("revenue_12m").fill_null(0).mean().alias("value"),
            pl.col("churn_date").is_null().mean().alias("active_rate"),
            pl.mean("types"),
            pl.mean("events_90d"),
        )
    )
    yes, no = (sides.filter(pl.col("trained") == v).row(0, named=True) for v in (True, False))
    assert 0.05 <= yes["customers"] / N <= 0.25
    assert yes["value"] > 3 * no["value"]
    assert yes["active_rate"] > no["active_rate"] + 0.1
    assert yes["types"] > no["types"] + 3
    assert yes["events_90d"] > 1.5 * no["events_90d"]

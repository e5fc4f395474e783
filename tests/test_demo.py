"""The demo generator (cxtui/demo.py): determinism, layout, and the shapes the panes rely on."""

from __future__ import annotations

from datetime import date
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
    "feedback": ["customer_id", "date", "score", "csat", "comment"],
    "spend": ["month", "channel", "amount"],
}  # fmt: skip
DATE_COLUMNS = {
    "customers": ["signup_date", "churn_date"],
    "orders": ["order_date"],
    "monthly": ["month"],
    "events": ["ts"],
    "feedback": ["date"],
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
    for table, date_col in (("orders", "order_date"), ("monthly", "month"), ("events", "ts")):
        frame = tables[table]
        assert frame.equals(frame.sort("customer_id", date_col, maintain_order=True)), table
    ids = tables["customers"]["customer_id"]
    assert ids.is_sorted() and ids.n_unique() == N
    assert ids[0] == "C0000001" and ids.str.len_chars().unique().to_list() == [8]
    assert tables["orders"]["order_id"].n_unique() == tables["orders"].height


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
    for table, col in (("orders", "order_date"), ("events", "ts"), ("feedback", "date")):
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

"""The analysis store (SPEC §12, issue 14 item 3): `cxtui build DATA --out STORE`
with the Polars engine, and every command on the store against the same
command on the dataset (1e-9 relative), on the demo and on edge datasets; the
manifest; the tables' compact forms; a store older than its inputs; the
errors. The Spark engine's stores are compared with these in test_spark.py."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from cxtui.cli import app
from cxtui.data.load import dataset_state, open_dataset
from cxtui.store import MANIFEST, fingerprint, parquet_files
from tests.store_fixtures import (
    AS_OF,
    assert_same_store,
    build,
    check_answers,
    commands,
    edge_csv,
    edge_derived,
    run,
    runner,
    same_output,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_AS_OF = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("demo") / "store"
    build(DEMO, store)
    return store


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("cache"))


DEMO_COMMANDS = [
    *commands(DEMO_AS_OF),
    ("account", "C0000042"),
    ("account", "C0000007"),
    ("segments", "--by", "region", "--where", "segment = 'SMB'"),
]


@pytest.mark.parametrize("command", DEMO_COMMANDS, ids=" ".join)
def test_every_command_on_the_demo_store(
    command: tuple[str, ...], demo_store: Path, cache: str
) -> None:
    assert same_output(command, DEMO, demo_store, "--cache-dir", cache) == []


@pytest.fixture(scope="module")
def edges(tmp_path_factory) -> dict[str, tuple[Path, Path, tuple[str, ...]]]:
    """name -> (dataset, its store, the options both are opened with)."""
    base = tmp_path_factory.mktemp("edges")
    out = {}
    for name, make, extra in (
        ("csv", edge_csv, ()),
        ("derived", edge_derived, ("--as-of", AS_OF.isoformat())),
    ):
        data = make(base / name)
        store = base / f"{name}-store"
        build(data, store, *extra)
        out[name] = (data, store, extra)
    return out


EDGE_COMMANDS = [
    *commands(date(2025, 7, 3)),
    ("account", "c2"),
    ("account", "a"),
    ("segments", "--by", "owner"),
]


@pytest.mark.parametrize("command", EDGE_COMMANDS, ids=" ".join)
@pytest.mark.parametrize("name", ["csv", "derived"])
def test_every_command_on_edge_stores(command, name, edges) -> None:
    data, store, extra = edges[name]
    assert same_output(command, data, store, *extra, "--no-cache", fails=None) == []


def test_the_edge_datasets_take_the_paths_they_are_for(edges) -> None:
    """The comparisons above mean something: the edge datasets open, derive
    their customers, count their NaN and carry a second monthly row."""
    store = edges["csv"][1]
    code, out, err = run(("segments", "--by", "owner"), store, "--no-cache")
    assert code == 0, err
    owners = {row["owner"]: row["customers"] for row in json.loads(out)}
    # c1 Ann, c2's last June row (Cid), c3 Dee; c4 and c9 have no monthly row (c5
    # only answered a survey: no customer)
    assert owners == {"Ann": 1, "Cid": 1, "Dee": 1, None: 2}
    manifest = json.loads((store / MANIFEST).read_text())
    assert manifest["customers_derived"] is True
    assert manifest["tables"]["monthly"]["rows"] == 14  # 12 + c2's second June row + c3
    # text files are probed for NaN on opening (Parquet ones by the facts pass)
    assert manifest["notes"] == ["table orders: 1 non-finite value(s) in 'net' are excluded"]
    store = edges["derived"][1]
    manifest = json.loads((store / MANIFEST).read_text())
    assert manifest["as_of"] == "2025-06-30" and manifest["as_of_given"] is True
    assert manifest["facts_notes"] == [
        "table orders: 1 non-finite value(s) in 'amount' are excluded"
    ]
    # every row is kept, the one after as_of too (d's order: d has no start)
    assert manifest["tables"]["orders"]["rows"] == 8


# ---------------------------------------------------------------- the manifest and tables


def test_the_manifest_names_the_build(demo_store: Path) -> None:
    manifest = json.loads((demo_store / MANIFEST).read_text())
    ds = open_dataset(DEMO)
    assert manifest["format"] == "cxtui analysis store" and manifest["format_version"] == 1
    assert manifest["engine"] == "polars" and manifest["spark"] is None
    assert manifest["as_of"] == "2026-06-30" and manifest["as_of_given"] is False
    assert manifest["source"] == {"path": str(DEMO), "config": None}
    assert manifest["config_fingerprint"] == fingerprint([ds.config.fingerprint()])
    # the facts cache key's input part: each input file's path, size and mtime
    assert manifest["inputs_fingerprint"] == fingerprint(dataset_state(ds))
    assert datetime.fromisoformat(manifest["created"]).tzinfo is not None
    for name, rows in manifest["files"].items():
        assert (
            pl.scan_parquet(parquet_files(demo_store / name)).select(pl.len()).collect().item()
            == rows
        )
    assert manifest["files"]["facts.parquet"] == 12_458
    assert manifest["files"]["table-orders.parquet"] == ds.row_counts["orders"]
    # the demo's events share days: fewer store rows than events, repeated on open
    assert manifest["tables"]["events"]["repeated"] is True
    assert manifest["files"]["table-events.parquet"] < ds.row_counts["events"]
    assert manifest["tables"]["orders"]["repeated"] is False


def test_the_first_step_on_edge_derived_by_hand(edges) -> None:
    check_answers(edges["derived"][1])


def test_events_are_kept_per_customer_day_and_type_with_their_count(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    pl.DataFrame({"customer_id": ["1", "2"], "signup_date": [date(2025, 1, 1)] * 2}).write_parquet(
        data / "customers.parquet"
    )
    pl.DataFrame(
        {
            "customer_id": ["1", "1", "1", "1", "2", "1"],
            "ts": [
                datetime(2025, 6, 1, 8),
                datetime(2025, 6, 1, 9),
                datetime(2025, 6, 1, 23, 59),  # the same calendar day: three logins
                datetime(2025, 6, 2),
                datetime(2025, 6, 1),
                datetime(2025, 6, 1, 12),
            ],
            "event_type": ["login", "login", "login", "login", "login", "export"],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],  # read by no view: not kept
        }
    ).write_parquet(data / "events.parquet")
    store = tmp_path / "store"
    build(data, store, "--as-of", "2025-06-30")
    kept = pl.read_parquet(store / "table-events.parquet").sort("customer_id", "ts", "event_type")
    assert kept.rows() == [
        ("1", date(2025, 6, 1), "export", 1),
        ("1", date(2025, 6, 1), "login", 3),
        ("1", date(2025, 6, 2), "login", 1),
        ("2", date(2025, 6, 1), "login", 1),
    ]
    opened = open_dataset(store).tables["events"].collect()
    assert opened.columns == ["customer_id", "ts", "event_type"]
    assert opened.height == 6  # every event back, for counts and lift's sides
    assert (
        opened.group_by("customer_id", "ts", "event_type")
        .len()
        .sort("customer_id", "ts", "event_type")
        .rows()
        == kept.rows()
    )
    assert same_output(("engagement",), data, store, "--as-of", "2025-06-30", "--no-cache") == []


def test_a_large_table_is_counted_in_parts_by_id(edges, tmp_path: Path, monkeypatch) -> None:
    """Above PART_ROWS rows the events are split by a hash of the id and each
    part counted alone (the memory of one group-by): the same store."""
    import cxtui.engine.store

    monkeypatch.setattr(cxtui.engine.store, "PART_ROWS", 2)
    data, store, extra = edges["derived"]
    parted = tmp_path / "parted"
    build(data, parted, *extra)
    files = parquet_files(parted / "table-events.parquet")
    assert len(files) >= 2  # 5 events in parts of about 2 rows: a folder of parts
    assert_same_store(store, parted)
    assert same_output(("engagement",), data, parted, *extra, "--no-cache") == []


# ---------------------------------------------------------------- freshness and errors


@pytest.fixture
def copied(tmp_path: Path) -> tuple[Path, Path]:
    data = edge_derived(tmp_path / "data")
    store = tmp_path / "store"
    build(data, store, "--as-of", AS_OF.isoformat())
    return data, store


def test_a_store_older_than_its_inputs_says_so_once(copied) -> None:
    data, store = copied
    code, before, err = run(("overview",), store, "--no-cache")
    assert code == 0 and "older inputs" not in err
    events = pl.read_parquet(data / "events.parquet")
    pl.concat([events, events.head(1)]).write_parquet(data / "events.parquet")
    code, after, err = run(("overview",), store, "--no-cache")
    assert code == 0
    warning = (
        f"{store}: store built from older inputs: rebuild with cxtui build {data} --out {store}"
    )
    assert err.count("store built from older inputs") == 1
    assert warning in err and "--as-of 2025-06-30" in err
    assert after == before  # the store's numbers, as built
    # a new file in a table's folder changes the inputs as well
    build(data, store, "--as-of", AS_OF.isoformat())
    assert "older inputs" not in run(("overview",), store, "--no-cache")[2]
    orders = pl.read_parquet(data / "orders" / "year=2025" / "part.parquet")
    orders.write_parquet(data / "orders" / "year=2025" / "more.parquet")
    assert "store built from older inputs" in run(("overview",), store, "--no-cache")[2]


def test_another_as_of_or_config_is_an_error_naming_the_build(copied, tmp_path: Path) -> None:
    data, store = copied
    code, _, err = run(("overview",), store, "--as-of", "2025-01-31")
    assert code == 2 and err.count("\n") == 1
    assert "as of 2025-06-30, not 2025-01-31" in err
    assert (
        f"fix: build one for that date: cxtui build {data} --out {store} --as-of 2025-01-31" in err
    )
    assert run(("overview",), store, "--as-of", "2025-06-30", "--no-cache")[0] == 0
    other = tmp_path / "other.toml"
    other.write_text("[tiers]\nenterprise = 10\nsmb = 1\n")
    code, _, err = run(("overview",), store, "--config", str(other))
    assert code == 2 and "built with another config" in err and f"--config {other}" in err
    same = tmp_path / "same.toml"
    same.write_text("")  # the defaults, as the build had
    assert run(("overview",), store, "--config", str(same), "--no-cache")[0] == 0


def test_validate_on_a_store_names_its_source(copied) -> None:
    data, store = copied
    result = runner.invoke(app, ["validate", str(store)])
    assert result.exit_code == 2
    assert "an analysis store" in result.stderr and str(data) in result.stderr


def test_account_detail_without_its_source_reads_the_stores_rows(copied) -> None:
    data, store = copied
    code, with_source, err = run(("account", "a"), store, "--no-cache")
    assert code == 0, err
    orders = json.loads(with_source)["orders"]
    assert [o["order_id"] for o in orders] == ["o7", "o1", "o0"]  # the source's rows
    shutil.move(data, data.with_name("moved"))
    code, out, err = run(("account", "a"), store, "--no-cache")
    assert code == 0, err
    assert "account detail reads the store's rows" in err
    detail = json.loads(out)
    kept = [{k: v for k, v in o.items() if k != "order_id"} for o in orders]
    assert detail["orders"] == kept  # the same rows, without what the store leaves out
    assert detail | {"orders": None} == json.loads(with_source) | {"orders": None}


def test_build_errors_are_one_line_with_the_fix(copied, tmp_path: Path) -> None:
    data, store = copied

    def fails(*args: str) -> str:
        result = runner.invoke(app, ["build", *args])
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and "fix:" in result.stderr
        return result.stderr

    assert "inside the dataset folder" in fails(str(data), "--out", str(data / "store"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    assert "is not an analysis store" in fails(str(data), "--out", str(tmp_path / "full"))
    assert "need --engine spark" in fails(str(data), "--out", str(store), "--spark-master", "x")
    assert "already an analysis store" in fails(str(store), "--out", str(tmp_path / "again"))
    assert (tmp_path / "full" / "notes.txt").read_text() == "mine"


def test_a_rebuild_replaces_the_store(copied) -> None:
    data, store = copied
    first = json.loads((store / MANIFEST).read_text())
    (store / "facts.parquet").unlink()  # a damaged store is rebuilt whole
    assert run(("overview",), store, "--no-cache")[0] == 2
    second = build(data, store, "--as-of", AS_OF.isoformat())
    assert second["inputs_fingerprint"] == first["inputs_fingerprint"]
    assert run(("overview",), store, "--no-cache")[0] == 0
    assert sorted(p.name for p in store.parent.iterdir()) == ["data", "store"]  # nothing left over


async def test_the_tui_opens_a_store(demo_store: Path) -> None:
    from cxtui.tui.app import CxApp

    app = CxApp(demo_store, use_cache=False)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(600):
            await pilot.pause(0.05)
            if app.analysis is not None:
                break
        assert app.analysis is not None and app.analysis.ds.store is not None
        assert app.analysis.facts.height == 12_458
        assert "as of 2026-06-30" in str(app.top_bar_text())

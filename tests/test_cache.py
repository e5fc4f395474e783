"""The per-customer facts cache (engine) and the per-table probe cache (data.load):
what invalidates them, what happens when they are corrupt or cannot be written, and
several processes sharing one cache directory.

The unwritable-directory and default-location cases live in tests/test_hostile.py.
"""

from __future__ import annotations

import errno
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import cxtui
import cxtui.data.load
import cxtui.engine
import cxtui.engine.cache
from cxtui.cli import app
from cxtui.data.load import open_dataset
from cxtui.engine import cache_key, code_version, open_analysis, output_cache_path
from cxtui.views import overview_object

runner = CliRunner()

# finished entries: facts and others, probes, outputs, and results derived from
# the facts (engine.cache.derived_cache_path: the CLV fit, facts as of a month's end)
CACHE_FILE = re.compile(
    r"^((facts|others)-[0-9a-f]{32}\.parquet|probe-[0-9a-f]{32}\.json|output-[0-9a-f]{32}\.txt"
    r"|(clv|asof-\d{8})-[0-9a-f]{32}\.parquet)$"
)

ORDERS = {
    "customer_id": ["a", "a", "b", "c"],
    "order_date": [date(2025, 1, 10), date(2025, 5, 1), date(2025, 3, 1), date(2025, 5, 30)],
    "amount": [1000.0, 500.0, 200.0, 50.0],
    "net_amount": [900.0, 450.0, 180.0, 45.0],
}


def make_shop(root: Path) -> Path:
    """Three customers, four orders; as_of resolves to 2025-05-30, revenue_12m is 1750."""
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "name": ["Acme", "Beta", "Gamma"],
            "segment": ["Enterprise", "SMB", "SMB"],
            "region": ["EMEA", "APAC", "EMEA"],
            "signup_date": [date(2024, 1, 1), date(2024, 2, 1), date(2025, 5, 20)],
            "churn_date": [None, date(2025, 5, 10), None],
            "churn_reason": [None, "Price concerns", None],
        }
    ).write_parquet(root / "customers.parquet")
    write_orders(root / "orders.parquet", ORDERS)
    return root


def write_orders(path: Path, orders: dict, later: bool = False) -> None:
    """Rewrite an orders file; with `later`, push its mtime forward so the change is
    visible even on file systems with a coarse clock."""
    before = path.stat() if path.exists() else None
    pl.DataFrame(orders).write_parquet(path)
    if later and before is not None:
        t = before.st_mtime + 10
        os.utime(path, (t, t))


def add_order(orders: dict, cid: str, day: date, amount: float) -> dict:
    out = {k: list(v) for k, v in orders.items()}
    out["customer_id"].append(cid)
    out["order_date"].append(day)
    out["amount"].append(amount)
    out["net_amount"].append(amount * 0.9)
    return out


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return make_shop(tmp_path / "shop")


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def facts_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("facts-*.parquet")) if cache_dir.is_dir() else []


def probe_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("probe-*.json")) if cache_dir.is_dir() else []


def assert_only_cache_files(cache_dir: Path) -> None:
    """No temporary or partial files: every entry is a finished facts or probe file."""
    names = sorted(p.name for p in cache_dir.iterdir())
    stray = [n for n in names if not CACHE_FILE.match(n)]
    assert stray == [], f"stray files in the cache dir: {stray}"


def fresh_facts(root: Path, **kw) -> pl.DataFrame:
    return open_analysis(root, use_cache=False, **kw).facts


def revenue_of(facts: pl.DataFrame, cid: str) -> float:
    return facts.filter(pl.col("customer_id") == cid)["lifetime_revenue"].item()


def cli(root: Path, cache_dir: Path | None, *extra: str, command: str = "overview"):
    args = [command, str(root), "--format", "json"]
    args += ["--cache-dir", str(cache_dir)] if cache_dir is not None else []
    result = runner.invoke(app, [*args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    return result


def drop_outputs(cache: Path) -> None:
    """Forget the printed outputs, so that the next run reads the facts cache
    (a warm run of the same command would print its kept output instead)."""
    for entry in cache.glob("output-*.txt"):
        entry.unlink()


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# ---------------------------------------------------------------- warm reads


def test_second_open_reads_the_cache_and_gives_equal_facts(shop: Path, cache: Path) -> None:
    cold = open_analysis(shop, cache_dir=cache)
    assert cold.from_cache is False
    [facts_file] = facts_files(cache)
    assert len(probe_files(cache)) == 2  # customers and orders
    stamp = (facts_file.read_bytes(), facts_file.stat().st_ino)

    warm = open_analysis(shop, cache_dir=cache)
    assert warm.from_cache is True
    assert_frame_equal(warm.facts, cold.facts)
    assert_frame_equal(warm.facts, fresh_facts(shop))
    assert warm.ds.as_of == cold.ds.as_of == date(2025, 5, 30)
    assert warm.ds.row_counts == cold.ds.row_counts == {"customers": 3, "orders": 4}
    assert overview_object(warm) == overview_object(cold)
    assert facts_files(cache) == [facts_file]
    # a warm read does not rewrite the cache (it touches the file: see engine.cache._prune)
    assert (facts_file.read_bytes(), facts_file.stat().st_ino) == stamp
    assert_only_cache_files(cache)


def test_warm_cli_output_equals_cold_and_uncached(shop: Path, cache: Path) -> None:
    cold = cli(shop, cache)
    warm = cli(shop, cache)
    uncached = cli(shop, None, "--no-cache")
    assert cold.exit_code == warm.exit_code == uncached.exit_code == 0
    assert cold.stdout == warm.stdout == uncached.stdout
    assert cold.stderr == warm.stderr == ""
    assert json.loads(warm.stdout)["revenue_12m"] == pytest.approx(1750.0)


def test_where_filters_the_cached_facts_without_a_new_entry(shop: Path, cache: Path) -> None:
    open_analysis(shop, cache_dir=cache)
    emea = open_analysis(shop, where="region = 'EMEA'", cache_dir=cache)
    assert emea.from_cache is True  # --where filters the unfiltered facts
    assert len(facts_files(cache)) == 1
    assert overview_object(emea)["customers_total"] == 2


# ---------------------------------------------------------------- invalidation by inputs


def test_new_order_rebuilds_facts_and_probe_and_moves_as_of(shop: Path, cache: Path) -> None:
    before = open_analysis(shop, cache_dir=cache)
    assert before.ds.as_of == date(2025, 5, 30)
    assert overview_object(before)["revenue_12m"] == pytest.approx(1750.0)

    write_orders(
        shop / "orders.parquet", add_order(ORDERS, "b", date(2025, 6, 15), 300.0), later=True
    )
    after = open_analysis(shop, cache_dir=cache)
    assert after.from_cache is False
    # the probe cache was invalidated too: new row count and latest date, so as_of moves
    assert after.ds.row_counts["orders"] == 5
    assert after.ds.max_dates["orders"] == date(2025, 6, 15)
    assert after.ds.as_of == date(2025, 6, 15)
    assert revenue_of(after.facts, "b") == pytest.approx(500.0)
    over = overview_object(after)
    assert over["as_of"] == date(2025, 6, 15)
    assert over["revenue_12m"] == pytest.approx(2050.0)
    assert over["orders_12m"] == 5
    assert_frame_equal(after.facts, fresh_facts(shop))
    assert len(facts_files(cache)) == 2

    again = open_analysis(shop, cache_dir=cache)
    assert again.from_cache is True
    assert_frame_equal(again.facts, after.facts)


def test_probe_cache_follows_a_rewritten_table(shop: Path, cache: Path) -> None:
    ds = open_dataset(shop, cache_dir=cache)
    assert ds.row_counts["orders"] == 4 and ds.max_dates["orders"] == date(2025, 5, 30)
    assert len(probe_files(cache)) == 2
    write_orders(
        shop / "orders.parquet", add_order(ORDERS, "a", date(2025, 7, 1), 10.0), later=True
    )
    ds = open_dataset(shop, cache_dir=cache)
    assert ds.row_counts["orders"] == 5
    assert ds.max_dates["orders"] == date(2025, 7, 1)
    assert ds.as_of == date(2025, 7, 1)
    assert len(probe_files(cache)) == 3  # customers unchanged: its probe is reused


def test_cli_numbers_follow_a_changed_input(shop: Path, cache: Path) -> None:
    first = json.loads(cli(shop, cache).stdout)
    write_orders(
        shop / "orders.parquet", add_order(ORDERS, "c", date(2025, 6, 1), 1000.0), later=True
    )
    second = cli(shop, cache)
    assert second.exit_code == 0 and second.stderr == ""
    out = json.loads(second.stdout)
    assert first["as_of"] == "2025-05-30" and out["as_of"] == "2025-06-01"
    assert out["revenue_12m"] == pytest.approx(2750.0)
    assert out == json.loads(cli(shop, None, "--no-cache").stdout)


def test_touching_a_file_rebuilds(shop: Path, cache: Path) -> None:
    first = open_analysis(shop, cache_dir=cache)
    st = (shop / "orders.parquet").stat()
    os.utime(shop / "orders.parquet", (st.st_atime, st.st_mtime + 60))  # same bytes
    second = open_analysis(shop, cache_dir=cache)
    assert second.from_cache is False
    assert_frame_equal(second.facts, first.facts)
    assert len(facts_files(cache)) == 2


def test_a_size_change_rebuilds_even_with_the_old_mtime(shop: Path, cache: Path) -> None:
    open_analysis(shop, cache_dir=cache)
    path = shop / "orders.parquet"
    st = path.stat()
    write_orders(path, add_order(ORDERS, "a", date(2025, 5, 2), 7.0))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # only the size tells
    assert path.stat().st_size != st.st_size
    after = open_analysis(shop, cache_dir=cache)
    assert after.from_cache is False
    assert after.ds.row_counts["orders"] == 5
    assert revenue_of(after.facts, "a") == pytest.approx(1507.0)


def test_same_size_new_content_is_seen_through_the_mtime(shop: Path, cache: Path) -> None:
    """Both caches: a rewrite of the same size (a later date, a different amount) is
    only told apart by its mtime."""
    path = shop / "orders.parquet"
    pl.DataFrame(ORDERS).write_parquet(path, compression="uncompressed", statistics=False)
    before = open_analysis(shop, cache_dir=cache)
    size = path.stat().st_size
    changed = {k: list(v) for k, v in ORDERS.items()}
    changed["order_date"][3] = date(2025, 6, 30)
    changed["amount"][3] = 70.0
    pl.DataFrame(changed).write_parquet(path, compression="uncompressed", statistics=False)
    assert path.stat().st_size == size
    t = path.stat().st_mtime + 10
    os.utime(path, (t, t))

    after = open_analysis(shop, cache_dir=cache)
    assert after.from_cache is False
    assert after.ds.max_dates["orders"] == date(2025, 6, 30)  # the probe was re-run
    assert after.ds.as_of == date(2025, 6, 30) != before.ds.as_of
    assert revenue_of(after.facts, "c") == pytest.approx(70.0)
    assert_frame_equal(after.facts, fresh_facts(shop))


def test_a_new_file_in_a_table_folder_rebuilds(tmp_path: Path, cache: Path) -> None:
    root = make_shop(tmp_path / "shop")
    (root / "orders.parquet").unlink()
    (root / "orders").mkdir()
    write_orders(root / "orders" / "part-1.parquet", ORDERS)
    first = open_analysis(root, cache_dir=cache)
    assert open_analysis(root, cache_dir=cache).from_cache is True

    extra = {k: [v[-1]] for k, v in add_order(ORDERS, "b", date(2025, 6, 2), 40.0).items()}
    write_orders(root / "orders" / "part-2.parquet", extra)
    second = open_analysis(root, cache_dir=cache)
    assert second.from_cache is False
    assert second.ds.row_counts["orders"] == 5 and second.ds.as_of == date(2025, 6, 2)
    assert revenue_of(second.facts, "b") == pytest.approx(revenue_of(first.facts, "b") + 40.0)

    (root / "orders" / "part-2.parquet").unlink()  # and removing it goes back
    third = open_analysis(root, cache_dir=cache)
    assert third.from_cache is True
    assert_frame_equal(third.facts, first.facts)


# ---------------------------------------------------------------- invalidation by settings


def test_a_different_as_of_is_a_different_entry(shop: Path, cache: Path) -> None:
    inferred = open_analysis(shop, cache_dir=cache)
    earlier = open_analysis(shop, as_of=date(2025, 4, 30), cache_dir=cache)
    assert earlier.from_cache is False
    assert earlier.ds.as_of == date(2025, 4, 30)
    assert cache_key(earlier.ds) != cache_key(inferred.ds)
    assert len(facts_files(cache)) == 2
    assert_frame_equal(earlier.facts, fresh_facts(shop, as_of=date(2025, 4, 30)))
    assert revenue_of(earlier.facts, "a") == pytest.approx(1000.0)  # the May order is later
    assert revenue_of(inferred.facts, "a") == pytest.approx(1500.0)
    assert open_analysis(shop, as_of=date(2025, 4, 30), cache_dir=cache).from_cache is True
    # giving the inferred date explicitly is the same analysis, so the same entry
    assert open_analysis(shop, as_of=date(2025, 5, 30), cache_dir=cache).from_cache is True

    cold = cli(shop, cache, "--as-of", "2025-03-31")
    assert cold.exit_code == 0 and json.loads(cold.stdout)["as_of"] == "2025-03-31"
    assert len(facts_files(cache)) == 3


def test_config_changes_are_different_entries(shop: Path, cache: Path) -> None:
    base = open_analysis(shop, cache_dir=cache)
    toml = shop / "cxtui.toml"

    toml.write_text('[settings]\ncurrency = "€"\n', encoding="utf-8")
    euro = open_analysis(shop, cache_dir=cache)
    assert euro.from_cache is False and euro.ds.config.currency == "€"
    assert cache_key(euro.ds) != cache_key(base.ds)
    assert open_analysis(shop, cache_dir=cache).from_cache is True

    toml.write_text('[tables.orders.columns]\namount = "net_amount"\n', encoding="utf-8")
    net = open_analysis(shop, cache_dir=cache)
    assert net.from_cache is False
    assert revenue_of(net.facts, "a") == pytest.approx(1350.0)  # 900 + 450
    assert overview_object(net)["revenue_12m"] == pytest.approx(1575.0)
    assert_frame_equal(net.facts, fresh_facts(shop))

    toml.unlink()  # back to the defaults: the first entry again
    back = open_analysis(shop, cache_dir=cache)
    assert back.from_cache is True
    assert_frame_equal(back.facts, base.facts)
    assert len(facts_files(cache)) == 3


def test_an_explicit_config_file_counts_like_the_folder_one(
    shop: Path, cache: Path, tmp_path: Path
) -> None:
    open_analysis(shop, cache_dir=cache)
    other = tmp_path / "other.toml"
    other.write_text("[settings]\ninactive_after_days = 30\n", encoding="utf-8")
    result = cli(shop, cache, "--config", str(other))
    assert result.exit_code == 0, result.output
    assert len(facts_files(cache)) == 2
    with_config = open_analysis(shop, config=other, cache_dir=cache)
    assert with_config.from_cache is True
    assert_frame_equal(with_config.facts, fresh_facts(shop, config=other))


def test_a_new_version_is_a_different_entry(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = open_analysis(shop, cache_dir=cache)
    base_key = cache_key(base.ds)
    old_probes = set(probe_files(cache))
    monkeypatch.setattr(cxtui.engine.cache, "__version__", "99.0.0")
    monkeypatch.setattr(cxtui, "__version__", "99.0.0")  # the probe cache reads it here
    upgraded = open_analysis(shop, cache_dir=cache)
    assert upgraded.from_cache is False
    assert cache_key(upgraded.ds) != base_key
    assert len(facts_files(cache)) == 2
    assert set(probe_files(cache)) - old_probes, "the probe cache ignores the version"
    assert_frame_equal(upgraded.facts, base.facts)
    assert open_analysis(shop, cache_dir=cache).from_cache is True

    monkeypatch.undo()
    assert open_analysis(shop, cache_dir=cache).from_cache is True  # the old entry is intact


# ---------------------------------------------------------------- invalidation by facts definitions


def _extra_column(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(pl.lit(1.5).alias("extra_fact"))


def _revenue_as_float32(frame: pl.LazyFrame) -> pl.LazyFrame:
    return frame.with_columns(pl.col("revenue_12m").cast(pl.Float32))


@pytest.mark.parametrize("change", [_extra_column, _revenue_as_float32])
def test_a_changed_facts_definition_is_a_cache_miss(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, change
) -> None:
    """The facts builder changed with no version bump and no edit the code
    version sees (replaced at run time): a new column, or a column's new dtype,
    is a new facts schema, so the next open builds the facts again instead of
    serving the old entry, and that new entry then serves."""
    base = open_analysis(shop, cache_dir=cache)
    base_key = cache_key(base.ds)
    assert open_analysis(shop, cache_dir=cache).from_cache is True
    defined = cxtui.engine.build.facts_from_joined
    monkeypatch.setattr(
        cxtui.engine.build, "facts_from_joined", lambda ds, frame: change(defined(ds, frame))
    )
    changed = open_analysis(shop, cache_dir=cache)
    assert changed.from_cache is False
    assert cache_key(changed.ds) != base_key
    assert len(facts_files(cache)) == 2
    if change is _extra_column:
        assert changed.facts["extra_fact"].to_list() == [1.5, 1.5, 1.5]
        assert_frame_equal(changed.facts.drop("extra_fact"), base.facts)
    else:
        assert changed.facts.schema["revenue_12m"] == pl.Float32
        assert changed.facts["revenue_12m"].to_list() == [1500.0, 200.0, 50.0]
    again = open_analysis(shop, cache_dir=cache)
    assert again.from_cache is True
    assert_frame_equal(again.facts, changed.facts)

    monkeypatch.undo()
    old = open_analysis(shop, cache_dir=cache)
    assert old.from_cache is True  # the old entry is intact
    assert_frame_equal(old.facts, base.facts)


def test_a_new_code_version_of_the_build_is_a_different_entry(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit to the build's sources (seen as a new code_version) makes a new
    facts entry and a new output entry, even with an unchanged facts schema."""
    base = open_analysis(shop, cache_dir=cache)
    output = output_cache_path(base.ds, cache, "report")
    monkeypatch.setattr(cxtui.engine.build, "code_version", lambda: "0" * 32)
    rebuilt = open_analysis(shop, cache_dir=cache)
    assert rebuilt.from_cache is False
    assert len(facts_files(cache)) == 2
    assert_frame_equal(rebuilt.facts, base.facts)
    assert output_cache_path(rebuilt.ds, cache, "report") != output


def test_an_edit_anywhere_in_the_package_is_a_new_output_entry(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed view definition changes the output as surely as a changed facts
    build: the output key hashes every source file of the package."""
    ds = open_dataset(shop)
    before = output_cache_path(ds, cache, "report")
    monkeypatch.setattr(cxtui.engine.cache, "package_version", lambda: "1" * 32)
    assert output_cache_path(ds, cache, "report") != before


def test_the_output_key_does_not_build_the_facts_plan(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm report is answered from its output entry: its key has the build's
    code version but not the facts' schema, whose lazy plan costs more to build
    than the rest of the warm path."""
    ds = open_dataset(shop)
    before = output_cache_path(ds, cache, "report")

    def no_plan(ds):
        raise AssertionError("the output key built the facts plan")

    monkeypatch.setattr(cxtui.engine.build, "facts_schemas", no_plan)
    assert output_cache_path(ds, cache, "report") == before
    with pytest.raises(AssertionError, match="facts plan"):
        cache_key(ds)  # the facts key does


KEYS_SCRIPT = """
import sys
from cxtui.data.load import open_dataset
from cxtui.engine import cache_key, code_version, output_cache_path
ds = open_dataset(sys.argv[1])
print(code_version(), cache_key(ds), output_cache_path(ds, None, "x").name)
print(sorted(m for m in ("rich", "textual") if m in sys.modules))
"""


def test_the_keys_are_stable_across_processes(shop: Path) -> None:
    """Unchanged code and data give the same keys in every process, whatever
    the hash seed; computing them imports neither Rich nor Textual."""
    ds = open_dataset(shop)
    here = f"{code_version()} {cache_key(ds)} {output_cache_path(ds, None, 'x').name}\n[]\n"
    runs = [
        subprocess.run(
            [sys.executable, "-c", KEYS_SCRIPT, str(shop)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert runs == [here, here]


# ---------------------------------------------------------------- corrupt cache files


def _garbage(data: bytes) -> bytes:
    return b"\x00\xffnot parquet at all\n" * 20


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _empty(data: bytes) -> bytes:
    return b""


@pytest.mark.parametrize("damage", [_garbage, _truncated, _empty])
def test_corrupt_facts_file_warns_rebuilds_and_heals(shop: Path, cache: Path, damage) -> None:
    first = cli(shop, cache)
    assert first.exit_code == 0
    [facts_file] = facts_files(cache)
    facts_file.write_bytes(damage(facts_file.read_bytes()))
    drop_outputs(cache)

    result = cli(shop, cache)
    assert result.exit_code == 0, result.output
    assert result.stdout == first.stdout
    [line] = warnings_in(result.stderr)
    assert line.startswith("cxtui: warning:") and "cache" in line and "rebuild" in line
    assert_only_cache_files(cache)

    healed = open_analysis(shop, cache_dir=cache)
    assert healed.from_cache is True
    assert_frame_equal(healed.facts, fresh_facts(shop))
    quiet = cli(shop, cache)
    assert quiet.stdout == first.stdout and quiet.stderr == ""


PROBE_DAMAGE = [
    pytest.param(b"\x00\xff\xfe garbage", id="binary"),
    pytest.param(b'{"rows": 4, "max_da', id="truncated-json"),
    pytest.param(b"", id="empty"),
    pytest.param(b'["rows", 4]', id="wrong-shape"),
    pytest.param(b'{"rows": 4, "max_date": "yesterday", "notes": []}', id="bad-date"),
    pytest.param(
        b"[" * 100_000,
        id="deeply-nested",
    ),
]


@pytest.mark.parametrize("content", PROBE_DAMAGE)
def test_corrupt_probe_file_is_ignored_and_rewritten(
    shop: Path, cache: Path, content: bytes
) -> None:
    first = cli(shop, cache)
    probes = probe_files(cache)
    assert len(probes) == 2
    for p in probes:
        p.write_bytes(content)

    result = cli(shop, cache)
    assert result.exit_code == 0, result.output
    assert result.stdout == first.stdout
    assert result.stderr == ""  # the facts cache is intact; a bad probe is just re-run
    ds = open_dataset(shop, cache_dir=cache)
    assert ds.row_counts == {"customers": 3, "orders": 4} and ds.as_of == date(2025, 5, 30)
    for p in probes:  # healed: valid again
        saved = json.loads(p.read_text())
        assert set(saved) == {"rows", "max_date", "notes", "ordered"}
    assert_only_cache_files(cache)


def test_corrupt_facts_and_probes_together(shop: Path, cache: Path) -> None:
    first = cli(shop, cache)
    for p in [*facts_files(cache), *probe_files(cache)]:
        p.write_bytes(b"garbage")
    drop_outputs(cache)
    result = cli(shop, cache)
    assert result.exit_code == 0 and result.stdout == first.stdout
    assert len(warnings_in(result.stderr)) == 1
    assert open_analysis(shop, cache_dir=cache).from_cache is True


# ---------------------------------------------------------------- bypassing the cache


def test_no_cache_cli_writes_nothing(
    shop: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    result = cli(shop, cache, "--no-cache")
    assert result.exit_code == 0 and result.stderr == ""
    bare = cli(shop, None, "--no-cache")
    assert bare.stdout == result.stdout
    assert not cache.exists()
    assert not (tmp_path / "xdg").exists()
    assert sorted(p.name for p in shop.iterdir()) == ["customers.parquet", "orders.parquet"]


def test_use_cache_false_writes_nothing(
    shop: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    analysis = open_analysis(shop, cache_dir=cache, use_cache=False)
    assert analysis.from_cache is False
    open_analysis(shop, use_cache=False)
    assert not cache.exists()
    assert not (tmp_path / "xdg").exists()


def test_no_cache_does_not_read_an_existing_entry(shop: Path, cache: Path) -> None:
    """A stale (here: doctored) entry at the right key is used when caching, and never
    with --no-cache / use_cache=False, which also leave it untouched."""
    real = open_analysis(shop, cache_dir=cache).facts
    [facts_file] = facts_files(cache)
    doctored = real.with_columns(pl.col("lifetime_revenue", "revenue_12m") * 1000)
    doctored.write_parquet(facts_file)

    def top_revenue(*extra: str) -> float:
        result = cli(shop, cache, *extra, command="top")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)[0]["revenue_12m"]

    assert top_revenue() == pytest.approx(1_500_000.0)  # the entry is read when caching
    before = (facts_file.read_bytes(), facts_file.stat().st_mtime_ns)  # (a hit touches it)
    assert top_revenue("--no-cache") == pytest.approx(1500.0)  # and not with --no-cache
    bypass = open_analysis(shop, cache_dir=cache, use_cache=False)
    assert bypass.from_cache is False
    assert_frame_equal(bypass.facts, real)
    assert (facts_file.read_bytes(), facts_file.stat().st_mtime_ns) == before


# ---------------------------------------------------------------- atomic writes


def _crashing_writer(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> list[str]:
    """Make DataFrame.write_parquet write half a file, then fail like a full disk."""
    real = pl.DataFrame.write_parquet
    targets: list[str] = []

    def crash(self, file, *args, **kwargs):
        targets.append(str(file))
        real(self, file, *args, **kwargs)
        with open(file, "r+b") as fh:
            fh.truncate(os.path.getsize(file) // 2)
        raise exc

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash)
    return targets


def test_runs_leave_no_temporary_files(shop: Path, cache: Path) -> None:
    for command in ("overview", "top", "segments", "report"):
        extra = ("--by", "region") if command == "segments" else ()
        fmt = "markdown" if command == "report" else "json"
        args = [command, str(shop), *extra, "--format", fmt, "--cache-dir", str(cache)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    open_analysis(shop, as_of=date(2025, 4, 1), cache_dir=cache)
    assert_only_cache_files(cache)
    assert len(facts_files(cache)) == 2 and len(probe_files(cache)) == 2
    assert len(list(cache.glob("output-*.txt"))) == 4  # one per command


def test_report_output_cache_follows_inputs_filter_and_format(shop: Path, cache: Path) -> None:
    def report(*extra: str) -> str:
        args = ["report", str(shop), "--format", "json", "--cache-dir", str(cache), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        return result.stdout

    first = report()
    assert report() == first == report("--no-cache")
    assert len(list(cache.glob("output-*.txt"))) == 1
    # a doctored entry is what a warm run prints: proof that it reads the cache ...
    entry = next(cache.glob("output-*.txt"))
    entry.write_text('{"doctored": true}\n')
    assert json.loads(report()) == {"doctored": True}
    # ... and --no-cache, another filter or another format do not
    assert report("--no-cache") == first
    filtered = json.loads(report("--where", "segment = 'SMB'"))
    assert (
        filtered["overview"]["customers_total"] < json.loads(first)["overview"]["customers_total"]
    )
    assert runner.invoke(
        app, ["report", str(shop), "--format", "markdown", "--cache-dir", str(cache)]
    ).stdout.startswith("# Customer report")
    # a changed input file is a new key: the numbers follow the data
    entry.write_text(first)
    orders = pl.read_parquet(shop / "orders.parquet")
    pl.concat([orders, orders.head(1)]).write_parquet(shop / "orders.parquet")
    stamp = (shop / "orders.parquet").stat().st_mtime + 10
    os.utime(shop / "orders.parquet", (stamp, stamp))
    changed = json.loads(report())
    assert changed["overview"]["orders_12m"] == json.loads(first)["overview"]["orders_12m"] + 1
    assert report() == report("--no-cache")


def test_view_output_cache_follows_options_filter_format_and_inputs(
    shop: Path, cache: Path
) -> None:
    """Every printing command keeps its finished output: a warm run prints it
    (shown by doctoring it), another option, filter, format or input does not."""

    def run(command: str, *extra: str) -> str:
        args = [command, str(shop), "--cache-dir", str(cache), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        return result.stdout

    by_region = run("segments", "--by", "region", "--format", "json")
    assert run("segments", "--by", "region", "--format", "json") == by_region
    [entry] = cache.glob("output-*.txt")
    entry.write_text('{"doctored": true}\n')
    assert json.loads(run("segments", "--by", "region", "--format", "json")) == {"doctored": True}
    assert run("segments", "--by", "region", "--format", "json", "--no-cache") == by_region
    by_segment = run("segments", "--by", "segment", "--format", "json")
    assert json.loads(by_segment) != json.loads(by_region)
    assert not run("segments", "--by", "region", "--format", "csv").startswith(("[", "{"))
    limited = json.loads(run("segments", "--by", "region", "--format", "json", "--limit", "1"))
    assert len(limited) == 1
    filtered = run("segments", "--by", "region", "--format", "json", "--where", "segment = 'SMB'")
    assert filtered != by_region
    assert len(list(cache.glob("output-*.txt"))) == 5
    # account detail too, per customer id
    one = run("account", "a", "--format", "json")
    assert run("account", "a", "--format", "json") == one
    assert run("account", "b", "--format", "json") != one
    # a changed input is a new key
    entry.write_text(by_region)
    orders = pl.read_parquet(shop / "orders.parquet")
    pl.concat([orders, orders.head(1)]).write_parquet(shop / "orders.parquet")
    stamp = (shop / "orders.parquet").stat().st_mtime + 10
    os.utime(shop / "orders.parquet", (stamp, stamp))
    after = run("segments", "--by", "region", "--format", "json")
    assert after == run("segments", "--by", "region", "--format", "json", "--no-cache")
    assert json.loads(after) != {"doctored": True}


def test_failed_command_keeps_no_output(shop: Path, cache: Path) -> None:
    args = ["account", str(shop), "NO-SUCH-ID", "--cache-dir", str(cache)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert not list(cache.glob("output-*.txt"))


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(OSError(errno.ENOSPC, "No space left on device"), id="OSError"),
        pytest.param(
            pl.exceptions.ComputeError(
                "parquet: File out of specification: underlying IO error: "
                "No space left on device (os error 28)"
            ),
            id="polars-ComputeError",
        ),
    ],
)
def test_crash_while_writing_facts_leaves_no_partial_file(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    expected = cli(shop, None, "--no-cache").stdout
    targets = _crashing_writer(monkeypatch, exc)
    result = cli(shop, cache)
    assert targets, "the facts cache was not written through DataFrame.write_parquet"
    assert all(Path(t).parent == cache for t in targets)
    assert all(not Path(t).name.startswith("facts-") for t in targets), "not written aside"
    assert result.exit_code == 0, result.output
    assert result.stdout == expected
    [line] = warnings_in(result.stderr)
    assert line.startswith("cxtui: warning:") and "cache" in line
    assert facts_files(cache) == []
    assert_only_cache_files(cache)

    monkeypatch.undo()
    rebuilt = open_analysis(shop, cache_dir=cache)
    assert rebuilt.from_cache is False
    assert open_analysis(shop, cache_dir=cache).from_cache is True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE semantics")
def test_full_cache_file_system_degrades_to_no_cache(shop: Path, cache: Path) -> None:
    """A real write failure: the child may not write files over 4 KiB (the facts file is
    bigger, the probes are not), with SIGXFSZ ignored so write() fails with EFBIG."""

    import resource  # POSIX only

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    cmd = [sys.executable, "-m", "cxtui.cli", "overview", str(shop), "--format", "json"]
    proc = subprocess.run(
        [*cmd, "--cache-dir", str(cache)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["revenue_12m"] == pytest.approx(1750.0)
    assert "warning" in proc.stderr and proc.stderr.count("\n") == 1
    assert facts_files(cache) == []
    assert_only_cache_files(cache)


def test_failed_probe_write_leaves_no_temporary_file(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = pathlib.Path.write_text

    def half_then_full(self, data, *args, **kwargs):
        real(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_full)
    analysis = open_analysis(shop, cache_dir=cache)
    monkeypatch.undo()
    assert analysis.ds.row_counts == {"customers": 3, "orders": 4}
    assert probe_files(cache) == []
    assert_only_cache_files(cache)


# ---------------------------------------------------------------- concurrent processes


def _bigger_shop(root: Path) -> Path:
    """Large enough (5k customers, 60k orders) that the racing builds overlap."""
    root.mkdir(parents=True)
    n, m = 5_000, 60_000
    ids = pl.int_range(0, n, eager=True).cast(pl.String).str.zfill(5)
    pl.DataFrame(
        {
            "customer_id": ids,
            "name": "Customer " + ids,
            "region": pl.Series(["EMEA", "APAC", "AMER"] * (n // 3 + 1))[:n],
            "signup_date": pl.date_range(date(2020, 1, 1), date(2025, 1, 1), "1d", eager=True)
            .sample(n, with_replacement=True, seed=1)
            .sort(),
        }
    ).write_parquet(root / "customers.parquet")
    pl.DataFrame({"k": pl.int_range(0, m, eager=True)}).select(
        customer_id=((pl.col("k") * 7919) % n).cast(pl.String).str.zfill(5),
        order_date=pl.lit(date(2023, 1, 1)) + pl.duration(days=(pl.col("k") * 31) % 880),
        amount=((pl.col("k") * 37) % 500 + 5).cast(pl.Float64),
    ).write_parquet(root / "orders.parquet")
    return root


def test_concurrent_processes_share_one_cache_safely(tmp_path: Path) -> None:
    root = _bigger_shop(tmp_path / "big")
    cache_dir = tmp_path / "shared-cache"
    cmd = [sys.executable, "-m", "cxtui.cli", "overview", str(root), "--format", "json"]
    cmd += ["--cache-dir", str(cache_dir)]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("CXTUI_DEBUG", None)
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert err == ""
    stdouts = {out for out, _ in outs}
    assert len(stdouts) == 1
    [stdout] = stdouts
    assert json.loads(stdout)["customers_total"] == 5_000

    assert_only_cache_files(cache_dir)
    [facts_file] = facts_files(cache_dir)
    assert len(probe_files(cache_dir)) == 2
    fresh = fresh_facts(root)
    # the file leaves out the customers' own columns (ids in order: read back from
    # customers.parquet), and names them in its metadata
    copied = json.loads(pl.read_parquet_metadata(facts_file)["cxtui.copied"])
    assert copied == ["name", "region", "signup_date"]
    assert_frame_equal(pl.read_parquet(facts_file), fresh.drop(copied))

    warm = open_analysis(root, cache_dir=cache_dir)
    assert warm.from_cache is True
    assert_frame_equal(warm.facts, fresh)
    again = runner.invoke(app, cmd[3:])
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout == stdout
    assert facts_files(cache_dir) == [facts_file]


def test_facts_are_sorted_by_id_in_column_batches() -> None:
    from cxtui.engine.build import _sorted_by_id

    ids = ["c", "a", "e", "b", "d"]
    frame = pl.DataFrame(
        {"customer_id": ids, **{f"v{i}": [i * 10 + k for k in range(5)] for i in range(30)}}
    ).with_columns(pl.col("customer_id").alias("copy"))
    got = _sorted_by_id(frame)
    assert got.columns == frame.columns  # 32 columns: three batches, order kept
    assert_frame_equal(got, frame.sort("customer_id"))
    assert _sorted_by_id(got) is got  # already sorted: no copy


def test_probe_without_latest_dates_never_answers_for_as_of(
    shop: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --as-of the latest dates are not looked for; the probe kept for such a
    run must not give a later run without --as-of a missing as_of."""
    given = open_dataset(shop, as_of=date(2025, 4, 1), cache_dir=cache)
    assert given.as_of == date(2025, 4, 1) and given.max_dates["orders"] is None
    assert len(probe_files(cache)) == 2

    def no_full_probe(*args, **kwargs):
        raise AssertionError("the kept probe needs only the latest date added")

    monkeypatch.setattr(cxtui.data.load, "_probe", no_full_probe)
    found = open_dataset(shop, cache_dir=cache)
    assert found.as_of == date(2025, 5, 30) and found.max_dates["orders"] == date(2025, 5, 30)
    assert len(probe_files(cache)) == 4
    # now the full probe serves --as-of runs too: no third kind of entry
    again = open_dataset(shop, as_of=date(2025, 4, 1), cache_dir=cache)
    assert again.max_dates["orders"] == date(2025, 5, 30)
    assert len(probe_files(cache)) == 4


@pytest.mark.parametrize("ids", [["a", "b", "c"], ["c", "a", "b"]])
def test_cache_entry_leaves_out_the_customers_own_columns(tmp_path: Path, ids: list[str]) -> None:
    """Customers in id order: their own columns are read back from the customers
    file on a warm start; in another order (the facts are then sorted by id), or
    a column the facts redefine (churn_reason, masked for active customers), the
    entry keeps them (a copy is a column equal row for row when the entry is
    written). Either way a warm start gives the same facts."""
    root = tmp_path / "shop"
    root.mkdir()
    pl.DataFrame(
        {
            "customer_id": ids,
            "name": [f"Name {i}" for i in ids],
            "signup_date": [date(2024, 1, 1)] * 3,
            "churn_date": [None, date(2025, 5, 1), None],
            "churn_reason": ["stale", "Price", None],
        }
    ).write_parquet(root / "customers.parquet")
    write_orders(root / "orders.parquet", ORDERS)
    cache = tmp_path / "cache"
    cold = open_analysis(root, cache_dir=cache)
    [facts_file] = facts_files(cache)
    copied = json.loads(pl.read_parquet_metadata(facts_file)["cxtui.copied"])
    # churn_date too: every one is before as_of, so the facts' column is the same
    assert copied == (["name", "signup_date", "churn_date"] if ids == sorted(ids) else [])
    assert "churn_reason" in pl.read_parquet_schema(facts_file)
    warm = open_analysis(root, cache_dir=cache)
    assert warm.from_cache is True
    assert_frame_equal(warm.facts, cold.facts)
    assert warm.facts.columns == cold.facts.columns


def test_cache_entry_keeps_every_column_of_text_customers(tmp_path: Path) -> None:
    """A warm start would parse a CSV customers file again: the entry keeps all."""
    root = tmp_path / "shop"
    root.mkdir()
    (root / "customers.csv").write_text("customer_id,name\na,Acme\nb,Beta\nc,Gamma\n")
    write_orders(root / "orders.parquet", ORDERS)
    cache = tmp_path / "cache"
    cold = open_analysis(root, cache_dir=cache)
    [facts_file] = facts_files(cache)
    assert json.loads(pl.read_parquet_metadata(facts_file)["cxtui.copied"]) == []
    assert "name" in pl.read_parquet_schema(facts_file)
    warm = open_analysis(root, cache_dir=cache)
    assert warm.from_cache is True
    assert_frame_equal(warm.facts, cold.facts)


def test_old_entries_of_a_dataset_are_pruned_least_recently_used_first(
    shop: Path, cache: Path, tmp_path: Path
) -> None:
    """Every as_of (or data change) is an entry; a folder keeps KEEP_ENTRIES of
    them, dropping the least recently used, and never another dataset's."""
    other = make_shop(tmp_path / "other")
    open_analysis(other, cache_dir=cache)
    [other_entry] = facts_files(cache)
    days = [date(2025, 5, d) for d in range(1, 8)]
    for day in days[: cxtui.engine.KEEP_ENTRIES]:
        open_analysis(shop, as_of=day, cache_dir=cache)
    first = {p.name for p in facts_files(cache)} - {other_entry.name}
    assert len(first) == cxtui.engine.KEEP_ENTRIES
    # a hit on the oldest makes it the most recently used ...
    assert open_analysis(shop, as_of=days[0], cache_dir=cache).from_cache is True
    for day in days[cxtui.engine.KEEP_ENTRIES :]:
        open_analysis(shop, as_of=day, cache_dir=cache)
    kept = {p.name for p in facts_files(cache)}
    assert other_entry.name in kept and len(kept) == cxtui.engine.KEEP_ENTRIES + 1
    # ... so it is kept, and the next oldest went first
    assert open_analysis(shop, as_of=days[0], cache_dir=cache).from_cache is True
    assert open_analysis(shop, as_of=days[1], cache_dir=cache).from_cache is False
    others = {p.name.replace("others-", "facts-") for p in cache.glob("others-*.parquet")}
    assert others == {p.name for p in facts_files(cache)}
    assert_only_cache_files(cache)


@pytest.mark.parametrize("command", [["report"], ["overview"], ["account", "a"]])
def test_a_warm_command_prints_without_the_views_code(
    shop: Path, cache: Path, command: list[str]
) -> None:
    """A command printed once before prints again from the output cache; the
    views' and the report's code is not imported for it (Python's start and
    imports are most of a warm command's time)."""
    code = (
        "import os, runpy, sys\n"
        "def leave(code):\n"
        "    raise SystemExit(code)\n"
        "os._exit = leave  # the CLI's quick exit would skip the report below\n"
        "sys.argv = ['cxtui', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('cxtui.cli', run_name='__main__')\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "heavy = ('cxtui.views', 'cxtui.report', 'cxtui.metrics.panes', 'cxtui.render.account')\n"
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
    )
    name, *rest = command
    args = [name, str(shop), *rest, "--format", "json", "--cache-dir", str(cache)]
    runs = [
        subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout and json.loads(runs[1].stdout)
    assert runs[0].stderr.strip().splitlines()[-1] != "[]"  # the first run computed it
    assert runs[1].stderr.strip().splitlines()[-1] == "[]"

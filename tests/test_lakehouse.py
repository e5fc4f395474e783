"""Delta Lake and Iceberg tables as dataset tables (SPEC §12), written in tmp_path.

The demo's orders (and customers) are written as a Delta table with
deltalake's `write_deltalake` and as an Iceberg table through pyiceberg's SQL
catalog in a sqlite file; a cxtui.toml maps them (`format = "delta"` /
`"iceberg"`). Every printing command must print what it prints on the plain
Parquet copy; a new commit is a new cache key and new numbers, and a pinned
`version` / `snapshot_id` reads the old data.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import COMMANDS, app

deltalake = pytest.importorskip("deltalake")
pytest.importorskip("pyiceberg.catalog.sql")

runner = CliRunner()
REL = {"clv": 1e-6}  # the CLV fit varies at ~1e-8 between two runs on one folder


def invoke(*args: str, cache: Path | None = None):
    if args[0] == "validate":
        extra: list[str] = []
    else:
        extra = ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    return runner.invoke(app, [*args, *extra])


def _close(a, b, rel: float, where: str = "") -> None:
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-12), (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert list(a) == list(b), where
        for key in a:
            _close(a[key], b[key], max(rel, REL.get(key, rel)), f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, rel, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from cxtui.demo import generate_demo

    root = tmp_path_factory.mktemp("demo")
    generate_demo(root, 300, seed=1)
    return root


def _copy_except(demo: Path, root: Path, *tables: str) -> None:
    for p in demo.glob("*.parquet"):
        if p.stem not in tables:
            shutil.copy(p, root / p.name)


def _write_iceberg(catalog_file: Path, warehouse: Path, name: str, frame: pl.DataFrame):
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog("default", uri=f"sqlite:///{catalog_file}", warehouse=warehouse.as_uri())
    namespace = name.split(".")[0]
    if (namespace,) not in catalog.list_namespaces():
        catalog.create_namespace(namespace)
    arrow = frame.to_arrow()
    table = catalog.create_table(name, schema=arrow.schema)
    table.append(arrow)
    return table


@pytest.fixture(scope="module")
def delta(demo: Path, tmp_path_factory) -> Path:
    """The demo with orders and customers as Delta tables in folders of their own."""
    root = tmp_path_factory.mktemp("delta")
    _copy_except(demo, root, "orders", "customers")
    for table in ("orders", "customers"):
        frame = pl.read_parquet(demo / f"{table}.parquet")
        deltalake.write_deltalake(root / f"{table}_delta", frame.to_arrow())
    (root / "cxtui.toml").write_text(
        '[tables.orders]\nformat = "delta"\npath = "orders_delta"\n\n'
        '[tables.customers]\nformat = "delta"\npath = "customers_delta"\n'
    )
    return root


@pytest.fixture(scope="module")
def iceberg(demo: Path, tmp_path_factory) -> Path:
    """The demo with orders in an Iceberg SQL catalog (sqlite) and customers as
    an Iceberg table given by its folder (metadata found there)."""
    root = tmp_path_factory.mktemp("iceberg")
    _copy_except(demo, root, "orders", "customers")
    warehouse = root / "warehouse"
    warehouse.mkdir()
    _write_iceberg(
        root / "catalog.db", warehouse, "shop.orders", pl.read_parquet(demo / "orders.parquet")
    )
    customers = _write_iceberg(
        root / "catalog.db",
        warehouse,
        "shop.customers",
        pl.read_parquet(demo / "customers.parquet"),
    )
    folder = Path(customers.location().removeprefix("file://"))
    (root / "cxtui.toml").write_text(
        '[tables.orders]\nformat = "iceberg"\ncatalog = "catalog.db"\ntable = "shop.orders"\n\n'
        f'[tables.customers]\nformat = "iceberg"\npath = "{folder.relative_to(root).as_posix()}"\n'
    )
    return root


PRINTING = sorted(COMMANDS - {"tui", "demo", "account"})


@pytest.mark.parametrize("layout", ["delta", "iceberg"])
@pytest.mark.parametrize("command", PRINTING)
def test_every_printing_command_equals_the_parquet_copy(
    command, layout, request, demo, tmp_path_factory
) -> None:
    lake = request.getfixturevalue(layout)
    cache = tmp_path_factory.getbasetemp() / f"cache-{layout}"
    here = invoke(command, str(demo), "--format", "json", cache=cache)
    there = invoke(command, str(lake), "--format", "json", cache=cache)
    assert there.exit_code == here.exit_code, (here.output, there.output)
    assert "Traceback" not in there.output
    assert there.stderr.replace(str(lake), str(demo)) == here.stderr
    if here.exit_code in (0, 1):
        theirs = there.stdout.replace(f" --config {lake / 'cxtui.toml'}", "")
        _close(
            json.loads(theirs.replace(str(lake), str(demo))),
            json.loads(here.stdout),
            REL.get(command, 1e-9),
        )


@pytest.mark.parametrize("layout", ["delta", "iceberg"])
def test_account_detail_from_a_lakehouse_table(layout, request, demo) -> None:
    lake = request.getfixturevalue(layout)
    customer = pl.read_parquet(demo / "orders.parquet")["customer_id"][3]
    here = invoke("account", str(demo), customer, "--format", "json")
    there = invoke("account", str(lake), customer, "--format", "json")
    assert here.exit_code == there.exit_code == 0, there.output
    _close(json.loads(there.stdout), json.loads(here.stdout), 1e-9)
    # the one-customer filter is part of the table's scan
    from cxtui.data.load import open_dataset

    plan = open_dataset(lake).scan("orders").filter(pl.col("customer_id") == customer).explain()
    assert "Parquet SCAN" in plan and "FILTER" not in plan, plan  # no filter over the scan
    selection = next(line for line in plan.splitlines() if "SELECTION" in line)
    assert customer in selection, plan


def _overview(root: Path, cache: Path) -> dict:
    result = invoke("overview", str(root), "--format", "json", cache=cache)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_delta_commit_is_a_new_key_and_a_pinned_version_reads_the_old_data(demo, tmp_path) -> None:
    from cxtui.data.load import open_dataset
    from cxtui.engine import cache_key

    root = tmp_path / "shop"
    root.mkdir()
    _copy_except(demo, root, "orders")
    orders = pl.read_parquet(demo / "orders.parquet")
    deltalake.write_deltalake(root / "orders_delta", orders.to_arrow())
    (root / "cxtui.toml").write_text('[tables.orders]\nformat = "delta"\npath = "orders_delta"\n')
    cache = tmp_path / "cache"
    ds = open_dataset(root)
    assert ds.versions["orders"].endswith("version 0")
    first_key = cache_key(ds)
    first = _overview(root, cache)
    assert cache_key(open_dataset(root)) == first_key

    # version 1: every order once more, at the same dates
    deltalake.write_deltalake(root / "orders_delta", orders.to_arrow(), mode="append")
    ds = open_dataset(root)
    assert ds.versions["orders"].endswith("version 1")
    assert cache_key(ds) != first_key
    second = _overview(root, cache)
    assert second["revenue_12m"] == pytest.approx(2 * first["revenue_12m"], rel=1e-9)
    assert second["orders_12m"] == 2 * first["orders_12m"]

    # pinned at version 0: the first numbers, and the first key's data
    (root / "cxtui.toml").write_text(
        '[tables.orders]\nformat = "delta"\npath = "orders_delta"\nversion = 0\n'
    )
    pinned = open_dataset(root)
    assert pinned.versions["orders"].endswith("version 0")
    _close(_overview(root, cache), first, 1e-9)


def test_iceberg_commit_is_a_new_key_and_a_pinned_snapshot_reads_the_old_data(
    demo, tmp_path
) -> None:
    from cxtui.data.load import open_dataset
    from cxtui.engine import cache_key

    root = tmp_path / "shop"
    root.mkdir()
    _copy_except(demo, root, "orders")
    orders = pl.read_parquet(demo / "orders.parquet")
    table = _write_iceberg(root / "catalog.db", tmp_path / "wh", "shop.orders", orders)
    old_snapshot = table.current_snapshot().snapshot_id
    (root / "cxtui.toml").write_text(
        '[tables.orders]\nformat = "iceberg"\ncatalog = "catalog.db"\ntable = "shop.orders"\n'
    )
    cache = tmp_path / "cache"
    first_key = cache_key(open_dataset(root))
    first = _overview(root, cache)

    table.append(orders.to_arrow())  # a new snapshot: every order twice
    new_snapshot = table.current_snapshot().snapshot_id
    ds = open_dataset(root)
    assert ds.versions["orders"].endswith(f"snapshot {new_snapshot}")
    assert cache_key(ds) != first_key
    second = _overview(root, cache)
    assert second["revenue_12m"] == pytest.approx(2 * first["revenue_12m"], rel=1e-9)

    (root / "cxtui.toml").write_text(
        '[tables.orders]\nformat = "iceberg"\ncatalog = "catalog.db"\ntable = "shop.orders"\n'
        f"snapshot_id = {old_snapshot}\n"
    )
    assert open_dataset(root).versions["orders"].endswith(f"snapshot {old_snapshot}")
    _close(_overview(root, cache), first, 1e-9)

    # the same table by its metadata file: the newest one, as the catalog has it
    metadata = Path(table.metadata_location.removeprefix("file://"))
    (root / "cxtui.toml").write_text(f'[tables.orders]\nformat = "iceberg"\npath = "{metadata}"\n')
    _close(_overview(root, cache), second, 1e-9)


def _error(root: Path, toml: str, needle: str) -> str:
    (root / "cxtui.toml").write_text(toml)
    result = invoke("overview", str(root))
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in result.output, err
    assert needle in err and "fix:" in err, err
    return err


def test_lakehouse_errors_are_one_line(demo, tmp_path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    _copy_except(demo, root, "orders")
    orders = pl.read_parquet(demo / "orders.parquet")
    deltalake.write_deltalake(root / "orders_delta", orders.to_arrow())
    _error(root, '[tables.orders]\nformat = "delta"\npath = "customers.parquet"\n', "not a Delta")
    _error(
        root,
        '[tables.orders]\nformat = "delta"\npath = "orders_delta"\nversion = 4\n',
        "Delta version 4 does not exist (the latest is 0)",
    )
    _error(root, '[tables.orders]\nformat = "delta"\n', "needs its folder")
    _error(
        root,
        '[tables.orders]\nformat = "parquet"\npath = "orders_delta"\nversion = 1\n',
        'set format = "delta"',
    )
    _error(
        root,
        '[tables.orders]\nformat = "iceberg"\ncatalog = "catalog.db"\n',
        "needs both catalog and table",
    )
    _error(
        root,
        '[tables.orders]\nformat = "iceberg"\ncatalog = "nope.db"\ntable = "shop.orders"\n',
        "catalog file is not found",
    )
    _write_iceberg(root / "catalog.db", tmp_path / "wh", "shop.orders", orders)
    _error(
        root,
        '[tables.orders]\nformat = "iceberg"\ncatalog = "catalog.db"\ntable = "shop.orders"\n'
        "snapshot_id = 12345\n",
        "snapshot_id 12345 is not in the Iceberg table",
    )
    _error(
        root,
        '[tables.orders]\nformat = "iceberg"\ncatalog = "catalog.db"\ntable = "shop.missing"\n',
        "cannot load Iceberg table 'shop.missing'",
    )
    _error(
        root, '[tables.orders]\nformat = "iceberg"\npath = "orders_delta"\n', "no Iceberg metadata"
    )

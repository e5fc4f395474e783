"""bench/compare_stores.py, which compares L's stores in bounded memory: equal
stores in any row order are equal; a keyed value off by more than 1e-9 or one
changed value in a row table is found, and names its file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "compare_stores.py"
pytestmark = pytest.mark.skipif(not DEMO.is_dir(), reason="data/demo not generated")


def compare(a: Path, b: Path) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(a), str(b)], capture_output=True, text=True, timeout=300
    )
    return done.returncode, [line for line in done.stdout.splitlines() if "equal" not in line]


def test_compare_stores(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["build", str(DEMO), "--out", str(store), "--no-cache"])
    assert result.exit_code == 0, result.output
    other = tmp_path / "other"
    shutil.copytree(store, other)
    # the same rows in another order: equal
    for name in ("facts.parquet", "table-orders.parquet"):
        frame = pl.read_parquet(other / name)
        frame.sample(fraction=1.0, shuffle=True, seed=7).write_parquet(other / name)
    assert compare(store, other) == (0, [])

    def nudge(name: str, column: str, factor: float) -> None:
        frame = pl.read_parquet(other / name)
        row = frame[column].is_not_null().arg_max()
        changed = pl.when(pl.int_range(pl.len()) == row).then(pl.col(column) * factor)
        frame.with_columns(changed.otherwise(pl.col(column)).alias(column)).write_parquet(
            other / name
        )

    nudge("facts.parquet", "lifetime_revenue", 1 + 1e-12)  # within 1e-9: equal
    assert compare(store, other) == (0, [])
    nudge("facts.parquet", "lifetime_revenue", 1 + 1e-7)
    nudge("table-orders.parquet", "amount", 1 + 1e-6)
    code, lines = compare(store, other)
    assert code == 1
    assert lines == [
        "facts.parquet (12,458 rows): column lifetime_revenue: 1 values differ",
        "table-orders.parquet (244,434 rows): differs in __h1, __h2",
    ]

"""`cxtui build --engine spark` (SPEC §12, issue 14 items 4 and 5): in local
mode on the demo and on the edge datasets, the store equals the Polars
engine's (every file, 1e-9 relative) and answers the commands as the dataset
does; the first step's hand-worked answers hold for Spark too; and one build
through Spark Connect, on a server started here from the PySpark wheel.

One SparkSession serves the whole test session (starting one takes seconds);
the builds run in this process through the CLI and find it active."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxtui.cli import app
from tests.store_fixtures import (
    AS_OF,
    assert_same_store,
    build,
    check_answers,
    edge_csv,
    edge_derived,
    runner,
    same_output,
)

pyspark = pytest.importorskip("pyspark", reason="the spark extra is not installed")

pytestmark = pytest.mark.spark

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17+ (no java on PATH, no JAVA_HOME)")
    from cxtui.engine.spark.session import spark_session

    with spark_session() as session:
        yield session


@pytest.fixture(autouse=True)
def _own_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def both(data: Path, base: Path, *extra: str) -> tuple[Path, Path]:
    """The Polars store and the Spark store of `data`."""
    build(data, base / "polars", *extra)
    build(data, base / "spark", *extra, "--engine", "spark")
    return base / "polars", base / "spark"


def test_the_demo_store_from_spark_equals_the_polars_one(spark, tmp_path: Path) -> None:
    polars_store, spark_store = both(DEMO, tmp_path)
    assert_same_store(polars_store, spark_store)
    for command in (("overview",), ("report",), ("account", "C0000042"), ("cohorts",)):
        assert same_output(command, DEMO, spark_store, "--no-cache") == []


def test_a_csv_mapped_dataset_with_derived_customers(spark, tmp_path: Path) -> None:
    data = edge_csv(tmp_path / "data")
    polars_store, spark_store = both(data, tmp_path)
    assert_same_store(polars_store, spark_store)
    for command in (("segments", "--by", "owner"), ("at-risk", "--min-score", "0")):
        assert same_output(command, data, spark_store, "--no-cache") == []


def test_customers_derived_from_orders_and_the_hand_worked_answers(spark, tmp_path) -> None:
    data = edge_derived(tmp_path / "data")
    polars_store, spark_store = both(data, tmp_path, "--as-of", AS_OF.isoformat())
    check_answers(spark_store)
    assert_same_store(polars_store, spark_store)
    assert same_output(("overview",), data, spark_store, "--as-of", "2025-06-30") == []


def test_a_delta_table_is_the_polars_engines_to_read(spark, tmp_path: Path) -> None:
    deltalake = pytest.importorskip("deltalake", reason="the lakehouse extra is not installed")
    import polars as pl

    data = edge_derived(tmp_path / "data")
    events = pl.read_parquet(data / "events.parquet")
    (data / "events.parquet").unlink()
    deltalake.write_deltalake(data / "events_delta", events.to_arrow())
    (data / "cxtui.toml").write_text('[tables.events]\npath = "events_delta"\nformat = "delta"\n')
    result = runner.invoke(
        app, ["build", str(data), "--out", str(tmp_path / "s"), "--engine", "spark", "--no-cache"]
    )
    assert result.exit_code == 2
    assert "table events is delta" in result.stderr
    assert "fix: use --engine polars" in result.stderr
    build(data, tmp_path / "polars")  # which reads it


# ---------------------------------------------------------------- Spark Connect


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory) -> Iterator[str]:
    """A Spark Connect server on 127.0.0.1, started with the wheel's own script
    (stopped at the end); skipped when it does not listen within 2 minutes."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs Java 17+ (no java on PATH, no JAVA_HOME)")
    home = Path(pyspark.__file__).parent
    script = home / "sbin" / "start-connect-server.sh"
    if not script.is_file() or not list((home / "jars").glob("spark-connect_*.jar")):
        pytest.skip("this PySpark wheel has no Spark Connect server (start-connect-server.sh)")
    folder = tmp_path_factory.mktemp("connect")
    port = _free_port()
    env = os.environ | {
        "SPARK_HOME": str(home),
        "SPARK_LOG_DIR": str(folder),
        "SPARK_PID_DIR": str(folder),
        "SPARK_IDENT_STRING": f"cxtui-test-{port}",
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,  # the server's Python workers need cxtui
    }
    args = [
        "--master",
        "local[1]",
        "--conf",
        f"spark.connect.grpc.binding.port={port}",
        "--conf",
        "spark.connect.grpc.binding.address=127.0.0.1",
        "--conf",
        "spark.ui.enabled=false",
    ]
    subprocess.run(["bash", str(script), *args], env=env, check=True, capture_output=True)
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            if time.monotonic() > deadline:
                logs = " ".join(p.read_text()[-300:] for p in folder.glob("*.out"))
                pytest.skip(f"the Spark Connect server did not listen within 2 minutes: {logs}")
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        stop = home / "sbin" / "stop-connect-server.sh"
        subprocess.run(["bash", str(stop)], env=env, capture_output=True, timeout=60)


def test_a_build_through_spark_connect(connect_server: str, tmp_path: Path) -> None:
    """As a user would run it: the cxtui command, in its own process."""
    data = edge_derived(tmp_path / "data")
    build(data, tmp_path / "polars", "--as-of", AS_OF.isoformat())
    cxtui = Path(sys.executable).parent / "cxtui"
    result = subprocess.run(
        [
            str(cxtui),
            "build",
            str(data),
            "--out",
            str(tmp_path / "connect"),
            "--as-of",
            AS_OF.isoformat(),
            "--engine",
            "spark",
            "--spark-remote",
            connect_server,
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(spark," in result.stderr
    check_answers(tmp_path / "connect")
    assert_same_store(tmp_path / "polars", tmp_path / "connect")

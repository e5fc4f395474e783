"""The SparkSession a build runs on: local mode, a cluster's master, or a
Spark Connect server; and what a Spark failure reads as (one line)."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from cxtui.errors import CxError

LOCAL_MASTER = "local[2]"

# Set when cxtui starts the session (a session already running is used as it is)
_STATIC_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # no _SUCCESS marker beside the part files of each store entry
    "spark.hadoop.mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}

# Set on every session the build runs on (SQL settings: Spark Connect takes them too)
SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",  # dates of instants as Polars reads them
    "spark.sql.caseSensitive": "true",  # column names as in the files, like Polars
    # hive partition values as text: the data layer types them as Polars does
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    # nanosecond timestamps (pandas' exports) as their integers; typed per batch
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    # dates and times as written (the proleptic calendar Polars uses), no rebasing
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
}

# Local mode only: few shuffle partitions for one machine's cores
_LOCAL_SQL_CONF = {"spark.sql.shuffle.partitions": "8"}


def _pyspark() -> Any:
    # PySpark warns on every import of its Arrow helpers that it has not been
    # tried with pandas 3; cxtui hands it Arrow batches only
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise CxError(
            "--engine spark needs PySpark; fix: pip install 'cxtui[spark]' (and Java 17+)"
        ) from None
    return SparkSession


@contextlib.contextmanager
def spark_session(master: str | None = None, remote: str | None = None) -> Iterator[Any]:
    """A SparkSession for one build: Spark Connect at `remote` (sc://HOST:PORT),
    else the cluster at `master`, else local mode (`local[2]`); stopped at the
    end when the build started it. With neither given, a session the process
    already runs (a notebook's, a test's) is used as it is."""
    session_class = _pyspark()
    active = session_class.getActiveSession() if master is None and remote is None else None
    if active is not None:
        configure(active, local=False)
        yield active
        return
    builder = session_class.builder.appName("cxtui build")
    if remote is not None:
        if not remote.startswith("sc://"):
            raise CxError(
                f"--spark-remote {remote!r}: not a Spark Connect URL; fix: sc://HOST:PORT"
            )
        builder = builder.remote(remote)
    else:
        # Python workers on this machine run this interpreter, which has polars and
        # cxtui (a cluster's executors need them installed: docs/scale.md)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.master(master or LOCAL_MASTER)
        for key, value in _STATIC_CONF.items():
            builder = builder.config(key, value)
        if (master or LOCAL_MASTER).startswith("local"):  # one machine: the loopback
            builder = builder.config("spark.driver.host", "127.0.0.1")
            builder = builder.config("spark.driver.bindAddress", "127.0.0.1")
    try:
        spark = builder.getOrCreate()
    except Exception as exc:
        raise spark_error(exc, master or remote or LOCAL_MASTER) from None
    try:
        configure(spark, local=remote is None and (master or LOCAL_MASTER).startswith("local"))
        yield spark
    finally:
        with contextlib.suppress(Exception):
            spark.stop()


def configure(spark: Any, local: bool) -> None:
    """The SQL settings every build relies on (`SQL_CONF`)."""
    for key, value in (SQL_CONF | (_LOCAL_SQL_CONF if local else {})).items():
        spark.conf.set(key, value)
    context = getattr(spark, "sparkContext", None)  # none through Spark Connect
    with contextlib.suppress(Exception):
        if context is not None:
            context.setLogLevel("ERROR")


def spark_error(exc: BaseException, where: str) -> CxError:
    """A Spark failure as one line naming where it ran and the likely fix."""
    text = " ".join(str(exc).split())
    if "JAVA_GATEWAY_EXITED" in text or "JAVA_HOME" in text or text[:4].lower() == "java":
        fix = "install Java 17 or newer (JAVA_HOME or java on PATH), or use --engine polars"
    elif "UNAVAILABLE" in text or "Connection refused" in text or "failed to connect" in text:
        fix = "start the Spark Connect server, or check --spark-remote sc://HOST:PORT"
    else:
        fix = "check the Spark cluster's logs, or use --engine polars"
    return CxError(f"Spark ({where}) failed: {text[:240]}; fix: {fix}")

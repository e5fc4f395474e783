"""The Spark engine of `cxtui build` (SPEC §12): the facts build's first step
(`aggregates`, mirroring `cxtui.metrics.facts`) and the store's tables
(`compacted`, mirroring `cxtui.engine.compacted`) computed with PySpark
DataFrames on any Spark cluster (local mode, a standalone or YARN master,
Spark Connect), written into the store; `cxtui.engine.store` then runs the
second step in Polars on the aggregates. PySpark is imported only here (the
`spark` extra)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cxtui.data.load import Dataset
from cxtui.engine.compacted import STORE_TABLES, monthly_attributes
from cxtui.errors import CxError
from cxtui.store import aggregate_name, table_name


def build_parts(
    ds: Dataset, folder: Path, master: str | None = None, remote: str | None = None
) -> dict[str, Any]:
    """Write the aggregates (`agg-<table>.parquet/`) and the store's tables
    (`table-<table>.parquet/`) of `ds` into `folder` with Spark; returns where
    it ran (master or remote, Spark's version) for the manifest."""
    from cxtui.engine.spark.session import spark_error, spark_session

    where = remote or master or "local[2]"
    with spark_session(master, remote) as spark:
        try:
            from cxtui.engine.spark import aggregates, compacted
            from cxtui.engine.spark.read import canonical_frame

            # monthly rows keep their files' order when derived customers read it
            ordered = {"monthly"} if monthly_attributes(ds) else set()
            frames = {
                t: canonical_frame(spark, ds, t, ordered=t in ordered)
                for t in STORE_TABLES
                if ds.has(t)
            }
            # a table both steps read is typed once (the Python workers' share of
            # the work) and kept as Parquet beside the store until both have run
            staged = folder / ".typed"
            for table in aggregates.AGGREGATES.keys() & frames.keys():
                frames[table].write.mode("overwrite").parquet(str(staged / table))
                frames[table] = spark.read.parquet(str(staged / table))
            for table, frame in aggregates.table_aggregates(ds, frames).items():
                frame.write.mode("overwrite").parquet(str(folder / aggregate_name(table)))
            for table, frame in compacted.store_tables(ds, frames).items():
                frame.write.mode("overwrite").parquet(str(folder / table_name(table)))
            version = spark.version
        except CxError:
            raise
        except Exception as exc:
            raise spark_error(exc, where) from None
    shutil.rmtree(folder / ".typed", ignore_errors=True)
    return {"master": None if remote else where, "remote": remote, "version": version}

"""`cxtui build`: write an analysis store (`cxtui.store`) with the Polars engine
or with Spark (SPEC §12).

The facts are built in two steps (`build.facts_and_others`): one pass over each
large table giving one row per id (`facts.table_aggregates`), then the joins
and per-customer columns in memory. Only the first step and the store's tables
(`compacted`) read the rows, so only they need an engine that scales beyond one
machine: with `engine="spark"` Spark computes them (`cxtui.engine.spark`) and
writes them into the store; the second step then runs here in Polars on the
aggregates, which have one row per customer, exactly as it does for the Polars
engine. The store is written into a folder beside `out` and moved into place
when it is complete.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl

from cxtui import __version__
from cxtui.data.load import (
    Dataset,
    _derive_customers,
    _ordered_check,
    dataset_state,
    open_dataset,
    store_table,
)
from cxtui.data.remote import RemotePath
from cxtui.engine import build, compacted
from cxtui.engine.collect import collect, collect_all
from cxtui.engine.compacted import STORE_TABLES, WEIGHT, WEIGHTED, store_tables
from cxtui.errors import CxError
from cxtui.metrics.facts import table_aggregates
from cxtui.store import (
    CUSTOMERS,
    FACTS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    OTHERS,
    aggregate_name,
    config_settings,
    fingerprint,
    is_store,
    parquet_files,
    table_name,
)

ENGINES = ("polars", "spark")


def build_store(
    data: str | Path | RemotePath,
    out: str | Path,
    *,
    engine: str = "polars",
    spark_master: str | None = None,
    spark_remote: str | None = None,
    as_of: date | None = None,
    config: str | Path | None = None,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """Build the analysis store of the dataset at `data` (as of `as_of`, else
    its latest date) into the folder `out`, replacing a store already there;
    returns the manifest. `engine` is "polars" (in this process) or "spark"
    (local mode `local[2]`, `spark_master`, or Spark Connect at `spark_remote`);
    `cache_dir` keeps the dataset's probes (see `open_dataset`)."""
    if engine not in ENGINES:
        raise CxError(f"--engine {engine!r}: unknown engine; fix: use polars or spark")
    if engine != "spark" and (spark_master or spark_remote):
        raise CxError("--spark-master / --spark-remote need --engine spark; fix: add it")
    if spark_master and spark_remote:
        raise CxError("--spark-master and --spark-remote: give one; fix: drop one of them")
    target = Path(out).expanduser().absolute()
    _check_target(target)
    started = time.monotonic()
    ds = open_dataset(data, config, as_of, cache_dir)
    if ds.store is not None:
        raise CxError(
            f"{ds.root}: already an analysis store; fix: build from its source, "
            f"{ds.store.manifest['source']['path']}"
        )
    if isinstance(ds.root, Path) and target.resolve().is_relative_to(ds.root.resolve()):
        raise CxError(
            f"{target}: inside the dataset folder {ds.root} (input files are never written); "
            "fix: give --out a folder outside it"
        )
    work = target.parent / f".{target.name}.building-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        if engine == "polars":
            aggregates, customers = _polars_parts(ds, work)
            spark = None
        else:
            from cxtui.engine.spark import build_parts

            spark = build_parts(ds, work, master=spark_master, remote=spark_remote)
            aggregates, customers = _read_parts(ds, work)
        built = build.facts_from_aggregates(ds, aggregates, customers)
        facts, others, facts_notes = built.facts, built.others, built.notes
        for name, frame in ((CUSTOMERS, customers), (FACTS, facts), (OTHERS, others)):
            _write(frame, work / name)
        manifest = _manifest(ds, work, engine, spark, config, facts_notes, started)
        # last: a folder without its manifest is no store (nor is `work` until moved)
        (work / MANIFEST).write_text(_json(manifest), encoding="utf-8")
        _move_into_place(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


def _check_target(target: Path) -> None:
    if not target.exists() or is_store(target):
        return
    if target.is_dir() and not any(target.iterdir()):
        return
    raise CxError(
        f"{target}: exists and is not an analysis store; fix: give --out a new folder "
        "(a store there is replaced)"
    )


def _move_into_place(work: Path, target: Path) -> None:
    """`work` becomes `target`; a store (or empty folder) there is replaced."""
    old = None
    if target.exists():
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    work.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------- the two engines


def _polars_parts(ds: Dataset, work: Path) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The first step and the store's tables in this process: the aggregates
    and the customers in one streaming pass (as `build.facts_and_others`), each
    store table streamed to its file."""
    lazy = table_aggregates(ds, count_nonfinite=True)
    *done, customers = collect_all([*lazy.values(), ds.tables["customers"]])
    aggregates = dict(zip(lazy, done, strict=True))
    for table, frame in aggregates.items():
        _write(frame, work / aggregate_name(table))
    for table, lazy in store_tables(ds).items():
        try:
            if table in WEIGHTED and ds.row_counts.get(table, 0) > PART_ROWS:
                _sink_counted_in_parts(ds, table, work)
            else:
                lazy.sink_parquet(work / table_name(table))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise CxError(
                f"{ds.root}: table {table}: cannot write it to the store ({exc}); "
                "fix: run `cxtui validate DATA`, and check the space left in --out"
            ) from None
    return aggregates, customers


# Rows of a table counted per distinct row (`compacted.counted`) in one go: the
# group-by holds every distinct row in memory (M's 28M events: 4.5 GB), so a
# larger table is split by a hash of the id first and each part counted alone.
PART_ROWS = 4_000_000


def _sink_counted_in_parts(ds: Dataset, table: str, work: Path) -> None:
    """`compacted.counted` over the table's rows, written as a folder of part
    files: one streaming pass puts the rows in ~PART_ROWS-row parts by a hash
    of customer_id (a customer's rows, hence each distinct row, in one part),
    then each part is counted on its own (the parts' rows are disjoint)."""
    parts = -(-ds.row_counts[table] // PART_ROWS)
    split = work / f".{table}-by-id"
    part = (pl.col("customer_id").hash(seed=0) % parts).alias("__part")
    compacted.rows(ds, table).with_columns(part).sink_parquet(
        pl.PartitionBy(split, key="__part", include_key=False), mkdir=True
    )
    out = work / table_name(table)
    out.mkdir()
    keys = compacted.kept_columns(ds, table)
    for i, folder in enumerate(sorted(split.iterdir())):
        compacted.counted(pl.scan_parquet(parquet_files(folder)), keys).sink_parquet(
            out / f"part-{i:05d}.parquet"
        )
    shutil.rmtree(split)


def _read_parts(ds: Dataset, work: Path) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """What another engine wrote into `work`, read back with the Polars engine's
    column types: the aggregates (same names, Spark's 64-bit counts cast to
    Polars' own types) and the customers (the table's, or derived from the
    store's tables exactly as `open_dataset` derives them from the rows)."""
    aggregates = {}
    for table, lazy in table_aggregates(ds, count_nonfinite=True).items():
        schema = lazy.collect_schema()
        files = parquet_files(work / aggregate_name(table))
        frame = pl.read_parquet(files) if files else pl.DataFrame(schema=schema)
        aggregates[table] = frame.select(pl.col(n).cast(d) for n, d in schema.items())
    if not ds.customers_derived:
        return aggregates, collect(ds.tables["customers"])
    tables = {
        t: _source_typed(ds, t, store_table(work, t, _table_info(work, t), "cxtui build"))
        for t in STORE_TABLES
        if ds.has(t)
    }
    return aggregates, collect(_derive_customers(tables, ds.as_of))


def _source_typed(ds: Dataset, table: str, lf: pl.LazyFrame) -> pl.LazyFrame:
    """A store table with the dataset's own dtypes (the monthly attributes the
    derived customers carry keep the types they have in the data)."""
    schema = ds.tables[table].collect_schema()
    names = lf.collect_schema().names()
    return lf.with_columns(pl.col(n).cast(schema[n]) for n in names if n in schema)


# ---------------------------------------------------------------- files and manifest


def _write(frame: pl.DataFrame, path: Path) -> None:
    try:
        frame.write_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise CxError(
            f"{path}: cannot write it ({exc}); fix: check the space left in --out"
        ) from None


def _rows(path: Path) -> int:
    files = parquet_files(path)
    return collect(pl.scan_parquet(files).select(pl.len())).item() if files else 0


def _table_info(work: Path, table: str) -> dict[str, Any]:
    """A store table's manifest entry: its file, rows (store rows) and whether
    its rows stand for several of the table's (`compacted.WEIGHT` above 1)."""
    path = work / table_name(table)
    repeated = False
    if table in WEIGHTED and (files := parquet_files(path)):
        top = collect(pl.scan_parquet(files).select(pl.col(WEIGHT).max())).item()
        repeated = top is not None and top > 1
    return {"file": table_name(table), "rows": _rows(path), "repeated": repeated}


def _monthly_ordered(work: Path, info: dict[str, Any]) -> bool:
    """Whether the store's monthly rows are strictly in (customer_id, month)
    order, as `open_dataset` checks a dataset's (the facts' fast path)."""
    lf = store_table(work, "monthly", info, "cxtui build")
    check = _ordered_check("monthly", lf)
    return bool(check is not None and collect(check).item())


def _manifest(
    ds: Dataset,
    work: Path,
    engine: str,
    spark: dict[str, Any] | None,
    config: str | Path | None,
    facts_notes: list[str],
    started: float,
) -> dict[str, Any]:
    tables = {t: _table_info(work, t) for t in STORE_TABLES if ds.has(t)}
    names = [CUSTOMERS, FACTS, OTHERS, *(aggregate_name(t) for t in table_aggregates(ds))]
    files = {name: _rows(work / name) for name in names}
    files |= {info["file"]: info["rows"] for info in tables.values()}
    root = ds.root
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "cxtui_version": __version__,
        "code_version": build.code_version(),
        "engine": engine,
        "spark": spark,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.monotonic() - started, 2),
        "as_of": ds.as_of.isoformat(),
        "as_of_given": ds.as_of_given,
        "source": {
            "path": str(root.resolve()) if isinstance(root, Path) else str(root),
            "config": str(Path(config).expanduser().resolve()) if config else None,
        },
        "config": config_settings(ds.config),
        "config_fingerprint": fingerprint([ds.config.fingerprint()]),
        "inputs_fingerprint": fingerprint(dataset_state(ds)),
        "customers_derived": ds.customers_derived,
        "monthly_ordered": "monthly" in tables and _monthly_ordered(work, tables["monthly"]),
        "notes": list(ds.notes),
        "facts_notes": facts_notes,
        "row_counts": dict(ds.row_counts),
        "max_dates": {k: None if v is None else v.isoformat() for k, v in ds.max_dates.items()},
        "tables": tables,
        "files": files,
    }


def _json(manifest: dict[str, Any]) -> str:
    import json

    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"

"""A dataset's tables as Spark DataFrames of their canonical rows.

Spark reads the files (Parquet with its own reader, in parallel splits; a CSV
file per task, parsed as the Polars engine parses it); each batch of rows is
then typed by the data layer's own conversion (`load.canonical_rows`: column
mapping, value maps, dates and instants from text, NaN / inf as null, ids as
text), run by the Python workers on Arrow batches. The typing of the inputs is
the part most prone to drift between two engines, so it is written once; the
aggregates over the typed rows are Spark's (`aggregates`, `compacted`).

Only local paths and paths the cluster reads as they are: object-store URLs
and Delta / Iceberg tables are the Polars engine's (docs/scale.md).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from cxtui.data.config import TableMapping
from cxtui.data.load import Dataset, canonical_rows, raw_scan
from cxtui.data.schema import KEEP_EXTRA_COLUMNS, SCHEMA
from cxtui.errors import CxError

FILE, POS = "__file", "__pos"  # a row's file (in the dataset's order) and place in it
_CHUNK = 100_000  # rows per Arrow batch handed back to Spark


# ---------------------------------------------------------------- types


def _spark_type(name: str, dtype: pl.DataType) -> tuple[T.DataType, pl.DataType]:
    """The Spark type a Polars column travels as, and the Polars type to cast it
    to first (Spark has no unsigned integers, categoricals or null columns)."""
    simple: dict[Any, tuple[T.DataType, pl.DataType]] = {
        pl.String: (T.StringType(), pl.String()),
        pl.Categorical: (T.StringType(), pl.String()),
        pl.Enum: (T.StringType(), pl.String()),
        pl.Null: (T.StringType(), pl.String()),
        pl.Date: (T.DateType(), pl.Date()),
        pl.Boolean: (T.BooleanType(), pl.Boolean()),
        pl.Float64: (T.DoubleType(), pl.Float64()),
        pl.Float32: (T.FloatType(), pl.Float32()),
        pl.Int64: (T.LongType(), pl.Int64()),
        pl.Int32: (T.IntegerType(), pl.Int32()),
        pl.Int16: (T.ShortType(), pl.Int16()),
        pl.Int8: (T.ByteType(), pl.Int8()),
        pl.UInt8: (T.ShortType(), pl.Int16()),
        pl.UInt16: (T.IntegerType(), pl.Int32()),
        pl.UInt32: (T.LongType(), pl.Int64()),
    }
    base = dtype.base_type()
    if base in simple:
        return simple[base]
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return T.TimestampNTZType(), pl.Datetime("us")
        return T.TimestampType(), pl.Datetime("us", "UTC")
    if isinstance(dtype, pl.Decimal) and dtype.precision is not None:
        return T.DecimalType(dtype.precision, dtype.scale), dtype
    if base == pl.UInt64:
        return T.DecimalType(20, 0), pl.Decimal(20, 0)
    raise CxError(
        f"--engine spark: column {name!r} has type {dtype}, which Spark cannot carry; "
        "fix: export it as text or a number, or use --engine polars"
    )


def spark_schema(schema: dict[str, pl.DataType]) -> T.StructType:
    return T.StructType([T.StructField(n, _spark_type(n, d)[0]) for n, d in schema.items()])


def _conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """`frame` (a batch as Spark hands it over) with the columns and types of the
    raw scan Polars makes of the same files: a column the batch lacks is null,
    as `missing_columns="insert"` makes it."""
    exprs = []
    for name, dtype in schema.items():
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype).alias(name))
            continue
        have, col = frame.schema[name], pl.col(name)
        if have == dtype:
            exprs.append(col)
        elif isinstance(dtype, pl.Datetime):
            if have.is_integer():  # nanoseconds as integers (spark.sql.legacy.parquet.nanosAsLong)
                have = pl.Datetime("ns", "UTC" if dtype.time_zone else None)
                col = col.cast(have)
            if isinstance(have, pl.Datetime) and have.time_zone is not None:
                # Spark hands an instant over in UTC: the zone Polars reads it in
                col = (
                    col.dt.convert_time_zone(dtype.time_zone)
                    if dtype.time_zone
                    else col.dt.replace_time_zone(None)
                )
            exprs.append(col.dt.cast_time_unit(dtype.time_unit).alias(name))
        else:
            exprs.append(col.cast(dtype, strict=False).alias(name))
    return frame.select(exprs)


def _to_arrow(frame: pl.DataFrame, casts: dict[str, pl.DataType]) -> Iterator[Any]:
    """Arrow batches of `frame` with the types Spark was told (`spark_schema`)."""
    import pyarrow as pa

    frame = frame.select(pl.col(n).cast(d) for n, d in casts.items())
    table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
    small = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    schema = pa.schema([f.with_type(small.get(f.type, f.type)) for f in table.schema])
    yield from table.cast(schema).to_batches(max_chunksize=_CHUNK)


# ---------------------------------------------------------------- the workers' part


def _typed_batches(
    batches: Iterator[Any],
    table: str,
    mapping: TableMapping | None,
    raw_schema: dict[str, pl.DataType],
    casts: dict[str, pl.DataType],
) -> Iterator[Any]:
    """mapInArrow over Parquet rows: each batch typed as the Polars engine types
    the table's rows (the passed-through FILE and POS, when there, kept)."""
    for batch in batches:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        out = canonical_rows(table, _conform(frame, raw_schema).lazy(), mapping, "parquet")
        kept = [c for c in (FILE, POS) if c in frame.columns]
        result = out.collect().hstack(frame.select(kept).get_columns())
        yield from _to_arrow(result, casts)


def _csv_files(
    batches: Iterator[Any],
    table: str,
    mapping: TableMapping | None,
    raw_schema: dict[str, pl.DataType],
    casts: dict[str, pl.DataType],
) -> Iterator[Any]:
    """mapInArrow over (FILE, path) rows: each CSV file read as `load._scan_raw`
    reads it (every column with the type the scan of all the files found), then
    typed as the Polars engine types it, with its rows' FILE and POS."""
    separator = mapping.csv_separator if mapping is not None else ","
    for batch in batches:
        for index, path in zip(
            batch.column(FILE).to_pylist(), batch.column("__path").to_pylist(), strict=True
        ):
            header = pl.scan_csv(path, separator=separator, n_rows=0).collect_schema().names()
            raw = pl.read_csv(
                path,
                separator=separator,
                schema_overrides={n: d for n, d in raw_schema.items() if n in header},
                infer_schema_length=0,
            )
            rows = canonical_rows(table, _conform(raw, raw_schema).lazy(), mapping, "csv")
            rows = rows.collect()
            rows = rows.with_columns(
                pl.lit(index, pl.Int32).alias(FILE), pl.int_range(pl.len()).alias(POS)
            )
            for start in range(0, max(rows.height, 1), _CHUNK):
                yield from _to_arrow(rows.slice(start, _CHUNK), casts)


# ---------------------------------------------------------------- the driver's part


def _source_columns(table: str, schema: pl.Schema, mapping: TableMapping | None) -> list[str]:
    """The raw columns the table's conversion reads: those the canonical columns
    are mapped from and, for the tables whose other columns are kept (monthly's
    attributes), every column."""
    if table in KEEP_EXTRA_COLUMNS:
        return schema.names()
    renames = mapping.columns if mapping is not None else {}
    wanted = {renames.get(name, name) for name in SCHEMA[table]}
    return [n for n in schema.names() if n in wanted]


def _base_path(files: list[Path]) -> str:
    """The folder hive partitions start below: the files' common folder without
    its trailing key=value folders."""
    base = Path(os.path.commonpath([str(f.parent) for f in files]))
    while "=" in base.name:
        base = base.parent
    return str(base)


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def canonical_frame(spark: SparkSession, ds: Dataset, table: str, ordered: bool) -> DataFrame:
    """`table`'s canonical rows as a Spark DataFrame, every row (not cut at
    as_of) with the NaN / inf flags of `Dataset.whole`; with `ordered`, also
    each row's FILE and POS (its place in the files, in the dataset's order)."""
    files = ds.sources[table]
    fmt = ds.formats.get(table, "parquet")
    if fmt not in ("parquet", "csv") or not all(isinstance(f, Path) for f in files):
        raise CxError(
            f"{ds.root}: table {table} is {fmt if fmt not in ('parquet', 'csv') else 'remote'}: "
            "the Spark engine reads local Parquet and CSV files; fix: use --engine polars"
        )
    paths = [f for f in files if isinstance(f, Path)]
    mapping = ds.config.tables.get(table)
    full = raw_scan(table, list(paths), fmt, mapping).collect_schema()
    raw_schema = {n: full[n] for n in _source_columns(table, full, mapping)}
    empty = pl.LazyFrame(schema=raw_schema)
    out_schema = dict(canonical_rows(table, empty, mapping, fmt).collect_schema())
    if ordered or fmt == "csv":
        out_schema |= {FILE: pl.Int32(), POS: pl.Int64()}
    casts = {n: _spark_type(n, d)[1] for n, d in out_schema.items()}
    target = spark_schema(out_schema)
    if fmt == "csv":
        listing = spark.createDataFrame(
            [(i, str(p)) for i, p in enumerate(paths)], f"{FILE} INT, __path STRING"
        ).repartition(max(1, len(paths)))
        read = functools.partial(
            _csv_files, table=table, mapping=mapping, raw_schema=raw_schema, casts=casts
        )
        frame = listing.mapInArrow(read, target)
        return frame if ordered else frame.drop(FILE, POS)
    hive = any(p.parent != paths[0].parent or "=" in p.parent.name for p in paths)
    reader = spark.read.option("mergeSchema", "false")
    if hive:
        reader = reader.option("basePath", _base_path(paths))
    if ordered:  # each file on its own: its rows keep their order (POS) within it
        parts = [
            _pick(reader.parquet(str(p)), raw_schema)
            .withColumn(FILE, F.lit(i).cast("int"))
            .withColumn(POS, F.monotonically_increasing_id())
            for i, p in enumerate(paths)
        ]
        rows = functools.reduce(DataFrame.unionByName, parts)
    else:
        rows = _pick(reader.parquet(*[str(p) for p in paths]), raw_schema)
    convert = functools.partial(
        _typed_batches, table=table, mapping=mapping, raw_schema=raw_schema, casts=casts
    )
    return rows.mapInArrow(convert, target)


def _pick(frame: DataFrame, raw_schema: dict[str, pl.DataType]) -> DataFrame:
    """The raw columns the conversion reads that Spark found (the rest are
    null, as in the Polars scan)."""
    have = set(frame.columns)
    return frame.select([F.col(_quoted(n)) for n in raw_schema if n in have])

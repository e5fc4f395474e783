"""Open a dataset folder: find each table's files, scan them lazily, map columns
onto canonical names and types, resolve as_of.

A dataset may also be an object-store URL (s3://, gs://, az://; the listing
and settings in :mod:`cxtui.data.remote`), and a table a Delta Lake or Iceberg
table (`format = "delta"` / `"iceberg"`, see `_open_lakehouse`).

This module and :mod:`cxtui.data.validate` are the only code that reads input
files; nothing here ever writes to them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob as globlib
import math
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from cxtui.atomic import write_atomic
from cxtui.data.config import LAKEHOUSE_FORMATS, Config, TableMapping, load_config, parse_config
from cxtui.data.remote import RemotePath, as_location, attach, classify, is_url, remote_error
from cxtui.data.schema import (
    COUNTED_BY_FACTS,
    DATE_COLUMN,
    INSTANTS,
    KEEP_EXTRA_COLUMNS,
    NOT_FOR_AS_OF,
    SCHEMA,
    UNREAD_COLUMNS,
    Column,
)
from cxtui.errors import CxError
from cxtui.metrics.periods import month_end
from cxtui.progress import carried, stage

# A table's source: a local file or folder, or an object in a store
Location = Path | RemotePath

_TRUE = {"true", "t", "yes", "y", "1", "active"}
_FALSE = {"false", "f", "no", "n", "0", "inactive", "churned"}


@dataclass
class Dataset:
    """A dataset's tables as canonical LazyFrames plus what was learnt opening them."""

    root: Location
    config: Config
    tables: dict[str, pl.LazyFrame]
    sources: dict[str, list[Location]]
    row_counts: dict[str, int]
    max_dates: dict[str, date | None]  # the latest date per table; None when as_of is given
    customers_derived: bool
    as_of: date
    as_of_given: bool = False
    notes: list[str] = field(default_factory=list)
    whole: dict[str, pl.LazyFrame] = field(default_factory=dict)  # see scan(whole=True)
    # per table, the whole frame's NaN / inf flag columns -> the source column they
    # check: counted by the facts pass, which adds the notes (engine.build_facts)
    nonfinite: dict[str, dict[str, str]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)  # table -> "parquet" | "csv"
    # monthly rows strictly ordered by (customer_id, month), as exports sorted by
    # account usually are: then no customer has two rows in one month (facts use it)
    monthly_ordered: bool = False
    # Delta / Iceberg tables -> the version or snapshot read (their cache key)
    versions: dict[str, str] = field(default_factory=dict)
    # an analysis store (`cxtui build`) opened as this dataset: its facts and source
    store: Store | None = None

    def has(self, table: str) -> bool:
        return table in self.tables

    def account_rows(self) -> Dataset:
        """The dataset account detail reads one customer's rows from: this one,
        or for an analysis store its original source (the filter on the id
        reaches the source's files; see `cxtui.store.Store.source_dataset`)."""
        return self if self.store is None else self.store.source_dataset(self)

    def columns(self, table: str) -> list[str]:
        return self.tables[table].collect_schema().names() if table in self.tables else []

    def nonfinite_columns(self, table: str) -> list[str]:
        """The NaN / inf flag columns of `scan(table, whole=True)` (see `nonfinite`)."""
        return list(self.nonfinite.get(table, {}))

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns(table)

    def scan(self, table: str, whole: bool = False) -> pl.LazyFrame:
        """The table with every row dated after as_of removed (SPEC §1). `whole`:
        for a pass over every row, which may take a faster but filter-blocking
        form (see load._month_start); without it filters reach the files."""
        lf = self.whole.get(table, self.tables[table]) if whole else self.tables[table]
        date_col = DATE_COLUMN.get(table)
        if date_col is None:
            return lf
        limit = self.as_of.replace(day=1) if table in ("monthly", "spend") else self.as_of
        return lf.filter(pl.col(date_col) <= limit)


# ---------------------------------------------------------------- locating files


def _expand(root: Location, pattern: str, storage: dict[str, str]) -> list[Location]:
    if is_url(pattern) or (isinstance(root, RemotePath) and not _local_absolute(pattern)):
        remote = attach(RemotePath.parse(pattern), storage) if is_url(pattern) else root / pattern
        return list(_expand_remote(remote))
    assert isinstance(root, Path)
    path = Path(pattern).expanduser()
    if not path.is_absolute():
        path = root / path
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".parquet", ".csv", ".pq"))
        return [p for p in files if not any(part.startswith((".", "_")) for part in p.parts[-1:])]
    if any(ch in pattern for ch in "*?["):
        return sorted(Path(p) for p in globlib.glob(str(path), recursive=True) if Path(p).is_file())
    return [path] if path.exists() else []


def _local_absolute(pattern: str) -> bool:
    return Path(pattern).expanduser().is_absolute()


_TABLE_SUFFIXES = (".parquet", ".csv", ".pq")


def _expand_remote(where: RemotePath) -> list[RemotePath]:
    """`_expand` in a store: an object, a prefix's table files (names starting
    with "." or "_" left out, as in a folder), or a glob (`*`, `?`, `[…]`, `**`)."""
    store = where.store
    assert store is not None
    key = where.key
    glob_at = min((key.find(ch) for ch in "*?[" if ch in key), default=-1)
    if glob_at >= 0:
        base = RemotePath(where.scheme, where.bucket, key[:glob_at].rpartition("/")[0], store)
        pattern = _glob_regex(key)
        keys = [k for k in store.objects(base) if pattern.fullmatch(k)]
    else:
        objects = store.objects(where)
        if key in objects:
            return [where]
        keys = [
            k
            for k in objects
            if k.endswith(_TABLE_SUFFIXES) and not k.rsplit("/", 1)[-1].startswith((".", "_"))
        ]
    return [RemotePath(where.scheme, where.bucket, k, store) for k in sorted(keys)]


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob over object keys as a regex: `**/` any depth of folders, `*` and
    `?` within one name, `[…]` a character class (`[!…]` negated)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _find_sources(
    root: Location, table: str, mapping: TableMapping | None, storage: dict[str, str]
) -> list[Location]:
    if mapping is not None and mapping.path is not None:
        files = _expand(root, mapping.path, storage)
        if not files:
            raise CxError(
                f"{root}: table {table}: path {mapping.path!r} in the config matches no file; "
                f"fix: correct [tables.{table}] path"
            )
        return files
    for candidate in (f"{table}.parquet", table, f"{table}.csv"):
        p = root / candidate
        if (
            isinstance(p, Path) and p.is_symlink() and not p.exists()
        ):  # a link to nothing is not an absent table
            raise CxError(
                f"{p}: table {table}: the link points to a missing file; "
                "fix: restore the file or remove the link"
            )
        if p.exists():
            files = _expand(root, candidate, storage)
            if not files:
                raise CxError(
                    f"{p}: table {table}: folder holds no .parquet or .csv files; "
                    "fix: add the files or remove the folder"
                )
            return files
    return []


def _file_format(files: list[Location], mapping: TableMapping | None) -> str:
    if mapping is not None and mapping.format is not None:
        return mapping.format
    suffixes = {p.suffix.lower() for p in files}
    if suffixes <= {".csv", ".tsv", ".txt"}:
        return "csv"
    if suffixes <= {".parquet", ".pq"}:
        return "parquet"
    raise CxError(
        f"{files[0].parent}: mixed or unknown file types {sorted(suffixes)}; "
        'fix: set [tables.NAME] format = "parquet" or "csv" in cxtui.toml'
    )


def _check_readable(files: list[Location], table: str) -> None:
    for p in files:
        if isinstance(p, RemotePath):
            continue  # listed just now; a read error is named by the scan
        try:
            with p.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise CxError(
                f"{p}: table {table}: cannot read file ({exc.strerror}); "
                "fix: check the path and its permissions"
            ) from None


def _scan_raw(
    table: str, files: list[Location], fmt: str, mapping: TableMapping | None
) -> pl.LazyFrame:
    _check_readable(files, table)
    remote = isinstance(files[0], RemotePath)
    sources: Any = [str(p) for p in files] if remote else files
    options = files[0].store.storage_options if isinstance(files[0], RemotePath) else None
    if fmt == "parquet":
        for p in files:  # a file that is not Parquet is named here, not deep in a query
            if isinstance(p, RemotePath):
                break  # objects are not opened twice: the scan below names a bad one
            with p.open("rb") as fh:
                head = fh.read(4)
                try:
                    fh.seek(-4, 2)
                except OSError:
                    fh.seek(0)
                tail = fh.read(4)
            if head != b"PAR1" or tail != b"PAR1":
                raise CxError(
                    f"{p}: table {table}: not a Parquet file (or truncated); "
                    "fix: re-export it as Parquet, or map a CSV with "
                    f'[tables.{table}] format = "csv"'
                )
        hive = any(p.parent != files[0].parent or "=" in p.parent.name for p in files)
        try:
            lf = pl.scan_parquet(
                sources,
                hive_partitioning=hive,
                missing_columns="insert",
                extra_columns="ignore",
                storage_options=options,
            )
            lf.collect_schema()
        except Exception as exc:  # polars raises several types for bad files
            if remote and classify(exc) is not None:
                raise remote_error(exc, files[0]) from None
            raise CxError(
                f"{files[0]}: table {table}: cannot read Parquet ({_short(exc)}); "
                "fix: re-export the file"
            ) from None
        return lf
    # CSV: canonical string columns are read as text so ids like "007" stay intact;
    # the rest is typed by our own converters below.
    source_names = _source_names(table, mapping)
    try:
        first = sources[0]
        header = pl.scan_csv(
            first, separator=_sep(mapping), n_rows=0, storage_options=options
        ).collect_schema()
        twice = [n for n in header.names() if re.fullmatch(r".+_duplicated_\d+", n)]
        if twice:  # polars renames a repeated header; which one is meant is unknowable
            original = re.sub(r"_duplicated_\d+$", "", twice[0])
            raise CxError(
                f"{files[0]}: table {table}: column {original!r} appears more than once in "
                "the header; fix: rename or remove the extra column"
            )
        overrides = {src: pl.String for src in header.names() if src in source_names.values()}
        lf = pl.scan_csv(
            sources,
            separator=_sep(mapping),
            schema_overrides=overrides,
            infer_schema_length=None,
            missing_columns="insert",
            storage_options=options,
        )
        lf.collect_schema()
    except CxError:
        raise
    except Exception as exc:
        if remote and classify(exc) is not None:
            raise remote_error(exc, files[0]) from None
        raise CxError(
            f"{files[0]}: table {table}: cannot read CSV ({_short(exc)}); "
            "fix: check the file's encoding (UTF-8) and separator ([tables.NAME] separator)"
        ) from None
    return lf


def _sep(mapping: TableMapping | None) -> str:
    return mapping.csv_separator if mapping is not None else ","


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _source_names(table: str, mapping: TableMapping | None) -> dict[str, str]:
    """canonical name -> source column name."""
    renames = mapping.columns if mapping is not None else {}
    return {name: renames.get(name, name) for name in SCHEMA[table]}


# ---------------------------------------------------------------- typing columns


def _convert(expr: pl.Expr, dtype: pl.DataType, col: Column) -> pl.Expr:
    """Canonical typing of one column; unparseable values become null (and are
    counted by the probe so they can be reported)."""
    if col.kind == "str":
        return expr if dtype == pl.String else expr.cast(pl.String)
    if col.kind == "float":
        if dtype == pl.String:
            return expr.str.strip_chars().cast(pl.Float64, strict=False)
        if dtype == pl.Boolean:
            return expr.cast(pl.Float64)
        return expr.cast(pl.Float64, strict=False)
    if col.kind == "bool":
        if dtype == pl.Boolean:
            return expr
        if dtype == pl.String:
            low = expr.str.strip_chars().str.to_lowercase()
            return (
                pl.when(low.is_in(list(_TRUE)))
                .then(True)
                .when(low.is_in(list(_FALSE)))
                .then(False)
                .otherwise(None)
            )
        return expr.cast(pl.Float64, strict=False) != 0
    if col.kind == "datetime":
        return _instant(expr, dtype)
    # date
    if dtype == pl.Date:
        return expr
    if isinstance(dtype, pl.Datetime):
        return expr.dt.date()
    if dtype == pl.String:
        # ISO text only (docs/config.md); a time and offset after the date count by
        # the written calendar date. No format inference: polars reads "02/01/2025"
        # day-first (US month starts silently become January days) and raises on
        # timezone-aware and naive text mixed in one column.
        s = expr.str.strip_chars()
        return pl.coalesce(
            s.str.to_date("%Y-%m-%d", strict=False),
            s.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        )
    return pl.lit(None, dtype=pl.Date)  # numbers are not dates: reported by the probe


_INSTANT_FORMATS = (  # ISO text, after "T" -> " " and a final "Z" -> "+00:00"
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M%z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
)


def _instant(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """An instant as a naive microsecond datetime (docs/config.md "tickets"): a
    date is its midnight; a timezone-aware value is converted to UTC; a naive one
    is taken as it is (read as UTC beside aware ones). Text: ISO date-times, with
    or without an offset, or a bare date."""
    naive = pl.Datetime("us")
    if dtype == pl.Date:
        return expr.cast(naive)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is not None:
            expr = expr.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return expr.dt.cast_time_unit("us")
    if dtype == pl.String:
        s = expr.str.strip_chars().str.replace(r"[zZ]$", "+00:00").str.replace("T", " ")
        parsed = []
        for fmt in _INSTANT_FORMATS:
            value = s.str.to_datetime(fmt, strict=False, time_unit="us")
            if "%z" in fmt:  # parsed as UTC-aware
                value = value.dt.replace_time_zone(None)
            parsed.append(value)
        parsed.append(s.str.to_date("%Y-%m-%d", strict=False).cast(naive))
        return pl.coalesce(parsed)
    return pl.lit(None, dtype=naive)  # numbers are not instants: reported by the probe


def _value_map(expr: pl.Expr, mapping: dict[str, Any]) -> pl.Expr:
    old = [str(k) for k in mapping]
    new = [str(v).lower() if isinstance(v, bool) else str(v) for v in mapping.values()]
    return expr.cast(pl.String).replace(old, new)


def _type_ok(dtype: pl.DataType, col: Column) -> bool:
    if col.kind in ("date", "datetime"):
        return dtype in (pl.Date, pl.String, pl.Null) or isinstance(dtype, pl.Datetime)
    if col.kind == "float":
        return dtype.is_numeric() or dtype in (pl.String, pl.Null, pl.Boolean)
    # text (ids, names, reasons): anything that reads as text, not bytes or nested values
    return not (dtype == pl.Binary or dtype.is_nested() or dtype == pl.Object)


@dataclass
class _Prepared:
    raw: pl.LazyFrame
    frame: pl.LazyFrame
    probes: list[tuple[str, str, pl.Expr, pl.Expr]]  # (canonical, source, bad-count, example)
    # the table's date column as (source, canonical expression) when the source is
    # typed Date/Datetime: the conversion keeps order, so the latest date is the
    # converted maximum of the source, which Parquet statistics answer without a scan
    typed_date: tuple[str, pl.Expr] | None = None
    text_file: bool = False  # CSV: every row is parsed by the probe (ragged lines)
    whole: pl.LazyFrame | None = None  # the frame for passes over every row (Dataset.scan)
    # the whole frame's `__nonfinite_<canon>` flags -> the source column they check:
    # NaN / inf in the float columns the facts pass reads are counted by that pass
    # (schema.COUNTED_BY_FACTS), not by a scan of the probe's own
    counted: dict[str, str] = field(default_factory=dict)


def _normalise(
    table: str,
    raw: pl.LazyFrame,
    mapping: TableMapping | None,
    where: Location,
    strip_ids: bool = True,
    probe_all: bool = False,
) -> _Prepared:
    schema = raw.collect_schema()
    names = _source_names(table, mapping)
    values = mapping.values if mapping is not None else {}
    exprs: list[pl.Expr] = []
    probes: list[tuple[str, str, pl.Expr, pl.Expr]] = []
    counted: dict[str, tuple[str, pl.Expr]] = {}  # flag -> (source, flag expr)
    used: set[str] = set()
    typed_date: tuple[str, pl.Expr] | None = None
    for canon, col in SCHEMA[table].items():
        src = names[canon]
        if src not in schema:
            if col.required:
                hint = f'[tables.{table}.columns] {canon} = "<your column>"'
                have = ", ".join(schema.names()[:12])
                raise CxError(
                    f"{where}: table {table}: required column {canon!r} is missing "
                    f"(columns: {have}); fix: rename it or map it in cxtui.toml with {hint}",
                    table=table,
                    column=canon,
                )
            continue
        used.add(src)
        dtype = schema[src]
        if not _type_ok(dtype, col):
            raise CxError(
                f"{where}: table {table}: column {src!r} has type {dtype}, "
                f"expected {_kind_word(col.kind)}; fix: export {canon} as {_kind_word(col.kind)} "
                f"or map another column in [tables.{table}.columns]",
                table=table,
                column=canon,
            )
        source = pl.col(src)
        if canon in values:
            source = _value_map(source, values[canon])
            dtype = pl.String
        converted = _convert(source, dtype, col)
        if canon == "customer_id" and dtype.is_float():
            # ids exported as floats (a pandas column with a missing id): 7.0 is id "7"
            whole = source.is_finite() & (source == source.floor()) & (source.abs() < 2.0**53)
            converted = (
                pl.when(whole)
                .then(source.cast(pl.Int64, strict=False).cast(pl.String))
                .otherwise(source.cast(pl.String))
            )
        if canon == "month" and dtype == pl.String:  # a month may be written "2025-01"
            text = source.str.strip_chars()
            year_month = pl.concat_str(text, pl.lit("-01")).str.to_date("%Y-%m-%d", strict=False)
            converted = pl.coalesce(converted, pl.when(text.str.len_chars() == 7).then(year_month))
        instant = INSTANTS.get((table, canon))  # the date's instant kept beside it
        if dtype == pl.String and col.kind != "str":
            text = source.cast(pl.String).str.strip_chars()
            unread = converted.is_null()
            if instant is not None:  # its time must read, too
                unread |= _instant(source, dtype).is_null()
            bad = text.is_not_null() & (text != "") & unread
            probes.append((canon, src, bad.sum(), text.filter(bad).first()))
        typed = dtype == pl.Date or isinstance(dtype, pl.Datetime)
        if canon == DATE_COLUMN.get(table) and canon not in values and typed:
            typed_date = (src, converted)
        if col.kind == "float" and (dtype.is_float() or dtype == pl.String):
            # NaN / inf are excluded (null) and reported, never summed (integers,
            # decimals and booleans have neither: no scan for them).
            bad_num = converted.is_nan() | converted.is_infinite()
            if dtype.is_float() and not probe_all and (table, canon) in COUNTED_BY_FACTS:
                counted[f"__nonfinite_{canon}"] = (src, bad_num)
            elif probe_all or (table, canon) not in UNREAD_COLUMNS:
                probes.append((canon, src, bad_num.sum(), converted.filter(bad_num).first()))
            converted = pl.when(bad_num).then(None).otherwise(converted)
        exprs.append(converted.alias(canon))
        if instant is not None:
            exprs.append(_instant(source, dtype).alias(instant))
    # Renames onto non-canonical names: customer attributes (e.g. owner) carried on
    # monthly rows, or extra customer columns; other tables have no such columns.
    extra_renames = {
        k: v for k, v in (mapping.columns if mapping else {}).items() if k not in SCHEMA[table]
    }
    for canon, src in extra_renames.items():
        if table not in KEEP_EXTRA_COLUMNS:
            raise CxError(
                f"{where}: [tables.{table}.columns] unknown column {canon!r}; fix: use one of "
                + ", ".join(SCHEMA[table])
            )
        if src not in schema:
            raise CxError(
                f"{where}: table {table}: column {src!r} (mapped to {canon!r}) not found; "
                f"fix: correct [tables.{table}.columns] {canon}"
            )
    if table in KEEP_EXTRA_COLUMNS:
        canon_names = set(SCHEMA[table])
        renamed_from = {v: k for k, v in extra_renames.items()}
        for src in schema.names():
            if src in used or src in canon_names:
                continue
            if src in renamed_from:
                exprs.append(pl.col(src).alias(renamed_from[src]))
            elif src not in renamed_from.values():
                exprs.append(pl.col(src))
    frame = raw.select(exprs)
    whole = raw.select(*exprs, *(bad.alias(name) for name, (_, bad) in counted.items()))
    if "customer_id" in SCHEMA[table] and strip_ids:
        # CSV cells carry stray spaces; typed Parquet ids are left as they are so a
        # filter on one id still reaches the Parquet statistics (account detail)
        strip = pl.col("customer_id").str.strip_chars()
        frame, whole = frame.with_columns(strip), whole.with_columns(strip)
    if table == "monthly":
        whole = whole.with_columns(_month_start(raw, typed_date))
        frame = frame.with_columns(pl.col("month").dt.month_start())
    elif table == "spend":  # a spend month is its first day too (scan cuts at month(as_of))
        start = pl.col("month").dt.month_start()
        frame, whole = frame.with_columns(start), whole.with_columns(start)
    counts = {name: src for name, (src, _) in counted.items()}
    return _Prepared(raw, frame, probes, typed_date, strip_ids, whole, counts)


_LOOKUP_DAYS = 200_000  # ~550 years of days: a table of 0.8 MB


def _month_start(raw: pl.LazyFrame, typed_date: tuple[str, pl.Expr] | None) -> pl.Expr:
    """monthly.month normalised to the month's first day, for passes over every
    row (the probe, the facts). For a typed date column the first and last dates
    come from the Parquet statistics, and each row's month start is looked up in
    a table of the days between them: 0.03 s on M's 9.2M rows, against 0.12 s
    for `dt.month_start`. A lookup is no row-by-row expression, so filters cannot
    pass it to the files: reads of a few customers (account detail) keep
    `dt.month_start`. Anything unusual takes `dt.month_start` too."""
    general = pl.col("month").dt.month_start()
    if typed_date is None:
        return general
    src, converted = typed_date
    try:
        ends = pl.concat([raw.select(pl.col(src).min()), raw.select(pl.col(src).max())])
        lo, hi = ends.select(converted.alias("month")).collect()["month"]
    except Exception:  # unreadable: the probe names the file
        return general
    if lo is None or hi is None or (hi - lo).days > _LOOKUP_DAYS:
        return general
    starts = pl.date_range(lo, hi, "1d", eager=True).dt.month_start()
    offset = pl.col("month").cast(pl.Int32) - pl.lit(lo).cast(pl.Int32)
    return pl.lit(starts).gather(offset).alias("month")


# ---------------------------------------------------------------- the dataset


def _ordered_check(table: str, frame: pl.LazyFrame) -> pl.LazyFrame | None:
    """One row: are the rows strictly ordered by their key, with no nulls in it?
    monthly by (customer_id, month): then no customer has two rows in a month;
    customers by customer_id: then no id is repeated. None for other tables."""
    cid, month = pl.col("customer_id"), pl.col("month")
    if table == "monthly":
        increasing = (cid > cid.shift(1)) | ((cid == cid.shift(1)) & (month > month.shift(1)))
        nulls = cid.null_count() + month.null_count()
    elif table == "customers":
        increasing, nulls = cid > cid.shift(1), cid.null_count()
    else:
        return None
    return frame.select((increasing.fill_null(True).all() & (nulls == 0)).alias("ordered"))


Probe = tuple[int, "date | None", list[str], bool]


def nonfinite_note(table: str, count: int, src: str) -> str:
    """The data-quality note for NaN / inf left out of a column (the probe's, and
    the facts pass's for schema.COUNTED_BY_FACTS)."""
    return f"table {table}: {count} non-finite value(s) in {src!r} are excluded"


def _read_error(where: Location, table: str, exc: Exception) -> CxError:
    """A table's data could not be read: one line with the likely fix."""
    if is_url(str(where)) and classify(exc) is not None:
        return remote_error(exc, where)
    reason = _short(exc)
    if "mismatch" in reason:  # files of one table folder with different types
        fix = "export every file of the table with the same column types"
    elif "more fields" in reason:  # a ragged CSV line
        fix = "give every row as many fields as the header (quote text holding commas)"
    else:
        fix = "re-export the file (it may be truncated or corrupt)"
    return CxError(f"{where}: table {table}: cannot read data ({reason}); fix: {fix}")


def _latest_query(table: str, prepared: _Prepared) -> pl.LazyFrame | None:
    """One row: the table's latest date (None for a table without one)."""
    date_col = DATE_COLUMN.get(table)
    if date_col is None:
        return None
    if prepared.typed_date is None:
        return prepared.frame.select(pl.col(date_col).max())
    src, converted = prepared.typed_date
    latest_q = prepared.raw.select(pl.col(src).max()).select(converted.alias(date_col))
    if table == "monthly":  # as in the frame (see _normalise)
        latest_q = latest_q.select(pl.col(date_col).dt.month_start())
    return latest_q


def _latest_date(table: str, prepared: _Prepared, where: Location) -> date | None:
    query = _latest_query(table, prepared)
    try:
        return None if query is None else query.collect().item()
    except Exception as exc:
        raise _read_error(where, table, exc) from None


def _probe(table: str, prepared: _Prepared, where: Location, latest: bool = True) -> Probe:
    """One pass per table: row count, latest date (unless not `latest`: as_of is
    given), values that failed to parse and (monthly, customers) whether the rows
    are ordered by their key."""
    aggs: list[pl.Expr] = [pl.len().alias("__rows")]
    for i, (_, _, bad, example) in enumerate(prepared.probes):
        aggs += [bad.alias(f"__bad{i}"), example.cast(pl.String).alias(f"__ex{i}")]
    try:
        queries = [prepared.raw.select(aggs)]
        latest_q = _latest_query(table, prepared) if latest else None
        if latest_q is not None:
            queries.append(latest_q)
        ordered_q = _ordered_check(table, prepared.whole)
        if ordered_q is not None:
            queries.append(ordered_q)
        if prepared.text_file:  # parse every field of every row: ragged lines, bad quoting
            queries.append(prepared.raw.select(pl.all().null_count()))
        stats, *rest = pl.collect_all(queries)
        max_date = rest.pop(0).item() if latest_q is not None else None
        ordered = ordered_q is not None and bool(rest.pop(0).item())
    except Exception as exc:
        raise _read_error(where, table, exc) from None
    notes: list[str] = []
    for i, (canon, src, _, _) in enumerate(prepared.probes):
        n_bad = stats[f"__bad{i}"][0]
        if n_bad:
            example = stats[f"__ex{i}"][0]
            kind = SCHEMA[table][canon].kind
            if kind == "float" and example is not None and _is_nonfinite(example):
                notes.append(nonfinite_note(table, n_bad, src))
                continue
            raise CxError(
                f"{where}: table {table}: column {src!r} ({canon}) has {n_bad} value(s) that are "
                f"not {_kind_word(kind)}, e.g. {example!r}; fix: clean the column"
                + (
                    f" or map text values in [tables.{table}.values.{canon}]"
                    if kind == "bool"
                    else " (plain numbers, ISO dates YYYY-MM-DD)"
                )
            )
    return stats["__rows"][0], max_date, notes, ordered


def _is_nonfinite(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _kind_word(kind: str) -> str:
    words = {"float": "numbers", "date": "dates", "datetime": "date-times", "bool": "true/false"}
    return {**words, "str": "text"}.get(kind, kind)


@dataclass
class LoadedTable:
    frame: pl.LazyFrame
    whole: pl.LazyFrame
    counted: dict[str, str]
    raw: pl.LazyFrame
    files: list[Location]
    where: Location
    rows: int
    max_date: date | None
    notes: list[str]
    table: str = ""
    ordered: bool = False
    file_format: str = "parquet"  # or "csv", "delta", "iceberg"
    version: str | None = None  # Delta / Iceberg: the version or snapshot read


def source_state(p: Location) -> str:
    """One input's identity and state for the cache keys, reading no data: a
    local file's path, size and mtime; an object's URL, size, last-modified and
    ETag (remote.RemotePath.state)."""
    if isinstance(p, RemotePath):
        return p.state()
    st = p.stat()
    return f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def dataset_state(ds: Dataset) -> list[str]:
    """Every input's state, table by table (the facts cache key): files and
    objects by `source_state`, Delta / Iceberg tables by the version read."""
    return [state for states in table_states(ds).values() for state in states]


def table_states(ds: Dataset) -> dict[str, list[str]]:
    """`dataset_state` by table (in name order), each file's or object's state
    in the order of `ds.sources[table]`."""
    return {
        table: [f"{table}|{ds.versions[table]}"]
        if table in ds.versions
        else [f"{table}|{source_state(p)}" for p in ds.sources[table]]
        for table in sorted(ds.sources)
    }


def _probe_cache_path(
    cache_dir: Path, table: str, states: list[str], config: Config, latest: bool
) -> Path:
    import hashlib

    from cxtui import __version__

    h = hashlib.sha256(f"{__version__}|{table}|{config.fingerprint()}|{latest}".encode())
    for state in states:
        h.update(f"|{state}".encode())
    return cache_dir / f"probe-{h.hexdigest()[:32]}.json"


def _read_probe(path: Path | None) -> Probe | None:
    import json

    if path is None or not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text())
        latest = date.fromisoformat(saved["max_date"]) if saved["max_date"] else None
        return int(saved["rows"]), latest, list(saved["notes"]), bool(saved["ordered"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _cached_probe(path: Path | None, run: Callable[[], Probe]) -> Probe:
    """A table's probe (rows, latest date, notes) from the cache when the files
    are unchanged; a clean probe is only a speed-up, so any cache trouble just
    means probing again. Failed probes (CxError) are never cached."""
    import json

    saved = _read_probe(path)
    if saved is not None:
        return saved
    rows, max_date, notes, ordered = run()
    if path is not None:
        entry = {
            "rows": rows,
            "max_date": max_date and max_date.isoformat(),
            "notes": notes,
            "ordered": ordered,
        }
        # a probe that cannot be written is only a lost speed-up
        with contextlib.suppress(OSError):
            write_atomic(path, lambda tmp: tmp.write_text(json.dumps(entry)))
    return rows, max_date, notes, ordered


def load_table(
    root: Location,
    config: Config,
    table: str,
    cache_dir: Path | None = None,
    probe_all: bool = False,
    latest: bool = True,
) -> LoadedTable | None:
    """Find, scan, type-check and probe one table; None when the dataset lacks it.
    With `cache_dir`, an unchanged table's probe is read from there (not with
    `probe_all`, which also probes the columns nothing reads, for validate).
    Without `latest` (as_of is given) the latest date is not looked for: None."""
    mapping = config.tables.get(table)
    version: str | None = None
    if mapping is not None and mapping.format in LAKEHOUSE_FORMATS:
        raw, location, version = _open_lakehouse(root, table, mapping, config.storage)
        files, fmt, where = [location], mapping.format, location
    else:
        files = _find_sources(root, table, mapping, config.storage)
        if not files:
            return None
        fmt = _file_format(files, mapping)
        raw = _scan_raw(table, files, fmt, mapping)
        where = _where(files)
    prepared = _normalise(table, raw, mapping, where, fmt == "csv", probe_all)
    use_cache = cache_dir is not None and not probe_all
    cache = without_latest = None
    if use_cache:
        states = [version] if version is not None else [source_state(p) for p in files]
        # a probe with the latest date serves a run that does not need it, too (and
        # should that entry be unreadable, the probe run for it looks for the date)
        full = _probe_cache_path(cache_dir, table, states, config, True)
        if full.is_file():
            latest = True
        partial = _probe_cache_path(cache_dir, table, states, config, False)
        cache, without_latest = (full, partial) if latest else (partial, None)

    def probe() -> Probe:
        stage(f"checking {table}")
        kept = _read_probe(without_latest)  # kept by an --as-of run: add the date only
        if kept is not None:
            rows, _, notes, ordered = kept
            return rows, _latest_date(table, prepared, where), notes, ordered
        return _probe(table, prepared, where, latest)

    rows, max_date, notes, ordered = _cached_probe(cache, probe)
    if rows == 0:
        raise CxError(
            f"{where}: table {table} has no rows; fix: export the data again, "
            "or remove the file so the table counts as absent"
        )
    return LoadedTable(
        prepared.frame,
        prepared.whole,
        prepared.counted,
        raw,
        files,
        where,
        rows,
        max_date,
        notes,
        table,
        ordered,
        fmt,
        version,
    )


def _where(files: list[Location]) -> Location:
    """What a table's errors name: its one file, or the folder of its files."""
    return files[0] if len(files) == 1 else files[0].parent


def with_files(ds: Dataset, files: dict[str, list[Location]]) -> Dataset:
    """`ds` with some tables read from some of their files only (an incremental
    facts update reads the files a dataset gained): the same mapping, types and
    cut at as_of (`Dataset.scan`). The files are the tables' own, checked by
    their probes."""
    tables, whole = dict(ds.tables), dict(ds.whole)
    for table, paths in files.items():
        mapping = ds.config.tables.get(table)
        fmt = ds.formats.get(table, "parquet")
        raw = _scan_raw(table, paths, fmt, mapping)
        prepared = _normalise(table, raw, mapping, _where(paths), fmt == "csv")
        tables[table] = prepared.frame
        whole[table] = prepared.whole if prepared.whole is not None else prepared.frame
    return dataclasses.replace(ds, tables=tables, whole=whole, notes=[])


# ---------------------------------------------------------------- lakehouse tables


def _lake_location(root: Location, path: str, storage: dict[str, str]) -> Location:
    """A Delta / Iceberg table's path from cxtui.toml: a URL, a path relative to
    the dataset (folder or prefix), or an absolute local path."""
    if is_url(path):
        return attach(RemotePath.parse(path), storage)
    if isinstance(root, RemotePath) and not _local_absolute(path):
        return root / path
    local = Path(path).expanduser()
    return local if local.is_absolute() else Path(root) / local


def _needs(package: str, fmt: str, where: Location, table: str) -> CxError:
    return CxError(
        f"{where}: table {table}: format = {fmt!r} needs the {package} package; "
        "fix: pip install 'cxtui[lakehouse]'"
    )


def _open_lakehouse(
    root: Location, table: str, mapping: TableMapping, storage: dict[str, str]
) -> tuple[pl.LazyFrame, Location, str]:
    """A Delta or Iceberg table as a lazy scan of the version read: the pinned
    `version` / `snapshot_id`, else the latest; with its location and a label
    of that version (part of the cache keys). Filters reach the data files."""
    if mapping.format == "delta":
        assert mapping.path is not None  # config: a Delta table needs its path
        location = _lake_location(root, mapping.path, storage)
        return _delta_scan(table, location, mapping.version)
    return _iceberg_scan(root, table, mapping, storage)


def _options_of(location: Location) -> dict[str, str] | None:
    return location.store.storage_options if isinstance(location, RemotePath) else None


def _delta_scan(
    table: str, location: Location, pinned: int | None
) -> tuple[pl.LazyFrame, Location, str]:
    try:
        from deltalake import DeltaTable
    except ImportError:
        raise _needs("deltalake", "delta", location, table) from None
    options = _options_of(location)
    try:
        latest = DeltaTable(str(location), storage_options=options).version()
    except Exception as exc:
        if isinstance(location, RemotePath) and classify(exc) is not None:
            raise remote_error(exc, location) from None
        raise CxError(
            f"{location}: table {table}: not a Delta table ({_short(exc)}); "
            f"fix: point [tables.{table}] path at the folder that holds _delta_log"
        ) from None
    if pinned is not None and pinned > latest:
        raise CxError(
            f"{location}: table {table}: Delta version {pinned} does not exist (the latest is "
            f"{latest}); fix: set [tables.{table}] version to 0..{latest} or remove it"
        )
    version = latest if pinned is None else pinned
    try:
        lf = pl.scan_delta(str(location), version=version, storage_options=options)
        lf.collect_schema()
    except Exception as exc:
        raise _read_error(location, table, exc) from None
    return lf, location, f"delta|{location}|version {version}"


def _iceberg_metadata(location: Location, table: str) -> Location:
    """An Iceberg table's metadata file: the file given, else in the table's
    metadata/ folder the one named by version-hint.text, else the newest by
    its leading version number (00003-….metadata.json, v3.metadata.json)."""
    if str(location).endswith(".metadata.json"):
        return location
    folder = location / "metadata"
    if isinstance(folder, RemotePath):
        assert folder.store is not None
        names = [k.rsplit("/", 1)[-1] for k in folder.store.objects(folder, below_only=True)]
        hint_text = folder.store.read_text(folder / "version-hint.text")
    else:
        names = [p.name for p in folder.glob("*")] if folder.is_dir() else []
        hint = folder / "version-hint.text"
        hint_text = hint.read_text() if hint.is_file() else None
    if hint_text and f"v{hint_text.strip()}.metadata.json" in names:
        return folder / f"v{hint_text.strip()}.metadata.json"
    numbered = []
    for name in names:
        m = re.match(r"v?(\d+)[-.].*metadata\.json$", name)
        if m:
            numbered.append((int(m.group(1)), name))
    if not numbered:
        raise CxError(
            f"{location}: table {table}: no Iceberg metadata file (metadata/*.metadata.json); "
            f"fix: point [tables.{table}] path at the table's folder or its metadata file"
        )
    return folder / max(numbered)[1]


def _iceberg_properties(location: Location) -> dict[str, str]:
    """pyiceberg's FileIO settings for a table in S3, from the store's settings."""
    if not isinstance(location, RemotePath) or location.store is None or location.cloud != "s3":
        return {}
    s = location.store.settings
    names = {
        "access_key_id": "s3.access-key-id",
        "secret_access_key": "s3.secret-access-key",
        "session_token": "s3.session-token",
        "region": "s3.region",
        "endpoint": "s3.endpoint",
    }
    return {names[k]: v for k, v in s.items() if k in names}


def _catalog_name(uri: str, namespace: str, name: str) -> str:
    """The name a sqlite SQL catalog holds the table under (pyiceberg keys its
    rows by catalog name): the only one there, else "default"."""
    import sqlite3

    path = uri.removeprefix("sqlite:///")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            rows = db.execute(
                "SELECT DISTINCT catalog_name FROM iceberg_tables "
                "WHERE table_namespace = ? AND table_name = ?",
                (namespace, name),
            ).fetchall()
    except sqlite3.Error:
        return "default"
    return rows[0][0] if len(rows) == 1 else "default"


def _iceberg_scan(
    root: Location, table: str, mapping: TableMapping, storage: dict[str, str]
) -> tuple[pl.LazyFrame, Location, str]:
    try:
        from pyiceberg.table import StaticTable
    except ImportError:
        raise _needs("pyiceberg", "iceberg", root, table) from None
    if mapping.catalog is not None:
        assert mapping.table is not None  # config: catalog comes with table
        catalog = mapping.catalog
        if "://" in catalog:
            uri, location = catalog, Path(catalog.partition(":///")[2] or catalog)
        else:
            local = _lake_location(root, catalog, storage)
            if not isinstance(local, Path) or not local.is_file():
                raise CxError(
                    f"{local}: table {table}: the Iceberg catalog file is not found; "
                    f"fix: set [tables.{table}] catalog to a local sqlite file"
                )
            uri, location = f"sqlite:///{local}", local
        namespace, _, name = mapping.table.rpartition(".")
        try:
            from pyiceberg.catalog.sql import SqlCatalog

            cat_name = mapping.catalog_name or (
                _catalog_name(uri, namespace, name) if uri.startswith("sqlite") else "default"
            )
            ice = SqlCatalog(cat_name, uri=uri).load_table(mapping.table)
        except ImportError:
            raise _needs("pyiceberg[sql-sqlite]", "iceberg", location, table) from None
        except Exception as exc:
            raise CxError(
                f"{location}: table {table}: cannot load Iceberg table {mapping.table!r} "
                f"({_short(exc)}); fix: check [tables.{table}] catalog, table and catalog_name"
            ) from None
    else:
        assert mapping.path is not None  # config: path, or catalog + table
        location = _lake_location(root, mapping.path, storage)
        metadata = _iceberg_metadata(location, table)
        try:
            ice = StaticTable.from_metadata(str(metadata), properties=_iceberg_properties(location))
        except Exception as exc:
            if isinstance(metadata, RemotePath) and classify(exc) is not None:
                raise remote_error(exc, metadata) from None
            raise CxError(
                f"{metadata}: table {table}: cannot read Iceberg metadata ({_short(exc)}); "
                f"fix: point [tables.{table}] path at the table's folder or its metadata file"
            ) from None
    snapshot = mapping.snapshot_id
    if snapshot is None:
        current = ice.current_snapshot()
        if current is None:
            raise CxError(
                f"{location}: table {table}: the Iceberg table has no snapshot (no data); "
                "fix: write data to it, or remove the table from cxtui.toml"
            )
        snapshot = current.snapshot_id
    elif ice.snapshot_by_id(snapshot) is None:
        known = ", ".join(str(s.snapshot_id) for s in ice.snapshots()[-5:])
        raise CxError(
            f"{location}: table {table}: snapshot_id {snapshot} is not in the Iceberg table "
            f"(latest: {known}); fix: correct [tables.{table}] snapshot_id or remove it"
        )
    try:
        lf = pl.scan_iceberg(ice, snapshot_id=snapshot, storage_options=_options_of(location))
        lf.collect_schema()
    except Exception as exc:
        raise _read_error(location, table, exc) from None
    return lf, location, f"iceberg|{ice.location()}|snapshot {snapshot}"


def _derive_customers(tables: dict[str, pl.LazyFrame], as_of: date) -> pl.LazyFrame:
    """SPEC §1: one row per id in orders, monthly, events, feedback; attributes
    from each id's latest monthly row up to as_of."""
    ids = [
        tables[t].select("customer_id")
        for t in ("orders", "monthly", "events", "feedback")
        if t in tables
    ]
    all_ids = pl.concat(ids).unique().filter(pl.col("customer_id").is_not_null())
    no_name = pl.lit(None, dtype=pl.String).alias("name")  # none in the data: null (§6)
    if "monthly" not in tables:
        return all_ids.with_columns(no_name)
    monthly = tables["monthly"]
    attrs = [c for c in monthly.collect_schema().names() if c not in _MONTHLY_NOT_ATTRS]
    # the latest row: latest month, and within a month the last row in file order
    latest = (
        monthly.filter(pl.col("month") <= as_of)
        .with_row_index("_row")
        .group_by("customer_id")
        .agg(pl.col(c).sort_by(["month", "_row"]).last() for c in attrs)
    )
    out = all_ids.join(latest, on="customer_id", how="left")
    if "name" not in attrs:
        out = out.with_columns(no_name)
    return out


_MONTHLY_NOT_ATTRS = {
    "customer_id",
    "month",
    "mrr",
    "logins",
    "features_used",
    "support_tickets",
    "nps",
    "status",
}


def _wants_latest(table: str, as_of: date | None) -> bool:
    """Whether opening looks for the table's latest date: only to find as_of."""
    return as_of is None and table not in NOT_FOR_AS_OF


def resolve_as_of(max_dates: dict[str, date | None]) -> date | None:
    """The latest date found in the data (SPEC §1); monthly counts to its month's end."""
    candidates: list[date] = []
    for table, d in max_dates.items():
        if d is None or table in NOT_FOR_AS_OF:
            continue
        if table in ("monthly",):
            d = month_end(d)
        candidates.append(d)
    return max(candidates) if candidates else None


def open_root(
    path: str | Location, config_file: str | Path | None = None
) -> tuple[Location, Config]:
    """A dataset's root (a folder, or a prefix in a store with its listing) and
    its config: `config_file`, else the root's cxtui.toml, else the defaults.
    A store's cxtui.toml is read with the environment's settings; [storage]
    then applies to the tables (a --config file's, to everything)."""
    location = as_location(path)
    config_path = Path(config_file).expanduser() if config_file else None
    if isinstance(location, RemotePath):
        return _open_remote_root(location, config_path)
    root = location.expanduser()
    if not root.exists():
        raise CxError(f"{root}: dataset folder not found; fix: give a folder of Parquet files")
    _not_a_store(root)
    if not root.is_dir():
        raise CxError(
            f"{root}: not a folder; fix: give the folder that holds the tables "
            "(or map a single file in a cxtui.toml, see docs/config.md)"
        )
    return root, load_config(root, config_path)


def _open_remote_root(location: RemotePath, config_path: Path | None) -> tuple[Location, Config]:
    import tomllib

    if config_path is not None:
        config = load_config(config_path.parent, config_path)
        root = attach(location, config.storage)
    else:
        root = attach(location, {})
        if not root.is_dir():  # lists the prefix: no bucket, no access, no endpoint fail here
            raise _no_objects(root)
        toml = root / "cxtui.toml"
        text = root.store.read_text(toml) if root.store is not None else None
        config = Config()
        if text is not None:
            try:
                parsed = parse_config(toml, tomllib.loads(text))  # type: ignore[arg-type]
            except tomllib.TOMLDecodeError as exc:
                raise CxError(f"{toml}: not valid TOML ({exc}); fix: correct the syntax") from None
            # no source: a printed command needs no --config for the prefix's own file
            # (and --config takes local files only)
            config = dataclasses.replace(parsed, source=None)
        if config.storage:
            root = attach(location, config.storage)
    if not root.is_dir():
        raise _no_objects(root)
    return root, config


def _no_objects(root: RemotePath) -> CxError:
    return CxError(
        f"{root}: no objects under this prefix; fix: check the URL "
        f"({root.scheme}://BUCKET/PREFIX, the folder that holds the tables)"
    )


def open_dataset(
    path: str | Location,
    config_file: str | Path | None = None,
    as_of: date | None = None,
    cache_dir: Path | None = None,
) -> Dataset:
    """Open every table of a dataset: a folder or an object-store URL
    (s3://, gs://, az://). `cache_dir` (optional) keeps each unchanged table's
    probe, so reopening a big dataset skips its full scans. An analysis store
    (`cxtui build`) opens as the dataset it was built from (`cxtui.store`)."""
    from cxtui.store import is_store

    if is_store(path):
        return open_store(Path(str(path)), config_file, as_of, cache_dir)
    root, config = open_root(path, config_file)

    tables: dict[str, pl.LazyFrame] = {}
    whole: dict[str, pl.LazyFrame] = {}
    nonfinite: dict[str, dict[str, str]] = {}
    formats: dict[str, str] = {}
    sources: dict[str, list[Location]] = {}
    versions: dict[str, str] = {}
    row_counts: dict[str, int] = {}
    max_dates: dict[str, date | None] = {}
    notes: list[str] = []
    monthly_ordered = customers_ordered = False
    # Each table's probe is one scan; run them side by side (polars releases the
    # GIL). Errors surface in table order, as they would one by one.
    from concurrent.futures import ThreadPoolExecutor

    load = carried(load_table)  # the probes' stages reach this thread's listener
    with ThreadPoolExecutor(max_workers=3) as pool:
        # latest dates only to find as_of: not with --as-of, never for tickets
        futures = [
            pool.submit(load, root, config, t, cache_dir, False, _wants_latest(t, as_of))
            for t in SCHEMA
        ]
    for future in futures:
        loaded = future.result()
        if loaded is None:
            continue
        table = loaded.table
        tables[table] = loaded.frame
        whole[table] = loaded.whole
        formats[table] = loaded.file_format
        if loaded.counted:
            nonfinite[table] = loaded.counted
        sources[table] = loaded.files
        if loaded.version is not None:
            versions[table] = loaded.version
        row_counts[table] = loaded.rows
        max_dates[table] = loaded.max_date
        notes += loaded.notes
        monthly_ordered |= table == "monthly" and loaded.ordered
        customers_ordered |= table == "customers" and loaded.ordered

    if not ({"customers", "orders", "monthly"} & tables.keys()):
        found = ", ".join(sorted(tables)) or "no tables"
        raise CxError(
            f"{root}: no customers, orders or monthly table found ({found}); "
            "fix: add customers.parquet, orders.parquet or monthly.parquet, "
            "or map your files in cxtui.toml (docs/config.md)"
        )

    if "customers" in tables and as_of is None:
        cust = tables["customers"]
        extra = cust.select(
            pl.col(c).max().alias(c)
            for c in ("signup_date", "churn_date")
            if c in cust.collect_schema().names()
        ).collect()
        for c in extra.columns:
            max_dates[f"customers.{c}"] = extra[c][0]
    resolved = as_of or resolve_as_of(max_dates)
    if resolved is None:
        raise CxError(f"{root}: no dates found to take as_of from; fix: pass --as-of YYYY-MM-DD")
    customers_derived = "customers" not in tables
    if customers_derived:
        tables["customers"] = _derive_customers(tables, resolved)
    if "customers" in tables and not customers_derived and not customers_ordered:
        # Duplicate ids: the first row in file order is kept (validate reports them);
        # ids in strictly increasing order have none, and need no hashing for it.
        tables["customers"] = tables["customers"].unique(
            subset="customer_id", keep="first", maintain_order=True
        )
    return Dataset(
        root=root,
        config=config,
        tables=tables,
        sources=sources,
        row_counts=row_counts,
        max_dates=max_dates,
        customers_derived=customers_derived,
        as_of=resolved,
        as_of_given=as_of is not None,
        notes=notes,
        monthly_ordered=monthly_ordered,
        whole=whole,
        nonfinite=nonfinite,
        formats=formats,
        versions=versions,
    )


# ---------------------------------------------------------------- analysis stores and engines


@dataclass
class Store:
    """An analysis store opened as a dataset (`open_store`): its folder and
    manifest (`cxtui.store`), and what opening it found."""

    path: Path
    manifest: dict[str, Any]
    cache_dir: Path | None = None
    # why the store may differ from a build now ("store built from older inputs:
    # rebuild with …"), shown once on stderr and meant for the TUI's top bar
    warning: str | None = None
    _source: Dataset | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.manifest["as_of"])

    def rebuild_command(self, as_of: str | None = None) -> str:
        from cxtui.store import rebuild_command

        return rebuild_command(self.path, self.manifest, as_of)

    def read_facts(self) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
        """The facts, the other ids' sums and the notes of the facts pass (NaN /
        inf left out), as the build made them."""
        from cxtui.store import FACTS, OTHERS, parquet_files

        try:
            facts = pl.read_parquet(parquet_files(self.path / FACTS))
            others = pl.read_parquet(parquet_files(self.path / OTHERS))
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise CxError(
                f"{self.path}: cannot read the store's facts ({_short(exc)}); "
                f"fix: rebuild it with {self.rebuild_command()}"
            ) from None
        return facts, others, list(self.manifest.get("facts_notes", []))

    def check_code(self, code_version: str) -> None:
        """Warn (once) when another version of cxtui's facts code built the store."""
        if self.warning is None and self.manifest.get("code_version") != code_version:
            self.warning = (
                f"store built by another version of cxtui "
                f"({self.manifest.get('cxtui_version')}): rebuild with {self.rebuild_command()}"
            )
            _warn_once(f"{self.path}: {self.warning}")

    def source_dataset(self, ds: Dataset) -> Dataset:
        """The original dataset at the store's as_of, opened on first use: account
        detail reads one customer's rows from it (its filter reaches the source's
        files). The store's own dataset `ds` when the source cannot be opened
        (moved, or on another machine), with a warning."""
        with self._lock:
            if self._source is None:
                source = self.manifest["source"]
                try:
                    self._source = open_dataset(
                        source["path"], source.get("config"), ds.as_of, self.cache_dir
                    )
                except CxError as exc:
                    _warn_once(
                        f"{self.path}: account detail reads the store's rows, as its source "
                        f"cannot be opened ({exc})"
                    )
                    self._source = ds
            return self._source


_warned: set[tuple[str, str]] = set()


def _warn_once(message: str, key: str = "") -> None:
    """A warning on stderr, once per process for the same message and `key`
    (the TUI's worker prints too: Textual keeps it off the screen)."""
    if (message, key) not in _warned:
        _warned.add((message, key))
        print(f"cxtui: warning: {message}", file=sys.stderr)


_KIND_DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "date": pl.Date(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "datetime": pl.Datetime("us"),
}


def canonical_dtypes(table: str) -> dict[str, pl.DataType]:
    """The dtype of each canonical column of `table` (and of its instants)."""
    out = {name: _KIND_DTYPES[col.kind] for name, col in SCHEMA[table].items()}
    out |= {name: pl.Datetime("us") for (t, _), name in INSTANTS.items() if t == table}
    return out


def _typed(lf: pl.LazyFrame, dtypes: dict[str, pl.DataType]) -> pl.LazyFrame:
    """`lf` with every column named in `dtypes` cast to that dtype when it has
    another (a store written by Spark holds Spark's types, e.g. 64-bit counts)."""
    schema = lf.collect_schema()
    casts = [
        pl.col(name).cast(dtype)
        for name, dtype in dtypes.items()
        if name in schema and schema[name] != dtype
    ]
    return lf.with_columns(casts) if casts else lf


def _store_scan(path: Path, what: str, rebuild: str) -> pl.LazyFrame:
    from cxtui.store import parquet_files

    files = parquet_files(path)
    if not files:
        raise CxError(f"{path}: the store's {what} is missing; fix: rebuild it with {rebuild}")
    return pl.scan_parquet(files)


def store_table(path: Path, table: str, info: dict[str, Any], rebuild: str) -> pl.LazyFrame:
    """One of the tables of the store at `path` as canonical rows: a row kept
    with its count (`cxtui.engine.compacted`) is repeated that many times."""
    from cxtui.store import WEIGHT

    lf = _store_scan(path / info["file"], f"table {table}", rebuild)
    if WEIGHT in lf.collect_schema():
        if info.get("repeated"):
            lf = lf.with_columns(pl.int_ranges(pl.col(WEIGHT)).alias(WEIGHT)).explode(WEIGHT)
        lf = lf.drop(WEIGHT)
    return _typed(lf, canonical_dtypes(table))


def open_store(
    path: Path,
    config_file: str | Path | None = None,
    as_of: date | None = None,
    cache_dir: Path | None = None,
) -> Dataset:
    """The analysis store at `path` (`cxtui.store`) as the dataset it was built
    from, at the store's as_of: its tables are the store's, its facts the
    store's (`engine.build_facts` reads them). Another --as-of, or a --config
    other than the build's, is an error naming the build that answers it; a
    store older than its inputs says so once on stderr (`Store.warning`)."""
    from cxtui.store import (
        CUSTOMERS,
        FACTS,
        MANIFEST,
        config_from_settings,
        fingerprint,
        parquet_files,
        read_manifest,
    )

    root = path.expanduser()
    manifest = read_manifest(root)
    store = Store(root, manifest, cache_dir)
    if as_of is not None and as_of != store.as_of:
        raise CxError(
            f"{root}: an analysis store as of {store.as_of}, not {as_of}; fix: build one for "
            f"that date: {store.rebuild_command(as_of.isoformat())}"
        )
    if config_file is not None:
        file = Path(config_file).expanduser()
        if fingerprint([load_config(file.parent, file).fingerprint()]) != manifest.get(
            "config_fingerprint"
        ):
            raise CxError(
                f"{root}: the store was built with another config than {config_file}; "
                f"fix: build it with that one: {store.rebuild_command()} --config {config_file}"
            )
    rebuild = store.rebuild_command()
    tables = {t: store_table(root, t, info, rebuild) for t, info in manifest["tables"].items()}
    customers = _store_scan(root / CUSTOMERS, "customers table", rebuild)
    if "monthly" in tables:  # derived customers' attributes have the customers' dtypes
        tables["monthly"] = _typed(tables["monthly"], dict(customers.collect_schema()))
    tables["customers"] = customers
    sources: dict[str, list[Location]] = {
        t: list(parquet_files(root / info["file"])) for t, info in manifest["tables"].items()
    }
    sources["customers"] = list(parquet_files(root / CUSTOMERS))
    sources["store"] = [root / MANIFEST, *parquet_files(root / FACTS)]  # keys the caches
    store.warning, now = _store_staleness(store)
    if store.warning:
        _warn_once(f"{root}: {store.warning}", now)  # again once the inputs change again
    return Dataset(
        root=root,
        config=config_from_settings(manifest["config"]),
        tables=tables,
        sources=sources,
        row_counts=dict(manifest.get("row_counts", {})),
        max_dates={
            k: None if v is None else date.fromisoformat(v)
            for k, v in manifest.get("max_dates", {}).items()
        },
        customers_derived=bool(manifest["customers_derived"]),
        as_of=store.as_of,
        as_of_given=as_of is not None or bool(manifest.get("as_of_given")),
        notes=list(manifest.get("notes", [])),
        monthly_ordered=bool(manifest.get("monthly_ordered")),
        formats={t: "parquet" for t in tables},
        store=store,
    )


def _store_staleness(store: Store) -> tuple[str | None, str]:
    """The warning "store built from older inputs: …" when the inputs' state
    now (read from here, when they can be) is not the one the store was built
    from; and the inputs' fingerprint now ("" when they cannot be read)."""
    from cxtui.store import fingerprint

    source = store.manifest["source"]
    try:
        now = fingerprint(input_states(source["path"], source.get("config")))
    except CxError:
        return None, ""  # the source is elsewhere: nothing to compare with
    if now == store.manifest.get("inputs_fingerprint"):
        return None, now
    return f"store built from older inputs: rebuild with {store.rebuild_command()}", now


def _not_a_store(root: Path) -> None:
    """An analysis store is no dataset folder (its files are the store's, not
    tables): `validate` and the like name the source instead."""
    from cxtui.store import is_store, read_manifest

    if is_store(root):
        source = read_manifest(root)["source"]["path"]
        raise CxError(
            f"{root}: an analysis store (cxtui build), not a dataset folder; "
            f"fix: run the command on its source, {source}"
        )


@dataclass
class _Inputs:
    """What `dataset_state` reads of a dataset: its sources and versions."""

    sources: dict[str, list[Location]]
    versions: dict[str, str]


def input_states(path: str | Location, config_file: str | Path | None = None) -> list[str]:
    """`dataset_state` of the dataset at `path` as it is now, without opening
    its tables: each table's sources found as `open_dataset` finds them (a
    Delta / Iceberg table: the version it would read). An analysis store
    compares it with the state it was built from."""
    root, config = open_root(path, config_file)
    inputs = _Inputs({}, {})
    for table in SCHEMA:
        mapping = config.tables.get(table)
        if mapping is not None and mapping.format in LAKEHOUSE_FORMATS:
            _, location, version = _open_lakehouse(root, table, mapping, config.storage)
            inputs.sources[table], inputs.versions[table] = [location], version
        elif files := _find_sources(root, table, mapping, config.storage):
            inputs.sources[table] = files
    return dataset_state(inputs)  # type: ignore[arg-type]  # reads sources, versions


def raw_scan(
    table: str, files: list[Location], fmt: str, mapping: TableMapping | None
) -> pl.LazyFrame:
    """A table's files as they are (`_scan_raw`: Parquet or CSV, before any
    mapping), for an engine that reads them itself (`cxtui.engine.spark`)."""
    return _scan_raw(table, files, fmt, mapping)


def canonical_rows(
    table: str, raw: pl.LazyFrame, mapping: TableMapping | None, fmt: str
) -> pl.LazyFrame:
    """The canonical frame over every row of `raw` (columns mapped, typed, NaN /
    inf as null, with `Dataset.whole`'s NaN / inf flags): the conversion
    `open_dataset` applies, so another engine reading the files itself types
    each batch of rows exactly as the Polars engine does."""
    return _normalise(table, raw, mapping, Path(table), fmt == "csv").whole

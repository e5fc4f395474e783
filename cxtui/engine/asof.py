"""As-of time travel: the same dataset seen at another as_of (SPEC §7 "Segment
trends and migration" evaluates derived dimensions as of each month's last day).

`dataset_at` is the opened dataset with a new as_of: the tables are the same
lazy scans (`Dataset.scan` cuts them at as_of), only the derived customers table
(no customers file) is derived again, from the rows up to that date.
`columns_at` gives a few facts columns of every customer at that as_of, aligned
to the analysis's own facts, from (first that has them) the analysis itself, this
analysis's memory, a small cache file per date and columns, the facts cache entry
of that as_of (only those columns are read), or a build of only those columns.
Only the columns asked for are kept: twelve months of M hold twelve columns, never
twelve facts tables.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import polars as pl

from cxtui.data.load import Dataset, _derive_customers
from cxtui.engine.analysis import Analysis
from cxtui.engine.cache import (
    cache_key,
    derived_cache_path,
    finish_cache_writes,
    read_derived,
    write_derived,
)
from cxtui.engine.collect import collect
from cxtui.metrics.facts import customer_facts
from cxtui.metrics.scope import Scope

# progress(done, total, label): called after each date's columns are ready
Progress = Callable[[int, int, str], None]


def dataset_at(ds: Dataset, as_of: date) -> Dataset:
    """`ds` seen at `as_of`: every figure computed from it uses only rows up to
    that date (SPEC §1). Its notes are its own list (a facts pass adds to it)."""
    if as_of == ds.as_of:
        return ds
    tables = dict(ds.tables)
    if ds.customers_derived:  # attributes from each id's latest monthly row up to as_of
        tables["customers"] = _derive_customers(
            {t: lf for t, lf in ds.tables.items() if t != "customers"}, as_of
        )
    return replace(ds, as_of=as_of, as_of_given=True, tables=tables, notes=list(ds.notes))


# Dates × columns kept in an analysis's memory (the TUI's trends and migration
# panes ask again on each key): two dimensions over 13 months, the oldest go first.
KEEP_IN_MEMORY = 26


@dataclass
class _Memo:
    """The columns already built for an analysis, text as categoricals (a
    quarter of the memory), with their own lock: a build of months does not hold
    the analysis's other derived results (`Analysis.derived`) back."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    frames: OrderedDict[tuple[date, tuple[str, ...]], pl.DataFrame] = field(
        default_factory=OrderedDict
    )


_MEMO_KEY = "cxtui.engine.asof"


def columns_at(analysis: Analysis, as_of: date, columns: Sequence[str]) -> pl.DataFrame:
    """The facts `columns` of every customer as of `as_of`, one row per row of
    `analysis.facts` in its order (not filtered by --where: the caller filters
    the analysis's rows). Kept in the analysis's memory for the next call."""
    columns = list(dict.fromkeys(columns))
    if as_of == analysis.ds.as_of:
        return analysis.facts.select(columns)
    memo = analysis.derived.values.setdefault(_MEMO_KEY, _Memo())
    key = (as_of, tuple(columns))
    with memo.lock:
        kept = memo.frames.get(key)
        if kept is None:
            frame = _columns_at(analysis, as_of, columns)
            kept = frame.with_columns(pl.col(pl.String).cast(pl.Categorical))
            memo.frames[key] = kept
            while len(memo.frames) > KEEP_IN_MEMORY:
                memo.frames.popitem(last=False)
            return frame
        memo.frames.move_to_end(key)
    return kept.with_columns(pl.col(pl.Categorical).cast(pl.String))


def columns_over(
    analysis: Analysis,
    dates: Sequence[date],
    columns: Sequence[str],
    progress: Progress | None = None,
) -> dict[date, pl.DataFrame]:
    """`columns_at` for each date, built one date at a time (each build's other
    columns are released before the next); `progress(done, total, label)` after
    each date."""
    out: dict[date, pl.DataFrame] = {}
    unique = list(dict.fromkeys(dates))
    for i, day in enumerate(unique, start=1):
        out[day] = columns_at(analysis, day, columns)
        if progress is not None:
            progress(i, len(unique), day.isoformat())
    return out


def scope_at(
    analysis: Analysis, column: str, dates: Sequence[date], progress: Progress | None = None
) -> tuple[Scope, dict[date, str]]:
    """A scope over the analysis's facts (--where applied to them, as of as_of)
    with one more column per date holding `column` as of that date; returns it
    and each date's column name."""
    values = columns_over(analysis, dates, [column], progress)
    names = {day: f"__{column}@{day.isoformat()}" for day in values}
    frame = analysis.facts.hstack([values[day][column].alias(names[day]) for day in values])
    return analysis.scope_over(frame), names


def _columns_at(analysis: Analysis, as_of: date, columns: list[str]) -> pl.DataFrame:
    ds = dataset_at(analysis.ds, as_of)
    folder = analysis.derived.folder  # None: --no-cache
    wanted = ["customer_id", *columns]
    if folder is None:
        return _aligned(analysis, _build(ds, wanted), columns)
    path = derived_cache_path(
        ds, folder, f"asof-{as_of:%Y%m%d}", *columns, modules=(__name__, "cxtui.metrics.facts")
    )
    kept = read_derived(path)
    if kept is not None and set(wanted) <= set(kept[0].columns):
        return _aligned(analysis, kept[0], columns)
    frame = _from_facts_cache(ds, folder, wanted)
    if frame is None:
        frame = _build(ds, wanted)
        write_derived(path, frame, {"as_of": as_of.isoformat()}, str(ds.root.resolve()))
    return _aligned(analysis, frame, columns)


def _build(ds: Dataset, wanted: list[str]) -> pl.DataFrame:
    """Only `wanted` of the facts: the query plan leaves out what they do not
    need (engagement reads the events alone; lifecycle needs nearly every table)."""
    return collect(customer_facts(ds).select(wanted))


def _from_facts_cache(ds: Dataset, folder, wanted: list[str]) -> pl.DataFrame | None:
    """`wanted` read from the facts cache entry of this as_of, when one exists (a
    `cxtui … --as-of` run made it): only those columns are read."""
    finish_cache_writes()
    path = folder / f"facts-{cache_key(ds)}.parquet"
    if not path.is_file():
        return None
    try:
        if not set(wanted) <= set(pl.read_parquet_schema(path)):
            return None  # a column the entry keeps in the customers table
        return pl.read_parquet(path, columns=wanted)
    except (OSError, pl.exceptions.PolarsError):
        return None  # an unreadable entry is only a lost speed-up


def _aligned(analysis: Analysis, frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """`frame`'s `columns` in the row order of `analysis.facts` (by customer_id)."""
    ids = analysis.facts["customer_id"]
    if frame.height == ids.len() and frame["customer_id"].equals(ids):
        return frame.select(columns)
    return (
        ids.to_frame()
        .join(frame, on="customer_id", how="left", maintain_order="left", nulls_equal=True)
        .select(columns)
    )

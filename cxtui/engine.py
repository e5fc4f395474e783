"""The one place that runs queries: opening an analysis, building (or loading)
the per-customer facts, and collecting LazyFrames.

CLI and TUI both go through :func:`open_analysis` and :func:`collect`, so engine
and caching choices live here only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from cxtui import __version__
from cxtui.atomic import write_atomic
from cxtui.data.load import Dataset, nonfinite_note, open_dataset
from cxtui.errors import CxError
from cxtui.metrics.facts import (
    customer_facts,
    facts_from_joined,
    other_id_sums,
    other_ids,
    table_aggregates,
)
from cxtui.metrics.scope import Scope

Progress = Callable[[str], None]


def collect(lf: pl.LazyFrame, engine: str = "auto") -> pl.DataFrame:
    """Collect one query; data errors surface as one-line CxErrors. The default
    engine (streaming) is the one for scans of the tables; work on frames already
    in memory is faster with `engine="in-memory"`."""
    try:
        return lf.collect(engine=engine)
    except CxError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CxError(
            f"query failed while reading the data ({first[:200]}); "
            "fix: run `cxtui validate DATA` to find the bad file or column"
        ) from None


def collect_all(lfs: Iterable[pl.LazyFrame], engine: str = "auto") -> list[pl.DataFrame]:
    lfs = list(lfs)
    try:
        return pl.collect_all(lfs, engine=engine)
    except (pl.exceptions.PolarsError, OSError):
        return [collect(lf, engine) for lf in lfs]  # one by one, for a precise message


# ---------------------------------------------------------------- facts cache


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxtui"


def cache_key(ds: Dataset) -> str:
    """Input files' paths, sizes and mtimes, the config, as_of and the version."""
    h = hashlib.sha256()
    h.update(__version__.encode())
    h.update(str(ds.as_of).encode())
    h.update(ds.config.fingerprint().encode())
    for table in sorted(ds.sources):
        for p in ds.sources[table]:
            st = p.stat()
            h.update(f"{table}|{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def _warn(message: str) -> None:
    print(f"cxtui: warning: {message}", file=sys.stderr)


_unwritable: set[Path] = set()


def _warn_unwritable(folder: Path, what: str, reason: str) -> None:
    """Once per folder and process: a read-only or full cache folder fails every
    write, and one line says it."""
    if folder not in _unwritable:
        _unwritable.add(folder)
        _warn(f"cannot write the {what} cache in {folder} ({reason}); continuing without")


def _read_cache(path: Path) -> pl.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return pl.read_parquet(path)
    except Exception as exc:  # a corrupt or unreadable cache is only a lost speed-up
        _warn(f"ignoring unreadable cache file {path} ({type(exc).__name__}); rebuilding")
        return None


# The others file's key-value metadata carries the entry's data-quality notes
# (NaN / inf counted by the facts pass, see _facts_and_others); the facts file's,
# its column order and the columns left out as copies of the customers table.
_NOTES_KEY = "cxtui.notes"
_COLUMNS_KEY = "cxtui.columns"
_COPIED_KEY = "cxtui.copied"
_ROOT_KEY = "cxtui.root"  # the dataset folder, for pruning its old entries

# Entries kept per dataset folder (as_of and config variants stay warm); every
# change to the data makes a new entry, and the least recently used go.
KEEP_ENTRIES = 4

CacheFile = tuple[Path, pl.DataFrame, "dict[str, str] | None"]


def _read_lists(path: Path, *keys: str) -> list[list[str] | None]:
    """JSON lists kept in a cache file's metadata, one footer read for all of
    them; None for one that is missing or unreadable (another version's)."""
    try:
        meta = pl.read_parquet_metadata(path)
    except Exception:  # unreadable: not an entry
        return [None for _ in keys]
    out: list[list[str] | None] = []
    for key in keys:
        try:
            out.append([str(n) for n in json.loads(meta[key])])
        except (KeyError, TypeError, ValueError):
            out.append(None)
    return out


def _read_facts(ds: Dataset, path: Path) -> pl.DataFrame | None:
    """A cached facts file, with the columns it left out (verbatim copies of the
    customers table, see `_copied_columns`) read again from the customers."""
    stored = _read_cache(path)
    if stored is None:
        return None
    copied, columns = _read_lists(path, _COPIED_KEY, _COLUMNS_KEY)
    if not copied:  # none: the file holds every column
        return stored
    if columns is None:
        return None
    customers = collect(ds.tables["customers"].select("customer_id", *copied))
    if not customers["customer_id"].equals(stored["customer_id"]):
        _warn(f"ignoring cache file {path} (it does not match the customers); rebuilding")
        return None
    restored = stored.hstack(_chunked_like(customers.drop("customer_id"), stored).get_columns())
    return restored.select(columns)


def _chunked_like(frame: pl.DataFrame, like: pl.DataFrame) -> pl.DataFrame:
    """`frame` cut into chunks of the lengths of `like`'s (one per cached row
    group): columns side by side with unequal chunks are copied whole to align
    them by the next select (0.1-0.2 s on M), equal ones are not."""
    parts, start = [], 0
    for chunk in like.get_columns()[0].get_chunks():
        parts.append(frame.slice(start, len(chunk)).rechunk())
        start += len(chunk)
    return pl.concat(parts, rechunk=False) if parts else frame


def _touch(path: Path) -> None:
    """Stamp a facts file as used now, to the nanosecond (the file system's own
    stamps can tie within a few milliseconds)."""
    now = time.time_ns()
    with contextlib.suppress(OSError):
        os.utime(path, ns=(now, now))


def _prune(folder: Path, root: str) -> None:
    """Delete the entries of the dataset folder `root` beyond the KEEP_ENTRIES
    most recently used (a hit touches its facts file's mtime; reading a file
    moves its access time, so that would not do). An entry another process is
    reading stays readable on POSIX; one about to be read is rebuilt."""
    entries = []
    for path in folder.glob("facts-*.parquet"):
        try:
            if pl.read_parquet_metadata(path).get(_ROOT_KEY) == root:
                entries.append((path.stat().st_mtime_ns, path))
        except Exception:  # unreadable or being replaced: not ours to judge
            continue
    entries.sort(reverse=True)
    for _, path in entries[KEEP_ENTRIES:]:
        key = path.name.removeprefix("facts-").removesuffix(".parquet")
        for old in (path, folder / f"others-{key}.parquet"):
            with contextlib.suppress(OSError):
                old.unlink()


def _write_cache(files: list[CacheFile], root: str | None = None) -> None:
    """Write one cache entry's files in order, each atomically; on the first
    failure warn once and stop (an entry needs all its files). Then, with the
    entry's dataset folder `root`, prune that folder's old entries."""
    for path, df, metadata in files:
        try:
            write_atomic(
                path,
                lambda tmp, df=df, metadata=metadata: df.write_parquet(
                    tmp,
                    compression="lz4",
                    row_group_size=100_000,
                    statistics=False,
                    metadata=metadata,
                ),
            )
        except (OSError, pl.exceptions.PolarsError) as exc:
            # a full disk reaches us as a polars ComputeError, not an OSError
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            _warn_unwritable(path.parent, "facts", reason)
            return
    if root is not None and files:
        _touch(files[-1][0])
        _prune(files[-1][0].parent, root)


_writers: list[threading.Thread] = []


def _write_cache_soon(files: list[CacheFile], root: str | None = None) -> None:
    """Write the facts cache in a thread while the caller goes on to its panes
    (writing takes ~0.7 s on M). `finish_cache_writes` waits for it."""
    writer = threading.Thread(target=_write_cache, args=(files, root), name="cxtui-cache-write")
    writer.start()
    _writers.append(writer)


def finish_cache_writes() -> None:
    """Wait for background cache writes (before exit, or before reading the cache)."""
    while _writers:
        _writers.pop().join()


def output_cache_path(ds: Dataset, cache_dir: Path | None, *parts: str) -> Path:
    """Where a command's finished output for this dataset state is kept: the
    facts cache key (files, config, as_of, version) plus what shapes the output."""
    h = hashlib.sha256(cache_key(ds).encode())
    for part in parts:
        h.update(b"\0" + part.encode())
    return (cache_dir or default_cache_dir()) / f"output-{h.hexdigest()[:32]}.txt"


def read_output_cache(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        return None  # an unreadable entry is only a lost speed-up


def write_output_cache(path: Path, text: str) -> None:
    try:
        write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except OSError as exc:
        _warn_unwritable(path.parent, "output", str(exc.strerror))


def _sorted_by_id(facts: pl.DataFrame) -> pl.DataFrame:
    """The facts in customer_id order (deterministic, and the cache's row groups
    then serve id lookups). Column by column, releasing each source column as
    its sorted copy is made: `DataFrame.sort` holds two whole copies at once
    (+1 GB at the peak on M)."""
    if facts["customer_id"].is_sorted():
        return facts
    order = facts["customer_id"].arg_sort()
    parts = []
    names = facts.columns
    for i in range(0, len(names), 12):  # a dozen columns at a time, in parallel
        batch = names[i : i + 12]
        parts.append(facts.select(pl.col(batch).gather(order)))
        facts = facts.drop(batch)
    return pl.concat(parts, how="horizontal")


_ID_HASH = "__id_hash"


def _with_id_hash(df: pl.DataFrame) -> pl.LazyFrame:
    """A 64-bit hash of the id beside it (null for a null id, which joins nothing,
    as a null id does)."""
    cid = pl.col("customer_id")
    return df.lazy().with_columns(pl.when(cid.is_not_null()).then(cid.hash()).alias(_ID_HASH))


def _joined_by_hash(
    customers: pl.DataFrame, aggregates: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, dict[str, pl.LazyFrame]] | None:
    """The customers left-joined with every aggregate, and each aggregate's rows of
    ids that are not customers: the joins of `customer_facts` and `other_ids`,
    made on a 64-bit hash of the id. Each aggregate is joined to the customers'
    hashes alone and the results are put side by side (M: 0.27 s, against 0.6 s
    for joining the strings one aggregate after the other). Exact unless two
    different ids share a hash, which is checked: a customer matched to another
    id's row, or to two rows, returns None."""
    keys = _with_id_hash(customers).select(_ID_HASH)
    matches = [
        keys.join(
            _with_id_hash(agg).rename({"customer_id": "__matched"}),
            on=_ID_HASH,
            how="left",
            maintain_order="left",
        ).drop(_ID_HASH)
        for agg in aggregates.values()
    ]
    aligned = collect_all(matches, engine="in-memory")
    ids = customers["customer_id"]
    for part in aligned:
        if part.height != customers.height:
            return None
        matched = part["__matched"]
        if not (matched.is_null() | (matched == ids)).all():
            return None
    joined = pl.concat([customers, *(part.drop("__matched") for part in aligned)], how="horizontal")
    # with every match checked, an aggregate row whose hash is a customer's is that
    # customer's row: the rows of other ids are those whose hash is no customer's
    not_customers = {
        table: _with_id_hash(agg).join(keys, on=_ID_HASH, how="anti").drop(_ID_HASH)
        for table, agg in aggregates.items()
    }
    return joined, not_customers


def _copied_columns(ds: Dataset, facts: pl.DataFrame, customers: pl.DataFrame) -> list[str]:
    """The facts columns that are the customers table's own columns, row for row
    (name, segment, … of an export sorted by id): the cache leaves them out and
    reads them from the customers again (M: 0.35 s less CPU per cache write for
    0.07 s more per warm start). None when the customers are derived, are text
    (parsing a CSV again would cost more than it saves) or the facts were put in
    id order; a column the facts redefine differs, and stays."""
    if ds.customers_derived or ds.formats.get("customers") != "parquet":
        return []
    if not facts["customer_id"].equals(customers["customer_id"]):
        return []
    return [
        c
        for c in customers.columns
        if c != "customer_id"
        and c in facts.columns
        and facts[c].dtype == customers[c].dtype
        and facts[c].equals(customers[c])
    ]


def _facts_and_others(
    ds: Dataset,
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], list[str]]:
    """Two steps: the streaming engine makes its one pass over each large table
    (the per-id aggregates and the customers, all at once); the joins and the
    per-customer columns then run on those frames in memory, where the
    in-memory engine is ~1.5× faster than streaming them (M: 1.6 s vs 2.5 s).
    The pass also counts the NaN / inf values it leaves out (Dataset.nonfinite):
    their notes are the third item; the fourth, `_copied_columns`."""
    aggregates = table_aggregates(ds, count_nonfinite=True)
    *done, customers = collect_all([*aggregates.values(), ds.tables["customers"]])
    collected: dict[str, pl.DataFrame] = {}
    notes: list[str] = []
    for table, df in zip(aggregates, done, strict=True):
        flags = ds.nonfinite_columns(table)
        if flags:
            totals = df.select(pl.col(flags).sum()).row(0, named=True)
            notes += [
                nonfinite_note(table, totals[flag], ds.nonfinite[table][flag])
                for flag in flags
                if totals[flag]
            ]
            df = df.drop(flags)
        collected[table] = df
    by_hash = _joined_by_hash(customers, collected)
    ids = customers.lazy().select("customer_id")
    if by_hash is not None:
        joined, not_customers = by_hash
        facts = collect(facts_from_joined(ds, joined.lazy()), engine="in-memory")
        others = collect(other_id_sums(not_customers, ids), engine="in-memory")
    else:  # two ids share a hash: the joins on the id itself
        in_memory = {table: df.lazy() for table, df in collected.items()}
        facts = collect(customer_facts(ds, in_memory, customers.lazy()), engine="in-memory")
        others = collect(other_ids(ds, in_memory, customers.lazy()), engine="in-memory")
    facts = _sorted_by_id(facts)
    return facts, others, notes, _copied_columns(ds, facts, customers)


def _add_notes(ds: Dataset, notes: list[str]) -> None:
    ds.notes.extend(n for n in notes if n not in ds.notes)


def build_facts(
    ds: Dataset, cache_dir: Path | None = None, use_cache: bool = True, background: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """The facts and the other ids' sums (`facts.other_ids`), from the cache when
    it is fresh. Returns (facts, others, from_cache); the notes of the facts pass
    (NaN / inf left out) join `ds.notes`. With `background`, a new cache entry is
    written in a thread (see `finish_cache_writes`)."""
    facts_path = others_path = None
    if use_cache:
        finish_cache_writes()  # an entry being written in this process is read whole
        key = cache_key(ds)
        folder = cache_dir or default_cache_dir()
        facts_path = folder / f"facts-{key}.parquet"
        others_path = folder / f"others-{key}.parquet"
        cached = _read_facts(ds, facts_path)
        others = _read_cache(others_path) if cached is not None else None
        notes = _read_lists(others_path, _NOTES_KEY)[0] if others is not None else None
        if cached is not None and others is not None and notes is not None:
            _add_notes(ds, notes)
            _touch(facts_path)  # recently used: pruned last (_prune)
            return cached, others, True
    facts, others, notes, copied = _facts_and_others(ds)
    _add_notes(ds, notes)
    if facts_path is not None and others_path is not None:
        # others first: a facts file without its others is not an entry
        notes_meta = {_NOTES_KEY: json.dumps(notes)}
        root = str(ds.root.resolve())
        facts_meta = {
            _COLUMNS_KEY: json.dumps(facts.columns),
            _COPIED_KEY: json.dumps(copied),
            _ROOT_KEY: root,
        }
        files: list[CacheFile] = [
            (others_path, others, notes_meta),
            (facts_path, facts.drop(copied), facts_meta),
        ]
        (_write_cache_soon if background else _write_cache)(files, root)
    return facts, others, False


# ---------------------------------------------------------------- an open analysis


@dataclass
class Analysis:
    """An opened dataset with its facts; what the CLI commands and TUI screens use."""

    ds: Dataset
    facts: pl.DataFrame  # all customers, unfiltered
    others: pl.DataFrame  # sums of the ids that are not customers (facts.other_ids)
    where: str | None = None
    from_cache: bool = False
    _ranked: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)

    def ranked(self, by: str) -> pl.DataFrame:
        """The facts sorted by `by` (desc, nulls last), then customer_id: sorted
        once, so an account list is a filter that keeps this order (the drill-down
        on a 900,000-customer segment then needs no sort of its own)."""
        if by not in self._ranked:
            if by not in self.facts.columns:  # nothing to rank by: id order
                self._ranked[by] = self.facts.sort("customer_id")
            else:
                self._ranked[by] = self.facts.sort(
                    [by, "customer_id"], descending=[True, False], nulls_last=True
                )
        return self._ranked[by]

    def scope_over(self, facts: pl.DataFrame) -> Scope:
        """A scope over `facts` (the facts, or a re-ordering of them)."""
        lf = facts.lazy()
        if self.where:
            lf = lf.filter(where_expr(self.where, facts.schema))
        return Scope(self.ds, lf, self.where, self.others.lazy())

    @property
    def scope(self) -> Scope:
        facts = self.facts.lazy()
        if self.where:
            facts = facts.filter(where_expr(self.where, self.facts.schema))
        return Scope(self.ds, facts, self.where, self.others.lazy())


def where_expr(where: str, schema: pl.Schema) -> pl.Expr:
    """Parse a --where filter (SQL syntax, e.g. "region = 'EMEA' AND plan <> 'starter'")."""
    try:
        expr = pl.sql_expr(where)
        names = expr.meta.root_names()
        if all(n in schema for n in names):
            pl.DataFrame(schema=schema).filter(expr)
    except Exception as exc:
        raise CxError(
            f"--where {where!r}: cannot parse ({str(exc).splitlines()[0][:120]}); "
            "fix: use SQL syntax, e.g. --where \"region = 'EMEA'\""
        ) from None
    unknown = [n for n in names if n not in schema]
    if unknown:
        raise CxError(
            f"--where: unknown column {unknown[0]!r}; fix: use a customer column such as "
            + ", ".join(list(schema)[:8])
        )
    return expr


def open_analysis(
    data: str | Path,
    config: str | Path | None = None,
    as_of: date | None = None,
    where: str | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    background: bool = False,
) -> Analysis:
    probe_cache = (cache_dir or default_cache_dir()) if use_cache else None
    ds = open_dataset(data, config, as_of, probe_cache)
    return analysis_of(ds, where, cache_dir, use_cache, background)


def analysis_of(
    ds: Dataset,
    where: str | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    background: bool = False,
) -> Analysis:
    """An opened dataset's analysis (the facts are the slow part: the TUI runs
    this in a worker after opening the dataset up front for clear errors).
    `background`: see `build_facts`."""
    facts, others, from_cache = build_facts(ds, cache_dir, use_cache, background)
    analysis = Analysis(ds, facts, others, where, from_cache)
    if where:
        where_expr(where, facts.schema)  # fail early with a clear message
    return analysis

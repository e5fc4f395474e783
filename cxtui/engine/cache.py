"""The caches: the facts cache (its key, its files and their metadata, pruning,
background writes), `build_facts` that reads an entry or builds and writes one,
and the cache of a command's finished output.

A facts entry is two Parquet files, `others-KEY` then `facts-KEY` (a facts
file without its others file is not an entry). KEY (`cache_key`) names the
input files' paths, sizes and mtimes, the config, as_of, the version and the
fingerprint of the facts definitions (`build.facts_fingerprint`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cxtui import __version__
from cxtui.atomic import write_atomic
from cxtui.data.load import Dataset, Location, dataset_state, table_states
from cxtui.engine import build
from cxtui.engine.collect import collect
from cxtui.metrics.facts import AGGREGATED, MERGE_RULES
from cxtui.progress import stage


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxtui"


def cache_key(ds: Dataset) -> str:
    """The facts cache key: the inputs' state (files: path, size, mtime; objects
    in a store: URL, size, last-modified, ETag; Delta / Iceberg tables: the
    version or snapshot read; `load.dataset_state`), the config,
    as_of, the version and the fingerprint of the facts definitions (the facts'
    schema and the build's code version, `build.facts_fingerprint`). No data is
    read: the schema comes from the build's lazy plan."""
    return _key(ds, build.facts_fingerprint(ds))


def _key(ds: Dataset, definitions: str, states: dict[str, list[str]] | None = None) -> str:
    """The key of `ds`'s state (`states`: its `table_states`, when at hand)."""
    h = hashlib.sha256(_base(ds, definitions).encode())
    flat = dataset_state(ds) if states is None else [s for t in states.values() for s in t]
    for state in flat:
        h.update(state.encode())
    return h.hexdigest()[:32]


def _base(ds: Dataset, definitions: str) -> str:
    """What a key names besides the inputs' state: the version, as_of, the
    config and the definitions."""
    h = hashlib.sha256()
    h.update(__version__.encode())
    h.update(str(ds.as_of).encode())
    h.update(ds.config.fingerprint().encode())
    h.update(definitions.encode())
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
# (NaN / inf counted by the facts pass, see build.facts_and_others); the facts
# file's, its column order and the columns left out as copies of the customers table.
_NOTES_KEY = "cxtui.notes"
_COLUMNS_KEY = "cxtui.columns"
_COPIED_KEY = "cxtui.copied"
_ROOT_KEY = "cxtui.root"  # the dataset folder, for pruning its old entries
# for incremental updates (`_grown_entry`): the facts file's base key (`_base`)
# and its inputs' states by table; the others file's NaN / inf counts
_BASE_KEY = "cxtui.base"
_STATES_KEY = "cxtui.states"
_COUNTS_KEY = "cxtui.nonfinite"

# Entries kept per dataset folder (as_of and config variants stay warm); every
# change to the data makes a new entry, and the least recently used go.
KEEP_ENTRIES = 4

CacheFile = tuple[Path, pl.DataFrame, "dict[str, str] | None"]


def _read_json(path: Path, *keys: str) -> list[Any]:
    """JSON values kept in a cache file's metadata, one footer read for all of
    them; None for one that is missing or unreadable (another version's)."""
    try:
        meta = pl.read_parquet_metadata(path)
    except Exception:  # unreadable: not an entry
        return [None for _ in keys]
    out: list[Any] = []
    for key in keys:
        try:
            out.append(json.loads(meta[key]))
        except (KeyError, TypeError, ValueError):
            out.append(None)
    return out


def _strings(value: Any) -> list[str] | None:
    """A metadata value read as a list of strings, or None."""
    try:
        return None if value is None else [str(n) for n in value]
    except TypeError:
        return None


def _read_lists(path: Path, *keys: str) -> list[list[str] | None]:
    """JSON lists kept in a cache file's metadata (`_read_json`)."""
    return [_strings(value) for value in _read_json(path, *keys)]


def _read_facts(ds: Dataset, path: Path) -> pl.DataFrame | None:
    """A cached facts file, with the columns it left out (verbatim copies of the
    customers table, see `build._copied_columns`) read again from the customers."""
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
    them by the next select, equal ones are not."""
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
    """Write the facts cache in a thread while the caller goes on to its panes.
    `finish_cache_writes` waits for it."""
    writer = threading.Thread(target=_write_cache, args=(files, root), name="cxtui-cache-write")
    writer.start()
    _writers.append(writer)


def finish_cache_writes() -> None:
    """Wait for background cache writes (before exit, or before reading the cache)."""
    while _writers:
        _writers.pop().join()


def _add_notes(ds: Dataset, notes: list[str]) -> None:
    ds.notes.extend(n for n in notes if n not in ds.notes)


def build_facts(
    ds: Dataset,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    background: bool = False,
    side: dict[str, Any] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """The facts and the other ids' sums (`facts.other_ids`), from the cache when
    it is fresh. Returns (facts, others, from_cache); the notes of the facts pass
    (NaN / inf left out) join `ds.notes`. With `background`, a new cache entry is
    written in a thread (see `finish_cache_writes`). An analysis store holds
    its facts (`cxtui build`): they are read from it, as from a cache entry.
    When the dataset only gained files of orders or events since an entry of
    the same as_of and config was written (or only changed tables the facts do
    not read), the facts are updated from that entry (`_grown_entry`).
    `side` (a command that will fit the CLV): when the facts are built here, the
    pass over the orders may also give the CLV's order days, put in `side`
    under ORDER_DAYS (`build.facts_and_others(order_days=True)`)."""
    if ds.store is not None and ds.as_of == ds.store.as_of:
        ds.store.check_code(build.code_version())
        facts, others, notes = ds.store.read_facts()
        _add_notes(ds, notes)
        return facts, others, True
    if not use_cache:
        built = _built(ds, side)
        _add_notes(ds, built.notes)
        return built.facts, built.others, False
    finish_cache_writes()  # an entry being written in this process is read whole
    fingerprint = build.facts_fingerprint(ds)
    states = table_states(ds)
    key = _key(ds, fingerprint, states)
    folder = cache_dir or default_cache_dir()
    facts_path = folder / f"facts-{key}.parquet"
    others_path = folder / f"others-{key}.parquet"
    if facts_path.is_file():
        stage("reading the facts from the cache")
    entry = _read_entry(ds, facts_path, others_path)
    if entry is not None:
        cached, others, notes, _ = entry
        _add_notes(ds, notes)
        _touch(facts_path)  # recently used: pruned last (_prune)
        return cached, others, True
    built = _updated(ds, folder, fingerprint, states) or _built(ds, side)
    _add_notes(ds, built.notes)
    # others first: a facts file without its others is not an entry
    others_meta = {_NOTES_KEY: json.dumps(built.notes), _COUNTS_KEY: json.dumps(built.nonfinite)}
    root = str(ds.root.resolve())
    facts_meta = {
        _COLUMNS_KEY: json.dumps(built.facts.columns),
        _COPIED_KEY: json.dumps(built.copied),
        _ROOT_KEY: root,
        _BASE_KEY: _base(ds, fingerprint),
        _STATES_KEY: json.dumps(states),
    }
    files: list[CacheFile] = [
        (others_path, built.others, others_meta),
        (facts_path, built.facts.drop(built.copied), facts_meta),
    ]
    if not background:
        stage("writing the facts cache")
    (_write_cache_soon if background else _write_cache)(files, root)
    return built.facts, built.others, False


ORDER_DAYS = "clv-order-days"  # build_facts' side product: the CLV's order days


def _built(ds: Dataset, side: dict[str, Any] | None) -> build.Built:
    built = build.facts_and_others(ds, order_days=side is not None)
    if side is not None and built.order_days is not None:
        side[ORDER_DAYS] = built.order_days
    return built


def _read_entry(
    ds: Dataset, facts_path: Path, others_path: Path
) -> tuple[pl.DataFrame, pl.DataFrame, list[str], dict[str, dict[str, int]]] | None:
    """A cache entry's facts, others, notes and NaN / inf counts, or None."""
    facts = _read_facts(ds, facts_path)
    others = _read_cache(others_path) if facts is not None else None
    if facts is None or others is None:
        return None
    notes, counts = _read_json(others_path, _NOTES_KEY, _COUNTS_KEY)
    notes = _strings(notes)
    if notes is None:
        return None
    if not isinstance(counts, dict):
        counts = None  # an entry of an older cxtui: served, but not updated from
    return facts, others, notes, counts


def _updated(
    ds: Dataset, folder: Path, fingerprint: str, states: dict[str, list[str]]
) -> build.Built | None:
    """The facts updated from an older entry of this dataset (`_grown_entry`),
    or None when there is none to update from."""
    grown = _grown_entry(ds, folder, fingerprint, states)
    if grown is None:
        return None
    path, new_files = grown
    key = path.name.removeprefix("facts-").removesuffix(".parquet")
    stage("reading the facts to update from the cache")
    entry = _read_entry(ds, path, folder / f"others-{key}.parquet")
    if entry is None or entry[3] is None:
        return None
    facts, others, notes, counts = entry
    if not new_files:  # only tables the facts do not read changed: the entry as it is
        copied = _read_lists(path, _COPIED_KEY)[0] or []  # the customers are unchanged
        return build.Built(facts, others, notes, copied, counts)
    return build.grown_facts(ds, facts, others, counts, new_files)


def _grown_entry(
    ds: Dataset, folder: Path, fingerprint: str, states: dict[str, list[str]]
) -> tuple[Path, dict[str, list[Location]]] | None:
    """An entry of this dataset folder, as_of, config and facts definitions from
    which the facts can be updated (`states`: the dataset's `table_states`),
    and the files added since: every table the facts read is as it was, but
    orders or events (`facts.MERGE_RULES`) which may have gained files (each
    old file still there, unchanged). Tables the facts do not read may have
    changed in any way. None when no entry fits (derived customers, read from
    every table, never fit)."""
    if ds.customers_derived:
        return None
    base, root = _base(ds, fingerprint), str(ds.root.resolve())
    best: tuple[int, Path, dict[str, list[Location]]] | None = None
    for path in folder.glob("facts-*.parquet"):
        try:
            meta = pl.read_parquet_metadata(path)
            if meta.get(_BASE_KEY) != base or meta.get(_ROOT_KEY) != root:
                continue
            before = json.loads(meta[_STATES_KEY])
        except Exception:  # unreadable, being replaced or of an older cxtui
            continue
        added = _added_files(ds, states, before)
        if added is not None:
            n = sum(len(paths) for paths in added.values())
            if best is None or n < best[0]:
                best = (n, path, added)
    return None if best is None else (best[1], best[2])


def _added_files(
    ds: Dataset, states: dict[str, list[str]], before: Any
) -> dict[str, list[Location]] | None:
    """The files of each table that are new since `before` (an entry's table
    states), or None when the facts cannot be updated from that entry."""
    if not isinstance(before, dict) or set(before) != set(states):
        return None
    added: dict[str, list[Location]] = {}
    for table, now in states.items():
        was = set(before[table]) if isinstance(before[table], list) else None
        if was == set(now) or table not in ("customers", *AGGREGATED):
            continue
        if table not in MERGE_RULES or was is None or not was < set(now):
            return None
        added[table] = [p for p, s in zip(ds.sources[table], now, strict=True) if s not in was]
    return added


# ---------------------------------------------------------------- output cache


@functools.cache
def package_version() -> str:
    """A hash of every source file of the cxtui package (~2 ms, once per process)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def output_key(ds: Dataset) -> str:
    """The dataset state behind a command's finished output: the facts cache
    key's files, config, as_of and version, and the source of the whole package
    (a changed view definition or renderer changes the output as surely as a
    changed facts build). Not the facts' schema: building the facts plan for it
    takes longer than the rest of a warm report, and with the code unchanged
    the schema is unchanged."""
    return _key(ds, build.code_version() + package_version())


def _entry(key: str, parts: Sequence[str]) -> str:
    h = hashlib.sha256(key.encode())
    for part in parts:
        h.update(b"\0" + part.encode())
    return h.hexdigest()[:32]


def output_cache_path(ds: Dataset, cache_dir: Path | None, *parts: str) -> Path:
    """Where a command's finished output for this dataset state (`output_key`)
    is kept, with what shapes the output (`parts`)."""
    return (cache_dir or default_cache_dir()) / f"output-{_entry(output_key(ds), parts)}.txt"


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


KEEP_PANES = 200  # pane results kept per cache folder, the most recently written
KEEP_PANE_BYTES = 16 * 2**20  # larger results are not kept


def pane_cache_path(key: str, cache_dir: Path | None, view_id: str, *parts: str) -> Path:
    """Where a TUI pane's finished result is kept: `key` is the `output_key` of
    the dataset as it was opened (the state the pane's numbers come from, not
    the files' state when the pane finishes), then the view and what else
    shapes the result (`parts`: its options, --where)."""
    name = _entry(key, ("pane", view_id, *parts))
    return (cache_dir or default_cache_dir()) / f"pane-{name}.pickle"


def read_pane_cache(path: Path) -> Any | None:
    """A pane's kept result, or None (none kept, or unreadable: computed again).
    The file is one this user's cxtui wrote into its own cache folder."""
    import pickle

    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except Exception:  # none, or unreadable: only a lost speed-up
        return None


def write_pane_cache(path: Path, value: Any) -> bool:
    """Keep a pane's result (atomically); False when it cannot be pickled or
    written (the pane is then computed each time, as without a cache)."""
    import pickle

    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a result holding a function or a lock
        return False
    if len(data) > KEEP_PANE_BYTES:  # a long list (every customer): quick to redo
        return False
    try:
        write_atomic(path, lambda tmp: tmp.write_bytes(data))
    except OSError:
        return False
    _prune_panes(path.parent)
    return True


def _prune_panes(folder: Path) -> None:
    entries = []
    for entry in folder.glob("pane-*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((entry.stat().st_mtime_ns, entry))
    entries.sort(reverse=True)
    for _, old in entries[KEEP_PANES:]:
        with contextlib.suppress(OSError):
            old.unlink()


# ---------------------------------------------------------------- derived results


@dataclass
class Derived:
    """Results derived from an analysis's facts and tables (the CLV fit): each
    computed once per analysis (`get`) and, with a `folder`, kept on disk beside
    the facts cache (`derived_cache_path`). `folder` None: --no-cache."""

    folder: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)
    # one lock per result (reentrant: a result may need another), so two panes
    # asking for the same result at once compute it once, and different results
    # (the report's jobs) are computed side by side
    lock: threading.Lock = field(default_factory=threading.Lock)
    locks: dict[str, threading.RLock] = field(default_factory=dict)

    def take(self, name: str) -> Any:
        """Result `name` if one was put in `values`, removed from them (a side
        product used once, e.g. the facts pass's CLV order days); else None."""
        with self.lock:
            return self.values.pop(name, None)

    def get(self, name: str, compute: Callable[[], Any]) -> Any:
        """Result `name`, computed by `compute()` on first use (an error is not kept)."""
        if name in self.values:  # no wait for another result being computed
            return self.values[name]
        with self.lock:
            one = self.locks.setdefault(name, threading.RLock())
        with one:
            if name not in self.values:
                self.values[name] = compute()
            return self.values[name]


_DERIVED_KEY = "cxtui.derived"  # a derived file's metadata: what the frame does not hold


@functools.cache
def _derived_definitions(modules: tuple[str, ...]) -> str:
    return build.code_version() + build.sources_version(modules)


def derived_cache_path(
    ds: Dataset, cache_dir: Path | None, name: str, *parts: str, modules: Sequence[str] = ()
) -> Path:
    """Where result `name` derived from this dataset state is kept: the key of
    `output_cache_path` (input files, config, as_of, version, the build's code
    version) with the source of `modules` (the result's own code, so that a
    changed formula is a new entry), then `name` and `parts` (what else shapes
    the result, e.g. --where)."""
    h = hashlib.sha256(_key(ds, _derived_definitions(tuple(modules))).encode())
    for part in (name, *parts):
        h.update(b"\0" + part.encode())
    return (cache_dir or default_cache_dir()) / f"{name}-{h.hexdigest()[:32]}.parquet"


def read_derived(path: Path) -> tuple[pl.DataFrame, dict[str, Any]] | None:
    """A derived file's frame and metadata (`write_derived`), or None when there
    is none or it cannot be read (then the result is computed again)."""
    frame = _read_cache(path)
    if frame is None:
        return None
    try:
        meta = json.loads(pl.read_parquet_metadata(path)[_DERIVED_KEY])
    except (KeyError, TypeError, ValueError, OSError, pl.exceptions.PolarsError):
        return None
    if not isinstance(meta, dict):
        return None
    _touch(path)  # recently used: pruned last
    return frame, meta


def write_derived(path: Path, frame: pl.DataFrame, meta: dict[str, Any], root: str) -> None:
    """Write a derived result atomically in a thread (`finish_cache_writes` waits
    for it), then keep the KEEP_ENTRIES most recently used files of that name for
    the dataset folder `root`."""

    def write() -> None:
        metadata = {_DERIVED_KEY: json.dumps(meta), _ROOT_KEY: root}
        try:
            write_atomic(
                path,
                lambda tmp: frame.write_parquet(
                    tmp, compression="lz4", statistics=False, metadata=metadata
                ),
            )
        except (OSError, pl.exceptions.PolarsError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            _warn_unwritable(path.parent, "derived results", reason)
            return
        _touch(path)
        _prune_derived(path, root)

    writer = threading.Thread(target=write, name="cxtui-derived-write")
    writer.start()
    _writers.append(writer)


def _prune_derived(path: Path, root: str) -> None:
    name = path.name.rsplit("-", 1)[0]
    entries = []
    for other in path.parent.glob(f"{name}-*.parquet"):
        try:
            if pl.read_parquet_metadata(other).get(_ROOT_KEY) == root:
                entries.append((other.stat().st_mtime_ns, other))
        except Exception:  # unreadable or being replaced: not ours to judge
            continue
    entries.sort(reverse=True)
    for _, old in entries[KEEP_ENTRIES:]:
        with contextlib.suppress(OSError):
            old.unlink()

"""The analysis store (SPEC §12): what `cxtui build` writes, and opening one as
a dataset.

A store is a folder:

    manifest.json          format version, cxtui version, engine, as_of, the
                           config's settings and fingerprint, the inputs'
                           fingerprint, the source, the files and their rows
    facts.parquet          the per-customer facts (`cxtui.metrics.facts`)
    others.parquet         the sums of the ids that are not customers
    customers.parquet      the customers table the facts were built from
    agg-<table>.parquet    the per-id aggregates of orders, monthly, events and
                           feedback (the facts build's first step)
    table-<table>.parquet  the tables the views read row by row, in the form of
                           `cxtui.engine.compacted`

Each Parquet entry is a file or, written by Spark, a folder of part files.
This module is the format: the names, the manifest, the config's settings.
`open_dataset` opens a store (`cxtui.data.load.open_store`) as a `Dataset`
whose tables are the store's tables and whose facts are the store's, so every
command and the TUI run on it as on the dataset; account detail reads the one
customer's rows from the original source (`Dataset.account_rows`).
`cxtui.engine.store` writes stores.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
from pathlib import Path
from typing import Any

from cxtui.data.config import BinnedDimension, Config
from cxtui.errors import CxError

FORMAT = "cxtui analysis store"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FACTS = "facts.parquet"
OTHERS = "others.parquet"
CUSTOMERS = "customers.parquet"
WEIGHT = "__rows"  # the rows of a table a row of a store table stands for (engine.compacted)


def aggregate_name(table: str) -> str:
    return f"agg-{table}.parquet"


def table_name(table: str) -> str:
    return f"table-{table}.parquet"


def parquet_files(path: Path) -> list[Path]:
    """A store entry's files: the file itself, or a folder's part files in name
    order (Spark names them part-00000-…, part-00001-… in partition order)."""
    if path.is_dir():
        return sorted(path.glob("*.parquet"))
    return [path] if path.is_file() else []


def fingerprint(parts: list[str]) -> str:
    """A short hash of a list of texts (the inputs' states, a config's text)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:32]


# ---------------------------------------------------------------- the config


_NOT_SETTINGS = {"tables", "source", "storage"}  # the source's, and secrets


def config_settings(config: Config) -> dict[str, Any]:
    """The config's metric settings as JSON values: everything but where the
    tables are and the storage options (which may hold secrets)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.name in _NOT_SETTINGS:
            continue
        value = getattr(config, f.name)
        if f.name == "dimensions":
            value = {name: dataclasses.asdict(dim) for name, dim in value.items()}
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def config_from_settings(settings: dict[str, Any]) -> Config:
    """A Config with `config_settings`' values (keys this version does not know
    are left out; missing ones keep their defaults)."""
    defaults = Config()
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(Config):
        if f.name in _NOT_SETTINGS or f.name not in settings:
            continue
        value = settings[f.name]
        if f.name == "dimensions":
            value = {
                name: BinnedDimension(d["name"], d["column"], tuple(d["edges"]), tuple(d["labels"]))
                for name, d in value.items()
            }
        elif isinstance(getattr(defaults, f.name), tuple):
            value = tuple(value)
        kwargs[f.name] = value
    return Config(**kwargs)


# ---------------------------------------------------------------- the manifest


def is_store(path: str | Path) -> bool:
    """Whether `path` is a local folder holding a store's manifest."""
    if not isinstance(path, str | Path) or "://" in str(path):
        return False
    manifest = Path(path).expanduser() / MANIFEST
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def read_manifest(path: Path) -> dict[str, Any]:
    where = path / MANIFEST
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CxError(
            f"{where}: cannot read the store's manifest ({exc}); fix: rebuild with cxtui build"
        ) from None
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CxError(
            f"{path}: an analysis store of format {version!r}, newer than this cxtui reads "
            f"({FORMAT_VERSION}); fix: upgrade cxtui or rebuild the store with this version"
        )
    return manifest


def rebuild_command(path: Path, manifest: dict[str, Any], as_of: str | None = None) -> str:
    """The `cxtui build` that (re)builds the store at `path` (as of `as_of`,
    else as the manifest says)."""
    source = manifest["source"]
    parts = ["cxtui", "build", source["path"], "--out", str(path)]
    if source.get("config"):
        parts += ["--config", source["config"]]
    if as_of is not None or manifest.get("as_of_given"):
        parts += ["--as-of", as_of or manifest["as_of"]]
    return shlex.join(parts)

"""Collecting queries: the only place a LazyFrame is run (CLI and TUI alike),
so engine choices and the one-line message for a data error live here."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from cxtui.errors import CxError


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
    """Collect several queries in one run (shared scans); on an error, one by one
    for a precise message."""
    lfs = list(lfs)
    try:
        return pl.collect_all(lfs, engine=engine)
    except (pl.exceptions.PolarsError, OSError):
        return [collect(lf, engine) for lf in lfs]

"""Small helpers for the SPEC §10 metric tests: write tiny Parquet datasets in
tmp_path and run one metric function through the engine, as the views will."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from cxtui.engine import collect, open_analysis
from cxtui.metrics.scope import Scope

AS_OF = date(2025, 6, 30)  # 90d = (2025-04-01, 2025-06-30], 12m = (2024-06-30, 2025-06-30]

TYPES = {
    "customer_id": pl.String,
    "signup_date": pl.Date,
    "churn_date": pl.Date,
    "segment": pl.String,
    "plan": pl.String,
    "annual_revenue": pl.Float64,
    "is_active": pl.Boolean,
    "order_date": pl.Date,
    "amount": pl.Float64,
    "month": pl.Date,
    "mrr": pl.Float64,
    "nps": pl.Float64,
    "ts": pl.Date,
    "event_type": pl.String,
    "date": pl.Date,
    "score": pl.Float64,
}


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def table(**columns: list) -> pl.DataFrame:
    """A frame whose known columns get their canonical types (nulls included)."""
    return pl.DataFrame(columns, schema_overrides={k: v for k, v in TYPES.items() if k in columns})


def rows(names: str, *values: tuple) -> pl.DataFrame:
    """`rows("customer_id ts event_type", ("a", d, "x"), ...)`"""
    keys = names.split()
    return table(**{k: [v[i] for v in values] for i, k in enumerate(keys)})


def write(root: Path, config: str | None = None, **tables: pl.DataFrame) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.write_parquet(root / f"{name}.parquet")
    if config is not None:
        (root / "cxtui.toml").write_text(config, encoding="utf-8")
    return root


def scope_of(
    root: Path, where: str | None = None, as_of: date | None = AS_OF, config=None
) -> Scope:
    return open_analysis(root, config=config, as_of=as_of, where=where, use_cache=False).scope


def run(lf: pl.LazyFrame) -> list[dict]:
    return collect(lf).to_dicts()


def ids(lf: pl.LazyFrame) -> list[str]:
    return collect(lf)["customer_id"].to_list()

"""What every metric function receives: the dataset, the facts table and the
optional ``--where`` restriction."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from cxtui.data.load import Dataset


@dataclass(frozen=True)
class Scope:
    ds: Dataset
    facts: pl.LazyFrame  # already filtered by --where when one is given
    where: str | None = None

    @property
    def as_of(self):
        return self.ds.as_of

    @property
    def universe(self) -> pl.LazyFrame:
        """Customers with start ≤ as_of (docs/metrics.md "customer universe")."""
        return self.facts.filter(pl.col("in_universe"))

    def fact_columns(self) -> list[str]:
        return self.facts.collect_schema().names()

    def table(self, name: str) -> pl.LazyFrame:
        """A table up to as_of; with --where, only rows of the matching customers."""
        lf = self.ds.scan(name)
        if self.where is not None and "customer_id" in lf.collect_schema().names():
            lf = lf.join(self.facts.select("customer_id"), on="customer_id", how="semi")
        return lf


def null_col(name: str, dtype: pl.DataType = pl.Float64) -> pl.Expr:
    return pl.lit(None, dtype=dtype).alias(name)


def ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """Any ratio whose denominator is 0 or null is null (SPEC §6)."""
    return pl.when(den.is_not_null() & (den != 0)).then(num / den).otherwise(None)

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
    where: str | None
    others: pl.LazyFrame  # per-id sums of ids that are not customers (facts.other_ids)

    @property
    def as_of(self):
        return self.ds.as_of

    @property
    def universe(self) -> pl.LazyFrame:
        """Customers with start ≤ as_of (docs/metrics.md "customer universe")."""
        return self.facts.filter(pl.col("in_universe"))

    def fact_columns(self) -> list[str]:
        return self.facts.collect_schema().names()

    def id_sums(self, columns: list[str]) -> pl.LazyFrame:
        """Per-id sums (facts columns such as revenue_12m, mrr) of every id whose
        rows count: the customers in scope and, with no --where, also the ids that
        are not customers (SPEC §6). The same numbers as summing the table's rows."""
        lf = self.facts.select("customer_id", *columns)
        if self.where is None:
            lf = pl.concat(
                [lf, self.others.select("customer_id", *columns)], how="vertical_relaxed"
            )
        return lf

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

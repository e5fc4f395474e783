"""An open analysis: a dataset with its facts, and the --where filter over them.
CLI commands and TUI screens all start from `open_analysis` / `analysis_of`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from cxtui.data.load import Dataset, open_dataset
from cxtui.engine.cache import Derived, build_facts, default_cache_dir
from cxtui.errors import CxError
from cxtui.metrics.scope import Scope


@dataclass
class Analysis:
    """An opened dataset with its facts; what the CLI commands and TUI screens use."""

    ds: Dataset
    facts: pl.DataFrame  # all customers, unfiltered
    others: pl.DataFrame  # sums of the ids that are not customers (facts.other_ids)
    where: str | None = None
    from_cache: bool = False
    _ranked: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)
    # results computed once per analysis and cached beside the facts (the CLV fit)
    derived: Derived = field(default_factory=Derived, repr=False)

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
    """Open the dataset at `data` and its analysis (see `analysis_of`); the
    probe and facts caches live in `cache_dir` (default: `default_cache_dir`)."""
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
    folder = (cache_dir or default_cache_dir()) if use_cache else None
    analysis = Analysis(ds, facts, others, where, from_cache, derived=Derived(folder))
    if where:
        where_expr(where, facts.schema)  # fail early with a clear message
    return analysis

"""An open analysis: a dataset with its facts, and the --where filter over them.
CLI commands and TUI screens all start from `open_analysis` / `analysis_of`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from cxtui.data.load import Dataset, open_dataset
from cxtui.engine.cache import Derived, build_facts, default_cache_dir
from cxtui.engine.collect import collect
from cxtui.errors import CxError
from cxtui.metrics.scope import Scope

if TYPE_CHECKING:
    import numpy as np

ROW = "__facts_row"  # a facts row's number, while an account list is found


@dataclass(frozen=True)
class Ranking:
    """The facts ranked one way: each facts row's place in that order, and the
    columns of an account list in it."""

    place: np.ndarray  # facts row number -> its place in the ranking
    columns: pl.DataFrame  # the list's columns, rows in ranking order


@dataclass
class Analysis:
    """An opened dataset with its facts; what the CLI commands and TUI screens use."""

    ds: Dataset
    facts: pl.DataFrame  # all customers, unfiltered
    others: pl.DataFrame  # sums of the ids that are not customers (facts.other_ids)
    where: str | None = None
    from_cache: bool = False
    _rankings: dict[tuple[str, tuple[str, ...]], Ranking] = field(default_factory=dict, repr=False)
    # results computed once per analysis and cached beside the facts (the CLV fit)
    derived: Derived = field(default_factory=Derived, repr=False)

    def ranking(self, by: str, columns: Sequence[str]) -> Ranking:
        """The facts ranked by `by` (desc, nulls last), then customer_id (by
        customer_id alone when there is no `by` column), with `columns` (those
        the facts have) in that order: ranked once, so that an account list is a
        filter of these few columns (a drill-down on a 900,000-customer segment
        then needs no sort of its own). Only the columns are copied, not every
        facts column (the TUI's memory on M)."""
        import numpy as np

        columns = tuple(c for c in columns if c in self.facts.columns)
        key = (by, columns)
        if key not in self._rankings:
            keys = [by, "customer_id"] if by in self.facts.columns else ["customer_id"]
            order = self.facts.select(
                pl.arg_sort_by(
                    keys,
                    descending=[True, False][-len(keys) :],
                    nulls_last=True,
                    maintain_order=True,
                )
            ).to_series()
            place = np.empty(self.facts.height, dtype=np.int64)
            place[order.to_numpy()] = np.arange(self.facts.height)
            self._rankings[key] = Ranking(
                place, self.facts.select(pl.col(list(columns)).gather(order))
            )
        return self._rankings[key]

    def ranked_members(
        self, members: Callable[[Scope], pl.LazyFrame], by: str, columns: Sequence[str]
    ) -> pl.DataFrame:
        """An account list: the facts rows `members(scope)` keeps (a metric's
        members query: a filter of the universe's rows, whatever columns it
        adds), with `columns`, in `ranking(by, columns)`'s order."""
        import numpy as np

        ranking = self.ranking(by, columns)
        scope = self.scope_over(self.facts.with_row_index(ROW))
        rows = collect(members(scope).select(ROW))
        keep = np.zeros(self.facts.height, dtype=bool)
        keep[ranking.place[rows[ROW].to_numpy()]] = True
        return ranking.columns.filter(pl.Series(keep))

    def scope_over(self, facts: pl.DataFrame) -> Scope:
        """A scope over `facts` (the facts, or a re-ordering of them)."""
        lf = facts.lazy()
        if self.where:
            lf = lf.filter(where_expr(self.where, facts.schema))
        return Scope(self.ds, lf, self.where, self.others.lazy())

    @property
    def scope(self) -> Scope:
        return self.scope_over(self.facts)


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
    for_clv: bool = False,
) -> Analysis:
    """An opened dataset's analysis (the facts are the slow part: the TUI runs
    this in a worker after opening the dataset up front for clear errors).
    `background`: see `build_facts`. `for_clv`: the caller will fit the CLV
    (`report`, `clv`, `account`): a facts build then also keeps the CLV's order
    days from its pass over the orders when it can (`build_facts`' `side`)."""
    folder = (cache_dir or default_cache_dir()) if use_cache else None
    derived = Derived(folder)
    # the build's side product goes straight into the analysis's derived results
    side = derived.values if for_clv else None
    facts, others, from_cache = build_facts(ds, cache_dir, use_cache, background, side)
    analysis = Analysis(ds, facts, others, where, from_cache, derived=derived)
    if where:
        where_expr(where, facts.schema)  # fail early with a clear message
    return analysis

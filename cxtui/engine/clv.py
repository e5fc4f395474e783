"""An analysis's CLV result (SPEC §8 "Predictive CLV"): the summary collected,
both models fitted and every customer's prediction, computed once per analysis
(`Analysis.derived`) and shared by the clv view, acquisition's orders-only LTV,
`top --by clv_12m` and account detail.

The predictions and the fit are kept on disk beside the facts cache (the key of
the output cache, the CLV code and --where: `cache.derived_cache_path`), so a
warm `cxtui clv` reads one file instead of scanning the orders and fitting
again. scipy (`cxtui.metrics.clv`) is imported only to fit or to discount.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from cxtui.engine.cache import ORDER_DAYS, derived_cache_path, read_derived, write_derived
from cxtui.engine.collect import collect
from cxtui.errors import CxError

if TYPE_CHECKING:
    from cxtui.data.load import Dataset
    from cxtui.engine.analysis import Analysis
    from cxtui.metrics.clv import ClvFit, ModelFit
    from cxtui.metrics.scope import Scope

CACHE_NAME = "clv"
# the code that defines the result: a change to either is a new cache entry
MODULES = ("cxtui.metrics.clv", __name__)
# metrics.clv.PARAMETER_KEYS, here so that a cached result needs no scipy
PARAMETER_KEYS = ("r", "alpha", "a", "b", "p", "q", "v", "customers_fitted")


@dataclass(frozen=True)
class ClvResult:
    """`predictions`: metrics.clv.PREDICTION_COLUMNS, one row per customer of the
    scope with an orders row up to as_of, in customer_id order (undiscounted
    clv_12m); `parameters`:
    PARAMETER_KEYS (null when a model is not fitted); `notes`: why a model has no
    fit, or the q ≤ 1 rule; `state`: the fit as plain data (`fit()` rebuilds it)."""

    predictions: pl.DataFrame
    parameters: dict[str, float | int | None]
    notes: tuple[str, ...]
    state: dict[str, Any]

    def fit(self) -> ClvFit:
        from cxtui.metrics.clv import ClvFit

        s = self.state
        return ClvFit(
            _model(s["bgnbd"]), _model(s["gamma_gamma"]), s["zero_repeat_aov"], tuple(s["notes"])
        )

    def discounted(self, discount: float | None) -> pl.DataFrame:
        """The predictions with clv_12m discounted at the annual rate `discount`
        (SPEC §8 `--discount`; None or 0: as fitted)."""
        if discount is None:
            return self.predictions
        from cxtui.metrics.clv import SUMMARY_COLUMNS, clv_predictions

        summary = self.predictions.select(SUMMARY_COLUMNS)
        return clv_predictions(summary, self.fit(), discount)  # checks the rate


def _facts_pass_days(analysis: Analysis) -> pl.DataFrame | None:
    """The order days the facts build kept from its pass over the orders (every
    id's: `analysis_of(for_clv=True)`), of the scope's universe; None when it
    kept none (the facts came from the cache, or the orders are not in order)."""
    from cxtui.metrics import clv

    days = analysis.derived.take(ORDER_DAYS)
    if days is None:
        return None
    return collect(clv.of_universe(analysis.scope, days.lazy()), engine="in-memory")


def _ordered_order_days(scope: Scope) -> pl.DataFrame | None:
    """The order days with the first day's sum from one pass, when the orders are
    in (customer_id, order_date) order (as the demo's and exports sorted by
    customer are): the first rows are looked at, then the pass checks every
    row. None when they are not (then `clv_summary` joins the first days), or
    with --where (a semi-join need not keep the rows' order)."""
    from cxtui.metrics import clv

    if scope.where is not None or not collect(clv.orders_look_ordered(scope)).item():
        return None
    days = collect(clv.clv_order_days(scope, ordered=True))
    if days["_unordered"].sum():
        return None
    return collect(clv.of_universe(scope, days.lazy()), engine="in-memory")


def _model(state: dict[str, Any]) -> ModelFit:
    from cxtui.metrics.clv import ModelFit

    return ModelFit(
        state["params"], state["customers"], state["loglik"], state["iterations"], state["note"]
    )


def _state(fit: ClvFit) -> dict[str, Any]:
    def model(m: ModelFit) -> dict[str, Any]:
        return {
            "params": m.params,
            "customers": m.customers,
            "loglik": m.loglik,
            "iterations": m.iterations,
            "note": m.note,
        }

    return {
        "bgnbd": model(fit.bgnbd),
        "gamma_gamma": model(fit.gamma_gamma),
        "zero_repeat_aov": fit.zero_repeat_aov,
        "notes": list(fit.notes),
    }


def preload_models(ds: Dataset) -> None:
    """With an orders table: import the models' code (scipy, ~1 s of Python) in a
    thread now, so that it runs while the facts are built (polars leaves the
    interpreter free) instead of after them; for the commands that fit."""
    if ds.has("orders"):
        import importlib
        import threading

        threading.Thread(
            target=importlib.import_module, args=("cxtui.metrics.clv",), daemon=True
        ).start()


def needs_orders(what: str) -> CxError:
    return CxError(
        f"{what}: needs an orders table (predictive CLV is fitted on the orders); fix: "
        "add orders.parquet with customer_id, order_date and amount, or map yours in "
        "cxtui.toml under [tables.orders]",
        table="orders",
    )


def clv_ranked(analysis: Analysis, discount: float | None = None) -> pl.DataFrame:
    """Every customer with a prediction, ranked (`metrics.clv_tables.ranked`,
    with name and revenue_12m): computed once per analysis for the undiscounted
    predictions (the pane, its deciles and their drill-downs), each time with a
    `discount`."""
    from cxtui.metrics.clv_tables import ranked

    def rank() -> pl.DataFrame:
        predictions = clv_result(analysis).discounted(discount).lazy()
        return collect(ranked(analysis.scope, predictions), engine="in-memory")

    if discount is not None:
        return rank()
    return analysis.derived.get(f"{CACHE_NAME}-ranked", rank)


def clv_result(analysis: Analysis, what: str = "clv") -> ClvResult:
    """The analysis's CLV result, fitted once (then from memory, or from the disk
    cache unless --no-cache). Without an orders table: a CxError naming it for
    `what` (the command or column that asked)."""
    if not analysis.ds.has("orders"):
        raise needs_orders(what)
    return analysis.derived.get(CACHE_NAME, lambda: _load_or_fit(analysis))


def _load_or_fit(analysis: Analysis) -> ClvResult:
    ds, folder = analysis.ds, analysis.derived.folder
    path = None
    if folder is not None:
        path = derived_cache_path(ds, folder, CACHE_NAME, analysis.where or "", modules=MODULES)
        found = read_derived(path)
        if found is not None:
            frame, meta = found
            frame = frame.with_columns(pl.col("customer_id").set_sorted())  # written sorted
            try:
                return ClvResult(frame, meta["parameters"], tuple(meta["notes"]), meta["fit"])
            except KeyError:
                pass  # another version's file: fit again
    from cxtui.metrics import clv

    # in customer_id order: predictions keep the summary's order, and ranking
    # them then sorts one float key (`clv_tables.rank_order`)
    scope = analysis.scope
    days = _facts_pass_days(analysis)
    if days is None:
        days = _ordered_order_days(scope)
    if days is None:
        # two collects: the order days first, then the first days' rows joined to
        # them, so that the orders are not read by both steps at once (memory)
        days = collect(clv.clv_order_days(scope))
    summary = collect(clv.clv_summary(scope, days.lazy()).sort("customer_id"))
    del days
    fit = clv.fit_clv(summary)
    predictions = clv.clv_predictions(summary, fit)
    result = ClvResult(predictions, fit.parameters(), fit.notes, _state(fit))
    if path is not None:
        meta = {"parameters": result.parameters, "notes": list(result.notes), "fit": result.state}
        write_derived(path, predictions, meta, str(ds.root.resolve()))
    return result

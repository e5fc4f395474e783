"""SPEC §8 "Predictive CLV": the BG/NBD model (Fader, Hardie & Lee 2005, "Counting
your customers the easy way") for the number of future orders and the Gamma-Gamma
model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves") for their
value, fitted by maximum likelihood on the dataset's own orders up to as_of, in days.

Three steps, so that only the engine collects:
1. `clv_summary(scope)` builds the per-customer (x, t_x, T, monetary) LazyFrame
   (`clv_order_days` its first step, which the engine may collect on its own);
2. `fit_clv(summary)` fits both models on the collected summary (numpy / scipy);
3. `clv_predictions(summary, fit)` gives p_alive, expected_orders_365d,
   expected_aov and clv_12m per customer, keyed by customer_id.

Notation (days): x = distinct order days − 1, t_x = days from the first to the
last order day, T = days from the first order day to as_of, monetary = mean of
the per-day order sums of the repeat days (every day but the first).

Both likelihoods are maximised in log-parameter space with analytic gradients,
summed over customers grouped by identical (x, t_x, T) (BG/NBD) or (x, monetary)
(Gamma-Gamma) with the group sizes as weights: L-BFGS-B from moment-based start
values, then Newton steps on a Hessian differenced from the analytic gradient,
so that the maximum is found to ~1e-10 in the log parameters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy import optimize, special

from cxtui.errors import CxError
from cxtui.metrics import order_days as ordered_pass
from cxtui.metrics.scope import Scope

HORIZON_DAYS = 365  # clv_12m and expected_orders_365d: SPEC §1's 12m = 365 days
MONTHS_PER_YEAR = 12

# Log-parameter bounds: e^±25 ≈ 1.4e-11 … 7.2e10 covers any rate in days and any
# currency unit; a maximum on a bound means the likelihood has no finite maximum.
LOG_BOUND = 25.0
# Converged when the last Newton step moved no log parameter by more than this
# (≈ the relative error left in each parameter).
STEP_TOLERANCE = 1e-7
SERIES_TERMS = 20_000  # see _dropout_factor
RUNAWAY = 12.0  # |log parameter| beyond which a failed fit names it as running away

SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "age", "monetary")
PREDICTION_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "age",
    "monetary",
    "p_alive",
    "expected_orders_365d",
    "expected_aov",
    "clv_12m",
)
PARAMETER_KEYS = ("r", "alpha", "a", "b", "p", "q", "v", "customers_fitted")


# ---------------------------------------------------------------- the summary (polars)


def orders_look_ordered(scope: Scope) -> pl.LazyFrame:
    """One row, `ordered`: are the first ORDER_SAMPLE orders rows up to as_of in
    (customer_id, order_date) order (`order_days.look_ordered`)? When they are,
    `clv_order_days(scope, ordered=True)` is worth trying."""
    return ordered_pass.look_ordered(scope.table("orders"))


def clv_order_days(scope: Scope, ordered: bool = False) -> pl.LazyFrame:
    """Per customer of the scope's universe with an orders row up to as_of:
    `frequency` (distinct order days − 1), the first and last order day and the
    total amount (`_first`, `_last`, `_total`): one pass over the orders, the
    first step of `clv_summary`.

    `ordered`: the rows are taken to be in (customer_id, order_date) order, and
    the same pass also gives the first day's sum (`_first_day`) from the rows
    side by side: a day starts where the id or the date changes, and the first
    day's rows are those of the id's first such run. `_unordered` counts the
    rows that break the order; when the column's total is not 0 the result is
    wrong and the caller falls back to `ordered=False`. Then every id of the
    orders is kept, so that a break in the rows of an id that is not a customer
    counts too (`of_universe` keeps the customers')."""
    date = pl.col("order_date")
    aggs = [
        date.min().alias("_first"),
        date.max().alias("_last"),
        pl.col("amount").sum().cast(pl.Float64).alias("_total"),
    ]
    orders = scope.table("orders")
    if ordered:
        orders = ordered_pass.with_day_flags(orders.select("customer_id", "order_date", "amount"))
        aggs = [*aggs, *ordered_pass.day_aggregates()]
    else:
        aggs = [(date.n_unique() - 1).cast(pl.Int64).alias("frequency"), *aggs]
    days = orders.group_by("customer_id").agg(aggs)
    # grouped first, then the groups of the universe kept: one id lookup per
    # customer instead of one per orders row
    return days if ordered else of_universe(scope, days)


def of_universe(scope: Scope, days: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of `days` (per customer_id) of the scope's universe."""
    return days.join(scope.universe.select("customer_id"), on="customer_id", how="semi")


def clv_summary(scope: Scope, order_days: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per customer of the scope's universe with at least one orders row
    up to as_of: `frequency` (x), `recency` (t_x), `age` (T), all in days, and
    `monetary` (the mean per-day order sum of the repeat days; null when x = 0).
    `order_days`: `clv_order_days(scope)`, when already collected.

    Every orders row is an order (SPEC §2): refunds and rows without an amount
    make order days; a day's amount is the sum of its rows (a missing amount
    adds 0). Ids that are not customers are left out (SPEC §6: they count only
    in the revenue and mrr totals); with --where only the matching customers.

    The first day's sum comes from its rows alone (a join on the customer and
    that day), and monetary = (total − first day's sum) ÷ x: cheaper in time
    and memory than grouping every (customer, day) pair, nearly as many as the
    rows.
    """
    days = clv_order_days(scope) if order_days is None else order_days
    if "_first_day" in days.collect_schema().names():  # the ordered pass gave it
        first_day = days.select("customer_id", "_first_day")
        days = days.drop("_first_day", "_unordered", strict=False)
    else:
        first_day = (
            scope.table("orders")
            .join(
                days.select("customer_id", pl.col("_first").alias("order_date")),
                on=["customer_id", "order_date"],
                how="inner",
            )
            .group_by("customer_id")
            .agg(pl.col("amount").sum().cast(pl.Float64).alias("_first_day"))
        )
    x = pl.col("frequency")
    return days.join(first_day, on="customer_id", how="left").select(
        "customer_id",
        "frequency",
        (pl.col("_last") - pl.col("_first")).dt.total_days().cast(pl.Int64).alias("recency"),
        (pl.lit(scope.as_of) - pl.col("_first")).dt.total_days().cast(pl.Int64).alias("age"),
        pl.when(x > 0)
        .then((pl.col("_total") - pl.col("_first_day")) / x)
        .otherwise(None)
        .alias("monetary"),
    )


# ---------------------------------------------------------------- fitted parameters


@dataclass(frozen=True)
class ModelFit:
    """One model's maximum-likelihood fit. `params` is None when there is no
    finite maximum to report (`note` says why)."""

    params: dict[str, float] | None
    customers: int  # customers whose data entered the likelihood
    loglik: float | None = None  # at the maximum, summed over customers
    iterations: int = 0
    note: str | None = None

    @property
    def converged(self) -> bool:
        return self.params is not None


@dataclass(frozen=True)
class ClvFit:
    """Both models fitted on one summary, with the notes a view shows."""

    bgnbd: ModelFit
    gamma_gamma: ModelFit
    # expected_aov of customers with x = 0: p·v ÷ (q − 1), or when q ≤ 1 the mean
    # monetary value of the Gamma-Gamma customers (SPEC §8); None without a fit
    zero_repeat_aov: float | None
    notes: tuple[str, ...] = field(default=())

    def parameters(self) -> dict[str, float | int | None]:
        """r, alpha, a, b, p, q, v (null when not fitted) and customers_fitted
        (the customers in the BG/NBD fit: every customer with an order day)."""
        out: dict[str, float | int | None] = dict.fromkeys(PARAMETER_KEYS[:-1])
        for model in (self.bgnbd, self.gamma_gamma):
            if model.params is not None:
                out.update(model.params)
        out["customers_fitted"] = self.bgnbd.customers
        return out


# ---------------------------------------------------------------- grouping


def _grouped(columns: list[np.ndarray], weights: np.ndarray | None):
    """The distinct rows of `columns` in lexicographic order, the summed weight of
    each and, for every input row, the index of its distinct row."""
    n = len(columns[0])
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if n == 0:
        return [c[:0] for c in columns], w[:0], np.zeros(0, dtype=np.intp)
    packed = _packed(columns)
    # rows in order, by one int64 key per row when the values allow (one sort)
    # or by a lexsort of the columns; a row is new where any sorted key changes
    if packed is not None:
        key, spans = packed
        order = np.argsort(key, kind="stable")
        keys = [key[order]]
    else:
        order = np.lexsort(columns[::-1])
        keys = [c[order] for c in columns]
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for c in keys:
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    if packed is not None:
        distinct = _unpacked(keys[0][starts], spans)
    else:
        distinct = [c[starts] for c in keys]
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return distinct, np.add.reduceat(w[order], starts), inverse


PACKED_LIMIT = 2**62  # the product of the columns' spans that still fits an int64 key


def _packed(columns: list[np.ndarray]) -> tuple[np.ndarray, list[int]] | None:
    """When every column holds whole numbers ≥ 0 (days, counts) whose spans
    multiply below PACKED_LIMIT: one int64 per row that sorts as the rows do
    lexicographically (Σ value × the spans of the columns after it), with the
    spans; else None (then `_grouped` lexsorts)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    spans, total = [], 1
    for c in columns:
        if not (np.all(c >= 0) and np.all(np.floor(c) == c)):  # NaN fails both
            return None
        span = int(c.max()) + 1
        total *= span
        if total >= PACKED_LIMIT:
            return None
        key *= span
        key += c.astype(np.int64)
        spans.append(span)
    return key, spans


def _unpacked(keys: np.ndarray, spans: list[int]) -> list[np.ndarray]:
    """`_packed`'s columns (as float64) from its keys."""
    out = []
    for span in reversed(spans):
        out.append((keys % span).astype(np.float64))
        keys = keys // span
    return out[::-1]


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Σ a·b without BLAS: its threads cost far more than the sum on a busy
    machine (7× for the Gamma-Gamma likelihood on 20,000 customers)."""
    return float(np.einsum("i,i->", a, b))


def _as_float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------- BG/NBD likelihood


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values and each value's index among them (int32: less to read)."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.astype(np.int32)


class _BgNbdData:
    """(x, t_x, T) groups with their weights, reduced for the likelihood: terms in
    x alone are summed over the distinct x values, terms in T alone over the
    distinct T values, and only the repeat buyers' mixing term is evaluated per
    group, from logs looked up in tables of the distinct t_x and T values."""

    def __init__(self, x, t_x, T, weights=None) -> None:
        (gx, gtx, gT), w, _ = _grouped([_as_float(x), _as_float(t_x), _as_float(T)], weights)
        self.n = float(w.sum())
        self.x_sum = float(w @ gx)
        self.T_sum = float(w @ gT)
        self.xu, ix = _distinct(gx)
        self.nx = np.bincount(ix, weights=w, minlength=len(self.xu))
        self.Tu, iT = _distinct(gT)
        self.nT = np.bincount(iT, weights=w, minlength=len(self.Tu))  # Σ w by T
        self.nxT = np.bincount(iT, weights=w * gx, minlength=len(self.Tu))  # Σ w·x by T
        rep = gx > 0
        self.repeat = float(w[rep].sum())
        self.tu, itx = _distinct(gtx[rep])
        self.x, self.w = gx[rep], w[rep]  # the repeat buyers' groups
        self.ix, self.iT, self.itx = ix[rep], iT[rep], itx

    def negloglik(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood over customers and its gradient in
        θ = log(r, α, a, b). Per customer (FHL 2005, eq. 6):
        ℓ = A1 + A2 + A3 + δ(x>0) log(1 + e^u), with
        A1 = lnΓ(r+x) − lnΓ(r) + r ln α,  A2 = ln B(a, b+x) − ln B(a, b),
        A3 = −(r+x) ln(α+T),  u = ln a − ln(b+x−1) + (r+x) ln((α+T)/(α+t_x))
        (e^A3 + e^A4 = e^A3 (1 + e^u))."""
        r, alpha, a, b = np.exp(theta)
        xu, nx, n = self.xu, self.nx, self.n
        log_alpha = np.log(alpha)
        ll = nx @ (
            special.gammaln(r + xu) + special.gammaln(b + xu) - special.gammaln(a + b + xu)
        ) + n * (r * log_alpha - special.gammaln(r) + special.gammaln(a + b) - special.gammaln(b))
        d_r = nx @ special.digamma(r + xu) + n * (log_alpha - special.digamma(r))
        d_alpha = n * r / alpha
        d_a = n * special.digamma(a + b) - nx @ special.digamma(a + b + xu)
        d_b = d_a + nx @ special.digamma(b + xu) - n * special.digamma(b)
        # A3 over the distinct T values: Σ w (r + x) ln(α+T)
        log_T = np.log(alpha + self.Tu)
        inv_T = 1 / (alpha + self.Tu)
        weight_T = r * self.nT + self.nxT
        ll -= weight_T @ log_T
        d_r -= self.nT @ log_T
        d_alpha -= weight_T @ inv_T
        if len(self.x):
            log_t = np.log(alpha + self.tu)
            inv_t = 1 / (alpha + self.tu)
            log_b = np.log(b + xu - 1, where=xu > 0, out=np.zeros_like(xu))
            inv_b = np.divide(1, b + xu - 1, where=xu > 0, out=np.zeros_like(xu))
            rx = r + self.x
            gap = log_T[self.iT] - log_t[self.itx]  # ln((α+T)/(α+t_x)) ≥ 0
            u = np.log(a) - log_b[self.ix] + rx * gap
            # log(1 + e^u) and e^u ÷ (1 + e^u); beyond u = 35 the first is u to
            # double precision (np.logaddexp is several times slower)
            eu = np.exp(np.minimum(u, 35.0))
            ll += _dot(self.w, np.log1p(eu) + np.maximum(u - 35.0, 0.0))
            ws = self.w * (eu / (1 + eu))  # weight × the share of the dropout term
            d_r += _dot(ws, gap)
            d_alpha += _dot(ws * rx, inv_T[self.iT] - inv_t[self.itx])
            d_a += ws.sum() / a
            d_b -= _dot(ws, inv_b[self.ix])
        grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
        return -ll / n, -grad / n

    def starts(self) -> list[np.ndarray]:
        """r with α from the purchase rate r/α ≈ Σx ÷ ΣT; r = a = b = 1, then a
        heterogeneous start r = 0.5, a = 0.5, b = 2 (the CDNOW scale)."""
        days = self.T_sum / self.x_sum if self.x_sum > 0 and self.T_sum > 0 else 1.0
        return [np.log([1.0, days, 1.0, 1.0]), np.log([0.5, days / 2, 0.5, 2.0])]


# ---------------------------------------------------------------- Gamma-Gamma likelihood


class _GammaGammaData:
    """(x, monetary) groups of the customers with x ≥ 1 and monetary > 0; terms in
    x alone are summed over the distinct x values."""

    def __init__(self, x, monetary, weights=None) -> None:
        (gx, gm), w, _ = _grouped([_as_float(x), _as_float(monetary)], weights)
        self.n = float(w.sum())
        self.rows = len(w)
        self.m_sum = float(w @ gm)
        self.xu, ix = _distinct(gx)
        self.nx = np.bincount(ix, weights=w, minlength=len(self.xu))
        self.xm = gx * gm  # the customer's total spend over the repeat days
        self.w, self.wx = w, w * gx
        log_xm = np.log(self.xm)
        self.wx_log_xm = float(self.wx @ log_xm)
        self.w_log_m = float(w @ np.log(gm))

    def negloglik(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood and its gradient in θ = log(p, q, v). The
        mean m of x spends, each Gamma(p, ν), with ν ~ Gamma(q, v) (FHL 2005, RFM):
        ℓ = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln v + px ln(xm) − (px+q) ln(v+xm) − ln m."""
        p, q, v = np.exp(theta)
        xu, nx, n = self.xu, self.nx, self.n
        pxq = p * xu + q
        log_v = np.log(v)
        log_s = np.log(v + self.xm)
        inv_s = 1 / (v + self.xm)
        wx_log_s = _dot(self.wx, log_s)
        w_log_s = _dot(self.w, log_s)
        ll = (
            nx @ (special.gammaln(pxq) - special.gammaln(p * xu))
            - n * special.gammaln(q)
            + n * q * log_v
            + p * (self.wx_log_xm - wx_log_s)
            - q * w_log_s
            - self.w_log_m
        )
        psi = special.digamma(pxq)
        d_p = (nx * xu) @ (psi - special.digamma(p * xu)) + self.wx_log_xm - wx_log_s
        d_q = nx @ psi - n * special.digamma(q) + n * log_v - w_log_s
        d_v = n * q / v - p * _dot(self.wx, inv_s) - q * _dot(self.w, inv_s)
        grad = np.array([d_p * p, d_q * q, d_v * v])
        return -ll / n, -grad / n

    def starts(self) -> list[np.ndarray]:
        """p = 1, q = 2, v = the mean monetary value (then p·v ÷ (q−1) is it); then
        p = 5, q = 4, v = 0.6 × the mean (the CDNOW shape, the same mean)."""
        mean = self.m_sum / self.n
        return [np.log([1.0, 2.0, mean]), np.log([5.0, 4.0, 0.6 * mean])]


# ---------------------------------------------------------------- maximisation


Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _hessian(fun: Objective, theta: np.ndarray, grad: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Forward differences of the analytic gradient, symmetrised (Newton steps
    need only its rough shape: the fixed point is where the gradient is 0)."""
    k = len(theta)
    hess = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = h
        hess[:, i] = (fun(theta + step)[1] - grad) / h
    return (hess + hess.T) / 2


def _newton(fun: Objective, theta: np.ndarray, max_steps: int = 20):
    """Newton steps with backtracking from a point near the maximum. Returns the
    point, the size of the last full Newton step (max |Δθ|; inf when the Hessian
    is not positive definite) and the number of steps taken. Stops once a step is
    below 1e-9 or the likelihood cannot be raised any more in floating point."""
    value, grad = fun(theta)
    last = np.inf
    for step_no in range(1, max_steps + 1):
        try:
            chol = np.linalg.cholesky(_hessian(fun, theta, grad))
        except np.linalg.LinAlgError:
            return theta, np.inf, step_no
        step = -np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
        last = float(np.max(np.abs(step)))
        if not np.isfinite(last):
            return theta, np.inf, step_no
        if last < 1e-9:
            return theta, last, step_no
        slope = float(grad @ step)
        for halvings in range(12):
            t = 0.5**halvings
            candidate = np.clip(theta + t * step, -LOG_BOUND, LOG_BOUND)
            c_value, c_grad = fun(candidate)
            if not np.isfinite(c_value):
                continue
            # near the maximum the likelihood's rounding (~1e-14) exceeds its
            # change: a step that halves the gradient is then taken as well
            if c_value <= value + 1e-4 * t * slope or np.abs(c_grad).max() < np.abs(grad).max() / 2:
                break
        else:  # no decrease along the Newton direction: the limit of precision
            return theta, last, step_no
        theta, value, grad = candidate, c_value, c_grad
    return theta, last, max_steps


def _maximise(
    fun: Objective, starts: list[np.ndarray], names: tuple[str, ...], n: float, label: str
):
    """The maximum likelihood fit of one model from the first start that reaches
    one (the next start only when a start fails); a note instead when none does."""
    note, iterations = "", 0
    for start in starts:
        result, used, note = _maximise_from(fun, start, names, n, label)
        iterations += used
        if result is not None:
            return result, iterations, None
    return None, iterations, note


def _maximise_from(fun: Objective, start: np.ndarray, names: tuple[str, ...], n: float, label: str):
    with np.errstate(all="ignore"):
        first = optimize.minimize(
            fun,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
            options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-10},
        )
        theta, last_step, steps = _newton(fun, np.asarray(first.x, dtype=np.float64))
        value, _ = fun(theta)
    iterations = int(first.nit) + steps
    # no finite maximum: a parameter on its bound, or stopped where the likelihood
    # is not concave (it still rises as parameters run off towards 0 or ∞)
    if not np.isfinite(value) or np.isinf(last_step) or (np.abs(theta) >= LOG_BOUND - 1e-3).any():
        ran = ", ".join(
            f"{name} → {'∞' if t > 0 else '0'}"
            for name, t in zip(names, theta, strict=True)
            if abs(t) >= RUNAWAY
        )
        detail = f" ({ran})" if ran else ""
        return None, iterations, f"{label} fit has no finite maximum{detail}"
    if last_step > STEP_TOLERANCE:
        return None, iterations, f"{label} fit did not converge after {iterations} iterations"
    params = dict(zip(names, (float(v) for v in np.exp(theta)), strict=True))
    return (params, float(-value * n)), iterations, None


def fit_bgnbd(x, t_x, T, weights=None) -> ModelFit:
    """Fit BG/NBD on per-customer frequency x, recency t_x and age T (any one time
    unit; weights optional, e.g. counts of identical customers). Needs at least
    one repeat buyer (x ≥ 1)."""
    data = _BgNbdData(x, t_x, T, weights)
    customers = round(data.n)
    if customers == 0:
        return ModelFit(None, 0, note="BG/NBD not fitted: no customer has an order")
    repeat = data.repeat
    if repeat == 0:
        return ModelFit(
            None,
            customers,
            note="BG/NBD not fitted: no repeat buyers (every customer ordered on one day only)",
        )
    result, iterations, note = _maximise(
        data.negloglik, data.starts(), ("r", "alpha", "a", "b"), data.n, "BG/NBD"
    )
    if result is None:
        note = f"{note}; {round(repeat)} repeat buyers of {customers} customers"
        return ModelFit(None, customers, iterations=iterations, note=note)
    params, loglik = result
    return ModelFit(params, customers, loglik, iterations)


def fit_gamma_gamma(x, monetary, weights=None) -> ModelFit:
    """Fit Gamma-Gamma on customers with x ≥ 1 and monetary > 0 (others given are
    left out, as SPEC §8 says). Needs at least two distinct (x, monetary) rows."""
    x, m = _as_float(x), _as_float(monetary)
    keep = (x >= 1) & np.isfinite(m) & (m > 0)
    w = None if weights is None else _as_float(weights)[keep]
    data = _GammaGammaData(x[keep], m[keep], w)
    customers = round(data.n)
    if data.rows < 2:
        return ModelFit(
            None,
            customers,
            note=f"Gamma-Gamma not fitted: too few repeat buyers with a positive spend "
            f"({customers}; needs at least two who differ)",
        )
    result, iterations, note = _maximise(
        data.negloglik, data.starts(), ("p", "q", "v"), data.n, "Gamma-Gamma"
    )
    if result is None:
        note = f"{note}; {customers} repeat buyers with a positive spend"
        return ModelFit(None, customers, iterations=iterations, note=note)
    params, loglik = result
    return ModelFit(params, customers, loglik, iterations)


def _arrays(summary: pl.DataFrame):
    x = summary["frequency"].cast(pl.Float64).to_numpy()
    t_x = summary["recency"].cast(pl.Float64).to_numpy()
    T = summary["age"].cast(pl.Float64).to_numpy()
    m = summary["monetary"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return x, t_x, T, m


def fit_clv(summary: pl.DataFrame) -> ClvFit:
    """Fit BG/NBD on every row of the collected `clv_summary` and Gamma-Gamma on
    its rows with x ≥ 1 and monetary > 0."""
    x, t_x, T, m = _arrays(summary)
    bgnbd = fit_bgnbd(x, t_x, T)
    gg = fit_gamma_gamma(x, m)
    notes = [n for n in (bgnbd.note, gg.note) if n]
    zero_aov = None
    if gg.params is not None:
        p, q, v = gg.params["p"], gg.params["q"], gg.params["v"]
        if q > 1:
            zero_aov = p * v / (q - 1)
        else:
            fitted = (x >= 1) & np.isfinite(m) & (m > 0)
            zero_aov = float(np.mean(m[fitted]))
            notes.append(
                f"Gamma-Gamma q = {q:.4g} ≤ 1: the population mean spend does not exist; "
                "customers with one order day get the mean monetary value of the "
                f"{gg.customers} fitted customers ({zero_aov:.2f})"
            )
    return ClvFit(bgnbd, gg, zero_aov, tuple(notes))


# ---------------------------------------------------------------- predictions (numpy)


def p_alive(params: dict[str, float], x, t_x, T) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 ÷ (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)),
    from the log of the second term (no overflow for large x or T)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, T = _as_float(x), _as_float(t_x), _as_float(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = np.log(a) - np.log(b + x - 1) + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    return np.where(x > 0, special.expit(-log_odds), 1.0)


def _dropout_factor(A: np.ndarray, eps: float, C: np.ndarray, z: np.ndarray) -> np.ndarray:
    """G = [1 − (1−z)^ε · ₂F₁(A, ε; C; z)] ÷ ε, with ε = a − 1, by the series
    ₂F₁ = 1 + ε·S, S = Σ_k (A)_k (1+ε)_(k−1) z^k ÷ ((C)_k k!), so that
    G = −expm1(ε ln(1−z)) ÷ ε − (1−z)^ε · S: no cancellation when ε or z is
    small (the bracket 1 − … is then tiny), and ε = 0 (a = 1) needs no limit.
    Terms shrink like z^k; rows still unfinished after SERIES_TERMS terms
    (z very near 1) take scipy's ₂F₁, which transforms such arguments itself."""
    log1mz = np.log1p(-z)
    first = -log1mz if eps == 0 else -np.expm1(eps * log1mz) / eps
    total = A * z / C
    term = total.copy()
    todo = np.flatnonzero(term != 0)
    k = 1
    while len(todo) and k < SERIES_TERMS:
        t = term[todo] * (A[todo] + k) * (eps + k) * z[todo] / ((C[todo] + k) * (k + 1))
        term[todo] = t
        total[todo] += t
        todo = todo[np.abs(t) > 1e-17 * np.abs(total[todo])]
        k += 1
    out = first - np.exp(eps * log1mz) * total
    if len(todo):
        i = todo

        def closed(e: float) -> np.ndarray:
            return (1 - np.exp(e * log1mz[i]) * special.hyp2f1(A[i], e, C[i], z[i])) / e

        # at a = 1 exactly, G is smooth in ε: the mean of ε = ±1e-5 (error ~1e-10)
        out[i] = closed(eps) if eps != 0 else (closed(1e-5) + closed(-1e-5)) / 2
    return out


def expected_orders(params: dict[str, float], t: float, x, t_x, T) -> np.ndarray:
    """E[orders in (T, T+t] | x, t_x, T] (FHL 2005, eq. 10):
    P(alive) · (a+b+x−1) ÷ (a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)]
    with z = t ÷ (α+T+t). Euler's transformation turns the bracket into
    1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z), whose parameters do not grow
    with x (no overflow or loss of precision for heavy buyers)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    x, T = _as_float(x), _as_float(T)
    if len(x) == 0:
        return np.zeros(0)
    # the bracket depends on (x, T) only: evaluate it once per distinct pair
    (gx, gT), _, pair = _grouped([x, T], None)
    z = t / (alpha + gT + t)
    factor = _dropout_factor(np.full(len(gx), a + b - 1 - r), a - 1, a + b + gx - 1, z)
    bracket = (a + b + gx - 1) * factor
    return bracket[pair] * p_alive(params, x, t_x, T)


def expected_aov(params: dict[str, float], x, monetary, zero_repeat: float | None = None):
    """E[M | x, m] = p (v + x·m) ÷ (p·x + q − 1) (FHL 2005, RFM eq. 5); at x = 0 it is
    p·v ÷ (q − 1), or `zero_repeat` when given (the q ≤ 1 rule of SPEC §8). Null
    (NaN) where p·x + q − 1 ≤ 0: the conditional mean does not exist."""
    p, q, v = (params[k] for k in ("p", "q", "v"))
    x = _as_float(x)
    m = np.where(x > 0, np.nan_to_num(_as_float(monetary), nan=0.0), 0.0)
    den = p * x + q - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, p * (v + x * m) / den, np.nan)
    if zero_repeat is not None:
        out = np.where(x == 0, zero_repeat, out)
    return out


def discounted_orders(params: dict[str, float], discount: float, x, t_x, T) -> np.ndarray:
    """Σ_k [E(t_k) − E(t_(k−1))] ÷ (1 + discount)^(k/12), t_k = 365·k/12, k = 1…12:
    the expected orders of each twelfth of the next 365 days, discounted at the
    end of it by the monthly rate that compounds to the annual `discount`."""
    total = np.zeros(len(_as_float(x)))
    prev = np.zeros_like(total)
    for k in range(1, MONTHS_PER_YEAR + 1):
        cur = expected_orders(params, HORIZON_DAYS * k / MONTHS_PER_YEAR, x, t_x, T)
        total += (cur - prev) / (1.0 + discount) ** (k / MONTHS_PER_YEAR)
        prev = cur
    return total


def clv_predictions(
    summary: pl.DataFrame, fit: ClvFit, discount: float | None = None
) -> pl.DataFrame:
    """PREDICTION_COLUMNS for every row of the collected `clv_summary`:
    p_alive, expected_orders_365d (orders in the 365 days after as_of),
    expected_aov and clv_12m = expected_orders_365d × expected_aov; with an annual
    `discount` rate, clv_12m discounts each month's expected orders instead
    (`discounted_orders`). A model without a fit gives nulls in its columns."""
    if discount is not None and not (math.isfinite(discount) and discount > -1):
        raise CxError(
            f"--discount {discount!r}: not an annual rate; fix: e.g. --discount 0.1 for 10% a year"
        )
    x, t_x, T, m = _arrays(summary)
    nulls = np.full(len(x), np.nan)
    bg, gg = fit.bgnbd.params, fit.gamma_gamma.params
    if bg is not None:
        alive = p_alive(bg, x, t_x, T)
        orders = expected_orders(bg, float(HORIZON_DAYS), x, t_x, T)
    else:
        alive, orders = nulls, nulls
    aov = expected_aov(gg, x, m, fit.zero_repeat_aov) if gg is not None else nulls
    if discount and bg is not None:
        clv = discounted_orders(bg, discount, x, t_x, T) * aov
    else:
        clv = orders * aov
    values = {
        "p_alive": alive,
        "expected_orders_365d": orders,
        "expected_aov": aov,
        "clv_12m": clv,
    }
    return summary.select(SUMMARY_COLUMNS).with_columns(
        pl.Series(name, v, dtype=pl.Float64).fill_nan(None) for name, v in values.items()
    )

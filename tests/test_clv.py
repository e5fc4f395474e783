"""SPEC §8 predictive CLV: the BG/NBD and Gamma-Gamma fitter against the published
CDNOW-sample parameters, the predictions against values worked out independently
(the paper's worked example, numerical integration over the models' mixing
distributions, a plain-Python likelihood), and the per-customer summary by hand.

The CDNOW sample is read from the `lifetimes` wheel's datasets folder (the test
extra installs it); lifetimes itself is never imported.
"""

from __future__ import annotations

import importlib.util
import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import integrate

from cxtui.engine import collect, open_analysis
from cxtui.errors import CxError
from cxtui.metrics import clv, order_days

CDNOW_AS_OF = date(1997, 9, 30)  # the end of the 39-week calibration period

# Published values: Fader, Hardie & Lee (2005) "Counting your customers the easy
# way" (BG/NBD, weeks) and "RFM and CLV" (Gamma-Gamma on the 946 repeat buyers).
BGNBD_WEEKS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_RAW = {"p": 6.25, "q": 3.74, "v": 15.44}
GG_ROUNDED = {"p": 6.25, "q": 3.74, "v": 15.45}


def _datasets() -> Path:
    spec = importlib.util.find_spec("lifetimes")  # finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the test extra's lifetimes package (CDNOW sample data) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets"


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(scope="module")
def cdnow_summary() -> pl.DataFrame:
    """ID, frequency, recency, T in weeks (rounded to 2 decimals in the file)."""
    return pl.read_csv(_datasets() / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def cdnow_orders(tmp_path_factory) -> Path:
    """A dataset of the raw CDNOW sample transactions (one orders table)."""
    rows = [line.split() for line in (_datasets() / "CDNOW_sample.txt").read_text().splitlines()]
    root = tmp_path_factory.mktemp("cdnow")
    pl.DataFrame(
        {
            "customer_id": [r[1] for r in rows],
            "order_date": [date(int(r[2][:4]), int(r[2][4:6]), int(r[2][6:])) for r in rows],
            "amount": [float(r[4]) for r in rows],
        }
    ).write_parquet(root / "orders.parquet")
    return root


def summary_of(root: Path, as_of: date, where: str | None = None) -> pl.DataFrame:
    analysis = open_analysis(root, as_of=as_of, where=where, use_cache=False)
    return collect(clv.clv_summary(analysis.scope)).sort("customer_id")


def close(got: dict, want: dict, digits: int) -> None:
    for key, value in want.items():
        assert round(got[key], digits) == value, (key, got[key])


# ---------------------------------------------------------------- published parameters


def test_bgnbd_reproduces_the_published_cdnow_parameters(cdnow_summary: pl.DataFrame) -> None:
    fit = clv.fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    assert fit.converged and fit.customers == 2357
    close(fit.params, BGNBD_WEEKS, 3)
    assert fit.loglik == pytest.approx(-9582.4, abs=0.05)  # the paper's LL


def test_gamma_gamma_on_the_summary_file_rounded_spends() -> None:
    table = pl.read_csv(_datasets() / "cdnow_customers_summary_with_transactions.csv")
    fit = clv.fit_gamma_gamma(table["x"], table["zbar"])
    assert fit.converged and fit.customers == 946  # x = 0 rows are left out
    close(fit.params, {"p": 6.25, "q": 3.74}, 2)
    assert round(fit.params["v"], 2) == GG_ROUNDED["v"]


def test_raw_cdnow_transactions_in_days(cdnow_orders: Path, cdnow_summary: pl.DataFrame) -> None:
    """From the raw transactions, in days: the summary is the file's (× 7 days),
    BG/NBD's α is the weekly one × 7 with the same r, a, b, and Gamma-Gamma gives
    the raw-transaction parameters (v = 15.44)."""
    summary = summary_of(cdnow_orders, CDNOW_AS_OF)
    assert summary.height == 2357
    weekly = cdnow_summary.with_columns(pl.col("ID").cast(pl.String).str.zfill(4))
    joined = summary.join(weekly, left_on="customer_id", right_on="ID")
    assert joined.height == 2357
    assert (joined["frequency"] == joined["frequency_right"]).all()
    assert ((joined["recency"] / 7 - joined["recency_right"]).abs() <= 0.005 + 1e-9).all()
    assert ((joined["age"] / 7 - joined["T"]).abs() <= 0.005 + 1e-9).all()

    fit = clv.fit_clv(summary)
    assert fit.notes == ()
    params = fit.parameters()
    assert params["customers_fitted"] == 2357 and fit.gamma_gamma.customers == 946
    weeks = dict(params, alpha=params["alpha"] / 7)
    close(weeks, BGNBD_WEEKS, 3)
    close(params, GG_RAW, 2)
    # customers with one order day get p·v ÷ (q − 1)
    assert fit.zero_repeat_aov == pytest.approx(
        params["p"] * params["v"] / (params["q"] - 1), rel=1e-12
    )


def test_the_paper_s_worked_conditional_expectation(cdnow_summary: pl.DataFrame) -> None:
    """FHL 2005 §5: a customer with x = 2, t_x = 30.43, T = 38.86 weeks is expected
    to make 1.226 purchases in the next 39 weeks."""
    fit = clv.fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    got = clv.expected_orders(fit.params, 39.0, [2], [30.43], [38.86])[0]
    assert round(got, 3) == 1.226


# ---------------------------------------------------------------- the likelihood


def bgnbd_loglik(params: dict, x: int, t_x: float, T: float) -> float:
    """Plain-Python BG/NBD log-likelihood of one customer (FHL 2005, eq. 6)."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    lg = math.lgamma
    beta_ratio = lg(a + b) + lg(b + x) - lg(b) - lg(a + b + x)
    common = lg(r + x) - lg(r) + r * math.log(alpha) + beta_ratio
    alive = math.exp(-(r + x) * math.log(alpha + T))
    dead = 0.0
    if x > 0:
        dead = a / (b + x - 1) * math.exp(-(r + x) * math.log(alpha + t_x))
    return common + math.log(alive + dead)


def test_grouped_likelihood_and_gradient_against_plain_python() -> None:
    rng = np.random.default_rng(7)
    T = rng.integers(1, 60, 400).astype(float)
    x = np.minimum(rng.poisson(2, 400), 6).astype(float)
    t_x = np.where(x > 0, np.floor(rng.uniform(0, 1, 400) * T), 0.0)
    data = clv._BgNbdData(x, t_x, T)
    assert len(data.x) < 400  # identical customers were grouped
    params = {"r": 0.7, "alpha": 9.0, "a": 1.3, "b": 4.2}
    theta = np.log(list(params.values()))
    value, grad = data.negloglik(theta)
    plain = (
        -sum(bgnbd_loglik(params, int(xi), ti, Ti) for xi, ti, Ti in zip(x, t_x, T, strict=True))
        / 400
    )
    assert value == pytest.approx(plain, rel=1e-12)
    for i in range(4):
        h = np.zeros(4)
        h[i] = 1e-6
        numeric = (data.negloglik(theta + h)[0] - data.negloglik(theta - h)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def gg_loglik(params: dict, x: int, m: float) -> float:
    """Plain-Python Gamma-Gamma log-density of a mean m of x spends."""
    p, q, v = params["p"], params["q"], params["v"]
    lg = math.lgamma
    return (
        lg(p * x + q)
        - lg(p * x)
        - lg(q)
        + q * math.log(v)
        + (p * x - 1) * math.log(m)
        + p * x * math.log(x)
        - (p * x + q) * math.log(v + x * m)
    )


def test_gamma_gamma_likelihood_and_gradient_against_plain_python() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(1, 5, 300).astype(float)
    m = np.round(rng.gamma(3, 10, 300), 0)
    data = clv._GammaGammaData(x, m)
    assert data.rows < 300
    params = {"p": 4.0, "q": 2.5, "v": 12.0}
    theta = np.log(list(params.values()))
    value, grad = data.negloglik(theta)
    plain = -sum(gg_loglik(params, int(xi), mi) for xi, mi in zip(x, m, strict=True)) / 300
    assert value == pytest.approx(plain, rel=1e-12)
    for i in range(3):
        h = np.zeros(3)
        h[i] = 1e-6
        numeric = (data.negloglik(theta + h)[0] - data.negloglik(theta - h)[0]) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_weights_are_counts_of_identical_customers(cdnow_summary: pl.DataFrame) -> None:
    """Fitting distinct rows with their counts as weights is fitting every row."""
    counts = cdnow_summary.group_by("frequency", "recency", "T").len()
    weighted = clv.fit_bgnbd(counts["frequency"], counts["recency"], counts["T"], counts["len"])
    plain = clv.fit_bgnbd(cdnow_summary["frequency"], cdnow_summary["recency"], cdnow_summary["T"])
    for key, value in plain.params.items():
        assert weighted.params[key] == pytest.approx(value, rel=1e-7)


def test_the_time_unit_scales_alpha_only(cdnow_summary: pl.DataFrame) -> None:
    """Times × 7 (weeks → days): α × 7, the same r, a, b and the same predictions."""
    x, t_x, T = (cdnow_summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    weeks = clv.fit_bgnbd(x, t_x, T).params
    days = clv.fit_bgnbd(x, t_x * 7, T * 7).params
    assert days["alpha"] == pytest.approx(weeks["alpha"] * 7, rel=1e-7)
    for key in ("r", "a", "b"):
        assert days[key] == pytest.approx(weeks[key], rel=1e-7)
    e_weeks = clv.expected_orders(weeks, 52.0, x, t_x, T)
    e_days = clv.expected_orders(days, 364.0, x, t_x * 7, T * 7)
    np.testing.assert_allclose(e_days, e_weeks, rtol=1e-6)


# ---------------------------------------------------------------- predictions by integration


def _gamma_pdf(lam: float, shape: float, rate: float) -> float:
    return math.exp(
        shape * math.log(rate) + (shape - 1) * math.log(lam) - rate * lam - math.lgamma(shape)
    )


def _beta_pdf(p: float, a: float, b: float) -> float:
    return math.exp(
        (a - 1) * math.log(p)
        + (b - 1) * math.log1p(-p)
        + math.lgamma(a + b)
        - math.lgamma(a)
        - math.lgamma(b)
    )


def bgnbd_by_integration(params: dict, t: float, x: int, t_x: float, T: float):
    """P(alive) and E[orders in (T, T+t]] as ratios of double integrals over the
    purchase rate λ ~ Gamma(r, α) and dropout p ~ Beta(a, b): the customer's
    likelihood is (1−p)^x λ^x e^(−λT) (alive) + δ(x>0) p (1−p)^(x−1) λ^x e^(−λ t_x)
    (dropped out after the last order), and an alive customer makes
    (1 − e^(−λ p t)) ÷ p orders in expectation in the next t."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    scale = (x + r) / (alpha + t_x)  # where λ's posterior mass lies

    def inner(f):
        def over_p(p):
            return integrate.quad(
                lambda lam: f(lam, p) * _gamma_pdf(lam, r, alpha),
                0,
                np.inf,
                points=None,
                epsabs=0,
                epsrel=1e-12,
                limit=400,
            )[0] * _beta_pdf(p, a, b)

        return integrate.quad(over_p, 0, 1, epsabs=0, epsrel=1e-11, limit=400)[0]

    def alive(lam, p):
        return (1 - p) ** x * (lam / scale) ** x * math.exp(-lam * T)

    def dead(lam, p):
        return p * (1 - p) ** (x - 1) * (lam / scale) ** x * math.exp(-lam * t_x) if x else 0.0

    def future(lam, p):
        return alive(lam, p) * -math.expm1(-lam * p * t) / p

    total = inner(alive) + inner(dead)
    return inner(alive) / total, inner(future) / total


@pytest.mark.parametrize(
    ("params", "x", "t_x", "T"),
    [
        ({"r": 1.7, "alpha": 30.0, "a": 2.2, "b": 6.0}, 0, 0.0, 120.0),
        ({"r": 1.7, "alpha": 30.0, "a": 2.2, "b": 6.0}, 3, 80.0, 300.0),
        ({"r": 2.4, "alpha": 55.0, "a": 1.5, "b": 3.5}, 7, 400.0, 410.0),
        ({"r": 1.2, "alpha": 12.0, "a": 3.0, "b": 1.5}, 1, 2.0, 700.0),
    ],
)
def test_p_alive_and_expected_orders_by_numerical_integration(params, x, t_x, T) -> None:
    want_alive, want_orders = bgnbd_by_integration(params, 365.0, x, t_x, T)
    got_alive = clv.p_alive(params, [x], [t_x], [T])[0]
    got_orders = clv.expected_orders(params, 365.0, [x], [t_x], [T])[0]
    assert got_alive == pytest.approx(want_alive, rel=1e-7)
    assert got_orders == pytest.approx(want_orders, rel=1e-7)


def test_gamma_gamma_conditional_mean_by_numerical_integration() -> None:
    """E[M | x, m] = p E[1/ν | x, m], with ν's posterior ∝ ν^(px) e^(−ν x m) ·
    Gamma(q, v) prior density, integrated numerically."""
    params = {"p": 6.25, "q": 3.74, "v": 15.44}
    p, q, v = params.values()
    for x, m in ((1, 11.77), (2, 22.35), (9, 48.0)):

        def kernel(nu: float, k: int, x: int = x, m: float = m) -> float:
            """ν^(−k) × the posterior kernel; its constant cancels in the ratio."""
            return nu ** (p * x + q - 1 - k) * math.exp(-nu * (v + x * m))

        num = integrate.quad(kernel, 0, np.inf, args=(1,), epsabs=0, epsrel=1e-12, limit=400)[0]
        den = integrate.quad(kernel, 0, np.inf, args=(0,), epsabs=0, epsrel=1e-12, limit=400)[0]
        assert clv.expected_aov(params, [x], [m])[0] == pytest.approx(p * num / den, rel=1e-9)
    # x = 0: the population mean p·v ÷ (q − 1)
    assert clv.expected_aov(params, [0], [None])[0] == pytest.approx(p * v / (q - 1), rel=1e-14)


def test_heavy_buyers_and_long_histories_stay_finite() -> None:
    params = {"r": 0.243, "alpha": 30.9, "a": 0.793, "b": 2.426}
    x = np.array([5000.0, 20000.0, 3.0, 0.0])
    t_x = np.array([99_000.0, 99_999.0, 1.0, 0.0])
    T = np.array([100_000.0, 100_000.0, 100_000.0, 100_000.0])
    alive = clv.p_alive(params, x, t_x, T)
    orders = clv.expected_orders(params, 365.0, x, t_x, T)
    assert np.isfinite(alive).all() and np.isfinite(orders).all()
    assert alive[2] < 1e-6 and 0 < alive[0] < 1e-6 and 0.99 < alive[1] <= 1
    # 20,000 orders in 100,000 days, the last one yesterday: ~0.2 a day ahead
    assert orders[1] == pytest.approx(0.2 * 365 * alive[1], rel=0.02)


def test_a_equal_to_one_needs_no_limit() -> None:
    """At a = 1 the closed form is 0 ÷ 0; the series gives its limit, which a
    and a ± 1e-7 bracket."""
    base = {"r": 0.9, "alpha": 20.0, "b": 3.0}
    x, t_x, T = [0.0, 4.0, 12.0], [0.0, 100.0, 300.0], [50.0, 200.0, 400.0]
    at_one = clv.expected_orders(dict(base, a=1.0), 365.0, x, t_x, T)
    below = clv.expected_orders(dict(base, a=1 - 1e-7), 365.0, x, t_x, T)
    above = clv.expected_orders(dict(base, a=1 + 1e-7), 365.0, x, t_x, T)
    np.testing.assert_allclose(at_one, (below + above) / 2, rtol=1e-9)
    assert np.isfinite(at_one).all() and (at_one > 0).all()


# ---------------------------------------------------------------- clv_12m and discount


def test_clv_is_orders_times_aov_and_the_monthly_discount(cdnow_orders: Path) -> None:
    summary = summary_of(cdnow_orders, CDNOW_AS_OF)
    fit = clv.fit_clv(summary)
    plain = clv.clv_predictions(summary, fit)
    assert plain.columns == list(clv.PREDICTION_COLUMNS)
    assert (plain["customer_id"] == summary["customer_id"]).all()
    np.testing.assert_allclose(
        plain["clv_12m"], plain["expected_orders_365d"] * plain["expected_aov"], rtol=1e-15
    )
    d = 0.10
    discounted = clv.clv_predictions(summary, fit, discount=d)
    x, t_x, T = (summary[c].cast(pl.Float64).to_numpy() for c in ("frequency", "recency", "age"))
    bg = fit.bgnbd.params
    # each twelfth of 365 days discounted at its end by (1 + d)^(k/12)
    cum = [clv.expected_orders(bg, 365 * k / 12, x, t_x, T) if k else 0 * x for k in range(13)]
    want = sum((cum[k] - cum[k - 1]) / 1.1 ** (k / 12) for k in range(1, 13))
    np.testing.assert_allclose(
        discounted["clv_12m"], want * plain["expected_aov"].to_numpy(), rtol=1e-12
    )
    ratio = discounted["clv_12m"] / plain["clv_12m"]
    assert ((ratio < 1) & (ratio > 1 / 1.1)).all()
    # the telescoped sum without a discount is the undiscounted value
    np.testing.assert_allclose(cum[12], plain["expected_orders_365d"], rtol=1e-12)


# ---------------------------------------------------------------- the summary by hand


HAND_AS_OF = date(2025, 6, 30)


def hand_orders(root: Path, in_customer_order: bool = False) -> Path:
    """The hand-worked customers and orders below; `in_customer_order`: the
    orders rows sorted by (customer_id, order_date), as exports sorted by
    customer are."""
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "late"],
            "signup_date": [date(2024, 1, 1)] * 4 + [date(2025, 7, 15)],
        }
    ).write_parquet(root / "customers.parquet")
    rows = [
        # a: three order days; 2025-03-01 has two rows (summed: 30 + 10) and a refund day
        ("a", date(2025, 1, 1), 100.0),
        ("a", date(2025, 3, 1), 30.0),
        ("a", date(2025, 3, 1), 10.0),
        ("a", date(2025, 6, 10), -5.0),
        ("a", date(2025, 7, 1), 999.0),  # after as_of: not seen
        # b: one day only (x = 0), a row without an amount on it
        ("b", date(2025, 6, 30), 20.0),
        ("b", date(2025, 6, 30), None),
        # c: the second day has no amount at all: a day worth 0
        ("c", date(2024, 12, 31), 8.0),
        ("c", date(2025, 2, 1), None),
        ("stranger", date(2025, 1, 5), 50.0),  # not a customer
        ("stranger", date(2025, 2, 5), 50.0),
        ("late", date(2025, 5, 1), 10.0),  # signs up after as_of: not started
    ]
    orders = pl.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_date": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        },
        schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64},
    )
    if in_customer_order:
        orders = orders.sort("customer_id", "order_date", maintain_order=True)
    orders.write_parquet(root / "orders.parquet")
    return root


def test_summary_days_monetary_refunds_and_who_counts(tmp_path: Path) -> None:
    as_of = HAND_AS_OF
    hand_orders(tmp_path)
    got = {r["customer_id"]: r for r in summary_of(tmp_path, as_of).to_dicts()}
    assert set(got) == {"a", "b", "c"}  # d has no orders
    assert got["a"] == {
        "customer_id": "a",
        "frequency": 2,
        "recency": 160,  # 2025-01-01 → 2025-06-10
        "age": 180,  # 2025-01-01 → 2025-06-30
        "monetary": (40.0 - 5.0) / 2,
    }
    assert got["b"] == {
        "customer_id": "b",
        "frequency": 0,
        "recency": 0,
        "age": 0,
        "monetary": None,
    }
    assert got["c"] == {
        "customer_id": "c",
        "frequency": 1,
        "recency": 32,
        "age": 181,
        "monetary": 0.0,
    }
    # --where narrows the customers fitted
    only_a = summary_of(tmp_path, as_of, where="customer_id = 'a'")
    assert only_a["customer_id"].to_list() == ["a"]


def test_orders_in_customer_order_give_the_summary_in_one_pass(tmp_path: Path) -> None:
    """Rows sorted by (customer_id, order_date): the order days and the first
    day's sum come from one pass (engine.clv), with the summary of the join."""
    from cxtui.engine import clv as engine_clv

    root = hand_orders(tmp_path, in_customer_order=True)
    scope = open_analysis(root, as_of=HAND_AS_OF, use_cache=False).scope
    days = engine_clv._ordered_order_days(scope)
    assert days is not None and days["_unordered"].sum() == 0
    one_pass = collect(clv.clv_summary(scope, days.lazy())).sort("customer_id")
    assert one_pass.equals(summary_of(root, HAND_AS_OF))
    assert one_pass.row(0, named=True) == {
        "customer_id": "a",
        "frequency": 2,
        "recency": 160,
        "age": 180,
        "monetary": (40.0 - 5.0) / 2,  # the first day's 100 alone left out
    }
    # with --where the rows are not taken to be in order
    where = open_analysis(root, as_of=HAND_AS_OF, where="customer_id = 'a'", use_cache=False)
    assert engine_clv._ordered_order_days(where.scope) is None


def test_orders_out_of_order_after_the_first_rows_fall_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's rows are a's, b's, c's, then "stranger" before "late": in order
    for the first rows only. The one pass finds the break and the join is used."""
    from cxtui.engine import clv as engine_clv

    root = hand_orders(tmp_path)
    scope = open_analysis(root, as_of=HAND_AS_OF, use_cache=False).scope
    assert engine_clv._ordered_order_days(scope) is None  # seen in the first rows
    monkeypatch.setattr(order_days, "ORDER_SAMPLE", 4)  # a's four rows: in order
    assert collect(clv.orders_look_ordered(scope)).item() is True
    days = collect(clv.clv_order_days(scope, ordered=True))
    assert days["_unordered"].sum() == 1  # "late" after "stranger"
    assert engine_clv._ordered_order_days(scope) is None


def test_the_facts_pass_gives_a_fitting_command_its_order_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that fits the CLV (`for_clv`) has the order days from the facts'
    pass over the orders when the rows are in order: every id's, used once, the
    same summary as the CLV's own pass (with --where too) and the same facts;
    with a row out of order none are kept and the CLV reads the orders itself."""
    from cxtui.data.load import open_dataset
    from cxtui.engine import analysis_of
    from cxtui.engine import clv as engine_clv
    from cxtui.engine.cache import ORDER_DAYS

    (tmp_path / "sorted").mkdir()
    root = hand_orders(tmp_path / "sorted", in_customer_order=True)
    for where in (None, "customer_id <> 'b'"):
        plain = open_analysis(root, as_of=HAND_AS_OF, where=where, use_cache=False)
        ds = open_dataset(root, as_of=HAND_AS_OF)
        fitting = analysis_of(ds, where, use_cache=False, for_clv=True)
        assert fitting.facts.equals(plain.facts)
        days = fitting.derived.values[ORDER_DAYS]
        assert sorted(days["customer_id"]) == ["a", "b", "c", "late", "stranger"]
        a = days.filter(pl.col("customer_id") == "a").row(0, named=True)
        # three days, 2025-01-01's 100 first, 100 + 30 + 10 − 5 in all (not 07-01's)
        assert (a["frequency"], a["_first_day"], a["_total"]) == (2, 100.0, 135.0)
        kept = engine_clv._facts_pass_days(fitting)
        assert kept is not None and ORDER_DAYS not in fitting.derived.values
        got = collect(clv.clv_summary(fitting.scope, kept.lazy())).sort("customer_id")
        assert got.equals(summary_of(root, HAND_AS_OF, where=where))

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    hand_orders(mixed)  # "late" after "stranger", past the first four rows
    monkeypatch.setattr(order_days, "ORDER_SAMPLE", 4)
    fitting = analysis_of(open_dataset(mixed, as_of=HAND_AS_OF), use_cache=False, for_clv=True)
    assert ORDER_DAYS not in fitting.derived.values
    assert fitting.facts.equals(open_analysis(mixed, as_of=HAND_AS_OF, use_cache=False).facts)


def test_the_demo_fits_the_same_from_the_facts_pass() -> None:
    """The demo's orders are in customer order: the fit from the facts pass's
    order days is the fit from the CLV's own pass (a sum of amounts may differ
    in its last bit, another order of addition: the parameters to 1e-9, the
    predictions to 1e-12)."""
    from cxtui.data.load import open_dataset
    from cxtui.engine import analysis_of
    from cxtui.engine import clv as engine_clv
    from cxtui.engine.cache import ORDER_DAYS

    demo = Path(__file__).resolve().parents[1] / "data" / "demo"
    fitting = analysis_of(open_dataset(demo), use_cache=False, for_clv=True)
    assert ORDER_DAYS in fitting.derived.values
    plain = open_analysis(demo, use_cache=False)
    ours, theirs = engine_clv.clv_result(fitting), engine_clv.clv_result(plain)
    assert ORDER_DAYS not in fitting.derived.values
    assert ours.parameters.keys() == theirs.parameters.keys()
    for key, value in ours.parameters.items():
        assert value == pytest.approx(theirs.parameters[key], rel=1e-9), key
    assert_frame_equal(ours.predictions, theirs.predictions, rel_tol=1e-12, abs_tol=0.0)


# ---------------------------------------------------------------- robustness and notes


def summary_frame(x, t_x, T, monetary) -> pl.DataFrame:
    n = len(x)
    return pl.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": x,
            "recency": t_x,
            "age": T,
            "monetary": monetary,
        },
        schema={
            "customer_id": pl.String,
            "frequency": pl.Int64,
            "recency": pl.Int64,
            "age": pl.Int64,
            "monetary": pl.Float64,
        },
    )


def test_no_repeat_buyers_is_a_note_and_null_predictions() -> None:
    summary = summary_frame([0, 0, 0], [0, 0, 0], [10, 40, 90], [None, None, None])
    fit = clv.fit_clv(summary)
    assert fit.bgnbd.params is None and fit.gamma_gamma.params is None
    assert any("no repeat buyers" in note for note in fit.notes)
    assert any("Gamma-Gamma not fitted" in note for note in fit.notes)
    params = fit.parameters()
    assert params["customers_fitted"] == 3 and params["r"] is None and params["v"] is None
    out = clv.clv_predictions(summary, fit)
    for col in ("p_alive", "expected_orders_365d", "expected_aov", "clv_12m"):
        assert out[col].null_count() == 3


def test_identical_spends_have_no_finite_gamma_gamma_maximum() -> None:
    """Every repeat buyer spending the same: no heterogeneity, q and v run away."""
    x = [1, 2, 3, 4, 1, 2, 3, 5]
    fit = clv.fit_gamma_gamma(x, [25.0] * len(x))
    assert fit.params is None
    assert "no finite maximum" in fit.note and "8 repeat buyers" in fit.note


def simulate_gamma_gamma(n: int, p: float, q: float, v: float, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, n).astype(float)
    nu = rng.gamma(q, 1 / v, n)
    mean = rng.gamma(p * x, 1 / nu) / x  # the mean of x Gamma(p, ν) spends
    return x, mean


def test_q_at_most_one_gives_x0_customers_the_fitted_mean() -> None:
    x, m = simulate_gamma_gamma(5_000, p=4.0, q=0.6, v=3.0, seed=11)
    n0 = 200
    summary = summary_frame(
        np.concatenate([x, np.zeros(n0)]).astype(int),
        np.concatenate([np.ones(len(x)), np.zeros(n0)]).astype(int),
        np.full(len(x) + n0, 100),
        np.concatenate([m, np.full(n0, np.nan)]),
    )
    fit = clv.fit_clv(summary)
    q = fit.gamma_gamma.params["q"]
    assert q <= 1
    assert fit.zero_repeat_aov == pytest.approx(float(np.mean(m)), rel=1e-12)
    assert any("q = " in note and "≤ 1" in note for note in fit.notes)
    aov = clv.clv_predictions(summary, fit)["expected_aov"].to_numpy()
    np.testing.assert_allclose(aov[len(x) :], np.mean(m), rtol=1e-12)


def simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, seed: int):
    """Customers from the BG/NBD story, first order at day 0, watched T days:
    orders at Poisson(λ) times, dropout after each repeat order with probability p."""
    rng = np.random.default_rng(seed)
    T = rng.integers(30, 731, n).astype(float)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    arrivals = rng.poisson(lam * T)
    dropout_after = rng.geometric(p)  # the repeat order after which it drops out
    x = np.minimum(arrivals, dropout_after)
    # the x-th of `arrivals` uniform times in (0, T): T × Beta(x, arrivals − x + 1)
    t_x = np.where(x > 0, np.floor(T * rng.beta(np.maximum(x, 1), arrivals - x + 1)), 0.0)
    return x.astype(float), t_x, T


def test_two_hundred_thousand_simulated_customers_fit_and_recover_the_truth() -> None:
    truth = {"r": 0.8, "alpha": 25.0, "a": 0.7, "b": 3.0}
    x, t_x, T = simulate_bgnbd(200_000, **truth, seed=5)
    fit = clv.fit_bgnbd(x, t_x, T)
    assert fit.converged and fit.customers == 200_000
    for key, value in truth.items():
        assert fit.params[key] == pytest.approx(value, rel=0.05)
    gx, gm = simulate_gamma_gamma(200_000, p=6.0, q=3.5, v=15.0, seed=6)
    gg = clv.fit_gamma_gamma(gx, np.round(gm, 2))
    assert gg.converged
    for key, value in {"p": 6.0, "q": 3.5, "v": 15.0}.items():
        assert gg.params[key] == pytest.approx(value, rel=0.05)


def test_predictions_of_a_dataset_without_orders_rows_are_empty() -> None:
    summary = summary_frame([], [], [], [])
    fit = clv.fit_clv(summary)
    assert fit.parameters()["customers_fitted"] == 0
    assert clv.clv_predictions(summary, fit).height == 0


def test_every_day_after_the_first_is_seen_in_days(tmp_path: Path) -> None:
    """T counts calendar days to as_of; an order timestamped late on as_of counts."""
    from datetime import datetime

    pl.DataFrame(
        {
            "customer_id": ["a", "a"],
            "order_date": [datetime(2025, 1, 1, 9), datetime(2025, 6, 30, 23, 59)],
            "amount": [10.0, 12.0],
        }
    ).write_parquet(tmp_path / "orders.parquet")
    got = summary_of(tmp_path, date(2025, 6, 30)).to_dicts()[0]
    assert (got["frequency"], got["recency"], got["age"]) == (1, 180, 180)
    assert got["monetary"] == 12.0
    assert date(2025, 1, 1) + timedelta(days=180) == date(2025, 6, 30)


def test_a_discount_that_is_no_rate_is_a_one_line_error() -> None:
    summary = summary_frame([1, 0], [5, 0], [10, 10], [3.0, None])
    fit = clv.fit_clv(summary)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(CxError, match=r"--discount .*fix: e.g. --discount 0.1"):
            clv.clv_predictions(summary, fit, discount=bad)


@pytest.mark.parametrize("scale", [1.0, 0.5])  # whole days (one packed key), then halves
def test_groups_of_identical_customers_in_lexicographic_order(scale: float) -> None:
    from cxtui.metrics.clv import _grouped

    x = np.array([2, 0, 2, 1, 0]) * scale
    T = np.array([5, 3, 5, 3, 7]) * scale
    (gx, gT), w, inverse = _grouped([x, T], np.array([1.0, 1.0, 2.0, 1.0, 0.5]))
    assert gx.tolist() == [0, 0, scale, 2 * scale]
    assert gT.tolist() == [3 * scale, 7 * scale, 3 * scale, 5 * scale]
    assert w.tolist() == [1.0, 0.5, 1.0, 3.0]
    assert inverse.tolist() == [3, 0, 3, 2, 1]

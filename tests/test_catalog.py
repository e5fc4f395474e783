"""The catalog of measures (cxtui/measures.py) and the table of risk signals
(cxtui/metrics/signals.py): every list that used to be kept by hand is derived
from them, every key a view shows has an entry, and every signal's entry is what
config validation, the facts, the signals text and the account detail use.

The frozen dicts below are the formats and priorities the panes had before the
catalog: a change to one of them changes what a table prints.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui import measures
from cxtui.cli import app
from cxtui.data.config import (
    DEFAULT_RISK_THRESHOLDS,
    DEFAULT_RISK_WEIGHTS,
    RISK_SIGNALS,
    parse_config,
)
from cxtui.errors import CxError
from cxtui.metrics.signals import SCORE_THRESHOLDS, SIGNALS

runner = CliRunner()

# ---------------------------------------------------------------- the formats before the catalog

LEGACY_KINDS = {
    **dict.fromkeys(
        [
            "customers_total",
            "active_customers",
            "new_customers_30d",
            "churned_customers_30d",
            "orders_12m",
            "buyers_12m",
            "nps_90d_n",
            "customers",
            "at_risk_customers",
            "rank",
            "churned_customers",
            "active_at_start",
            "tenure_days",
            "lifetime_orders",
        ],
        "int",
    ),
    **dict.fromkeys(
        [
            "growth_rate_mom",
            "logo_churn_rate_30d",
            "repeat_purchase_rate_12m",
            "nrr_12m",
            "grr_12m",
            "customer_share",
            "active_rate",
            "revenue_share",
            "share",
            "logo_churn_rate",
            "nrr",
            "grr",
        ],
        "pct",
    ),
    **dict.fromkeys(
        [
            "revenue_12m",
            "aov_12m",
            "revenue_per_buyer_12m",
            "mrr",
            "arr",
            "lifetime_revenue",
            "lost_mrr",
            "lost_revenue_12m",
            "start_mrr",
            "end_mrr",
            "expansion",
            "contraction",
            "churned_mrr",
            "mrr_at_risk",
            "revenue_12m_at_risk",
            "mrr_12m_ago",
            "annual_revenue",
        ],
        "money",
    ),
    **dict.fromkeys(
        [
            "as_of",
            "last_order_date",
            "month",
            "start_date",
            "churn_date",
            "signup_date",
            "renewal_date",
        ],
        "date",
    ),
    **dict.fromkeys(
        ["avg_tenure_months", "nps_90d", "mean_account_nps", "avg_risk_score"], "float"
    ),
    "risk_score": "score",
    "customer_id": "id",
}
LEGACY_PRIORITY = {
    **dict.fromkeys(
        [
            "customer_id",
            "customers",
            "revenue_12m",
            "risk_score",
            "reason",
            "churned_customers",
            "rank",
            "nrr",
            "signals",
        ],
        0,
    ),
    **dict.fromkeys(["name", "mrr", "customer_share", "share", "grr", "lost_mrr"], 1),
    **dict.fromkeys(
        [
            "revenue_share",
            "active_rate",
            "owner",
            "at_risk_customers",
            "lost_revenue_12m",
            "start_mrr",
            "end_mrr",
        ],
        2,
    ),
    **dict.fromkeys(
        [
            "segment",
            "avg_risk_score",
            "active_customers",
            "status",
            "expansion",
            "contraction",
            "churned_mrr",
        ],
        3,
    ),
    **dict.fromkeys(["orders_12m", "aov_12m", "last_order_date"], 4),
}
LEGACY_WRAPPED = {"signals", "comment", "detail"}
# what format_value understands (cxtui/render/text.py)
RENDER_KINDS = {"int", "money", "pct", "score", "float", "date", "id", "text"}


def test_catalog_keeps_every_format_priority_and_wrap_the_panes_had() -> None:
    keys = set(LEGACY_KINDS) | set(LEGACY_PRIORITY) | LEGACY_WRAPPED
    for key in sorted(keys):
        assert key in measures.MEASURES, key
        assert measures.render_kind(key) == LEGACY_KINDS.get(key, "text"), key
        assert measures.priority_of(key) == LEGACY_PRIORITY.get(key, 2), key
        assert measures.wraps(key) == (key in LEGACY_WRAPPED), key


def test_views_spec_and_kinds_come_from_the_catalog() -> None:
    from cxtui import views

    assert {k: m.render_kind for k, m in measures.MEASURES.items()} == views.KINDS
    spec = views.spec("signals")
    assert (spec.kind, spec.priority, spec.wrap) == ("text", 0, True)
    spec = views.spec("lost_mrr")
    assert (spec.kind, spec.priority, spec.wrap) == ("money", 1, False)
    unknown = views.spec("plan")  # a customer column: shown as text, default priority
    assert (unknown.kind, unknown.priority, unknown.wrap) == ("text", 2, False)


def test_every_entry_is_complete_and_defined_once() -> None:
    catalog = measures._CATALOG
    assert len({m.key for m in catalog}) == len(catalog), "a key is defined twice"
    for m in catalog:
        assert m.kind in measures.KINDS, m.key
        assert m.render_kind in RENDER_KINDS, m.key
        assert m.label and m.label[0].isupper(), m.key
        assert m.group, m.key
        # one line for `?` help and the docs: a sentence, no line break
        assert m.description.endswith(".") and "\n" not in m.description, m.key
        assert 10 <= len(m.description) <= 90, m.key
        assert 0 <= m.priority <= 4, m.key


def test_kind_names_map_to_the_renderer() -> None:
    from cxtui.render import format_value

    shown = {
        key: format_value(1234.5, measures.render_kind(key))
        for key in ("customers", "share", "mrr", "risk_score", "nps_90d")
    }
    assert shown == {
        "customers": "1,234",  # count: a whole number (1234.5 rounds half to even)
        "share": "123,450.0%",  # share: a ratio shown as a percentage
        "mrr": "$1,234",
        "risk_score": "1,234",
        "nps_90d": "1,234.5",
    }
    assert measures.kind_of("customers") == "count" and measures.kind_of("share") == "share"


def test_round_two_keys_format_from_day_one() -> None:
    expected = {
        "new_mrr": "money",
        "quick_ratio": "float",
        "cohort": "text",
        "nps": "float",
        "csat_share": "share",
        "tickets": "count",
        "first_response_hours_mean": "float",
        "cac": "money",
        "ltv_to_cac": "float",
        "p_alive": "share",
        "clv_12m": "money",
        "new_buyers_30d": "count",
        "returning_buyer_aov_12m": "money",
        "share_of_parent": "share",
        "lift_pct": "share",
        "opportunity": "money",
        "value": "money",
        "arr": "money",
    }
    assert {k: measures.kind_of(k) for k in expected} == expected


def test_cohort_age_columns_are_shares_and_unknown_keys_text() -> None:
    assert measures.kind_of("p0") == "share" and measures.render_kind("p17") == "pct"
    assert measures.label_of("p3") == "Age 3"
    for key in ("px", "p1a", "pp2", "plan"):
        assert measures.kind_of(key) == "text", key
        assert measures.measure(key) is None
    assert measures.label_of("plan") == "plan" and measures.description_of("plan") == ""


def test_overview_keys_cards_series_and_kpis_come_from_the_catalog() -> None:
    from cxtui.metrics.overview import OVERVIEW_KEYS
    from cxtui.render.account import KPI_SECTIONS
    from cxtui.tui.widgets.overview import CARDS, SERIES

    assert measures.keys_in("overview") == OVERVIEW_KEYS
    assert OVERVIEW_KEYS[:3] == ("as_of", "customers_total", "active_customers")
    card_keys = [key for _, key, _ in CARDS]
    assert len(card_keys) == len(set(card_keys)) and set(card_keys) <= set(OVERVIEW_KEYS)
    for _label, key, kind in (*CARDS, *SERIES):
        assert kind == measures.render_kind(key), key
        assert key in measures.MEASURES, key
    # the cards' words: the catalog's label unless the card says it shorter
    labels = {key: label for label, key, _ in CARDS}
    assert labels["customers_total"] == measures.label_of("customers_total") == "Customers"
    assert labels["active_customers"] == "Active"
    for _, rows in KPI_SECTIONS:
        for _label, key, kind in rows:
            assert key in measures.MEASURES and kind == measures.render_kind(key), key
    revenue = dict((k, lbl) for lbl, k, _ in KPI_SECTIONS[1][1])
    assert revenue["mrr"] == "MRR now" and revenue["mrr_12m_ago"] == "MRR 12 months ago"


def test_overview_query_gives_the_catalog_keys_in_order(demo: Path) -> None:
    from cxtui.engine import open_analysis
    from cxtui.metrics.overview import overview

    analysis = open_analysis(demo, use_cache=False)
    assert tuple(overview(analysis.scope).collect_schema().names()) == measures.keys_in("overview")


# ---------------------------------------------------------------- every view's keys


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from cxtui.demo import generate_demo

    root = tmp_path_factory.mktemp("catalog-demo")
    generate_demo(root, 400)
    return root


def _keys_of(out: Any) -> set[str]:
    keys: set[str] = set(out.summary or {})
    for rt in out.tables:
        keys |= set(rt.frame.columns)
    summary = out.extras.get("summary")
    if isinstance(summary, dict):
        keys |= set(summary)
    return keys


def test_every_key_a_view_shows_has_a_catalog_entry(demo: Path, monkeypatch) -> None:
    """Every registered view, as a command (defaults, and every `by` set to a
    dimension), as a pane (its stages) and in the report: each summary key and
    table column is in the catalog, except the data's own customer columns."""
    import cxtui.viewdefs  # noqa: F401  (registers every view)
    from cxtui.engine import open_analysis
    from cxtui.registry import registered

    monkeypatch.setenv("XDG_CACHE_HOME", str(demo.parent / "xdg"))
    analysis = open_analysis(demo, use_cache=False)
    data_columns = set(analysis.ds.columns("customers"))
    seen: dict[str, set[str]] = {}
    for view in registered():
        runs = [view.defaults()]
        if any(o.name == "by" for o in view.options):
            runs.append({**view.defaults(), "by": "segment"})
        for opts in runs:
            try:
                seen.setdefault(view.id, set()).update(_keys_of(view.run(analysis, opts)))
            except CxError:
                continue  # an option this dataset cannot serve
        opts = view.tui_defaults()
        if view.resolve is not None:
            opts = view.resolve(analysis, opts)
        previous = None
        for stage in view.pane_stages:
            previous = stage(analysis, opts, previous)
            seen[view.id] |= _keys_of(previous)
        for job in view.report(analysis) if view.report is not None else []:
            for part in job():
                seen[view.id] |= set(part.summary or {})
                if part.table is not None:
                    seen[view.id] |= set(part.table.frame.columns)
    assert {"overview", "segments", "at-risk"} <= set(seen)
    missing = {
        view: sorted(k for k in keys if k not in data_columns and measures.measure(k) is None)
        for view, keys in seen.items()
    }
    assert {v: ks for v, ks in missing.items() if ks} == {}


def test_account_kpis_have_catalog_entries(demo: Path) -> None:
    from cxtui.engine import open_analysis
    from cxtui.render.account import account_json
    from cxtui.views import account_result

    analysis = open_analysis(demo, use_cache=False)
    customer = analysis.facts.filter(pl.col("active"))["customer_id"][0]
    doc = account_json(account_result(analysis, customer))
    for section in ("status", "revenue"):
        assert doc[section], section
        assert all(key in measures.MEASURES for key in doc[section]), section


# ---------------------------------------------------------------- the risk signals

# SPEC §2 "Risk score": signal -> weight
SPEC_WEIGHTS = {
    "login_decline": 25,
    "ticket_spike": 20,
    "nps_drop": 20,
    "usage_decline": 15,
    "order_gap": 20,
    "detractor": 15,
    "renewal_due": 10,
    "payment_issue": 10,
}


def test_weights_are_the_spec_table_and_sum_to_135() -> None:
    assert {s.id: s.weight for s in SIGNALS} == SPEC_WEIGHTS
    # Σ weights exceed 100 on purpose: risk_score = min(100, round(Σ weight × s))
    assert sum(s.weight for s in SIGNALS) == 135


def test_config_constants_come_from_the_table() -> None:
    assert RISK_SIGNALS == tuple(s.id for s in SIGNALS) == tuple(SPEC_WEIGHTS)
    assert {s.id: s.weight for s in SIGNALS} == DEFAULT_RISK_WEIGHTS
    per_signal = {k: v for s in SIGNALS for k, v in s.thresholds.items()}
    assert {**per_signal, **SCORE_THRESHOLDS} == DEFAULT_RISK_THRESHOLDS
    assert len(DEFAULT_RISK_THRESHOLDS) == 16  # no two signals share a threshold name
    for s in SIGNALS:
        assert all(name.startswith(s.id + "_") for name in s.thresholds), s.id


def test_config_validation_accepts_exactly_the_tables_names(tmp_path: Path) -> None:
    where = tmp_path / "cxtui.toml"
    weights = {s.id: 1.0 + i for i, s in enumerate(SIGNALS)}
    cfg = parse_config(where, {"risk": {"weights": weights}})
    assert cfg.risk_weights == weights
    thresholds = {k: v + 1 for k, v in DEFAULT_RISK_THRESHOLDS.items()}
    assert parse_config(where, {"risk": {"thresholds": thresholds}}).risk_thresholds == thresholds
    with pytest.raises(CxError) as err:
        parse_config(where, {"risk": {"weights": {"churn_risk": 5}}})
    assert "unknown key 'churn_risk'" in str(err.value)
    assert "login_decline, nps_drop, order_gap" in str(err.value)
    with pytest.raises(CxError, match="unknown key 'login_decline'"):
        parse_config(where, {"risk": {"thresholds": {"login_decline": 1}}})


class _Recorder(dict):
    """The default thresholds, noting which ones a strength formula reads."""

    def __init__(self) -> None:
        super().__init__(DEFAULT_RISK_THRESHOLDS)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> float:
        self.read.add(key)
        return super().__getitem__(key)


@pytest.mark.parametrize("signal", SIGNALS, ids=lambda s: s.id)
def test_signal_entry_names_what_its_formula_reads(signal) -> None:
    t = _Recorder()
    strength = signal.strength(t, date(2025, 6, 30))
    # the thresholds in the entry are exactly the ones the formula reads
    assert t.read == set(signal.thresholds)
    # and the columns it reads are its `needs`, as are the text's and the values shown
    assert set(strength.meta.root_names()) <= set(signal.needs)
    assert set(signal.text_value().meta.root_names()) <= set(signal.needs)
    shown = {c for c in (signal.before_column, signal.after_column) if c}
    assert shown and shown <= set(signal.needs)
    assert signal.text.count("{}") == 1 and signal.label and signal.action


def test_facts_carry_every_signals_columns(demo: Path) -> None:
    from cxtui.engine import open_analysis
    from cxtui.metrics.facts import RISK_SIGNAL_COLUMNS

    facts = open_analysis(demo, use_cache=False).facts
    assert tuple(s.id for s in SIGNALS) == RISK_SIGNAL_COLUMNS
    for s in SIGNALS:
        assert {f"s_{s.id}", f"risk_{s.id}", *s.needs} <= set(facts.columns), s.id
        fired = facts.filter(pl.col(f"s_{s.id}").is_not_null())
        # the demo makes every signal fire somewhere; each firing row's text names it
        assert fired.height > 0, s.id
        prefix = s.text.partition("{}")[0]
        assert fired["signals"].str.contains(prefix, literal=True).all(), s.id


# ---------------------------------------------------------------- one signal end to end

AS_OF = date(2025, 6, 30)
MONTHS = [date(2025, m, 1) for m in range(1, 7)]  # P = Jan-Mar, R = Apr-Jun


def _logins_dataset(root: Path, toml: str = "") -> Path:
    """One active customer whose logins fall from 10 a month (P) to 6 (R): −40%."""
    root.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {"customer_id": ["a"], "signup_date": [date(2024, 1, 1)], "owner": ["Kim"]}
    ).write_parquet(root / "customers.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a"] * 6,
            "month": MONTHS,
            "mrr": [100.0] * 6,
            "logins": [10.0, 10.0, 10.0, 6.0, 6.0, 6.0],
        }
    ).write_parquet(root / "monthly.parquet")
    if toml:
        (root / "cxtui.toml").write_text(toml)
    return root


def _json(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--format", "json", "--no-cache", "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _login_row(root: Path) -> dict[str, Any]:
    signals = _json("account", str(root), "a")["risk"]["signals"]
    return next(s for s in signals if s["signal"] == "login_decline")


def test_login_decline_from_the_table_end_to_end(tmp_path: Path) -> None:
    root = _logins_dataset(tmp_path / "default")
    # change = 6 ÷ 10 − 1 = −0.40 ≤ −0.30: fires; strength = 0.40 ÷ 0.60 = 2/3;
    # points = 25 × 2/3 = 16.67; score = round(16.67) = 17
    (row,) = _json("at-risk", str(root), "--min-score", "0")
    assert row["risk_score"] == 17 and row["signals"] == "logins −40%"
    detail = _login_row(root)
    assert detail["measure"] == "Logins per month"
    assert (detail["before"], detail["after"]) == (10.0, 6.0)
    assert detail["points"] == pytest.approx(25 * 0.4 / 0.6, rel=1e-12)
    actions = _json("account", str(root), "a")["recommended_actions"]
    assert actions == [
        "Kim: book a check-in call to find out why usage dropped and re-onboard the key users"
    ]


def test_configured_threshold_and_weight_reach_the_score(tmp_path: Path) -> None:
    # −40% does not reach a −50% threshold: nothing fires, score 0
    quiet = _logins_dataset(tmp_path / "quiet", "[risk.thresholds]\nlogin_decline_change = -0.5\n")
    (row,) = _json("at-risk", str(quiet), "--min-score", "0")
    assert row["risk_score"] == 0 and row["signals"] == ""
    assert _login_row(quiet)["fires"] is False
    # full strength at a 40% decline, weight 50: 50 × min(1, 0.40 ÷ 0.40) = 50
    loud = _logins_dataset(
        tmp_path / "loud",
        "[risk.thresholds]\nlogin_decline_full = 0.4\n[risk.weights]\nlogin_decline = 50\n",
    )
    (row,) = _json("at-risk", str(loud), "--min-score", "0")
    assert row["risk_score"] == 50
    assert _login_row(loud)["weight"] == 50.0

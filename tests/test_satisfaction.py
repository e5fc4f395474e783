"""SPEC §9 satisfaction on tiny fixtures, every expected number worked out by hand,
plus a plain-Python implementation of the same readings compared on generated data.

as_of is 2025-06-30, so the default 90d window is (2025-04-01, 2025-06-30] and
30d is (2025-05-31, 2025-06-30].
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from cxtui.engine import collect, open_analysis
from cxtui.errors import CxError
from cxtui.metrics import satisfaction as sat
from cxtui.metrics.overview import overview

AS_OF = date(2025, 6, 30)
D = date


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


def write(root: Path, table: str, frame: pl.DataFrame) -> None:
    root.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(root / f"{table}.parquet")


def scope_of(root: Path, as_of: date = AS_OF, where: str | None = None):
    return open_analysis(root, as_of=as_of, where=where, use_cache=False).scope


def rows(lf: pl.LazyFrame) -> list[dict]:
    return collect(lf).to_dicts()


FEEDBACK_SCHEMA = {
    "customer_id": pl.String,
    "date": pl.Date,
    "score": pl.Float64,
    "csat": pl.Float64,
    "topic": pl.String,
}

# (customer, date, score, csat, topic); comments say what each row tests
FEEDBACK = [
    ("a", D(2025, 4, 1), 10, 5, "billing"),  # on the excluded lower edge of 90d
    ("a", D(2025, 4, 2), 3, 2, "billing"),  # a's latest: detractor, csat 2
    ("b", D(2025, 5, 1), 6, 4, "support"),  # an earlier response: not b's latest
    ("b", D(2025, 6, 30), 9, None, "support"),  # on as_of: promoter, latest has no csat
    ("c", D(2025, 6, 10), 7, 4, "onboarding"),  # two on one day: the higher score wins
    ("c", D(2025, 6, 10), 8, 3, "onboarding"),  # c's latest: passive, csat 3
    ("d", D(2025, 5, 5), 10, 5, "support"),  # promoter, csat 5
    ("e", D(2025, 5, 20), 9, 7, "billing"),  # promoter; csat 7 is outside 1-5: no csat
    ("f", D(2025, 3, 1), 2, None, None),  # before the window (March in the trend)
    ("f", D(2025, 6, 1), None, 5, "billing"),  # no score: not a response
    ("g", D(2025, 6, 15), 0, 1, None),  # detractor, csat 1, no topic
    ("h", D(2025, 6, 5), 7, None, "pricing"),  # passive; a topic without csat
    ("x", D(2025, 6, 1), 10, 5, "support"),  # not a customer
    ("late", D(2025, 6, 20), 10, 5, "support"),  # starts after as_of
    ("a", D(2025, 7, 2), 0, 1, "billing"),  # after as_of: not seen
]
SEGMENT = {"a": "SMB", "b": "SMB", "c": "SMB", "d": "Ent", "e": "Ent"}


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    root = tmp_path / "survey"
    ids = ["a", "b", "c", "d", "e", "f", "g", "h", "late"]
    write(
        root,
        "customers",
        pl.DataFrame(
            {
                "customer_id": ids,
                "name": [f"N{i}" for i in ids],
                "segment": [SEGMENT.get(i) for i in ids],
                "signup_date": [D(2024, 1, 1)] * 8 + [D(2025, 7, 15)],
            }
        ),
    )
    write(root, "feedback", pl.DataFrame(FEEDBACK, schema=FEEDBACK_SCHEMA, orient="row"))
    return root


# ---------------------------------------------------------------- by hand


def test_window_figures_from_each_customers_latest_response(survey: Path) -> None:
    (row,) = rows(sat.satisfaction(scope_of(survey)))
    # respondents a(3) b(9) c(8) d(10) e(9) g(0) h(7); f's window row has no score,
    # x is not a customer, late has not started
    assert row["respondents"] == 7
    assert (row["promoters"], row["passives"], row["detractors"]) == (3, 2, 2)
    assert row["promoter_share"] == pytest.approx(3 / 7, rel=1e-12)
    assert row["passive_share"] == pytest.approx(2 / 7, rel=1e-12)
    assert row["detractor_share"] == pytest.approx(2 / 7, rel=1e-12)
    assert row["nps"] == pytest.approx(100 * (3 - 2) / 7, rel=1e-12)
    # csat of the latest responses: a 2, c 3, d 5, g 1 (b and h none, e's 7 is no csat)
    assert row["csat_responses"] == 4
    assert row["csat_mean"] == pytest.approx((2 + 3 + 5 + 1) / 4, rel=1e-12)
    assert row["csat_share"] == pytest.approx(1 / 4, rel=1e-12)  # d's 5 only


def test_window_nps_is_overviews_nps_90d(survey: Path) -> None:
    scope = scope_of(survey)
    (mine,) = rows(sat.satisfaction(scope))
    (ov,) = rows(overview(scope))
    assert (mine["nps"], mine["respondents"]) == (ov["nps_90d"], ov["nps_90d_n"])


def test_a_30_day_window(survey: Path) -> None:
    (row,) = rows(sat.satisfaction(scope_of(survey), window_days=30))
    # (2025-05-31, 2025-06-30]: b 9, c 8, g 0, h 7
    assert (row["respondents"], row["promoters"], row["passives"], row["detractors"]) == (
        4,
        1,
        2,
        1,
    )
    assert row["nps"] == pytest.approx(0.0)
    assert row["csat_mean"] == pytest.approx(2.0)  # c 3, g 1


def test_no_respondents_gives_zero_counts_and_null_ratios(survey: Path) -> None:
    (row,) = rows(sat.satisfaction(scope_of(survey, as_of=D(2025, 1, 31))))
    assert row["respondents"] == 0 and row["csat_responses"] == 0
    assert row["nps"] is None and row["promoter_share"] is None
    assert row["csat_mean"] is None and row["csat_share"] is None


def test_by_dimension_rows_with_respondents(survey: Path) -> None:
    got = rows(sat.satisfaction_by(scope_of(survey), "segment"))
    assert [r["segment"] for r in got] == ["SMB", "Ent", None]  # 3, 2, 2 respondents
    smb, ent, none = got
    assert (smb["respondents"], smb["promoters"], smb["passives"], smb["detractors"]) == (
        3,
        1,
        1,
        1,
    )
    assert smb["nps"] == pytest.approx(0.0)
    assert smb["csat_mean"] == pytest.approx(2.5) and smb["csat_share"] == 0.0  # a 2, c 3
    assert ent["nps"] == pytest.approx(100.0) and ent["csat_mean"] == 5.0  # d 10/5, e 9
    assert ent["csat_responses"] == 1 and ent["csat_share"] == 1.0
    assert none["nps"] == pytest.approx(-50.0)  # g 0, h 7
    assert none["csat_mean"] == 1.0


def test_trend_per_calendar_month(survey: Path) -> None:
    got = rows(sat.satisfaction_trend(scope_of(survey)))
    months = [D(2024, m, 1) for m in range(7, 13)] + [D(2025, m, 1) for m in range(1, 7)]
    assert [r["month"] for r in got] == months
    by_month = {r["month"]: r for r in got}
    march, april, may, june = (by_month[D(2025, m, 1)] for m in (3, 4, 5, 6))
    # March: f 2 (no csat)
    assert (march["respondents"], march["detractors"], march["nps"]) == (1, 1, -100.0)
    assert march["csat_responses"] == 0 and march["csat_mean"] is None
    # April: a 10 on the 1st and 3 on the 2nd: the latest, 3
    assert (april["respondents"], april["detractors"], april["csat_mean"]) == (1, 1, 2.0)
    # May: b 6 (csat 4), d 10 (5), e 9 (no csat)
    assert (may["respondents"], may["promoters"], may["detractors"]) == (3, 2, 1)
    assert may["nps"] == pytest.approx(100 / 3)
    assert may["csat_mean"] == pytest.approx(4.5) and may["csat_share"] == 1.0
    # June: b 9, c 8 (csat 3), g 0 (csat 1), h 7
    assert (june["respondents"], june["promoters"], june["passives"]) == (4, 1, 2)
    assert june["nps"] == pytest.approx(0.0) and june["csat_share"] == 0.0
    empty = by_month[D(2024, 12, 1)]
    assert empty["respondents"] == 0 and empty["nps"] is None and empty["csat_mean"] is None


def test_drivers_and_areas_to_improve_per_topic(survey: Path) -> None:
    scope = scope_of(survey)
    drivers = rows(sat.satisfaction_drivers(scope))
    # every response in the window with a topic and a score:
    # support: b 6/4, b 9/-, d 10/5; onboarding: c 7/4, c 8/3; billing: a 3/2, e 9/(7);
    # pricing: h 7/-
    assert [r["topic"] for r in drivers] == ["support", "onboarding", "billing", "pricing"]
    support, onboarding, billing, pricing = drivers
    assert support == {
        "topic": "support",
        "responses": 3,
        "csat_mean": pytest.approx(4.5),
        "score_mean": pytest.approx(25 / 3),
        "detractor_share": pytest.approx(1 / 3),
    }
    assert (onboarding["responses"], onboarding["csat_mean"]) == (2, 3.5)
    assert (onboarding["score_mean"], onboarding["detractor_share"]) == (7.5, 0.0)
    assert (billing["responses"], billing["csat_mean"], billing["score_mean"]) == (2, 2.0, 6.0)
    assert billing["detractor_share"] == 0.5
    assert (pricing["responses"], pricing["csat_mean"], pricing["score_mean"]) == (1, None, 7.0)
    areas = rows(sat.satisfaction_drivers(scope, areas_to_improve=True))
    assert [r["topic"] for r in areas] == ["billing", "onboarding", "support", "pricing"]


def test_detractor_accounts_and_other_drill_downs(survey: Path) -> None:
    scope = scope_of(survey)
    detractors = rows(sat.detractor_accounts(scope))
    assert [(r["customer_id"], r["feedback_score"]) for r in detractors] == [("g", 0), ("a", 3)]
    assert detractors[1]["feedback_date"] == D(2025, 4, 2) and detractors[1]["name"] == "Na"
    assert detractors[1]["feedback_group"] == "detractor"
    passives = rows(sat.respondent_accounts(scope, group="passive"))
    assert {r["customer_id"] for r in passives} == {"c", "h"}
    unsegmented = rows(sat.respondent_accounts(scope, dim="segment", value=None))
    assert {r["customer_id"] for r in unsegmented} == {"g", "h"}
    ent_promoters = rows(
        sat.respondent_accounts(scope, group="promoter", dim="segment", value="Ent")
    )
    assert {r["customer_id"] for r in ent_promoters} == {"d", "e"}
    march = rows(sat.respondent_accounts(scope, month=D(2025, 3, 1)))
    assert [r["customer_id"] for r in march] == ["f"]
    topic = rows(sat.topic_accounts(scope, "support"))
    assert [(r["customer_id"], r["responses"], r["feedback_score"]) for r in topic] == [
        ("b", 2, 9),
        ("d", 1, 10),
    ]
    # each count drills to exactly as many accounts
    (row,) = rows(sat.satisfaction(scope))
    for group, key in (("promoter", "promoters"), ("passive", "passives")):
        assert len(rows(sat.respondent_accounts(scope, group=group))) == row[key]


def test_where_restricts_the_respondents(survey: Path) -> None:
    (row,) = rows(sat.satisfaction(scope_of(survey, where="segment = 'SMB'")))
    assert (row["respondents"], row["nps"]) == (3, 0.0)


def test_missing_feedback_topic_and_bad_group_are_one_line_errors(
    survey: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "bare"
    write(bare, "customers", pl.DataFrame({"customer_id": ["a"], "signup_date": [D(2024, 1, 1)]}))
    with pytest.raises(CxError, match=r"needs a feedback table.*tables\.feedback"):
        sat.satisfaction(scope_of(bare))
    no_topic = tmp_path / "no_topic"
    write(no_topic, "customers", pl.read_parquet(survey / "customers.parquet"))
    write(no_topic, "feedback", pl.read_parquet(survey / "feedback.parquet").drop("topic"))
    scope = scope_of(no_topic)
    assert not sat.has_topics(scope.ds)
    with pytest.raises(CxError, match=r"topic column.*tables\.feedback\.columns"):
        sat.satisfaction_drivers(scope)
    assert rows(sat.satisfaction(scope))[0]["respondents"] == 7  # the rest still works
    with pytest.raises(CxError, match="unknown respondent group"):
        sat.respondent_accounts(scope_of(survey), group="fans")


def test_topic_and_csat_mapped_from_a_csv(tmp_path: Path) -> None:
    root = tmp_path / "csv"
    write(
        root,
        "customers",
        pl.DataFrame({"customer_id": ["7", "8"], "signup_date": [D(2024, 1, 1)] * 2}),
    )
    (root / "survey.csv").write_text(
        "account,answered,nps_score,satisfaction,theme\n"
        "7,2025-06-01,9,5,speed\n"
        "8,2025-06-02,4,2,speed\n"
        "8,2025-06-03,5,,price\n"
    )
    (root / "cxtui.toml").write_text(
        '[tables.feedback]\npath = "survey.csv"\n[tables.feedback.columns]\n'
        'customer_id = "account"\ndate = "answered"\nscore = "nps_score"\n'
        'csat = "satisfaction"\ntopic = "theme"\n'
    )
    scope = scope_of(root)
    (row,) = rows(sat.satisfaction(scope))
    # 7: 9 (csat 5); 8: latest 5 (no csat)
    assert (row["respondents"], row["nps"], row["csat_mean"]) == (2, 0.0, 5.0)
    drivers = rows(sat.satisfaction_drivers(scope))
    assert [(r["topic"], r["responses"], r["csat_mean"]) for r in drivers] == [
        ("speed", 2, 3.5),
        ("price", 1, None),
    ]


# ---------------------------------------------------------------- an independent implementation


def reference(customers: dict[str, date], feedback: list[tuple], as_of: date, days: int) -> dict:
    """SPEC §9 read as docs/metrics.md records it, in plain Python."""
    lo = as_of - timedelta(days=days)
    latest: dict[str, tuple] = {}
    topics: dict[str, list[tuple]] = {}
    for cid, day, score, csat, topic in feedback:
        started = cid in customers and customers[cid] <= as_of
        if not started or score is None or not (lo < day <= as_of):
            continue
        csat = csat if csat is not None and 1 <= csat <= 5 else None
        key = (day, score, -math.inf if csat is None else csat, topic or "")
        if cid not in latest or key > latest[cid][0]:
            latest[cid] = (key, score, csat)
        if topic is not None:
            topics.setdefault(topic, []).append((score, csat))
    scores = [s for _, s, _ in latest.values()]
    csats = [c for _, _, c in latest.values() if c is not None]
    n = len(scores)
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    drivers = {
        t: {
            "responses": len(v),
            "csat_mean": (
                sum(c for _, c in v if c is not None) / sum(c is not None for _, c in v)
                if any(c is not None for _, c in v)
                else None
            ),
            "score_mean": sum(s for s, _ in v) / len(v),
            "detractor_share": sum(s <= 6 for s, _ in v) / len(v),
        }
        for t, v in topics.items()
    }
    return {
        "respondents": n,
        "promoters": promoters,
        "detractors": detractors,
        "passives": n - promoters - detractors,
        "nps": 100 * (promoters - detractors) / n if n else None,
        "csat_responses": len(csats),
        "csat_mean": sum(csats) / len(csats) if csats else None,
        "csat_share": sum(c >= 4 for c in csats) / len(csats) if csats else None,
        "drivers": drivers,
    }


def close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_a_plain_python_reference_on_generated_data(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(60)]
    customers = {i: D(2024, 1, 1) + timedelta(days=rng.randrange(600)) for i in ids}
    feedback = []
    for _ in range(400):
        cid = rng.choice([*ids, "ghost1", "ghost2"])
        day = AS_OF - timedelta(days=rng.randrange(-5, 130))
        score = None if rng.random() < 0.05 else float(rng.randrange(11))
        csat = rng.choice([None, 1.0, 2.0, 3.0, 4.0, 5.0, 4.5, 0.0, 6.0])
        topic = rng.choice([None, "billing", "speed", "support"])
        feedback.append((cid, day, score, csat, topic))
    root = tmp_path / f"gen{seed}"
    write(
        root,
        "customers",
        pl.DataFrame({"customer_id": list(customers), "signup_date": list(customers.values())}),
    )
    write(root, "feedback", pl.DataFrame(feedback, schema=FEEDBACK_SCHEMA, orient="row"))
    scope = scope_of(root)
    for days in (30, 90):
        want = reference(customers, feedback, AS_OF, days)
        (got,) = rows(sat.satisfaction(scope, window_days=days))
        for key in ("respondents", "promoters", "passives", "detractors", "csat_responses"):
            assert got[key] == want[key], key
        for key in ("nps", "csat_mean", "csat_share"):
            assert close(got[key], want[key]), key
        drivers = {r["topic"]: r for r in rows(sat.satisfaction_drivers(scope, days))}
        assert drivers.keys() == want["drivers"].keys()
        for topic, expected in want["drivers"].items():
            assert drivers[topic]["responses"] == expected["responses"]
            for key in ("csat_mean", "score_mean", "detractor_share"):
                assert close(drivers[topic][key], expected[key]), (topic, key)

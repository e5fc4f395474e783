"""The satisfaction view (SPEC §9) through the CLI in every format, the report and
the TUI pane, on a tiny survey whose numbers are worked out by hand below; and
account detail's recent feedback with its topic and csat.

as_of is 2025-06-30, so the default 90d window is (2025-04-01, 2025-06-30].
"""

from __future__ import annotations

import csv
import json
import shlex
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app
from cxtui.tui.app import CxApp
from cxtui.tui.screens.drill import MembersScreen
from cxtui.tui.screens.main import MainScreen
from cxtui.tui.widgets.data_view import DataView
from cxtui.tui.widgets.satisfaction import NpsGauge, gauge_cells, gauge_text

AS_OF = "2025-06-30"
D = date
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path_factory, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


# (customer, date, score, csat, topic); what each row is for
FEEDBACK = [
    ("a", D(2025, 4, 1), 10, 5, "billing"),  # on the excluded lower edge of 90d
    ("a", D(2025, 4, 2), 3, 2, "billing"),  # a's latest: detractor, csat 2
    ("b", D(2025, 5, 1), 6, 4, "support"),  # not b's latest (May's detractor in the trend)
    ("b", D(2025, 6, 30), 9, None, "support"),  # on as_of: promoter, no csat
    ("c", D(2025, 6, 10), 7, 4, "onboarding"),  # two on one day: the higher score wins
    ("c", D(2025, 6, 10), 8, 3, "onboarding"),  # c's latest: passive, csat 3
    ("d", D(2025, 5, 5), 10, 5, "support"),  # promoter, csat 5
    ("e", D(2025, 5, 20), 9, 7, "billing"),  # promoter; csat 7 is outside 1-5: a note
    ("g", D(2025, 6, 15), 0, 1, None),  # detractor, csat 1, no topic
    ("h", D(2025, 6, 5), 7, None, "pricing"),  # passive; a topic without csat
    ("x", D(2025, 6, 1), 10, 5, "support"),  # not a customer
    ("late", D(2025, 6, 20), 10, 5, "support"),  # starts after as_of
    ("a", D(2025, 7, 2), 0, 1, "billing"),  # after as_of: not seen
]
SEGMENT = {"a": "SMB", "b": "SMB", "c": "SMB", "d": "Ent", "e": "Ent", "g": "Ent"}
IDS = ["a", "b", "c", "d", "e", "g", "h", "late"]
NAMES = {i: f"Cust {i.upper()}" for i in IDS}

# Worked by hand. Latest responses in 90d: a 3, b 9, c 8, d 10, e 9, g 0, h 7.
SUMMARY = {
    "respondents": 7,
    "promoters": 3,  # b, d, e
    "passives": 2,  # c, h
    "detractors": 2,  # a, g
    "promoter_share": 3 / 7,
    "passive_share": 2 / 7,
    "detractor_share": 2 / 7,
    "nps": 100 * (3 - 2) / 7,
    "csat_responses": 4,  # a 2, c 3, d 5, g 1 (b and h have none, e's 7 is none)
    "csat_mean": (2 + 3 + 5 + 1) / 4,
    "csat_share": 1 / 4,  # d only
}
# every response in 90d with a topic: (topic, responses, csat_mean, score_mean, detractor_share)
DRIVERS = [
    ("support", 3, 4.5, 25 / 3, 1 / 3),  # b 6 (csat 4), b 9, d 10 (csat 5)
    ("onboarding", 2, 3.5, 7.5, 0.0),  # c 7 (4), c 8 (3)
    ("billing", 2, 2.0, 6.0, 0.5),  # a 3 (2), e 9 (csat out of range)
    ("pricing", 1, None, 7.0, 0.0),  # h: no csat, last in both orders
]
AREAS = [DRIVERS[2], DRIVERS[1], DRIVERS[0], DRIVERS[3]]


def write(root: Path, table: str, frame: pl.DataFrame) -> None:
    root.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(root / f"{table}.parquet")


def customers(root: Path) -> None:
    write(
        root,
        "customers",
        pl.DataFrame(
            {
                "customer_id": IDS,
                "name": [NAMES[i] for i in IDS],
                "segment": [SEGMENT.get(i) for i in IDS],
                "signup_date": [D(2025, 7, 15) if i == "late" else D(2024, 1, 1) for i in IDS],
            }
        ),
    )


@pytest.fixture(scope="module")
def survey(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("survey")
    customers(root)
    write(
        root,
        "feedback",
        pl.DataFrame(
            FEEDBACK,
            schema={
                "customer_id": pl.String,
                "date": pl.Date,
                "score": pl.Float64,
                "csat": pl.Float64,
                "topic": pl.String,
            },
            orient="row",
        ).with_columns(pl.lit("said something").alias("comment")),
    )
    return root


@pytest.fixture(scope="module")
def no_topics(tmp_path_factory) -> Path:
    """The same survey without topic or csat columns, and no comment."""
    root = tmp_path_factory.mktemp("no-topics")
    customers(root)
    rows = [(c, d, s) for c, d, s, _, _ in FEEDBACK]
    write(
        root,
        "feedback",
        pl.DataFrame(
            rows,
            schema={"customer_id": pl.String, "date": pl.Date, "score": pl.Float64},
            orient="row",
        ),
    )
    return root


@pytest.fixture(scope="module")
def no_feedback(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("no-feedback")
    customers(root)
    return root


def invoke(*args: str, as_of: str = AS_OF):
    return runner.invoke(app, [*args, "--as-of", as_of, "--no-cache"])


def ok_json(*args: str):
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def approx_row(got: dict, want: dict) -> None:
    assert set(want) <= set(got)
    for key, value in want.items():
        if value is None or isinstance(value, str):
            assert got[key] == value, key
        else:
            assert got[key] == pytest.approx(value, rel=1e-12), key


def driver_dicts(rows) -> list[dict]:
    keys = ("topic", "responses", "csat_mean", "score_mean", "detractor_share")
    return [dict(zip(keys, r, strict=True)) for r in rows]


# ---------------------------------------------------------------- the command


def test_json_summary_drivers_and_areas_worked_by_hand(survey: Path) -> None:
    out = ok_json("satisfaction", str(survey))
    assert out["as_of"] == AS_OF and out["window"] == "90d" and out["by"] is None
    approx_row(out["overall"], SUMMARY)
    assert list(out["overall"]) == list(SUMMARY)  # the summary keys, in order
    assert len(out["drivers"]) == len(DRIVERS)
    for got, want in zip(out["drivers"], driver_dicts(DRIVERS), strict=True):
        approx_row(got, want)
    for got, want in zip(out["areas_to_improve"], driver_dicts(AREAS), strict=True):
        approx_row(got, want)
    assert out["segments"] == []
    assert out["notes"] == [
        "1 survey response has a csat outside 1-5: no csat in the csat figures "
        "(cxtui validate lists them)"
    ]


def test_by_dimension_json_and_csv(survey: Path) -> None:
    out = ok_json("satisfaction", str(survey), "--by", "segment")
    rows = out["segments"]
    # respondents desc, then value asc, null last: Ent (d, e, g), SMB (a, b, c), null (h)
    assert [r["segment"] for r in rows] == ["Ent", "SMB", None]
    approx_row(
        rows[0],
        {"respondents": 3, "promoters": 2, "detractors": 1, "nps": 100 / 3, "csat_mean": 3.0},
    )
    approx_row(rows[0], {"csat_responses": 2, "csat_share": 0.5})  # d 5, g 1; e none
    approx_row(rows[1], {"respondents": 3, "promoters": 1, "passives": 1, "nps": 0.0})
    approx_row(rows[1], {"csat_mean": 2.5, "csat_share": 0.0})  # a 2, c 3
    approx_row(rows[2], {"respondents": 1, "passives": 1, "csat_responses": 0, "csat_mean": None})
    assert rows[2]["csat_share"] is None

    result = invoke("satisfaction", str(survey), "--by", "segment", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # one CSV block after another
    summary = dict(csv.reader(lines[1:12]))
    assert lines[0] == "metric,value" and summary["respondents"] == "7"
    assert float(summary["nps"]) == pytest.approx(100 / 7, rel=1e-12)
    start = next(i for i, line in enumerate(lines) if line.startswith("segment,"))
    end = lines.index("note")  # the notes come last
    by = list(csv.DictReader(lines[start:end]))
    assert [r["segment"] for r in by] == ["Ent", "SMB", ""]
    assert [r["respondents"] for r in by] == ["3", "3", "1"]
    assert "csat outside 1-5" in lines[end + 1]


def test_table_and_markdown_show_the_summary_drivers_and_the_note(survey: Path) -> None:
    result = invoke("satisfaction", str(survey), "--format", "table")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "\x1b" not in text
    for piece in ("respondents", "14.3", "Drivers", "Areas to improve", "csat outside 1-5"):
        assert piece in text, piece
    # drivers best first, areas to improve worst first
    drivers, areas = text.split("Areas to improve")
    assert drivers.index("support") < drivers.index("onboarding") < drivers.index("billing")
    assert areas.index("billing") < areas.index("onboarding") < areas.index("support")

    md = invoke("satisfaction", str(survey), "--format", "markdown").stdout
    assert "| respondents | 7 |" in md
    assert "| support | 3 | 4.5 |" in md


def test_trend_per_calendar_month(survey: Path) -> None:
    rows = ok_json("satisfaction", str(survey), "--trend")
    assert rows[0]["month"] == "2024-07-01" and len(rows) == 12
    by_month = {r["month"]: r for r in rows}
    # April: a's latest in April is 04-02 (3); the 04-01 response is April's too
    approx_row(by_month["2025-04-01"], {"respondents": 1, "detractors": 1, "nps": -100.0})
    # May: b 6, d 10, e 9
    approx_row(
        by_month["2025-05-01"],
        {"respondents": 3, "promoters": 2, "detractors": 1, "nps": 100 / 3, "csat_mean": 4.5},
    )
    # June: b 9, c 8, g 0, h 7 (x is no customer, late has not started)
    approx_row(
        by_month["2025-06-01"],
        {"respondents": 4, "promoters": 1, "passives": 2, "detractors": 1, "nps": 0.0},
    )
    approx_row(by_month["2025-03-01"], {"respondents": 0, "nps": None, "csat_mean": None})


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["--accounts", "detractors"], ["g", "a"]),  # lowest score first
        (["--accounts", "promoters"], ["b", "e", "d"]),  # 9 (latest first), 9, 10
        (["--accounts", "passives"], ["h", "c"]),
        (["--accounts", "respondents"], ["g", "a", "h", "c", "b", "e", "d"]),
        (["--accounts", "respondents", "--month", "2025-05"], ["b", "e", "d"]),
        (["--accounts", "detractors", "--window", "30d"], ["g"]),  # (05-31, 06-30]
        (["--topic", "support"], ["b", "d"]),
        (["--accounts", "respondents", "--where", "segment = 'Ent'"], ["g", "e", "d"]),
    ],
)
def test_account_lists(survey: Path, args: list[str], ids: list[str]) -> None:
    rows = ok_json("satisfaction", str(survey), *args)
    assert [r["customer_id"] for r in rows] == ids


def test_account_list_columns(survey: Path) -> None:
    rows = ok_json("satisfaction", str(survey), "--topic", "billing")
    assert [r["customer_id"] for r in rows] == ["a", "e"]
    assert rows[0]["responses"] == 1 and rows[0]["feedback_score"] == 3.0
    assert rows[0]["feedback_csat"] == 2.0 and rows[0]["feedback_topic"] == "billing"
    assert rows[0]["name"] == "Cust A" and rows[0]["segment"] == "SMB"
    assert rows[1]["feedback_csat"] is None  # e's 7 is no csat
    # nobody answered on billing in the last 30 days
    assert ok_json("satisfaction", str(survey), "--topic", "billing", "--window", "30d") == []


def test_without_topics_the_drivers_are_null(no_topics: Path) -> None:
    out = ok_json("satisfaction", str(no_topics))
    assert out["drivers"] is None and out["areas_to_improve"] is None and out["notes"] == []
    approx_row(out["overall"], {"respondents": 7, "nps": 100 / 7, "csat_responses": 0})
    assert out["overall"]["csat_mean"] is None and out["overall"]["csat_share"] is None
    text = invoke("satisfaction", str(no_topics)).stdout
    assert "respondents" in text and "Drivers" not in text


@pytest.mark.parametrize(
    ("data", "args", "needle"),
    [
        ("no_feedback", [], "feedback"),
        ("survey", ["--window", "ninety"], "--window"),
        ("survey", ["--accounts", "fans"], "--accounts"),
        ("survey", ["--accounts", "detractors", "--month", "May"], "--month"),
        ("survey", ["--month", "2025-05"], "--month"),
        ("survey", ["--by", "colour"], "colour"),
        ("survey", ["--trend", "--by", "segment"], "--trend"),
        ("survey", ["--accounts", "detractors", "--topic", "billing"], "--topic"),
        ("no_topics", ["--topic", "billing"], "topic"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(request, data, args, needle) -> None:
    root = request.getfixturevalue(data)
    result = invoke("satisfaction", str(root), *args)
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in result.output


# ---------------------------------------------------------------- report


def test_report_parts(survey: Path, no_feedback: Path) -> None:
    doc = ok_json("report", str(survey))
    approx_row(doc["satisfaction"], {**SUMMARY, "window": "90d"})
    assert len(doc["satisfaction"]["notes"]) == 1
    assert [r["topic"] for r in doc["satisfaction_drivers"]] == [t[0] for t in DRIVERS]
    assert [r["topic"] for r in doc["satisfaction_areas_to_improve"]] == [t[0] for t in AREAS]
    text = invoke("report", str(survey), "--format", "markdown").stdout
    assert "### Satisfaction" in text and "Areas to improve" in text
    doc = ok_json("report", str(no_feedback))
    assert "satisfaction" not in doc and "satisfaction_drivers" not in doc


# ---------------------------------------------------------------- account detail


def test_account_feedback_shows_topic_and_csat(survey: Path, no_topics: Path) -> None:
    doc = ok_json("account", str(survey), "a")
    assert list(doc["feedback"][0]) == ["date", "score", "csat", "topic", "comment"]
    # newest first, nothing after as_of
    assert [(r["date"], r["score"], r["csat"], r["topic"]) for r in doc["feedback"]] == [
        ("2025-04-02", 3.0, 2.0, "billing"),
        ("2025-04-01", 10.0, 5.0, "billing"),
    ]
    assert "tickets" not in doc  # no tickets table
    doc = ok_json("account", str(no_topics), "a")
    assert list(doc["feedback"][0]) == ["date", "score"]
    text = invoke("account", str(survey), "a").stdout
    assert "Recent feedback" in text and "billing" in text and "Tickets" not in text


# ---------------------------------------------------------------- the pane


def test_gauge_marks_the_value_on_a_scale_from_minus_100_to_100() -> None:
    assert gauge_cells(None, 11) == "├────┼────┤"
    assert gauge_cells(-100, 11) == "●────┼────┤"
    assert gauge_cells(100, 11) == "├────┼────●"
    assert gauge_cells(0, 11) == "├────●────┤"
    assert gauge_cells(50, 11) == "├────┼──●─┤"
    assert gauge_cells(250, 10) == "├────┼────●"  # clamped; an even width gets one more cell
    line = gauge_text({"nps": 14.2857}, "90d", 60).plain
    assert line.startswith("NPS +14.3 · last 90d  −100 ├") and line.endswith("┤ +100")
    assert len(line) <= 60 and line.count("●") == 1
    assert "NPS —" in gauge_text({"nps": None}, "90d", 60).plain


def command_ids(command: str) -> list[str]:
    """Run a drill-down's `cxtui …` command; the customer ids it prints."""
    args = shlex.split(command)
    assert args[0] == "cxtui"
    result = runner.invoke(app, [*args[1:], "--format", "json", "--no-cache"])
    assert result.exit_code == 0, result.output
    return [r["customer_id"] for r in json.loads(result.stdout)]


def make_app(data: Path) -> CxApp:
    return CxApp(data, use_cache=False, as_of=date.fromisoformat(AS_OF))


async def settle(pilot, app: CxApp, timeout: float = 30.0) -> None:
    waited = 0.0
    while waited < timeout:
        await pilot.pause(0.05)
        waited += 0.05
        busy = [w for w in app.workers if not w.is_finished]
        queued = any(getattr(s, "_pending", None) for s in app.screen_stack)
        if app.analysis is not None and not busy and not queued:
            await pilot.pause(0.05)
            return
    raise AssertionError("the app did not settle")


def table(app: CxApp, ident: str) -> DataView:
    return app.screen.query_one(f"#{ident}", DataView)


def column(v: DataView, key: str) -> list:
    assert v.table is not None
    return v.table.frame[key].to_list()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_pane_shows_gauge_groups_and_drills_to_exactly_the_counted(
    survey: Path, size
) -> None:
    app = make_app(survey)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        app.screen.action_pane("satisfaction")
        await settle(pilot, app)
        gauge = app.screen.query_one(NpsGauge)
        assert "NPS +14.3" in gauge.render().plain and "7 respondents" in gauge.render().plain
        main = table(app, "satisfaction")
        assert column(main, "respondent_group") == [
            "Promoters",
            "Passives",
            "Detractors",
            "All respondents",
        ]
        assert column(main, "customers") == [3, 2, 2, 7]
        footer = app.screen.query_one("#satisfaction-footer").render()
        assert "csat outside 1-5" in str(footer)
        await pilot.press("down", "down", "enter")  # Detractors
        await settle(pilot, app)
        assert isinstance(app.screen, MembersScreen)
        assert column(table(app, "members"), "customer_id") == ["g", "a"]
        assert "--accounts detractors" in app.screen.cli_command()
        assert command_ids(app.screen.cli_command()) == ["g", "a"]
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        assert table(app, "satisfaction").cursor_row == 2

        # t: the trend, then the drivers; Enter on a topic lists its customers
        lower = table(app, "satisfaction-1")
        assert column(lower, "month")[-1] == date(2025, 6, 1)
        await pilot.press("t")
        assert app.screen.focused is lower
        await pilot.press("end", "enter")  # June
        await settle(pilot, app)
        # June's latest responses, lowest score first: g 0, h 7, c 8, b 9
        assert column(table(app, "members"), "customer_id") == ["g", "h", "c", "b"]
        assert command_ids(app.screen.cli_command()) == ["g", "h", "c", "b"]
        await pilot.press("escape")
        await pilot.press("t")
        assert column(lower, "topic") == [t[0] for t in DRIVERS]
        await pilot.press("enter")  # support
        await settle(pilot, app)
        assert column(table(app, "members"), "customer_id") == ["b", "d"]
        assert command_ids(app.screen.cli_command()) == ["b", "d"]
        await pilot.press("escape")
        await pilot.press("t")
        assert column(lower, "topic") == [t[0] for t in AREAS]
        await pilot.press("t")
        assert app.screen.focused is main


async def test_pane_by_dimension_drills_to_the_group(survey: Path) -> None:
    app = make_app(survey)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        screen = app.screen
        screen.opts["satisfaction"] = {**screen.opts["satisfaction"], "by": "segment"}
        screen.action_pane("satisfaction")
        screen.load("satisfaction")
        await settle(pilot, app)
        main = table(app, "satisfaction")
        assert column(main, "segment") == ["Ent", "SMB", None]
        main.focus()
        await pilot.press("enter")
        await settle(pilot, app)
        assert column(table(app, "members"), "customer_id") == ["g", "e", "d"]
        command = app.screen.cli_command()
        assert "--accounts respondents" in command and "segment = 'Ent'" in shlex.split(command)
        assert command_ids(command) == ["g", "e", "d"]  # the command prints the same accounts

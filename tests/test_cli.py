"""The printing CLI through typer's CliRunner and, where the process matters, a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """A tiny SaaS + orders dataset with values worked out by hand below."""
    root = tmp_path_factory.mktemp("shop")
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "name": ["Acme [bold]Corp[/bold]", "Beta\x1b[2J Ltd", "Gamma"],
            "segment": ["Enterprise", "SMB", "SMB"],
            "region": ["EMEA", "APAC", None],
            "owner": ["Ann", "Bob", None],
            "signup_date": [date(2024, 1, 1), date(2024, 2, 1), date(2025, 5, 20)],
            "churn_date": [None, date(2025, 5, 10), None],
            "churn_reason": [None, "Price concerns", None],
        }
    ).write_parquet(root / "customers.parquet")
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "zzz"],
            "order_date": [
                date(2025, 1, 10),
                date(2025, 5, 1),
                date(2025, 3, 1),
                date(2025, 5, 30),
                date(2025, 5, 2),
            ],
            "amount": [1000.0, 500.0, 200.0, 50.0, 9.0],
        }
    ).write_parquet(root / "orders.parquet")
    return root


def invoke(*args: str):
    extra = [] if args[0] == "validate" else ["--no-cache"]
    return runner.invoke(app, [*args, *extra])


def test_overview_json_worked_by_hand(shop: Path) -> None:
    result = invoke("overview", str(shop), "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["as_of"] == "2025-05-30"
    assert out["customers_total"] == 3
    assert out["active_customers"] == 2  # b churned on 2025-05-10
    assert out["new_customers_30d"] == 1  # c started 2025-05-20
    assert out["churned_customers_30d"] == 1
    assert out["revenue_12m"] == pytest.approx(1759.0)  # orphan order "zzz" counts
    assert out["orders_12m"] == 5
    assert out["buyers_12m"] == 3  # customers only
    assert out["repeat_purchase_rate_12m"] == pytest.approx(1 / 3)
    assert out["mrr"] is None and out["nps_90d"] is None


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "markdown"])
@pytest.mark.parametrize(
    "command", [["segments", "--by", "region"], ["top"], ["churn"], ["at-risk"], ["retention"]]
)
def test_every_command_and_format_prints_without_escapes(shop: Path, command, fmt) -> None:
    result = invoke(command[0], str(shop), *command[1:], "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout  # a pipe never gets escape codes
    if fmt == "json":
        json.loads(result.stdout)


def test_hostile_names_are_shown_literally(shop: Path) -> None:
    result = invoke("top", str(shop), "--format", "table")
    assert "Acme [bold]Corp[/bold]" in result.stdout
    assert "\x1b" not in result.stdout
    csv_out = invoke("top", str(shop), "--format", "csv").stdout
    assert "Acme [bold]Corp[/bold]" in csv_out and "\x1b" not in csv_out


def test_top_json_keys_and_ties(shop: Path) -> None:
    out = json.loads(invoke("top", str(shop), "--format", "json", "-n", "2").stdout)
    assert [r["customer_id"] for r in out] == ["a", "b"]
    assert set(out[0]) == {
        "rank",
        "customer_id",
        "name",
        "segment",
        "revenue_12m",
        "revenue_share",
        "orders_12m",
        "last_order_date",
        "status",
    }
    assert out[0]["revenue_share"] == pytest.approx(1500 / 1750)
    assert out[1]["status"] == "churned"


def test_segments_rows_sum_and_null_value_row(shop: Path) -> None:
    out = json.loads(invoke("segments", str(shop), "--by", "region", "--format", "json").stdout)
    assert [r["region"] for r in out] == ["APAC", "EMEA", None]  # ties: value asc, null last
    assert sum(r["customers"] for r in out) == 3
    assert sum(r["revenue_share"] for r in out) == pytest.approx(1.0)


def test_churn_reasons_with_lost_revenue(shop: Path) -> None:
    out = json.loads(invoke("churn", str(shop), "--format", "json").stdout)
    assert out == [
        {
            "reason": "Price concerns",
            "churned_customers": 1,
            "share": 1.0,
            "lost_mrr": None,
            "lost_revenue_12m": 200.0,
        }
    ]


def test_account_detail_json_and_table(shop: Path) -> None:
    out = json.loads(invoke("account", str(shop), "a", "--format", "json").stdout)
    assert out["customer_id"] == "a"
    assert out["profile"]["name"] == "Acme [bold]Corp[/bold]"
    assert out["revenue"]["lifetime_revenue"] == 1500.0
    assert [o["amount"] for o in out["orders"]] == [500.0, 1000.0]
    assert {s["signal"] for s in out["risk"]["signals"]} >= {"order_gap", "login_decline"}
    table = invoke("account", str(shop), "a")
    assert table.exit_code == 0 and "Acme [bold]Corp[/bold]" in table.stdout


def test_unknown_account_dimension_and_bad_as_of_are_one_line_errors(shop: Path) -> None:
    for args, needle in (
        (["account", str(shop), "nope"], "customer 'nope' not found"),
        (["segments", str(shop), "--by", "colour"], "unknown dimension 'colour'"),
        (["overview", str(shop), "--as-of", "31/01/2025"], "--as-of"),
        (["overview", str(shop / "missing")], "not found"),
        (["overview", str(shop), "--where", "colour = 'red'"], "unknown column 'colour'"),
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        err = result.stderr.strip()
        assert needle in err and "\n" not in err and "Traceback" not in result.output


def test_where_restricts_every_customer_figure(shop: Path) -> None:
    out = json.loads(
        invoke("overview", str(shop), "--format", "json", "--where", "segment = 'SMB'").stdout
    )
    assert out["customers_total"] == 2
    assert out["revenue_12m"] == pytest.approx(250.0)


def test_past_as_of(shop: Path) -> None:
    out = json.loads(
        invoke("overview", str(shop), "--format", "json", "--as-of", "2025-02-01").stdout
    )
    assert out["customers_total"] == 2 and out["revenue_12m"] == pytest.approx(1000.0)


def test_validate_exit_codes(shop: Path, tmp_path: Path) -> None:
    ok = invoke("validate", str(shop))
    assert ok.exit_code == 0, ok.output
    assert "unknown customers" in ok.stdout  # the orphan order
    bad = tmp_path / "bad"
    bad.mkdir()
    pl.DataFrame({"customer_id": ["a"], "order_date": [date(2024, 1, 1)]}).write_parquet(
        bad / "orders.parquet"
    )
    pl.DataFrame({"customer_id": ["a"]}).write_parquet(bad / "customers.parquet")
    result = invoke("validate", str(bad))
    assert result.exit_code == 1
    assert "amount" in result.stdout
    # the printing commands stop with exit 2 and one line
    result = invoke("overview", str(bad))
    assert result.exit_code == 2 and "'amount'" in result.stderr


def test_help_and_version_do_not_import_polars_or_textual() -> None:
    code = (
        "import sys; from cxtui.cli import main; sys.argv=['cxtui','--version'];\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('polars' in sys.modules, 'textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"
    assert "cxtui 0." in out.stdout


def test_spinner_only_for_slow_work_on_a_terminal(monkeypatch) -> None:
    import io
    import time

    from cxtui.cli import working

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    fake = Terminal()
    monkeypatch.setattr("sys.stderr", fake)
    with working("quick [bold]job[/bold]", delay=0.5):
        pass
    assert fake.getvalue() == ""  # fast work: no spinner at all
    with working("slow [bold]job[/bold]", delay=0.05):
        time.sleep(0.4)
    assert "slow [bold]job[/bold]" in fake.getvalue()  # shown, and literally
    pipe = io.StringIO()  # not a terminal: nothing, however slow
    monkeypatch.setattr("sys.stderr", pipe)
    with working("slow", delay=0.0):
        time.sleep(0.1)
    assert pipe.getvalue() == ""

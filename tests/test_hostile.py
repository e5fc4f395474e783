"""Hostile and broken datasets through the real CLI (issue 6, SPEC §1 and §3).

Text from the data is shown literally and inertly in every format; broken input
is one line on stderr with exit code 2; odd but valid data gives the numbers
worked out by hand below; and no command ever writes to the dataset folder
(every invocation compares each input file's bytes and mtime before and after).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from cxtui.cli import app

runner = CliRunner()

FORMATS = ("table", "csv", "json", "markdown")
AS_OF = date(2025, 5, 1)

# customer id -> name as stored in the file
NAMES = {
    "c0": "[bold red]Acme[/] [link=x]y[/link]",  # Rich markup
    "c1": "Esc\x1b[2J\x1b[HCo",  # clear screen + cursor home
    "c2": "Title\x1b]0;pwned\x07Co",  # OSC 0: window title
    "c3": "Clip\x1b]52;c;ZWNobyBoaQ==\x07Co",  # OSC 52: clipboard write
    "c4": "Bidi\u202eevil\u202cCo",  # right-to-left override
    "c5": "Zero\u200bWidth\u2060Co",  # zero-width space / word joiner
    "c6": "L" * 500,
    "c7": "日本語株式会社🚀",  # wide CJK + emoji
    "c8": "",
    "c9": "C1\x9b31mCo",  # 8-bit CSI
    "c10": "Tab\there\nnewline",
    "c11": "=1+2",  # spreadsheet formula
    "c12": "@SUM(A1)",
}
# ... and how a reader sees it (table, CSV, Markdown before Markdown's own escaping)
SHOWN = {
    "c0": "[bold red]Acme[/] [link=x]y[/link]",
    "c1": "Esc\\x1b[2J\\x1b[HCo",
    "c2": "Title\\x1b]0;pwned\\x07Co",
    "c3": "Clip\\x1b]52;c;ZWNobyBoaQ==\\x07Co",
    "c4": "BidievilCo",
    "c5": "ZeroWidthCo",
    "c6": "L" * 500,
    "c7": "日本語株式会社🚀",
    "c8": "",
    "c9": "C1\\x9b31mCo",
    "c10": "Tab\\there\\nnewline",
    "c11": "=1+2",
    "c12": "@SUM(A1)",
}
CHURNED = {"c6": "Price\x1b[31m [b]high[/b]", "c7": "Ｗｉｄｅ　理由"}
DETRACTORS = {"c9", "c10"}  # survey score 2; everyone else 10
SEGMENTS = ["[red]Seg[/red]", "Seg\x1b[5mblink"]
OWNER = "Owner\x1b]52;c;AAAA\x07"
COMMENT = "see \x1b]8;;http://evil.example\x1b\\here\x1b]8;;\x1b\\ [i]now[/i]"
COMMENT_SHOWN = "see \\x1b]8;;http://evil.example\\x1b\\here\\x1b]8;;\\x1b\\ [i]now[/i]"
HOSTILE_COLUMN = "tier [b]x[/b]"


# ---------------------------------------------------------------- helpers


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every file under `root`: content hash, size and mtime."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file():
            st = p.stat()
            out[str(p.relative_to(root))] = (
                hashlib.sha256(p.read_bytes()).hexdigest(),
                st.st_size,
                st.st_mtime_ns,
            )
    return out


def cli(root: Path, *args: str, cache: bool = False, env: dict[str, str] | None = None):
    """Run `cxtui COMMAND ROOT ARGS`; check nothing under `root` changed and that no
    exception escaped (CliRunner would otherwise swallow a traceback)."""
    before = snapshot(root) if root.is_dir() else {}
    command, *rest = args
    extra = [] if cache or command == "validate" else ["--no-cache"]
    result = runner.invoke(app, [command, str(root), *rest, *extra], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args,
        repr(result.exception),
    )
    assert "Traceback" not in result.output
    if root.is_dir():
        assert snapshot(root) == before, f"{args} wrote into the dataset folder"
    return result


def assert_inert(text: str) -> None:
    for raw in ("\x1b", "\x9b", "\x07", "\u202e", "\u200b"):
        assert raw not in text, f"raw {raw!r} in output"


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert err.endswith("\n") and err.count("\n") == 1, repr(err)
    assert err.startswith("cxtui: error: ") and "fix" in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert_inert(err)
    assert result.stdout == ""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    ids = list(NAMES)
    pl.DataFrame(
        {
            "customer_id": ids,
            "name": [NAMES[i] for i in ids],
            "segment": [SEGMENTS[k % 2] for k in range(len(ids))],
            "owner": [OWNER] * len(ids),
            "region": ["東京"] * len(ids),
            "signup_date": [date(2024, 1, 1)] * len(ids),
            "churn_date": [AS_OF if i in CHURNED else None for i in ids],
            "churn_reason": [CHURNED.get(i) for i in ids],
            HOSTILE_COLUMN: ["A" if k < 5 else "B" for k in range(len(ids))],
        }
    ).write_parquet(root / "customers.parquet")
    # one 10.00 order each, plus NaN / +inf / -inf amounts that must be excluded
    pl.DataFrame(
        {
            "customer_id": [*ids, "c1", "c2", "c3"],
            "order_date": [date(2025, 4, 1)] * len(ids) + [date(2025, 3, 1)] * 3,
            "amount": [10.0] * len(ids) + [float("nan"), float("inf"), float("-inf")],
        }
    ).write_parquet(root / "orders.parquet")
    pl.DataFrame(
        {
            "customer_id": ids,
            "date": [AS_OF] * len(ids),
            "score": [2.0 if i in DETRACTORS else 10.0 for i in ids],
            "comment": [COMMENT] * len(ids),
        }
    ).write_parquet(root / "feedback.parquet")
    return root


def md(text: str) -> str:
    """How Markdown output shows text literally: cut to 80 characters with "…", then
    a backslash before each of \\ ` * ~ [ ] < > | & # ! and before a `_` that is not
    inside a word (one there is never emphasis, so snake_case stays as it is)."""
    if len(text) > 80:
        text = text[:79] + "…"
    return re.sub(r"([\\`*~\[\]<>|&#!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))", r"\\\1", text)


# ---------------------------------------------------------------- every command, every format

# (command, a markup string from the data its output must show literally, or None)
COMMANDS = {
    "overview": (["overview"], None),
    "segments": (["segments", "--by", "segment"], "[red]Seg[/red]"),
    "segments-hostile-column": (["segments", "--by", HOSTILE_COLUMN], HOSTILE_COLUMN),
    "top": (["top", "-n", "20"], NAMES["c0"]),
    "churn": (["churn"], "[b]high[/b]"),
    "at-risk": (["at-risk", "--min-score", "0", "-n", "50"], NAMES["c0"]),
    "retention": (["retention"], None),
    "report": (["report"], NAMES["c0"]),
    "validate": (["validate"], None),
    "account": (["account", "c3"], "[i]now[/i]"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(COMMANDS))
def test_every_command_and_format_is_inert(hostile: Path, case: str, fmt: str) -> None:
    command, literal = COMMANDS[case]
    result = cli(hostile, *command, "--format", fmt, env={"COLUMNS": "250"})
    if fmt == "csv" and case in ("account", "report"):
        assert_one_line_error(result, "no CSV form")
        return
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.strip()
    assert "\x1b" not in out  # a pipe gets no colour, and the data's ESC is made visible
    if fmt == "json":
        json.loads(out)
    else:
        assert_inert(out)
    if literal is not None:
        if fmt == "markdown":  # Markdown shows it literally through backslash escapes
            literal = md(literal)
        assert literal in out, (case, literal)


@pytest.mark.parametrize(
    "command", [["top", "-n", "20"], ["at-risk", "--min-score", "0"], ["account", "c9"]]
)
def test_json_output_escapes_c1_and_bidi(hostile: Path, command: list[str]) -> None:
    result = cli(hostile, *command, "--format", "json")
    assert result.exit_code == 0
    assert_inert(result.stdout)


# ---------------------------------------------------------------- literal text, per format


def top_rows(hostile: Path, fmt: str):
    result = cli(hostile, "top", "-n", "20", "--format", fmt, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_json_keeps_the_exact_strings(hostile: Path) -> None:
    rows = json.loads(top_rows(hostile, "json"))
    assert {r["customer_id"]: r["name"] for r in rows} == NAMES
    assert {r["segment"] for r in rows} == set(SEGMENTS)
    churn = json.loads(cli(hostile, "churn", "--format", "json").stdout)
    assert {r["reason"] for r in churn} == set(CHURNED.values())


def test_table_shows_names_literally_and_cut(hostile: Path) -> None:
    out = top_rows(hostile, "table")
    lines = {cid: next(line for line in out.splitlines() if f" {cid} " in line) for cid in NAMES}
    for cid, shown in SHOWN.items():
        if cid == "c6":
            assert "L" * 39 + "…" in lines[cid] and "L" * 40 not in lines[cid]
        else:
            assert shown in lines[cid], (cid, lines[cid])
    assert "[red]Seg[/red]" in out and "Seg\\x1b[5mblink" in out


def test_csv_names_visible_whole_and_formula_guarded(hostile: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(top_rows(hostile, "csv"))))
    got = {r["customer_id"]: r["name"] for r in rows}
    expected = dict(SHOWN, c11="'=1+2", c12="'@SUM(A1)")
    assert got == expected
    assert {r["revenue_12m"] for r in rows} == {"10.0"}  # raw numbers, unformatted


def test_markdown_names_escaped(hostile: Path) -> None:
    out = top_rows(hostile, "markdown")
    for cid, shown in SHOWN.items():
        assert f"| {cid} | {md(shown)} |" in out, cid


def test_hostile_column_name_is_a_literal_header(hostile: Path) -> None:
    table = cli(hostile, "segments", "--by", HOSTILE_COLUMN, "--format", "table").stdout
    assert HOSTILE_COLUMN in table
    rows = json.loads(cli(hostile, "segments", "--by", HOSTILE_COLUMN, "--format", "json").stdout)
    assert [(r[HOSTILE_COLUMN], r["customers"]) for r in rows] == [("B", 8), ("A", 5)]


def test_account_detail_shows_long_values_whole(hostile: Path) -> None:
    table = cli(hostile, "account", "c6", env={"COLUMNS": "120"})
    assert table.exit_code == 0, table.output
    assert_inert(table.stdout)
    assert "L" * 500 in "".join(table.stdout.split())  # folded over lines, not cut
    md = cli(hostile, "account", "c6", "--format", "markdown").stdout
    assert "| name | " + "L" * 500 + " |" in md


def test_account_detail_comment_and_owner_are_literal(hostile: Path) -> None:
    out = cli(hostile, "account", "c9", env={"COLUMNS": "200"}).stdout
    flat = "".join(out.split())
    assert "C1\\x9b31mCo" in out
    assert "Owner\\x1b]52;c;AAAA\\x07" in out
    assert "".join(COMMENT_SHOWN.split()) in flat  # wrapped over lines, whole
    assert_inert(out)


# ---------------------------------------------------------------- numbers on odd data


def test_overview_excludes_nan_and_inf_amounts(hostile: Path) -> None:
    out = json.loads(cli(hostile, "overview", "--format", "json").stdout)
    assert out["as_of"] == "2025-05-01"
    assert out["customers_total"] == 13
    assert out["active_customers"] == 11  # c6, c7 churned on as_of
    assert out["churned_customers_30d"] == 2
    assert out["revenue_12m"] == pytest.approx(130.0)  # 13 x 10; NaN/inf left out
    assert out["orders_12m"] == 13
    assert out["buyers_12m"] == 13
    assert out["nps_90d"] == pytest.approx(100 * (11 - 2) / 13)
    assert out["nps_90d_n"] == 13
    top = {r["customer_id"]: r for r in json.loads(top_rows(hostile, "json"))}
    assert top["c1"]["revenue_12m"] == pytest.approx(10.0)  # its NaN order adds nothing


def test_validate_reports_non_finite_amounts(hostile: Path) -> None:
    result = cli(hostile, "validate", "--format", "json")
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    non_finite = [f for f in findings if f["check"] == "non-finite values"]
    assert len(non_finite) == 1 and "3 non-finite" in non_finite[0]["detail"]
    assert non_finite[0]["table"] == "orders"


def test_nps_with_more_detractors_than_promoters(tmp_path: Path) -> None:
    pl.DataFrame(
        {"customer_id": ["a", "b", "c"], "signup_date": [date(2024, 1, 1)] * 3}
    ).write_parquet(tmp_path / "customers.parquet")
    pl.DataFrame(
        {"customer_id": ["a", "b", "c"], "date": [AS_OF] * 3, "score": [10.0, 3.0, 0.0]}
    ).write_parquet(tmp_path / "feedback.parquet")
    out = json.loads(cli(tmp_path, "overview", "--format", "json").stdout)
    assert out["nps_90d_n"] == 3
    assert out["nps_90d"] == pytest.approx(100 * (1 - 2) / 3)  # -33.3


def test_duplicate_customer_ids_count_once(tmp_path: Path) -> None:
    pl.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "name": ["First", "Second", "B"],
            "signup_date": [date(2024, 1, 1)] * 3,
        }
    ).write_parquet(tmp_path / "customers.parquet")
    pl.DataFrame(
        {"customer_id": ["a", "b"], "order_date": [date(2025, 1, 1)] * 2, "amount": [10.0, 5.0]}
    ).write_parquet(tmp_path / "orders.parquet")
    out = json.loads(cli(tmp_path, "overview", "--format", "json").stdout)
    assert out["customers_total"] == 2 and out["revenue_12m"] == pytest.approx(15.0)
    top = json.loads(cli(tmp_path, "top", "--format", "json").stdout)
    assert [(r["customer_id"], r["name"], r["revenue_12m"]) for r in top] == [
        ("a", "First", 10.0),  # the first row is kept; its orders are not doubled
        ("b", "B", 5.0),
    ]
    seg = json.loads(cli(tmp_path, "segments", "--by", "name", "--format", "json").stdout)
    assert sum(r["customers"] for r in seg) == 2
    result = cli(tmp_path, "validate", "--format", "json")
    assert result.exit_code == 0
    dup = [f for f in json.loads(result.stdout) if f["check"] == "duplicate ids"]
    assert dup and dup[0]["count"] == 1 and "'a'" in dup[0]["detail"]


def test_iso_text_dates_with_and_without_offsets(tmp_path: Path) -> None:
    pl.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            # an offset first, then naive text: mixed in one column
            "order_date": ["2025-02-01T01:30:00+02:00", "2025-01-31", " 2025-02-02 08:00:00 "],
            "amount": ["12.5", " 7 ", "1e1"],  # numbers stored as text parse too
        }
    ).write_parquet(tmp_path / "orders.parquet")
    result = cli(tmp_path, "top", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["customer_id"]: r for r in json.loads(result.stdout)}
    # the written calendar date counts, whatever the offset (in UTC "a" is Jan 31)
    assert rows["a"]["last_order_date"] == "2025-02-01"
    assert rows["b"]["last_order_date"] == "2025-01-31"
    assert rows["c"]["last_order_date"] == "2025-02-02"
    assert [rows[c]["revenue_12m"] for c in "abc"] == [12.5, 7.0, 10.0]


def test_csv_with_bom_and_bom_config(tmp_path: Path) -> None:
    (tmp_path / "clients.csv").write_bytes(
        '\ufeffid,nm,joined\n007,"Comma, ""quoted"" [b]x[/b]",2024-01-05\n'
        '008,"Multi\nline\x1b[2J",2024-02-10\n'.encode()
    )
    (tmp_path / "sales.csv").write_bytes(
        b"\xef\xbb\xbfclient,booked,net\n007,2025-01-31,12.5\n008,2025-02-01,-2.5\n"
        b"007,2025-02-01,NaN\n"
    )
    (tmp_path / "cxtui.toml").write_bytes(
        (
            "\ufeff[tables.customers]\npath = 'clients.csv'\n"
            "[tables.customers.columns]\ncustomer_id = 'id'\nname = 'nm'\n"
            "signup_date = 'joined'\n"
            "[tables.orders]\npath = 'sales.csv'\n"
            "[tables.orders.columns]\ncustomer_id = 'client'\norder_date = 'booked'\n"
            "amount = 'net'\n"
        ).encode()
    )
    result = cli(tmp_path, "top", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["customer_id"], r["name"], r["revenue_12m"]) for r in rows] == [
        ("007", 'Comma, "quoted" [b]x[/b]', 12.5),  # ids stay text; NaN excluded
        ("008", "Multi\nline\x1b[2J", -2.5),
    ]
    table = cli(tmp_path, "top", "--format", "table").stdout
    assert 'Comma, "quoted" [b]x[/b]' in table and "Multi\\nline\\x1b[2J" in table
    assert_inert(table)
    acc = json.loads(cli(tmp_path, "account", "007", "--format", "json").stdout)
    assert acc["customer_id"] == "007"


def test_customers_csv_with_bom_header_without_config(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_bytes(
        b"\xef\xbb\xbfcustomer_id,name,signup_date\n007,Alpha,2024-01-05\n"
    )
    out = json.loads(cli(tmp_path, "overview", "--format", "json").stdout)
    assert out["customers_total"] == 1 and out["as_of"] == "2024-01-05"
    seg = json.loads(cli(tmp_path, "segments", "--by", "name", "--format", "json").stdout)
    assert seg[0]["name"] == "Alpha"


# ---------------------------------------------------------------- broken input


def _customers(root: Path) -> None:
    pl.DataFrame({"customer_id": ["a", "b"], "signup_date": [date(2024, 1, 1)] * 2}).write_parquet(
        root / "customers.parquet"
    )


def _orders(root: Path, **columns) -> None:
    base = {"customer_id": ["a", "b"], "order_date": [date(2025, 1, 1)] * 2, "amount": [1.0, 2.0]}
    base.update(columns)
    pl.DataFrame({k: v for k, v in base.items() if v is not None}).write_parquet(
        root / "orders.parquet"
    )


def _real_parquet_bytes(tmp: Path) -> bytes:
    p = tmp / "x.parquet"
    pl.DataFrame({"customer_id": ["a"] * 50, "amount": [1.0] * 50}).write_parquet(p)
    data = p.read_bytes()
    p.unlink()
    return data


def broken_amount_text(root: Path) -> None:
    _customers(root)
    _orders(root, amount=["12.50 USD", "3"])


def broken_amount_with_escape(root: Path) -> None:
    _customers(root)
    _orders(root, amount=["12.50\x1b[2J\x9b", "3"])


def broken_amount_list(root: Path) -> None:
    _customers(root)
    _orders(root, amount=[[1.0], [2.0]])


def broken_date_int(root: Path) -> None:
    _customers(root)
    _orders(root, order_date=[20250101, 20250102])


def broken_date_us_text(root: Path) -> None:
    # US month starts: read day-first they would silently all become January
    _customers(root)
    _orders(root, order_date=["02/01/2025", "03/01/2025"])


def broken_date_words(root: Path) -> None:
    _customers(root)
    _orders(root, order_date=["Jan 5, 2025", "Feb 1, 2025"])


def broken_missing_amount(root: Path) -> None:
    _customers(root)
    _orders(root, amount=None)


def broken_random_bytes(root: Path) -> None:
    _customers(root)
    (root / "orders.parquet").write_bytes(bytes(range(256)) * 4)


def broken_fake_magic(root: Path) -> None:
    _customers(root)
    (root / "orders.parquet").write_bytes(b"PAR1" + bytes(range(200)) + b"PAR1")


def broken_truncated(root: Path) -> None:
    _customers(root)
    data = _real_parquet_bytes(root)
    (root / "orders.parquet").write_bytes(data[: len(data) // 2])


def broken_empty_orders(root: Path) -> None:
    _customers(root)
    pl.DataFrame(
        schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64}
    ).write_parquet(root / "orders.parquet")


def broken_empty_customers(root: Path) -> None:
    pl.DataFrame(schema={"customer_id": pl.String}).write_parquet(root / "customers.parquet")


def broken_csv_amount(root: Path) -> None:
    _customers(root)
    (root / "sales.csv").write_text("client,booked,net\na,2025-01-31,12.50 USD\n")
    (root / "cxtui.toml").write_text(
        "[tables.orders]\npath = 'sales.csv'\n[tables.orders.columns]\n"
        "customer_id = 'client'\norder_date = 'booked'\namount = 'net'\n"
    )


def broken_config_key(root: Path) -> None:
    _customers(root)
    (root / "cxtui.toml").write_text("[tables.orders]\npth = 'sales.csv'\n")


def broken_glob(root: Path) -> None:
    _customers(root)
    (root / "cxtui.toml").write_text("[tables.orders]\npath = 'exports/sales_*.csv'\n")


BROKEN = {
    # name: (builder, needles in the one-line error)
    "amount-text": (
        broken_amount_text,
        ["orders.parquet", "table orders", "'amount'", "12.50 USD"],
    ),
    "amount-escape": (broken_amount_with_escape, ["table orders", "'amount'", "\\x1b[2J"]),
    "amount-list": (broken_amount_list, ["table orders", "'amount'"]),
    "date-int": (broken_date_int, ["table orders", "'order_date'", "date"]),
    "date-us-text": (broken_date_us_text, ["table orders", "'order_date'", "02/01/2025"]),
    "date-words": (broken_date_words, ["table orders", "'order_date'", "Jan 5, 2025"]),
    "missing-column": (broken_missing_amount, ["table orders", "'amount'", "cxtui.toml"]),
    "random-bytes": (broken_random_bytes, ["orders.parquet", "table orders", "not a Parquet"]),
    "fake-magic": (broken_fake_magic, ["orders.parquet", "table orders", "Parquet"]),
    "truncated": (broken_truncated, ["orders.parquet", "table orders"]),
    "empty-orders": (broken_empty_orders, ["orders.parquet", "table orders", "no rows"]),
    "empty-customers": (broken_empty_customers, ["table customers", "no rows"]),
    "csv-amount": (broken_csv_amount, ["sales.csv", "table orders", "'net'", "12.50 USD"]),
    "config-key": (broken_config_key, ["cxtui.toml", "pth"]),
    "glob": (broken_glob, ["table orders", "exports/sales_*.csv"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_input_is_one_line_exit_2(tmp_path: Path, case: str) -> None:
    build, needles = BROKEN[case]
    build(tmp_path)
    for command in (["overview"], ["top", "--format", "json"], ["segments", "--format", "csv"]):
        assert_one_line_error(cli(tmp_path, *command), *needles)
    result = cli(tmp_path, "validate", "--format", "json")
    if case.startswith("config"):
        assert_one_line_error(result, *needles)  # no mapping to validate against
        return
    assert result.exit_code == 1, result.output
    errors = [f for f in json.loads(result.stdout) if f["level"] == "error"]
    assert errors and "fix" in errors[0]["detail"]
    assert_inert(result.stdout)


def test_missing_dataset_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    for command in (["overview"], ["top", "--format", "json"], ["validate"]):
        assert_one_line_error(cli(missing, *command), str(missing), "not found")
    assert not missing.exists()


def test_validate_lists_every_problem_in_one_run(tmp_path: Path) -> None:
    broken_random_bytes(tmp_path)
    pl.DataFrame({"customer_id": ["a"], "date": [AS_OF]}).write_parquet(
        tmp_path / "feedback.parquet"
    )  # no score
    result = cli(tmp_path, "validate", "--format", "json")
    assert result.exit_code == 1
    errors = {f["table"]: f for f in json.loads(result.stdout) if f["level"] == "error"}
    assert set(errors) == {"orders", "feedback"}
    assert "'score'" in errors["feedback"]["detail"]


# ---------------------------------------------------------------- the facts cache


def test_cache_is_written_outside_the_dataset(hostile: Path, tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    first = cli(hostile, "top", "--format", "json", cache=True, env=env)
    second = cli(hostile, "top", "--format", "json", cache=True, env=env)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    cached = sorted(p.name for p in (tmp_path / "xdg" / "cxtui").iterdir())
    facts = [n for n in cached if n.startswith("facts-") and n.endswith(".parquet")]
    probes = [n for n in cached if n.startswith("probe-") and n.endswith(".json")]
    tables = [p for p in hostile.iterdir() if p.suffix == ".parquet"]
    others = [n for n in cached if n.startswith("others-") and n.endswith(".parquet")]
    assert len(facts) == len(others) == 1 and len(probes) == len(tables)
    outputs = [n for n in cached if n.startswith("output-") and n.endswith(".txt")]
    assert len(outputs) == 1  # the printed output, which the second run printed again
    assert len(cached) == 3 + len(tables)
    explicit = tmp_path / "explicit"
    third = cli(hostile, "top", "--format", "json", "--cache-dir", str(explicit), cache=True)
    assert third.stdout == first.stdout
    assert sorted({p.suffix for p in explicit.iterdir()}) == [".json", ".parquet", ".txt"]


def test_unwritable_cache_dir_degrades_to_a_warning(hostile: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache-file"
    not_a_dir.write_text("x")
    result = cli(hostile, "overview", "--format", "json", "--cache-dir", str(not_a_dir), cache=True)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["customers_total"] == 13
    assert result.stderr.count("\n") == 1 and "warning" in result.stderr
    assert not_a_dir.read_text() == "x"


def test_default_cache_without_xdg_goes_under_home(hostile: Path, tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": None, "HOME": str(tmp_path / "home")}
    result = cli(hostile, "report", "--format", "markdown", cache=True, env=env)
    assert result.exit_code == 0, result.output
    cached = list((tmp_path / "home" / ".cache" / "cxtui").iterdir())
    # probes, facts and the finished report
    assert sorted({p.suffix for p in cached}) == [".json", ".parquet", ".txt"]

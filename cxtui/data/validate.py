"""`cxtui validate`: schema check plus data-quality findings, all in one run.

Each table is loaded on its own so one broken table does not hide problems in
the others. Errors make the command exit 1; warnings and notes do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from cxtui.data.config import Config
from cxtui.data.load import LoadedTable, Location, load_table, open_root, resolve_as_of
from cxtui.data.schema import DATE_COLUMN, INSTANTS, SCHEMA
from cxtui.errors import CxError

EARLIEST_PLAUSIBLE = date(1990, 1, 1)

# What a missing optional value means for the figures (else: "shown as — / null groups").
_MISSING_MEANS = {
    ("feedback", "csat"): "left out of csat_mean and csat_share",
    ("feedback", "topic"): "left out of the satisfaction drivers",
    ("tickets", "first_response_at"): "no first response yet: left out of response hours",
    ("tickets", "resolved_at"): "counted as not resolved",
}


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning" | "note"
    table: str
    column: str
    check: str
    count: int | None
    detail: str


def _load_all(
    root: Location, config: Config, findings: list[Finding]
) -> dict[str, LoadedTable]:
    loaded: dict[str, LoadedTable] = {}
    for table in SCHEMA:
        try:
            t = load_table(root, config, table, probe_all=True)
        except CxError as exc:
            findings.append(
                Finding("error", table, exc.column, "schema", None, str(exc))
            )
            continue
        if t is not None:
            loaded[table] = t
            for note in t.notes:
                findings.append(Finding("warning", table, "", "non-finite values", None, note))
    return loaded


def _missing_values(name: str, t: LoadedTable, findings: list[Finding]) -> None:
    cols = t.frame.collect_schema().names()
    nulls = t.frame.select(pl.col(c).null_count() for c in cols).collect().row(0, named=True)
    required = {c for c, spec in SCHEMA[name].items() if spec.required}
    companions = {v for (table, _), v in INSTANTS.items() if table == name}
    for col, n in nulls.items():
        if not n or col in companions:  # an instant's nulls are its date's
            continue
        share = n / t.rows
        level = "warning" if col in required else "note"
        if (name, col) in _MISSING_MEANS:
            fix = _MISSING_MEANS[(name, col)]
        elif col not in required:
            fix = "shown as — / null groups"
        elif col == DATE_COLUMN.get(name):
            fix = "undated rows are left out"
        elif col == "customer_id":
            fix = "counted in totals (revenue, mrr), never as a customer"
        else:
            fix = "the rows still count, adding 0 to sums (docs/metrics.md)"
        findings.append(
            Finding(level, name, col, "missing values", n, f"{share:.1%} of {t.rows:,} rows; {fix}")
        )


def _dates(name: str, t: LoadedTable, as_of: date, findings: list[Finding]) -> None:
    schema = t.frame.collect_schema()
    date_cols = [c for c, dt in schema.items() if dt == pl.Date]
    today = date.today()  # validate only: metrics never read the wall clock
    for col in date_cols:
        if col == "renewal_date":
            continue  # a contract renewal is meant to lie ahead; never used for as_of
        stats = t.frame.select(
            (pl.col(col) < EARLIEST_PLAUSIBLE).sum().alias("old"),
            (pl.col(col) > as_of).sum().alias("after"),
            (pl.col(col) > today).sum().alias("future"),
            pl.col(col).max().alias("max"),
            pl.col(col).min().alias("min"),
        ).collect().row(0, named=True)
        if stats["old"]:
            findings.append(Finding(
                "warning", name, col, "date before 1990", stats["old"],
                f"earliest {stats['min']}; check the export's date format",
            ))
        if stats["future"]:
            findings.append(Finding(
                "warning", name, col, "date in the future", stats["future"],
                f"latest {stats['max']}; default as_of follows it — pass --as-of YYYY-MM-DD",
            ))
        elif stats["after"] and col in (DATE_COLUMN.get(name), "signup_date"):
            findings.append(Finding(
                "note", name, col, "dated after as_of", stats["after"],
                f"ignored when computing as of {as_of}",
            ))


def _amounts(name: str, t: LoadedTable, findings: list[Finding]) -> None:
    col = {"orders": "amount", "monthly": "mrr", "spend": "amount"}.get(name)
    if col is None:
        return
    n = t.frame.select((pl.col(col) < 0).sum()).collect().item()
    if n:
        level = "note" if name == "orders" else "warning"
        what = "refunds, included in revenue" if name == "orders" else "negative values"
        findings.append(Finding(level, name, col, "negative amounts", n, what))


def _out_of_range(name: str, t: LoadedTable, findings: list[Finding]) -> None:
    """csat outside 1–5 and ticket times before the ticket was created (SPEC §9):
    findings, the rest of the data still counts (docs/metrics.md)."""
    cols = t.frame.collect_schema().names()
    checks: list[tuple[str, str, pl.Expr, str]] = []  # (column, check, bad rows, detail)
    if name == "feedback" and "csat" in cols:
        csat = pl.col("csat")
        checks.append(
            ("csat", "csat outside 1-5", (csat < 1) | (csat > 5), "left out of csat figures")
        )
    if name == "tickets":
        created = pl.col(INSTANTS[("tickets", "created_at")])
        if "first_response_at" in cols:
            checks.append((
                "first_response_at", "response before creation",
                pl.col("first_response_at") < created, "left out of response hours",
            ))
        if "resolved_at" in cols:
            checks.append((
                "resolved_at", "resolved before creation",
                pl.col("resolved_at") < created, "still counted as resolved",
            ))
    if not checks:
        return
    counts = t.frame.select(
        bad.sum().alias(col) for col, _, bad, _ in checks
    ).collect().row(0, named=True)
    for col, check, _, detail in checks:
        if counts[col]:
            findings.append(Finding("warning", name, col, check, counts[col], detail))


def _relations(loaded: dict[str, LoadedTable], findings: list[Finding]) -> None:
    if "customers" not in loaded:
        return
    cust = loaded["customers"].frame
    dup = (
        cust.group_by("customer_id").len().filter(pl.col("len") > 1).select(
            pl.len().alias("ids"), pl.col("customer_id").first().alias("example")
        ).collect().row(0, named=True)
    )
    if dup["ids"]:
        findings.append(Finding(
            "warning", "customers", "customer_id", "duplicate ids", dup["ids"],
            f"e.g. {dup['example']!r}; the first row of each id is used",
        ))
    ids = cust.select("customer_id")
    for name in ("orders", "monthly", "events", "feedback", "tickets"):
        if name not in loaded:
            continue
        orphans = (
            loaded[name].frame.join(ids, on="customer_id", how="anti")
            .select(pl.len().alias("rows"), pl.col("customer_id").n_unique().alias("ids"),
                    pl.col("customer_id").first().alias("example"))
            .collect().row(0, named=True)
        )
        if orphans["rows"]:
            findings.append(Finding(
                "warning", name, "customer_id", "unknown customers", orphans["rows"],
                f"{orphans['ids']:,} ids not in customers (e.g. {orphans['example']!r}); "
                + (
                    "left out of the support figures"
                    if name == "tickets"
                    else "their revenue and mrr count in overview totals only"
                ),
            ))


def _no_start(root: Location, config_file, as_of: date, findings: list[Finding]) -> None:
    from cxtui.data.load import open_dataset
    from cxtui.metrics.facts import customer_facts

    ds = open_dataset(root, config_file, as_of)
    n = customer_facts(ds).select(pl.col("start_date").is_null().sum()).collect().item()
    if n:
        findings.append(Finding(
            "warning", "customers", "signup_date", "no start", n,
            "no signup date, order, mrr > 0 or event: not counted as customers",
        ))


def validate_dataset(
    root: str | Location, config_file: Path | None = None, as_of: date | None = None
) -> list[Finding]:
    root, config = open_root(root, config_file)  # a folder or an object-store URL
    findings: list[Finding] = []
    loaded = _load_all(root, config, findings)
    if not ({"customers", "orders", "monthly"} & loaded.keys()):
        findings.append(Finding(
            "error", "", "", "tables", None,
            "no customers, orders or monthly table could be read; "
            "fix: add one, or map your files in cxtui.toml",
        ))
        return findings
    max_dates = {n: t.max_date for n, t in loaded.items()}
    if "customers" in loaded:
        cols = loaded["customers"].frame.collect_schema().names()
        for c in ("signup_date", "churn_date"):
            if c in cols:
                max_dates[f"customers.{c}"] = loaded["customers"].frame.select(
                    pl.col(c).max()).collect().item()
    resolved = as_of or resolve_as_of(max_dates)
    for name, t in loaded.items():
        _missing_values(name, t, findings)
        if resolved is not None:
            _dates(name, t, resolved, findings)
        _amounts(name, t, findings)
        _out_of_range(name, t, findings)
    _relations(loaded, findings)
    errors = any(f.level == "error" for f in findings)
    if resolved is not None and not errors:
        _no_start(root, config_file, resolved, findings)
    findings.append(Finding(
        "note", "", "", "summary", None,
        f"tables: {', '.join(f'{n} ({t.rows:,} rows)' for n, t in loaded.items())}; "
        f"as_of {resolved or 'unknown (no dates)'}",
    ))
    order = {"error": 0, "warning": 1, "note": 2}
    return sorted(findings, key=lambda f: order[f.level])


def findings_table(findings: list[Finding]):
    from cxtui.render import ColumnSpec, ResultTable

    frame = pl.DataFrame(
        [
            {"level": f.level, "table": f.table, "column": f.column, "check": f.check,
             "count": f.count, "detail": f.detail}
            for f in findings
        ],
        schema={"level": pl.String, "table": pl.String, "column": pl.String,
                "check": pl.String, "count": pl.Int64, "detail": pl.String},
    )
    n_err = sum(f.level == "error" for f in findings)
    n_warn = sum(f.level == "warning" for f in findings)
    return ResultTable(
        title="Data validation",
        frame=frame,
        columns=[
            ColumnSpec("level", priority=0),
            ColumnSpec("table", priority=0),
            ColumnSpec("column", priority=1),
            ColumnSpec("check", priority=0),
            ColumnSpec("count", kind="int", priority=1),
            ColumnSpec("detail", priority=0, wrap=True),
        ],
        footer=f"{n_err} error(s), {n_warn} warning(s)",
    )

"""Benchmarks for SPEC §5: cxtui report cold/warm vs DuckDB on the same aggregates.

    python bench/bench.py                    # S (bundled demo) and M (1,000,000 customers)
    python bench/bench.py --sizes S          # quick
    python bench/bench.py --sizes M,L        # L = 10,000,000 customers: opt-in, slow, ~15 GB disk

Each measurement is a separate process; wall time and peak RSS come from
os.wait4 for that process alone. DuckDB runs the issue's aggregates (overview,
segments by revenue tier and region, top 10, churn reasons, at-risk list) as SQL
over the same Parquet files in the same run, twice over:

- "panes" (bench/duckdb_panes.py): every column SPEC §2 gives those five panes,
  the same numbers `cxtui report` prints; its results are compared with
  cxtui's value by value (a second implementation, printed as a cross-check);
- "subset" (DUCKDB_SCRIPT below, the earlier sessions' peer): a cheaper subset of
  those columns (no lost mrr / revenue per churn reason, no signals text, no
  NPS, tenure, growth or retention in the overview).

Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZES = {"S": 12_458, "M": 1_000_000, "L": 10_000_000}

DUCKDB_SCRIPT = r"""
import sys, duckdb
root, as_of = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads TO 2")
import os
def p(t):
    # a table is <t>.parquet or a folder <t>/ of parts (how `cxtui demo` writes M and L)
    path = f"{root}/{t}/*.parquet" if os.path.isdir(f"{root}/{t}") else f"{root}/{t}.parquet"
    return f"read_parquet('{path}')"
A = f"DATE '{as_of}'"
con.execute(f'''
CREATE TEMP TABLE facts AS
WITH o AS (
  SELECT customer_id, min(order_date) first_order, max(order_date) last_order, count(*) n_orders,
         sum(amount) lifetime_revenue,
         sum(amount) FILTER (WHERE order_date > {A} - INTERVAL 365 DAY) revenue_12m,
         count(*) FILTER (WHERE order_date > {A} - INTERVAL 365 DAY AND amount > 0) orders_12m,
         count(*) FILTER (WHERE order_date > {A} - INTERVAL 365 DAY) rows_12m
  FROM {p("orders")} WHERE order_date <= {A} GROUP BY 1),
pm AS (
  SELECT customer_id, date_trunc('month', month) m, sum(mrr) mrr, avg(logins) logins,
         avg(support_tickets) tickets, avg(nps) nps, avg(features_used) features
  FROM {p("monthly")} WHERE month <= date_trunc('month', {A}) GROUP BY 1, 2),
m AS (
  SELECT customer_id,
    sum(mrr) FILTER (WHERE m = date_trunc('month', {A})) mrr,
    avg(logins) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 2 MONTH) logins_r,
    avg(logins) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 5 MONTH
                         AND m < date_trunc('month', {A}) - INTERVAL 2 MONTH) logins_p,
    avg(tickets) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 2 MONTH) tickets_r,
    avg(tickets) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 5 MONTH
                         AND m < date_trunc('month', {A}) - INTERVAL 2 MONTH) tickets_p,
    avg(nps) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 2 MONTH) nps_r,
    avg(nps) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 5 MONTH
                      AND m < date_trunc('month', {A}) - INTERVAL 2 MONTH) nps_p,
    avg(features) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 2 MONTH) feat_r,
    avg(features) FILTER (WHERE m >= date_trunc('month', {A}) - INTERVAL 5 MONTH
                           AND m < date_trunc('month', {A}) - INTERVAL 2 MONTH) feat_p
  FROM pm GROUP BY 1),
e AS (
  SELECT customer_id, min(CAST(ts AS DATE)) first_event,
         count(*) FILTER (WHERE CAST(ts AS DATE) > {A} - INTERVAL 90 DAY
                           AND event_type = 'payment_failed') payments
  FROM {p("events")} WHERE CAST(ts AS DATE) <= {A} GROUP BY 1),
f AS (
  SELECT customer_id, min(score) min_score
  FROM {p("feedback")} WHERE date > {A} - INTERVAL 90 DAY AND date <= {A} GROUP BY 1)
SELECT c.customer_id, c.name, c.segment, c.region, c.owner, c.churn_reason,
  coalesce(c.signup_date, least(o.first_order, e.first_event)) start_date,
  CASE WHEN c.churn_date <= {A} THEN c.churn_date END churn_date,
  coalesce(o.revenue_12m, 0) revenue_12m, coalesce(o.orders_12m, 0) orders_12m,
  coalesce(o.rows_12m, 0) rows_12m, coalesce(m.mrr, 0) mrr, o.last_order, o.n_orders,
  m.logins_p, m.logins_r, m.tickets_p, m.tickets_r, m.nps_p, m.nps_r, m.feat_p, m.feat_r,
  e.payments, f.min_score, c.renewal_date
FROM {p("customers")} c LEFT JOIN o USING (customer_id) LEFT JOIN m USING (customer_id)
LEFT JOIN e USING (customer_id) LEFT JOIN f USING (customer_id)
''')
con.execute(f'''
CREATE TEMP TABLE scored AS
SELECT *, start_date <= {A} AND churn_date IS NULL active,
  CASE WHEN revenue_12m >= 50000 THEN 'Enterprise' WHEN revenue_12m >= 5000 THEN 'SMB'
       ELSE 'Individual' END revenue_tier,
  least(100, round(
    CASE WHEN logins_p > 0 AND logins_r / logins_p - 1 <= -0.3
         THEN 25 * least(1, -(logins_r / logins_p - 1) / 0.6) ELSE 0 END +
    CASE WHEN tickets_r >= 1.5 * tickets_p AND tickets_r - tickets_p >= 1
         THEN 20 * least(1, (tickets_r / greatest(tickets_p, 1) - 1) / 2) ELSE 0 END +
    CASE WHEN nps_r - nps_p <= -10 THEN 20 * least(1, -(nps_r - nps_p) / 40) ELSE 0 END +
    CASE WHEN feat_p > 0 AND feat_r / feat_p - 1 <= -0.2
         THEN 15 * least(1, -(feat_r / feat_p - 1) / 0.5) ELSE 0 END +
    CASE WHEN n_orders >= 2 AND {A} - last_order >= 90
         THEN 20 * least(1, ({A} - last_order) / 180) ELSE 0 END +
    CASE WHEN min_score <= 6 THEN 15 ELSE 0 END +
    CASE WHEN renewal_date > {A} AND renewal_date <= {A} + INTERVAL 90 DAY THEN 10 ELSE 0 END +
    CASE WHEN payments > 0 THEN 10 ELSE 0 END)) risk_score
FROM facts WHERE start_date <= {A}
''')
results = {
  "overview": con.execute(f'''SELECT count(*), count(*) FILTER (WHERE active),
      count(*) FILTER (WHERE start_date > {A} - INTERVAL 30 DAY),
      count(*) FILTER (WHERE churn_date > {A} - INTERVAL 30 DAY),
      sum(revenue_12m), sum(orders_12m), count(*) FILTER (WHERE rows_12m > 0), sum(mrr)
      FROM scored''').fetchall(),
  "tiers": con.execute('''SELECT revenue_tier, count(*) n, count(*) FILTER (WHERE active),
      sum(revenue_12m), sum(orders_12m), sum(mrr), avg(risk_score) FILTER (WHERE active),
      count(*) FILTER (WHERE active AND risk_score >= 60)
      FROM scored GROUP BY 1 ORDER BY n DESC''').fetchall(),
  "regions": con.execute('''SELECT region, count(*) n, count(*) FILTER (WHERE active),
      sum(revenue_12m), sum(orders_12m), sum(mrr), avg(risk_score) FILTER (WHERE active),
      count(*) FILTER (WHERE active AND risk_score >= 60)
      FROM scored GROUP BY 1 ORDER BY n DESC''').fetchall(),
  "top": con.execute('''SELECT customer_id, name, revenue_12m FROM scored
      ORDER BY revenue_12m DESC, customer_id LIMIT 10''').fetchall(),
  "churn": con.execute(f'''SELECT coalesce(churn_reason, 'Unknown') r, count(*) n FROM scored
      WHERE churn_date > {A} - INTERVAL 365 DAY GROUP BY 1 ORDER BY n DESC''').fetchall(),
  "at_risk": con.execute('''SELECT customer_id, risk_score, mrr FROM scored
      WHERE active AND risk_score >= 25 ORDER BY risk_score DESC, mrr DESC, customer_id
      LIMIT 20''').fetchall(),
}
print(len(results))
"""


def measure(
    cmd: list[str], env: dict | None = None, stdout: Path | None = None
) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one process; its output goes to
    `stdout` when given."""
    start = time.perf_counter()
    out = stdout.open("wb") if stdout is not None else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    if stdout is not None:
        out.close()
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"  ! {' '.join(cmd[:4])}… exited {code}: {proc.stderr.read().decode()[:300]}")
    return wall, usage.ru_maxrss / 1024, code


def ensure_dataset(size: str, root: Path) -> Path:
    if size == "S" and (REPO / "data" / "demo" / "customers.parquet").exists():
        return REPO / "data" / "demo"
    out = root / f"cx_{size.lower()}"
    if not ((out / "customers.parquet").exists() or (out / "customers").is_dir()):
        print(f"generating {size} ({SIZES[size]:,} customers) into {out} …", flush=True)
        t, rss, _ = measure(
            [
                sys.executable,
                "-m",
                "cxtui.cli",
                "demo",
                "--customers",
                str(SIZES[size]),
                "--out",
                str(out),
                "--force",
            ]
        )
        print(f"  generated in {t:.1f} s, peak {rss:,.0f} MiB")
    return out


def cross_check(report: dict, duck: dict) -> tuple[int, list[str]]:
    """Compare DuckDB's panes with cxtui's report, value by value (floats to 1e-9
    relative): (values compared, the differences)."""
    compared, diffs = 0, []

    def same(a: object, b: object) -> bool:
        if isinstance(a, int | float) and isinstance(b, int | float):
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
        return a == b if a is None or b is None else str(a) == str(b)

    def check(path: str, a: object, b: object) -> None:
        nonlocal compared
        compared += 1
        if not same(a, b):
            diffs.append(f"{path}: cxtui {a!r}, duckdb {b!r}")

    for key, value in duck["overview"].items():
        check(f"overview.{key}", report["overview"].get(key), value)
    for section in [k for k in duck if k != "overview"]:
        mine, theirs = report[section], duck[section]
        check(f"{section} rows", len(mine), len(theirs))
        for i, (a, b) in enumerate(zip(mine, theirs, strict=False)):
            for key, value in b.items():
                check(f"{section}[{i}].{key}", a.get(key), value)
    return compared, diffs


def tui_timings(data: Path, cache: Path) -> dict | None:
    script = REPO / "bench" / "tui_timings.py"
    if not script.exists():
        return None
    proc = subprocess.run(
        [sys.executable, str(script), str(data), str(cache)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        print("  ! tui timings failed:", proc.stderr[-400:])
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="S,M")
    parser.add_argument("--data-dir", default=os.environ.get("CXTUI_BENCH_DIR", "/tmp"))
    parser.add_argument("--runs", type=int, default=2, help="repeat cold/duckdb runs, keep best")
    args = parser.parse_args()
    root = Path(args.data_dir)
    print(f"# cxtui benchmarks — {time.strftime('%Y-%m-%d %H:%M')}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    cxtui = [sys.executable, "-m", "cxtui.cli"]
    for size in args.sizes.split(","):
        data = ensure_dataset(size.strip(), root)
        as_of = json.loads(
            subprocess.run(
                [*cxtui, "overview", str(data), "--format", "json", "--no-cache"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )["as_of"]
        print(f"\n## {size}: {data} (as_of {as_of})")
        cold, duck, panes = [], [], []
        outputs = Path(tempfile.mkdtemp(prefix="cxtui-bench-out-"))
        panes_script = [sys.executable, str(REPO / "bench" / "duckdb_panes.py"), str(data), as_of]
        for _ in range(args.runs):
            cache = Path(tempfile.mkdtemp(prefix="cxtui-bench-cache-"))
            report = [*cxtui, "report", str(data), "--format", "json", "--as-of", as_of]
            report += ["--cache-dir", str(cache)]
            # an empty cache folder: everything built
            cold.append(measure(report, stdout=outputs / "cxtui.json"))
            warm = measure(report)  # the same command again: answered from the caches
            panes.append(measure(panes_script, stdout=outputs / "duckdb.json"))
            duck.append(measure([sys.executable, "-c", DUCKDB_SCRIPT, str(data), as_of]))
        best_cold, best_duck, best_panes = min(cold), min(duck), min(panes)
        print(f"cxtui report cold     : {best_cold[0]:6.2f} s  peak {best_cold[1]:7,.0f} MiB")
        print(f"cxtui report warm     : {warm[0]:6.2f} s  peak {warm[1]:7,.0f} MiB")
        print(f"duckdb, panes         : {best_panes[0]:6.2f} s  peak {best_panes[1]:7,.0f} MiB")
        print(f"duckdb, subset        : {best_duck[0]:6.2f} s  peak {best_duck[1]:7,.0f} MiB")
        print(f"ratio cold cxtui/duckdb panes : {best_cold[0] / best_panes[0]:.2f}×")
        print(f"ratio cold cxtui/duckdb subset: {best_cold[0] / best_duck[0]:.2f}×")
        try:
            compared, diffs = cross_check(
                json.loads((outputs / "cxtui.json").read_text()),
                json.loads((outputs / "duckdb.json").read_text()),
            )
            print(f"cross-check cxtui vs duckdb panes: {compared} values, {len(diffs)} differ")
            for diff in diffs[:10]:
                print(f"  ! {diff}")
        except (OSError, ValueError, KeyError) as exc:
            print(f"  ! cross-check failed: {exc}")
        shutil.rmtree(outputs, ignore_errors=True)
        tui = tui_timings(data, cache)
        if tui:
            for k, v in tui.items():
                if k.endswith("_rows"):
                    print(f"tui {k:<28}: {v:8,.0f} rows")
                else:
                    print(f"tui {k:<28}: {v * 1000:8.1f} ms")
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmarks for SPEC §5 and §13: cxtui against the scan floor and the best peer,
for `report` and every registered view, cold and warm, in one run per size.

    python bench/bench.py --sizes M --tui --profile      # what docs/performance.md reports
    python bench/bench.py --sizes S                      # quick (S is the bundled demo)
    python bench/bench.py --sizes M --append-to docs/performance.md
    python bench/bench.py --sizes M --views report,revenue  # only some commands

Each measurement is a separate process; wall time, CPU seconds and peak RSS
come from os.wait4 for that process alone, and the 1-minute load average is
noted after each (the machine is shared: ratios from the same run are what
count). In one run per size:

- the scan floor, `../shared/bench/floor.py DATA` (Polars grouping every table
  by customer_id: the seconds it prints, without its interpreter's start);
- the best peer, `../shared/bench/fast_panes.py DATA AS_OF` (DuckDB SQL for
  `report`'s five panes, written for speed), and `bench/duckdb_panes.py` (the
  same panes, the straightforward SQL); both are compared with cxtui's report
  value by value. The peers in ../shared are called, never copied; without
  that folder they are skipped with a note;
- `cxtui report` cold (an empty cache folder: what a first run costs) and warm
  (the same command again), in `--runs` rounds interleaved with the peers;
- every view of the registry (`cxtui.viewdefs.all_views`), cold and warm, with
  the arguments in VIEW_ARGS where a view needs some, then account detail.
  `overview` cold is almost only the facts build, so "− facts" is a view's
  cold time minus overview's;
- with --profile, bench/report_parts.py (the report's stages one at a time)
  and bench/facts_parts.py (the facts build's steps);
- with --tui, the TUI timings of bench/tui_timings.py (inside the app, warm).

Every command gets `--as-of` (the dataset's own latest date, as a first run
without it resolves) and `--format json`. Needs `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"
SIZES = {"S": 12_458, "M": 1_000_000, "L": 10_000_000}

# The views of SPEC Part I (§2, with account detail): §13 gives them no cold target.
PART_ONE = {"overview", "segments", "top", "churn", "at-risk", "retention", "account"}
# §13: "trends/migration over 12 monthly as_of dates: ≤ 4× one cold report".
# trends builds the facts of 12 month ends; migration compares two as_of dates,
# so it is held to the 1.5× of every other new view.
MANY_AS_OF = {"trends": 4.0}
NEW_VIEW_COLD = 1.5
# A view's command when its defaults are not a sensible run (AS_OF is replaced
# by the dataset's as_of, AS_OF-12M by the same day a year before).
VIEW_ARGS = {
    "trends": ["--by", "lifecycle"],
    "migration": ["--by", "lifecycle", "--from", "AS_OF-12M"],
}
# Targets (SPEC §13 and issue 15), judged on M; L is judged on memory alone.
REPORT_FLOOR = 3.0  # cold report ≤ 3× the scan floor
REPORT_PEER = 0.7  # cold report ≤ 0.7× fast_panes.py
REPORT_WARM = 0.5  # seconds
VIEW_WARM = 1.0  # seconds
MEMORY_GB = {"M": 2.0, "L": 24.0}
TUI_TARGETS = {  # key: (label, target seconds)
    "first_pane_since_start": ("first pane with numbers, from the process start", 1.0),
    "first_pane_in_app": ("first pane with numbers, from creating the app", 1.0),
    "pane_switch_tab_median": ("key → repaint: Tab to the next pane (median)", 0.05),
    "pane_switch_tab_max": ("key → repaint: Tab to the next pane (slowest)", 0.05),
    "pane_switch_number_key": ("key → repaint: number key to Segments", 0.05),
    "cursor_key_segments_median": ("key → repaint: j/k on Segments (median)", 0.05),
    "cursor_key_members_median": ("key → repaint: j/k on the biggest segment's list", 0.05),
    "scroll_to_end": ("key → repaint: End on that list", 0.05),
    "drill_segment_median": ("drill-down into the biggest segment (median)", 0.1),
    "account_detail_median": ("account detail from that list (median)", 0.3),
    "back_to_list_median": ("Escape back to the list (median)", 0.05),
}
TUI_FIGURES = {  # shown without a target
    "analysis_ready": "dataset opened and facts read (from cache), from the app",
    "first_pane_complete": "first pane complete (trend, distributions), from the app",
    "all_panes_loaded": "every pane loaded, from the app",
}


@dataclass
class Run:
    """One process: wall seconds, peak RSS (GB), exit code, the load average
    after it, what it printed (when kept) and its CPU seconds (user + system,
    every thread: less sensitive than wall time to the other sessions' load)."""

    wall: float
    peak_gb: float
    code: int
    load: float
    stdout: str = ""
    cpu: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass
class Row:
    """One line of the results: a measurement, its figures, its target."""

    name: str
    seconds: float | None = None
    peak_gb: float | None = None
    cpu: float | None = None
    ratio: str = ""
    target: str = ""
    met: bool | None = None
    load: float | None = None
    note: str = ""


@dataclass
class ViewRow:
    """One view's cold and warm runs and how they compare with the targets."""

    command: str
    cold: Run | None = None
    warm: Run | None = None
    ratio: float | None = None  # cold ÷ the cold report
    cold_text: str = ""  # the cold target(s), as printed
    cold_met: bool | None = None
    warm_met: bool | None = None
    minus_facts: float | None = None  # cold minus overview's cold (the facts build)

    @property
    def peak_gb(self) -> float:
        return max(r.peak_gb for r in (self.cold, self.warm) if r is not None)


@dataclass
class SizeResult:
    size: str
    data: Path
    as_of: str
    customers: int | None = None
    load_start: float = 0.0
    load_end: float = 0.0
    rows: list[Row] = field(default_factory=list)
    views: list[ViewRow] = field(default_factory=list)
    tui: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # bench/report_parts.py's stages, cold and warm, and bench/facts_parts.py's
    # steps of the facts build (--profile)
    profile: list[tuple[dict, dict | None]] = field(default_factory=list)
    facts_steps: list[dict] = field(default_factory=list)


# The cxtui code every process of the run imports (see `snapshot_code`); None:
# the working tree itself (--live).
CODE: Path | None = None


def code_env(env: dict | None = None) -> dict:
    """`env` (default: this process's) with PYTHONPATH leading to CODE."""
    env = dict(os.environ if env is None else env)
    if CODE is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE), env.get("PYTHONPATH")]))
    return env


def snapshot_code() -> tuple[Path, str]:
    """A copy of the cxtui package as it is now, compiled, for the whole run.
    Other sessions edit the working tree while the bench runs, and the caches are
    keyed by the code: a file changed between a cold run and its warm run made
    the "warm" run rebuild (30 s for a warm report on M). Returns the copy's
    root and a description of the code it holds."""
    import compileall

    root = Path(tempfile.mkdtemp(prefix="cxtui-bench-code-"))
    shutil.copytree(REPO / "cxtui", root / "cxtui", ignore=shutil.ignore_patterns("__pycache__"))
    compileall.compile_dir(root, quiet=1)  # the first measured process compiles nothing

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    changed = len(git("status", "--porcelain", "--", "cxtui").splitlines())
    return (
        root,
        f"commit {git('rev-parse', '--short', 'HEAD')} + {changed} uncommitted cxtui/ files",
    )


def measure(cmd: list[str], env: dict | None = None, keep_stdout: bool = False) -> Run:
    """Run `cmd` as its own process: wall time and peak RSS from os.wait4. It
    imports cxtui from CODE (and starts there, so `python -m` does not find the
    working tree's package first)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out if keep_stdout else subprocess.DEVNULL,
            stderr=err,
            env=code_env(env),
            cwd=CODE or REPO,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        text = ""
        if keep_stdout:
            out.seek(0)
            text = out.read().decode(errors="replace")
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            print(f"  ! {' '.join(cmd[2:6])}… exited {code}: {' / '.join(tail)[:400]}", flush=True)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, usage.ru_maxrss / 1024**2, code, os.getloadavg()[0], text, cpu)


def best(runs: list[Run], key=lambda r: r.wall) -> Run | None:
    good = [r for r in runs if r.ok]
    return min(good, key=key) if good else (runs[0] if runs else None)


def cxtui() -> list[str]:
    return [sys.executable, "-m", "cxtui.cli"]


def ensure_dataset(size: str, root: Path) -> Path:
    if size == "S" and (REPO / "data" / "demo" / "customers.parquet").exists():
        return REPO / "data" / "demo"
    out = root / f"cx_{size.lower()}"
    if not ((out / "customers.parquet").exists() or (out / "customers").is_dir()):
        print(f"generating {size} ({SIZES[size]:,} customers) into {out} …", flush=True)
        run = measure(
            [*cxtui(), "demo", "--customers", str(SIZES[size]), "--out", str(out), "--force"]
        )
        print(f"  generated in {run.wall:.1f} s, peak {run.peak_gb:.2f} GB")
    return out


def dataset_facts(data: Path) -> tuple[str, int | None, str | None]:
    """The as_of a run without --as-of resolves to, the customers' count and the
    first customer's id (the account detail the bench opens)."""
    script = (
        "import sys; from cxtui.data.load import open_dataset;"
        "ds = open_dataset(sys.argv[1]);"
        "c = ds.tables.get('customers');"
        "first = c.select('customer_id').head(1).collect().item() if c is not None else None;"
        "print(ds.as_of, ds.row_counts.get('customers'), first)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(data)],
        capture_output=True,
        text=True,
        check=True,
        env=code_env(),
        cwd=CODE or REPO,
    ).stdout.split()
    count = int(out[1]) if out[1] != "None" else None
    return out[0], count, (out[2] if out[2] != "None" else None)


def year_before(as_of: str) -> str:
    d = date.fromisoformat(as_of)
    try:
        return d.replace(year=d.year - 1).isoformat()
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28).isoformat()


def view_commands(
    as_of: str, only: set[str] | None, customer: str | None
) -> list[tuple[str, list[str]]]:
    """(view id, its arguments after DATA) for every registered view, then
    account detail of `customer` (SPEC §2; not a view of the registry)."""
    if CODE is not None and str(CODE) not in sys.path:
        sys.path.insert(0, str(CODE))
    from cxtui.viewdefs import all_views

    out = []
    for view in all_views():
        if only is not None and view.id not in only:
            continue
        args = [
            {"AS_OF": as_of, "AS_OF-12M": year_before(as_of)}.get(a, a)
            for a in VIEW_ARGS.get(view.id, [])
        ]
        fmt = "json" if "json" in view.formats else sorted(view.formats)[0]
        out.append((view.id, [*args, "--format", fmt]))
    if customer is not None and (only is None or "account" in only):
        # the id goes after the dataset: `cxtui account DATA ID`
        out.append(("account", [customer, "--format", "json"]))
    return out


def cross_check(report: dict, peer: dict) -> tuple[int, list[str]]:
    """Compare a peer's panes with cxtui's report, value by value (floats to 1e-9
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
            diffs.append(f"{path}: cxtui {a!r}, peer {b!r}")

    for key, value in peer["overview"].items():
        check(f"overview.{key}", report["overview"].get(key), value)
    for section in [k for k in peer if k != "overview"]:
        mine, theirs = report[section], peer[section]
        check(f"{section} rows", len(mine), len(theirs))
        for i, (a, b) in enumerate(zip(mine, theirs, strict=False)):
            for key, value in b.items():
                check(f"{section}[{i}].{key}", a.get(key), value)
    return compared, diffs


def floor_seconds(run: Run) -> float | None:
    """The seconds floor.py prints last (its own timing, after its imports)."""
    try:
        return float(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def tui_timings(data: Path, cache: Path) -> tuple[dict | None, Run | None]:
    """The TUI figures (a warm-up start first, so the measured one is warm: the
    warm-up loads every pane, as a person's first session would, so the panes'
    kept results exist) and the measured process's Run."""
    script = [sys.executable, str(REPO / "bench" / "tui_timings.py"), str(data), str(cache)]
    env = {**os.environ, "TEXTUAL_ANIMATIONS": "none"}
    warmup = measure(script, env={**env, "CXTUI_BENCH_T0": str(time.time())})
    if not warmup.ok:
        return None, None
    run = measure(script, env={**env, "CXTUI_BENCH_T0": str(time.time())}, keep_stdout=True)
    if not run.ok:
        return None, run
    return json.loads(run.stdout.strip().splitlines()[-1]), run


def report_profile(data: Path, as_of: str) -> list[tuple[dict, dict | None]]:
    """bench/report_parts.py with an empty cache folder, then again with it."""
    cache = fresh_cache()
    script = [sys.executable, str(REPO / "bench" / "report_parts.py"), str(data), as_of, str(cache)]
    stages = []
    for _ in ("cold", "warm"):
        run = measure(script, keep_stdout=True)
        stages.append(json.loads(run.stdout.strip().splitlines()[-1]) if run.ok else [])
    shutil.rmtree(cache, ignore_errors=True)
    warm = {row["stage"]: row for row in stages[1]}
    return [(row, warm.get(row["stage"])) for row in stages[0]]


def fresh_cache() -> Path:
    return Path(tempfile.mkdtemp(prefix="cxtui-bench-cache-"))


def judge_view(row: ViewRow, view_id: str, cold_report: float | None, size: str) -> None:
    """The view's ratio to the cold report and its targets: cold ≤ 1.5× the
    report for a view of §7–11 (≤ 4× for trends), warm < 1 s, peak RSS under
    the size's limit; judged on M (L: memory only)."""
    cold, warm = row.cold, row.warm
    if cold is None or not cold.ok:
        return
    if cold_report:
        row.ratio = cold.wall / cold_report
    limit = None if view_id in PART_ONE else MANY_AS_OF.get(view_id, NEW_VIEW_COLD)
    texts, mets = [], []
    if limit is not None:
        texts.append(f"≤ {limit:g}×")
        if size == "M" and row.ratio is not None:
            mets.append(row.ratio <= limit)
    mem = MEMORY_GB.get(size)
    if mem is not None:
        texts.append(f"peak < {mem:g} GB")
        mets.append(row.peak_gb < mem)
    row.cold_text = ", ".join(texts)
    row.cold_met = all(mets) if mets and size in ("M", "L") else None
    if size == "M" and warm is not None and warm.ok:
        row.warm_met = warm.wall < VIEW_WARM


def bench_size(size: str, args: argparse.Namespace) -> SizeResult:
    data = ensure_dataset(size, Path(args.data_dir))
    as_of, customers, first_customer = dataset_facts(data)
    res = SizeResult(size, data, as_of, customers, load_start=os.getloadavg()[0])
    judge = size == "M"
    mem_limit = MEMORY_GB.get(size)
    print(f"\n## {size}: {data} (as_of {as_of}), load {res.load_start:.1f}", flush=True)
    only = set(args.views.split(",")) if args.views else None

    def say(what: str, run: Run | None) -> None:
        if run is not None:
            print(
                f"  {what:<34} {run.wall:7.2f} s  {run.peak_gb:5.2f} GB  load {run.load:4.1f}",
                flush=True,
            )

    # -------- floor, peers, report: interleaved rounds, best of each
    have_shared = (SHARED / "floor.py").exists() and (SHARED / "fast_panes.py").exists()
    if not have_shared:
        note = f"{SHARED} is absent: the scan floor and fast_panes.py are skipped"
        print(f"  note: {note}")
        res.notes.append(note)
    peer_env = {**os.environ, "DUCKDB_PANES_DIR": str(REPO / "bench")}
    floors, fasts, ducks, colds, warms = [], [], [], [], []
    report_json = fast_json = duck_json = None
    report_cache: Path | None = None
    do_report = only is None or "report" in only
    for r in range(args.runs):
        if have_shared:
            floors.append(
                measure([sys.executable, str(SHARED / "floor.py"), str(data)], keep_stdout=True)
            )
            say(f"scan floor (run {r + 1})", floors[-1])
            fasts.append(
                measure(
                    [sys.executable, str(SHARED / "fast_panes.py"), str(data), as_of],
                    env=peer_env,
                    keep_stdout=True,
                )
            )
            say(f"fast_panes.py (run {r + 1})", fasts[-1])
        ducks.append(
            measure(
                [sys.executable, str(REPO / "bench" / "duckdb_panes.py"), str(data), as_of],
                keep_stdout=True,
            )
        )
        say(f"duckdb_panes.py (run {r + 1})", ducks[-1])
        if do_report:
            if report_cache is not None:
                shutil.rmtree(report_cache, ignore_errors=True)
            report_cache = fresh_cache()
            cmd = [*cxtui(), "report", str(data), "--format", "json", "--as-of", as_of]
            cmd += ["--cache-dir", str(report_cache)]
            colds.append(measure(cmd, keep_stdout=True))
            say(f"report cold (run {r + 1})", colds[-1])
            warms.append(measure(cmd))
            say(f"report warm (run {r + 1})", warms[-1])
    floor_run = best(floors, key=lambda r: floor_seconds(r) or math.inf)
    fast, duck, cold, warm = best(fasts), best(ducks), best(colds), best(warms)
    floor = floor_seconds(floor_run) if floor_run and floor_run.ok else None
    for run, name in ((colds, "report"), (fasts, "fast"), (ducks, "duck")):
        good = [x for x in run if x.ok]
        if good:
            text = good[0].stdout
            if name == "report":
                report_json = text
            elif name == "fast":
                fast_json = text
            else:
                duck_json = text

    def mem_met(run: Run | None) -> bool | None:
        return None if run is None or mem_limit is None else run.peak_gb < mem_limit

    if floor_run is not None:
        res.rows.append(
            Row(
                "scan floor (`floor.py`)",
                floor,
                floor_run.peak_gb,
                note=f"its process: {floor_run.wall:.2f} s with Python's start and imports",
                load=floor_run.load,
            )
        )
    if fast is not None:
        res.rows.append(
            Row(
                "best peer (`fast_panes.py`, DuckDB)",
                fast.wall,
                fast.peak_gb,
                fast.cpu,
                load=fast.load,
            )
        )
    if duck is not None:
        res.rows.append(
            Row(
                "`bench/duckdb_panes.py` (DuckDB)",
                duck.wall,
                duck.peak_gb,
                duck.cpu,
                load=duck.load,
            )
        )
    if cold is not None:
        res.rows.append(
            Row(
                "`cxtui report`, cold",
                cold.wall,
                cold.peak_gb,
                cold.cpu,
                target=f"peak < {mem_limit:g} GB" if mem_limit else "",
                met=mem_met(cold) if judge or size == "L" else None,
                load=cold.load,
            )
        )
        if floor:
            ratio = cold.wall / floor
            res.rows.append(
                Row(
                    "report cold ÷ scan floor",
                    ratio=f"{ratio:.2f}×",
                    target=f"≤ {REPORT_FLOOR:g}×",
                    met=ratio <= REPORT_FLOOR if judge else None,
                )
            )
        if fast is not None and fast.ok:
            ratio = cold.wall / fast.wall
            res.rows.append(
                Row(
                    "report cold ÷ fast_panes.py",
                    ratio=f"{ratio:.2f}× (CPU {cold.cpu / fast.cpu:.2f}×)",
                    target=f"≤ {REPORT_PEER:g}×",
                    met=ratio <= REPORT_PEER if judge else None,
                )
            )
        if duck is not None and duck.ok:
            res.rows.append(
                Row(
                    "report cold ÷ duckdb_panes.py",
                    ratio=f"{cold.wall / duck.wall:.2f}× (CPU {cold.cpu / duck.cpu:.2f}×)",
                )
            )
    if warm is not None:
        res.rows.append(
            Row(
                "`cxtui report`, warm",
                warm.wall,
                warm.peak_gb,
                warm.cpu,
                target=f"< {REPORT_WARM:g} s",
                met=warm.wall < REPORT_WARM if judge else None,
                load=warm.load,
            )
        )
    if report_json:
        for label, peer in (("fast_panes.py", fast_json), ("duckdb_panes.py", duck_json)):
            if not peer:
                continue
            try:
                compared, diffs = cross_check(json.loads(report_json), json.loads(peer))
            except (ValueError, KeyError, TypeError) as exc:
                res.notes.append(f"cross-check with {label} failed: {exc}")
                continue
            res.notes.append(
                f"cross-check, cxtui report vs {label}: {compared} values, {len(diffs)} differ"
            )
            res.notes += [f"  {d}" for d in diffs[:10]]
        print("  " + "\n  ".join(res.notes), flush=True)

    # -------- every view, cold then warm
    cold_report = cold.wall if cold is not None and cold.ok else None
    try:
        commands = view_commands(as_of, only, first_customer)
    except Exception as exc:  # a registry that does not import: report it, keep the rest
        note = f"the view registry did not import ({type(exc).__name__}: {exc}); views skipped"
        print(f"  ! {note}")
        res.notes.append(note)
        commands = []
    facts_build: float | None = None
    for view_id, view_args in commands:
        row = ViewRow(" ".join([view_id, *[a for a in view_args if a not in ("--format", "json")]]))
        cold_runs, warm_runs = [], []
        # overview's cold run is the facts build that "− facts" subtracts: best of two at least
        for _ in range(max(args.view_runs, 2) if view_id == "overview" else args.view_runs):
            cache = fresh_cache()
            cmd = [
                *cxtui(),
                view_id,
                str(data),
                *view_args,
                "--as-of",
                as_of,
                "--cache-dir",
                str(cache),
            ]
            cold_runs.append(measure(cmd))
            warm_runs.append(measure(cmd))
            shutil.rmtree(cache, ignore_errors=True)
        row.cold, row.warm = best(cold_runs), best(warm_runs)
        say(f"{view_id} cold", row.cold)
        say(f"{view_id} warm", row.warm)
        if view_id == "overview" and row.cold.ok:
            facts_build = row.cold.wall
        judge_view(row, view_id, cold_report, size)
        res.views.append(row)
    for row in res.views:
        if facts_build is not None and row.cold is not None and row.cold.ok:
            row.minus_facts = row.cold.wall - facts_build
    if facts_build is not None:
        # what the five panes alone cost cxtui: the facts, and the panes from them
        # (overview's own query is ~0.01 s), against the same floor and peer
        for label, base in (
            ("scan floor", floor),
            ("fast_panes.py", fast.wall if fast and fast.ok else None),
        ):
            if base:
                res.rows.append(
                    Row(
                        f"overview cold (≈ the facts build) ÷ {label}",
                        ratio=f"{facts_build / base:.2f}×",
                    )
                )

    # -------- the report's stages, one at a time (--profile)
    if args.profile:
        res.profile = report_profile(data, as_of)
        script = [sys.executable, str(REPO / "bench" / "facts_parts.py"), str(data), as_of]
        run = measure(script, keep_stdout=True)
        res.facts_steps = json.loads(run.stdout.strip().splitlines()[-1]) if run.ok else []

    # -------- the TUI
    if args.tui:
        figures, run = tui_timings(data, report_cache or fresh_cache())
        if figures is None:
            res.notes.append("the TUI timings failed (see the printed error)")
        else:
            add_tui(res, figures, run)
    if report_cache is not None:
        shutil.rmtree(report_cache, ignore_errors=True)
    res.load_end = os.getloadavg()[0]
    return res


def add_tui(res: SizeResult, figures: dict, run: Run | None) -> None:
    """The TUI's figures as rows beside their targets, and notes on the details."""
    judge = res.size == "M"
    for key, (label, target) in TUI_TARGETS.items():
        if key in figures:
            value = figures[key]
            text = f"< {target * 1000:g} ms" if target < 1 else f"< {target:g} s"
            res.tui.append(Row(label, value, target=text, met=value < target if judge else None))
    for key, label in TUI_FIGURES.items():
        if key in figures:
            res.tui.append(Row(label, figures[key]))
    mem = MEMORY_GB.get(res.size)
    if run is not None:
        res.tui.append(
            Row(
                "TUI process (everything above), peak RSS",
                peak_gb=run.peak_gb,
                target=f"< {mem:g} GB" if mem else "",
                met=run.peak_gb < mem if mem and res.size in ("M", "L") else None,
                load=run.load,
            )
        )

    def ms(values: list[float]) -> str:
        return ", ".join(f"{v * 1000:.0f}" for v in values)

    if "pane_switch_tab_all" in figures:
        slowest = figures.get("pane_switch_tab_slowest_pane")
        res.notes.append(
            f"TUI: every Tab (ms): {ms(figures['pane_switch_tab_all'])}; the slowest to {slowest}"
        )
    for key in ("drill_segment_all", "account_detail_all"):
        if key in figures:
            res.notes.append(f"TUI {key.removesuffix('_all')}, each time (ms): {ms(figures[key])}")
    if "drill_rows" in figures:
        res.notes.append(f"TUI: the biggest segment's list has {figures['drill_rows']:,} rows")


# ---------------------------------------------------------------- printing


def fmt_s(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def fmt_gb(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def fmt_met(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "**not met**")


def cells(*values: object) -> str:
    return "| " + " | ".join(str(v) for v in values) + " |"


def load_text(load: float | None) -> str:
    return "" if load is None else f"{load:.1f}"


def markdown(results: list[SizeResult], header: list[str]) -> str:
    lines = [*header, ""]
    for res in results:
        who = f"{res.customers:,} customers, " if res.customers is not None else ""
        judged = "." if res.size == "M" else "; the targets are judged on M."
        lines += [
            f"### {res.size}: `{res.data}` ({who}as_of {res.as_of})",
            "",
            f"Load average (1 min): {res.load_start:.1f} at the start, "
            f"{res.load_end:.1f} at the end{judged}",
            "",
            cells("measurement", "time", "CPU", "peak GB", "ratio", "target", "", "load"),
            "|---|---:|---:|---:|---:|---|---|---:|",
        ]
        for row in res.rows:
            name = row.name + (f" ({row.note})" if row.note else "")
            lines.append(
                cells(
                    name,
                    fmt_s(row.seconds),
                    fmt_s(row.cpu),
                    fmt_gb(row.peak_gb),
                    row.ratio,
                    row.target,
                    fmt_met(row.met),
                    load_text(row.load),
                )
            )
        if res.views:
            lines += [
                "",
                cells(
                    "view (`cxtui …`)",
                    "cold",
                    "CPU",
                    "peak GB",
                    "÷ report cold",
                    "target",
                    "",
                    "− facts",
                    "warm",
                    "target",
                    "",
                    "load",
                ),
                "|---|---:|---:|---:|---:|---|---|---:|---:|---|---|---:|",
            ]
            for v in res.views:
                cold, warm = v.cold, v.warm
                if cold is None or not cold.ok:
                    failed = f"failed (exit {cold.code if cold else '?'})"
                    lines.append(cells(v.command, failed, *[""] * 10))
                    continue
                lines.append(
                    cells(
                        v.command,
                        fmt_s(cold.wall),
                        fmt_s(cold.cpu),
                        fmt_gb(max(cold.peak_gb, warm.peak_gb if warm else 0)),
                        f"{v.ratio:.2f}×" if v.ratio is not None else "",
                        v.cold_text,
                        fmt_met(v.cold_met),
                        fmt_s(v.minus_facts),
                        fmt_s(warm.wall) if warm is not None and warm.ok else "failed",
                        f"< {VIEW_WARM:g} s",
                        fmt_met(v.warm_met),
                        load_text(cold.load),
                    )
                )
            peaks = [(v.peak_gb, v.command) for v in res.views if v.cold is not None]
            if peaks:
                top = max(peaks)
                lines += ["", f"Highest peak RSS of the views: {top[0]:.2f} GB (`{top[1]}`)."]
        if res.tui:
            lines += [
                "",
                cells("TUI, warm, inside the app", "time", "peak GB", "target", "", "load"),
                "|---|---:|---:|---|---|---:|",
            ]
            for row in res.tui:
                lines.append(
                    cells(
                        row.name,
                        fmt_s(row.seconds),
                        fmt_gb(row.peak_gb),
                        row.target,
                        fmt_met(row.met),
                        load_text(row.load),
                    )
                )
        if res.profile:
            lines += [
                "",
                "`cxtui report`'s stages one at a time (`bench/report_parts.py`; the report "
                "runs the views' jobs four at a time):",
                "",
                cells("stage", "cold", "CPU", "peak GB after", "warm", "CPU"),
                "|---|---:|---:|---:|---:|---:|",
            ]
            for cold, warm in res.profile:
                lines.append(
                    cells(
                        cold["stage"],
                        fmt_s(cold["wall"]),
                        fmt_s(cold["cpu"]),
                        fmt_gb(cold["peak_gb"]),
                        fmt_s(warm["wall"]) if warm else "",
                        fmt_s(warm["cpu"]) if warm else "",
                    )
                )
        if res.facts_steps:
            lines += [
                "",
                "The facts build step by step (`bench/facts_parts.py`):",
                "",
                cells("step", "time", "CPU", "rows out"),
                "|---|---:|---:|---:|",
            ]
            for row in res.facts_steps:
                out = f"{row['rows']:,}" if row["rows"] is not None else ""
                lines.append(cells(row["step"], fmt_s(row["wall"]), fmt_s(row["cpu"]), out))
        if res.notes:
            lines += [
                "",
                *[f"- {n}" if not n.startswith("  ") else f"  -{n[1:]}" for n in res.notes],
            ]
        lines.append("")
    return "\n".join(lines)


def versions() -> str:
    out = []
    for pkg in ("polars", "duckdb", "textual"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out.append(f"{pkg} {metadata.version(pkg)}")
    return ", ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="M", help="comma-separated: S, M, L")
    parser.add_argument("--data-dir", default=os.environ.get("CXTUI_BENCH_DIR", "/tmp"))
    parser.add_argument(
        "--runs", type=int, default=2, help="rounds of floor, peers and report (best kept)"
    )
    parser.add_argument(
        "--view-runs", type=int, default=1, help="cold+warm runs per view (best kept)"
    )
    parser.add_argument("--views", default="", help="only these commands (report and/or view ids)")
    parser.add_argument(
        "--tui", action="store_true", help="also the TUI timings (bench/tui_timings.py)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also the report's stages (bench/report_parts.py)"
    )
    parser.add_argument(
        "--append-to", type=Path, help="append the results as a dated section to this Markdown file"
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="run the working tree's cxtui (default: a copy taken at the start, see snapshot_code)",
    )
    args = parser.parse_args()
    global CODE
    code = "the working tree, live"
    if not args.live:
        CODE, code = snapshot_code()
    stamp = time.strftime("%Y-%m-%d %H:%M")
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            mem = f", {int(f.readline().split()[1]) / 1024**2:.0f} GB"
    except OSError:
        pass
    machine = f"{platform.machine()}, {os.cpu_count()} cores{mem}"
    machine += f", Python {platform.python_version()}, {versions()}"
    command = "python bench/bench.py " + " ".join(sys.argv[1:])
    print(f"# cxtui benchmarks — {stamp}\n{machine}\ncode: {code}", flush=True)
    try:
        results = [bench_size(s.strip(), args) for s in args.sizes.split(",") if s.strip()]
    finally:
        if CODE is not None:
            shutil.rmtree(CODE, ignore_errors=True)
    header = [
        f"## Round 2 — {stamp[:10]}",
        "",
        f"Measured {stamp} by `{command}`: {machine}; cxtui at {code}. Each figure is "
        "one process (wall time, CPU seconds, peak RSS from `os.wait4`), best of the "
        "run's rounds; the load average beside each is the machine's 1-minute load "
        "after it (other sessions share these 2 cores, so only ratios from the same "
        "run count).",
    ]
    text = markdown(results, header)
    print("\n" + text)
    if args.append_to is not None:
        with args.append_to.open("a", encoding="utf-8") as f:
            f.write("\n" + text)
        print(f"appended to {args.append_to}")


if __name__ == "__main__":
    main()

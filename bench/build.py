"""`cxtui build` with each engine on one dataset, side by side in one run (SPEC
§13: the Spark build in local mode completes and matches the Polars store; its
time beside the Polars build's).

    python bench/build.py /tmp/cx_m                      # polars, then spark local[2]
    python bench/build.py /tmp/cx_m --append-to docs/performance.md

Each build is `cxtui build DATA --out … --engine E --no-cache` in its own
process. Wall time is the process's; peak memory is sampled every 0.1 s over
the process and everything it starts (Spark's JVM and Python workers run
beside the driver, so one process's peak would not tell), and the build
process's own peak (os.wait4) is shown too. The two stores are then compared
file by file (bench/compare_stores.py: rows in any order, values to 1e-9
relative, in bounded memory). Needs `pip install -e '.[bench,spark]'` and Java 17+.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl
import psutil

REPO = Path(__file__).resolve().parents[1]
CXTUI = Path(sys.executable).parent / "cxtui"


def run_build(data: Path, out: Path, engine: str) -> dict:
    """One build: seconds, peak RSS of the process tree and of the process."""
    args = [str(CXTUI), "build", str(data), "--out", str(out), "--engine", engine, "--no-cache"]
    with tempfile.TemporaryFile(mode="w+") as log:  # Spark's log is long: a pipe would fill
        started = time.monotonic()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log, text=True)
        root = psutil.Process(proc.pid)
        tree_peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                procs = [root, *root.children(recursive=True)]
                tree_peak = max(tree_peak, sum(_rss(p) for p in procs))
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.1)
        seconds = time.monotonic() - started
        if os.waitstatus_to_exitcode(status):
            log.seek(0)
            raise SystemExit(f"cxtui build --engine {engine} failed:\n{log.read()[-2000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "engine": engine,
        "seconds": seconds,
        "tree_peak_gb": tree_peak / 1e9,
        "process_peak_gb": usage.ru_maxrss / 1e6,
        "load": os.getloadavg()[0],
        "manifest": manifest,
    }


def _rss(p: psutil.Process) -> int:
    try:
        return p.memory_info().rss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def compare(expected: Path, got: Path) -> str:
    """The word "equal", or the first difference between two stores' files
    (`bench/compare_stores.py`: in bounded memory, so that L's stores compare)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from compare_stores import compare_file

    files = json.loads((expected / "manifest.json").read_text())["files"]
    for name, rows in files.items():
        verdict = compare_file(expected, got, name, rows)
        if verdict != "equal":
            return f"{name}: {verdict}"
    return "equal"


def report(data: Path, results: list[dict], verdict: str) -> str:
    manifest = results[0]["manifest"]
    rows = manifest["row_counts"]
    size = ", ".join(f"{t} {n:,}" for t, n in rows.items())
    lines = [
        f"### `cxtui build` by engine ({date.today().isoformat()})",
        "",
        f"`python bench/build.py {data}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
        f"Polars {pl.__version__}"
        + (f", Spark {results[-1]['manifest']['spark']['version']}" if len(results) > 1 else "")
        + f". Dataset: {manifest['files']['facts.parquet']:,} customers ({size}).",
        "",
        "| engine | build (s) | peak RSS, all processes (GB) | peak RSS, cxtui's process (GB) "
        "| load (1 min) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        where = r["engine"]
        if r["manifest"].get("spark"):
            where += f" ({r['manifest']['spark']['master'] or r['manifest']['spark']['remote']})"
        lines.append(
            f"| {where} | {r['seconds']:.1f} | {r['tree_peak_gb']:.2f} "
            f"| {r['process_peak_gb']:.2f} | {r['load']:.1f} |"
        )
    lines += ["", f"Stores compared file by file (1e-9 relative): {verdict}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--engines", default="polars,spark")
    parser.add_argument("--out-dir", type=Path, default=None, help="where the stores go")
    parser.add_argument("--append-to", type=Path, default=None)
    opts = parser.parse_args()
    base = opts.out_dir or Path(tempfile.mkdtemp(prefix="cxtui-build-bench-"))
    results = []
    for engine in opts.engines.split(","):
        result = run_build(opts.data, base / engine, engine)
        print(
            f"{engine}: {result['seconds']:.1f} s, peak {result['tree_peak_gb']:.2f} GB "
            f"(load {result['load']:.1f})",
            flush=True,
        )
        results.append(result)
    verdict = "only one engine"
    if len(results) > 1:
        verdict = compare(base / results[0]["engine"], base / results[1]["engine"])
    text = report(opts.data, results, verdict)
    print(text)
    if opts.append_to is not None:
        with opts.append_to.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()

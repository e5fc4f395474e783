"""An incremental facts update against a full cold build, in one run (#15 item 5).

    python bench/incremental.py DATA [--days 1] [--work /tmp/cx_incremental]

DATA is a dataset whose orders are a folder of parts (the demo generator's M
and L are). The bench never writes into DATA: it makes WORK, a folder of
symbolic links to DATA's files, and adds the new files there. Steps, each in a
fresh process with its own cache folder so no step warms another:

1. full cold build: open WORK and build the facts with an empty cache (the
   entry the update starts from is written by it);
2. one more day of orders is added (a sample of 1/365 of the orders, dated
   as_of: a late partition of as_of's day, so as_of and every window stay);
3. incremental: open WORK again and build the facts, which updates the entry
   from the new file;
4. full cold build of the grown data (no cache), and the two facts compared
   (floats to 1e-12 relative: sums added in another order).

Prints each step's wall seconds and peak memory, and the ratio incremental /
full cold build. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

STEP = r"""
import json, sys, time
t = time.perf_counter()
from pathlib import Path
import polars as pl
from cxtui.data.load import open_dataset
from cxtui.engine.cache import build_facts, finish_cache_writes
data, cache, out = sys.argv[1], sys.argv[2], sys.argv[3]
ds = open_dataset(data, cache_dir=Path(cache) if cache else None)
facts, others, hit = build_facts(ds, Path(cache) if cache else None, use_cache=bool(cache))
finish_cache_writes()
seconds = time.perf_counter() - t
if out:
    facts.write_parquet(out)
print(json.dumps({"seconds": seconds, "as_of": str(ds.as_of), "hit": hit}))
"""


def run_step(data: Path, cache: Path | None, out: Path | None) -> dict:
    """One step in a fresh process; its wall seconds (from the process's own
    start to the facts being ready and cached) and peak RSS."""
    cmd = ["/usr/bin/time", "-f", "%M", sys.executable, "-c", STEP, str(data)]
    cmd += [str(cache or ""), str(out or "")]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"step failed: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["peak_gb"] = int(done.stderr.strip().splitlines()[-1]) / 2**20
    return result


def linked_copy(data: Path, work: Path) -> None:
    """WORK mirrors DATA with a symbolic link per file (nothing is copied)."""
    shutil.rmtree(work, ignore_errors=True)
    for path in data.rglob("*"):
        target = work / path.relative_to(data)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path.resolve(), target)


def add_days(work: Path, as_of: str, days: int) -> int:
    """New order files: each a 1/365 sample of the orders, dated as_of."""
    import polars as pl

    orders = work / "orders"
    if not orders.is_dir():
        sys.exit(f"{orders}: not a folder of parts; fix: give a dataset whose orders are a folder")
    rows = 0
    for day in range(days):
        sample = (
            pl.scan_parquet(sorted(orders.glob("*.parquet")))
            .collect()
            .sample(fraction=1 / 365, seed=day)
            .with_columns(pl.lit(as_of).str.to_date().alias("order_date"))
        )
        if "order_id" in sample.columns:
            sample = sample.with_columns(pl.format("new-{}-{}", pl.lit(day), pl.col("order_id")))
        sample.write_parquet(orders / f"part-new-{day:03d}.parquet")
        rows += sample.height
    return rows


def show(name: str, step: dict) -> None:
    print(f"{name:<24} {step['seconds']:7.2f} s  {step['peak_gb']:.2f} GB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "cx_incr")
    args = parser.parse_args()
    work, cache = args.work / "data", args.work / "cache"
    linked_copy(args.data.resolve(), work)
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)

    full = run_step(work, cache, None)
    show("full cold build", full)
    rows = add_days(work, full["as_of"], args.days)
    print(f"added {args.days} day(s) of orders: {rows:,} rows dated {full['as_of']}", flush=True)
    updated_file, full_file = args.work / "updated.parquet", args.work / "full.parquet"
    inc = run_step(work, cache, updated_file)
    show("incremental update", inc)
    again = run_step(work, None, full_file)
    show("full build, grown data", again)

    import polars as pl
    from polars.testing import assert_frame_equal

    updated, rebuilt = pl.read_parquet(updated_file), pl.read_parquet(full_file)
    floats = [c for c, d in rebuilt.schema.items() if d.is_float()]
    assert_frame_equal(updated.drop(floats), rebuilt.drop(floats))
    assert_frame_equal(updated.select(floats), rebuilt.select(floats), rel_tol=1e-12)
    ratio = inc["seconds"] / full["seconds"]
    print(f"facts equal (floats to 1e-12); incremental / full cold build = {ratio:.2f}x")
    print(json.dumps({"full": full, "incremental": inc, "full_grown": again, "ratio": ratio}))


if __name__ == "__main__":
    main()

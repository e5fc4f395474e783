"""Where `cxtui report`'s time goes: its stages and each view's report jobs, one
at a time, in one process.

    python bench/report_parts.py DATA AS_OF CACHE_DIR     # a table, then one JSON line

Stages: opening the dataset (the probes), the facts (built, or read when
CACHE_DIR already holds them), then every view's report jobs in the order of
the registry, each alone (the report runs them four at a time, so its wall time
is less than their sum; their CPU seconds add up). Per stage: wall seconds, CPU
seconds of the whole process (polars' threads included) and the process's
resident memory after it and its peak so far (ru_maxrss). Figures, not
assertions.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import date
from pathlib import Path


def rss_gb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * resource.getpagesize() / 1024**3


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


class Stages:
    def __init__(self) -> None:
        self.rows: list[dict] = []

    def run(self, name: str, fn):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        self.rows.append(
            {
                "stage": name,
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "rss_gb": rss_gb(),
                "peak_gb": peak_gb(),
            }
        )
        print(
            f"{name:<32} {self.rows[-1]['wall']:7.2f} s  cpu {self.rows[-1]['cpu']:7.2f} s"
            f"  rss {self.rows[-1]['rss_gb']:5.2f} GB  peak {self.rows[-1]['peak_gb']:5.2f} GB",
            file=sys.stderr,
            flush=True,
        )
        return result


def main(data: str, as_of: str, cache: str) -> list[dict]:
    stages = Stages()
    stages.run("imports", lambda: __import__("cxtui.engine"))
    from cxtui.data.load import open_dataset
    from cxtui.engine import analysis_of
    from cxtui.viewdefs import all_views

    ds = stages.run(
        "open the dataset", lambda: open_dataset(data, None, date.fromisoformat(as_of), Path(cache))
    )
    analysis = stages.run("facts", lambda: analysis_of(ds, None, Path(cache), True))
    # the facts cache is written in a thread (the CLI joins it before exiting)
    from cxtui.engine import cache as facts_cache

    stages.run("facts cache write (joined)", facts_cache.finish_cache_writes)
    for view in all_views():
        if view.report is None:
            continue
        jobs = view.report(analysis)  # building the jobs is cheap; running them is not
        for i, job in enumerate(jobs):
            stages.run(f"{view.id}: job {i + 1} of {len(jobs)}", job)
    return stages.rows


if __name__ == "__main__":
    rows = main(sys.argv[1], sys.argv[2], sys.argv[3])
    print(json.dumps(rows))

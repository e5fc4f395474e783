"""Where the facts build's time goes, step by step, in one process.

    python bench/facts_parts.py DATA AS_OF      # a table on stderr, one JSON line

Steps, as `cxtui.engine.build.facts_and_others` runs them: opening the dataset
(no probe cache), each table's per-id pass alone (its aggregate collected by
itself: the sum is more than the passes together, which share the cores), all
the passes together (what the build runs), then in memory the checked hash
joins, the per-customer columns, the other ids' sums and the id order. Wall
seconds, CPU seconds of the process (polars' threads included) and rows out.
Reads cxtui's internals: a bench tool, not an API. Figures, not assertions.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date


def main(data: str, as_of: str) -> list[dict]:
    rows: list[dict] = []

    def step(name: str, fn):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        rows.append(
            {
                "step": name,
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "rows": getattr(result, "height", None),
            }
        )
        last = rows[-1]
        print(
            f"{name:<40} {last['wall']:7.2f} s  cpu {last['cpu']:7.2f} s  rows {last['rows']}",
            file=sys.stderr,
            flush=True,
        )
        return result

    from cxtui.data.load import open_dataset
    from cxtui.engine import build
    from cxtui.engine.collect import collect, collect_all
    from cxtui.metrics.facts import facts_from_joined, other_id_sums, table_aggregates

    ds = step(
        "open the dataset (no probe cache)",
        lambda: open_dataset(data, None, date.fromisoformat(as_of)),
    )
    aggregates = table_aggregates(ds, count_nonfinite=True)
    for table, plan in aggregates.items():
        step(f"pass over {table} alone", lambda p=plan: collect(p))
    step("customers alone", lambda: collect(ds.tables["customers"]))
    *done, customers = step(
        "every pass together (the build's)",
        lambda: collect_all([*aggregates.values(), ds.tables["customers"]]),
    )
    collected = {}
    for table, df in zip(aggregates, done, strict=True):
        flags = ds.nonfinite_columns(table)
        collected[table] = df.drop(flags) if flags else df
    by_hash = step("hash joins (checked)", lambda: build._joined_by_hash(customers, collected))
    if by_hash is None:
        print("two ids share a hash: the build joins on the ids instead", file=sys.stderr)
        return rows
    joined, not_customers = by_hash
    facts = step(
        "per-customer columns (in memory)",
        lambda: collect(facts_from_joined(ds, joined.lazy()), engine="in-memory"),
    )
    ids = customers.lazy().select("customer_id")
    step("other ids' sums", lambda: collect(other_id_sums(not_customers, ids), engine="in-memory"))
    step("id order", lambda: build._sorted_by_id(facts))
    print(f"facts: {facts.height:,} rows x {facts.width} columns", file=sys.stderr)
    return rows


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))

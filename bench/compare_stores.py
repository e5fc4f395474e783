"""Compare two analysis stores file by file in bounded memory (an L store's
tables hold 10M customers and 100-270M rows; sorting two such frames whole, as
tests/store_fixtures.py does for small stores, needs more than the machine's
24 GB).

    python bench/compare_stores.py EXPECTED_STORE GOT_STORE

- Files with a customer_id key and at most MAX_KEYED rows (facts, customers,
  the agg-* files): both read a few columns at a time, joined on customer_id
  (each id once in each file), every column compared: numbers to 1e-9
  relative (1e-12 absolute), the rest exactly, nulls in the same places.
- Larger files (the table-* copies of the input rows, whose values are typed
  but not computed): an order-independent multiset check in streaming scans:
  the row count, each column's null count, and the sums of two independent
  64-bit row hashes (each cut to 32 bits, so that the sums cannot overflow).

Prints one line per file and "equal" or the first difference; exit code 1 when
any file differs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

MAX_KEYED = 20_000_000
COLUMNS_AT_ONCE = 8
REL, ABS = 1e-9, 1e-12


def files_of(store: Path, name: str) -> list[str]:
    path = store / name
    if path.is_dir():
        return sorted(str(p) for p in path.glob("*.parquet"))
    return [str(path)]


def scan(store: Path, name: str) -> pl.LazyFrame:
    return pl.scan_parquet(files_of(store, name))


def compare_keyed(name: str, a: pl.LazyFrame, b: pl.LazyFrame, schema: pl.Schema) -> str:
    columns = [c for c in schema if c != "customer_id"]
    for start in range(0, max(len(columns), 1), COLUMNS_AT_ONCE):
        chunk = columns[start : start + COLUMNS_AT_ONCE]
        left = a.select("customer_id", *chunk)
        right = b.select(
            "customer_id", *(pl.col(c).cast(schema[c]).alias(f"{c}__got") for c in chunk)
        )
        joined = left.join(right, on="customer_id", how="full", coalesce=False, nulls_equal=True)
        checks = [
            (pl.col("customer_id").is_null() | pl.col("customer_id_right").is_null())
            .sum()
            .alias("__unmatched")
        ]
        for c in chunk:
            want, got = pl.col(c), pl.col(f"{c}__got")
            nulls = want.is_null() != got.is_null()
            if schema[c].is_numeric():
                w, g = want.cast(pl.Float64), got.cast(pl.Float64)
                both_nan = w.is_nan() & g.is_nan()
                far = (w - g).abs() > (ABS + REL * pl.max_horizontal(w.abs(), g.abs()))
                bad = nulls | (far.fill_null(False) & ~both_nan.fill_null(False))
            elif schema[c].is_nested():
                bad = nulls | (want.cast(pl.String) != got.cast(pl.String)).fill_null(False)
            else:
                bad = nulls | (want != got).fill_null(False)
            checks.append(bad.sum().alias(c))
        counts = joined.select(checks).collect(engine="streaming").row(0, named=True)
        if counts["__unmatched"]:
            return f"{counts['__unmatched']:,} ids in one store only"
        for c in chunk:
            if counts[c]:
                return f"column {c}: {counts[c]:,} values differ"
    return "equal"


def fingerprint(lf: pl.LazyFrame, schema: pl.Schema) -> dict:
    cols = [pl.col(c).cast(schema[c]) for c in schema]
    row = pl.struct(cols)
    low = pl.lit(2**32 - 1, pl.UInt64)
    exprs = [
        pl.len().alias("__rows"),
        (row.hash(seed=1) & low).cast(pl.UInt64).sum().alias("__h1"),
        (row.hash(seed=2) & low).cast(pl.UInt64).sum().alias("__h2"),
        *(pl.col(c).null_count().alias(f"nulls:{c}") for c in schema),
    ]
    return lf.select(exprs).collect(engine="streaming").row(0, named=True)


def compare_file(expected: Path, got: Path, name: str, rows: int) -> str:
    a, b = scan(expected, name), scan(got, name)
    schema = a.collect_schema()
    have = b.collect_schema()
    if list(have) != list(schema):
        return f"columns {list(have)} != {list(schema)}"
    if "customer_id" in schema and rows <= MAX_KEYED:
        unique = a.select(pl.col("customer_id").n_unique() == pl.len()).collect().item()
        if unique:
            return compare_keyed(name, a, b, schema)
    fa, fb = fingerprint(a, schema), fingerprint(b, schema)
    diff = [k for k in fa if fa[k] != fb[k]]
    return "equal" if not diff else f"differs in {', '.join(diff[:4])}"


def main() -> None:
    expected, got = Path(sys.argv[1]), Path(sys.argv[2])
    files = json.loads((expected / "manifest.json").read_text())["files"]
    other = json.loads((got / "manifest.json").read_text())["files"]
    failed = False
    if files != other:
        print(f"manifests list different files or row counts: {files} != {other}")
        failed = True
    for name, rows in files.items():
        verdict = compare_file(expected, got, name, rows)
        print(f"{name} ({rows:,} rows): {verdict}", flush=True)
        failed |= verdict != "equal"
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

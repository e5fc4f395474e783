"""The per-customer facts build, and the fingerprint of its definitions.

`facts_and_others` builds the facts (`cxtui.metrics.facts` defines them) in two
steps: the streaming engine's one pass over each table, then joins on a checked
64-bit id hash and the per-customer columns in memory. `facts_fingerprint`
names what that build would produce for a dataset (the facts' schema, from the
same definitions over empty frames: nothing is read) and the code that produces
it, so a cache entry of another facts definition is never served.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import re
import sys
from collections.abc import Iterable
from typing import NamedTuple

import polars as pl

from cxtui.data.load import Dataset, Location, nonfinite_note, with_files
from cxtui.engine.collect import collect, collect_all
from cxtui.metrics.facts import (
    MERGE_RULES,
    OTHER_MRR,
    OTHER_ORDERS,
    customer_facts,
    facts_from_joined,
    merged,
    orders_with_days,
    other_id_sums,
    other_ids,
    table_aggregates,
)
from cxtui.metrics.order_days import DAY_COLUMNS, look_ordered
from cxtui.progress import rows_text, stage


def _sorted_by_id(facts: pl.DataFrame) -> pl.DataFrame:
    """The facts in customer_id order (deterministic, and the cache's row groups
    then serve id lookups). Column by column, releasing each source column as
    its sorted copy is made: `DataFrame.sort` holds two whole copies at once
    (+1 GB at the peak on M)."""
    if facts["customer_id"].is_sorted():
        return facts
    order = facts["customer_id"].arg_sort()
    parts = []
    names = facts.columns
    for i in range(0, len(names), 12):  # a dozen columns at a time, in parallel
        batch = names[i : i + 12]
        parts.append(facts.select(pl.col(batch).gather(order)))
        facts = facts.drop(batch)
    return pl.concat(parts, how="horizontal")


_ID_HASH = "__id_hash"


def _with_id_hash(df: pl.DataFrame) -> pl.LazyFrame:
    """A 64-bit hash of the id beside it (null for a null id, which joins nothing,
    as a null id does)."""
    cid = pl.col("customer_id")
    return df.lazy().with_columns(pl.when(cid.is_not_null()).then(cid.hash()).alias(_ID_HASH))


def _joined_by_hash(
    customers: pl.DataFrame, aggregates: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, dict[str, pl.LazyFrame]] | None:
    """The customers left-joined with every aggregate, and each aggregate's rows of
    ids that are not customers: the joins of `customer_facts` and `other_ids`,
    made on a 64-bit hash of the id. Each aggregate is joined to the customers'
    hashes alone and the results are put side by side (no re-gathering of a
    growing left side). Exact unless two different ids share a hash, which is
    checked: a customer matched to another id's row, or to two rows, returns None."""
    keys = _with_id_hash(customers).select(_ID_HASH)
    matches = [
        keys.join(
            _with_id_hash(agg).rename({"customer_id": "__matched"}),
            on=_ID_HASH,
            how="left",
            maintain_order="left",
        ).drop(_ID_HASH)
        for agg in aggregates.values()
    ]
    aligned = collect_all(matches, engine="in-memory")
    ids = customers["customer_id"]
    for part in aligned:
        if part.height != customers.height:
            return None
        matched = part["__matched"]
        if not (matched.is_null() | (matched == ids)).all():
            return None
    joined = pl.concat([customers, *(part.drop("__matched") for part in aligned)], how="horizontal")
    # with every match checked, an aggregate row whose hash is a customer's is that
    # customer's row: the rows of other ids are those whose hash is no customer's
    not_customers = {
        table: _with_id_hash(agg).join(keys, on=_ID_HASH, how="anti").drop(_ID_HASH)
        for table, agg in aggregates.items()
    }
    return joined, not_customers


def _copied_columns(ds: Dataset, facts: pl.DataFrame, customers: pl.DataFrame) -> list[str]:
    """The facts columns that are the customers table's own columns, row for row
    (name, segment, … of an export sorted by id): the cache leaves them out and
    reads them from the customers again. None when the customers are derived,
    are text (parsing a CSV again would cost more than it saves) or the facts
    were put in id order; a column the facts redefine differs, and stays."""
    if ds.customers_derived or ds.formats.get("customers") != "parquet":
        return []
    if not facts["customer_id"].equals(customers["customer_id"]):
        return []
    return [
        c
        for c in customers.columns
        if c != "customer_id"
        and c in facts.columns
        and facts[c].dtype == customers[c].dtype
        and facts[c].equals(customers[c])
    ]


class Built(NamedTuple):
    """A facts build: the facts, the other ids' sums (`facts.other_ids`), the
    notes of the NaN / inf values the pass left out, the facts columns that copy
    the customers' own (`_copied_columns`) and those NaN / inf counts by table
    and flag column (an incremental update adds its new files' to them)."""

    facts: pl.DataFrame
    others: pl.DataFrame
    notes: list[str]
    copied: list[str]
    nonfinite: dict[str, dict[str, int]]
    # the CLV's order days from the facts' pass (`facts_and_others(order_days=True)`)
    order_days: pl.DataFrame | None = None


def facts_and_others(ds: Dataset, order_days: bool = False) -> Built:
    """The facts and the other ids' sums (`facts.other_ids`), built in two steps:
    the streaming engine makes its one pass over each large table (the per-id
    aggregates and the customers, all at once); the joins and the per-customer
    columns then run on those frames in memory, where the in-memory engine is
    faster than streaming them. The pass also counts the NaN / inf values it
    leaves out (Dataset.nonfinite). `facts_schemas` must follow every change here.

    `order_days` (a command that will fit the CLV): when the orders' first rows
    are in (customer_id, order_date) order, the pass over the orders also gives
    the CLV's order days (`Built.order_days`, see `_split_days`), so that the
    CLV does not read the orders again."""
    aggregates = table_aggregates(ds, count_nonfinite=True)
    with_days = (
        order_days
        and "orders" in aggregates
        and bool(collect(look_ordered(ds.scan("orders"))).item())
    )
    if with_days:
        aggregates["orders"] = orders_with_days(ds, count_nonfinite=True)
    counts = {t: ds.row_counts.get(t) for t in [*aggregates, "customers"]}
    stage(f"building the facts: one pass over {rows_text(counts)}")
    *done, customers = collect_all([*aggregates.values(), ds.tables["customers"]])
    collected = dict(zip(aggregates, done, strict=True))
    days = None
    if with_days:
        collected["orders"], days = _split_days(collected["orders"])
    return facts_from_aggregates(ds, collected, customers)._replace(order_days=days)


def _split_days(orders: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`orders_with_days`' aggregate as the facts' orders aggregate and the CLV's
    order days (`clv.clv_order_days(ordered=True)`'s columns, every id's); the
    days are None when the pass found a row out of order."""
    facts = orders.drop(DAY_COLUMNS)
    if orders["_unordered"].sum():
        return facts, None
    days = orders.select(
        "customer_id",
        pl.col("first_order_date").alias("_first"),
        pl.col("last_order_date").alias("_last"),
        pl.col("lifetime_revenue").cast(pl.Float64).alias("_total"),
        "frequency",
        "_first_day",
    )
    return facts, days


def _nonfinite_counts(
    ds: Dataset, aggregates: dict[str, pl.DataFrame]
) -> tuple[dict[str, pl.DataFrame], dict[str, dict[str, int]]]:
    """The aggregates without their NaN / inf flag columns, and those columns'
    totals by table."""
    clean: dict[str, pl.DataFrame] = {}
    counts: dict[str, dict[str, int]] = {}
    for table, df in aggregates.items():
        flags = ds.nonfinite_columns(table)
        if flags:
            totals = df.select(pl.col(flags).sum()).row(0, named=True)
            counts[table] = {flag: int(totals[flag] or 0) for flag in flags}
            df = df.drop(flags)
        clean[table] = df
    return clean, counts


def nonfinite_notes(ds: Dataset, counts: dict[str, dict[str, int]]) -> list[str]:
    """The data-quality notes of the NaN / inf counts of a facts pass."""
    return [
        nonfinite_note(table, n, ds.nonfinite[table][flag])
        for table, by_flag in counts.items()
        for flag, n in by_flag.items()
        if n and flag in ds.nonfinite.get(table, {})
    ]


def facts_from_aggregates(
    ds: Dataset, aggregates: dict[str, pl.DataFrame], customers: pl.DataFrame
) -> Built:
    """The second step of `facts_and_others`, in memory: the facts and the other
    ids' sums from the collected `table_aggregates(ds, count_nonfinite=True)`
    (by table) and customers, with the notes and copied columns. An analysis
    store built by another engine runs it on that engine's aggregates."""
    collected, counts = _nonfinite_counts(ds, aggregates)
    stage(f"building the facts: joining and computing {customers.height:,} customers' columns")
    by_hash = _joined_by_hash(customers, collected)
    ids = customers.lazy().select("customer_id")
    if by_hash is not None:
        joined, not_customers = by_hash
        facts = collect(facts_from_joined(ds, joined.lazy()), engine="in-memory")
        others = collect(other_id_sums(not_customers, ids), engine="in-memory")
    else:  # two ids share a hash: the joins on the id itself
        in_memory = {table: df.lazy() for table, df in collected.items()}
        facts = collect(customer_facts(ds, in_memory, customers.lazy()), engine="in-memory")
        others = collect(other_ids(ds, in_memory, customers.lazy()), engine="in-memory")
    facts = _sorted_by_id(facts)
    copied = _copied_columns(ds, facts, customers)
    return Built(facts, others, nonfinite_notes(ds, counts), copied, counts)


# ---------------------------------------------------------------- incremental update


def _files_text(files: dict[str, list]) -> str:
    return ", ".join(
        f"{len(paths)} new file{'s' if len(paths) != 1 else ''} of {table}"
        for table, paths in files.items()
    )


def grown_facts(
    ds: Dataset,
    before: pl.DataFrame,
    others_before: pl.DataFrame,
    counts_before: dict[str, dict[str, int]],
    new_files: dict[str, list[Location]],
) -> Built:
    """The facts of `ds` from the facts built before it gained `new_files`
    (tables of `MERGE_RULES` only; every other input the same, as_of too): the
    aggregates of the new files alone, merged by id with those the old facts
    and others carry, then the per-customer columns again over every customer
    (ranks and quantiles are over all of them). Equal to a full build but for
    the order of floating-point sums (docs/performance.md, "Incremental facts")."""
    part = with_files(ds, new_files)
    lazy = table_aggregates(part, count_nonfinite=True)
    stage(f"updating the facts: one pass over {_files_text(new_files)}")
    *done, customers = collect_all([*(lazy[t] for t in new_files), ds.tables["customers"]])
    added, counts = _nonfinite_counts(part, dict(zip(new_files, done, strict=True)))
    for table, by_flag in counts_before.items():
        total = counts.setdefault(table, {})
        for flag, n in by_flag.items():
            total[flag] = total.get(flag, 0) + n
    stage(f"updating the facts: joining and computing {customers.height:,} customers' columns")
    # the aggregate columns the old facts carry, in the order a full build joins them
    columns = [
        name
        for table, agg in table_aggregates(ds).items()
        for name in agg.collect_schema().names()
        if name != "customer_id"
    ]
    if customers["customer_id"].equals(before["customer_id"]):
        # the facts in the customers' own order (ids sorted): side by side, no join
        joined = pl.concat([customers, before.select(columns)], how="horizontal").lazy()
    else:
        joined = customers.lazy().join(
            before.lazy().select("customer_id", *columns),
            on="customer_id",
            how="left",
            maintain_order="left",
        )
    others = others_before.lazy()
    for table, new in added.items():
        rules = MERGE_RULES[table]
        suffixed = new.lazy().rename({c: f"{c}__new" for c in rules})
        joined = joined.join(suffixed, on="customer_id", how="left", maintain_order="left")
        joined = joined.with_columns(merged(c, rule, f"{c}__new") for c, rule in rules.items())
        joined = joined.drop(f"{c}__new" for c in rules)
        kept = [c for c in OTHER_ORDERS if c in rules] if table == "orders" else []
        if kept:  # the other ids' order figures (`facts.other_id_sums`)
            ids = customers.lazy().select("customer_id")
            strangers = (
                new.lazy()
                .join(ids, on="customer_id", how="anti")
                .select("customer_id", *(pl.col(c).alias(f"{c}__new") for c in kept))
            )
            others = others.join(
                strangers, on="customer_id", how="full", coalesce=True, nulls_equal=True
            )
            others = others.with_columns(
                *(merged(c, rules[c], f"{c}__new") for c in kept),
                *(pl.col(c).fill_null(0) for c in OTHER_MRR if c in others_before.columns),
            ).drop(f"{c}__new" for c in kept)
    facts = collect(facts_from_joined(ds, joined), engine="in-memory")
    others = collect(others.select(others_before.columns), engine="in-memory")
    facts = _sorted_by_id(facts)
    copied = _copied_columns(ds, facts, customers)
    return Built(facts, others, nonfinite_notes(ds, counts), copied, counts)


# ---------------------------------------------------------------- fingerprint


def facts_schemas(ds: Dataset) -> tuple[pl.Schema, pl.Schema]:
    """The schemas of the facts and of the other ids' sums that `facts_and_others`
    builds for `ds`: its steps over empty frames of the inputs' schemas, resolved
    without collecting (a lazy plan's schema reads no rows)."""
    customers = pl.LazyFrame(schema=ds.tables["customers"].collect_schema())
    aggregates: dict[str, pl.LazyFrame] = {}
    for table, agg in table_aggregates(ds, count_nonfinite=True).items():
        flags = set(ds.nonfinite_columns(table))
        schema = {n: d for n, d in agg.collect_schema().items() if n not in flags}
        aggregates[table] = pl.LazyFrame(schema=schema)
    joined = pl.concat(
        [customers, *(agg.drop("customer_id") for agg in aggregates.values())], how="horizontal"
    )
    facts = facts_from_joined(ds, joined).collect_schema()
    others = other_id_sums(aggregates, customers.select("customer_id")).collect_schema()
    return facts, others


# The modules whose code the build runs, found from this one by their imports.
BUILD_MODULES = (__name__,)

# an import statement at the start of a line, led by its newline (a literal
# first lets the regex skip ahead: faster than `^` with re.MULTILINE)
_IMPORT = re.compile(
    r"\n[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)|import[ \t]+([\w.]+))"
)


def _imports(name: str, is_package: bool, text: str, top: str) -> set[str]:
    """The modules of package `top` that module `name`'s source imports (also
    those inside functions or `if TYPE_CHECKING`: more is only safer)."""
    found: set[str] = set()
    for m in _IMPORT.finditer("\n" + text):
        if m.group(3):
            found.add(m.group(3))
            continue
        base = m.group(1)
        if base.startswith("."):  # relative: resolved against the module's package
            package = name if is_package else name.rpartition(".")[0]
            for _ in range(len(base) - len(base.lstrip(".")) - 1):
                package = package.rpartition(".")[0]
            rest = base.lstrip(".")
            base = f"{package}.{rest}" if rest else package
        found.add(base)
        if (source := _source_file(base)) is not None and source[1]:  # `from pkg import module`
            for item in m.group(2).strip("()").split(","):
                item = item.split("#")[0].split(" as ")[0].strip()
                if item.isidentifier():
                    found.add(f"{base}.{item}")
    return {n for n in found if n == top or n.startswith(top + ".")}


def _source_file(name: str) -> tuple[str, bool] | None:
    """Module `name`'s source file and whether it is a package, found on its
    top-level package's path without importing anything (importing a package
    to look inside it would run its code: `cxtui.render` pulls in Rich)."""
    top, _, rest = name.partition(".")
    try:
        spec = sys.modules[top].__spec__ if top in sys.modules else importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, *rest.split(".")) if rest else folder
        if os.path.isfile(init := os.path.join(path, "__init__.py")):
            return init, True
        if rest and os.path.isfile(path + ".py"):
            return path + ".py", False
    return None


def module_sources(roots: Iterable[str]) -> dict[str, bytes]:
    """The source text of `roots` and of the modules they import, directly or
    not, within their top-level package, and of those modules' packages (whose
    own imports are not followed), by module name; names that are not modules,
    such as a function imported from a package, are skipped."""
    pending = [(name, True) for name in roots]
    sources: dict[str, bytes] = {}
    followed: set[str] = set()
    while pending:
        name, follow = pending.pop()
        if name in followed or (name in sources and not follow):
            continue
        found = _source_file(name)
        if found is None:
            continue
        path, is_package = found
        try:
            with open(path, "rb") as file:
                text = file.read()
        except OSError:
            text = b""
        sources[name] = text
        parts = name.split(".")
        # a package's __init__ runs before its modules, but what it imports
        # besides them (cxtui.engine's every job) is not the build's code
        pending += [(".".join(parts[:i]), False) for i in range(1, len(parts))]
        if follow:
            followed.add(name)
            found_imports = _imports(name, is_package, text.decode("utf-8", "replace"), parts[0])
            pending += [(n, True) for n in found_imports]
    return sources


def sources_version(roots: Iterable[str]) -> str:
    """A hash of the source text of `roots` and the modules they import
    (`module_sources`), and of the Polars version."""
    h = hashlib.sha256(f"polars {pl.__version__}\0".encode())
    for name, text in sorted(module_sources(roots).items()):
        h.update(name.encode() + b"\0" + text + b"\0")
    return h.hexdigest()[:32]


@functools.cache
def code_version() -> str:
    """The build's `sources_version` (`BUILD_MODULES` and every module of the
    package they import: the facts definitions, the data layer, this module),
    computed once per process."""
    return sources_version(BUILD_MODULES)


def facts_fingerprint(ds: Dataset) -> str:
    """What defines the facts built for `ds`: the facts' and the other ids'
    column names and dtypes (`facts_schemas`) and the build's `code_version`."""
    facts, others = facts_schemas(ds)
    described = [
        code_version(),
        [[n, str(d)] for n, d in facts.items()],
        [[n, str(d)] for n, d in others.items()],
    ]
    return hashlib.sha256(json.dumps(described).encode()).hexdigest()[:32]

"""Segment migration (SPEC §7): the transition matrix of a dimension between
two as_of dates. Rows: the value at --from (plus "not started"); columns: the
value at --to; cells: customers; a second table holds the row shares. A
derived dimension takes each date's value from the facts of that as_of
(`cxtui.engine.asof`). Enter on a cell lists its customers; on the row's
value or total, the row's. The formulas are in `cxtui.metrics.trends`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from cxtui.commands import sql_literal
from cxtui.errors import CxError
from cxtui.metrics.periods import add_months, month_end, month_start
from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    PaneKey,
    View,
    lazy,
    records,
    register,
)

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.metrics.scope import Scope
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
tr = lazy("cxtui.metrics.trends")
panes = lazy("cxtui.metrics.panes")
engine = lazy("cxtui.engine")
render = lazy("cxtui.render")

DEFAULT_BY = "lifecycle"
PANE_MONTHS_BACK = 12  # the pane's --from: the end of the month a year before as_of's
DATE_CHOICES = 24  # month ends offered by the pane's date keys
NOT_STARTED = "not started"  # metrics.trends.NOT_STARTED
TO_PREFIX = "→ "  # metrics.trends.TO_PREFIX
NO_VALUE = "(none)"  # metrics.trends.NO_VALUE
HINT = "Enter on a cell lists its customers; on the value or customers, the whole row"


# ---------------------------------------------------------------- dates


def parse_day(text: str, flag: str, as_of: date) -> date:
    """YYYY-MM-DD, or YYYY-MM for that month's last day (as_of for its month)."""
    raw = str(text).strip()
    try:
        if len(raw) == 7:
            first = date.fromisoformat(raw + "-01")
            return min(month_end(first), as_of) if month_start(as_of) == first else month_end(first)
        return date.fromisoformat(raw)
    except ValueError:
        raise CxError(f"{flag} {raw!r} is not a date; fix: use YYYY-MM-DD (or YYYY-MM)") from None


def pane_from(as_of: date) -> date:
    return month_end(add_months(month_start(as_of), -PANE_MONTHS_BACK))


def first_start(analysis: Analysis) -> date | None:
    """The earliest start of any customer (all of them, whatever --where selects)."""
    return analysis.facts["start_date"].min() if analysis.facts.height else None  # type: ignore[return-value]


def date_choices(analysis: Analysis, opts: Opts) -> list[str]:
    """as_of, then the ends of the months before it (most recent first), back to
    the first customer's start."""
    as_of = analysis.ds.as_of
    first = month_start(as_of)
    days = [as_of] + [month_end(add_months(first, -i)) for i in range(1, DATE_CHOICES + 1)]
    since = first_start(analysis)
    return [d.isoformat() for d in dict.fromkeys(days) if since is None or d >= since]


@dataclass(frozen=True)
class Window:
    by: str
    start: date  # --from
    end: date  # --to


def window(analysis: Analysis, opts: Opts) -> Window:
    """The options checked: --to ≤ as_of, --from ≤ --to, --from not before the
    first customer's start."""
    as_of = analysis.ds.as_of
    by = opts.get("by") or DEFAULT_BY
    if not opts.get("from_date"):
        example = pane_from(as_of).isoformat()
        raise CxError(f"migration needs --from DATE; fix: pass e.g. --from {example}")
    start = parse_day(opts["from_date"], "--from", as_of)
    end = parse_day(opts["to_date"], "--to", as_of) if opts.get("to_date") else as_of
    if end > as_of:
        raise CxError(
            f"--to {end} is after as_of {as_of} (nothing later is seen); "
            f"fix: pass --to {as_of} or earlier, or a later --as-of"
        )
    if start > end:
        raise CxError(f"--from {start} is after --to {end}; fix: pass a --from on or before --to")
    since = first_start(analysis)
    if since is None or start < since:
        began = f"the first customer starts {since}" if since else "no customer starts"
        raise CxError(
            f"--from {start} is before any data ({began}); fix: pass a --from on or after it"
        )
    return Window(by, start, end)


def window_scope(analysis: Analysis, w: Window) -> tuple[Scope, str, str]:
    """The scope and the columns holding the value at --from and at --to."""
    scope = analysis.scope
    panes.check_dimension(scope, w.by)
    if not tr.is_derived(scope, w.by):
        return scope, w.by, w.by
    scope, names = engine.scope_at(analysis, w.by, [w.start, w.end])
    return scope, names[w.start], names[w.end]


# ---------------------------------------------------------------- the matrix


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


def matrix_tables(analysis: Analysis, w: Window) -> tuple[ResultTable, ResultTable]:
    scope, from_col, to_col = window_scope(analysis, w)
    cells = engine.collect(tr.migration_cells(scope, w.start, w.end, from_col, to_col))
    counts, shares = tr.migration_tables(cells, w.by)
    cur = analysis.ds.config.currency

    def specs(kind: str) -> list:
        out = [render.ColumnSpec(w.by, "text", priority=0)]
        out += [render.ColumnSpec(c, kind, priority=1) for c in counts.columns[1:-1]]
        return [*out, render.ColumnSpec("customers", "int", priority=0)]

    title = f"{w.by}: {w.start} (rows) → {w.end} (columns), customers — {_subtitle(analysis)}"
    count_rt = render.ResultTable(title, counts, specs("int"), currency=cur)
    share_rt = render.ResultTable("Row shares", shares, specs("pct"), currency=cur)
    return count_rt, share_rt


def run(analysis: Analysis, opts: Opts) -> Output:
    w = window(analysis, opts)
    counts, shares = matrix_tables(analysis, w)

    def as_json(out: Output) -> Any:
        tables = [records(t) for t in out.tables]
        return {"by": w.by, "from": w.start, "to": w.end, "counts": tables[0], "shares": tables[1]}

    return Output(
        tables=[counts, shares],
        json=as_json,
        extras={"by": w.by, "from": w.start, "to": w.end},
        notes=[HINT],
    )


def resolve(analysis: Analysis, opts: Opts) -> Opts:
    """The pane starts a year back: --from the end of the month 12 months before
    as_of's (or the first start, when later), --to as_of."""
    if opts.get("from_date"):
        return opts
    start = pane_from(analysis.ds.as_of)
    since = first_start(analysis)
    if since is not None and start < since:
        start = min(since, analysis.ds.as_of)
    return {**opts, "from_date": start.isoformat()}


# ---------------------------------------------------------------- drill-down


def members_table(
    analysis: Analysis, w: Window, from_label: str | None, to_label: str | None, any_to: bool
) -> ResultTable:
    scope, from_col, to_col = window_scope(analysis, w)
    order = panes.default_top_by(analysis.scope)
    keep = [c for c in (*views.MEMBER_COLUMNS, "start_date", order) if c in scope.fact_columns()]
    lf = tr.migration_members(scope, w.start, w.end, from_col, to_col, from_label, to_label, any_to)
    frame = engine.collect(
        lf.select(list(dict.fromkeys(keep))).sort(
            [order, "customer_id"], descending=[True, False], nulls_last=True
        )
    )
    row = NO_VALUE if from_label is None else from_label
    to = "" if any_to else f" → {NO_VALUE if to_label is None else to_label}"
    title = f"{w.by} {row} at {w.start}{to} at {w.end}: {frame.height:,} customers"
    return views.members_table(analysis, frame, title)


def _text_match(by: str, label: str | None) -> str:
    name = by if by.isidentifier() else '"' + by.replace('"', '""') + '"'
    return f"{name} IS NULL" if label is None else f"CAST({name} AS VARCHAR) = {sql_literal(label)}"


def _command(
    ctx: DrillContext, w: Window, from_label: str | None, to_label: str | None, any_to: bool, n: int
) -> str:
    """`top` listing the same customers where one command can: a plain column
    (the same value at both dates), or the "not started" row (the value at
    --to, as of --to); else the migration command itself."""
    a = ctx.analysis
    start = f"start_date > {sql_literal(w.start)}"
    parts = [f"start_date <= {sql_literal(w.end)}"]
    invocation = ctx.invocation
    if not tr.is_derived(a.scope, w.by):
        if from_label == NOT_STARTED:
            parts.append(start)
        else:
            parts += [f"start_date <= {sql_literal(w.start)}", _text_match(w.by, from_label)]
    elif from_label == NOT_STARTED:
        parts.append(start)
        invocation = replace(invocation, as_of=w.end) if w.end != a.ds.as_of else invocation
    else:
        args = ["--by", w.by, "--from", w.start.isoformat(), "--to", w.end.isoformat()]
        return invocation.command("migration", *args)
    if not any_to:
        parts.append(_text_match(w.by, to_label))
    return invocation.command("top", "-n", str(max(n, 1)), where=" AND ".join(parts))


def drill(ctx: DrillContext) -> Members | None:
    w = window(ctx.analysis, ctx.opts)
    if w.by not in ctx.row:
        return None
    from_label = ctx.row.get(w.by)  # the value's text, or "not started"
    column = ctx.column or ""
    any_to = not column.startswith(TO_PREFIX)
    to_label = None if any_to else column.removeprefix(TO_PREFIX)
    if to_label == NO_VALUE:
        to_label = None
    n = ctx.row.get("customers") if any_to else ctx.row.get(column)
    if ctx.table == 1 and not any_to:  # a share: the cell's count is in the counts table
        n = None
    a = ctx.analysis
    row = NO_VALUE if from_label is None else from_label
    crumbs = ["Migration", f"{w.by} {row}"] + ([] if any_to else [column])
    return Members(
        crumbs,
        lambda: members_table(a, w, from_label, to_label, any_to),
        _command(ctx, w, from_label, to_label, any_to, int(n) if n else a.facts.height),
        f"migration-{w.by}-{row}" + ("" if any_to else f"-{to_label or NO_VALUE}"),
    )


def command(opts: Opts, table: int) -> list[str]:
    args = ["--by", opts.get("by") or DEFAULT_BY]
    if opts.get("from_date"):
        args += ["--from", str(opts["from_date"])]
    return args + (["--to", str(opts["to_date"])] if opts.get("to_date") else [])


VIEW = register(
    View(
        id="migration",
        title="Migration",
        group="Revenue & cohorts",
        help=(
            "The transition matrix of a dimension between two as_of dates: customers by "
            "their value at --from (rows) and at --to (columns), with row shares."
        ),
        run=run,
        options=(
            Option(
                "by",
                ("--by",),
                str,
                DEFAULT_BY,
                "The dimension: lifecycle, revenue_tier, rfm_segment, engagement, risk_band "
                "(each as of the date) or any customer column.",
            ),
            Option(
                "from_date",
                ("--from",),
                str,
                None,
                "The first as_of (rows): YYYY-MM-DD, or YYYY-MM for that month's end.",
                metavar="DATE",
            ),
            Option(
                "to_date",
                ("--to",),
                str,
                None,
                "The second as_of (columns), default as_of.",
                metavar="DATE",
            ),
        ),
        pane="tables",  # `t` moves between the counts and the shares
        resolve=resolve,
        drill=drill,
        command=command,
        keys=(
            PaneKey(
                "d",
                "Dimension",
                "by",
                choices=lambda a, o: views.dimensions(a),
                title="Migration of",
            ),
            PaneKey("f", "From date", "from_date", choices=date_choices, title="From (as_of)"),
            PaneKey("u", "To date", "to_date", choices=date_choices, title="To (as_of)"),
        ),
        export_name=lambda o: f"migration-{o.get('by') or DEFAULT_BY}",
    )
)

"""Support (SPEC §9): tickets in a window from the dataset's one support source
(the tickets table, else monthly.support_tickets, else support_ticket_created
events), first-response hours and the resolution rate (tickets table), and the
customers per tickets-per-customer range; each range drills to its customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    PaneKey,
    ReportPart,
    View,
    lazy,
    records,
    register,
)
from cxtui.viewdefs.satisfaction import WINDOWS, notes_table, window_days

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
sup = lazy("cxtui.metrics.support")
engine = lazy("cxtui.engine")

DEFAULT_WINDOW = "90d"

# How each source reads in the note under the ranges.
SOURCE_TEXT = {
    "tickets": "the tickets table",
    "monthly": "monthly.support_tickets (whole calendar months: {months})",
    "events": "events of type support_ticket_created (no response or resolution times)",
}


def _window(opts: Opts) -> tuple[str, int]:
    window = opts.get("window") or DEFAULT_WINDOW
    return window, window_days(window)


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


def source_note(source: str, days: int) -> str:
    """Which source the figures come from (shown under the ranges)."""
    months = sup.window_months(days)
    text = SOURCE_TEXT[source].format(months=f"the last {months}")
    if source == "monthly":
        text += "; no response or resolution times"
    return f"source: {text}"


def _negative_note(n: int) -> list[str]:
    if not n:
        return []
    rows = "ticket has its" if n == 1 else "tickets have their"
    return [
        f"{n:,} {rows} first response before creation: left out of the response hours "
        "(cxtui validate lists them)"
    ]


def support_output(analysis: Analysis, window: str, days: int) -> Output:
    """The summary (source, tickets, response hours, resolution rate), the ranges
    table with the source under it, and the notes."""
    scope = analysis.scope
    head, ranges, negative = engine.collect_all(
        [
            sup.support(scope, days),
            sup.ticket_ranges(scope, days),
            sup.negative_response_tickets(scope, days),
        ]
    )
    summary = head.row(0, named=True)
    summary = {k: summary[k] for k in sup.SUPPORT_KEYS}
    note = source_note(summary["source"], days)
    rt = views.table(f"Tickets per customer, last {window}", ranges, analysis, note)
    notes = _negative_note(negative["n"][0])
    tables = [rt, *([notes_table(analysis, notes)] if notes else [])]

    def as_json(out: Output) -> Any:
        return {
            "as_of": analysis.ds.as_of,
            "window": window,
            **summary,
            "ranges": records(rt),
            "notes": notes,
        }

    title = f"Support, last {window} — {_subtitle(analysis)}"
    return Output(title=title, summary=summary, tables=tables, notes=notes, json=as_json)


def range_members(analysis: Analysis, label: str, days: int, window: str) -> ResultTable:
    """Exactly the customers a ranges row counts, most tickets first."""
    frame = engine.collect(sup.range_accounts(analysis.scope, label, days))
    cols = [c for c in (*views.MEMBER_COLUMNS, sup.TICKETS) if c in frame.columns]
    title = f"{label} tickets, last {window}: {frame.height:,} accounts"
    return views.table(title, frame.select(cols), analysis)


def run(analysis: Analysis, opts: Opts) -> Output:
    window, days = _window(opts)
    sup.require_support(analysis.scope)
    label = opts.get("range")
    if label is not None:
        return Output(tables=[range_members(analysis, label, days, window)])
    return support_output(analysis, window, days)


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    window, days = _window(opts)
    sup.require_support(analysis.scope)
    out = support_output(analysis, window, days)
    out.tables = out.tables[:1]  # the notes go under the pane (Output.notes)
    return out


def drill(ctx: DrillContext) -> Members | None:
    if ctx.table != 0 or ctx.row.get("range") is None:
        return None
    a = ctx.analysis
    window, days = _window(ctx.opts)
    label = ctx.row["range"]
    return Members(
        ["Support", f"{label} tickets"],
        lambda: range_members(a, label, days, window),
        ctx.invocation.command("support", "--window", window, "--range", label),
        f"support-{label}",
    )


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if sup.support_source(analysis.ds) is None:
            return []
        out = support_output(analysis, DEFAULT_WINDOW, window_days(DEFAULT_WINDOW))
        ranges = out.tables[0]
        value = {k: v for k, v in out.json_value().items() if k != "ranges"}
        return [
            ReportPart(
                85,
                f"Support (last {DEFAULT_WINDOW})",
                summary=out.summary,
                table_heading="Support",
                json_key="support",
                json_value=value,
            ),
            ReportPart(
                85.5,
                f"Tickets per customer (last {DEFAULT_WINDOW})",
                table=ranges,
                json_key="support_ranges",
                in_text=True,
            ),
        ]

    return [job]


VIEW = register(
    View(
        id="support",
        title="Support",
        help=(
            "Support tickets in a window: first response and resolution (tickets table) "
            "and customers per tickets-per-customer range."
        ),
        run=run,
        options=(
            Option(
                "window",
                ("--window",),
                str,
                DEFAULT_WINDOW,
                "Window ending at as_of: 30d, 90d, 12m, 2y…",
            ),
            Option(
                "range",
                ("--range",),
                str,
                None,
                "Print the customers of one tickets range instead (e.g. 0, 1, 2-4).",
                metavar="RANGE",
            ),
        ),
        group="Satisfaction & support",
        pane_stages=(pane,),
        drill=drill,
        command=lambda opts, table: ["--window", opts.get("window") or DEFAULT_WINDOW],
        report=report,
        keys=(
            PaneKey(
                "w",
                "Window",
                "window",
                choices=lambda a, o: WINDOWS,
                current=lambda o: o.get("window") or DEFAULT_WINDOW,
                title="Support window",
            ),
        ),
    )
)

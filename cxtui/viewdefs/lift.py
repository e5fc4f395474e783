"""Lift (SPEC §10): the customers with an event type (or a true customer flag)
against those without, measure by measure, and the value `opportunity` of
closing the gap — labelled in every format as an association, not a proven
effect. Each side lists exactly its customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause
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
from cxtui.viewdefs.common import event_type_counts, ranked_members, subtitle, top_command

if TYPE_CHECKING:
    import polars

    from cxtui.engine import Analysis
    from cxtui.metrics.lift import LiftSubject
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
metrics = lazy("cxtui.metrics.lift")
render = lazy("cxtui.render")
pl = lazy("polars")

DEFAULT_EVENT = "training_attended"  # SPEC §10 (metrics.lift.DEFAULT_EVENT)
SIDES, MEASURES = 0, 1  # the Output's tables
WITH, WITHOUT = "with", "without"
# the summary block (the rest of metrics.lift.LIFT_SUMMARY_KEYS goes to JSON)
SUMMARY_KEYS = (
    "subject",
    "customers_with",
    "customers_without",
    "value_mean_with",
    "value_mean_without",
    "opportunity",
    "value_source",
    "nps_source",
)
# how each measure's with / without / lift_abs reads in the table and Markdown
MEASURE_KINDS = {
    "customers": "int",
    "share": "pct",
    "value_mean": "money",
    "value_median": "money",
    "active_rate": "pct",
    "nps_mean": "float",
}


@dataclass(frozen=True)
class Lift:
    """One lift, collected: the subject, its summary row (caveat included) and
    the per-measure rows (metrics.lift.lift_measures)."""

    subject: LiftSubject
    summary: dict[str, Any]
    measures: polars.DataFrame

    @property
    def caveat(self) -> str:
        return self.summary["caveat"]


def event_types(analysis: Analysis) -> list[str]:
    """Every event type up to as_of, most frequent first."""
    if not analysis.ds.has("events"):
        return []
    return event_type_counts(analysis)["event_type"].to_list()


def compute(analysis: Analysis, event: str | None, flag: str | None) -> Lift:
    """One lift, computed once per analysis (the pane, the report and the
    insights' lift opportunity share it)."""
    if flag is None and event is None:
        event = DEFAULT_EVENT
    return analysis.derived.get(f"lift:{event}:{flag}", lambda: _compute(analysis, event, flag))


def _compute(analysis: Analysis, event: str | None, flag: str | None) -> Lift:
    scope = analysis.scope
    subject = metrics.lift_subject(scope, event=event, flag=flag)
    if subject.kind == "event":  # the counts do not depend on the event asked for
        checked = event_type_counts(analysis)
    else:
        checked = engine.collect(metrics.lift_check(scope, subject))
    metrics.check_lift(subject, checked)
    measures, summary = engine.collect_all(
        [metrics.lift_measures(scope, subject), metrics.lift_summary(scope, subject)]
    )
    return Lift(subject, summary.row(0, named=True), measures)


def sides_frame(lift: Lift):
    """Two rows, with and without: every measure of that side."""
    data: dict[str, list[Any]] = {"side": [WITH, WITHOUT]}
    for row in lift.measures.iter_rows(named=True):
        data[row["measure"]] = [row["with"], row["without"]]
    frame = pl.DataFrame(data)
    return frame.with_columns(pl.col("customers").cast(pl.Int64))


def _signed(value: Any, kind: str, currency: str) -> str:
    if value is None:
        return render.format_value(None)
    # a difference of two rates is in percentage points
    size = abs(value)
    text = f"{size * 100:,.1f} pp" if kind == "pct" else render.format_value(size, kind, currency)
    return ("+" if value > 0 else "-" if value < 0 else "") + text


def measures_display(lift: Lift, currency: str):
    """The per-measure rows as the table and Markdown show them: each cell in
    its measure's unit (customers, %, money, NPS points); lift_pct a ratio."""
    shown: dict[str, list[Any]] = {k: [] for k in ("measure", WITH, WITHOUT, "lift_abs")}
    for row in lift.measures.iter_rows(named=True):
        kind = MEASURE_KINDS.get(row["measure"], "float")
        shown["measure"].append(row["measure"])
        shown[WITH].append(render.format_value(row[WITH], kind, currency))
        shown[WITHOUT].append(render.format_value(row[WITHOUT], kind, currency))
        shown["lift_abs"].append(_signed(row["lift_abs"], kind, currency))
    return pl.DataFrame(shown).with_columns(lift.measures["lift_pct"])


def run(analysis: Analysis, opts: Opts) -> Output:
    lift = compute(analysis, opts.get("event"), opts.get("flag"))
    label, over = lift.subject.label, subtitle(analysis)
    sides = views.table(
        f"{label}: customers with and without — {over}", sides_frame(lift), analysis, lift.caveat
    )
    title = f"{label}: lift per measure — {over}"
    shown = views.table(title, measures_display(lift, analysis.ds.config.currency), analysis)
    raw = views.table(title, lift.measures, analysis)
    # csv: the raw numbers, and the caveat as a last row a spreadsheet shows
    note = views.table("", pl.DataFrame({"note": [lift.caveat]}), analysis)
    csv = [sides, raw, note]
    summary = {k: lift.summary[k] for k in SUMMARY_KEYS}

    def as_json(out: Output) -> Any:
        head = {k: v for k, v in lift.summary.items() if k != "caveat"}
        return {
            **head,
            "sides": records(out.tables[SIDES]),
            "measures": records(raw),
            "caveat": lift.caveat,
        }

    return Output(
        title=f"Lift of {label} — {over} (an association, not a proven effect)",
        summary=summary,
        tables=[sides, shown],
        format_tables={"csv": csv, "csv-raw": csv},
        json=as_json,
    )


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The pane: the two sides (they drill) over the per-measure lift, with the
    opportunity and the caveat in the footer instead of the summary block, which
    would leave the sides no room on a 24-line terminal."""
    out = run(analysis, opts)
    assert out.summary is not None
    cur = analysis.ds.config.currency
    opportunity = render.format_value(out.summary["opportunity"], "money", cur)
    sides = out.tables[SIDES]
    sides.footer = f"opportunity {opportunity} · {sides.footer}"
    return Output(title=out.title, tables=out.tables)


def _flag_clause(flag: str, integer: bool, with_side: bool) -> str:
    """The --where clause of one side of a flag (a null flag is "without")."""
    true, false = (1, 0) if integer else (True, False)
    if with_side:
        return match_clause([flag], [true])
    return f"({match_clause([flag], [None])} OR {match_clause([flag], [false])})"


def drill(ctx: DrillContext) -> Members | None:
    if ctx.table != SIDES:
        return None  # a measure row: the sides above list the customers
    a, opts, row = ctx.analysis, ctx.opts, ctx.row
    with_side = row["side"] == WITH
    subject = metrics.lift_subject(a.scope, event=opts.get("event"), flag=opts.get("flag"))
    n = row["customers"]
    crumb = f"{row['side']} {subject.label}"
    if subject.kind == "flag":
        clause = _flag_clause(subject.name, subject.integer_flag, with_side)
        command = top_command(ctx.invocation, n, clause)
    else:  # no facts column says who had an event of the type: the view is the command
        command = ctx.invocation.command("lift", *VIEW.command_args(opts))

    def load() -> ResultTable:
        return ranked_members(
            a,
            lambda s: metrics.lift_members(s, subject, with_side),
            f"{crumb}: {n:,} customers",
        )

    return Members(["Lift", crumb], load, command, f"lift-{crumb}")


def _flag_columns(analysis: Analysis) -> list[str]:
    """Customer columns a flag can be: true/false or whole numbers (0/1)."""
    schema = analysis.facts.schema
    return [
        c
        for c in analysis.ds.columns("customers")
        if c != "customer_id"
        and c in schema
        and (schema[c] == pl.Boolean or schema[c].is_integer())
    ]


def _subject_choices(analysis: Analysis, opts: Opts) -> list[str]:
    events = [f"event: {t}" for t in event_types(analysis)]
    return [*events, *(f"flag: {c}" for c in _flag_columns(analysis))]


def _apply_subject(opts: Opts, value: str) -> Opts:
    kind, _, name = value.partition(": ")
    if kind == "flag":
        return {**opts, "event": None, "flag": name}
    return {**opts, "event": name, "flag": None}


def _current_subject(opts: Opts) -> str:
    if opts.get("flag"):
        return f"flag: {opts['flag']}"
    return f"event: {opts.get('event') or DEFAULT_EVENT}"


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if DEFAULT_EVENT not in event_types(analysis):
            return []
        lift = compute(analysis, DEFAULT_EVENT, None)
        heading = f"Lift of {lift.subject.label}"
        sides = views.table(heading, sides_frame(lift), analysis, lift.caveat)
        cur = analysis.ds.config.currency
        s = lift.summary

        def money(key: str) -> str:
            return render.format_value(s[key], "money", cur)

        without = render.format_value(s["customers_without"], "int")
        lead, _, rest = lift.caveat.partition(": ")
        return [
            ReportPart(72, heading, table=sides, json_key="lift"),
            ReportPart(
                72.5,
                "Lift opportunity",
                bullets=[
                    (
                        f"Opportunity {money('opportunity')}:",
                        f"the {without} customers without {DEFAULT_EVENT} × the gap in mean "
                        f"value ({money('value_mean_with')} with, "
                        f"{money('value_mean_without')} without)",
                    ),
                    (f"{lead}:", rest),
                ],
                json_key="lift_summary",
                json_value={**s, "measures": lift.measures.to_dicts()},
            ),
        ]

    return [job]


VIEW = register(
    View(
        id="lift",
        title="Lift",
        group="Engagement",
        help=(
            "Customers with an event type (or a true customer flag) against those without: "
            "each measure's lift and the value opportunity, an association, not a proven effect."
        ),
        run=run,
        pane="tables",
        pane_stages=(pane,),
        options=(
            Option(
                "event",
                ("--event",),
                str,
                None,
                f"Event type that splits the customers (default: {DEFAULT_EVENT}).",
                metavar="TYPE",
            ),
            Option(
                "flag",
                ("--flag",),
                str,
                None,
                "A true/false (or 0/1) customer column instead of an event type.",
                metavar="COLUMN",
            ),
        ),
        drill=drill,
        keys=(
            PaneKey(
                "v",
                "Lift of",
                "event",
                choices=_subject_choices,
                apply=_apply_subject,
                current=_current_subject,
                title="Lift of (event type or customer flag)",
            ),
        ),
        report=report,
    )
)

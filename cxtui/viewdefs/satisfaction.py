"""Satisfaction (SPEC §9): NPS and CSAT from each customer's latest survey response
in a window, overall, by a dimension or per calendar month, and the drivers and
areas to improve per feedback topic. Every count drills to exactly its accounts,
and `--accounts` / `--topic` print those lists."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause
from cxtui.errors import CxError
from cxtui.metrics.periods import parse_window
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
from cxtui.viewdefs.common import breakdown_key

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
sat = lazy("cxtui.metrics.satisfaction")
engine = lazy("cxtui.engine")
pl = lazy("polars")

DEFAULT_WINDOW = "90d"
TREND_MONTHS = 12
# --accounts: the respondents of the window, or one group of them
ACCOUNT_GROUPS = {
    "respondents": None,
    "promoters": "promoter",
    "passives": "passive",
    "detractors": "detractor",
}
GROUP_LABELS = {"promoters": "Promoters", "passives": "Passives", "detractors": "Detractors"}
ALL_RESPONDENTS = "All respondents"
WINDOWS = ["30d", "90d", "180d", "12m"]  # the pane's window picks

# The pane's tables, by index (drill-downs and the `c` command read it).
MAIN, TREND, DRIVERS, AREAS = range(4)


def window_days(window: str) -> int:
    try:
        return parse_window(window)
    except ValueError as exc:
        raise CxError(f"--window: {exc}") from None


def _window(opts: Opts) -> tuple[str, int]:
    window = opts.get("window") or DEFAULT_WINDOW
    return window, window_days(window)


def parse_month(text: str) -> date:
    try:
        year, month = text.strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CxError(f"--month: bad month {text!r}; fix: use YYYY-MM, e.g. 2025-03") from None


def _subtitle(analysis: Analysis) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


# ---------------------------------------------------------------- notes


def _csat_note(n: int) -> list[str]:
    if not n:
        return []
    rows = "response has" if n == 1 else "responses have"
    return [
        f"{n:,} survey {rows} a csat outside 1-5: no csat in the csat figures "
        "(cxtui validate lists them)"
    ]


def notes_table(analysis: Analysis, notes: list[str]) -> ResultTable:
    """The notes as a last table, so every format prints them with the output."""
    frame = pl.DataFrame({"note": notes}, schema={"note": pl.String})
    return views.table("Notes", frame, analysis)


# ---------------------------------------------------------------- tables


def _summary(frame) -> dict[str, Any]:
    row = frame.row(0, named=True)
    return {k: row[k] for k in sat.SATISFACTION_KEYS}


def _by_table(analysis: Analysis, frame, by: str, window: str) -> ResultTable:
    rt = views.table(
        f"Satisfaction by {by}, last {window} — {_subtitle(analysis)}", frame, analysis
    )
    for col in rt.columns:
        if col.key == by:
            col.priority = 0  # the dimension itself is never hidden
    return rt


def _drivers_tables(analysis: Analysis, best, worst, window: str) -> list[ResultTable]:
    return [
        views.table(f"Drivers: topics by CSAT, best first, last {window}", best, analysis),
        views.table(
            f"Areas to improve: topics by CSAT, worst first, last {window}", worst, analysis
        ),
    ]


def groups_table(analysis: Analysis, summary: dict[str, Any], window: str) -> ResultTable:
    """The pane's main table without --by: promoters, passives, detractors and all
    respondents, each a row that drills to its accounts."""
    n = summary["respondents"]
    rows = [
        (GROUP_LABELS["promoters"], summary["promoters"], summary["promoter_share"]),
        (GROUP_LABELS["passives"], summary["passives"], summary["passive_share"]),
        (GROUP_LABELS["detractors"], summary["detractors"], summary["detractor_share"]),
        (ALL_RESPONDENTS, n, 1.0 if n else None),
    ]
    frame = pl.DataFrame(
        rows,
        schema={"respondent_group": pl.String, "customers": pl.Int64, "share": pl.Float64},
        orient="row",
    )
    return views.table(f"Respondents, last {window} — {_subtitle(analysis)}", frame, analysis)


def trend_table(analysis: Analysis, frame) -> ResultTable:
    title = f"Satisfaction by month, last {TREND_MONTHS} months — {_subtitle(analysis)}"
    return views.table(title, frame, analysis)


# ---------------------------------------------------------------- the command


def run(analysis: Analysis, opts: Opts) -> Output:
    scope = analysis.scope
    sat.require_feedback(scope)
    window, days = _window(opts)
    by, trend = opts.get("by"), bool(opts.get("trend"))
    accounts, topic, month = opts.get("accounts"), opts.get("topic"), opts.get("month")
    if accounts and topic is not None:
        raise CxError("--accounts and --topic each print an account list; fix: give one")
    if month and not accounts:
        raise CxError("--month picks a trend month's accounts; fix: add --accounts respondents")
    if (accounts or topic is not None) and (by or trend):
        raise CxError("--accounts and --topic print accounts; fix: drop --by and --trend")
    if trend and by:
        raise CxError("--trend is over all respondents; fix: drop --by, or drop --trend")
    if topic is not None:
        return Output(tables=[topic_members(analysis, topic, days, window)])
    if accounts:
        group = ACCOUNT_GROUPS.get(accounts.lower())
        if accounts.lower() not in ACCOUNT_GROUPS:
            raise CxError(f"--accounts {accounts!r}; fix: use one of {', '.join(ACCOUNT_GROUPS)}")
        first = parse_month(month) if month else None
        return Output(
            tables=[group_members(analysis, accounts.lower(), group, days, window, first)]
        )
    if trend:
        return _trend_output(analysis)
    return _default_output(analysis, by, window, days)


def _trend_output(analysis: Analysis) -> Output:
    scope = analysis.scope
    frame, bad = engine.collect_all(
        [
            sat.satisfaction_trend(scope, TREND_MONTHS),
            sat.csat_out_of_range(scope, months=TREND_MONTHS),
        ]
    )
    notes = _csat_note(bad["n"][0])
    tables = [trend_table(analysis, frame)]
    if notes:
        tables.append(notes_table(analysis, notes))
    return Output(tables=tables, notes=notes, json=lambda out: records(out.tables[0]))


def _default_output(analysis: Analysis, by: str | None, window: str, days: int) -> Output:
    scope = analysis.scope
    topics = sat.has_topics(analysis.ds)
    queries = [sat.satisfaction(scope, days), sat.csat_out_of_range(scope, days)]
    if topics:
        queries += [
            sat.satisfaction_drivers(scope, days),
            sat.satisfaction_drivers(scope, days, areas_to_improve=True),
        ]
    if by:
        queries.append(sat.satisfaction_by(scope, by, days))
    frames = engine.collect_all(queries)
    summary = _summary(frames[0])
    notes = _csat_note(frames[1]["n"][0])
    drivers = _drivers_tables(analysis, frames[2], frames[3], window) if topics else []
    segments = _by_table(analysis, frames[-1], by, window) if by else None
    tables = [*drivers, *([segments] if segments is not None else [])]
    if notes:
        tables.append(notes_table(analysis, notes))

    def as_json(out: Output) -> Any:
        return {
            "as_of": analysis.ds.as_of,
            "window": window,
            "by": by,
            "overall": summary,
            "drivers": records(drivers[0]) if drivers else None,
            "areas_to_improve": records(drivers[1]) if drivers else None,
            "segments": records(segments) if segments is not None else [],
            "notes": notes,
        }

    title = f"Satisfaction, last {window} — {_subtitle(analysis)}"
    return Output(title=title, summary=summary, tables=tables, notes=notes, json=as_json)


# ---------------------------------------------------------------- the pane


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The pane: the summary (drawn as an NPS gauge), the main table (the
    respondent groups, or the groups of --by), the monthly trend, and the drivers
    and areas to improve when feedback has topics; one parallel collect."""
    scope = analysis.scope
    sat.require_feedback(scope)
    window, days = _window(opts)
    by = opts.get("by")
    topics = sat.has_topics(analysis.ds)
    queries = [
        sat.satisfaction(scope, days),
        sat.csat_out_of_range(scope, days),
        sat.satisfaction_trend(scope, TREND_MONTHS),
    ]
    if by:
        queries.append(sat.satisfaction_by(scope, by, days))
    if topics:
        queries += [
            sat.satisfaction_drivers(scope, days),
            sat.satisfaction_drivers(scope, days, areas_to_improve=True),
        ]
    frames = engine.collect_all(queries)
    summary = _summary(frames[0])
    main = (
        _by_table(analysis, frames[3], by, window)
        if by
        else groups_table(analysis, summary, window)
    )
    tables = [main, trend_table(analysis, frames[2])]
    if topics:
        tables += _drivers_tables(analysis, frames[-2], frames[-1], window)
    title = f"Satisfaction, last {window} — {_subtitle(analysis)}"
    return Output(
        title=title,
        summary=summary,
        tables=tables,
        extras={"window": window, "by": by, "topics": topics},
        notes=_csat_note(frames[1]["n"][0]),
    )


# ---------------------------------------------------------------- account lists


def _accounts_table(analysis: Analysis, frame, title: str, extra: list[str]) -> ResultTable:
    """An account list: the member columns, then what the count is about."""
    cols = [c for c in (*views.MEMBER_COLUMNS, *extra) if c in frame.columns]
    return views.table(title, frame.select(cols), analysis)


def _response_columns(analysis: Analysis) -> list[str]:
    """The latest response's columns the data has (no csat / topic column: none)."""
    have = set(analysis.ds.columns("feedback"))
    skip = {"feedback_csat": "csat", "feedback_topic": "topic"}
    return [c for c in sat.RESPONSE_COLUMNS if c not in skip or skip[c] in have]


def group_members(
    analysis: Analysis,
    who: str,
    group: str | None,
    days: int,
    window: str,
    month: date | None = None,
    dim: str | None = None,
    value: Any = None,
) -> ResultTable:
    """Exactly the customers a satisfaction count holds (`who` names them in the
    title): the window's respondents, or that trend month's, optionally of one
    group and one value of `dim`; lowest score first."""
    lf = sat.respondent_accounts(analysis.scope, days, group, dim, value, month)
    frame = engine.collect(lf)
    when = f"in {month:%Y-%m}" if month else f"last {window}"
    which = "" if dim is None else f", {dim} = {'(none)' if value is None else value}"
    title = f"{who.capitalize()}{which}, {when}: {frame.height:,} accounts"
    return _accounts_table(analysis, frame, title, _response_columns(analysis))


def topic_members(analysis: Analysis, topic: str, days: int, window: str) -> ResultTable:
    """The customers with a response on `topic` in the window, lowest score first."""
    frame = engine.collect(sat.topic_accounts(analysis.scope, topic, days))
    title = f"Responses on {topic}, last {window}: {frame.height:,} accounts"
    return _accounts_table(analysis, frame, title, ["responses", *_response_columns(analysis)])


def drill(ctx: DrillContext) -> Members | None:
    a, row = ctx.analysis, ctx.row
    window, days = _window(ctx.opts)
    by = ctx.opts.get("by")
    base = ["--window", window]
    if ctx.table == MAIN and by:
        value = row[by]
        label = "(none)" if value is None else str(value)
        return Members(
            ["Satisfaction", f"{by} = {label}"],
            lambda: group_members(a, "respondents", None, days, window, dim=by, value=value),
            ctx.invocation.command(
                "satisfaction",
                *base,
                "--accounts",
                "respondents",
                where=match_clause([by], [value]),
            ),
            f"satisfaction-{by}-{label}",
        )
    if ctx.table == MAIN:
        label = row["respondent_group"]
        who = next((k for k, v in GROUP_LABELS.items() if v == label), "respondents")
        return Members(
            ["Satisfaction", label],
            lambda: group_members(a, who, ACCOUNT_GROUPS[who], days, window),
            ctx.invocation.command("satisfaction", *base, "--accounts", who),
            f"satisfaction-{who}",
        )
    if ctx.table == TREND:
        month = row["month"]
        return Members(
            ["Satisfaction", f"{month:%Y-%m}"],
            lambda: group_members(a, "respondents", None, days, window, month=month),
            ctx.invocation.command(
                "satisfaction", "--accounts", "respondents", "--month", f"{month:%Y-%m}"
            ),
            f"satisfaction-{month:%Y-%m}",
        )
    topic = row.get("topic")
    if topic is None:
        return None
    return Members(
        ["Satisfaction", str(topic)],
        lambda: topic_members(a, topic, days, window),
        ctx.invocation.command("satisfaction", *base, "--topic", str(topic)),
        f"satisfaction-topic-{topic}",
    )


def command(opts: Opts, table: int) -> list[str]:
    if table == TREND:
        return ["--trend"]
    args = ["--window", opts.get("window") or DEFAULT_WINDOW]
    return args + (["--by", opts["by"]] if opts.get("by") and table == MAIN else [])


# ---------------------------------------------------------------- the report


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        if not analysis.ds.has("feedback"):
            return []
        out = _default_output(analysis, None, DEFAULT_WINDOW, window_days(DEFAULT_WINDOW))
        parts = [
            ReportPart(
                80,
                f"Satisfaction (last {DEFAULT_WINDOW})",
                summary=out.summary,
                table_heading="Satisfaction",
                json_key="satisfaction",
                json_value={"window": DEFAULT_WINDOW, **(out.summary or {}), "notes": out.notes},
            )
        ]
        if sat.has_topics(analysis.ds):
            best, worst = out.tables[0], out.tables[1]
            parts += [
                ReportPart(81, "Satisfaction drivers", table=best, json_key="satisfaction_drivers"),
                ReportPart(
                    82, "Areas to improve", table=worst, json_key="satisfaction_areas_to_improve"
                ),
            ]
        if out.notes:
            bullets = [("Satisfaction:", note) for note in out.notes]
            parts.append(ReportPart(83, "Satisfaction notes", bullets=bullets, in_text=True))
        return parts

    return [job]


VIEW = register(
    View(
        id="satisfaction",
        title="Satisfaction",
        help=(
            "NPS and CSAT from each customer's latest survey response in a window, "
            "with drivers and areas to improve per feedback topic (or --trend by month)."
        ),
        run=run,
        options=(
            Option("by", ("--by",), str, None, "Also break satisfaction down by this dimension."),
            Option(
                "window",
                ("--window",),
                str,
                DEFAULT_WINDOW,
                "Window ending at as_of: 30d, 90d, 12m, 2y…",
            ),
            Option(
                "trend",
                ("--trend",),
                bool,
                False,
                f"Print the same figures per calendar month, last {TREND_MONTHS} months.",
            ),
            Option(
                "accounts",
                ("--accounts",),
                str,
                None,
                "Print the accounts behind a count instead: respondents, promoters, "
                "passives or detractors (with --month, that month's respondents).",
                metavar="GROUP",
            ),
            Option(
                "topic",
                ("--topic",),
                str,
                None,
                "Print the accounts with a response on this feedback topic in the window.",
            ),
            Option(
                "month",
                ("--month",),
                str,
                None,
                "With --accounts: the respondents of this calendar month (YYYY-MM).",
                metavar="YYYY-MM",
            ),
        ),
        group="Satisfaction & support",
        pane="satisfaction",
        pane_stages=(pane,),
        drill=drill,
        command=command,
        report=report,
        keys=(
            breakdown_key("Satisfaction by"),
            PaneKey(
                "w",
                "Window",
                "window",
                choices=lambda a, o: WINDOWS,
                current=lambda o: o.get("window") or DEFAULT_WINDOW,
                title="Satisfaction window",
            ),
        ),
        export_name=lambda o: "satisfaction" + (f"-{o['by']}" if o.get("by") else ""),
    )
)

"""The view registry: one definition per view, read by the CLI (a command with
its options), the TUI (a pane, its keys, its drill-downs, its `c` command) and
`report` (its sections). Headless: imports neither Textual nor Rich.

A view is a `View`; its query is `run(analysis, opts) -> Output`, where `opts`
holds one value per `Option` (the CLI's parsed flags, or the pane's state).
See docs/architecture.md for the recipe that adds one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cxtui.commands import Invocation
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

Opts = dict[str, Any]


class lazy:
    """A module imported on first use: definitions name their queries through it,
    so registering every command for `cxtui --help` loads neither polars nor the
    metrics (tests/test_cli.py checks). Thread-safe: the import system locks."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)


@dataclass(frozen=True)
class Option:
    """One option of a view: a CLI flag and a piece of the pane's state."""

    name: str  # the key in Opts (a Python identifier)
    flags: tuple[str, ...]  # ("--min-score",) or ("-n",)
    type: type = str  # str | int | float | bool
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    # the value the TUI pane starts with, when it differs from the CLI default
    # (e.g. every row instead of the top 20); `None` is a valid value, so a
    # sentinel marks "same as the CLI"
    tui: Any = field(default_factory=lambda: SAME)

    @property
    def flag(self) -> str:
        return self.flags[0]


class _Same:
    def __repr__(self) -> str:
        return "SAME"


SAME: Any = _Same()


@dataclass(frozen=True)
class PaneKey:
    """A key that changes one of the pane's options: a pick from a list
    (`choices`) or, with `cycle`, the next value of the option's choices."""

    key: str
    description: str
    option: str
    # the values offered, given the analysis and the current options
    choices: Callable[[Analysis, Opts], list[str]] | None = None
    # the new options for a picked value (default: the option set to it)
    apply: Callable[[Opts, str], Opts] | None = None
    # the value shown as current in the picker (default: the option's value)
    current: Callable[[Opts], str | None] | None = None
    cycle: bool = False
    title: str = ""  # the picker's title
    show: bool = True  # in the footer
    # works from every pane (going to this view's pane), not only its own:
    # segments' `d`, as before the registry
    anywhere: bool = False

    def new_opts(self, opts: Opts, value: str) -> Opts:
        if self.apply is not None:
            return self.apply(opts, value)
        return {**opts, self.option: value}

    def current_value(self, opts: Opts) -> str | None:
        if self.current is not None:
            return self.current(opts)
        value = opts.get(self.option)
        return None if value is None else str(value)


@dataclass
class Output:
    """What a view's query returns. `summary` is a block of measures (key →
    value, formatted by the measure catalog); `tables` are shown in order, the
    first being the pane's main table; `extras` carry what a pane draws besides
    (a trend frame, a chart's series). `json` builds the `--format json` value
    from the (limited) output; by default the summary, else the first table's
    records."""

    title: str = ""
    summary: dict[str, Any] | None = None
    tables: list[ResultTable] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    json: Callable[[Output], Any] | None = None
    notes: list[str] = field(default_factory=list)
    # tables printed instead of `tables` in one format: flows prints one row per
    # full path in csv and the tree in table / markdown
    format_tables: dict[str, list[ResultTable]] = field(default_factory=dict)

    def json_value(self) -> Any:
        if self.json is not None:
            return self.json(self)
        if self.summary is not None and not self.tables:
            return self.summary
        return records(self.tables[0]) if self.tables else []

    def tables_for(self, fmt: str) -> list[ResultTable]:
        """The tables printed in format `fmt` (table, csv, csv-raw, markdown)."""
        return self.format_tables.get(fmt, self.tables)

    def limited(self, limit: int | None) -> Output:
        """Every table cut to `limit` rows (0 or None: all), in place."""
        if limit:
            for rt in [*self.tables, *(t for ts in self.format_tables.values() for t in ts)]:
                rt.frame = rt.frame.head(limit)  # a table in both lists: cut twice, same rows
        return self


def records(rt: ResultTable) -> list[dict[str, Any]]:
    from cxtui.render import jsonable

    return [jsonable(r) for r in rt.frame.to_dicts()]


# ---------------------------------------------------------------- drill-downs


@dataclass(frozen=True)
class Members:
    """Enter opens an account list: exactly the customers a row or cell counts."""

    crumbs: list[str]
    load: Callable[[], ResultTable]  # runs in a worker
    command: str  # the `cxtui …` command that prints the same accounts
    export_name: str


@dataclass(frozen=True)
class OpenAccount:
    """Enter opens one account's detail."""

    crumbs: list[str]
    customer_id: str


Drill = Members | OpenAccount


@dataclass(frozen=True)
class DrillContext:
    """What a drill-down is given: the analysis, the pane's options, the `c`
    command builder, which of the output's tables (index), the row and the key
    of the column under the cursor (a movement's count, a cohort's age)."""

    analysis: Analysis
    opts: Opts
    invocation: Invocation
    table: int
    row: dict[str, Any]
    column: str | None = None


# ---------------------------------------------------------------- report


@dataclass
class ReportPart:
    """One piece of `cxtui report`: a block of measures (`summary`), a table, or
    a list of bullet lines; `json_key`/`json_value` place it in the JSON
    document, `order` among the other views' parts (lower first)."""

    order: float
    heading: str
    summary: dict[str, Any] | None = None
    table: ResultTable | None = None
    bullets: list[tuple[str, str]] | None = None  # (bold lead, rest)
    after_bullets: str | None = None  # one more line under the bullets (table format)
    json_key: str | None = None
    json_value: Any = None
    in_text: bool = True  # False: JSON only
    json_order: float | None = None  # where the JSON places it (default: order)
    table_heading: str | None = None  # the table format's heading, when not `heading`

    @property
    def json_rank(self) -> float:
        return self.order if self.json_order is None else self.json_order


# A view's report work: each job runs in the report's thread pool and returns
# its parts (none when the data cannot support them).
ReportJob = Callable[[], "list[ReportPart]"]


def alone(job: ReportJob) -> ReportJob:
    """Mark a report job to run before the pool, on its own: a job whose memory
    peak would add to the others' (the CLV summary's pass over the orders);
    results it leaves in `Analysis.derived` are then ready for the jobs after."""
    job.alone = True  # type: ignore[attr-defined]
    return job


def runs_alone(job: ReportJob) -> bool:
    return bool(getattr(job, "alone", False))


# ---------------------------------------------------------------- the view


@dataclass(frozen=True)
class View:
    id: str  # the command's name and the pane's id
    title: str  # the pane's tab label
    help: str  # the command's help: first line short, then details
    run: Callable[[Analysis, Opts], Output]
    options: tuple[Option, ...] = ()
    group: str = "Customers"  # the pane list's section
    pane: str = "table"  # how the TUI draws it (tui/panes.py: table | overview | …)
    # the TUI's query when it differs from the command's (the churn pane shows
    # the reasons and the trend at once); stages after the first refine the
    # pane (the Overview's KPIs first, then its trend and distributions)
    pane_stages: tuple[Callable[[Analysis, Opts, Output | None], Output], ...] = ()
    drill: Callable[[DrillContext], Drill | None] | None = None
    keys: tuple[PaneKey, ...] = ()
    # the `c` command's arguments after the dataset, given the pane's options
    # and the focused table; default: every option whose value is not the default
    command: Callable[[Opts, int], list[str]] | None = None
    report: Callable[[Analysis], list[ReportJob]] | None = None
    export_name: Callable[[Opts], str] | None = None
    # the pane's options filled in from the analysis (defaults that depend on the data)
    resolve: Callable[[Analysis, Opts], Opts] | None = None
    formats: frozenset[str] = frozenset({"table", "csv", "csv-raw", "json", "markdown"})
    common: frozenset[str] = frozenset({"as_of", "format", "limit", "where", "config", "color"})
    # a wrapped column whose text the pane shows in full under the table for the
    # highlighted row (at-risk's signals)
    detail_column: str | None = None
    in_tui: bool = True

    def defaults(self) -> Opts:
        return {o.name: o.default for o in self.options}

    def tui_defaults(self) -> Opts:
        return {o.name: (o.default if o.tui is SAME else o.tui) for o in self.options}

    def command_args(self, opts: Opts, table: int = 0) -> list[str]:
        if self.command is not None:
            return self.command(opts, table)
        args: list[str] = []
        for o in self.options:
            value = opts.get(o.name, o.default)
            if value == o.default or value is None:
                continue
            args += [o.flag] if o.type is bool else [o.flag, _text(value)]
        return args

    def export_slug(self, opts: Opts) -> str:
        return self.export_name(opts) if self.export_name is not None else self.id


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


# ---------------------------------------------------------------- the registry


_VIEWS: dict[str, View] = {}


def register(view: View) -> View:
    if view.id in _VIEWS:
        raise ValueError(f"view {view.id!r} registered twice")
    _VIEWS[view.id] = view
    return view


def registered() -> list[View]:
    """The views registered so far, in registration order (`cxtui.viewdefs`
    imports every definition: use its `all_views`)."""
    return list(_VIEWS.values())


def groups(views: Sequence[View]) -> list[tuple[str, list[View]]]:
    out: dict[str, list[View]] = {}
    for v in views:
        out.setdefault(v.group, []).append(v)
    return list(out.items())

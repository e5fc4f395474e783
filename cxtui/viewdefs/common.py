"""What the SPEC Part II view definitions share: the "as of … · where …" line
under a title and the account list behind a drill-down, ranked like `top`.
Headless, and light to import (the heavy modules through `registry.lazy`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from cxtui.registry import Opts, PaneKey, lazy

if TYPE_CHECKING:
    import polars as pl

    from cxtui.commands import Invocation
    from cxtui.engine import Analysis
    from cxtui.metrics.scope import Scope
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
panes = lazy("cxtui.metrics.panes")
engine = lazy("cxtui.engine")
lift_metrics = lazy("cxtui.metrics.lift")

NONE = "(none)"  # the pickers' "no value" choice
OVERALL = "(overall)"  # the dimension pick that removes a breakdown


def _set_by(opts: Opts, value: str) -> Opts:
    return {**opts, "by": None if value == OVERALL else value}


def breakdown_key(title: str) -> PaneKey:
    """`d`: break the pane down by a dimension, or by none ("(overall)")."""
    return PaneKey(
        "d",
        "Dimension",
        "by",
        choices=lambda a, o: [OVERALL, *views.dimensions(a)],
        apply=_set_by,
        current=lambda o: o.get("by") or OVERALL,
        title=title,
    )


def subtitle(analysis: Analysis) -> str:
    """ "as of 2025-06-30 · where region = 'EMEA'": what a table is computed over."""
    where = f" · where {analysis.where}" if analysis.where else ""
    return f"as of {analysis.ds.as_of}{where}"


def ranked_members(
    analysis: Analysis, members: Callable[[Scope], pl.LazyFrame], title: str
) -> ResultTable:
    """The account list of a drill-down: `members(scope)` (a metric's members
    query, which keeps the facts' order) over the facts ranked as `top` ranks
    them, so the list comes out biggest first with no sort of its own and in the
    order of the `cxtui top … --where …` command that prints it."""
    order = panes.default_top_by(analysis.scope)
    frame = analysis.ranked_members(members, order, views.MEMBER_COLUMNS)
    return views.members_table(analysis, frame, title)


def top_command(invocation: Invocation, customers: int, where: str) -> str:
    """`cxtui top DATA -n N --where …`: prints exactly the customers `where`
    selects (N at least 1: `top` takes no -n 0)."""
    return invocation.command("top", "-n", str(max(customers, 1)), where=where)


def event_type_counts(analysis: Analysis) -> pl.DataFrame:
    """Every event type up to as_of with its count, most frequent first
    (`metrics.lift.lift_check` of an event): one pass over the events, once per
    analysis, shared by lift (its checks and picker) and engagement (the types
    as an Enum, so that counting each customer's distinct types hashes small
    integers instead of strings)."""

    def count() -> pl.DataFrame:
        subject = lift_metrics.LiftSubject("event", lift_metrics.DEFAULT_EVENT)
        return engine.collect(lift_metrics.lift_check(analysis.scope, subject))

    return analysis.derived.get("event-type-counts", count)

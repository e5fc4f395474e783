"""SPEC §10 "Lift": started customers with at least one event of a type up to
as_of (or with a boolean customer flag true) against the rest, measure by
measure, and the value `opportunity` of closing the gap. Only builds LazyFrames.

Use in three steps (a bad event type is only known from the data):
    subject = lift_subject(scope, event=..., flag=...)    # static checks
    check_lift(subject, collect(lift_check(scope, subject)))  # data checks
    lift_measures(scope, subject), lift_summary(scope, subject)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from cxtui.errors import CxError
from cxtui.metrics.engagement import require_events
from cxtui.metrics.scope import Scope, ratio
from cxtui.metrics.values import NPS, nps_source, value_expr, value_source, with_nps

DEFAULT_EVENT = "training_attended"
# Printed with the lift figures in every format (table footer, CSV/Markdown note,
# JSON summary field): the SPEC asks for opportunity to be labelled this way.
LIFT_CAVEAT = (
    "Association, not a proven effect: customers with and without differ in more "
    "than this; opportunity assumes the without group would reach the with group's mean value."
)
LIFT_MEASURES = ("customers", "share", "value_mean", "value_median", "active_rate", "nps_mean")
LIFT_KEYS = ("measure", "with", "without", "lift_abs", "lift_pct")
LIFT_SUMMARY_KEYS = (
    "subject",
    "kind",
    "name",
    "customers_with",
    "customers_without",
    "value_mean_with",
    "value_mean_without",
    "opportunity",
    "value_source",
    "nps_source",
    "caveat",
)
SIDE = "_with"  # per customer: on the "with" side


@dataclass(frozen=True)
class LiftSubject:
    """What splits the customers: an event type or a boolean customer column."""

    kind: Literal["event", "flag"]
    name: str
    integer_flag: bool = False  # a 0/1 integer column (checked by lift_check)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


def _flag_columns(scope: Scope) -> list[str]:
    schema = scope.facts.collect_schema()
    return [
        c
        for c in scope.ds.columns("customers")
        if c in schema
        and c != "customer_id"
        and (schema[c] == pl.Boolean or schema[c].is_integer())
    ]


def lift_subject(scope: Scope, event: str | None = None, flag: str | None = None) -> LiftSubject:
    """The subject of `cxtui lift [--event TYPE | --flag COLUMN]` (default event
    training_attended), with the checks that need no data."""
    if event is not None and flag is not None:
        raise CxError("lift: give --event or --flag, not both; fix: drop one of them")
    if flag is not None:
        schema = scope.facts.collect_schema()
        usable = _flag_columns(scope)
        hint = f"use one of {', '.join(usable)}" if usable else "use --event TYPE"
        if flag not in scope.ds.columns("customers") or flag not in schema:
            raise CxError(f"lift --flag {flag!r}: not a customer column; fix: {hint}")
        dtype = schema[flag]
        if dtype != pl.Boolean and not dtype.is_integer():
            raise CxError(
                f"lift --flag {flag!r}: column has type {dtype}, not boolean; fix: {hint} "
                "(true/false or 0/1 values)"
            )
        return LiftSubject("flag", flag, integer_flag=dtype != pl.Boolean)
    require_events(scope, "lift --event")
    return LiftSubject("event", DEFAULT_EVENT if event is None else event)


def lift_check(scope: Scope, subject: LiftSubject) -> pl.LazyFrame:
    """What `check_lift` needs from the data: for an event, every event type up to
    as_of with its count (most frequent first); for a 0/1 flag, up to 3 values
    that are neither 0 nor 1; for a boolean flag, nothing (no rows)."""
    if subject.kind == "event":
        return (
            scope.ds.scan("events")
            .filter(pl.col("event_type").is_not_null())
            .group_by("event_type")
            .agg(pl.len().cast(pl.Int64).alias("events"))
            .sort(["events", "event_type"], descending=[True, False])
        )
    col = pl.col(subject.name)
    if not subject.integer_flag:
        return scope.universe.select(col.alias("value")).clear()
    bad = scope.universe.select(col.alias("value")).filter(~pl.col("value").is_in([0, 1]))
    return bad.unique().sort("value").head(3)


def check_lift(subject: LiftSubject, checked: pl.DataFrame) -> None:
    """Raise the one-line error for a subject the data cannot split on."""
    if subject.kind == "event":
        types = checked["event_type"].to_list()
        if subject.name in types:
            return
        if not types:
            raise CxError(
                f"lift --event {subject.name!r}: the events table has no rows up to as_of; "
                "fix: use --flag COLUMN or an earlier data set"
            )
        few = ", ".join(types[:5])
        raise CxError(
            f"lift --event {subject.name!r}: no event of that type up to as_of; "
            f"fix: use one that occurs, e.g. {few}"
        )
    if checked.height:
        values = ", ".join(str(v) for v in checked["value"].to_list())
        raise CxError(
            f"lift --flag {subject.name!r}: values other than 0/1 ({values}); "
            "fix: use a true/false or 0/1 customer column"
        )


def _with_side(scope: Scope, subject: LiftSubject) -> pl.LazyFrame:
    """The universe's facts with `_with`: True on the "with" side. A null flag is
    not true, so that customer is "without" (the sides cover every customer)."""
    u = scope.universe
    if subject.kind == "flag":
        col = pl.col(subject.name)
        side = (col == 1) if subject.integer_flag else col
        return u.with_columns(side.fill_null(False).alias(SIDE))
    ids = (
        scope.table("events")
        .filter(pl.col("event_type") == subject.name)
        .select("customer_id")
        .unique()
        .with_columns(pl.lit(True).alias(SIDE))
    )
    return u.join(ids, on="customer_id", how="left", maintain_order="left").with_columns(
        pl.col(SIDE).fill_null(False)
    )


def _sides(scope: Scope, subject: LiftSubject) -> pl.LazyFrame:
    """One row: every measure for the with (`<m>_with`) and without side."""
    frame = with_nps(scope, _with_side(scope, subject))
    value = value_expr(scope)
    value = value.cast(pl.Float64) if value is not None else pl.lit(None, pl.Float64)
    total = pl.len().cast(pl.Float64)
    aggs = []
    for suffix, on_side in (("with", pl.col(SIDE)), ("without", ~pl.col(SIDE))):
        n = on_side.sum().cast(pl.Float64)
        aggs += [
            n.alias(f"customers_{suffix}"),
            ratio(n, total).alias(f"share_{suffix}"),
            value.filter(on_side).mean().alias(f"value_mean_{suffix}"),
            value.filter(on_side).median().alias(f"value_median_{suffix}"),
            ratio((pl.col("active") & on_side).sum().cast(pl.Float64), n).alias(
                f"active_rate_{suffix}"
            ),
            pl.col(NPS).filter(on_side).mean().cast(pl.Float64).alias(f"nps_mean_{suffix}"),
        ]
    return frame.select(aggs)


def lift_measures(scope: Scope, subject: LiftSubject) -> pl.LazyFrame:
    """One row per measure (LIFT_MEASURES order): `measure`, `with`, `without`,
    `lift_abs` = with − without, `lift_pct` = (with − without) ÷ without (null
    when without is 0 or null). Every figure is a float (customers too)."""
    sides = _sides(scope, subject)
    rows = [
        sides.select(
            pl.lit(m).alias("measure"),
            pl.col(f"{m}_with").alias("with"),
            pl.col(f"{m}_without").alias("without"),
        )
        for m in LIFT_MEASURES
    ]
    w, wo = pl.col("with"), pl.col("without")
    return pl.concat(rows).with_columns(
        (w - wo).alias("lift_abs"), ratio(w - wo, wo).alias("lift_pct")
    )


def lift_summary(scope: Scope, subject: LiftSubject) -> pl.LazyFrame:
    """One row: the subject, both sides' customers and mean value, `opportunity` =
    customers without × (value_mean with − value_mean without), where value and
    nps come from, and the caveat text."""
    sides = _sides(scope, subject)
    without = pl.col("customers_without")
    return sides.select(
        pl.lit(subject.label).alias("subject"),
        pl.lit(subject.kind).alias("kind"),
        pl.lit(subject.name).alias("name"),
        pl.col("customers_with").cast(pl.Int64),
        without.cast(pl.Int64),
        "value_mean_with",
        "value_mean_without",
        (without * (pl.col("value_mean_with") - pl.col("value_mean_without"))).alias("opportunity"),
        pl.lit(value_source(scope), pl.String).alias("value_source"),
        pl.lit(nps_source(scope), pl.String).alias("nps_source"),
        pl.lit(LIFT_CAVEAT).alias("caveat"),
    )


def lift_members(scope: Scope, subject: LiftSubject, with_side: bool) -> pl.LazyFrame:
    """Exactly the customers one side counts (facts rows), in the facts' order."""
    side = pl.col(SIDE) if with_side else ~pl.col(SIDE)
    return _with_side(scope, subject).filter(side).drop(SIDE)

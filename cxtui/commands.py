"""The `cxtui …` command that prints what a view shows (the `c` key), and the
--where clauses that select exactly the customers behind a row (headless)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxtui.data.remote import RemotePath


@dataclass(frozen=True)
class Invocation:
    data: Path | RemotePath  # a folder or an object-store URL
    config: Path | None = None
    as_of: date | None = None
    where: str | None = None

    def command(self, name: str, *args: str, where: str | None = None) -> str:
        parts = ["cxtui", name, str(self.data), *args]
        if self.config:
            parts += ["--config", str(self.config)]
        if self.as_of:
            parts += ["--as-of", self.as_of.isoformat()]
        clause = _and(self.where, where)
        if clause:
            parts += ["--where", clause]
        return shlex.join(parts)


def _and(a: str | None, b: str | None) -> str | None:
    if a and b:
        return f"({a}) AND ({b})"
    return a or b


def sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def match_clause(dims: list[str], values: list[object]) -> str:
    """A --where clause selecting exactly one segments row."""
    parts = []
    for dim, value in zip(dims, values, strict=True):
        name = dim if dim.isidentifier() else '"' + dim.replace('"', '""') + '"'
        parts.append(f"{name} IS NULL" if value is None else f"{name} = {sql_literal(value)}")
    return " AND ".join(parts)


def churned_clause(reason: str, has_reason: bool, dated: bool, start: date, as_of: date) -> str:
    """A --where clause selecting the accounts of one churn-pane row: churned in
    (start, as_of] (or simply churned, for is_active data) with that reason
    ("Unknown" stands for a missing reason too)."""
    parts = []
    if has_reason:
        if reason == "Unknown":
            parts.append("(churn_reason IS NULL OR churn_reason = 'Unknown')")
        else:
            parts.append(f"churn_reason = {sql_literal(reason)}")
    if dated:
        parts.append(f"churn_date > {sql_literal(start)} AND churn_date <= {sql_literal(as_of)}")
    else:
        parts.append("status = 'churned'")
    return " AND ".join(parts)

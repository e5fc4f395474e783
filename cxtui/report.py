"""`cxtui report`: every pane in one document, like a monthly customer report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxtui import views
from cxtui.engine import Analysis
from cxtui.registry import ReportPart, runs_alone
from cxtui.render import (
    ResultTable,
    render_object,
    safe_text,
    to_markdown,
    to_rich_table,
)
from cxtui.viewdefs import all_views


@dataclass
class Report:
    analysis: Analysis
    parts: list[ReportPart]  # every view's, in reading order
    quality: list[str] = field(default_factory=list)


def _quality_notes(analysis: Analysis) -> list[str]:
    notes = list(analysis.ds.notes)
    facts = analysis.facts
    # counted with one select: `filter(...).height` would copy all the facts' columns
    missing = [c for c in ("region", "segment", "owner") if c in facts.columns]
    counts = facts.select(
        pl.col("start_date").is_null().sum().alias("_no_start"),
        *((pl.col("in_universe") & pl.col(c).is_null()).sum().alias(c) for c in missing),
    ).row(0, named=True)
    no_start = counts["_no_start"]
    if no_start:
        notes.append(
            f"{no_start:,} ids have no start (no signup, order, mrr or event): not counted"
        )
    for col in missing:
        n = counts[col]
        if n:
            notes.append(f"{n:,} customers have no {col}")
    if analysis.ds.customers_derived:
        notes.append("no customers table: customers derived from the other tables")
    notes.append("run `cxtui validate` for the full data-quality check")
    return notes


def build_report(analysis: Analysis) -> Report:
    """Every view's report jobs at once: polars releases the GIL, so the
    sections share the cores instead of waiting for each other (warm report on M).
    The jobs marked `registry.alone` run first, one at a time (memory)."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [job for view in all_views() if view.report for job in view.report(analysis)]
    done = [part for job in jobs if runs_alone(job) for part in job()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        shared = [job for job in jobs if not runs_alone(job)]
        done += [part for parts in pool.map(lambda job: job(), shared) for part in parts]
    done.sort(key=lambda p: p.order)
    return Report(analysis=analysis, parts=done, quality=_quality_notes(analysis))


def _json_key(part: ReportPart) -> str:
    if part.json_key:
        return part.json_key
    return part.heading.lower().split(" (")[0].replace(" ", "_").replace("-", "_")


def _title(rep: Report) -> str:
    where = f" (where {rep.analysis.where})" if rep.analysis.where else ""
    return f"Customer report — as of {rep.analysis.ds.as_of}{where}"


def report_json(rep: Report) -> dict[str, Any]:
    out: dict[str, Any] = {"as_of": rep.analysis.ds.as_of}
    for part in sorted(rep.parts, key=lambda p: p.json_rank):
        if part.table is not None:
            out[_json_key(part)] = part.table.frame.to_dicts()
        elif part.json_key:
            out[part.json_key] = part.json_value
    out["data_quality"] = rep.quality
    return out


def report_markdown(rep: Report) -> str:
    cur = rep.analysis.ds.config.currency
    parts = [f"# {_title(rep)}\n"]
    for part in _text_parts(rep):
        if part.summary is not None:
            parts.append(render_object(part.summary, views.KINDS, "markdown", part.heading, cur))
        elif part.table is not None:
            rt = part.table
            parts.append(
                to_markdown(ResultTable(part.heading, rt.frame, rt.columns, rt.footer, cur))
            )
        elif part.bullets is not None:
            parts.append(f"### {part.heading}\n")
            parts += [f"- **{_md(lead)}** {_md(rest)}" for lead, rest in part.bullets]
    parts.append("\n### Data quality\n")
    parts += [f"- {_md(n)}" for n in rep.quality]
    return "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _text_parts(rep: Report) -> list[ReportPart]:
    """The parts shown in text: the lead (order < 0: the top insights), then the
    blocks of measures, then the tables and lists."""
    shown = [p for p in rep.parts if p.in_text]
    lead = [p for p in shown if p.order < 0]
    rest = [p for p in shown if p.order >= 0]
    blocks = [p for p in rest if p.summary is not None]
    return lead + blocks + [p for p in rest if p.summary is None]


def _md(text: str) -> str:
    from cxtui.render import md_escape

    return md_escape(str(text))


def report_renderables(rep: Report, width: int) -> list[Any]:
    from rich.rule import Rule
    from rich.text import Text

    cur = rep.analysis.ds.config.currency
    out: list[Any] = [Rule(Text(_title(rep), style="bold"))]
    for part in _text_parts(rep):
        heading = part.table_heading or part.heading
        if part.summary is not None:
            out.append(render_object(part.summary, views.KINDS, "table", heading, cur))
        elif part.table is not None:
            out.append(Rule(Text(heading)))
            out.append(to_rich_table(part.table, width=width))
        elif part.bullets is not None:
            out.append(Rule(Text(heading)))
            for lead, rest in part.bullets:
                t = Text("• ")
                t.append(safe_text(lead), style="bold")
                t.append(f" {safe_text(rest)}")
                out.append(t)
            if part.after_bullets:
                out.append(Text(safe_text(part.after_bullets)))
    out.append(Rule(Text("Data quality")))
    out += [Text(f"• {safe_text(n)}") for n in rep.quality]
    return out

"""`cxtui report`: every pane in one document, like a monthly customer report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxtui import views
from cxtui.engine import Analysis
from cxtui.metrics.account import recommended_actions, signal_rows
from cxtui.render import (
    ResultTable,
    format_value,
    render_object,
    safe_text,
    to_markdown,
    to_rich_table,
)

AT_RISK_MIN_SCORE = 25


@dataclass
class Report:
    analysis: Analysis
    overview: dict[str, Any]
    sections: list[tuple[str, ResultTable]]
    retention: views.Retention | None
    at_risk_summary: dict[str, Any]
    actions: list[dict[str, Any]]
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
    """Every section's query at once: polars releases the GIL, so the sections
    share the cores instead of waiting for each other (warm report on M)."""
    from concurrent.futures import ThreadPoolExecutor

    cols = set(analysis.facts.columns)
    by = None
    if analysis.ds.has("monthly"):
        by = (
            "segment" if "segment" in cols else ("revenue_tier" if "revenue_tier" in cols else None)
        )
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs: dict[str, Any] = {
            "overview": pool.submit(views.overview_object, analysis),
            "top": pool.submit(views.top_table, analysis, None, 10),
            "churn": pool.submit(views.churn_table, analysis, 365, "12m"),
            "trend": pool.submit(views.churn_trend_table, analysis),
            "at_risk": pool.submit(views.at_risk_table, analysis, 20, AT_RISK_MIN_SCORE),
        }
        for dim in ("revenue_tier", "region"):
            if dim in cols:
                jobs[dim] = pool.submit(views.segments_table, analysis, [dim])
        if analysis.ds.has("monthly"):
            jobs["retention"] = pool.submit(views.retention_result, analysis, by)
        done = {name: job.result() for name, job in jobs.items()}
    sections: list[tuple[str, ResultTable]] = []
    if "revenue_tier" in done:
        sections.append(("Segments by revenue tier", done["revenue_tier"]))
    if "region" in done:
        sections.append(("Segments by region", done["region"]))
    sections.append(("Top 10 customers", done["top"]))
    sections.append(("Churn reasons (12 months)", done["churn"]))
    if done["trend"].frame.height:
        sections.append(("Churn trend", done["trend"]))
    retention = done.get("retention")
    if retention is not None and retention.segments is not None:
        sections.append((f"Retention by {by}", retention.segments))
    at_risk, summary = done["at_risk"]
    sections.append(("At-risk accounts", at_risk))
    weights = analysis.ds.config.risk_weights
    top_ids = at_risk.frame["customer_id"].head(10).to_list()
    actions = []
    for row in analysis.facts.filter(pl.col("customer_id").is_in(top_ids)).to_dicts():
        sig = signal_rows(row, weights)
        actions.append(
            {
                "customer_id": row["customer_id"],
                "name": row.get("name"),
                "owner": row.get("owner"),
                "risk_score": row["risk_score"],
                "actions": recommended_actions(row, sig),
            }
        )
    actions.sort(key=lambda a: top_ids.index(a["customer_id"]))
    return Report(
        analysis=analysis,
        overview=done["overview"],
        sections=sections,
        retention=retention,
        at_risk_summary=summary,
        actions=actions,
        quality=_quality_notes(analysis),
    )


def _title(rep: Report) -> str:
    where = f" (where {rep.analysis.where})" if rep.analysis.where else ""
    return f"Customer report — as of {rep.analysis.ds.as_of}{where}"


def report_json(rep: Report) -> dict[str, Any]:
    out: dict[str, Any] = {"as_of": rep.analysis.ds.as_of, "overview": rep.overview}
    for heading, rt in rep.sections:
        key = heading.lower().split(" (")[0].replace(" ", "_").replace("-", "_")
        out[key] = rt.frame.to_dicts()
    if rep.retention is not None:
        out["retention"] = {**rep.retention.header, "overall": rep.retention.overall}
    out["at_risk_summary"] = rep.at_risk_summary
    out["recommended_actions"] = rep.actions
    out["data_quality"] = rep.quality
    return out


def report_markdown(rep: Report) -> str:
    cur = rep.analysis.ds.config.currency
    parts = [f"# {_title(rep)}\n"]
    parts.append(render_object(rep.overview, views.KINDS, "markdown", "Overview", cur))
    if rep.retention is not None:
        parts.append(
            render_object(
                rep.retention.overall, views.KINDS, "markdown", "Retention (overall)", cur
            )
        )
    for heading, rt in rep.sections:
        rt = ResultTable(heading, rt.frame, rt.columns, rt.footer, rt.currency)
        parts.append(to_markdown(rt))
    parts.append("### Recommended actions\n")
    for a in rep.actions:
        who = a["name"] or a["customer_id"]
        for line in a["actions"]:
            parts.append(f"- **{_md(who)}** (score {a['risk_score']}): {_md(line)}")
    parts.append("\n### Data quality\n")
    parts += [f"- {_md(n)}" for n in rep.quality]
    return "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)


def _md(text: str) -> str:
    from cxtui.render import md_escape

    return md_escape(str(text))


def report_renderables(rep: Report, width: int) -> list[Any]:
    from rich.rule import Rule
    from rich.text import Text

    cur = rep.analysis.ds.config.currency
    out: list[Any] = [Rule(Text(_title(rep), style="bold"))]
    out.append(render_object(rep.overview, views.KINDS, "table", "Overview", cur))
    if rep.retention is not None:
        out.append(render_object(rep.retention.overall, views.KINDS, "table", "Retention", cur))
    for heading, rt in rep.sections:
        out.append(Rule(Text(heading)))
        out.append(to_rich_table(rt, width=width))
    out.append(Rule(Text("Recommended actions")))
    for a in rep.actions:
        who = a["name"] or a["customer_id"]
        for line in a["actions"]:
            t = Text("• ")
            t.append(safe_text(str(who)), style="bold")
            t.append(f" ({a['risk_score']}): {safe_text(line)}")
            out.append(t)
    out.append(
        Text(
            f"MRR at risk (score ≥ {AT_RISK_MIN_SCORE}): "
            + format_value(rep.at_risk_summary.get("mrr_at_risk"), "money", cur)
        )
    )
    out.append(Rule(Text("Data quality")))
    out += [Text(f"• {safe_text(n)}") for n in rep.quality]
    return out

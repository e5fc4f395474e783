"""Account detail in every output form (SPEC §2 "Account detail")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.measures import label_of, render_kind

if TYPE_CHECKING:
    from cxtui.views import Account


def _kpi(key: str, label: str | None = None) -> tuple[str, str, str]:
    """(label, facts key, render kind) from the catalog; `label` where the account
    detail words it differently from the catalog."""
    return (label or label_of(key), key, render_kind(key))


# (label, facts key, kind) per KPI section; missing keys are skipped.
KPI_SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "Status",
        (
            _kpi("status"),
            _kpi("lifecycle"),
            _kpi("start_date"),
            _kpi("tenure_months"),
            _kpi("churn_date"),
            _kpi("churn_reason"),
            _kpi("revenue_tier"),
            _kpi("engagement"),
        ),
    ),
    (
        "Revenue",
        (
            _kpi("revenue_12m"),
            _kpi("lifetime_revenue"),
            _kpi("lifetime_orders"),
            _kpi("orders_12m"),
            _kpi("aov_12m"),
            _kpi("last_order_date"),
            _kpi("mrr", "MRR now"),
            _kpi("mrr_12m_ago"),
            _kpi("rfm"),
            _kpi("rfm_segment"),
            _kpi("p_alive"),  # SPEC §8, with orders
            _kpi("clv_12m"),
        ),
    ),
)


def _kpis(fact: dict[str, Any]) -> dict[str, Any]:
    out = dict(fact)
    if fact.get("tenure_days") is not None:
        out["tenure_months"] = fact["tenure_days"] / 30.4375
    if fact.get("rfm_r") is not None:
        out["rfm"] = f"{fact['rfm_r']}/{fact['rfm_f']}/{fact['rfm_m']}"
    return out


def account_json(acc: Account) -> dict[str, Any]:
    fact = acc.summary["fact"]
    kpis = _kpis(fact)
    return {
        "customer_id": fact["customer_id"],
        "as_of": acc.as_of,
        "profile": {k: fact.get(k) for k in acc.attributes},
        **{
            section.lower(): {key: kpis.get(key) for _, key, _ in rows if key in kpis}
            for section, rows in KPI_SECTIONS
        },
        "rfm_scores": {"r": fact.get("rfm_r"), "f": fact.get("rfm_f"), "m": fact.get("rfm_m")},
        "risk": {
            "risk_score": fact.get("risk_score"),
            "risk_band": fact.get("risk_band"),
            "signals": acc.summary["signals"],
        },
        **{name: frame.to_dicts() for name, frame in acc.history.items()},
        "recommended_actions": acc.summary["actions"],
    }


def _signals_frame(acc: Account):
    import polars as pl

    rows = [
        {
            "signal": s["signal"],
            "measure": s["measure"],
            "before": _plain(s["before"]),
            "after": _plain(s["after"]),
            "fires": "yes" if s["fires"] else "",
            "points": s["points"],
        }
        for s in acc.summary["signals"]
    ]
    return pl.DataFrame(
        rows,
        schema={
            "signal": pl.String,
            "measure": pl.String,
            "before": pl.String,
            "after": pl.String,
            "fires": pl.String,
            "points": pl.Float64,
        },
    )


def _plain(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:,.1f}"
    return str(value)


def _tables(acc: Account, currency: str):
    from cxtui.render import ColumnSpec, ResultTable

    kinds = {
        "mrr": "money",
        "amount": "money",
        "month": "date",
        "order_date": "date",
        "date": "date",
        "points": "float",
        "last_90d": "int",
        "lifetime": "int",
        "created_at": "date",
        "resolved_at": "date",
        "first_response_hours": "float",
    }
    out = [
        ResultTable(
            "Risk signals",
            _signals_frame(acc),
            [ColumnSpec(c, kinds.get(c, "text")) for c in _signals_frame(acc).columns],
            currency=currency,
        )
    ]
    titles = {
        "monthly": "Last 12 months",
        "orders": "Latest orders",
        "events": "Events by type",
        "feedback": "Recent feedback",
        "tickets": "Tickets (latest 10)",
    }
    for name, frame in acc.history.items():
        out.append(
            ResultTable(
                titles.get(name, name),
                frame,
                [
                    ColumnSpec(
                        c,
                        kinds.get(c, "float" if frame[c].dtype.is_numeric() else "text"),
                        wrap=c == "comment",  # survey comments in full, wrapped
                    )
                    for c in frame.columns
                ],
                currency=currency,
            )
        )
    return out


def _title(acc: Account) -> str:
    fact = acc.summary["fact"]
    name = fact.get("name") or fact["customer_id"]
    score = fact.get("risk_score")
    risk = f" · risk {score}" if score is not None else ""
    return f"{name} ({fact['customer_id']}) · {fact.get('status') or 'not started'}{risk}"


def account_renderables(acc: Account, currency: str, width: int) -> list[Any]:
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    from cxtui.render import format_value, safe_text, to_rich_table

    fact = acc.summary["fact"]
    kpis = _kpis(fact)
    out: list[Any] = [Rule(Text(safe_text(_title(acc), 200), style="bold"))]
    profile = Table(title="Profile", show_header=False, box=None)
    profile.add_column("key", style="dim")
    profile.add_column("value", overflow="fold")  # the detail shows long values whole
    for key in acc.attributes:
        profile.add_row(Text(safe_text(key)), Text(format_value(fact.get(key), render_kind(key))))
    out.append(profile)
    for section, rows in KPI_SECTIONS:
        t = Table(title=section, show_header=False, box=None)
        t.add_column("key", style="dim")
        t.add_column("value", justify="right", overflow="fold")
        for label, key, kind in rows:
            if key in kpis:
                t.add_row(label, Text(format_value(kpis.get(key), kind, currency)))
        out.append(t)
    for rt in _tables(acc, currency):
        out.append(to_rich_table(rt, width=width))
    out.append(Rule(Text("Recommended next actions")))
    actions = acc.summary["actions"] or ["no risk signal fires: keep the regular cadence"]
    out += [Text(f"• {safe_text(a)}") for a in actions]
    return out


def account_markdown(acc: Account, currency: str) -> str:
    from cxtui.render import format_value, md_escape, to_markdown

    fact = acc.summary["fact"]
    kpis = _kpis(fact)

    def esc(text: str) -> str:
        return md_escape(text)

    lines = [f"# {esc(_title(acc))}", "", "| Attribute | Value |", "|---|---|"]
    for key in acc.attributes:
        lines.append(f"| {esc(key)} | {esc(format_value(fact.get(key), render_kind(key)))} |")
    for section, rows in KPI_SECTIONS:
        lines += ["", f"### {section}", "", "| Metric | Value |", "|---|---:|"]
        for label, key, kind in rows:
            if key in kpis:
                lines.append(f"| {label} | {esc(format_value(kpis.get(key), kind, currency))} |")
    lines.append("")
    for rt in _tables(acc, currency):
        lines.append(to_markdown(rt))
    lines += ["### Recommended next actions", ""]
    lines += [f"- {esc(a)}" for a in acc.summary["actions"]] or ["- none"]
    return "\n".join(lines) + "\n"

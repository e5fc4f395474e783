"""At-risk accounts (SPEC §2): active accounts by risk score, each with the
signals behind it; the report adds the recommended actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.registry import Option, Opts, Output, ReportPart, View, lazy, records, register
from cxtui.viewdefs.top import ALL_ROWS, open_account

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")
account = lazy("cxtui.metrics.account")
pl = lazy("polars")
render = lazy("cxtui.render")

MIN_SCORE = 25  # SPEC §6: at-risk's default --min-score, also the pane's and the report's
DEFAULT_N = 20


def run(analysis: Analysis, opts: Opts) -> Output:
    min_score = opts.get("min_score", MIN_SCORE)
    rt, totals = views.at_risk_table(analysis, opts.get("n"), min_score)

    def as_json(out: Output) -> Any:
        rows = records(out.tables[0])
        if opts.get("summary"):
            return {"rows": rows, "summary": {**totals, "min_score": min_score}}
        return rows

    return Output(tables=[rt], extras={"summary": totals}, json=as_json)


def _actions(analysis: Analysis, top_ids: list[Any]) -> list[dict[str, Any]]:
    weights = analysis.ds.config.risk_weights
    out = []
    for row in analysis.facts.filter(pl.col("customer_id").is_in(top_ids)).to_dicts():
        out.append(
            {
                "customer_id": row["customer_id"],
                "name": row.get("name"),
                "owner": row.get("owner"),
                "risk_score": row["risk_score"],
                "actions": account.recommended_actions(row, account.signal_rows(row, weights)),
            }
        )
    out.sort(key=lambda a: top_ids.index(a["customer_id"]))
    return out


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        rt, summary = views.at_risk_table(analysis, DEFAULT_N, MIN_SCORE)
        actions = _actions(analysis, rt.frame["customer_id"].head(10).to_list())
        bullets = [
            (str(a["name"] or a["customer_id"]), f"(score {a['risk_score']}): {line}")
            for a in actions
            for line in a["actions"]
        ]
        cur = analysis.ds.config.currency
        mrr = render.format_value(summary.get("mrr_at_risk"), "money", cur)
        return [
            ReportPart(50, "At-risk accounts", table=rt),
            ReportPart(61, "", json_key="at_risk_summary", json_value=summary, in_text=False),
            ReportPart(
                62,
                "Recommended actions",
                bullets=bullets,
                after_bullets=f"MRR at risk (score ≥ {MIN_SCORE}): {mrr}",
                json_key="recommended_actions",
                json_value=actions,
            ),
        ]

    return [job]


def command(opts: Opts, table: int) -> list[str]:
    n = ALL_ROWS if opts.get("n") is None else str(opts["n"])
    return ["-n", n, "--min-score", f"{opts.get('min_score', MIN_SCORE):g}"]


VIEW = register(
    View(
        id="at-risk",
        title="At risk",
        help="Active accounts by risk score, with the signals behind each score.",
        run=run,
        options=(
            Option("n", ("-n",), int, DEFAULT_N, "How many accounts.", min=1, max=10**9, tui=None),
            Option(
                "min_score",
                ("--min-score",),
                float,
                float(MIN_SCORE),
                "Lowest risk score shown.",
                min=0,
                max=100,
            ),
            Option(
                "summary",
                ("--summary",),
                bool,
                False,
                "JSON: an object {rows, summary} with MRR at risk.",
            ),
        ),
        drill=open_account("At risk"),
        command=command,
        report=report,
        detail_column="signals",
    )
)

"""Top customers (SPEC §2): by revenue_12m, mrr, lifetime revenue, annual revenue or
predicted clv_12m (SPEC §8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxtui.registry import (
    DrillContext,
    OpenAccount,
    Option,
    Opts,
    Output,
    ReportPart,
    View,
    lazy,
    register,
)

if TYPE_CHECKING:
    from cxtui.engine import Analysis

views = lazy("cxtui.views")

ALL_ROWS = "1000000"  # what the `c` command asks for when the pane lists every customer


def run(analysis: Analysis, opts: Opts) -> Output:
    return Output(tables=[views.top_table(analysis, opts.get("by"), opts.get("n"))])


def open_account(title: str):
    def drill(ctx: DrillContext) -> OpenAccount | None:
        cid = ctx.row.get("customer_id")
        if cid is None:
            return None
        return OpenAccount([title, str(ctx.row.get("name") or cid)], cid)

    return drill


def command(opts: Opts, table: int) -> list[str]:
    args = ["-n", ALL_ROWS if opts.get("n") is None else str(opts["n"])]
    return args + (["--by", opts["by"]] if opts.get("by") else [])


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        return [ReportPart(20, "Top 10 customers", table=views.top_table(analysis, None, 10))]

    return [job]


VIEW = register(
    View(
        id="top",
        title="Top customers",
        help="The top customers by revenue or MRR.",
        run=run,
        options=(
            Option("n", ("-n",), int, 10, "How many customers.", min=1, max=10**9, tui=None),
            Option(
                "by",
                ("--by",),
                str,
                None,
                "revenue_12m | mrr | lifetime_revenue | annual_revenue | clv_12m (predicted, "
                "from the orders) (default: revenue_12m with orders, else mrr, else "
                "annual_revenue).",
            ),
        ),
        drill=open_account("Top customers"),
        command=command,
        report=report,
    )
)

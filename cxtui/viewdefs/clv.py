"""Predictive CLV (SPEC §8): BG/NBD and Gamma-Gamma fitted on the dataset's own
orders. The fitted parameters and the notes, the customers by clv_12m and, with
--by, the mean and sum per group; the pane adds the deciles of clv_12m as bars
(Enter on a decile lists its customers, on a customer opens the account)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxtui.registry import (
    DrillContext,
    Members,
    OpenAccount,
    Option,
    Opts,
    Output,
    ReportPart,
    View,
    alone,
    lazy,
    records,
    register,
)
from cxtui.viewdefs.top import ALL_ROWS

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.engine.clv import ClvResult

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
engine_clv = lazy("cxtui.engine.clv")
tables = lazy("cxtui.metrics.clv_tables")
pl = lazy("polars")

DEFAULT_N = 20
REPORT_N = 10
PARAMETERS = ("r", "alpha", "a", "b", "p", "q", "v")
BAR_WIDTH = 16
EIGHTHS = " ▏▎▍▌▋▊▉"  # partial blocks: a bar's last cell in eighths
# the predictions and the facts are in memory: no scan for the streaming engine
IN_MEMORY = "in-memory"


def _subtitle(analysis: Analysis, discount: float | None) -> str:
    where = f" · where {analysis.where}" if analysis.where else ""
    rate = f" · discounted at {discount:g} a year" if discount else ""
    return f"as of {analysis.ds.as_of}{where}{rate}"


def parameters_block(result: ClvResult) -> dict[str, Any]:
    """The summary block of the text formats: the parameters to 6 significant
    digits (the JSON carries them whole), customers_fitted and any notes."""
    block: dict[str, Any] = {
        k: None if result.parameters.get(k) is None else f"{result.parameters[k]:.6g}"
        for k in PARAMETERS
    }
    block["customers_fitted"] = result.parameters.get("customers_fitted")
    if result.notes:
        block["notes"] = "; ".join(result.notes)
    return block


def _predictions(analysis: Analysis, opts: Opts):
    result = engine_clv.clv_result(analysis)
    return result, result.discounted(opts.get("discount")).lazy()


def _top_title(analysis: Analysis, n: int | None, discount: float | None) -> str:
    head = "Customers" if n is None else f"Top {n:,} customers"
    return f"{head} by clv_12m — {_subtitle(analysis, discount)}"


def run(analysis: Analysis, opts: Opts) -> Output:
    result, predictions = _predictions(analysis, opts)
    scope, n, by, discount = analysis.scope, opts.get("n"), opts.get("by"), opts.get("discount")
    queries = [tables.top_by_clv(scope, predictions, n)]
    if by:
        queries.append(tables.clv_by(scope, predictions, by))
    frames = engine.collect_all(queries, engine=IN_MEMORY)
    top = views.table(_top_title(analysis, n, discount), frames[0], analysis)
    out_tables = [top]
    if by:
        title = f"Predicted CLV by {by} — {_subtitle(analysis, discount)}"
        out_tables.insert(0, views.table(title, frames[1], analysis))

    def as_json(out: Output) -> Any:
        doc = {
            "as_of": analysis.ds.as_of,
            "discount": discount,
            "parameters": result.parameters,
            "notes": list(result.notes),
            "customers": records(out.tables[-1]),
        }
        if by:
            doc |= {"by": by, "groups": records(out.tables[0])}
        return doc

    return Output(
        title=f"CLV model (BG/NBD + Gamma-Gamma) — {_subtitle(analysis, discount)}",
        summary=parameters_block(result),
        tables=out_tables,
        json=as_json,
        notes=list(result.notes),
    )


def bar(share: float | None, longest: float | None, width: int = BAR_WIDTH) -> str:
    """`share` as a bar of block characters, `longest` filling `width` cells."""
    if share is None or not longest or longest <= 0 or share <= 0:
        return ""
    eighths = round(share / longest * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def deciles_table(analysis: Analysis, ranked_rows, discount: float | None):
    """The deciles of clv_12m (`clv_tables.clv_deciles` over the ranked customers)
    with their shares drawn as bars, the largest filling BAR_WIDTH cells."""
    frame = engine.collect(tables.clv_deciles(ranked_rows.lazy()), engine=IN_MEMORY)
    shares = frame["clv_share"].to_list()
    longest = max((s for s in shares if s is not None), default=None)
    frame = frame.with_columns(pl.Series("bar", [bar(s, longest) for s in shares], pl.String))
    order = ["decile", "bar", "clv_share", "customers", "clv_from", "clv_to", "clv_12m"]
    title = f"clv_12m by decile (1 = the top tenth) — {_subtitle(analysis, discount)}"
    return views.table(title, frame.select(order), analysis)


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The pane: the parameters, the deciles of clv_12m as bars, then every
    customer by clv_12m (the ranking computed once per analysis)."""
    result = engine_clv.clv_result(analysis)
    discount, n = opts.get("discount"), opts.get("n")
    everyone = engine_clv.clv_ranked(analysis, discount)
    top = everyone if n is None else everyone.head(n)
    top_rt = views.table(_top_title(analysis, n, discount), top, analysis)
    clv = everyone["clv_12m"]
    valued = clv.len() - clv.null_count()
    return Output(
        title="Predicted CLV (BG/NBD + Gamma-Gamma)",
        summary=parameters_block(result),
        tables=[top_rt, deciles_table(analysis, everyone, discount)],
        extras={
            "parameters": result.parameters,
            "notes": list(result.notes),
            "customers_valued": valued,
            "customers_unvalued": clv.null_count(),
            "clv_total": clv.sum() if valued else None,
        },
        notes=list(result.notes),
    )


def drill(ctx: DrillContext) -> Members | OpenAccount | None:
    if ctx.table == 0:
        cid = ctx.row.get("customer_id")
        if cid is None:
            return None
        return OpenAccount(["CLV", str(ctx.row.get("name") or cid)], cid)
    decile = ctx.row.get("decile")
    if decile is None:
        return None
    a, discount = ctx.analysis, ctx.opts.get("discount")
    clv = engine_clv.clv_ranked(a, discount)["clv_12m"]  # computed by the pane already
    valued = clv.len() - clv.null_count()
    # decile k holds the ranks r (0-based) with floor(10r ÷ n) = k − 1: ranks up to
    # ceil(k·n ÷ 10), so `cxtui clv -n <that>` ends with exactly this decile
    last = -(-decile * valued // tables.DECILES)
    first = last - ctx.row["customers"] + 1
    title = f"CLV decile {decile}: ranks {first:,}–{last:,} by clv_12m ({ctx.row['customers']:,})"

    def load():
        everyone = engine_clv.clv_ranked(a, discount).lazy()
        frame = engine.collect(tables.decile_members(a.scope, everyone, decile), engine=IN_MEMORY)
        return views.members_table(a, frame, title)

    args = ["-n", str(last)] + (["--discount", f"{discount:g}"] if discount else [])
    return Members(
        ["CLV", f"Decile {decile}"],
        load,
        ctx.invocation.command("clv", *args),
        f"clv-decile-{decile}",
    )


def command(opts: Opts, table: int) -> list[str]:
    n = opts.get("n")
    args = ["-n", ALL_ROWS if n is None else str(n)]
    if opts.get("by"):
        args += ["--by", opts["by"]]
    if opts.get("discount"):
        args += ["--discount", f"{opts['discount']:g}"]
    return args


def report(analysis: Analysis):
    @alone  # the summary's pass over the orders: the report's largest memory peak
    def job() -> list[ReportPart]:
        if not analysis.ds.has("orders"):
            return []
        out = run(analysis, {"n": REPORT_N, "by": None, "discount": None})
        result = engine_clv.clv_result(analysis)
        top = out.tables[0]
        top.title = f"Top {REPORT_N} customers by predicted CLV (next 12 months)"
        return [
            ReportPart(
                90,
                "Predicted customer lifetime value (BG/NBD + Gamma-Gamma)",
                summary=out.summary,
                json_key="clv",
                json_value={"parameters": result.parameters, "notes": list(result.notes)},
            ),
            ReportPart(90.5, top.title, table=top, json_key="clv_top_customers"),
        ]

    return [job]


VIEW = register(
    View(
        id="clv",
        title="CLV",
        group="Acquisition & value",
        help=(
            "Predicted customer lifetime value over the next 12 months (BG/NBD + Gamma-Gamma "
            "fitted on the orders), with the fitted parameters."
        ),
        run=run,
        options=(
            Option("n", ("-n",), int, DEFAULT_N, "How many customers.", min=1, max=10**9, tui=None),
            Option(
                "by",
                ("--by",),
                str,
                None,
                "Also the mean and the sum per value of this dimension (e.g. segment, channel).",
            ),
            Option(
                "discount",
                ("--discount",),
                float,
                None,
                "Annual discount rate (0.1 = 10% a year) applied month by month to clv_12m "
                "(default: undiscounted).",
                metavar="RATE",
            ),
        ),
        pane="clv",
        pane_stages=(pane,),
        drill=drill,
        command=command,
        report=report,
    )
)

"""Flows (SPEC §10), the terminal's Sankey: the customers as a tree over a path
of dimensions, small branches folded into "other". csv and json print one row
per full path; the table and Markdown print the tree with share bars; the pane
is an expandable tree whose every node lists exactly its customers."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from cxtui.commands import match_clause
from cxtui.errors import CxError
from cxtui.registry import (
    DrillContext,
    Members,
    Option,
    Opts,
    Output,
    PaneKey,
    ReportPart,
    View,
    lazy,
    records,
    register,
)
from cxtui.viewdefs.common import ranked_members, subtitle, top_command

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.render import ResultTable

views = lazy("cxtui.views")
engine = lazy("cxtui.engine")
metrics = lazy("cxtui.metrics.flows")
render = lazy("cxtui.render")
pl = lazy("polars")

MEASURES = ("value", "arr", "mrr", "revenue_12m")  # metrics.flows.FLOW_MEASURES
DEFAULT_MEASURE = "value"
DEFAULT_MIN_SHARE = 0.01  # metrics.flows.DEFAULT_MIN_SHARE
MIN_SHARES = ("0", "0.005", "0.01", "0.02", "0.05", "0.1")  # the pane's picker
TREE_COLUMNS = ("customers", "share_of_parent", "share_of_total", "measure_sum", "measure_mean")
BAR_WIDTH = 12  # cells of a 100% share bar
# The TUI tree's layout (tui/widgets/flow_tree.py draws it): cells of guide per
# level below the first, and of the ▶/▼ icon before a node that has children.
GUIDE_DEPTH = 3
ICON_WIDTH = 2
LABEL_MAX = 30  # the widest the tree's label column gets (indent included)
NULL_LABEL = "(none)"


def split_path(text: str | None) -> list[str]:
    return [d.strip() for d in (text or "").split(",") if d.strip()]


def default_path(analysis: Analysis) -> str:
    """A first user-defined dimension (else segment, else revenue_tier), then
    plan, then status: where the customers are, what they buy, whether they stay."""
    dims = views.dimensions(analysis)
    custom = [d for d in analysis.ds.config.dimensions if d in dims]
    first = custom[:1] or [d for d in ("segment", "revenue_tier") if d in dims][:1]
    path = [*first, *(d for d in ("plan", "status") if d in dims and d not in first)]
    return ",".join(path if len(path) > 1 else dims[:2])


def resolve(analysis: Analysis, opts: Opts) -> Opts:
    return opts if opts.get("path") else {**opts, "path": default_path(analysis)}


def _options(analysis: Analysis, opts: Opts) -> tuple[list[str], str, float]:
    """The path, measure and min-share asked for, checked (one-line errors)."""
    opts = resolve(analysis, opts)
    path = split_path(opts["path"])
    measure = opts.get("measure") or DEFAULT_MEASURE
    min_share = opts.get("min_share")
    min_share = DEFAULT_MIN_SHARE if min_share is None else min_share
    try:
        metrics.check_flow(analysis.scope, path, min_share)
    except CxError as exc:  # an unknown dimension: say it was the --path
        text = str(exc)
        raise CxError(text if text.startswith("flows") else f"flows --path: {text}") from None
    if measure not in MEASURES:
        raise CxError(
            f"flows --measure {measure!r}: unknown; fix: use one of {', '.join(MEASURES)}"
        )
    return path, measure, min_share


# ---------------------------------------------------------------- the tree


def share_bar(share: float | None, width: int = BAR_WIDTH) -> str:
    """A share as a bar of block characters, to the eighth of a cell."""
    if share is None:
        return ""
    eighths = round(max(0.0, min(1.0, share)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def _typed(label: str | None, dtype) -> Any:
    """A node's label (the value as text) back as the column's value, for --where."""
    if label is None:
        return None
    if dtype == pl.Boolean:
        return label == "true"
    if dtype.is_integer():
        return int(label)
    if dtype.is_float():
        return float(label)
    if dtype == pl.Date:
        return date.fromisoformat(label)
    return label


def _not_any(dim: str, kept: list[Any]) -> str | None:
    """Customers whose `dim` is none of the `kept` values (null included unless
    kept): an "other" node next to its siblings."""
    if not kept:
        return None
    any_kept = " OR ".join(match_clause([dim], [v]) for v in kept)
    if None in kept:
        return f"NOT ({any_kept})"
    return f"({match_clause([dim], [None])} OR NOT ({any_kept}))"


def _and(a: str | None, b: str | None) -> str | None:
    return f"{a} AND {b}" if a and b else a or b


def prepare(
    nodes: list[dict[str, Any]], analysis: Analysis, measure: str
) -> tuple[list[dict[str, Any]], str]:
    """The tree's nodes (metrics.flows.flow_nodes, pre-order) with what the
    table, the pane and the drill-down show: `text` (the label), `guide` (the
    table's ├─ / └─ prefix), `crumbs`, `has_children`, `where` (the --where
    clause selecting exactly its customers) and `line` (the pane's row); and the
    header line above the pane's rows."""
    schema = analysis.facts.schema
    children: dict[str | None, list[dict[str, Any]]] = {}
    for n in nodes:
        children.setdefault(n["parent_id"], []).append(n)
    by_id: dict[str, dict[str, Any]] = {}
    out = []
    for n in nodes:
        parent = by_id.get(n["parent_id"]) if n["parent_id"] else None
        siblings = children[n["parent_id"]]
        dim, dtype = n["dimension"], schema[n["dimension"]]
        if n["other"]:
            kept = [_typed(s["label"], dtype) for s in siblings if not s["other"]]
            cond = _not_any(dim, kept)
        else:
            cond = match_clause([dim], [_typed(n["label"], dtype)])
        last = siblings[-1] is n
        text = NULL_LABEL if n["label"] is None else n["label"]
        node = {
            **n,
            "text": text,
            "last": last,
            "has_children": bool(children.get(n["node_id"])),
            "where": _and(parent["where"] if parent else None, cond),
            "crumbs": [*(parent["crumbs"] if parent else []), text],
            # the table's guides: a bar under every ancestor that has a later sibling
            "indent": (parent["indent"] + ("   " if parent["last"] else "│  "))
            if parent and parent["depth"] > 1
            else "",
        }
        node["guide"] = node["indent"] + ("" if n["depth"] == 1 else "└─ " if last else "├─ ")
        by_id[n["node_id"]] = node
        out.append(node)
    return out, _lines(out, measure, analysis.ds.config.currency)


def _lines(nodes: list[dict[str, Any]], measure: str, currency: str) -> str:
    """Each node's `line` for the pane: the label padded so that the figures
    line up under the header whatever the depth, then the figures and the bar.
    Returns the header."""
    fmt = render.format_value

    def prefix(n: dict[str, Any]) -> int:
        return (n["depth"] - 1) * GUIDE_DEPTH + (ICON_WIDTH if n["has_children"] else 0)

    cells = [
        (
            fmt(n["customers"], "int"),
            fmt(n["share_of_parent"], "pct"),
            fmt(n["share_of_total"], "pct"),
            fmt(n["measure_sum"], "money", currency),
        )
        for n in nodes
    ]
    heads = ("customers", "of parent", "of total", f"{measure} Σ")
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(heads)]
    label_width = min(LABEL_MAX, max([4, *(prefix(n) + len(n["text"]) for n in nodes)]))
    for n, row in zip(nodes, cells, strict=True):
        room = max(label_width - prefix(n), 4)
        label = render.safe_text(n["text"], room)
        figures = "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True))
        n["line"] = f"{label.ljust(room)}  {figures}  {share_bar(n['share_of_total'])}"
    header = "  ".join(h.rjust(w) for h, w in zip(heads, widths, strict=True))
    return f"{'node'.ljust(label_width)}  {header}  share of total"


def tree_frame(nodes: list[dict[str, Any]]):
    """The tree as the table and Markdown print it: one row per node, indented."""
    return pl.DataFrame(
        {
            "node": [n["guide"] + n["text"] for n in nodes],
            **{k: [n[k] for n in nodes] for k in TREE_COLUMNS},
            "share_bar": [share_bar(n["share_of_total"]) for n in nodes],
        },
        schema_overrides={"customers": pl.Int64, **dict.fromkeys(TREE_COLUMNS[1:], pl.Float64)},
    )


def _title(analysis: Analysis, path: list[str], measure: str) -> str:
    return f"Flows {' › '.join(path)} ({measure}) — {subtitle(analysis)}"


def _footer(min_share: float) -> str:
    return f"children under {min_share:.1%} of all customers are folded into 'other'"


def tree(
    analysis: Analysis, path: list[str], measure: str, min_share: float
) -> tuple[list[dict[str, Any]], str]:
    nodes = engine.collect(metrics.flow_nodes(analysis.scope, path, measure, min_share))
    return prepare(nodes.to_dicts(), analysis, measure)


def run(analysis: Analysis, opts: Opts) -> Output:
    path, measure, min_share = _options(analysis, opts)
    scope = analysis.scope
    nodes, paths = engine.collect_all(
        [
            metrics.flow_nodes(scope, path, measure, min_share),
            metrics.flow_paths(scope, path, measure, min_share),
        ]
    )
    title = _title(analysis, path, measure)
    shown, _ = prepare(nodes.to_dicts(), analysis, measure)
    tree_table = views.table(title, tree_frame(shown), analysis, _footer(min_share))
    paths_table = views.table(title, paths, analysis, _footer(min_share))
    for col in paths_table.columns:
        if col.key in path:
            col.priority = 0
    csv = [paths_table]
    return Output(
        tables=[tree_table],
        format_tables={"csv": csv, "csv-raw": csv},
        json=lambda out: records(paths_table),
    )


def pane(analysis: Analysis, opts: Opts, previous: Output | None) -> Output:
    """The pane's tree: the nodes with their rows built here, in the worker."""
    path, measure, min_share = _options(analysis, opts)
    nodes, header = tree(analysis, path, measure, min_share)
    return Output(
        title=_title(analysis, path, measure),
        extras={"nodes": nodes, "header": header, "footer": _footer(min_share)},
    )


def drill(ctx: DrillContext) -> Members | None:
    row = ctx.row
    if "node_id" not in row:
        return None
    a = ctx.analysis
    path, _, min_share = _options(a, ctx.opts)
    node_id, n = row["node_id"], row["customers"]
    crumb = " › ".join(row["crumbs"])

    def load() -> ResultTable:
        return ranked_members(
            a,
            lambda s: metrics.flow_members(s, path, node_id, min_share),
            f"{crumb}: {n:,} customers",
        )

    command = top_command(ctx.invocation, n, row["where"])
    return Members(["Flows", crumb], load, command, f"flow-{crumb}")


# ---------------------------------------------------------------- the pane's keys

RESET = "(default path)"


def _path_choices(analysis: Analysis, opts: Opts) -> list[str]:
    path = split_path(opts.get("path"))
    return [
        RESET,
        *(f"remove {d}" for d in path),
        *(f"add {d}" for d in views.dimensions(analysis) if d not in path),
    ]


def _apply_path(opts: Opts, value: str) -> Opts:
    path = split_path(opts.get("path"))
    verb, _, dim = value.partition(" ")
    if value == RESET:
        path = []
    elif verb == "remove":
        path = [d for d in path if d != dim] if len(path) > 1 else path
    else:
        path = [*path, dim]
    return {**opts, "path": ",".join(path) or None}


def _min_share_text(value: float) -> str:
    return f"{value:g}"


def report(analysis: Analysis):
    def job() -> list[ReportPart]:
        path, measure, min_share = _options(analysis, {})
        nodes, _ = tree(analysis, path, measure, min_share)
        rt = views.table(
            f"Flows {' › '.join(path)} ({measure})", tree_frame(nodes), analysis, _footer(min_share)
        )
        return [ReportPart(73, rt.title, table=rt, json_key="flows")]

    return [job]


VIEW = register(
    View(
        id="flows",
        title="Flows",
        group="Engagement",
        help=(
            "The customers as a tree over a path of dimensions (a terminal Sankey), "
            "small branches folded into 'other'."
        ),
        run=run,
        options=(
            Option(
                "path",
                ("--path",),
                str,
                None,
                "Dimensions from the root, comma-separated, e.g. plan,status (default: the "
                "first [dimensions] entry, else segment or revenue_tier, then plan and status).",
                metavar="DIM1,DIM2,…",
            ),
            Option(
                "measure",
                ("--measure",),
                str,
                DEFAULT_MEASURE,
                "What each node sums and averages: value | arr | mrr | revenue_12m.",
            ),
            Option(
                "min_share",
                ("--min-share",),
                float,
                DEFAULT_MIN_SHARE,
                "Children under this share of all customers fold into 'other' (0 to 1).",
            ),
        ),
        pane="tree",
        pane_stages=(pane,),
        resolve=resolve,
        drill=drill,
        keys=(
            PaneKey(
                "d",
                "Dimension",
                "path",
                choices=_path_choices,
                apply=_apply_path,
                current=lambda o: None,
                title="Flows path",
            ),
            PaneKey(
                "m",
                "Measure",
                "measure",
                choices=lambda a, o: list(MEASURES),
                title="Flows measure",
            ),
            PaneKey(
                "o",
                "Fold under",
                "min_share",
                choices=lambda a, o: list(MIN_SHARES),
                apply=lambda opts, value: {**opts, "min_share": float(value)},
                current=lambda o: _min_share_text(o.get("min_share", DEFAULT_MIN_SHARE)),
                title="Fold children under this share of all customers into 'other'",
            ),
        ),
        export_name=lambda opts: "flows-" + "-".join(split_path(opts.get("path"))),
        report=report,
    )
)

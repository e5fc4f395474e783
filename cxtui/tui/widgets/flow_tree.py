"""The Flows pane: the customers as an expandable tree over a path of
dimensions (SPEC §10). Each node's row (label, customers, share of parent,
share of total, the measure, a share bar) was built by the view in its worker
(`cxtui.viewdefs.flows.pane`); the tree only adds nodes, and a node's children
only when it is first expanded. Enter lists exactly the node's customers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from cxtui.render import safe_text
from cxtui.tui.pane import Pane
from cxtui.tui.widgets.data_view import DataView
from cxtui.viewdefs.flows import GUIDE_DEPTH

if TYPE_CHECKING:
    from cxtui.registry import Output

Node = dict[str, Any]


class FlowTree(Tree[Node]):
    """A tree of prepared nodes; children are added on first expansion."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Customers", id="flow-open"),
        Binding("right,l", "expand", "Expand", id="flow-expand"),
        Binding("left,h", "collapse", "Collapse", id="flow-collapse"),
        Binding("plus,asterisk", "expand_all", "Expand all", id="flow-expand-all", key_display="+"),
        Binding("minus", "collapse_all", "Collapse all", id="flow-collapse-all", key_display="-"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("home,g", "first", "First node", show=False),
        Binding("end,G", "last", "Last node", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("flows", id=id)
        self.show_root = False
        self.auto_expand = False  # Enter lists the node's customers; right/space expand
        self.guide_depth = GUIDE_DEPTH
        self.children_of: dict[str | None, list[Node]] = {}
        self._loaded: set[str | None] = set()  # node ids whose children are added

    def show_nodes(self, nodes: list[Node]) -> None:
        """Replace the tree: the first level, each expanded one level down."""
        self.clear()
        self._loaded = set()
        self.children_of = {}
        for node in nodes:
            self.children_of.setdefault(node["parent_id"], []).append(node)
        for top in self._add_children(self.root):
            self._add_children(top)
            if top.allow_expand:
                top.expand()
        self.cursor_line = 0

    def _label(self, node: Node) -> Text:
        line = Text(safe_text(node["line"]))
        if node["other"]:
            line.stylize("italic", 0, len(node["text"]))
        bar = len(node["line"]) - len(node["line"].rstrip("▏▎▍▌▋▊▉█"))
        if bar:
            line.stylize("bold", len(line) - bar)
        return line

    def _add_children(self, parent: TreeNode[Node]) -> list[TreeNode[Node]]:
        """Add `parent`'s children once (the root's: the first level)."""
        key = parent.data["node_id"] if parent.data is not None else None
        if key in self._loaded:
            return list(parent.children)
        self._loaded.add(key)
        added = []
        for child in self.children_of.get(key, []):
            has_children = bool(self.children_of.get(child["node_id"]))
            added.append(parent.add(self._label(child), child, allow_expand=has_children))
        return added

    def current_column(self) -> None:
        """What a drill-down asks the table it came from (a cohort's age): a
        tree node has no columns."""
        return None

    def action_first(self) -> None:
        self.cursor_line = 0

    def action_last(self) -> None:
        self.cursor_line = self.last_line

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        self._add_children(event.node)

    def action_expand(self) -> None:
        node = self.cursor_node
        if node is None or not node.allow_expand:
            return
        if node.is_expanded and node.children:
            self.move_cursor(node.children[0])
        else:
            self._add_children(node)
            node.expand()

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def action_expand_all(self) -> None:
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            stack.extend(self._add_children(node))
        self.root.expand_all()

    def action_collapse_all(self) -> None:
        for node in self.root.children:
            node.collapse_all()


class FlowPane(Pane):
    """The header line, the tree, and a footer (the folding rule)."""

    DEFAULT_CSS = """
    FlowPane FlowTree { height: 1fr; }
    FlowPane .flow-header { height: 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        vid = self.view.id
        yield Static("", id=f"{vid}-title", classes="pane-title")
        yield Static("", id=f"{vid}-header", classes="flow-header")
        yield FlowTree(id=vid)
        yield Static("", id=f"{vid}-footer", classes="pane-footer")

    def show(self, output: Output, currency: str) -> None:
        self.output = output
        vid = self.view.id
        nodes: list[Node] = output.extras.get("nodes", [])
        self.query_one(f"#{vid}-title", Static).update(Text(safe_text(output.title)))
        # the tree draws a node's icon two cells before its label; the header's
        # first column lines up with the labels of the first level
        header = output.extras.get("header", "")
        self.query_one(f"#{vid}-header", Static).update(Text(safe_text(header)))
        footer = f"{len(nodes):,} nodes · {output.extras.get('footer', '')}"
        self.query_one(f"#{vid}-footer", Static).update(Text(safe_text(footer)))
        self.query_one(FlowTree).show_nodes(nodes)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        """Enter on a node: the screen's drill-down, as for a table row."""
        event.stop()
        node = event.node.data
        if node is not None:
            self.post_message(DataView.Selected(event.control, 0, node))  # type: ignore[arg-type]

"""The layers hold: headless modules import neither Textual nor Rich (checked in
a fresh interpreter, as Harlequin's import-hygiene test does), no module of
cxtui takes part in an import cycle (every import counts: module level,
type-only and inside functions), and every view is wired the same way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "cxtui"

HEADLESS = [
    "cxtui.data.load",
    "cxtui.data.validate",
    "cxtui.metrics.facts",
    "cxtui.metrics.panes",
    "cxtui.engine",
    "cxtui.views",
    "cxtui.registry",
    "cxtui.viewdefs",
    "cxtui.commands",
    "cxtui.measures",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_modules_import_neither_textual_nor_rich(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "from cxtui.viewdefs import all_views\n"
        "all_views()\n"
        "print(sorted(m for m in ('textual', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{module} pulls in {out.stdout.strip()}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The cxtui modules `path` imports, anywhere in the file."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the submodule when there is one
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    known = set(files)
    return {name: _imports(path, name, known) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_view_is_a_command_a_pane_and_documented() -> None:
    from cxtui.cli import COMMANDS
    from cxtui.viewdefs import all_views

    docs = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for view in all_views():
        assert view.id in COMMANDS
        assert view.help and view.title
        assert f"`{view.id}`" in docs, f"docs/architecture.md does not list {view.id}"
        for option in view.options:
            assert option.help, f"{view.id} {option.flag} has no help"

"""What each pane looks like on the bundled demo data, at 120×40 and 80×24
(pytest-textual-snapshot; update with `pytest --snapshot-update` after a
deliberate change and review the SVG diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxtui.tui.app import CxApp

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
pytestmark = pytest.mark.skipif(not DEMO.is_dir(), reason="data/demo not generated")

# keys pressed, or "pane:ID" to go to a pane beyond the number keys
SCREENS = {
    "overview": [],
    "insights": ["2"],
    "segments": ["3"],
    "top": ["4"],
    "churn": ["5"],
    "at-risk": ["6"],
    "segment-drill": ["3", "enter"],
    "account": ["6", "enter"],
    "retention": ["pane:retention"],
    "revenue": ["pane:revenue"],
    "cohorts": ["pane:cohorts"],
    "trends": ["pane:trends"],
    "migration": ["pane:migration"],
    "acquisition": ["pane:acquisition"],
    "clv": ["pane:clv"],
    "satisfaction": ["pane:satisfaction"],
    "support": ["pane:support"],
    "engagement": ["pane:engagement"],
    "lift": ["pane:lift"],
    "flows": ["pane:flows"],
}


async def _settled(pilot) -> None:
    app = pilot.app
    for _ in range(600):
        await pilot.pause(0.05)
        busy = [w for w in app.workers if not w.is_finished]
        queued = any(getattr(s, "_pending", None) for s in app.screen_stack)
        if app.analysis is not None and not busy and not queued:
            break
    await pilot.pause(0.2)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One cache folder for every snapshot: the facts are built once here (so
    every top bar says "facts from cache"), and the panes the first start
    computes are kept and read back by the others (docs/tui.md, "Kept panes"):
    the same results, drawn the same way, without 40 starts' queries."""
    from cxtui.engine import finish_cache_writes, open_analysis

    folder = tmp_path_factory.mktemp("snapshot-cache")
    open_analysis(DEMO, cache_dir=folder)
    finish_cache_writes()
    return folder


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_pane_snapshot(snap_compare, size, screen, cache: Path) -> None:
    async def run_before(pilot) -> None:
        await _settled(pilot)
        for key in SCREENS[screen]:
            if key.startswith("pane:"):
                pilot.app.screen.action_pane(key.removeprefix("pane:"))
            else:
                await pilot.press(key)
            await _settled(pilot)

    app = CxApp(DEMO, cache_dir=cache)
    assert snap_compare(app, terminal_size=size, run_before=run_before)

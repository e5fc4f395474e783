"""What each pane looks like on the bundled demo data, at 120×40 and 80×24
(pytest-textual-snapshot; update with `pytest --snapshot-update` after a
deliberate change and review the SVG diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxtui.tui.app import CxApp

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
pytestmark = pytest.mark.skipif(not DEMO.is_dir(), reason="data/demo not generated")


async def _settled(pilot) -> None:
    app = pilot.app
    for _ in range(600):
        await pilot.pause(0.05)
        busy = [w for w in app.workers if not w.is_finished]
        queued = any(getattr(s, "_pending", None) for s in app.screen_stack)
        if app.analysis is not None and not busy and not queued:
            break
    await pilot.pause(0.2)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize(
    "keys",
    [[], ["3"], ["4"], ["5"], ["6"], ["3", "enter"], ["6", "enter"]],
    ids=["overview", "segments", "top", "churn", "at-risk", "segment-drill", "account"],
)
def test_pane_snapshot(snap_compare, size, keys) -> None:
    async def run_before(pilot) -> None:
        await _settled(pilot)
        for key in keys:
            await pilot.press(key)
            await _settled(pilot)

    app = CxApp(DEMO, use_cache=False)
    assert snap_compare(app, terminal_size=size, run_before=run_before)

"""The stages of opening an analysis (cxtui.progress): what a cold and a warm
start report, in order, and the TUI's top bar showing them while it loads."""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path

import pytest

from cxtui import progress
from cxtui.data.load import open_dataset
from cxtui.engine import analysis_of
from tests.test_cache import make_shop


def stages_of(root: Path, cache: Path) -> list[str]:
    seen: list[str] = []
    with progress.reporting(seen.append):
        ds = open_dataset(root, cache_dir=cache)
        analysis_of(ds, cache_dir=cache)
    return seen


def test_cold_then_warm_stages(tmp_path: Path) -> None:
    shop, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    cold = stages_of(shop, cache)
    # the tables are checked side by side, in any order
    assert sorted(cold[:2]) == ["checking customers", "checking orders"]
    assert cold[2:] == [
        "building the facts: one pass over orders 4 rows, customers 3",
        "building the facts: joining and computing 3 customers' columns",
        "writing the facts cache",
    ]
    # unchanged files: the probes and the facts come from the cache
    assert stages_of(shop, cache) == ["reading the facts from the cache"]


def test_no_listener_no_output_and_listeners_are_per_thread(capsys) -> None:
    progress.stage("nobody listens")  # a no-op
    mine: list[str] = []
    other: list[str] = []

    def elsewhere() -> None:
        with progress.reporting(other.append):
            progress.stage("in the worker")

    with progress.reporting(mine.append):
        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
        progress.stage("here")
        with progress.reporting(other.append):  # nested: the inner one, then back
            progress.stage("inner")
        progress.stage("back")
    assert mine == ["here", "back"] and other == ["in the worker", "inner"]
    assert capsys.readouterr() == ("", "")


def test_rows_text() -> None:
    text = progress.rows_text({"orders": 19_952_988, "monthly": 9_400, "customers": None})
    assert text == "orders 19.95M rows, monthly 9,400, customers"


@pytest.mark.asyncio
async def test_tui_top_bar_shows_the_stage_while_loading(tmp_path: Path) -> None:
    from cxtui.tui.app import CxApp
    from cxtui.tui.screens.base import TopBar

    shop, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    bars: list[str] = []

    class Watched(CxApp):
        CSS_PATH = str(Path(sys.modules[CxApp.__module__].__file__).parent / CxApp.CSS_PATH)

        def on_loading_stage(self, message) -> None:
            super().on_loading_stage(message)
            bars.extend(str(bar.render()) for bar in self.screen.query(TopBar))

    app = Watched(shop, cache_dir=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if app.analysis is not None:
                break
            await pilot.pause(0.05)
        assert app.analysis is not None
        await pilot.pause()
        final = str(app.screen.query_one(TopBar).render())
    assert any(re.search(r"loading( \d+ s)?: checking orders…", bar) for bar in bars), bars
    assert any("building the facts: one pass over orders 4 rows" in b for b in bars)
    assert "loading" not in final and "as of 2025-05-30" in final

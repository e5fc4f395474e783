"""Kept pane results (engine.pane_cache_path): a second start on unchanged data
shows the pane on screen before the facts are read, from what the first start
kept; another dataset state, other options or --no-cache do not."""

from __future__ import annotations

import json
import pickle
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from cxtui.tui.app import CxApp
from cxtui.tui.screens.main import MainScreen
from tests.test_cache import ORDERS, add_order, make_shop, write_orders
from tests.test_tui import settle


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """Each pane result shown, and whether the facts were read by then."""
    seen: list[tuple[str, bool]] = []
    original = MainScreen.on_output_ready

    def recorded(self, message) -> None:
        seen.append((message.view_id, self.cx.analysis is not None))
        original(self, message)

    monkeypatch.setattr(MainScreen, "on_output_ready", recorded)
    return seen


def slow_facts(monkeypatch: pytest.MonkeyPatch, gate: threading.Event) -> None:
    """The facts wait for `gate`, so the test sees the app before they are read."""
    from cxtui import engine

    real = engine.analysis_of

    def waiting(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "analysis_of", waiting)


def overview_files(cache: Path) -> list[Path]:
    return sorted(cache.glob("pane-*.pickle"))


async def run_once(shop: Path, cache: Path, **kwargs) -> tuple[CxApp, dict[str, str]]:
    """One start, settled: the app and each pane's title."""
    app = CxApp(shop, cache_dir=cache, **kwargs)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        titles = {}
        for view_id in ("overview", "segments", "churn"):
            out = app.screen.pane(view_id).output
            titles[view_id] = out.title if out.title else out.tables[0].title
    return app, titles


def doctor(cache: Path) -> None:
    """Every kept result's title (and its first table's) marked KEPT."""
    for path in sorted(cache.glob("pane-*.pickle")):
        out = pickle.loads(path.read_bytes())
        tables = [replace(t, title=f"KEPT {t.title}") for t in out.tables]
        path.write_bytes(pickle.dumps(replace(out, title=f"KEPT {out.title}", tables=tables)))


@pytest.mark.asyncio
async def test_second_start_shows_the_kept_pane_before_the_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shown: list[tuple[str, bool]]
) -> None:
    shop, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    await run_once(shop, cache)
    assert shown[0] == ("overview", True)  # nothing kept yet: after the facts
    assert overview_files(cache)
    # what the second start shows first is read from the cache, not computed
    doctor(cache)
    shown.clear()
    gate = threading.Event()
    slow_facts(monkeypatch, gate)
    app = CxApp(shop, cache_dir=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if shown:
                break
            await pilot.pause(0.05)
        assert shown == [("overview", False)]
        pane = app.screen.pane("overview")
        assert pane.output is not None and pane.output.title.startswith("KEPT ")
        # Enter before the facts are read: a note, not a crash
        await pilot.press("3", "enter")
        await pilot.pause(0.1)
        assert app.is_running and app.analysis is None
        gate.set()
        await settle(pilot, app)
        # every pane then comes from its kept result too (same state and options)
        assert app.screen.pane("segments").output.tables[0].title.startswith("KEPT ")


@pytest.mark.asyncio
async def test_changed_data_or_no_cache_do_not_use_kept_panes(tmp_path: Path) -> None:
    shop, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    _, before = await run_once(shop, cache)
    doctor(cache)
    _, kept = await run_once(shop, cache)
    assert all(t.startswith("KEPT ") for t in kept.values()), kept
    _, bypass = await run_once(shop, cache, use_cache=False)
    assert bypass == before
    orders = add_order(ORDERS, "a", ORDERS["order_date"][0], 5.0)
    write_orders(shop / "orders.parquet", orders, later=True)
    _, changed = await run_once(shop, cache)
    assert not any(t.startswith("KEPT ") for t in changed.values()), changed


@pytest.mark.asyncio
async def test_a_pane_is_kept_under_the_state_it_was_computed_from(tmp_path: Path) -> None:
    """Files rewritten while the app is open: a pane computed afterwards (from
    the facts read at the start) is kept under the state the app opened, never
    under the new files' state, which a later start would then trust."""
    from cxtui.data.load import open_dataset
    from cxtui.engine import output_key, pane_cache_path

    shop, cache = make_shop(tmp_path / "shop"), tmp_path / "cache"
    app = CxApp(shop, cache_dir=cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        opened = app.dataset_key
        assert opened == output_key(open_dataset(shop))
        orders = add_order(ORDERS, "a", ORDERS["order_date"][0], 5.0)
        write_orders(shop / "orders.parquet", orders, later=True)
        changed = output_key(open_dataset(shop))
        assert changed != opened
        before = set(cache.glob("pane-*.pickle"))
        for path in before:
            path.unlink()
        app.screen.load("segments")
        await settle(pilot, app)
        shape = json.dumps(app.screen.opts["segments"], sort_keys=True, default=str)
        kept = set(cache.glob("pane-*.pickle"))
        assert kept == {pane_cache_path(opened, cache, "segments", shape, "")}
        assert pane_cache_path(changed, cache, "segments", shape, "") not in kept

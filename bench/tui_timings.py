"""TUI timings of SPEC §5 on one dataset, driven headless through Textual's Pilot.
Run with TEXTUAL_ANIMATIONS=none to leave out the tab underline's animation.

    python bench/tui_timings.py DATA CACHE_DIR

Prints one JSON line of seconds: open (until the first pane has numbers, warm
cache), key (a cursor move until repainted), pane switch, drill (Enter on the
biggest segment until its account list is on screen), scroll to the end of that
list, and account detail. Figures, not assertions (the test suite never times).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from cxtui.tui.app import CxApp
from cxtui.tui.screens.drill import AccountScreen, MembersScreen
from cxtui.tui.widgets.data_view import DataView


async def until(pilot, predicate, timeout: float = 120.0) -> None:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the TUI did not get there")
        await pilot.pause(0.002)


def idle(app) -> bool:
    queued = any(getattr(s, "_pending", None) for s in app.screen_stack)
    return all(w.is_finished for w in app.workers) and not queued


async def main(data: Path, cache: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    app = CxApp(data, cache_dir=cache, use_cache=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot, lambda: getattr(app.screen.query_one("OverviewPanel"), "data", None) is not None
        )
        out["open_first_pane"] = time.perf_counter() - t0
        await until(pilot, lambda: idle(app))
        await pilot.press("2")
        view = app.screen.query_one("#segments", DataView)
        # Pilot's own cost of one key round trip: a key nothing is bound to
        t = time.perf_counter()
        await pilot.press("f12")
        await pilot.pause(0)
        out["pilot_key_overhead"] = time.perf_counter() - t
        t = time.perf_counter()
        await pilot.press("j")
        await pilot.pause(0)
        out["key_repaint"] = time.perf_counter() - t
        # the table's part of a repaint: every visible line drawn again
        t = time.perf_counter()
        for y in range(view.size.height):
            view.render_line(y)
        out["table_render_visible"] = time.perf_counter() - t
        t = time.perf_counter()
        await pilot.press("3")
        await pilot.pause(0)
        out["pane_switch"] = time.perf_counter() - t
        await pilot.press("2", "g")
        await until(pilot, lambda: idle(app))
        biggest = view.table.frame["customers"][0]
        t = time.perf_counter()
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, MembersScreen)
                and app.screen.query_one(DataView).row_count == biggest
            ),
        )
        out["drill_segment"] = time.perf_counter() - t
        out["drill_rows"] = float(biggest)
        t = time.perf_counter()
        await pilot.press("end")
        await pilot.pause(0)
        out["scroll_to_end"] = time.perf_counter() - t
        # The same drill, timed inside the app: Pilot's press waits for the whole
        # app to go idle (~50-200 ms of its own), so also measure from the action
        # to the list being in the table, polling with plain asyncio sleeps.
        await pilot.press("escape")
        await until(pilot, lambda: idle(app))
        segments = app.screen.query_one("#segments", DataView)
        t = time.perf_counter()
        segments.action_select()
        while not (
            isinstance(app.screen, MembersScreen)
            and app.screen.query_one(DataView).row_count == biggest
        ):
            await asyncio.sleep(0.001)
        out["drill_segment_in_app"] = time.perf_counter() - t
        await until(pilot, lambda: idle(app))
        members = app.screen.query_one(DataView)
        t = time.perf_counter()
        members.action_select()
        while not (
            isinstance(app.screen, AccountScreen) and len(app.screen.query("#account Static")) > 0
        ):
            await asyncio.sleep(0.001)
        out["account_detail_in_app"] = time.perf_counter() - t
        await pilot.press("escape")
        await until(pilot, lambda: idle(app))
        await pilot.press("home")
        t = time.perf_counter()
        await pilot.press("enter")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, AccountScreen)
                and len(app.screen.query("#account Static")) > 0
            ),
        )
        out["account_detail"] = time.perf_counter() - t
    return out


if __name__ == "__main__":
    result = asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
    print(json.dumps(result))

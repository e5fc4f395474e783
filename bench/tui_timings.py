"""TUI timings of SPEC §13 on one dataset, measured inside the app.

    python bench/tui_timings.py DATA CACHE_DIR            # one JSON line of figures
    python bench/tui_timings.py DATA CACHE_DIR --open-only  # start, first pane, quit

The app runs headless at 120x40. Keys go in the way a terminal's do (a Key
event handed to the driver), not through Pilot's `press`, which waits for the
whole app to go idle (~50-100 ms of its own per key). Each figure is the time
from handing the key over (or from creating the app) to the first screen
update that shows the result; the update includes rendering the changed lines
to the bytes a terminal would be sent (headless Textual skips only that last
step, so this script does it).

Figures (seconds):
- first_pane_in_app / first_pane_since_start: the Overview's KPIs on screen,
  from creating the app / from the process's start (CXTUI_BENCH_T0, the epoch
  time bench.py launched it; else this script's first line);
- analysis_ready: the dataset opened and the facts read (before any pane's query);
- first_pane_complete: the Overview's trend and distributions as well;
- all_panes_loaded: every pane's numbers (they load one by one, background);
- pane_switch_*: Tab from each pane to the next, over every pane, and the
  number key of the Segments pane;
- cursor_key_*: j / k on the Segments table and on the biggest segment's list;
- drill_*: Enter on the biggest segment until its account list has every row
  and is on screen; account_*: Enter on its first account until the detail is
  mounted and on screen; back_*: Escape until the list is on screen again;
- scroll_to_end: End on that list (its last row on screen).
Repeated measurements report the median and the maximum (`*_all` holds each).
Figures, not assertions: the test suite never times.
"""

from __future__ import annotations

import os
import time

T_START = float(os.environ.get("CXTUI_BENCH_T0") or time.time())
# the tab underline's animation would delay a pane switch's final frame by ~250 ms
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from textual import events  # noqa: E402
from textual._compositor import CompositorUpdate  # noqa: E402

from cxtui.tui.app import CxApp  # noqa: E402
from cxtui.tui.screens.drill import AccountScreen, MembersScreen  # noqa: E402
from cxtui.tui.screens.main import PANES, MainScreen  # noqa: E402
from cxtui.tui.widgets.data_view import DataView  # noqa: E402

REPEATS = 3
CURSOR_KEYS = 6
CHARACTERS = {"enter": "\r", "escape": "\x1b", "tab": "\t", "end": None, "home": None}
TIMEOUT = float(os.environ.get("CXTUI_BENCH_TUI_TIMEOUT", 300))


class TimedApp(CxApp):
    """CxApp that notes every screen update and resolves a waiting predicate at
    the first update after which it holds."""

    # a subclass's relative CSS_PATH would be read beside this script
    CSS_PATH = Path(sys.modules[CxApp.__module__].__file__).with_name(CxApp.CSS_PATH)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.last_paint = 0.0
        self.analysis_at: float | None = None
        self._waiting: list[tuple[Callable[[], bool], asyncio.Future]] = []

    def _display(self, screen, renderable) -> None:
        if renderable is not None and not self._batch_count:
            if isinstance(renderable, CompositorUpdate):
                # what a real driver does next: the update as terminal bytes
                renderable.render_segments(self.console)
            super()._display(screen, renderable)
            self.last_paint = time.perf_counter()
            for predicate, future in list(self._waiting):
                if not future.done() and predicate():
                    future.set_result(self.last_paint)
                    self._waiting.remove((predicate, future))
            return
        super()._display(screen, renderable)

    def on_analysis_ready(self, message) -> None:
        # runs before CxApp's own handler (Textual calls each class's in turn)
        self.analysis_at = time.perf_counter()

    def painted_when(self, predicate: Callable[[], bool]) -> asyncio.Future:
        """A future holding the perf_counter time of the first screen update
        after which `predicate()` is true."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((predicate, future))
        return future

    def send_key(self, key: str) -> float:
        """Hand a key to the driver as a terminal would; returns the time it did."""
        char = CHARACTERS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(self)
        start = time.perf_counter()
        self._driver.send_message(event)
        return start


async def timed_key(app: TimedApp, key: str, predicate: Callable[[], bool]) -> float:
    """Seconds from the key to the first screen update showing `predicate`."""
    await settle(app)
    done = app.painted_when(predicate)
    start = app.send_key(key)
    try:
        end = await asyncio.wait_for(done, TIMEOUT)
    except TimeoutError:
        raise TimeoutError(f"key {key!r} on {type(app.screen).__name__}: never shown") from None
    return end - start


def main_screen(app: TimedApp) -> MainScreen:
    return next(s for s in app.screen_stack if isinstance(s, MainScreen))


def busy(app: TimedApp) -> bool:
    if any(not w.is_finished for w in app.workers):
        return True
    main = [s for s in app.screen_stack if isinstance(s, MainScreen)]
    return bool(main and main[0]._pending)


async def settle(app: TimedApp, quiet: float = 0.05) -> None:
    """Wait until no worker runs, no pane waits to load and the screen has not
    changed for `quiet` seconds."""
    start = time.perf_counter()
    while busy(app) or time.perf_counter() - app.last_paint < quiet:
        if time.perf_counter() - start > TIMEOUT:
            raise TimeoutError("the TUI did not settle")
        await asyncio.sleep(0.005)


async def cursor_keys(app: TimedApp, view: DataView) -> list[float]:
    """j and k in turn on `view` (between its first two rows)."""
    took = []
    for k in range(CURSOR_KEYS):
        key, want = ("j", 1) if k % 2 == 0 else ("k", 0)
        view.cursor_row = 1 - want
        took.append(await timed_key(app, key, lambda w=want: view.cursor_row == w))
    return took


def summarise(out: dict, name: str, values: list[float]) -> None:
    out[f"{name}_median"] = statistics.median(values)
    out[f"{name}_max"] = max(values)
    out[f"{name}_all"] = values


def overview_has(app: TimedApp, complete: bool) -> bool:
    main = [s for s in app.screen_stack if isinstance(s, MainScreen)]
    panels = main[0].query("OverviewPanel") if main else []
    data = getattr(panels[0], "data", None) if panels else None
    return data is not None and (not complete or data.trend is not None)


async def measure(data: Path, cache: Path, open_only: bool) -> dict:
    out: dict = {}
    t0 = time.perf_counter()
    app = TimedApp(data, cache_dir=cache, use_cache=True)
    # both waiting before the app starts: on a small dataset it paints at once
    first = app.painted_when(lambda: overview_has(app, False))
    complete = app.painted_when(lambda: overview_has(app, True))
    async with app.run_test(size=(120, 40)):
        end = await asyncio.wait_for(first, TIMEOUT)
        out["first_pane_in_app"] = end - t0
        if app.analysis_at is not None:
            out["analysis_ready"] = app.analysis_at - t0
        out["first_pane_since_start"] = time.time() - (time.perf_counter() - end) - T_START
        out["first_pane_complete"] = await asyncio.wait_for(complete, TIMEOUT) - t0
        if open_only:
            return out
        await settle(app)
        out["all_panes_loaded"] = time.perf_counter() - t0
        screen = main_screen(app)

        # pane switches: Tab from each pane to the next, round to the first again
        switches, slowest = [], ""
        ids = [v.id for v in PANES]
        for i in range(len(ids)):
            target = ids[(i + 1) % len(ids)]
            took = await timed_key(app, "tab", lambda t=target: screen.current_pane == t)
            if not switches or took > max(switches):
                slowest = target
            switches.append(took)
        summarise(out, "pane_switch_tab", switches)
        out["pane_switch_tab_slowest_pane"] = slowest
        index = ids.index("segments")
        if index < 9:
            out["pane_switch_number_key"] = await timed_key(
                app, str(index + 1), lambda: screen.current_pane == "segments"
            )
        else:
            screen.action_pane("segments")
        segments = screen.query_one("#segments", DataView)
        segments.focus()
        summarise(out, "cursor_key_segments", await cursor_keys(app, segments))

        counts = segments.table.frame["customers"].to_list()
        biggest = max(counts)
        out["drill_rows"] = biggest

        def members_shown() -> bool:
            return (
                isinstance(app.screen, MembersScreen)
                and app.screen.query_one(DataView).row_count == biggest
            )

        def account_shown() -> bool:
            return isinstance(app.screen, AccountScreen) and bool(
                app.screen.query("#account Static")
            )

        drills, accounts, backs = [], [], []
        for _ in range(REPEATS):
            segments.cursor_row = counts.index(biggest)
            drills.append(await timed_key(app, "enter", members_shown))
            members = app.screen
            accounts.append(await timed_key(app, "enter", account_shown))
            backs.append(await timed_key(app, "escape", lambda m=members: app.screen is m))
            if len(drills) < REPEATS:
                await timed_key(app, "escape", lambda: app.screen is screen)
        summarise(out, "drill_segment", drills)
        summarise(out, "account_detail", accounts)
        summarise(out, "back_to_list", backs)
        # the biggest segment's list (the last drill's screen is still open)
        rows = app.screen.query_one(DataView)
        summarise(out, "cursor_key_members", await cursor_keys(app, rows))
        out["scroll_to_end"] = await timed_key(
            app, "end", lambda: rows.cursor_row == rows.row_count - 1
        )
    return out


if __name__ == "__main__":
    result = asyncio.run(measure(Path(sys.argv[1]), Path(sys.argv[2]), "--open-only" in sys.argv))
    print(json.dumps(result))

"""The cxtui Textual app: opens the analysis in a worker, shows the panes, and
holds the actions every screen shares. Keys are declared once, as bindings with
ids; the footer, the `?` help and the command palette are generated from them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from cxtui.commands import Invocation
from cxtui.data.load import Dataset
from cxtui.data.remote import as_location
from cxtui.engine import Analysis
from cxtui.errors import CxError
from cxtui.render import safe_text
from cxtui.tui.messages import AnalysisReady, DatasetOpened, LoadingStage, TableReady
from cxtui.tui.screens.base import DataScreen, TopBar
from cxtui.tui.screens.main import MainScreen

# Where a key works, in the help screen's words.
PLACES = {
    "DataView": "tables",
    "MainScreen": "panes",
    "MembersScreen": "account lists",
    "AccountScreen": "account detail",
}


class CxApp(App):
    TITLE = "cxtui"
    CSS_PATH = "cxtui.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Keys", id="help", key_display="?"),
        Binding("slash", "filter", "Filter", id="filter", key_display="/"),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("e", "export", "Export", id="export"),
        Binding("c", "command", "Command", id="command"),
        Binding("r", "reload", "Reload", id="reload", show=False),
    ]

    def __init__(
        self,
        data: Path,
        *,
        config: Path | None = None,
        as_of: date | None = None,
        where: str | None = None,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        dataset: Dataset | None = None,
    ) -> None:
        super().__init__()
        self.dataset = dataset
        self.dataset_key: str | None = None
        self.invocation = Invocation(as_location(data), config, as_of, where)
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self.analysis: Analysis | None = None
        self.load_error: str | None = None
        self.dataset_stale = False
        # while the analysis opens: the stage it has reached and since when
        self.loading_stage: str | None = None
        self.loading_started = 0.0

    @property
    def probe_cache(self) -> Path | None:
        from cxtui.engine import default_cache_dir

        return (self.cache_dir or default_cache_dir()) if self.use_cache else None

    # ------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        self.push_screen(MainScreen())
        self.open_analysis()

    def open_analysis(self) -> None:
        import time

        self.loading_stage, self.loading_started = None, time.monotonic()
        self._loading_clock = self.set_interval(1.0, self._update_top_bars)
        self.run_worker(
            self._open, thread=True, group="analysis", exclusive=True, exit_on_error=False
        )

    def _open(self) -> None:
        from cxtui.data.load import open_dataset
        from cxtui.engine import analysis_of, output_key
        from cxtui.progress import reporting

        inv = self.invocation
        # the stages reached (checking each table, the facts build's passes, the
        # cache) go to the top bar as they happen
        with reporting(lambda text: self.post_message(LoadingStage(text))):
            if self.dataset is None or (self.analysis is None and self.dataset_stale):
                self.dataset = open_dataset(inv.data, inv.config, inv.as_of, self.probe_cache)
            if self.use_cache:
                # the state the analysis is built from: what panes are kept under
                self.dataset_key = output_key(self.dataset)
            self.post_message(DatasetOpened())  # a kept pane can show before the facts
            # not for_clv: the first pane waits for the facts, the CLV pane can read
            # the orders again later
            analysis = analysis_of(self.dataset, inv.where, self.cache_dir, self.use_cache)
        self.dataset_stale = True  # a reload re-reads the files
        self.post_message(AnalysisReady(analysis))

    def on_dataset_opened(self, message: DatasetOpened) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.show_kept()

    def on_loading_stage(self, message: LoadingStage) -> None:
        if self.analysis is None:
            self.loading_stage = message.text
            self._update_top_bars()

    def _update_top_bars(self) -> None:
        if self.analysis is not None or self.load_error is not None:
            self._loading_clock.stop()
            if self.load_error is not None:
                return
        for screen in self.screen_stack:
            for bar in screen.query(TopBar):
                bar.update(self.top_bar_text())

    def on_analysis_ready(self, message: AnalysisReady) -> None:
        self.analysis = message.analysis
        self.loading_stage = None
        self._update_top_bars()
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                screen.load_all()

    @on(Worker.StateChanged)
    def worker_failed(self, event: Worker.StateChanged) -> None:
        """One place for worker errors: a notification, never a crash."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = str(error) if isinstance(error, CxError) else f"{type(error).__name__}: {error}"
        if event.worker.group == "analysis":
            self.load_error = text
            for bar in self.query(TopBar):
                bar.update(Text(safe_text(f"cannot open {self.invocation.data}: {text}")))
        for screen in self.screen_stack:
            for widget in screen.query(".-loading"):
                widget.loading = False
        self.notify(safe_text(text), severity="error", timeout=10, markup=False)

    def top_bar_text(self) -> Text:
        inv = self.invocation
        text = Text(" cxtui ", style="bold reverse")
        text.append(f" {safe_text(inv.data.name or str(inv.data), 40)}")
        if self.analysis is None:
            import time

            seconds = time.monotonic() - self.loading_started
            clock = f" {seconds:.0f} s" if seconds >= 1 else ""
            stage = f": {self.loading_stage}" if self.loading_stage else ""
            text.append(safe_text(f" · loading{clock}{stage}…"), style="dim")
            return text
        text.append(f" · as of {self.analysis.ds.as_of}")
        if inv.where:
            text.append(" · where ", style="dim")
            text.append(safe_text(inv.where, 60), style="bold")
        if self.analysis.from_cache:
            text.append(" · facts from cache", style="dim")
        store = self.analysis.ds.store
        if store is not None and store.warning:  # an analysis store older than its inputs
            text.append(f" · {safe_text(store.warning, 80)}", style="bold")
        return text

    # ------------------------------------------------------------ shared actions

    def _data_screen(self) -> DataScreen | None:
        screen = self.screen
        if isinstance(screen, DataScreen) and self.analysis is not None:
            return screen
        return None

    def action_filter(self) -> None:
        from cxtui.tui.screens.modals import PromptScreen

        screen = self._data_screen()
        view = screen.active_view() if screen else None
        if screen is None or view is None or view.base is None:
            self.notify("no table to filter here", timeout=2)
            return

        def apply(text: str | None) -> None:
            if text is None:
                return
            view.filter_text = text.strip()
            self._derive(screen, view)

        self.push_screen(
            PromptScreen(
                "Filter rows containing (text columns; empty clears)",
                view.filter_text,
                "e.g. EMEA or Acme",
            ),
            apply,
        )

    def action_sort(self) -> None:
        screen = self._data_screen()
        view = screen.active_view() if screen else None
        column = view.current_column() if view else None
        if screen is None or view is None or column is None:
            self.notify("no table to sort here", timeout=2)
            return
        if view.sort_key == column.key:
            view.sort_desc = not view.sort_desc
        else:
            view.sort_key = column.key
            view.sort_desc = column.numeric  # biggest numbers first, text A→Z
        self._derive(screen, view)

    def _derive(self, screen: DataScreen, view) -> None:
        from cxtui import views

        base, key, desc, text = view.base, view.sort_key, view.sort_desc, view.filter_text

        def work():
            rt = views.sort_table(base, key, desc) if key else base
            return views.filter_table(rt, text)

        screen.run_query(view.id, work, lambda rt: TableReady(view.id, rt, 0, derived=True))

    def action_command(self) -> None:
        from cxtui.tui.screens.modals import CommandScreen

        screen = self._data_screen()
        if screen is None:
            return
        command = screen.cli_command()
        # a value from the data with control characters in it would reach the
        # shell raw on paste: such a command is shown (made safe) but not copied
        copied = command.isprintable()
        if copied:
            self.copy_to_clipboard(command)
        self.push_screen(CommandScreen(command, copied=copied))

    def action_export(self) -> None:
        from cxtui.tui.screens.modals import ConfirmScreen, PromptScreen

        screen = self._data_screen()
        view = screen.active_view() if screen else None
        if screen is None or view is None or view.table is None:
            self.notify("no table to export here (account detail: use `c` for its command)")
            return
        table = view.table
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", screen.export_name()).strip("-") or "view"
        assert self.analysis is not None
        default = Path.cwd() / f"cxtui-{slug}-{self.analysis.ds.as_of}.csv"

        def write(path: Path) -> None:
            self.run_worker(
                lambda: self._write_export(table, path),
                thread=True,
                group="export",
                exit_on_error=False,
            )

        def chosen(text: str | None) -> None:
            if not text:
                return
            path = Path(text).expanduser()
            if path.suffix.lower() not in (".csv", ".parquet"):
                self.notify("export to a .csv or .parquet file", severity="warning")
                return
            if self._is_input(path):
                self.notify("that is one of the input files: choose another path", severity="error")
                return
            if path.exists():
                self.push_screen(
                    ConfirmScreen(f"{path} exists. Overwrite?"),
                    lambda yes: write(path) if yes else None,
                )
            else:
                write(path)

        self.push_screen(PromptScreen("Export to (.csv or .parquet)", str(default)), chosen)

    def _is_input(self, path: Path) -> bool:
        if self.analysis is None:
            return False
        target = path.resolve()
        return any(
            p.resolve() == target for files in self.analysis.ds.sources.values() for p in files
        )

    def _write_export(self, table, path: Path) -> None:
        from cxtui.atomic import write_atomic
        from cxtui.render import to_csv

        try:
            # atomic: a half-written export never replaces a good file
            if path.suffix.lower() == ".parquet":
                write_atomic(path, table.frame.write_parquet)
            else:
                write_atomic(path, lambda tmp: tmp.write_text(to_csv(table), encoding="utf-8"))
        except OSError as exc:
            raise CxError(
                f"cannot write {path}: {exc.strerror}; fix: choose another path"
            ) from None
        self.call_from_thread(
            self.notify, f"wrote {table.frame.height:,} rows to {path}", markup=False
        )

    def action_reload(self) -> None:
        self.analysis = None
        self.open_analysis()

    def action_help(self) -> None:
        from cxtui.tui.screens.modals import HelpScreen

        if not isinstance(self.screen, DataScreen):
            return
        self.push_screen(HelpScreen(self.key_rows(self.screen)))

    def key_rows(self, screen: Screen) -> list[tuple[str, str, str]]:
        """(key, description, where) for every binding active on `screen`."""
        rows: dict[str, tuple[str, str, str]] = {}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description:
                continue
            where = PLACES.get(type(active.node).__name__, "this screen")
            if active.node is self:
                where = "everywhere"
            ident = binding.id or binding.action
            label = binding.key_display or binding.key
            if ident in rows:
                old = rows[ident]
                rows[ident] = (f"{old[0]},{label}", old[1], old[2])
            else:
                rows[ident] = (label, binding.description, where)
        order = {"everywhere": 0, "tables": 2}
        return sorted(rows.values(), key=lambda r: order.get(r[2], 1))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette lists every key's action, from the same bindings."""
        yield from super().get_system_commands(screen)
        if not isinstance(screen, DataScreen):
            return
        seen = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            ident = binding.id or binding.action
            if not binding.description or ident in seen or binding.action == "quit":
                continue
            seen.add(ident)
            node = active.node
            key = binding.key_display or binding.key
            yield SystemCommand(
                binding.description,
                f"key: {key}",
                lambda b=binding, n=node: self.call_later(self.run_action, b.action, n),
            )
        for screen_ in self.screen_stack:
            if isinstance(screen_, MainScreen):
                for title, help_text, callback in screen_.pane_commands():
                    yield SystemCommand(title, help_text, callback)


def run_app(
    data: Path,
    *,
    config: Path | None = None,
    as_of: date | None = None,
    where: str | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
) -> None:
    from cxtui.data.load import open_dataset

    # Bad paths, mappings and --where fail here, as one line and exit 2, before
    # the screen is taken over; the slow part (the facts) runs in a worker.
    from cxtui.engine import default_cache_dir, where_expr
    from cxtui.metrics.facts import customer_facts

    probe_cache = (cache_dir or default_cache_dir()) if use_cache else None
    dataset = open_dataset(data, config, as_of, probe_cache)
    if where:
        where_expr(where, customer_facts(dataset).collect_schema())
    CxApp(
        data,
        config=config,
        as_of=as_of,
        where=where,
        cache_dir=cache_dir,
        use_cache=use_cache,
        dataset=dataset,
    ).run()

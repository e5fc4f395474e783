"""The panes: one per registered view (cxtui/viewdefs/), in registry order.
Everything here is generic: a view's pane, keys, drill-downs and `c` command
come from its definition."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TabbedContent, TabPane

from cxtui import engine
from cxtui.registry import Members, OpenAccount, Opts, Output, View
from cxtui.tui.messages import OutputReady, Ranked
from cxtui.tui.panes import Pane, TablePane, make_pane
from cxtui.tui.screens.base import DataScreen
from cxtui.tui.screens.drill import AccountScreen, MembersScreen
from cxtui.tui.widgets.data_view import DataView
from cxtui.viewdefs import pane_views

PANES: list[View] = pane_views()
NUMBERED = 9  # number keys reach the first nine panes; `p` and the palette reach all


def _pane_bindings() -> list[Binding]:
    out = [
        Binding(str(i), f"pane('{v.id}')", v.title, id=f"pane-{v.id}", show=False)
        for i, v in enumerate(PANES[:NUMBERED], start=1)
    ]
    out += [
        Binding("tab", "next_pane(1)", "Next pane", id="next-pane", priority=True, show=False),
        Binding(
            "shift+tab",
            "next_pane(-1)",
            "Previous pane",
            id="prev-pane",
            priority=True,
            show=False,
        ),
        Binding("p", "pick_pane", "Panes", id="panes"),
    ]
    seen: set[str] = set()
    for view in PANES:  # a view's keys; the first view to declare a key names it
        for pk in view.keys:
            if pk.key not in seen:
                seen.add(pk.key)
                out.append(
                    Binding(
                        pk.key,
                        f"view_key('{pk.key}')",
                        pk.description,
                        id=f"key-{pk.key}",
                        show=pk.show,
                    )
                )
    return out


def tab_label(index: int, view: View) -> str:
    return f"{index} {view.title}" if index <= NUMBERED else view.title


class MainScreen(DataScreen):
    BINDINGS = _pane_bindings()

    def __init__(self) -> None:
        super().__init__()
        self.opts: dict[str, Opts] = {v.id: v.tui_defaults() for v in PANES}
        self._pending: list[Any] = []
        self._resolved = False

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with TabbedContent(initial=f"tab-{PANES[0].id}", id="panes"):
            for i, view in enumerate(PANES, start=1):
                with TabPane(tab_label(i, view), id=f"tab-{view.id}"):
                    yield make_pane(view)
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.set_crumbs([PANES[0].title])
        if self.cx.analysis is not None:
            self.load_all()
        else:
            for view in PANES:
                self.set_loading(view.id, True)

    # ------------------------------------------------------------ loading

    def load_all(self) -> None:
        a = self.analysis
        if not self._resolved:
            for view in PANES:
                if view.resolve is not None:
                    self.opts[view.id] = view.resolve(a, self.opts[view.id])
            self._resolved = True
        # The pane on screen first: on two cores, everything at once would make
        # the first numbers wait for the slowest pane.
        first = self.current_pane
        self.load(first)
        self._pending = [lambda v=v: self.load(v.id) for v in PANES if v.id != first]
        # last, in the background: the ranking that makes account lists a filter
        self._pending.append(self._rank)
        for view in PANES:
            if view.id != first:
                self.set_loading(view.id, True)

    def _rank(self) -> None:
        from cxtui.metrics import panes
        from cxtui.views import MEMBER_COLUMNS

        a = self.analysis
        self.run_query(
            "ranking", lambda: a.ranking(panes.default_top_by(a.scope), MEMBER_COLUMNS), Ranked
        )

    def load(self, view_id: str, stage: int = 0, previous: Output | None = None) -> None:
        """Run a view's pane query (its stage `stage`) in a worker. The last
        stage's result is kept in the cache (`pane_cache_path`: the dataset's
        state, the view's options, --where), and a pane that has one kept for
        the same state shows it at once instead of running its stages."""
        view = self.view(view_id)
        a, opts = self.analysis, dict(self.opts[view_id])
        stages = view.pane_stages or (lambda a, o, _prev: view.run(a, o),)
        last = len(stages) - 1
        fn = stages[stage]

        def work() -> tuple[int, Output]:
            path = self._kept_path(view, opts)
            if stage == 0 and path is not None:
                kept = engine.read_pane_cache(path)
                if kept is not None:
                    return last, kept
            out = fn(a, opts, previous)
            if stage == last and path is not None:
                engine.write_pane_cache(path, replace(out, json=None))  # json: for the CLI
            return stage, out

        self.run_query(view_id, work, lambda done: OutputReady(view_id, *done))

    def _kept_path(self, view: View, opts: Opts):
        """Where the pane's result for `opts` is kept (None: --no-cache)."""
        cx = self.cx
        if not cx.use_cache or cx.dataset_key is None:
            return None
        shape = json.dumps(opts, sort_keys=True, default=str)
        where = cx.invocation.where or ""
        return engine.pane_cache_path(cx.dataset_key, cx.cache_dir, view.id, shape, where)

    def show_kept(self) -> None:
        """Before the facts are read: the pane on screen from its kept result,
        when there is one for this dataset state (a view whose options are
        resolved from the analysis waits for it)."""
        view = self.view(self.current_pane)
        if view.resolve is not None or self.cx.analysis is not None:
            return
        opts = dict(self.opts[view.id])
        last = len(view.pane_stages or (None,)) - 1

        def work() -> None:
            path = self._kept_path(view, opts)
            kept = engine.read_pane_cache(path) if path is not None else None
            if kept is not None and self.cx.analysis is None:
                self.post_message(OutputReady(view.id, last, kept))

        self.run_worker(work, thread=True, group="kept")

    def _load_next(self) -> None:
        if self._pending:
            self._pending.pop(0)()

    def on_failed(self, message) -> None:
        super().on_failed(message)
        self._load_next()

    def on_ranked(self, message: Ranked) -> None:
        self._load_next()

    def on_output_ready(self, message: OutputReady) -> None:
        view = self.view(message.view_id)
        self.set_loading(view.id, False)
        stages = view.pane_stages
        if stages and message.stage + 1 < len(stages):  # refine it next, before the others
            self._pending.insert(0, lambda: self.load(view.id, message.stage + 1, message.output))
        ds = self.cx.dataset if self.cx.analysis is None else self.analysis.ds
        assert ds is not None
        self.pane(view.id).show(message.output, ds.config.currency)
        if self.cx.analysis is not None:
            self._load_next()  # one pane at a time, in the background

    def table_shown(self, view: DataView) -> None:
        pane = self.pane_of(view)
        if isinstance(pane, TablePane):
            pane.table_shown(view)

    def on_data_view_highlighted(self, event: DataView.Highlighted) -> None:
        pane = self.pane_of(event.view)
        if isinstance(pane, TablePane):
            pane.show_detail(event.view, event.row)

    # ------------------------------------------------------------ panes

    def view(self, view_id: str) -> View:
        return next(v for v in PANES if v.id == view_id)

    def pane(self, view_id: str) -> Pane:
        return self.query_one(f"#tab-{view_id}").query_one(Pane)

    def pane_of(self, widget) -> Pane | None:
        return next((a for a in widget.ancestors if isinstance(a, Pane)), None)

    @property
    def current_pane(self) -> str:
        active = self.query_one(TabbedContent).active or f"tab-{PANES[0].id}"
        return active.removeprefix("tab-")

    def action_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{pane}"
        self._focus_pane(pane)

    def action_next_pane(self, step: int) -> None:
        ids = [v.id for v in PANES]
        i = ids.index(self.current_pane)
        self.action_pane(ids[(i + step) % len(ids)])

    def action_pick_pane(self) -> None:
        from cxtui.tui.screens.modals import PickScreen

        labels = {f"{v.group} › {v.title}": v.id for v in PANES}
        current = next(k for k, vid in labels.items() if vid == self.current_pane)

        def chosen(label: str | None) -> None:
            if label:
                self.action_pane(labels[label])

        self.app.push_screen(PickScreen("Go to pane", list(labels), current), chosen)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = (event.pane.id or f"tab-{PANES[0].id}").removeprefix("tab-")
        self._focus_pane(pane)
        self.set_crumbs([self.view(pane).title])
        self.refresh_bindings()  # the footer shows the new pane's keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A view's key is live on its own pane (and, for a key marked
        `anywhere`, on every pane): the footer shows the current pane's keys."""
        if action != "view_key":
            return True
        key = parameters[0] if parameters else None
        current = self.view(self.current_pane)
        if any(k.key == key for k in current.keys):
            return True
        return any(k.key == key and k.anywhere for v in PANES for k in v.keys)

    def _focus_pane(self, pane: str) -> None:
        """Focus the pane's main widget unless focus is already inside the pane
        (focus moving into a pane also activates its tab, so blind focusing
        ping-pongs)."""
        target = self.pane(pane).main
        focused = self.focused
        if focused is not None and (focused is target or target in focused.ancestors):
            return
        if focused is not None and any(a.id == f"tab-{pane}" for a in focused.ancestors_with_self):
            return
        target.focus(scroll_visible=False)

    def active_view(self) -> DataView | None:
        focused = self.focused
        if isinstance(focused, DataView):
            return focused
        found = self.query(f"#{self.current_pane}").first()
        return found if isinstance(found, DataView) else None

    def pane_commands(self) -> list[tuple[str, str, Any]]:
        """The palette's "go to" entries, one per pane."""
        return [
            (f"Go to {v.title}", f"{v.group} pane", lambda vid=v.id: self.action_pane(vid))
            for v in PANES
        ]

    # ------------------------------------------------------------ a view's keys

    def action_view_key(self, key: str) -> None:
        """A key that changes a pane's options: the current pane's, else the pane
        whose key works from anywhere (`d` from the Overview goes to Segments)."""
        if self.cx.analysis is None:
            self.notify("still reading the facts: try again in a moment", timeout=2)
            return
        current = self.view(self.current_pane)
        view = current if any(k.key == key for k in current.keys) else None
        view = view or next(v for v in PANES if any(k.key == key and k.anywhere for k in v.keys))
        pk = next(k for k in view.keys if k.key == key)
        opts = self.opts[view.id]

        def apply(value: str | None) -> None:
            if value is None:
                return
            self.opts[view.id] = pk.new_opts(self.opts[view.id], value)
            self.action_pane(view.id)
            self.load(view.id)

        if pk.cycle:
            option = next(o for o in view.options if o.name == pk.option)
            values = list(option.choices or ())
            now = pk.current_value(opts)
            apply(values[(values.index(now) + 1) % len(values)] if now in values else values[0])
            return
        from cxtui.tui.screens.modals import PickScreen

        assert pk.choices is not None
        choices = pk.choices(self.analysis, opts)
        title = pk.title or pk.description
        self.app.push_screen(PickScreen(title, choices, pk.current_value(opts)), apply)

    # ------------------------------------------------------------ drill-down

    def drill(self, view: DataView, row: dict[str, Any]) -> None:
        from cxtui.registry import DrillContext

        if self.cx.analysis is None:  # a kept pane shown before the facts are read
            self.notify("still reading the facts: try again in a moment", timeout=2)
            return

        pane = self.pane_of(view)
        target = None
        if pane is not None and pane.view.drill is not None:
            column = view.current_column()
            ctx = DrillContext(
                self.analysis,
                self.opts[pane.view.id],
                self.cx.invocation,
                pane.table_index(view),
                row,
                column.key if column is not None else None,
            )
            target = pane.view.drill(ctx)
        if isinstance(target, Members):
            self.app.push_screen(
                MembersScreen(target.crumbs, target.load, target.command, target.export_name)
            )
        elif isinstance(target, OpenAccount):
            self.app.push_screen(AccountScreen(target.crumbs, target.customer_id))
        else:
            self.notify("nothing to open here", timeout=2)

    # ------------------------------------------------------------ commands

    def cli_command(self) -> str:
        view = self.view(self.current_pane)
        focused = self.focused
        pane = self.pane(view.id)
        table = pane.table_index(focused) if isinstance(focused, DataView) else 0
        args = view.command_args(self.opts[view.id], table)
        return self.cx.invocation.command(view.id, *args)

    def export_name(self) -> str:
        return self.view(self.current_pane).export_slug(self.opts[self.current_pane])

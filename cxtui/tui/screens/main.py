"""The five panes (SPEC §4): Overview · Segments · Top customers · Churn · At risk."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static, TabbedContent, TabPane

from cxtui import views
from cxtui.metrics import panes
from cxtui.metrics.periods import shift_days
from cxtui.render import safe_text
from cxtui.commands import churned_clause, match_clause
from cxtui.tui.screens.base import DataScreen
from cxtui.tui.widgets.data_view import DataView
from cxtui.tui.widgets.overview import OverviewData, OverviewPanel

PANES: tuple[tuple[str, str], ...] = (
    ("overview", "Overview"),
    ("segments", "Segments"),
    ("top", "Top customers"),
    ("churn", "Churn"),
    ("at-risk", "At risk"),
)
CHURN_WINDOW = ("12m", 365)
AT_RISK_MIN_SCORE = 25


def _label(value: Any) -> str:
    return "(none)" if value is None else str(value)


class MainScreen(DataScreen):
    BINDINGS = [
        *(
            Binding(str(i), f"pane('{pid}')", title, id=f"pane-{pid}", show=False)
            for i, (pid, title) in enumerate(PANES, start=1)
        ),
        Binding("tab", "next_pane(1)", "Next pane", id="next-pane", priority=True, show=False),
        Binding(
            "shift+tab",
            "next_pane(-1)",
            "Previous pane",
            id="prev-pane",
            priority=True,
            show=False,
        ),
        Binding("d", "dimension", "Dimension", id="dimension"),
        Binding("x", "cross_tab", "Cross-tab", id="cross-tab", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.dims: list[str] = []
        self._pending: list[Any] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with TabbedContent(initial="tab-overview", id="panes"):
            for i, (pid, title) in enumerate(PANES, start=1):
                with TabPane(f"{i} {title}", id=f"tab-{pid}"):
                    if pid == "overview":
                        yield OverviewPanel(id="overview")
                        continue
                    yield Static("", id=f"{pid}-title", classes="pane-title")
                    yield DataView(id=pid)
                    if pid == "churn":
                        yield Static("Churn by month", classes="pane-title")
                        yield DataView(id="churn-trend", classes="small")
                    yield Static("", id=f"{pid}-footer", classes="pane-footer")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.set_crumbs(["Overview"])
        if self.cx.analysis is not None:
            self.load_all()
        else:
            for pid, _ in PANES:
                self.set_loading(pid, True)

    # ------------------------------------------------------------ loading

    def load_all(self) -> None:
        a = self.analysis
        if not self.dims:
            dims = views.dimensions(a)
            self.dims = [dims[0]] if dims else []
        # The pane on screen first: on two cores, everything at once would make
        # the first numbers wait for the slowest pane.
        loaders = {
            "overview": lambda: self.run_query("overview", lambda: _overview_data(a)),
            "segments": self.load_segments,
            "top": lambda: self.run_query("top", lambda: views.top_table(a, None, None)),
            "churn": self._load_churn,
            "at-risk": lambda: self.run_query(
                "at-risk", lambda: views.at_risk_table(a, None, AT_RISK_MIN_SCORE)[0]
            ),
        }
        first = self.current_pane
        loaders.pop(first)()
        self._pending = list(loaders.values())
        # last, in the background: the ranking that makes segment drill-downs a filter
        self._pending.append(
            lambda: self.run_query(
                "ranking", lambda: a.ranked(panes.default_top_by(a.scope)) is None
            )
        )
        for pid, _ in PANES:
            if pid != first:
                self.set_loading(pid, True)

    def _load_next(self) -> None:
        if self._pending:
            self._pending.pop(0)()

    def _load_churn(self) -> None:
        a = self.analysis
        self.run_query("churn", lambda: views.churn_table(a, CHURN_WINDOW[1], CHURN_WINDOW[0]))
        self.run_query("churn-trend", lambda: views.churn_trend_table(a))

    def load_segments(self, cursor_row: int | None = None) -> None:
        a, dims = self.analysis, list(self.dims)
        if dims:
            self.run_query("segments", lambda: views.segments_table(a, dims), cursor_row)

    def on_failed(self, message) -> None:
        super().on_failed(message)
        self._load_next()

    def show(self, target: str, payload: Any, cursor_row: int | None) -> None:
        if target == "overview" and payload.trend is None:
            a = self.analysis
            self._pending.insert(
                0, lambda: self.run_query("overview-extras", lambda: _overview_extras(a, payload))
            )
        if target != "churn-trend":
            self._load_next()  # one pane at a time, in the background
        if target == "ranking":
            return
        if target in ("overview", "overview-extras"):
            self.query_one(OverviewPanel).show(payload)
            return
        super().show(target, payload, cursor_row)
        view = self.query(f"#{target}").first()
        if isinstance(view, DataView) and view.table is not None:
            for title in self.query(f"#{target}-title"):
                title.update(Text(safe_text(view.table.title)))
            for footer in self.query(f"#{target}-footer"):
                rows = f"{view.row_count:,} rows"
                if view.filter_text:
                    rows += f" matching {view.filter_text!r}"
                note = f" · {view.table.footer}" if view.table.footer else ""
                footer.update(Text(safe_text(rows + note)))

    def on_data_view_highlighted(self, event: DataView.Highlighted) -> None:
        """At risk: the highlighted account's signals stay readable under the
        table whatever the width (the column itself may be off to the right)."""
        if event.view.id != "at-risk" or event.view.table is None:
            return
        signals = (event.row or {}).get("signals")
        detail = Text()
        if event.row is not None:
            who = event.row.get("name") or event.row.get("customer_id")
            detail.append(f"{safe_text(who, 40)}: ", style="bold")
            detail.append(safe_text(signals) if signals else "no signal fires")
            detail.append("\n")
        rows = f"{event.view.row_count:,} rows"
        if event.view.filter_text:
            rows += f" matching {event.view.filter_text!r}"
        note = f" · {event.view.table.footer}" if event.view.table.footer else ""
        detail.append(safe_text(rows + note))
        for footer in self.query("#at-risk-footer"):
            footer.update(detail)

    # ------------------------------------------------------------ panes

    @property
    def current_pane(self) -> str:
        active = self.query_one(TabbedContent).active or "tab-overview"
        return active.removeprefix("tab-")

    def action_pane(self, pane: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{pane}"
        self._focus_pane(pane)

    def action_next_pane(self, step: int) -> None:
        ids = [p for p, _ in PANES]
        i = ids.index(self.current_pane)
        self.action_pane(ids[(i + step) % len(ids)])

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = (event.pane.id or "tab-overview").removeprefix("tab-")
        self._focus_pane(pane)
        self.set_crumbs([dict(PANES)[pane]])

    def _focus_pane(self, pane: str) -> None:
        """Focus the pane's table unless focus is already inside the pane (focus
        moving into a pane also activates its tab, so blind focusing ping-pongs)."""
        target = self.query_one(f"#{pane}")
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

    # ------------------------------------------------------------ dimension

    def action_dimension(self) -> None:
        from cxtui.tui.screens.modals import PickScreen

        def chosen(dim: str | None) -> None:
            if dim:
                self.dims = [dim, *[d for d in self.dims[1:] if d != dim]]
                self.action_pane("segments")
                self.load_segments()

        choices = views.dimensions(self.analysis)
        self.app.push_screen(
            PickScreen("Segment by", choices, self.dims[0] if self.dims else None), chosen
        )

    def action_cross_tab(self) -> None:
        from cxtui.tui.screens.modals import PickScreen

        none = "(no second dimension)"

        def chosen(dim: str | None) -> None:
            if dim:
                self.dims = self.dims[:1] if dim == none else [self.dims[0], dim]
                self.action_pane("segments")
                self.load_segments()

        choices = [none, *[d for d in views.dimensions(self.analysis) if d not in self.dims[:1]]]
        current = self.dims[1] if len(self.dims) > 1 else none
        self.app.push_screen(PickScreen("Cross-tab with", choices, current), chosen)

    # ------------------------------------------------------------ drill-down

    def drill(self, view: DataView, row: dict[str, Any]) -> None:
        from cxtui.tui.screens.drill import AccountScreen, MembersScreen

        a = self.analysis
        inv = self.cx.invocation
        if view.id == "segments":
            dims = list(self.dims)
            values = [row[d] for d in dims]
            label = " × ".join(_label(v) for v in values)
            title = f"{label}: {row['customers']:,} customers"
            clause = match_clause(dims, values)
            self.app.push_screen(
                MembersScreen(
                    [views.segments_title(dims), label],
                    lambda: views.segment_members_table(a, dims, values, title),
                    inv.command("top", "-n", str(row["customers"]), where=clause),
                    f"segment-{label}",
                )
            )
        elif view.id == "churn":
            reason = row["reason"]
            title = f"Churned in the last {CHURN_WINDOW[0]}: {reason}"
            clause = churned_clause(
                reason,
                "churn_reason" in a.facts.columns,
                panes.churn_source(a.ds) not in ("is_active", "none"),
                shift_days(a.ds.as_of, -CHURN_WINDOW[1]),
                a.ds.as_of,
            )
            self.app.push_screen(
                MembersScreen(
                    ["Churn", str(reason)],
                    lambda: views.churned_members_table(a, CHURN_WINDOW[1], reason, title),
                    inv.command("top", "-n", str(row["churned_customers"]), where=clause),
                    f"churned-{reason}",
                )
            )
        elif view.id in ("top", "at-risk") and row.get("customer_id") is not None:
            name = row.get("name") or row["customer_id"]
            crumb = dict(PANES)[view.id]
            self.app.push_screen(AccountScreen([crumb, str(name)], row["customer_id"]))
        else:
            self.notify("nothing to open here", timeout=2)

    # ------------------------------------------------------------ commands

    def cli_command(self) -> str:
        inv = self.cx.invocation
        pane = self.current_pane
        if pane == "segments":
            return inv.command("segments", "--by", ",".join(self.dims))
        if pane == "churn":
            focused = self.focused
            if isinstance(focused, DataView) and focused.id == "churn-trend":
                return inv.command("churn", "--trend")
            return inv.command("churn", "--window", CHURN_WINDOW[0])
        if pane == "at-risk":
            return inv.command("at-risk", "-n", "1000000", "--min-score", str(AT_RISK_MIN_SCORE))
        if pane == "top":
            return inv.command("top", "-n", "1000000")
        return inv.command("overview")

    def export_name(self) -> str:
        if self.current_pane == "segments":
            return "segments-" + "-".join(self.dims)
        return self.current_pane


def _overview_data(a) -> OverviewData:
    """The KPIs alone: on screen first, the trend and distributions follow."""
    return OverviewData(views.overview_object(a), None, [], a.ds.config.currency)


def _overview_extras(a, kpis: OverviewData) -> OverviewData:
    dims = [d for d in ("region", "revenue_tier") if d in a.facts.columns]
    trend, distributions = views.overview_extras(a, dims)
    return OverviewData(kpis.overview, trend, distributions, kpis.currency)

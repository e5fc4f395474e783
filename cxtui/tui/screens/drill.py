"""Drill-down screens: an account list (a segment's members, a churn reason's
accounts) and one account's detail. Escape/Backspace pops back to the exact
row you left (the screen below keeps its cursor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Sparkline, Static

from cxtui import views
from cxtui.render import ResultTable, format_value, safe_text
from cxtui.tui.messages import AccountReady
from cxtui.tui.screens.base import DataScreen
from cxtui.tui.widgets.data_view import DataView

BACK = Binding("escape,backspace", "back", "Back", id="back")


class MembersScreen(DataScreen):
    BINDINGS = [BACK]

    def __init__(
        self,
        crumbs: list[str],
        loader: Callable[[], ResultTable],
        command: str,
        export_name: str,
    ) -> None:
        super().__init__()
        self._crumbs = crumbs
        self.loader = loader
        self.command = command
        self._export_name = export_name

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="members-title", classes="pane-title")
        yield DataView(id="members")
        yield Static("", id="members-footer", classes="pane-footer")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.set_crumbs(self._crumbs)
        self.query_one(DataView).focus()
        self.load_table("members", self.loader)

    def table_shown(self, view: DataView) -> None:
        if view.table is not None:
            self.query_one("#members-title", Static).update(Text(safe_text(view.table.title)))
            rows = f"{view.row_count:,} accounts"
            if view.filter_text:
                rows += f" matching {view.filter_text!r}"
            self.query_one("#members-footer", Static).update(Text(safe_text(rows)))

    def drill(self, view: DataView, row: dict[str, Any]) -> None:
        name = row.get("name") or row["customer_id"]
        self.app.push_screen(AccountScreen([*self._crumbs, str(name)], row["customer_id"]))

    def action_back(self) -> None:
        self.app.pop_screen()

    def cli_command(self) -> str:
        return self.command

    def export_name(self) -> str:
        return self._export_name


HISTORY_SERIES = (
    ("MRR", "mrr", "money"),
    ("Logins", "logins", "int"),
    ("Tickets", "support_tickets", "int"),
    ("NPS", "nps", "float"),
)


class AccountScreen(DataScreen):
    BINDINGS = [BACK]

    def __init__(self, crumbs: list[str], customer_id: str) -> None:
        super().__init__()
        self._crumbs = crumbs
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield VerticalScroll(id="account", can_focus=True)
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        self.set_crumbs(self._crumbs)
        self.query_one("#account").focus()
        a, cid = self.analysis, self.customer_id
        self.run_query("account", lambda: views.account_result(a, cid), AccountReady)

    def on_account_ready(self, message: AccountReady) -> None:
        from cxtui.render.account import account_renderables

        self.set_loading("account", False)
        payload = message.account
        container = self.query_one("#account", VerticalScroll)
        container.remove_children()
        currency = self.analysis.ds.config.currency
        parts = account_renderables(payload, currency, max(self.size.width - 2, 60))
        widgets: list[Any] = [Static(parts[0]), *self._sparklines(payload)]
        widgets += [Static(p) for p in parts[1:]]
        container.mount_all(widgets)
        self.account = payload

    def _sparklines(self, acc) -> list[Any]:
        monthly = acc.history.get("monthly")
        if monthly is None or monthly.height == 0:
            return []
        out: list[Any] = [Label("Monthly timeline (oldest → newest)", classes="section")]
        frame = monthly.sort("month") if "month" in monthly.columns else monthly
        for label, key, kind in HISTORY_SERIES:
            if key not in frame.columns:
                continue
            values = [v for v in frame[key].to_list() if v is not None]
            if not values:
                continue
            last = frame[key].to_list()[-1]
            out.append(
                Horizontal(
                    Label(label, classes="spark-label"),
                    Sparkline([float(v) for v in values]),
                    Label(format_value(last, kind), classes="spark-value"),
                    classes="spark-row",
                )
            )
        return out

    def action_back(self) -> None:
        self.app.pop_screen()

    def active_view(self) -> DataView | None:
        return None

    def cli_command(self) -> str:
        return self.cx.invocation.command("account", self.customer_id)

    def export_name(self) -> str:
        return f"account-{self.customer_id}"

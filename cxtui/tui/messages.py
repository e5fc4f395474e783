"""Typed messages that thread workers post back to the UI thread (a worker never
touches a widget): one class per kind of result, handled by name
(`on_table_ready`, `on_output_ready`, …)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from cxtui.engine import Analysis
    from cxtui.registry import Output
    from cxtui.render import ResultTable
    from cxtui.views import Account


class AnalysisReady(Message):
    """The dataset is open and its facts are built."""

    def __init__(self, analysis: Analysis) -> None:
        super().__init__()
        self.analysis = analysis


class DatasetOpened(Message):
    """The dataset is open (its facts are not read yet)."""


class LoadingStage(Message):
    """Opening the analysis has reached `text` (`cxtui.progress.stage`)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class OutputReady(Message):
    """A stage of a view's pane query finished (`stage` 0 first)."""

    def __init__(self, view_id: str, stage: int, output: Output) -> None:
        super().__init__()
        self.view_id = view_id
        self.stage = stage
        self.output = output


class TableReady(Message):
    """A table for the DataView `target`: a fresh query (`derived` False clears its
    sort and filter) or a sorted / filtered version of the one it shows."""

    def __init__(
        self, target: str, table: ResultTable, cursor_row: int = 0, derived: bool = False
    ) -> None:
        super().__init__()
        self.target = target
        self.table = table
        self.cursor_row = cursor_row
        self.derived = derived


class AccountReady(Message):
    def __init__(self, account: Account) -> None:
        super().__init__()
        self.account = account


class Ranked(Message):
    """The facts are ranked for account lists (the drill-downs are filters now)."""


class Failed(Message):
    def __init__(self, target: str, error: str) -> None:
        super().__init__()
        self.target = target
        self.error = error

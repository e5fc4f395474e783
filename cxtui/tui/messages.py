"""Messages that thread workers post back to the UI thread (never touch widgets
from a worker)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from cxtui.engine import Analysis


class AnalysisReady(Message):
    def __init__(self, analysis: Analysis) -> None:
        super().__init__()
        self.analysis = analysis


class Loaded(Message):
    """A pane's or screen's query finished: `payload` goes to `target`."""

    def __init__(self, target: str, payload: Any, cursor_row: int | None = None) -> None:
        super().__init__()
        self.target = target
        self.payload = payload
        self.cursor_row = cursor_row


class Failed(Message):
    def __init__(self, target: str, error: str) -> None:
        super().__init__()
        self.target = target
        self.error = error

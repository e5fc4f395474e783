"""What screens need from the app, as a protocol: screens name it instead of the
app class, so the app and its screens do not import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.text import Text

    from cxtui.commands import Invocation
    from cxtui.engine import Analysis


class AppContext(Protocol):
    analysis: Analysis | None
    invocation: Invocation

    def top_bar_text(self) -> Text: ...

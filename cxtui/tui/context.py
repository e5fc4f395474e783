"""What screens need from the app, as a protocol: screens name it instead of the
app class, so the app and its screens do not import each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from rich.text import Text

    from cxtui.commands import Invocation
    from cxtui.data.load import Dataset
    from cxtui.engine import Analysis


class AppContext(Protocol):
    analysis: Analysis | None
    dataset: Dataset | None  # opened before the analysis (its facts) is ready
    dataset_key: str | None  # its state when opened (`engine.output_key`): kept panes' key
    invocation: Invocation
    use_cache: bool
    cache_dir: Path | None

    def top_bar_text(self) -> Text: ...

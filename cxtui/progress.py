"""The stages of slow work (opening a dataset, the facts build, the cache write)
for whoever shows them: the CLI's spinner on stderr and the TUI's top bar.

The work calls `stage("…")` as it goes; a caller that shows progress wraps the
work in `reporting(listener)`. Listeners are per thread (the TUI opens the
analysis in a worker thread while the UI thread draws), and `stage` without
one costs a lookup, so headless callers and tests see nothing. Work handed to
a pool's threads takes the listener along with `carried(fn)`; a listener may
then be called from several threads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


@contextlib.contextmanager
def reporting(listener: Callable[[str], None]) -> Iterator[None]:
    """Hand every `stage` called in this thread to `listener` while inside."""
    previous = getattr(_local, "listener", None)
    _local.listener = listener
    try:
        yield
    finally:
        _local.listener = previous


def stage(text: str) -> None:
    """The work in this thread has reached `text` (e.g. "reading orders")."""
    listener = getattr(_local, "listener", None)
    if listener is not None:
        listener(text)


def carried(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn` to run in another thread (a pool's), reporting its stages to this
    thread's listener."""
    listener = getattr(_local, "listener", None)
    if listener is None:
        return fn

    def run(*args: Any, **kwargs: Any) -> T:
        with reporting(listener):
            return fn(*args, **kwargs)

    return run


def rows_text(counts: dict[str, int | None]) -> str:
    """ "orders 19.95M rows, monthly 9.40M, customers 3" (short enough for a top
    bar; a table whose count is not known: its name alone)."""
    parts = []
    for i, (name, rows) in enumerate(counts.items()):
        if rows is None:
            parts.append(name)
            continue
        n = f"{rows / 1e6:.2f}M" if rows >= 1_000_000 else f"{rows:,}"
        parts.append(f"{name} {n}" + (" rows" if i == 0 else ""))
    return ", ".join(parts)

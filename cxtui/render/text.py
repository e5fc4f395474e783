"""Text from the data made safe to show, and every value formatted one way.

Names, reasons and comments come from files we do not control: they are shown
literally. Rich markup is never parsed (callers build `Text` objects), and
terminal control characters are made visible here, so that an ESC sequence in a
customer name can neither clear the screen nor recolour the table.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from typing import Any


def _shown(ch: str) -> str:
    """One character that is not printable, made safe by its Unicode category:
    controls (C0, C1: ESC, BEL, CSI 0x9b) shown as `\\xNN`; line and paragraph
    separators as `\\n`; format characters (bidi overrides and isolates, zero-
    width characters, soft hyphen, Arabic letter mark, tag characters) removed,
    as they reorder or hide text; lone surrogates replaced. Anything else that
    `str.isprintable` rejects (no-break and other spaces) is harmless and kept."""
    category = unicodedata.category(ch)
    if category == "Cc":
        return f"\\x{ord(ch):02x}"
    if category in ("Zl", "Zp"):
        return "\\n"
    if category == "Cf":
        return ""
    if category == "Cs":
        return "\ufffd"
    return ch


def safe_text(value: Any, max_len: int | None = None) -> str:
    """`value` as one printable line: controls shown as `\\xNN`, tabs and newlines
    as `\\t` / `\\n`, invisible format characters removed (see `_shown`); cut to
    `max_len` characters with an ellipsis."""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = text.replace("\t", "\\t").replace("\r\n", "\\n").replace("\n", "\\n")
        text = "".join(ch if ch.isprintable() else _shown(ch) for ch in text)
    if max_len is not None and len(text) > max_len:
        text = text[: max(max_len - 1, 0)] + "…"
    return text


MISSING = "—"


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: Any, kind: str = "text", currency: str = "$") -> str:
    """One formatter for CLI tables, Markdown and the TUI.

    kinds: int, money, pct (a ratio: 0.123 → 12.3%), score, float, date, id, text.
    """
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if kind == "int" and isinstance(value, int | float):
        return f"{value:,.0f}"
    if kind == "money" and isinstance(value, int | float):
        mag = round(abs(value), 2)  # rounded first: 99.999 is "$100", not "$100.00"
        sign = "-" if value < 0 and mag else ""
        body = f"{mag:,.2f}" if mag < 100 and mag != int(mag) else f"{mag:,.0f}"
        return f"{sign}{currency}{body}"
    if kind == "pct" and isinstance(value, int | float):
        return f"{value * 100:,.1f}%"
    if kind == "score" and isinstance(value, int | float):
        return f"{value:,.0f}"
    if kind == "float" and isinstance(value, int | float):
        return f"{value:,.1f}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return safe_text(value)

"""Date arithmetic of SPEC §1 "as_of and windows" and §6 "Dates"."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

WINDOW_DAYS = {"30d": 30, "90d": 90, "12m": 365}


def window_start(as_of: date, days: int) -> date:
    """Windows are (as_of − days, as_of]: this is the excluded lower bound."""
    return shift_days(as_of, -days)


def shift_days(d: date, days: int) -> date:
    """`d` + `days`, held within the calendar Python can represent (years 1–9999):
    a window reaching before year 1 starts there, a date after 9999-12-31 stops
    there. Data may hold such dates (a bad row) and --as-of may name them."""
    try:
        return d + timedelta(days=days)
    except OverflowError:
        return date.min if days < 0 else date.max


def parse_window(text: str) -> int:
    """'30d' → 30, '12m' → 365, '6m' → 6 × 365 / 12 rounded, '2y' → 730."""
    text = text.strip().lower()
    if text in WINDOW_DAYS:
        return WINDOW_DAYS[text]
    if 2 <= len(text) <= 7 and text[:-1].isdigit():  # up to 99999d / 999999y
        n, unit = int(text[:-1]), text[-1]
        if n > 0 and unit == "d":
            return n
        if n > 0 and unit == "m":
            return round(n * 365 / 12)
        if n > 0 and unit == "y":
            return n * 365
    raise ValueError(f"bad window {text!r}; fix: use e.g. 30d, 90d, 12m, 2y")


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """Calendar months with the day clamped (2025-03-31 − 1 month = 2025-02-28);
    held within years 1–9999 like `shift_days`."""
    total = d.year * 12 + (d.month - 1) + months
    if total < 12:
        return date.min
    if total >= 10_000 * 12:
        return date.max
    year, month = divmod(total, 12)
    month += 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def next_month_start(d: date) -> date:
    return shift_days(month_end(d), 1)

"""The canonical tables of SPEC §1: column names, kinds and which are required."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# "date" is a calendar date; "datetime" an instant kept to the microsecond (ticket
# response and resolution times are hours apart, not days): see load._instant.
Kind = Literal["str", "date", "datetime", "float", "bool"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False


def _cols(*spec: tuple[str, Kind] | tuple[str, Kind, bool]) -> dict[str, Column]:
    return {s[0]: Column(s[0], s[1], bool(s[2]) if len(s) > 2 else False) for s in spec}


SCHEMA: dict[str, dict[str, Column]] = {
    "customers": _cols(
        ("customer_id", "str", True),
        ("name", "str"),
        ("segment", "str"),
        ("plan", "str"),
        ("region", "str"),
        ("country", "str"),
        ("industry", "str"),
        ("channel", "str"),
        ("owner", "str"),
        ("signup_date", "date"),
        ("churn_date", "date"),
        ("churn_reason", "str"),
        ("is_active", "bool"),
        ("annual_revenue", "float"),
        ("renewal_date", "date"),
    ),
    "orders": _cols(
        ("customer_id", "str", True),
        ("order_date", "date", True),
        ("amount", "float", True),
        ("order_id", "str"),
        ("quantity", "float"),
    ),
    "monthly": _cols(
        ("customer_id", "str", True),
        ("month", "date", True),
        ("mrr", "float", True),
        ("logins", "float"),
        ("features_used", "float"),
        ("support_tickets", "float"),
        ("nps", "float"),
        ("status", "str"),
    ),
    "events": _cols(
        ("customer_id", "str", True),
        ("ts", "date", True),
        ("event_type", "str", True),
        ("value", "float"),
    ),
    "feedback": _cols(
        ("customer_id", "str", True),
        ("date", "date", True),
        ("score", "float", True),
        ("csat", "float"),
        ("comment", "str"),
        ("topic", "str"),
    ),
    "spend": _cols(
        ("month", "date", True),
        ("channel", "str", True),
        ("amount", "float", True),
    ),
    "tickets": _cols(
        ("customer_id", "str", True),
        ("created_at", "date", True),
        ("first_response_at", "datetime"),
        ("resolved_at", "datetime"),
        ("topic", "str"),
        ("status", "str"),
    ),
}

# Date columns whose instant is kept beside the calendar date, under this name:
# tickets.created_at counts by its date for windows and the as_of cut (as every
# table's date does), and by its time for the response hours.
INSTANTS = {("tickets", "created_at"): "created_time"}

# Tables whose extra (non-canonical) columns are kept: customer attributes are
# dimensions, and derived customers take attributes from the latest monthly row.
KEEP_EXTRA_COLUMNS = frozenset({"customers", "monthly"})

# Monthly columns that are metrics, not customer attributes.
MONTHLY_METRICS = frozenset(
    {"customer_id", "month", "mrr", "logins", "features_used", "support_tickets", "nps", "status"}
)

# Columns no metric or view reads (canonical for mapping and validate). Opening a
# dataset does not scan them for NaN / inf (events.value: 0.17 s on M, for a
# note about values nothing uses); `cxtui validate` still does.
UNREAD_COLUMNS = frozenset({("events", "value")})

# Float columns the facts pass reads row by row: opening a Parquet dataset leaves
# their NaN / inf count to that pass instead of scanning them once more (orders'
# amount: 0.15 s on M); `cxtui validate` scans them itself.
COUNTED_BY_FACTS = frozenset(
    {
        ("orders", "amount"),
        ("monthly", "mrr"),
        ("monthly", "logins"),
        ("monthly", "features_used"),
        ("monthly", "support_tickets"),
        ("monthly", "nps"),
        ("feedback", "score"),
    }
)

# The date column of each table that "nothing dated after as_of" applies to.
DATE_COLUMN = {
    "orders": "order_date",
    "monthly": "month",
    "events": "ts",
    "feedback": "date",
    "spend": "month",
    "tickets": "created_at",
}

# Tables whose latest date does not move the default as_of: SPEC §1 lists the
# dates as_of is taken from, and tickets (SPEC §9) are not among them.
NOT_FOR_AS_OF = frozenset({"tickets"})

"""Every view's definition, one module each. Importing this package registers
them; the order of the lines below is the order of the TUI's panes."""

# ruff: noqa: F401, I001  (the order is the panes' order, not the alphabet's)
from cxtui.viewdefs import overview
from cxtui.viewdefs import insights
from cxtui.viewdefs import segments
from cxtui.viewdefs import top
from cxtui.viewdefs import churn
from cxtui.viewdefs import at_risk
from cxtui.viewdefs import retention
from cxtui.viewdefs import revenue
from cxtui.viewdefs import cohorts
from cxtui.viewdefs import trends
from cxtui.viewdefs import migration
from cxtui.viewdefs import acquisition
from cxtui.viewdefs import clv
from cxtui.viewdefs import satisfaction
from cxtui.viewdefs import support
from cxtui.viewdefs import engagement
from cxtui.viewdefs import lift
from cxtui.viewdefs import flows

from cxtui.registry import View, registered


def all_views() -> list[View]:
    """Every view, in the order of the panes."""
    return registered()


def get(view_id: str) -> View:
    return next(v for v in registered() if v.id == view_id)


def pane_views() -> list[View]:
    return [v for v in registered() if v.in_tui]

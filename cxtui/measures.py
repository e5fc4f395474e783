"""The catalog of measures: every key a view can show, with its label, its kind,
its priority on a narrow terminal and a one-line description (for `?` help and
the docs). Column formats (`views.KINDS`, `views.spec`), the Overview cards and
the account KPIs are derived from here. Headless: no Textual, Rich or Polars.

Kinds: money, count, share (a ratio 0.123, shown 12.3%), score, float (one
decimal), date, text, id. The renderer (`cxtui.render.format_value`) names two
of them differently: count is "int", share is "pct" (`render_kind`).
Priority: lower is more important; narrow tables drop the highest numbers
first and never drop 0 (see `render.to_rich_table`).
Windows: 30d / 90d / 12m are the 30 / 90 / 365 days ending at as_of
(SPEC §1); "month(as_of)" is the calendar month of as_of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

KINDS = ("money", "count", "share", "score", "date", "text", "float", "id")
# The renderer's name for a kind where it differs (the others are the same word).
_RENDER_KIND = {"count": "int", "share": "pct"}
DEFAULT_PRIORITY = 2


@dataclass(frozen=True)
class Measure:
    key: str  # the JSON key and column name
    label: str  # how a person reads it: card and KPI labels, help
    kind: str  # one of KINDS
    priority: int = DEFAULT_PRIORITY
    description: str = ""  # one line: what the number is, over which window
    wrap: bool = False  # prose: wrapped in tables, never cut
    group: str = ""  # the catalog section it is defined in (see `keys_in`)

    @property
    def render_kind(self) -> str:
        """The kind string `render.format_value` takes."""
        return _RENDER_KIND.get(self.kind, self.kind)


def _section(group: str, *measures: Measure) -> tuple[Measure, ...]:
    return tuple(replace(m, group=group) for m in measures)


# Each key is defined once, in the section of the view that introduces it; other
# views reuse it. The "overview" section is the overview object itself: its keys,
# in order, are `cxtui overview --format json` (metrics.overview.OVERVIEW_KEYS),
# which then ends with the "new_vs_returning" section's keys.
_CATALOG: tuple[Measure, ...] = (
    *_section(
        "overview",
        Measure("as_of", "As of", "date", 2, "The date every figure is computed at."),
        Measure(
            "customers_total",
            "Customers",
            "count",
            2,
            "Customers whose start is on or before as_of.",
        ),
        Measure("active_customers", "Active customers", "count", 3, "Customers active at as_of."),
        Measure(
            "new_customers_30d",
            "New 30d",
            "count",
            2,
            "Customers whose start is in the last 30 days.",
        ),
        Measure(
            "churned_customers_30d",
            "Churned 30d",
            "count",
            2,
            "Customers whose churn date is in the last 30 days (null without churn dates).",
        ),
        Measure(
            "growth_rate_mom",
            "Growth MoM",
            "share",
            2,
            "Active customers at as_of ÷ active one calendar month earlier − 1.",
        ),
        Measure(
            "logo_churn_rate_30d",
            "Logo churn 30d",
            "share",
            2,
            "Of the customers active 30 days ago, the share whose churn date is in the 30 days.",
        ),
        Measure(
            "avg_tenure_months",
            "Avg tenure (months)",
            "float",
            2,
            "Mean of (churn date or as_of, whichever is first) − start, in months of 30.4375 days.",
        ),
        Measure(
            "revenue_12m",
            "Revenue 12m",
            "money",
            0,
            "Σ order amounts in the last 365 days, refunds included.",
        ),
        Measure(
            "orders_12m",
            "Orders 12m",
            "count",
            4,
            "Orders with an amount > 0 in the last 365 days.",
        ),
        Measure("aov_12m", "AOV 12m", "money", 4, "Average order value: revenue_12m ÷ orders_12m."),
        Measure(
            "buyers_12m", "Buyers 12m", "count", 2, "Customers with an order in the last 365 days."
        ),
        Measure(
            "revenue_per_buyer_12m", "Rev / buyer 12m", "money", 2, "revenue_12m ÷ buyers_12m."
        ),
        Measure(
            "repeat_purchase_rate_12m",
            "Repeat rate 12m",
            "share",
            2,
            "Buyers with 2 or more orders in the last 365 days ÷ buyers_12m.",
        ),
        Measure("mrr", "MRR", "money", 1, "Monthly recurring revenue: Σ mrr in month(as_of)."),
        Measure(
            "arr", "ARR", "money", 2, "Annual recurring revenue: 12 × mrr, else Σ annual revenue."
        ),
        Measure(
            "nrr_12m",
            "NRR 12m",
            "share",
            2,
            "Net revenue retention from month(as_of) − 12 to month(as_of): Σ end ÷ Σ start mrr.",
        ),
        Measure(
            "grr_12m",
            "GRR 12m",
            "share",
            2,
            "Gross revenue retention over the same months: Σ min(start, end) ÷ Σ start mrr.",
        ),
        Measure(
            "nps_90d",
            "NPS 90d",
            "float",
            2,
            "Net promoter score of each customer's latest survey answer in the last 90 days.",
        ),
        Measure(
            "nps_90d_n",
            "NPS responses 90d",
            "count",
            2,
            "Customers behind nps_90d: those with a survey answer in the last 90 days.",
        ),
        Measure(
            "mean_account_nps",
            "Mean account NPS",
            "float",
            2,
            "Mean of the latest monthly account NPS (−100..100) of each active customer.",
        ),
        Measure(
            "value",
            "Value",
            "money",
            2,
            "Annual value (revenue_12m, else annual revenue, else 12 × mrr), summed in groups.",
        ),
    ),
    *_section(
        "customer",  # the customers' own columns and their facts
        Measure("customer_id", "Customer", "id", 0, "The customer's id, compared as text."),
        Measure("name", "Name", "text", 1, "The customer's name."),
        Measure("segment", "Segment", "text", 3, "The customer's segment column."),
        Measure("owner", "Owner", "text", 2, "The account manager the actions are addressed to."),
        Measure("channel", "Channel", "text", 2, "The customer's acquisition channel."),
        Measure(
            "status",
            "Status",
            "text",
            3,
            "active or churned at as_of (none before the customer's start).",
        ),
        Measure("signup_date", "Signup date", "date", 2, "The customers table's signup date."),
        Measure(
            "start_date",
            "Start",
            "date",
            2,
            "Signup date, else the first order, month with mrr > 0 or event.",
        ),
        Measure(
            "churn_date",
            "Churn date",
            "date",
            2,
            "The date the customer churned, on or before as_of (one source per dataset).",
        ),
        Measure(
            "churn_reason", "Churn reason", "text", 2, "Why a churned customer left, as recorded."
        ),
        Measure("renewal_date", "Renewal date", "date", 2, "The customer's next contract renewal."),
        Measure(
            "annual_revenue", "Annual revenue", "money", 2, "The customers table's annual revenue."
        ),
        Measure(
            "tenure_days",
            "Tenure (days)",
            "count",
            2,
            "Days from start to the churn date, or to as_of for active customers.",
        ),
        Measure("tenure_months", "Tenure (months)", "float", 2, "tenure_days ÷ 30.4375."),
        Measure(
            "lifetime_revenue",
            "Lifetime revenue",
            "money",
            2,
            "Σ order amounts up to as_of, refunds included.",
        ),
        Measure(
            "lifetime_orders",
            "Lifetime orders",
            "count",
            2,
            "Order rows of any amount up to as_of.",
        ),
        Measure(
            "last_order_date", "Last order", "date", 4, "The date of the latest order up to as_of."
        ),
        Measure(
            "mrr_12m_ago",
            "MRR 12 months ago",
            "money",
            2,
            "The customer's mrr in the calendar month 12 months before month(as_of).",
        ),
        Measure(
            "lifecycle",
            "Lifecycle",
            "text",
            2,
            "Inactive · New (start in 30d) · At Risk (score ≥ 60) · VIP (top 10%) · Regular.",
        ),
        Measure(
            "revenue_tier",
            "Revenue tier",
            "text",
            2,
            "Enterprise ≥ 50,000 · SMB ≥ 5,000 · Individual, on revenue_12m (else annual revenue).",
        ),
        Measure(
            "engagement",
            "Engagement (events 90d)",
            "text",
            2,
            "Events in the last 90 days: Low < 15 · Medium 15–30 · High > 30.",
        ),
        Measure(
            "rfm",
            "RFM (R/F/M)",
            "text",
            2,
            "Recency, frequency and monetary scores 1–5 among customers with an order.",
        ),
        Measure(
            "rfm_segment",
            "RFM segment",
            "text",
            2,
            "The RFM segment named from the R and F scores (Champions … Hibernating).",
        ),
        Measure(
            "risk_score",
            "Risk score",
            "score",
            0,
            "0–100: Σ weight × strength of the firing risk signals, for active customers.",
        ),
        Measure("risk_band", "Risk band", "text", 2, "High (score ≥ 60) · Medium (≥ 30) · Low."),
        Measure(
            "signals",
            "Signals",
            "text",
            0,
            "The firing risk signals with their values, e.g. logins −46%, tickets +196%.",
            wrap=True,
        ),
        Measure("comment", "Comment", "text", 2, "A survey response's comment.", wrap=True),
    ),
    *_section(
        "segments",
        Measure("customers", "Customers", "count", 0, "Customers counted in the row."),
        Measure(
            "customer_share",
            "Customer share",
            "share",
            1,
            "The row's customers ÷ every customer started by as_of.",
        ),
        Measure(
            "active_rate",
            "Active rate",
            "share",
            2,
            "Active customers at as_of ÷ the row's customers.",
        ),
        Measure(
            "revenue_share",
            "Revenue share",
            "share",
            2,
            "The row's revenue_12m ÷ the total revenue_12m.",
        ),
        Measure(
            "avg_risk_score",
            "Avg risk score",
            "float",
            3,
            "Mean risk score of the row's active customers.",
        ),
        Measure(
            "at_risk_customers",
            "At-risk customers",
            "count",
            2,
            "The row's customers with a risk score ≥ 60.",
        ),
    ),
    *_section(
        "top",
        Measure("rank", "Rank", "count", 0, "Position by the ranking value, ties by customer id."),
    ),
    *_section(
        "churn",
        Measure("reason", "Reason", "text", 0, "The churn reason (Unknown when none is recorded)."),
        Measure(
            "churned_customers",
            "Churned customers",
            "count",
            0,
            "Customers whose churn date is in the window (or the month).",
        ),
        Measure("share", "Share", "share", 1, "The row's customers ÷ all customers of the table."),
        Measure(
            "lost_mrr",
            "Lost MRR",
            "money",
            1,
            "Each churned customer's mrr in its latest month with mrr > 0 before churning.",
        ),
        Measure(
            "lost_revenue_12m",
            "Lost revenue 12m",
            "money",
            2,
            "The churned customers' orders in the 365 days before their churn date.",
        ),
        Measure("month", "Month", "date", 2, "The calendar month (its first day)."),
        Measure(
            "active_at_start",
            "Active at start",
            "count",
            2,
            "Customers active at the first day of the month.",
        ),
        Measure(
            "logo_churn_rate",
            "Logo churn rate",
            "share",
            2,
            "Customers churned in the month ÷ those active at its first day.",
        ),
    ),
    *_section(
        "retention",
        Measure(
            "start_mrr",
            "Start MRR",
            "money",
            2,
            "Σ mrr at the start month (retention) or of the month before (movements).",
        ),
        Measure(
            "end_mrr",
            "End MRR",
            "money",
            2,
            "Σ mrr at the end month (retention) or in the month (movements).",
        ),
        Measure(
            "expansion",
            "Expansion",
            "money",
            3,
            "Σ of end − start mrr over the base customers who grew (retention).",
        ),
        Measure(
            "contraction",
            "Contraction",
            "money",
            3,
            "Σ of start − end mrr over the base customers who shrank but stayed (retention).",
        ),
        Measure(
            "churned_mrr",
            "Churned MRR",
            "money",
            3,
            "Σ of the mrr lost by customers whose mrr fell to 0.",
        ),
        Measure(
            "nrr",
            "NRR",
            "share",
            0,
            "Net revenue retention: Σ end ÷ Σ start mrr of the base (start month mrr > 0).",
        ),
        Measure(
            "grr",
            "GRR",
            "share",
            1,
            "Gross revenue retention: Σ min(start, end) ÷ Σ start mrr of the base.",
        ),
    ),
    *_section(
        "at_risk",
        Measure(
            "mrr_at_risk",
            "MRR at risk",
            "money",
            2,
            "Σ mrr in month(as_of) of the active customers at or above the minimum score.",
        ),
        Measure(
            "revenue_12m_at_risk",
            "Revenue 12m at risk",
            "money",
            2,
            "Σ revenue_12m of the active customers at or above the minimum score.",
        ),
    ),
    *_section(
        "validate",
        Measure(
            "detail",
            "Detail",
            "text",
            2,
            "What a data-quality check found, with examples and the fix.",
            wrap=True,
        ),
    ),
    # ---- round 2 (SPEC Part II): defined before their views, so they format right
    *_section(
        "revenue",  # §7 MRR movements; without monthly, revenue per month from orders
        Measure(
            "new_mrr",
            "New MRR",
            "money",
            1,
            "Σ mrr in the month of customers with no mrr before it (prev = 0 < cur).",
        ),
        Measure(
            "expansion_mrr",
            "Expansion MRR",
            "money",
            2,
            "Σ cur − prev over customers whose mrr grew from a positive prev.",
        ),
        Measure(
            "reactivation_mrr",
            "Reactivation MRR",
            "money",
            2,
            "Σ mrr in the month of customers back from 0 who had mrr > 0 before.",
        ),
        Measure(
            "contraction_mrr",
            "Contraction MRR",
            "money",
            2,
            "Σ prev − cur over customers whose mrr fell but stayed above 0.",
        ),
        Measure("net_new_mrr", "Net new MRR", "money", 1, "end_mrr − start_mrr of the month."),
        Measure(
            "new_customers",
            "New customers",
            "count",
            1,
            "Customers new in the period (new mrr; acquisition: start in the window).",
        ),
        Measure(
            "expanded_customers", "Expanded", "count", 3, "Customers whose mrr grew in the month."
        ),
        Measure(
            "reactivated_customers",
            "Reactivated",
            "count",
            3,
            "Customers whose mrr came back from 0 in the month.",
        ),
        Measure(
            "contracted_customers",
            "Contracted",
            "count",
            3,
            "Customers whose mrr fell but stayed above 0 in the month.",
        ),
        Measure(
            "quick_ratio",
            "Quick ratio",
            "float",
            1,
            "(new + expansion + reactivation) ÷ (contraction + churned) mrr of the month.",
        ),
        Measure(
            "revenue", "Revenue", "money", 1, "Σ order amounts in the month, refunds included."
        ),
        Measure("orders", "Orders", "count", 2, "Orders with an amount > 0 in the month."),
        Measure("buyers", "Buyers", "count", 2, "Customers with an order in the month."),
        Measure(
            "new_buyers", "New buyers", "count", 2, "Buyers whose first order ever is in the month."
        ),
        Measure(
            "returning_buyers",
            "Returning buyers",
            "count",
            2,
            "Buyers in the month whose first order is before it.",
        ),
        Measure(
            "new_buyer_revenue",
            "New buyer revenue",
            "money",
            2,
            "Σ order amounts in the month of its new buyers.",
        ),
        Measure(
            "returning_buyer_revenue",
            "Returning buyer revenue",
            "money",
            2,
            "Σ order amounts in the month of its returning buyers.",
        ),
        Measure("aov", "AOV", "money", 2, "Average order value: revenue ÷ orders in the period."),
        # the revenue view's summary block and its account lists
        Measure("first_month", "First month", "date", 2, "The first month of the window."),
        Measure(
            "last_month", "Last month", "date", 2, "The last month of the window: month(as_of)."
        ),
        Measure(
            "window_quick_ratio",
            "Quick ratio (window)",
            "float",
            1,
            "Σ (new + expansion + reactivation) ÷ Σ (contraction + churned) mrr over the window.",
        ),
        Measure("prev_month_mrr", "MRR month before", "money", 2, "The customer's mrr in M − 1."),
        Measure("month_mrr", "MRR in month", "money", 2, "The customer's mrr in the month M."),
        Measure(
            "movement_mrr",
            "Movement MRR",
            "money",
            0,
            "The customer's movement amount in the month (new, expansion, … churned).",
        ),
        Measure(
            "month_revenue",
            "Revenue in month",
            "money",
            0,
            "Σ the customer's order amounts in the month, refunds included.",
        ),
    ),
    *_section(
        "new_vs_returning",  # §8, in overview and the revenue view
        *(
            measure
            for window, days in (("30d", "30"), ("12m", "365"))
            for measure in (
                Measure(
                    f"new_buyers_{window}",
                    f"New buyers {window}",
                    "count",
                    2,
                    f"Buyers whose first order ever is in the last {days} days.",
                ),
                Measure(
                    f"returning_buyers_{window}",
                    f"Returning buyers {window}",
                    "count",
                    2,
                    f"Buyers in the last {days} days whose first order is before them.",
                ),
                Measure(
                    f"new_buyer_revenue_{window}",
                    f"New buyer revenue {window}",
                    "money",
                    2,
                    f"Σ order amounts of the new buyers in the last {days} days.",
                ),
                Measure(
                    f"returning_buyer_revenue_{window}",
                    f"Returning buyer revenue {window}",
                    "money",
                    2,
                    f"Σ order amounts of the returning buyers in the last {days} days.",
                ),
                Measure(
                    f"new_buyer_aov_{window}",
                    f"New buyer AOV {window}",
                    "money",
                    2,
                    f"New buyers' revenue ÷ their orders with amount > 0, last {days} days.",
                ),
                Measure(
                    f"returning_buyer_aov_{window}",
                    f"Returning buyer AOV {window}",
                    "money",
                    2,
                    f"Returning buyers' revenue ÷ their orders with amount > 0, last {days} days.",
                ),
            )
        ),
    ),
    *_section(
        "cohorts",  # the age columns p0, p1, … are shares too (see `measure`)
        Measure(
            "cohort",
            "Cohort",
            "text",
            0,
            "The customers whose start is in this month (YYYY-MM) or quarter (YYYY-Qn).",
        ),
        Measure(
            "period_mrr",
            "MRR in period",
            "money",
            0,
            "The member's mrr in the measured month of the cohort cell's period.",
        ),
        Measure(
            "period_revenue",
            "Revenue in period",
            "money",
            0,
            "Σ the member's order amounts in the cohort cell's period.",
        ),
    ),
    *_section(
        "trends",
        Measure("active", "Active", "count", 2, "Customers active at the end of the month."),
        Measure(
            "churn_rate",
            "Churn rate",
            "share",
            2,
            "Customers whose churn date is in the month ÷ those active at its first day.",
        ),
        Measure(
            "row_share",
            "Row share",
            "share",
            2,
            "The cell's customers ÷ the customers of its row (migration).",
        ),
        Measure(
            "spark",
            "Trend",
            "text",
            0,
            "The row's months as a sparkline, ▁ (lowest, or 0) to █ (highest).",
        ),
    ),
    *_section(
        "acquisition",
        Measure(
            "spend", "Spend", "money", 2, "Σ acquisition spend of the channel over the months."
        ),
        Measure("cac", "CAC", "money", 1, "Customer acquisition cost: spend ÷ new_customers."),
        Measure(
            "ltv",
            "LTV",
            "money",
            1,
            "Lifetime value: ARPA ÷ monthly subscriber churn (orders only: mean clv_12m).",
        ),
        Measure("ltv_to_cac", "LTV:CAC", "float", 1, "ltv ÷ cac."),
        Measure(
            "active_rate_now",
            "Active now",
            "share",
            2,
            "Of the window's new customers, the share active at as_of.",
        ),
    ),
    *_section(
        "clv",  # §8 BG/NBD and Gamma-Gamma, per customer
        Measure(
            "p_alive",
            "P(alive)",
            "share",
            1,
            "BG/NBD probability that the customer is still buying at as_of.",
        ),
        Measure(
            "expected_orders_365d",
            "Expected orders 365d",
            "float",
            2,
            "BG/NBD expected number of order days in the next 365 days.",
        ),
        Measure(
            "expected_aov",
            "Expected AOV",
            "money",
            2,
            "Gamma-Gamma expected spend per order day.",
        ),
        Measure(
            "clv_12m",
            "CLV 12m",
            "money",
            0,
            "Predicted value of the next 12 months: expected_orders_365d × expected_aov.",
        ),
        Measure("r", "BG/NBD r", "float", 2, "BG/NBD: shape of the Gamma mix of purchase rates."),
        Measure(
            "alpha",
            "BG/NBD alpha",
            "float",
            2,
            "BG/NBD: scale (in days) of the Gamma mix of rates.",
        ),
        Measure(
            "a", "BG/NBD a", "float", 2, "BG/NBD: first shape of the Beta mix of dropout chances."
        ),
        Measure(
            "b", "BG/NBD b", "float", 2, "BG/NBD: second shape of the Beta mix of dropout chances."
        ),
        Measure("p", "Gamma-Gamma p", "float", 2, "Gamma-Gamma: shape of each order day's spend."),
        Measure(
            "q", "Gamma-Gamma q", "float", 2, "Gamma-Gamma: shape of the Gamma mix of spend scales."
        ),
        Measure(
            "v", "Gamma-Gamma v", "float", 2, "Gamma-Gamma: scale of the Gamma mix of spend scales."
        ),
        Measure(
            "customers_fitted",
            "Customers fitted",
            "count",
            2,
            "Customers in the BG/NBD fit: those with an order up to as_of.",
        ),
        Measure(
            "notes",
            "Notes",
            "text",
            1,
            "Why a model has no fit, or how customers with one order day are valued.",
            wrap=True,
        ),
        Measure("avg_p_alive", "Avg P(alive)", "share", 2, "Mean p_alive of the customers."),
        Measure("avg_clv_12m", "Avg CLV 12m", "money", 1, "Mean clv_12m of the customers."),
        Measure(
            "decile",
            "Decile",
            "count",
            0,
            "Customers ranked by clv_12m cut in tenths: 1 holds the highest tenth.",
        ),
        Measure("clv_from", "CLV from", "money", 2, "The lowest clv_12m in the decile."),
        Measure("clv_to", "CLV to", "money", 2, "The highest clv_12m in the decile."),
        Measure(
            "clv_share", "CLV share", "share", 1, "The decile's Σ clv_12m ÷ Σ over every decile."
        ),
        Measure("bar", "Bar", "text", 0, "The share drawn as a bar of block characters."),
    ),
    *_section(
        "satisfaction",  # §9, latest response per customer in the window
        Measure(
            "respondents",
            "Respondents",
            "count",
            1,
            "Customers with a survey answer in the window (their latest counts).",
        ),
        Measure("promoters", "Promoters", "count", 2, "Respondents whose latest score is 9–10."),
        Measure("passives", "Passives", "count", 3, "Respondents whose latest score is 7–8."),
        Measure("detractors", "Detractors", "count", 2, "Respondents whose latest score is 0–6."),
        Measure("promoter_share", "Promoter share", "share", 3, "promoters ÷ respondents."),
        Measure("passive_share", "Passive share", "share", 3, "passives ÷ respondents."),
        Measure(
            "detractor_share",
            "Detractor share",
            "share",
            2,
            "detractors ÷ respondents (drivers: responses scoring 0–6 ÷ responses).",
        ),
        Measure(
            "nps",
            "NPS",
            "float",
            0,
            "100 × (promoters − detractors) ÷ respondents, over the window.",
        ),
        Measure(
            "csat_mean",
            "CSAT mean",
            "float",
            1,
            "Mean survey CSAT (1–5) of the responses with one in the window.",
        ),
        Measure(
            "csat_share",
            "CSAT share",
            "share",
            2,
            "Responses with CSAT ≥ 4 ÷ responses with a CSAT in the window.",
        ),
        Measure("topic", "Topic", "text", 0, "The survey response's or ticket's topic."),
        Measure("responses", "Responses", "count", 1, "Survey responses in the window."),
        Measure("score_mean", "Score mean", "float", 2, "Mean survey score (0–10) in the window."),
        Measure(
            "csat_responses",
            "CSAT responses",
            "count",
            3,
            "Respondents whose latest response in the window has a CSAT (1–5).",
        ),
        Measure(
            "respondent_group",
            "Respondents",
            "text",
            0,
            "Promoters (latest score 9–10), passives (7–8), detractors (0–6), or all.",
        ),
        Measure("feedback_date", "Response date", "date", 2, "The date of that latest response."),
        Measure("feedback_score", "Score", "float", 1, "The latest response's score (0–10)."),
        Measure("feedback_csat", "CSAT", "float", 2, "The latest response's CSAT (1–5)."),
        Measure("feedback_topic", "Topic", "text", 2, "The latest response's topic."),
        Measure(
            "feedback_group", "Group", "text", 2, "promoter, passive or detractor by that score."
        ),
        Measure("note", "Note", "text", 0, "What to know about the figures above.", wrap=True),
    ),
    *_section(
        "support",
        Measure("tickets", "Tickets", "count", 1, "Support tickets created in the window."),
        Measure(
            "first_response_hours_mean",
            "First response (h, mean)",
            "float",
            2,
            "Mean hours from a ticket's creation to its first response, tickets in the window.",
        ),
        Measure(
            "first_response_hours_median",
            "First response (h, median)",
            "float",
            2,
            "Median hours from a ticket's creation to its first response, tickets in the window.",
        ),
        Measure(
            "resolution_rate",
            "Resolution rate",
            "share",
            2,
            "Tickets created in the window that are resolved ÷ tickets created in it.",
        ),
        Measure(
            "source",
            "Source",
            "text",
            1,
            "Where tickets come from: tickets (table), monthly (support_tickets) or events.",
        ),
        Measure(
            "responded_tickets",
            "Responded tickets",
            "count",
            3,
            "Tickets of the window with a first response by as_of: what the hours are over.",
        ),
        Measure(
            "resolved_tickets",
            "Resolved tickets",
            "count",
            3,
            "Tickets created in the window with a resolution dated on or before as_of.",
        ),
        Measure("range", "Tickets", "text", 0, "A range of tickets per customer in the window."),
        Measure(
            "created_at", "Created", "date", 1, "When the ticket was opened (its calendar date)."
        ),
        Measure(
            "first_response_hours",
            "First response (h)",
            "float",
            1,
            "Hours from the ticket's creation to its first response (none yet: empty).",
        ),
        Measure(
            "resolved_at",
            "Resolved",
            "date",
            1,
            "When the ticket was resolved (on or before as_of).",
        ),
    ),
    *_section(
        "engagement",  # §10 event diversity, lift and flows
        Measure(
            "event_types",
            "Event types",
            "count",
            2,
            "Distinct event types of the customer over all its events up to as_of.",
        ),
        Measure(
            "value_mean", "Value mean", "money", 1, "Mean annual value of the row's customers."
        ),
        Measure(
            "value_median",
            "Value median",
            "money",
            2,
            "Median annual value of the row's customers.",
        ),
        Measure(
            "nps_mean",
            "NPS mean",
            "float",
            2,
            "Mean of each customer's latest account NPS (or survey score, what the data has).",
        ),
        Measure(
            "lift_abs",
            "Lift",
            "float",
            1,
            "With − without, in the measure's own unit (an association, not an effect).",
        ),
        Measure(
            "lift_pct",
            "Lift %",
            "share",
            1,
            "(with − without) ÷ without (an association, not a proven effect).",
        ),
        Measure(
            "opportunity",
            "Opportunity",
            "money",
            0,
            "Customers without × (value_mean with − value_mean without): an association.",
        ),
        Measure(
            "share_of_parent",
            "Share of parent",
            "share",
            1,
            "The node's customers ÷ its parent node's customers.",
        ),
        Measure(
            "share_of_total",
            "Share of total",
            "share",
            1,
            "The node's customers ÷ every customer started by as_of.",
        ),
        Measure(
            "measure_sum",
            "Measure Σ",
            "money",
            2,
            "Σ of the chosen measure over the node's customers.",
        ),
        Measure(
            "measure_mean",
            "Measure mean",
            "money",
            2,
            "Mean of the chosen measure over the node's customers.",
        ),
        Measure("path", "Path", "text", 0, "The dimension values from the root to the node."),
        Measure(
            "diversity",
            "Event types",
            "text",
            0,
            "The bin of distinct event types per customer (e.g. 0-4, 5-7, 8+).",
        ),
        Measure("side", "Side", "text", 0, "With or without the lift's event type (or flag)."),
        Measure("measure", "Measure", "text", 0, "The figure compared on both sides of a lift."),
        Measure(
            "with", "With", "float", 1, "The measure over the customers with the event or flag."
        ),
        Measure("without", "Without", "float", 1, "The measure over the rest of the customers."),
        Measure(
            "subject", "Lift of", "text", 0, "The event type or customer flag that splits the lift."
        ),
        Measure(
            "customers_with", "Customers with", "count", 1, "Customers on the lift's with side."
        ),
        Measure(
            "customers_without", "Customers without", "count", 1, "Customers on the without side."
        ),
        Measure(
            "value_mean_with", "Value mean with", "money", 1, "Mean annual value of the with side."
        ),
        Measure(
            "value_mean_without",
            "Value mean without",
            "money",
            1,
            "Mean annual value of the without side.",
        ),
        Measure(
            "value_source",
            "Value from",
            "text",
            2,
            "What a customer's value is here: revenue_12m, annual_revenue or 12 × mrr.",
        ),
        Measure(
            "nps_source",
            "NPS from",
            "text",
            2,
            "Where nps_mean comes from: account_nps (monthly) or feedback_score.",
        ),
        Measure("node", "Node", "text", 0, "A flows node's value, indented under its parent."),
        Measure("share_bar", "Share bar", "text", 2, "The node's share of total as a bar."),
    ),
    *_section(
        "insights",  # §11
        Measure("title", "Finding", "text", 0, "What the rule found, in one line."),
        Measure(
            "evidence",
            "Evidence",
            "text",
            1,
            "The numbers behind the finding and their window.",
            wrap=True,
        ),
        Measure(
            "recommended_action",
            "Recommended action",
            "text",
            1,
            "What to do about the finding, and who.",
            wrap=True,
        ),
        Measure(
            "command", "Command", "text", 3, "The cxtui command that prints the underlying view."
        ),
        Measure(
            "where",
            "Accounts filter",
            "text",
            4,
            "The --where filter over the facts that selects the finding's customers.",
        ),
    ),
)

MEASURES: dict[str, Measure] = {m.key: m for m in _CATALOG}  # tests: no key twice

# Cohort ages p0, p1, …: one column per period after the cohort's start.
_AGE = re.compile(r"p(\d+)")
# Trends months (YYYY-MM) and migration columns ("→ VIP", the value at --to).
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
TO_PREFIX = "→ "


def measure(key: str) -> Measure | None:
    """The catalog entry of `key` (cohort ages p0, p1, …, trends months YYYY-MM and
    migration columns "→ value" included), or None."""
    found = MEASURES.get(key)
    if found is not None:
        return found
    age = _AGE.fullmatch(key)
    if age is not None:
        n = int(age.group(1))
        return Measure(
            key,
            f"Age {n}",
            "share",
            DEFAULT_PRIORITY,
            f"The cohort's retention {n} periods after its start (logo or revenue).",
            group="cohorts",
        )
    if _MONTH.fullmatch(key):
        return Measure(
            key,
            key,
            "float",
            DEFAULT_PRIORITY,
            "The trend's measure in this month.",
            group="trends",
        )
    if key.startswith(TO_PREFIX) and len(key) > len(TO_PREFIX):
        value = key.removeprefix(TO_PREFIX)
        return Measure(
            key,
            key,
            "count",
            DEFAULT_PRIORITY,
            f"Customers whose value at --to is {value} (or their share of the row).",
            group="trends",
        )
    return None


def kind_of(key: str) -> str:
    """The catalog kind (text for a key the catalog does not know)."""
    found = measure(key)
    return found.kind if found is not None else "text"


def render_kind(key: str) -> str:
    """The kind string `render.format_value` takes (text for an unknown key)."""
    found = measure(key)
    return found.render_kind if found is not None else "text"


def label_of(key: str) -> str:
    """The label (the key itself for a key the catalog does not know)."""
    found = measure(key)
    return found.label if found is not None else key


def priority_of(key: str) -> int:
    found = measure(key)
    return found.priority if found is not None else DEFAULT_PRIORITY


def wraps(key: str) -> bool:
    found = measure(key)
    return found.wrap if found is not None else False


def description_of(key: str) -> str:
    found = measure(key)
    return found.description if found is not None else ""


def keys_in(group: str) -> tuple[str, ...]:
    """The keys defined in one catalog section, in catalog order."""
    return tuple(m.key for m in _CATALOG if m.group == group)

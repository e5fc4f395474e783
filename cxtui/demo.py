"""`cxtui demo`: a deterministic synthetic dataset with the shapes of real customer reports.

Every table of SPEC §1 is written (customers, orders, monthly, events, feedback,
spend), plus the optional `tickets` table of SPEC §9. Everything is vectorised
with NumPy (no Python loop per customer or per row) and drawn from
``numpy.random.default_rng`` seeded by the arguments only, so the same arguments
give byte-identical Parquet files. Large datasets are generated in chunks of
customers and written as folders of parts (``orders/part-00000.parquet`` …) so
memory stays bounded; a dataset that fits in one chunk is written as single
files (``orders.parquet`` …).

The shapes, the blemishes and the regeneration command are documented in
``docs/demo-data.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["CHUNK_CUSTOMERS", "DEMO_AS_OF", "HISTORY_START", "TABLES", "generate_demo"]

DEMO_AS_OF = date(2026, 6, 30)  # every generated date is ≤ this, except future renewal dates
HISTORY_START = date(2019, 1, 1)
EVENTS_FROM = date(2025, 10, 1)  # the product-analytics export keeps the last 9 months
TICKETS_FROM = date(2025, 1, 1)  # the helpdesk export keeps the last 18 months
CHUNK_CUSTOMERS = 500_000
TABLES = ("customers", "orders", "monthly", "events", "feedback", "tickets", "spend")

Progress = Callable[[str, float], None]

# ---------------------------------------------------------------- the calendar

_EPOCH_SHIFT = (HISTORY_START - date(1970, 1, 1)).days  # day index -> days since 1970
_AS_OF_DAY = (DEMO_AS_OF - HISTORY_START).days
_N_MONTHS = (DEMO_AS_OF.year - HISTORY_START.year) * 12 + DEMO_AS_OF.month  # 2019-01 … 2026-06
_MONTH_START = np.array(
    [
        (date(HISTORY_START.year + m // 12, m % 12 + 1, 1) - HISTORY_START).days
        for m in range(_N_MONTHS + 1)  # one more: the first day after the history
    ],
    dtype=np.int64,
)
_MONTH_OF_YEAR = np.arange(_N_MONTHS) % 12 + 1
_EVENTS_DAY = (EVENTS_FROM - HISTORY_START).days
_TICKETS_DAY = (TICKETS_FROM - HISTORY_START).days
_TICKETS_MONTH = (TICKETS_FROM.year - HISTORY_START.year) * 12 + TICKETS_FROM.month - 1
_EVENTS_MONTH = (EVENTS_FROM.year - HISTORY_START.year) * 12 + EVENTS_FROM.month - 1
_END_SECOND = (_AS_OF_DAY + 1) * 86_400  # the first second after DEMO_AS_OF
_LAST_MONTH = _N_MONTHS - 1
_NONE = 1 << 40  # "no such day/month" sentinel, beyond every real index

# ---------------------------------------------------------------- vocabularies

TIERS = ("Enterprise", "SMB", "Individual")
_TIER_P = (0.003, 0.15, 0.847)
ENT, SMB, IND = 0, 1, 2

PLANS = ("starter", "pro", "premium")
_PLAN_P = ((0.0, 0.2, 0.8), (0.25, 0.5, 0.25), (0.7, 0.25, 0.05))  # by tier

REGIONS = ("EMEA", "Americas", "APAC")
_REGION_P = (0.39, 0.35, 0.26)
_NULL_REGION_SHARE = 0.01
# (country, legal suffix, share within its region)
_COUNTRIES = (
    (
        ("United Kingdom", "Ltd", 0.24),
        ("Germany", "GmbH", 0.2),
        ("France", "SAS", 0.14),
        ("Netherlands", "B.V.", 0.1),
        ("Spain", "S.L.", 0.08),
        ("Sweden", "AB", 0.07),
        ("Italy", "S.r.l.", 0.07),
        ("United Arab Emirates", "LLC", 0.05),
        ("South Africa", "(Pty) Ltd", 0.05),
    ),
    (
        ("United States", "Inc", 0.68),
        ("Canada", "Inc", 0.14),
        ("Brazil", "Ltda", 0.11),
        ("Mexico", "S.A. de C.V.", 0.07),
    ),
    (
        ("Australia", "Pty Ltd", 0.3),
        ("Japan", "K.K.", 0.22),
        ("India", "Pvt Ltd", 0.22),
        ("Singapore", "Pte Ltd", 0.16),
        ("New Zealand", "Ltd", 0.1),
    ),
)

CHANNELS = ("Direct/Organic", "Paid Search", "Referral", "Social Media", "Trade Shows")
_CHANNEL_P = (  # by tier: enterprise deals come from trade shows and direct sales
    (0.35, 0.05, 0.25, 0.0, 0.35),
    (0.3, 0.25, 0.2, 0.1, 0.15),
    (0.34, 0.3, 0.14, 0.18, 0.04),
)
_CAC = (350.0, 1_400.0, 600.0, 1_100.0, 6_000.0)  # spend per acquired customer, by channel
# Channels differ in what their customers are worth, not only in what they cost:
# referrals stay longest and buy most, social sign-ups leave soonest and buy least.
_CHANNEL_CHURN = (0.85, 1.2, 0.6, 1.4, 0.75)  # churn hazard multiplier
_CHANNEL_ORDERS = (1.0, 0.85, 1.25, 0.7, 1.1)  # yearly order rate (and spend) multiplier

# (industry, share, words that end a company name in it)
_INDUSTRIES = (
    ("Software", 0.2, ("Software", "Labs", "Systems", "Digital")),
    ("Retail", 0.13, ("Retail", "Outfitters", "Goods", "Market")),
    ("Manufacturing", 0.11, ("Manufacturing", "Industries", "Works", "Fabrication")),
    ("Financial Services", 0.1, ("Capital", "Finance", "Partners", "Advisors")),
    ("Healthcare", 0.09, ("Health", "Medical", "Care", "Clinics")),
    ("Professional Services", 0.1, ("Consulting", "Group", "Associates", "Solutions")),
    ("Education", 0.07, ("Learning", "Academy", "Education", "Institute")),
    ("Media", 0.07, ("Media", "Studios", "Publishing", "Creative")),
    ("Logistics", 0.07, ("Logistics", "Freight", "Transport", "Shipping")),
    ("Hospitality", 0.06, ("Hospitality", "Hotels", "Kitchens", "Travel")),
)
# Seasonal businesses pause their subscription once in a while (the mrr is 0 for
# 1–5 months, then returns): (monthly pause rate, preferred month of the pause).
_PAUSES = {"Education": (0.012, 7), "Hospitality": (0.012, 11), "Retail": (0.005, 0)}
_PAUSE_DEFAULT = (0.002, 0)
_PAUSE_LENGTH_P = (0.3, 0.3, 0.2, 0.1, 0.1)  # 1–5 months
_PAUSE_GAP_SHARE = 0.25  # pauses whose months are missing from the export instead of mrr 0
_NAME_FIRST = (
    "Blue", "Northern", "Silver", "Bright", "Summit", "Harbor", "Cedar", "Granite", "Crimson",
    "Golden", "Evergreen", "Quantum", "Atlas", "Pioneer", "Coastal", "Iron", "Maple", "Nova",
    "Polar", "Redwood", "Sterling", "Swift", "Urban", "Vertex", "Alpine", "Apex", "Beacon",
    "Cobalt", "Delta", "Echo", "Falcon", "Horizon", "Juniper", "Keystone", "Lumen", "Meridian",
    "Oak", "Orbit", "Prairie", "River", "Sapphire", "Tidal", "Union", "Willow", "Zenith",
    "Aurora", "Bay", "Copper", "Drift", "Ember",
)  # fmt: skip
_NAME_SECOND = (
    "Ridge", "Bridge", "Stone", "Field", "Peak", "Point", "Wave", "Line", "Forge", "Gate",
    "Path", "Grove", "Lake", "Star", "Leaf", "Signal", "Crest", "Valley", "Light", "Brook",
)  # fmt: skip
_OWNER_FIRST = (
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kavya", "Liam", "Maya", "Noah", "Olivia", "Pablo", "Quinn", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Dmitri",
    "Emma", "Felix", "Gita", "Hugo", "Isla", "Jamal", "Keiko", "Lucas", "Mira", "Nils",
)  # fmt: skip
_OWNER_LAST = (
    "Andersen", "Brooks", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes",
    "Ivanova", "Jensen", "Kato", "Lopez", "Meyer", "Nakamura", "O'Brien", "Patel", "Quinn",
    "Rossi", "Schmidt", "Tanaka", "Usman", "Visser", "Walsh", "Xu", "Yilmaz", "Zimmer",
    "Alvarez", "Bauer", "Chen", "Dahl", "Evans", "Ferreira", "Gupta", "Haddad", "Ito",
    "Kowalski", "Larsen", "Moreau", "Novak", "Okafor",
)  # fmt: skip

CHURN_REASONS = (
    "Moved to competitor",
    "Price concerns",
    "Business closure",
    "Product discontinued",
    "Other",
)
_CHURN_REASON_P = (0.33, 0.27, 0.15, 0.11, 0.12)
_NULL_REASON_SHARE = 0.02  # the CRM field was left empty: "Unknown" in the churn pane

# Product events a customer adopts by its breadth of use: (event type, adoption
# intercept on the logit scale, events a quarter once adopted).
_PRODUCT_EVENTS = (
    ("dashboard_viewed", 1.0, 1.5),
    ("report_created", 0.3, 0.8),
    ("export_downloaded", -0.3, 0.5),
    ("comment_added", -0.6, 0.6),
    ("user_invited", -0.9, 0.2),
    ("file_uploaded", -1.1, 0.4),
    ("mobile_login", -1.3, 0.8),
    ("alert_configured", -1.7, 0.15),
    ("integration_connected", -2.0, 0.1),
    ("workflow_created", -2.2, 0.3),
    ("webinar_attended", -2.3, 0.2),
    ("api_key_created", -2.8, 0.05),
)
EVENT_TYPES = (
    "login",
    "feature_adopted",
    "training_attended",
    "support_ticket_created",
    "payment_failed",
    "plan_upgraded",  # the monthly rows' expansions, contractions and pauses, as events
    "plan_downgraded",
    "subscription_paused",
    "subscription_resumed",
    *(e[0] for e in _PRODUCT_EVENTS),
)
LOGIN, FEATURE, TRAINING, TICKET, PAYMENT, UPGRADED, DOWNGRADED, PAUSED, RESUMED = range(9)
_PRODUCT0 = 9  # code of the first product event
_USAGE_KINDS = np.asarray([LOGIN, FEATURE, *range(_PRODUCT0, len(EVENT_TYPES))])

# Helpdesk tickets (the `tickets` table, SPEC §9).
TICKET_TOPICS = (
    "access",
    "billing",
    "bug",
    "integrations",
    "onboarding",
    "performance",
    "reporting",
)
_TICKET_TOPIC_P = (  # by context: a new account (first 60 days), declining, otherwise
    (0.15, 0.1, 0.05, 0.15, 0.45, 0.03, 0.07),
    (0.05, 0.3, 0.2, 0.1, 0.0, 0.25, 0.1),
    (0.14, 0.16, 0.2, 0.14, 0.04, 0.12, 0.2),
)
TICKET_STATUSES = ("resolved", "open", "pending")
_FIRST_RESPONSE_HOURS = (2.2, 1.2, 0.5)  # median, by priority 1 (normal) … 3 (urgent)
_TIER_RESPONSE = (0.5, 0.85, 1.0)  # enterprise accounts have a faster SLA
_RESOLUTION_HOURS = (1.5, 6.0, 40.0, 30.0, 8.0, 24.0, 12.0)  # median after the response, by topic
_NONSUB_TICKETS_PER_MONTH = 0.1
_STUCK_SHARE = 0.04  # waiting on the customer: never resolved ("pending")
_NO_RESPONSE_SHARE = 0.005  # resolved (or abandoned) without a first response logged

# Feedback topics: drivers (high csat) first, areas to improve last.
FEEDBACK_TOPICS = (
    "onboarding",
    "usability",
    "support",
    "reporting",
    "integrations",
    "billing",
    "performance",
)
_TOPIC_SCORE = (0.6, 0.5, 0.3, -0.2, -0.7, -0.9, -1.1)  # points on the 0–10 score
_TOPIC_CSAT = (0.25, 0.15, 0.2, -0.1, -0.2, -0.35, -0.3)  # points on the 1–5 csat
_FEEDBACK_TOPIC_P = (  # by context: the first 90 days, declining, otherwise
    (0.45, 0.15, 0.15, 0.05, 0.1, 0.05, 0.05),
    (0.02, 0.08, 0.2, 0.1, 0.15, 0.25, 0.2),
    (0.06, 0.2, 0.18, 0.18, 0.14, 0.12, 0.12),
)
_NULL_TOPIC_SHARE = 0.03  # responses nobody tagged
_NULL_CSAT_SHARE = 0.08  # surveys that did not ask the csat question

# Comments by topic (then one row for untagged responses) and NPS band
# (detractor 0–6, passive 7–8, promoter 9–10), two of each.
_COMMENTS = (
    (
        ("Onboarding took far too long", "Nobody explained how to set it up"),
        ("Setup was OK, the docs could be clearer", "Onboarding was fine"),
        ("Onboarding was smooth", "Up and running in a day"),
    ),
    (
        ("Some features are hard to find", "The interface is confusing"),
        ("Easy enough once you learn it", "Does the job"),
        ("Easy to use", "Love the new dashboard"),
    ),
    (
        ("Support is slow to respond", "Had to chase support for days"),
        ("Support was helpful but slow", "OK overall"),
        ("Great support team", "Our account manager is excellent"),
    ),
    (
        ("The new release broke our reports", "Reports are missing key numbers"),
        ("Reporting could be better", "Would like an API for exports"),
        ("Saves us hours every week", "Reports are exactly what we need"),
    ),
    (
        ("Missing integrations we need", "The CRM sync keeps failing"),
        ("Integrations work, mostly", "Would like more connectors"),
        ("Integrations just work", "Connected all our tools in minutes"),
    ),
    (
        ("Too expensive for what we use", "Billing errors again"),
        ("Good, but pricey", "Invoices are hard to read"),
        ("Fair price for the value", "Billing is simple and clear"),
    ),
    (
        ("Frequent outages lately", "Pages take ages to load"),
        ("Mostly fast, some slow days", "Performance is acceptable"),
        ("Reliable and fast", "Never had an outage"),
    ),
    (
        ("We are evaluating alternatives", "Not what we hoped for"),
        ("OK overall", "Does what it says"),
        ("Great product", "Would recommend it to anyone"),
    ),
)
# Comments that try to break renderers: markup, a CSV formula, control and wide characters.
HOSTILE_COMMENTS = (
    "[bold]great[/bold] support",
    "[red]cancel[/red] my account?",
    '=HYPERLINK("http://example.com","click")',
    "line one\nline two | *not markdown*",
    "Très bien 👍 — 素晴らしい",
    "[/] unbalanced [link=http://x]markup",
)

# ---------------------------------------------------------------- behaviour knobs

_SIGNUP_GROWTH = math.log(1.3) / 365.25  # signups grow ~30% a year
# … and follow the buying season: strong January, March and September, weak summer and December.
_SIGNUP_SEASON = (1.3, 1.05, 1.2, 1.0, 0.95, 0.9, 0.8, 0.7, 1.2, 1.15, 1.0, 0.75)
_CHURN_HAZARD = (0.005, 0.008, 0.0125)  # per month, by tier
_MIN_TENURE_DAYS = 14
_SUBSCRIPTION_P = (1.0, 1.0, 0.0)  # Individual: by plan below
_IND_SUBSCRIPTION_BY_PLAN = (0.15, 0.45, 0.7)
_MANAGED_SMB_SHARE = 0.4
_AT_RISK_ACTIVE_SHARE = 0.045  # active subscription accounts already declining
_ORDER_RATE = (40.0, 16.0, 8.0)  # orders a year, by tier, before the heavy-tailed spread
_REFUND_SHARE = 0.008
_FEEDBACK_PER_YEAR = 0.4
# Training: bigger and more engaged accounts attend; those who do stay longer, use
# more of the product, buy a little more and are happier (the lift pane's story).
_TRAINED_RATE = 0.12  # P(trained) = 1 − exp(−rate × (annual_revenue / 1000)^0.45 × engagement^0.5)
_TRAINED_CHURN = 0.6
_TRAINED_ENGAGEMENT = 1.3
_TRAINED_ORDERS = 1.15
_TRAINED_SENTIMENT = 0.3
# pre-churn signature (SPEC §2 risk signals): applied in the 1–3 months before churn
_DECLINE_MONTHS_P = (0.15, 0.35, 0.5)  # 1, 2 or 3 months
_LOGIN_FACTOR = 0.55
_TICKET_FACTOR = 2.5
_TICKET_MIN_RISE = 1.5
_NPS_DROP = 35.0
_USAGE_FACTOR = 0.72


@dataclass(frozen=True)
class _Plan:
    """What every chunk shares: sizes, id format, owners."""

    customers: int
    chunks: tuple[tuple[int, int], ...]
    id_width: int
    order_id_width: int
    owners: tuple[str, ...]


def _plan(customers: int, seed: int) -> _Plan:
    n_chunks = max(1, math.ceil(customers / CHUNK_CUSTOMERS))
    bounds = tuple(
        (k * customers // n_chunks, (k + 1) * customers // n_chunks) for k in range(n_chunks)
    )
    rng = np.random.default_rng([seed, 1_000_001])
    n_owners = int(min(200, max(20, round(20 * math.sqrt(customers / 12_458)))))
    pairs = rng.choice(len(_OWNER_FIRST) * len(_OWNER_LAST), size=n_owners, replace=False)
    owners = tuple(
        f"{_OWNER_FIRST[p // len(_OWNER_LAST)]} {_OWNER_LAST[p % len(_OWNER_LAST)]}"
        for p in sorted(pairs.tolist())
    )
    return _Plan(
        customers=customers,
        chunks=bounds,
        id_width=max(7, len(str(customers + 100))),
        order_id_width=max(9, len(str(customers * 100))),
        owners=owners,
    )


# ---------------------------------------------------------------- small helpers


def _choose(rng: np.random.Generator, probs, n: int, group: np.ndarray | None = None):
    """Categorical draws; `probs` is (k,) or, with `group`, (groups, k) rows of weights."""
    p = np.asarray(probs, dtype=np.float64)
    cum = np.cumsum(p, axis=-1)
    cum /= cum[..., -1:]
    u = rng.random(n)
    if group is None:
        codes = np.searchsorted(cum, u, side="right")
    else:
        codes = (u[:, None] >= cum[group]).sum(axis=1)
    return np.minimum(codes, p.shape[-1] - 1).astype(np.int64)


def _lognormal_mean1(rng: np.random.Generator, sigma: float, n: int) -> np.ndarray:
    return np.exp(rng.normal(-sigma * sigma / 2, sigma, n))


def _segment_starts(counts: np.ndarray) -> np.ndarray:
    """Row offset of each group's first row when groups of `counts` rows are stacked."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, … within each group of stacked rows."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_segment_starts(counts), counts)


def _uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform integer day in [lo, hi] per element (hi ≥ lo)."""
    return lo + np.floor(rng.random(len(lo)) * (hi - lo + 1)).astype(np.int64)


def _month_of(day: np.ndarray) -> np.ndarray:
    return np.searchsorted(_MONTH_START, day, side="right") - 1


def _signup_cdf() -> np.ndarray:
    """Share of all signups before each day: growth times the month-of-year season."""
    day = np.arange(_AS_OF_DAY + 1)
    season = np.asarray(_SIGNUP_SEASON)[_MONTH_OF_YEAR[_month_of(day)] - 1]
    cdf = np.concatenate([[0.0], np.cumsum(np.exp(_SIGNUP_GROWTH * day) * season)])
    return cdf / cdf[-1]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _date_series(name: str, day: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(name, (day + _EPOCH_SHIFT).astype(np.int32)).cast(pl.Date)
    return s if null is None else _nulls(s, null)


def _nulls(s: pl.Series, null: np.ndarray) -> pl.Series:
    return (
        pl.select(pl.when(pl.lit(pl.Series(null))).then(None).otherwise(s))
        .to_series()
        .alias(s.name)
    )


def _labels(name: str, vocabulary, codes: np.ndarray, null: np.ndarray | None = None):
    s = pl.Series(name, list(vocabulary), dtype=pl.String).gather(codes)
    return s if null is None else _nulls(s, null)


def _ids(prefix: str, numbers: np.ndarray, width: int, name: str) -> pl.Series:
    digits = pl.Series(name, numbers.astype(np.int64)).cast(pl.String).str.zfill(width)
    return (prefix + digits).alias(name)


# ---------------------------------------------------------------- customers


@dataclass
class _Chunk:
    """One chunk's customers as arrays (index = position in the chunk)."""

    ids: pl.Series
    tier: np.ndarray
    channel: np.ndarray
    industry: np.ndarray
    signup: np.ndarray  # day index
    churn: np.ndarray  # day index, _NONE when active at DEMO_AS_OF
    end: np.ndarray  # last day as a customer (churn − 1 or DEMO_AS_OF)
    revenue: np.ndarray  # annual revenue
    subscription: np.ndarray  # bool: has monthly rows
    sentiment: np.ndarray  # latent satisfaction, N(0, 1) (+ the training effect)
    engagement: np.ndarray  # latent usage intensity, mean 1 (× the training effect)
    trained: np.ndarray  # bool: attends training (training_attended events in the window)
    decline_day: np.ndarray  # first day of the pre-churn signature, _NONE when none
    decline_month: np.ndarray  # its month for monthly rows, _NONE when none


def _customers(plan: _Plan, rng: np.random.Generator, lo: int, hi: int):
    n = hi - lo
    index = np.arange(lo, hi, dtype=np.int64)
    # Fixed tier counts per chunk (positions random), so "a few dozen" enterprise
    # accounts is what every dataset gets rather than a lucky or unlucky draw.
    n_ent = round(n * _TIER_P[ENT])
    n_smb = round(n * _TIER_P[SMB])
    tier = np.full(n, IND, dtype=np.int64)
    tier[:n_ent] = ENT
    tier[n_ent : n_ent + n_smb] = SMB
    tier = rng.permutation(tier)
    # Signups grow exponentially over the history, with a season; stratified on the
    # global index so ids increase with the signup date across chunks, as in a CRM.
    u = (index + rng.random(n)) / plan.customers
    signup = np.searchsorted(_signup_cdf(), u, side="right") - 1
    signup = np.clip(signup, 0, _AS_OF_DAY).astype(np.int64)

    channel = _choose(rng, _CHANNEL_P, n, tier)
    # Heavy-tailed revenue: a few dozen enterprise accounts carry ~40% of it.
    median, sigma, low, high = (
        np.asarray(v)[tier]
        for v in zip(
            (520_000.0, 0.75, 55_000.0, np.inf),
            (8_000.0, 0.5, 5_000.0, 49_900.0),
            (850.0, 0.75, 60.0, 4_990.0),
            strict=True,
        )
    )
    revenue = np.round(np.clip(median * np.exp(sigma * rng.normal(0, 1, n)), low, high), 0)
    engagement = _lognormal_mean1(rng, 0.6, n)
    trained_p = -np.expm1(-_TRAINED_RATE * (revenue / 1000.0) ** 0.45 * np.sqrt(engagement))
    trained = rng.random(n) < trained_p
    engagement = engagement * np.where(trained, _TRAINED_ENGAGEMENT, 1.0)

    hazard_per_day = (
        np.asarray(_CHURN_HAZARD)[tier]
        * np.asarray(_CHANNEL_CHURN)[channel]
        * np.where(trained, _TRAINED_CHURN, 1.0)
        / 30.4375
    )
    lifetime = np.maximum(rng.exponential(1.0, n) / hazard_per_day, _MIN_TENURE_DAYS)
    churn = signup + np.floor(lifetime).astype(np.int64)
    churned = churn <= _AS_OF_DAY
    churn = np.where(churned, churn, _NONE)
    end = np.where(churned, churn - 1, _AS_OF_DAY)

    plan_code = _choose(rng, _PLAN_P, n, tier)
    region = _choose(rng, _REGION_P, n)
    region_null = rng.random(n) < _NULL_REGION_SHARE
    country_p = np.zeros((3, max(len(c) for c in _COUNTRIES)))
    offsets = np.cumsum([0, *(len(c) for c in _COUNTRIES)])
    for r, countries in enumerate(_COUNTRIES):
        country_p[r, : len(countries)] = [c[2] for c in countries]
    country = offsets[region] + _choose(rng, country_p, n, region)
    all_countries = [c for countries in _COUNTRIES for c in countries]
    industry = _choose(rng, [i[1] for i in _INDUSTRIES], n)

    ind_sub = np.asarray(_IND_SUBSCRIPTION_BY_PLAN)[plan_code]
    sub_p = np.where(tier == IND, ind_sub, np.asarray(_SUBSCRIPTION_P)[tier])
    subscription = rng.random(n) < sub_p
    managed = (tier == ENT) | ((tier == SMB) & (rng.random(n) < _MANAGED_SMB_SHARE))
    owner = rng.integers(0, len(plan.owners), n)

    # The pre-churn signature starts 1–3 months before churn; a share of active
    # subscription accounts (tenure ≥ 6 months) are already in it (April or May 2026).
    months_before = 1 + _choose(rng, _DECLINE_MONTHS_P, n)
    churn_month = np.where(churned, _month_of(np.minimum(churn, _AS_OF_DAY)), _NONE)
    at_risk = (
        ~churned
        & subscription
        & (_month_of(signup) <= _LAST_MONTH - 8)
        & (rng.random(n) < _AT_RISK_ACTIVE_SHARE)
    )
    risk_month = np.where(rng.random(n) < 0.6, _LAST_MONTH - 2, _LAST_MONTH - 1)
    decline_month = np.where(
        churned, churn_month - months_before, np.where(at_risk, risk_month, _NONE)
    )
    month_day = _MONTH_START[np.clip(decline_month, 0, _N_MONTHS)]
    decline_day = np.where(subscription, month_day, np.maximum(churn - 30 * months_before, signup))
    decline_day = np.where(churned | at_risk, decline_day, _NONE)

    # Names: "<word> <word> <industry word> <legal suffix>"; individuals often have none.
    first = rng.integers(0, len(_NAME_FIRST), n)
    second = rng.integers(0, len(_NAME_SECOND), n)
    ind_words = [w for ind in _INDUSTRIES for w in ind[2]]
    word = industry * 4 + rng.integers(0, 4, n)
    suffixes = [" " + c[1] for c in all_countries] + [""]
    suffix = np.where((tier == IND) & (rng.random(n) < 0.6), len(all_countries), country)
    name = pl.select(
        pl.concat_str(
            [
                _labels("a", _NAME_FIRST, first),
                pl.lit(" "),
                _labels("b", _NAME_SECOND, second),
                pl.lit(" "),
                _labels("c", ind_words, word),
                _labels("d", suffixes, suffix),
            ]
        )
    ).to_series()

    reason = _choose(rng, _CHURN_REASON_P, n)
    reason_null = ~churned | (rng.random(n) < _NULL_REASON_SHARE)
    term = 365  # annual contracts renew on the signup anniversary
    renewal = signup + term * ((_AS_OF_DAY - signup) // term + 1)

    ids = _ids("C", index + 1, plan.id_width, "customer_id")
    table = pl.DataFrame(
        [
            ids,
            name.alias("name"),
            _labels("segment", TIERS, tier),
            _labels("plan", PLANS, plan_code),
            _labels("region", REGIONS, region, region_null),
            _labels("country", [c[0] for c in all_countries], country),
            _labels("industry", [i[0] for i in _INDUSTRIES], industry),
            _labels("channel", CHANNELS, channel),
            _labels("owner", plan.owners, owner, ~managed),
            _date_series("signup_date", signup),
            _date_series("churn_date", np.where(churned, churn, 0), ~churned),
            _labels("churn_reason", CHURN_REASONS, reason, reason_null),
            pl.Series("annual_revenue", revenue),
            _date_series("renewal_date", renewal, churned | ~subscription),
        ]
    )
    chunk = _Chunk(
        ids=ids,
        tier=tier,
        channel=channel,
        industry=industry,
        signup=signup,
        churn=churn,
        end=end,
        revenue=revenue,
        subscription=subscription,
        sentiment=rng.normal(0, 1, n) + np.where(trained, _TRAINED_SENTIMENT, 0.0),
        engagement=engagement,
        trained=trained,
        decline_day=decline_day,
        decline_month=decline_month,
    )
    return table, chunk


# ---------------------------------------------------------------- orders


def _orders(plan: _Plan, rng: np.random.Generator, c: _Chunk, first_order_id: int, orphans: int):
    n = len(c.tier)
    life_years = (c.end - c.signup + 1) / 365.25
    base_rate = np.asarray(_ORDER_RATE)[c.tier] * _lognormal_mean1(rng, 0.8, n)
    # The channel and training multiply how often a customer buys at the same order size,
    # so they change the yearly spend (and the LTV) around the contract's annual revenue.
    rate = (
        base_rate
        * np.asarray(_CHANNEL_ORDERS)[c.channel]
        * np.where(c.trained, _TRAINED_ORDERS, 1.0)
    )
    # Everyone orders on the signup day; then orders fall uniformly over the life.
    extra = rng.poisson(rate * life_years)
    counts = 1 + extra
    cust = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = _within(counts) == 0
    day = np.where(first, c.signup[cust], _uniform_days(rng, c.signup[cust], c.end[cust]))
    key = np.sort((cust << 13) | day)  # sorted by customer, then date
    cust, day = key >> 13, key & ((1 << 13) - 1)
    total = len(key)

    per_order = c.revenue / np.maximum(base_rate, 0.5)
    amount = per_order[cust] * _lognormal_mean1(rng, 0.45, total)
    first = np.r_[True, cust[1:] != cust[:-1]]
    refund = (rng.random(total) < _REFUND_SHARE) & ~first  # a refund follows a purchase
    amount = np.where(refund, -amount * rng.uniform(0.1, 1.0, total), amount)
    quantity = 1 + rng.poisson(np.asarray([12.0, 3.0, 0.6])[c.tier][cust])
    ids = c.ids.gather(cust)

    if orphans:  # orders of customers deleted from the CRM: ids beyond the last customer
        orphan_ids = plan.customers + 1 + np.sort(rng.integers(0, 3, orphans))
        orphan_day = np.sort(rng.integers(_AS_OF_DAY - 700, _AS_OF_DAY + 1, orphans))
        ids = pl.concat([ids, _ids("C", orphan_ids, plan.id_width, "customer_id")])
        day = np.concatenate([day, orphan_day])
        amount = np.concatenate([amount, rng.uniform(40, 900, orphans)])
        quantity = np.concatenate([quantity, np.ones(orphans, dtype=np.int64)])
        total += orphans

    order_no = np.arange(first_order_id, first_order_id + total, dtype=np.int64)
    return pl.DataFrame(
        [
            _ids("O", order_no, plan.order_id_width, "order_id"),
            ids.alias("customer_id"),
            _date_series("order_date", day),
            pl.Series("amount", np.round(amount, 2)),
            pl.Series("quantity", quantity.astype(np.int32)),
        ]
    )


# ---------------------------------------------------------------- monthly


@dataclass
class _Monthly:
    table: pl.DataFrame | None
    # the written rows since TICKETS_FROM with support tickets: customer, month, tickets
    ticket_rows: tuple[np.ndarray, np.ndarray, np.ndarray]
    # the mrr movements inside the events window, as events: customer, month, kind, amount
    moves: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    pause_from: np.ndarray  # per chunk customer: first day of its pause, _NONE when none
    pause_to: np.ndarray  # the first day after it


def _pauses(rng: np.random.Generator, c: _Chunk, subs, first, last, churned):
    """At most one pause per subscription account: (first month, months after it) or _NONE.

    A pause starts at least 3 months after the first month; a churned account comes
    back before its churn month, an active one may still be paused at DEMO_AS_OF.
    Education pauses in July, Hospitality in November when the account lives then."""
    ns = len(subs)
    rate = np.asarray([_PAUSES.get(i[0], _PAUSE_DEFAULT)[0] for i in _INDUSTRIES])
    prefer = np.asarray([_PAUSES.get(i[0], _PAUSE_DEFAULT)[1] for i in _INDUSTRIES])
    industry = c.industry[subs]
    length = 1 + _choose(rng, _PAUSE_LENGTH_P, ns)
    lo = first + 3
    hi = np.where(churned, last - length, last)
    start = lo + np.floor(rng.random(ns) * np.maximum(hi - lo + 1, 0)).astype(np.int64)
    month_of_year = _MONTH_OF_YEAR[np.clip(start, 0, _LAST_MONTH)]
    snapped = start + (prefer[industry] - month_of_year) % 12
    start = np.where((prefer[industry] > 0) & (snapped <= hi), snapped, start)
    lifetime = last - first + 1
    paused = (hi >= lo) & (rng.random(ns) < -np.expm1(-rate[industry] * lifetime))
    return np.where(paused, start, _NONE), np.where(paused, start + length, _NONE)


def _monthly(rng: np.random.Generator, c: _Chunk) -> _Monthly:
    n = len(c.tier)
    subs = np.flatnonzero(c.subscription)
    first = _month_of(c.signup[subs])
    churned = c.churn[subs] != _NONE
    churn_day = np.where(churned, c.churn[subs], _AS_OF_DAY)
    churn_month = _month_of(churn_day)
    # The churn month has a (partial) row unless the churn date is its first day.
    last = np.where(
        churned,
        np.where(churn_day > _MONTH_START[churn_month], churn_month, churn_month - 1),
        _LAST_MONTH,
    )
    last = np.maximum(last, first)
    pause_from, pause_to = _pauses(rng, c, subs, first, last, churned)
    gap = rng.random(len(subs)) < _PAUSE_GAP_SHARE
    counts = last - first + 1
    row_sub = np.repeat(np.arange(len(subs), dtype=np.int64), counts)
    within = _within(counts)
    month = first[row_sub] + within
    cust = subs[row_sub]
    total = len(month)
    tier = c.tier[cust]
    declining = month >= c.decline_month[cust]
    paused = (month >= pause_from[row_sub]) & (month < pause_to[row_sub])
    # Some billing exports leave a paused subscription out instead of writing mrr 0.
    keep = ~(paused & gap[row_sub])
    del row_sub

    # MRR: starts near the contract value and moves by expansion / contraction steps.
    p_expand = np.asarray([0.075, 0.085, 0.065])[tier]
    p_contract = np.asarray([0.02, 0.025, 0.025])[tier]
    u = rng.random(total)
    step = np.where(
        u < p_expand,
        np.log1p(rng.uniform(0.06, 0.35, total)),
        np.where(u < p_expand + p_contract, np.log1p(-rng.uniform(0.08, 0.3, total)), 0.0),
    )
    del u, p_expand, p_contract
    # Accounts about to churn often downgrade first.
    downgrade = declining & (month == c.decline_month[cust]) & (rng.random(total) < 0.3)
    step = np.where(downgrade, np.log1p(-rng.uniform(0.15, 0.4, total)), step)
    del downgrade
    step[within == 0] = 0.0
    level = np.cumsum(step)
    del step
    level -= np.repeat(level[_segment_starts(counts)], counts)
    mrr0 = c.revenue[subs] / 12 * rng.uniform(0.8, 1.0, len(subs))
    growth = np.exp(level)
    del level
    mrr = np.round(mrr0[np.repeat(np.arange(len(subs)), counts)] * growth, 2)
    mrr[paused] = 0.0

    # Every change of mrr after the first month is a movement (SPEC §7); those in the
    # events window are events too (the first month's "new" is not).
    rows = np.flatnonzero((within > 0) & (month >= _EVENTS_MONTH))
    prev, cur = mrr[rows - 1], mrr[rows]
    moved = cur != prev
    rows, prev, cur = rows[moved], prev[moved], cur[moved]
    kind = np.select(
        [(prev > 0) & (cur > prev), (cur > 0) & (cur < prev), cur == 0],
        [UPGRADED, DOWNGRADED, PAUSED],
        default=RESUMED,
    )
    amount = np.select([kind == PAUSED, kind == RESUMED], [prev, cur], default=np.abs(cur - prev))
    moves = (cust[rows], month[rows], kind, np.round(amount, 2))
    del rows, prev, cur, moved, kind, amount

    columns = [
        c.ids.gather(cust[keep]).alias("customer_id"),
        _date_series("month", _MONTH_START[month[keep]]),
        pl.Series("mrr", mrr[keep]),
    ]
    del mrr

    def column(name: str, values: np.ndarray, null: np.ndarray | None = None) -> None:
        series = pl.Series(name, values[keep].astype(np.int32))
        columns.append(series if null is None else _nulls(series, null[keep]))

    season = np.where(
        _MONTH_OF_YEAR[month] == 12, 0.85, np.where(_MONTH_OF_YEAR[month] == 8, 0.9, 1.0)
    )
    season[paused] *= 0.1  # a paused account barely logs in
    login_base = np.asarray([600.0, 80.0, 20.0])[tier] * c.engagement[cust] * np.sqrt(growth)
    del growth
    column("logins", rng.poisson(login_base * season * np.where(declining, _LOGIN_FACTOR, 1.0)))
    del login_base, season

    usage_base = np.asarray([15.0, 9.0, 6.0])[tier] * c.engagement[cust] ** 0.3
    usage_base += 3.0 * np.minimum(within / 24.0, 1.0)  # grows with tenure
    usage = usage_base * np.where(declining, _USAGE_FACTOR, 1.0) + rng.normal(0, 0.6, total)
    del usage_base
    column("features_used", np.clip(np.round(usage * np.where(paused, 0.3, 1.0)), 0, 30))
    del usage

    ticket_base = np.asarray([3.5, 0.9, 0.25])[tier] * np.exp(-0.2 * c.sentiment[cust])
    ticket_rate = np.where(
        declining,
        np.maximum(ticket_base * _TICKET_FACTOR, ticket_base + _TICKET_MIN_RISE),
        ticket_base,
    )
    del ticket_base
    tickets = rng.poisson(ticket_rate * np.where(paused, 0.3, 1.0))
    del ticket_rate
    column("support_tickets", tickets)
    with_tickets = keep & (month >= _TICKETS_MONTH) & (tickets > 0)
    ticket_rows = (cust[with_tickets], month[with_tickets], tickets[with_tickets])
    del tickets, with_tickets

    nps_base = np.clip(30 + 28 * c.sentiment[cust], -90, 95)
    nps = nps_base + rng.normal(0, 6, total) - np.where(declining, _NPS_DROP, 0.0)
    del nps_base
    nps_null = rng.random(total) < 0.08  # the account survey was not answered that month
    column("nps", np.clip(np.round(nps), -100, 100), nps_null)
    del nps, nps_null

    cancelled = churned[np.repeat(np.arange(len(subs)), counts)] & (month == last.repeat(counts))
    status = np.where(cancelled, 1, np.where(paused, 2, 0))
    columns.append(_labels("status", ("active", "cancelled", "paused"), status[keep]))
    table = pl.DataFrame(columns)

    has = pause_from != _NONE
    day_from = np.full(n, _NONE, dtype=np.int64)
    day_to = np.full(n, _NONE, dtype=np.int64)
    day_from[subs[has]] = _MONTH_START[pause_from[has]]
    day_to[subs[has]] = _MONTH_START[np.minimum(pause_to[has], _N_MONTHS)]
    return _Monthly(table, ticket_rows, moves, day_from, day_to)


# ---------------------------------------------------------------- tickets


@dataclass
class _Tickets:
    table: pl.DataFrame | None
    cust: np.ndarray  # chunk position per ticket
    created: np.ndarray  # seconds since HISTORY_START
    priority: np.ndarray


def _us(seconds: np.ndarray) -> np.ndarray:
    return (seconds + _EPOCH_SHIFT * 86_400) * 1_000_000


def _tickets(plan: _Plan, rng: np.random.Generator, c: _Chunk, m: _Monthly, first_id: int):
    """Helpdesk tickets since TICKETS_FROM: a subscription account's tickets of a month are
    its monthly support_tickets; other customers open about one every ten months."""
    n = len(c.tier)
    row_cust, row_month, row_tickets = m.ticket_rows
    sub_cust = np.repeat(row_cust, row_tickets)
    month = np.repeat(row_month, row_tickets)
    sub_lo = np.maximum(_MONTH_START[month], c.signup[sub_cust])
    sub_hi = np.minimum(_MONTH_START[month + 1] - 1, c.end[sub_cust])
    lo = np.maximum(c.signup, _TICKETS_DAY)
    days = np.maximum(c.end - lo + 1, 0)
    k = rng.poisson(_NONSUB_TICKETS_PER_MONTH * days / 30.4375)
    k = np.where(c.subscription, 0, k)
    other = np.repeat(np.arange(n, dtype=np.int64), k)
    cust = np.concatenate([sub_cust, other])
    day = _uniform_days(
        rng, np.concatenate([sub_lo, lo[other]]), np.concatenate([sub_hi, c.end[other]])
    )
    created = day * 86_400 + 7 * 3_600 + rng.integers(0, 12 * 3_600, len(day))  # 07:00–19:00
    order = np.lexsort((created, cust))
    cust, created, day = cust[order], created[order], day[order]
    total = len(cust)

    priority = 1 + _choose(rng, (0.6, 0.3, 0.1), total)
    declining = day >= c.decline_day[cust]
    context = np.where(day - c.signup[cust] < 60, 0, np.where(declining, 1, 2))
    topic = _choose(rng, _TICKET_TOPIC_P, total, context)
    response_h = (
        np.asarray(_FIRST_RESPONSE_HOURS)[priority - 1]
        * np.asarray(_TIER_RESPONSE)[c.tier[cust]]
        * np.exp(rng.normal(0, 0.9, total))
    )
    resolve_h = (
        np.asarray(_RESOLUTION_HOURS)[topic]
        * np.exp(rng.normal(0, 1.0, total))
        * np.where(declining, 1.5, 1.0)
    )
    no_response = rng.random(total) < _NO_RESPONSE_SHARE
    stuck = rng.random(total) < _STUCK_SHARE
    first_response = created + np.round(response_h * 3_600).astype(np.int64)
    resolved_at = np.where(no_response, created, first_response)
    resolved_at = resolved_at + np.round(resolve_h * 3_600).astype(np.int64)
    responded = ~no_response & (first_response < _END_SECOND)
    resolved = ~stuck & (resolved_at < _END_SECOND)
    status = np.where(resolved, 0, np.where(stuck & responded, 2, 1))

    table = pl.DataFrame(
        [
            _ids("T", np.arange(first_id, first_id + total), plan.order_id_width, "ticket_id"),
            c.ids.gather(cust).alias("customer_id"),
            pl.Series("created_at", _us(created)).cast(pl.Datetime("us")),
            _nulls(
                pl.Series("first_response_at", _us(first_response)).cast(pl.Datetime("us")),
                ~responded,
            ),
            _nulls(pl.Series("resolved_at", _us(resolved_at)).cast(pl.Datetime("us")), ~resolved),
            _labels("topic", TICKET_TOPICS, topic),
            _labels("status", TICKET_STATUSES, status),
            pl.Series("priority", priority.astype(np.int32)),
        ]
    )
    return _Tickets(table, cust, created, priority)


# ---------------------------------------------------------------- events


def _events(rng: np.random.Generator, c: _Chunk, m: _Monthly, t: _Tickets) -> pl.DataFrame:
    n = len(c.tier)
    lo = np.maximum(c.signup, _EVENTS_DAY)
    hi = c.end
    days = np.maximum(hi - lo + 1, 0)
    quarters = days / 91.0
    in_window = days > 0
    everyone = np.arange(n, dtype=np.int64)
    engagement = c.engagement

    # Events drawn per customer and type, on uniform days of the customer's window.
    counts = np.zeros((len(EVENT_TYPES), n), dtype=np.int64)
    counts[LOGIN] = rng.poisson(np.asarray([38.0, 15.0, 6.0])[c.tier] * engagement * quarters)
    counts[FEATURE] = rng.poisson(
        np.asarray([3.0, 1.4, 0.5])[c.tier] * np.sqrt(engagement) * quarters
    )
    # Training: the customers who train attend at least once in the window, bigger ones more.
    trainings = 1 + rng.poisson(0.12 * (c.revenue / 1000.0) ** 0.4 * quarters)
    counts[TRAINING] = np.where(c.trained & in_window, trainings, 0)
    counts[PAYMENT] = rng.poisson(0.05 * quarters)
    # Product events by breadth of use: engaged, larger and trained accounts adopt more types.
    breadth = (
        np.log(engagement)
        + np.asarray([1.0, 0.5, 0.0])[c.tier]
        + np.where(c.trained, 0.8, 0.0)
        + rng.normal(0, 0.7, n)
    )
    ramp = np.minimum(days / 60.0, 1.0)  # a customer new to the window has had less time
    for k, (_name, intercept, per_quarter) in enumerate(_PRODUCT_EVENTS):
        adopted = in_window & (rng.random(n) < _sigmoid(intercept + 1.5 * breadth) * ramp)
        extra = rng.poisson(per_quarter * quarters * np.sqrt(engagement))
        counts[_PRODUCT0 + k] = np.where(adopted, 1 + extra, 0)
    per_kind = counts.sum(axis=1)
    cust = np.concatenate([np.repeat(everyone, row) for row in counts])
    kind = np.repeat(np.arange(len(EVENT_TYPES), dtype=np.int64), per_kind)
    del counts
    day = _uniform_days(rng, lo[cust], hi[cust])

    # Failed payments cluster before churn.
    dec_lo = np.maximum(c.decline_day, lo)
    has = in_window & (c.decline_day != _NONE) & (dec_lo <= hi)
    failed = np.repeat(everyone, np.where(has, rng.poisson(1.1, n), 0))
    # The monthly rows' movements in the window, on a day of their month.
    move_cust, month, move_kind, move_amount = m.moves
    start = np.maximum(_MONTH_START[month], lo[move_cust])
    stop = np.minimum(_MONTH_START[month + 1] - 1, hi[move_cust])
    cust = np.concatenate([cust, failed, move_cust])
    kind = np.concatenate([kind, np.full(len(failed), PAYMENT), move_kind])
    day = np.concatenate(
        [day, _uniform_days(rng, dec_lo[failed], hi[failed]), _uniform_days(rng, start, stop)]
    )
    seconds = day * 86_400 + 7 * 3_600 + rng.integers(0, 14 * 3_600, len(day))  # 07:00–21:00
    # Tickets: exactly the tickets table's rows created in the window.
    pick = t.created >= _EVENTS_DAY * 86_400
    cust = np.concatenate([cust, t.cust[pick]])
    kind = np.concatenate([kind, np.full(int(pick.sum()), TICKET)])
    seconds = np.concatenate([seconds, t.created[pick]])
    del day

    # Logins fall in the months before churn, and usage almost stops during a pause: thin them.
    usage = np.zeros(len(EVENT_TYPES), dtype=bool)
    usage[_USAGE_KINDS] = True
    on_day = seconds // 86_400
    u = rng.random(len(seconds))
    drop = (kind == LOGIN) & (on_day >= c.decline_day[cust]) & (u > _LOGIN_FACTOR)
    drop |= usage[kind] & (on_day >= m.pause_from[cust]) & (on_day < m.pause_to[cust]) & (u < 0.9)
    keep = ~drop
    del on_day, u, drop
    key = (cust[keep] << 33) | (seconds[keep] << 5) | kind[keep]  # by customer, then time
    del cust, seconds, kind, keep
    key.sort()
    cust, seconds, kind = key >> 33, (key >> 5) & ((1 << 28) - 1), key & 31
    del key
    total = len(kind)

    # Values by type. Tickets and movements keep their order (customer, then time) through
    # the sort, so their values are assigned in order.
    value = np.ones(total)
    pick = kind == LOGIN
    value[pick] = np.round(np.exp(rng.normal(math.log(14), 0.7, pick.sum())), 1)  # minutes
    pick = kind == FEATURE
    value[pick] = rng.integers(1, 31, pick.sum())  # feature number
    pick = kind == TRAINING
    value[pick] = np.asarray([1.0, 2.0, 4.0, 8.0])[_choose(rng, (0.4, 0.35, 0.2, 0.05), pick.sum())]
    pick = kind == PAYMENT
    value[pick] = np.round(c.revenue[cust[pick]] / 12 * rng.uniform(0.8, 1.2, pick.sum()), 2)
    pick = kind == _PRODUCT0 + [e[0] for e in _PRODUCT_EVENTS].index("user_invited")
    value[pick] = 1 + rng.poisson(1.0, pick.sum())  # people invited
    value[kind == TICKET] = t.priority[t.created >= _EVENTS_DAY * 86_400]
    value[(kind >= UPGRADED) & (kind <= RESUMED)] = move_amount  # the mrr moved

    return pl.DataFrame(
        [
            c.ids.gather(cust).alias("customer_id"),
            pl.Series("ts", _us(seconds)).cast(pl.Datetime("us")),
            _labels("event_type", EVENT_TYPES, kind),
            pl.Series("value", value),
        ]
    )


# ---------------------------------------------------------------- feedback


def _feedback(rng: np.random.Generator, c: _Chunk, hostile: bool) -> pl.DataFrame:
    n = len(c.tier)
    lo = c.signup + 14
    days = np.maximum(c.end - lo + 1, 0)
    counts = rng.poisson(_FEEDBACK_PER_YEAR * days / 365.25)
    cust = np.repeat(np.arange(n, dtype=np.int64), counts)
    day = _uniform_days(rng, lo[cust], c.end[cust])
    key = np.sort((cust << 13) | day)
    cust, day = key >> 13, key & ((1 << 13) - 1)
    total = len(key)

    # What the response is about: onboarding early on, billing and performance when declining.
    declining = day >= c.decline_day[cust]
    context = np.where(day - c.signup[cust] < 90, 0, np.where(declining, 1, 2))
    topic = _choose(rng, _FEEDBACK_TOPIC_P, total, context)
    mu = 8.2 + 1.3 * c.sentiment[cust] - np.where(declining, 3.5, 0.0)
    score = np.clip(np.round(rng.normal(mu + np.asarray(_TOPIC_SCORE)[topic], 1.4)), 0, 10)
    csat = 1.2 + 0.38 * score + np.asarray(_TOPIC_CSAT)[topic] + rng.normal(0, 0.55, total)
    csat = np.clip(np.round(csat), 1, 5)
    untagged = rng.random(total) < _NULL_TOPIC_SHARE
    no_csat = rng.random(total) < _NULL_CSAT_SHARE
    band = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    row = np.where(untagged, len(FEEDBACK_TOPICS), topic)
    comment = (row * 3 + band) * 2 + rng.integers(0, 2, total)
    flat = [text for by_band in _COMMENTS for pair in by_band for text in pair]
    has_comment = rng.random(total) < 0.45
    if hostile and total:
        # Recent responses, so they show in account detail and recent-feedback panes.
        recent = np.flatnonzero(day >= _AS_OF_DAY - 120)
        pool = recent if len(recent) >= len(HOSTILE_COMMENTS) else np.arange(total)
        spots = np.sort(rng.choice(pool, size=min(len(pool), len(HOSTILE_COMMENTS)), replace=False))
        comment[spots] = len(flat) + np.arange(len(spots))
        has_comment[spots] = True
    comments = pl.Series("comment", [*flat, *HOSTILE_COMMENTS], dtype=pl.String).gather(comment)
    return pl.DataFrame(
        [
            c.ids.gather(cust).alias("customer_id"),
            _date_series("date", day),
            pl.Series("score", score.astype(np.int32)),
            _nulls(pl.Series("csat", csat.astype(np.int32)), no_csat),
            _nulls(comments, ~has_comment),
            _labels("topic", FEEDBACK_TOPICS, topic, untagged),
        ]
    )


# ---------------------------------------------------------------- spend


def _spend(rng: np.random.Generator, signups: np.ndarray) -> pl.DataFrame:
    """Monthly acquisition spend per channel: acquisitions × cost per acquisition, noisy."""
    months, channels = np.divmod(np.arange(_N_MONTHS * len(CHANNELS)), len(CHANNELS))
    cac = np.asarray(_CAC)[channels] * (1 + 0.03 * months / 12)  # costs creep up
    amount = (signups + 1) * cac * _lognormal_mean1(rng, 0.15, len(months))
    return pl.DataFrame(
        [
            _date_series("month", _MONTH_START[months]),
            _labels("channel", CHANNELS, channels),
            pl.Series("amount", np.round(amount, 2)),
        ]
    )


# ---------------------------------------------------------------- writing


def _clear(out: Path) -> None:
    """Remove this generator's earlier output so parts of an old run never mix in."""
    for table in TABLES:
        single = out / f"{table}.parquet"
        if single.is_file():
            single.unlink()
        folder = out / table
        if folder.is_dir():
            for part in folder.glob("part-*.parquet"):
                part.unlink()
            if not any(folder.iterdir()):
                folder.rmdir()


def _write(frame: pl.DataFrame, out: Path, table: str, chunk: int, chunks: int) -> None:
    if chunks == 1:
        path = out / f"{table}.parquet"
    else:
        path = out / table / f"part-{chunk:05d}.parquet"
        path.parent.mkdir(exist_ok=True)
    frame.write_parquet(path, compression="zstd", statistics=True)


def generate_demo(
    out: Path,
    customers: int,
    seed: int = 7,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write every table of SPEC §1 and `tickets` into `out`; return the rows written per table."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    report = progress or (lambda _stage, _done: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    plan = _plan(customers, seed)
    n_chunks = len(plan.chunks)
    rows = dict.fromkeys(TABLES, 0)
    signups = np.zeros(_N_MONTHS * len(CHANNELS), dtype=np.int64)
    orphans = 5 + int(np.random.default_rng([seed, 1_000_002]).integers(0, 6))
    next_order_id = next_ticket_id = 1
    steps = ("customers", "orders", "monthly", "tickets", "events", "feedback")

    for k, (lo, hi) in enumerate(plan.chunks):
        rng = np.random.default_rng([seed, k])
        where = f"chunk {k + 1}/{n_chunks}: " if n_chunks > 1 else ""

        def tick(step: int, _k: int = k, _where: str = where) -> None:
            report(f"{_where}{steps[step]}", (_k + step / len(steps)) / n_chunks)

        def emit(table: str, frame: pl.DataFrame, _k: int = k) -> int:
            """Write one table's part as soon as it exists, so only one is in memory."""
            _write(frame, out, table, _k, n_chunks)
            rows[table] += frame.height
            return frame.height

        tick(0)
        customers_table, chunk = _customers(plan, rng, lo, hi)
        signups += np.bincount(
            _month_of(chunk.signup) * len(CHANNELS) + chunk.channel, minlength=len(signups)
        )
        emit("customers", customers_table)
        del customers_table
        tick(1)
        extra = orphans if k == n_chunks - 1 else 0
        next_order_id += emit("orders", _orders(plan, rng, chunk, next_order_id, extra))
        tick(2)
        monthly = _monthly(rng, chunk)
        emit("monthly", monthly.table)
        monthly.table = None
        tick(3)
        tickets = _tickets(plan, rng, chunk, monthly, next_ticket_id)
        next_ticket_id += emit("tickets", tickets.table)
        tickets.table = None
        tick(4)
        emit("events", _events(rng, chunk, monthly, tickets))
        del monthly, tickets
        tick(5)
        emit("feedback", _feedback(rng, chunk, hostile=k == 0))
        del chunk

    report("spend", 0.99)
    spend = _spend(np.random.default_rng([seed, 1_000_003]), signups)
    _write(spend, out, "spend", 0, 1)
    rows["spend"] = spend.height
    report("done", 1.0)
    return rows

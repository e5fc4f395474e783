"""`cxtui.toml`: where each table lives, how its columns map, and metric settings.

The format is documented with worked examples in ``docs/config.md``. Every key is
checked: an unknown key or a bad value is a one-line :class:`CxError` that names
the key and the fix.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxtui.errors import CxError
from cxtui.metrics.signals import SIGNAL_IDS, default_thresholds, default_weights

TABLE_NAMES = ("customers", "orders", "monthly", "events", "feedback", "spend", "tickets")

# [risk] keys and defaults, from the table of risk signals (SPEC §2 "Risk score").
RISK_SIGNALS = SIGNAL_IDS
DEFAULT_RISK_WEIGHTS = default_weights()
DEFAULT_RISK_THRESHOLDS = default_thresholds()


@dataclass(frozen=True)
class TableMapping:
    """Where one table comes from and how its columns map onto canonical names."""

    path: str | None = None  # file, folder, glob or URL, relative to the dataset folder
    format: str | None = None  # "parquet" | "csv" (inferred) | "delta" | "iceberg"
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source column
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical -> {raw: value}
    csv_separator: str = ","
    version: int | None = None  # delta: the table version read (default: the latest)
    snapshot_id: int | None = None  # iceberg: the snapshot read (default: the current one)
    catalog: str | None = None  # iceberg: a SQL catalog (sqlite file or SQLAlchemy URL)
    table: str | None = None  # iceberg with a catalog: "namespace.table"
    catalog_name: str | None = None  # iceberg: the catalog's name (default: the file's one)


# Lakehouse table formats (SPEC §12), read through deltalake / pyiceberg, and
# their [tables.X] keys
LAKEHOUSE_FORMATS = ("delta", "iceberg")
_LAKEHOUSE_KEYS = {"version", "snapshot_id", "catalog", "table", "catalog_name"}


@dataclass(frozen=True)
class BinnedDimension:
    """A user-defined dimension: a numeric column cut into labelled bins.

    ``edges`` are left-closed bin starts. With one label per edge, values below
    the first edge get no label (null); with one label more than edges, the first
    label covers everything below the first edge.
    """

    name: str
    column: str
    edges: tuple[float, ...]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    tables: dict[str, TableMapping] = field(default_factory=dict)
    source: Path | None = None
    # [storage]: object-store options passed to the readers (SPEC §12); they may
    # hold secrets, so they are never shown (the fingerprint only hashes them)
    storage: dict[str, str] = field(default_factory=dict, repr=False)
    currency: str = "$"
    inactive_after_days: int = 365
    tier_enterprise: float = 50_000.0
    tier_smb: float = 5_000.0
    engagement_low: float = 15.0  # Low < this
    engagement_high: float = 30.0  # High > this
    # event diversity bins (SPEC §10): left-closed starts in distinct event types
    diversity_edges: tuple[int, ...] = (0, 5, 8)
    risk_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RISK_WEIGHTS))
    risk_thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RISK_THRESHOLDS))
    payment_event_types: tuple[str, ...] = ("payment_failed",)
    dimensions: dict[str, BinnedDimension] = field(default_factory=dict)
    # tickets per customer (SPEC §9): left-closed range starts, the last open-ended
    support_ranges: tuple[int, ...] = (0, 1, 2, 5, 11)
    # the insights' thresholds (SPEC §11, `[insights]`)
    insights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_INSIGHTS))

    def fingerprint(self) -> str:
        """A stable text form, part of the facts cache key."""
        return repr(
            (
                sorted((k, repr(v)) for k, v in self.tables.items()),
                sorted(self.storage.items()),
                self.currency,
                self.inactive_after_days,
                self.tier_enterprise,
                self.tier_smb,
                self.engagement_low,
                self.engagement_high,
                self.diversity_edges,
                sorted(self.risk_weights.items()),
                sorted(self.risk_thresholds.items()),
                self.payment_event_types,
                sorted((k, repr(v)) for k, v in self.dimensions.items()),
                self.support_ranges,
                sorted(self.insights.items()),  # the report starts with the insights
            )
        )


_TOP_KEYS = {
    "tables",
    "settings",
    "tiers",
    "engagement",
    "risk",
    "dimensions",
    "support",
    "insights",
}

# SPEC §11's thresholds: an account is at risk from this score; a repeat buyer
# (at least min_orders orders) is lapsing after order_gap_days without one; the
# churn reason's window and the one before it are churn_window_days long; a
# segment needs min_customers in the retention base to be the lowest NRR.
DEFAULT_INSIGHTS: dict[str, float] = {
    "risk_score": 60,
    "order_gap_days": 90,
    "min_orders": 2,
    "churn_window_days": 90,
    "min_customers": 5,
}
_TABLE_KEYS = {"path", "format", "columns", "values", "separator"}


def _fail(where: Path, key: str, problem: str, fix: str) -> CxError:
    return CxError(f"{where}: [{key}] {problem}; fix: {fix}")


def _number(where: Path, key: str, value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(float(value))
    ):
        raise _fail(
            where, key, f"expected a finite number, got {value!r}", f"write e.g. {key} = 10"
        )
    return float(value)


def _check_keys(where: Path, section: str, got: Any, allowed: set[str] | tuple[str, ...]) -> None:
    if not isinstance(got, dict):
        raise _fail(
            where, section, f"expected a table of settings, got {got!r}", f"write [{section}]"
        )
    unknown = sorted(set(got) - set(allowed))
    if unknown:
        raise _fail(
            where,
            section,
            f"unknown key {unknown[0]!r}",
            f"use one of {', '.join(sorted(allowed))}",
        )


def _table(where: Path, name: str, raw: Any) -> TableMapping:
    key = f"tables.{name}"
    if isinstance(raw, str):  # shorthand: tables.orders = "sales.csv"
        return TableMapping(path=raw)
    if not isinstance(raw, dict):
        raise _fail(where, key, "expected a table or a path", f'write [{key}] path = "file.csv"')
    _check_keys(where, key, raw, _TABLE_KEYS | _LAKEHOUSE_KEYS)
    path = raw.get("path")
    if path is not None and not isinstance(path, str):
        raise _fail(where, f"{key}.path", "expected a text path", 'write path = "file.parquet"')
    fmt = raw.get("format")
    if fmt is not None and fmt not in ("parquet", "csv", *LAKEHOUSE_FORMATS):
        raise _fail(
            where,
            f"{key}.format",
            f"unknown format {fmt!r}",
            'use "parquet", "csv", "delta" or "iceberg"',
        )
    lakehouse = _lakehouse(where, key, fmt, raw)
    columns = raw.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise _fail(
            where,
            f"{key}.columns",
            'expected canonical = "source column" pairs',
            'write customer_id = "user_id"',
        )
    values = raw.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise _fail(
            where,
            f"{key}.values",
            "expected one sub-table per column",
            f'write [{key}.values.is_active] "Yes" = true',
        )
    sep = raw.get("separator", ",")
    if not isinstance(sep, str) or len(sep) != 1:
        raise _fail(where, f"{key}.separator", f"expected one character, got {sep!r}", 'use ";"')
    return TableMapping(
        path=path,
        format=fmt,
        columns=dict(columns),
        values=dict(values),
        csv_separator=sep,
        **lakehouse,
    )


def _lakehouse(where: Path, key: str, fmt: str | None, raw: dict[str, Any]) -> dict[str, Any]:
    """The Delta / Iceberg keys of one [tables.X], each only with its format.
    delta: path (the table's folder or URL), optional version. iceberg: path (a
    metadata file or the table's folder) or catalog + table, optional snapshot_id."""
    out: dict[str, Any] = {}
    own = dict.fromkeys(sorted(_LAKEHOUSE_KEYS), "iceberg") | {"version": "delta"}
    for name, needs in own.items():
        if name not in raw:
            continue
        if fmt != needs:
            raise _fail(
                where, f"{key}.{name}", f"{name} is for {needs} tables", f'set format = "{needs}"'
            )
        value = raw[name]
        if name in ("version", "snapshot_id"):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _fail(
                    where, f"{key}.{name}", f"expected a whole number, got {value!r}", f"{name} = 3"
                )
        elif not isinstance(value, str) or not value.strip():
            example = {"catalog": '"catalog.db"', "table": '"shop.orders"'}.get(name, '"default"')
            raise _fail(where, f"{key}.{name}", "expected text", f"write {name} = {example}")
        out[name] = value
    if fmt == "delta" and raw.get("path") is None:
        raise _fail(where, f"{key}.path", "a Delta table needs its folder", 'path = "orders_delta"')
    if fmt == "iceberg":
        by_catalog = "catalog" in out or "table" in out or "catalog_name" in out
        if by_catalog and not ("catalog" in out and "table" in out):
            raise _fail(
                where,
                key,
                "an Iceberg catalog needs both catalog and table",
                'write catalog = "catalog.db" and table = "shop.orders"',
            )
        if by_catalog == (raw.get("path") is not None):
            raise _fail(
                where,
                key,
                "an Iceberg table is given by path or by catalog + table (one of them)",
                'write path = "orders/metadata/v2.metadata.json", or catalog and table',
            )
    if fmt in LAKEHOUSE_FORMATS and "separator" in raw:
        raise _fail(where, f"{key}.separator", "separator is for CSV files", "remove it")
    return out


# [storage] keys: object_store's option names (Polars passes them on as they are)
_STORAGE_PREFIXES = ("aws_", "google_", "azure_")
_STORAGE_CLIENT_KEYS = {
    "allow_http",
    "allow_invalid_certificates",
    "connect_timeout",
    "timeout",
    "pool_idle_timeout",
    "pool_max_idle_per_host",
    "proxy_url",
    "proxy_ca_certificate",
    "proxy_excludes",
    "user_agent",
    "http1_only",
    "http2_only",
    "max_retries",
    "retry_timeout",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "token",
    "region",
    "endpoint",
    "endpoint_url",
    "account_name",
    "account_key",
    "sas_token",
    "client_id",
    "client_secret",
    "tenant_id",
    "use_emulator",
    "service_account",
    "skip_signature",
}


def _storage(where: Path, raw: Any) -> dict[str, str]:
    """[storage]: options for the object stores by object_store's names
    (docs/config.md); values are text, numbers or true/false, passed as text."""
    if not isinstance(raw, dict):
        raise _fail(
            where, "storage", "expected a table of options", 'write aws_region = "eu-west-1"'
        )
    out: dict[str, str] = {}
    for name, value in raw.items():
        low = name.lower()
        if not (low.startswith(_STORAGE_PREFIXES) or low in _STORAGE_CLIENT_KEYS):
            raise _fail(
                where,
                f"storage.{name}",
                "unknown storage option",
                "use an object_store option such as aws_endpoint_url, aws_region, "
                "google_service_account or azure_storage_account_name (docs/config.md)",
            )
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float) and math.isfinite(float(value)):
            text = str(value)
        elif isinstance(value, str):
            text = value
        else:
            raise _fail(
                where,
                f"storage.{name}",
                f"expected text, a number or true/false, got {value!r}",
                f'write {name} = "…"',
            )
        out[low] = text
    return out


def _dimension(where: Path, name: str, raw: Any) -> BinnedDimension:
    key = f"dimensions.{name}"
    if not isinstance(raw, dict):
        raise _fail(where, key, "expected a table", "give column, edges and labels")
    _check_keys(where, key, raw, {"column", "edges", "labels"})
    column = raw.get("column")
    edges = raw.get("edges")
    labels = raw.get("labels")
    if not isinstance(column, str):
        raise _fail(where, f"{key}.column", "missing or not text", 'write column = "mrr"')
    if not isinstance(edges, list) or not edges:
        raise _fail(where, f"{key}.edges", "expected a list of numbers", "write edges = [1, 2, 6]")
    nums = tuple(_number(where, f"{key}.edges", e) for e in edges)
    if list(nums) != sorted(set(nums)):
        raise _fail(where, f"{key}.edges", "edges must increase strictly", "sort them")
    if (
        not isinstance(labels, list)
        or not all(isinstance(lbl, str) for lbl in labels)
        or len(labels) not in (len(nums), len(nums) + 1)
    ):
        raise _fail(
            where,
            f"{key}.labels",
            f"expected {len(nums)} or {len(nums) + 1} text labels",
            "give one label per edge (or one more for values below the first edge)",
        )
    return BinnedDimension(name=name, column=column, edges=nums, labels=tuple(labels))


def _diversity_edges(where: Path, raw: Any) -> tuple[int, ...]:
    """Bin starts in distinct event types: whole numbers from 0, strictly increasing."""
    key = "engagement.diversity_edges"
    fix = "write diversity_edges = [0, 5, 8] (bins 0-4, 5-7, 8+)"
    if not isinstance(raw, list) or not raw:
        raise _fail(where, key, "expected a list of whole numbers", fix)
    nums = [_number(where, key, e) for e in raw]
    if any(n != int(n) for n in nums):
        raise _fail(where, key, "edges count event types: whole numbers only", fix)
    if nums[0] != 0:
        raise _fail(where, key, "the first edge must be 0 so every customer has a bin", fix)
    if nums != sorted(set(nums)):
        raise _fail(where, key, "edges must increase strictly", fix)
    return tuple(int(n) for n in nums)


def _support_ranges(where: Path, raw: Any) -> tuple[int, ...]:
    """Range starts in tickets per customer: whole numbers from 0, strictly increasing."""
    key = "support.ranges"
    fix = "write ranges = [0, 1, 2, 5, 11] (0, 1, 2-4, 5-10, 11+)"
    if not isinstance(raw, list) or not raw:
        raise _fail(where, key, "expected a list of whole numbers", fix)
    nums = [_number(where, key, e) for e in raw]
    if any(n != int(n) for n in nums):
        raise _fail(where, key, "ranges count tickets: whole numbers only", fix)
    if nums[0] != 0:
        raise _fail(where, key, "the first range must start at 0 so every customer has one", fix)
    if nums != sorted(set(nums)):
        raise _fail(where, key, "range starts must increase strictly", fix)
    return tuple(int(n) for n in nums)


def parse_config(where: Path, raw: dict[str, Any]) -> Config:
    _check_keys(where, "top level", raw, _TOP_KEYS | {"storage"})
    tables_raw = raw.get("tables", {})
    if not isinstance(tables_raw, dict):
        raise _fail(where, "tables", "expected a table", "write [tables.orders]")
    _check_keys(where, "tables", tables_raw, TABLE_NAMES)
    tables = {name: _table(where, name, v) for name, v in tables_raw.items()}

    kwargs: dict[str, Any] = {"tables": tables, "source": where}
    settings = raw.get("settings", {})
    _check_keys(where, "settings", settings, {"currency", "inactive_after_days"})
    if "currency" in settings:
        if not isinstance(settings["currency"], str):
            raise _fail(where, "settings.currency", "expected text", 'write currency = "€"')
        from cxtui.render.text import safe_text

        kwargs["currency"] = safe_text(settings["currency"], 8)  # shown in every money cell
    if "inactive_after_days" in settings:
        days = _number(where, "settings.inactive_after_days", settings["inactive_after_days"])
        if days < 1 or days != int(days) or days > 36_500:
            raise _fail(
                where, "settings.inactive_after_days", "must be a whole number of days", "e.g. 365"
            )
        kwargs["inactive_after_days"] = int(days)

    tiers = raw.get("tiers", {})
    _check_keys(where, "tiers", tiers, {"enterprise", "smb"})
    if "enterprise" in tiers:
        kwargs["tier_enterprise"] = _number(where, "tiers.enterprise", tiers["enterprise"])
    if "smb" in tiers:
        kwargs["tier_smb"] = _number(where, "tiers.smb", tiers["smb"])
    if kwargs.get("tier_smb", Config.tier_smb) > kwargs.get(
        "tier_enterprise", Config.tier_enterprise
    ):
        raise _fail(where, "tiers", "smb is above enterprise", "give smb <= enterprise")

    engagement = raw.get("engagement", {})
    _check_keys(where, "engagement", engagement, {"low", "high", "diversity_edges"})
    if "low" in engagement:
        kwargs["engagement_low"] = _number(where, "engagement.low", engagement["low"])
    if "high" in engagement:
        kwargs["engagement_high"] = _number(where, "engagement.high", engagement["high"])
    low = kwargs.get("engagement_low", Config.engagement_low)
    if low > kwargs.get("engagement_high", Config.engagement_high):
        raise _fail(where, "engagement", "low is above high", "give low <= high")
    if "diversity_edges" in engagement:
        kwargs["diversity_edges"] = _diversity_edges(where, engagement["diversity_edges"])

    risk = raw.get("risk", {})
    _check_keys(where, "risk", risk, {"weights", "thresholds", "payment_event_types"})
    weights = dict(DEFAULT_RISK_WEIGHTS)
    w_raw = risk.get("weights", {})
    _check_keys(where, "risk.weights", w_raw, RISK_SIGNALS)
    for k, v in w_raw.items():
        weights[k] = _number(where, f"risk.weights.{k}", v)
        if weights[k] < 0:
            raise _fail(where, f"risk.weights.{k}", "must not be negative", "e.g. 20")
    thresholds = dict(DEFAULT_RISK_THRESHOLDS)
    t_raw = risk.get("thresholds", {})
    _check_keys(where, "risk.thresholds", t_raw, tuple(DEFAULT_RISK_THRESHOLDS))
    for k, v in t_raw.items():
        thresholds[k] = _number(where, f"risk.thresholds.{k}", v)
    kwargs["risk_weights"] = weights
    kwargs["risk_thresholds"] = thresholds
    if "payment_event_types" in risk:
        pet = risk["payment_event_types"]
        if not isinstance(pet, list) or not all(isinstance(x, str) for x in pet):
            raise _fail(
                where,
                "risk.payment_event_types",
                "expected a list of text",
                'write payment_event_types = ["payment_failed"]',
            )
        kwargs["payment_event_types"] = tuple(pet)

    dims_raw = raw.get("dimensions", {})
    if not isinstance(dims_raw, dict):
        raise _fail(where, "dimensions", "expected a table", "write [dimensions.NAME]")
    kwargs["dimensions"] = {n: _dimension(where, n, v) for n, v in dims_raw.items()}
    if "storage" in raw:
        kwargs["storage"] = _storage(where, raw["storage"])

    support = raw.get("support", {})
    _check_keys(where, "support", support, {"ranges"})
    if "ranges" in support:
        kwargs["support_ranges"] = _support_ranges(where, support["ranges"])
    insights = raw.get("insights", {})
    _check_keys(where, "insights", insights, tuple(DEFAULT_INSIGHTS))
    thresholds = dict(DEFAULT_INSIGHTS)
    for key, value in insights.items():
        number = _number(where, f"insights.{key}", value)
        if number < 0 or (key != "risk_score" and not number.is_integer()):
            raise _fail(
                where,
                f"insights.{key}",
                f"expected a whole number >= 0, got {value!r}",
                f"write e.g. {key} = {DEFAULT_INSIGHTS[key]:g}",
            )
        thresholds[key] = number
    kwargs["insights"] = thresholds
    return Config(**kwargs)


def load_config(root: Path, config_file: Path | None = None) -> Config:
    """Read ``config_file``, else ``root/cxtui.toml``, else return the defaults."""
    path = config_file if config_file is not None else root / "cxtui.toml"
    if config_file is None and not path.is_file():
        return Config()
    if not path.is_file():
        raise CxError(f"{path}: config file not found; fix: check the --config path")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))  # Notepad writes a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise CxError(f"{path}: cannot read config ({exc}); fix: check the file") from None
    except tomllib.TOMLDecodeError as exc:
        raise CxError(f"{path}: not valid TOML ({exc}); fix: correct the syntax") from None
    return parse_config(path, raw)

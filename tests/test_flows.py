"""SPEC §10 flows: a hand-worked tree with folding into "other", and a property
test against a plain-Python tree built here (siblings add up to their parent).

The hand-worked dataset is a bare customers export (value = arr = annual_revenue;
status from is_active), ten customers:
  c1 p1 active 100   c2 p1 active 200   c3 p1 active —   c4 p1 active 50
  c5 p1 churned 10   c6 p2 active 30    c7 p2 churned 40  c8 p2 churned 60
  c9 p3 active 5     c10 (no plan) churned —
"""

from __future__ import annotations

import math
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxtui.errors import CxError
from cxtui.metrics import flows as F
from tests.part2_helpers import ago, ids, rows, run, scope_of, table, write

PLANS = ["p1"] * 5 + ["p2"] * 3 + ["p3", None]
ACTIVE = [True, True, True, True, False, True, False, False, True, False]
REVENUE = [100.0, 200.0, None, 50.0, 10.0, 30.0, 40.0, 60.0, 5.0, None]


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-12)


def _dataset(root: Path) -> Path:
    n = len(PLANS)
    return write(
        root,
        customers=table(
            customer_id=[f"c{i}" for i in range(1, n + 1)],
            signup_date=[date(2024, 1, 1)] * n,
            plan=PLANS,
            is_active=ACTIVE,
            annual_revenue=REVENUE,
        ),
    )


def _view(node: dict) -> tuple:
    return (
        node["node_id"],
        node["parent_id"],
        node["depth"],
        node["dimension"],
        node["label"],
        node["other"],
        node["customers"],
    )


def test_tree_folds_small_children_into_other(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    nodes = run(F.flow_nodes(scope, ["plan", "status"], min_share=0.15))
    # p3 and the null plan are 10% each (< 15%): one "other" of 2; below it both
    # statuses are 10% of the total, so they fold again
    assert [_view(n) for n in nodes] == [
        ("1", None, 1, "plan", "p1", False, 5),
        ("1.1", "1", 2, "status", "active", False, 4),
        ("1.2", "1", 2, "status", "other", True, 1),  # c5 churned: 10%
        ("2", None, 1, "plan", "p2", False, 3),
        ("2.1", "2", 2, "status", "churned", False, 2),
        ("2.2", "2", 2, "status", "other", True, 1),  # c6 active: 10%
        ("3", None, 1, "plan", "other", True, 2),
        ("3.1", "3", 2, "status", "other", True, 2),
    ]
    got = {n["node_id"]: n for n in nodes}
    assert got["1"]["share_of_parent"] == approx(0.5) and got["1"]["share_of_total"] == approx(0.5)
    assert got["1"]["measure_sum"] == approx(360.0)  # c3 has no value
    assert got["1"]["measure_mean"] == approx(90.0)
    assert got["1.1"]["share_of_parent"] == approx(0.8) and got["1.1"]["share_of_total"] == 0.4
    assert got["1.1"]["measure_mean"] == approx(350 / 3)
    assert got["2.1"]["share_of_parent"] == approx(2 / 3)
    assert got["2.1"]["measure_sum"] == approx(100.0) and got["2.1"]["measure_mean"] == 50.0
    assert got["3.1"]["share_of_parent"] == 1.0 and got["3.1"]["measure_sum"] == approx(5.0)

    paths = run(F.flow_paths(scope, ["plan", "status"], min_share=0.15))
    assert [(p["plan"], p["status"], p["customers"]) for p in paths] == [
        ("p1", "active", 4),
        ("p1", "other", 1),
        ("p2", "churned", 2),
        ("p2", "other", 1),
        ("other", "other", 2),
    ]
    assert list(paths[0]) == ["plan", "status", *F.FIGURES]
    assert paths[1]["measure_sum"] == approx(10.0) and paths[1]["share_of_parent"] == approx(0.2)

    assert ids(F.flow_members(scope, ["plan", "status"], "1.2", min_share=0.15)) == ["c5"]
    members = ids(F.flow_members(scope, ["plan", "status"], "3", min_share=0.15))
    assert sorted(members) == ["c10", "c9"]


def test_no_folding_at_zero_and_ties_by_value_null_last(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    nodes = run(F.flow_nodes(scope, ["plan"], min_share=0.0))
    assert [(n["node_id"], n["label"], n["customers"]) for n in nodes] == [
        ("1", "p1", 5),
        ("2", "p2", 3),
        ("3", "p3", 1),
        ("4", None, 1),  # the null plan is its own node, after p3 at a tie
    ]
    # a share exactly at min_share is kept: p2 is 30%
    kept = run(F.flow_nodes(scope, ["plan"], min_share=0.3))
    assert [(n["label"], n["customers"]) for n in kept] == [("p1", 5), ("p2", 3), ("other", 2)]
    # 1.0: everything below 100% folds into one node
    assert [
        (n["label"], n["customers"]) for n in run(F.flow_nodes(scope, ["plan"], min_share=1.0))
    ] == [("other", 10)]


def test_measures(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    arr, rest = run(F.flow_paths(scope, ["status"], measure="arr", min_share=0.5))
    assert arr["status"] == "active" and arr["measure_sum"] == approx(385.0)  # 6 of 10
    assert rest["status"] == "other" and rest["measure_sum"] == approx(110.0)  # 40%
    # no monthly table: mrr is unknown, never 0
    mrr = run(F.flow_nodes(scope, ["status"], measure="mrr"))
    assert all(n["measure_sum"] is None and n["measure_mean"] is None for n in mrr)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": ["plan", "plan"]}, "'plan' is repeated"),
        ({"path": ["plan", "nope"]}, "unknown dimension 'nope'"),
        ({"path": []}, "no dimension given"),
        ({"path": ["plan"], "min_share": -0.1}, r"outside \[0, 1\]"),
        ({"path": ["plan"], "min_share": 1.5}, r"outside \[0, 1\]"),
        ({"path": ["plan"], "min_share": math.nan}, r"outside \[0, 1\]"),
        ({"path": ["plan"], "measure": "ltv"}, "unknown; fix: use one of value, arr, mrr"),
    ],
)
def test_bad_options(tmp_path: Path, kwargs: dict, message: str) -> None:
    scope = scope_of(_dataset(tmp_path))
    with pytest.raises(CxError, match=message):
        F.flow_nodes(scope, **kwargs)


def test_bad_node_id(tmp_path: Path) -> None:
    scope = scope_of(_dataset(tmp_path))
    for bad in ("", "x", "1.2.3", "0"):
        with pytest.raises(CxError, match="no node"):
            F.flow_members(scope, ["plan", "status"], bad)


# ---------------------------------------------------------------- a second implementation


def reference_tree(members: list[tuple], depth: int, min_share: float) -> list[dict]:
    """members: (customer_id, (v1, v2, …), measure or None). Pre-order nodes."""
    total = len(members)
    out: list[dict] = []

    def walk(group: list[tuple], level: int, prefix: str) -> None:
        if level == depth:
            return
        by_value: dict = defaultdict(list)
        for m in group:
            by_value[m[1][level]].append(m)
        children, folded = [], []
        for value, ms in by_value.items():
            if len(ms) / total < min_share:
                folded += ms
            else:
                children.append((False, value, ms))
        if folded:
            children.append((True, None, folded))
        children.sort(key=lambda c: (-len(c[2]), c[0], c[1] is None, c[1] or ""))
        for rank, (other, value, ms) in enumerate(children, 1):
            node_id = f"{prefix}.{rank}" if prefix else str(rank)
            known = [m[2] for m in ms if m[2] is not None]
            out.append(
                {
                    "node_id": node_id,
                    "parent_id": prefix or None,
                    "label": "other" if other else value,
                    "customers": len(ms),
                    "share_of_parent": len(ms) / len(group),
                    "share_of_total": len(ms) / total,
                    "measure_sum": sum(known) if known else None,
                    "measure_mean": sum(known) / len(known) if known else None,
                    "members": sorted(m[0] for m in ms),
                }
            )
            walk(ms, level + 1, node_id)

    walk(members, 0, "")
    return out


customer = st.tuples(
    st.sampled_from(["a", "b", "c", None]),
    st.sampled_from(["x", "y", None]),
    st.sampled_from(["u", "v", "w", "z"]),
    st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.lists(customer, min_size=1, max_size=40),
    min_share=st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.25, 1 / 3, 0.5, 1.0]),
)
def test_tree_matches_a_plain_python_tree_and_siblings_add_up(people, min_share) -> None:
    path = ["segment", "region", "plan"]
    with tempfile.TemporaryDirectory() as tmp:
        n = len(people)
        root = write(
            Path(tmp),
            customers=table(
                customer_id=[f"k{i:03d}" for i in range(n)],
                signup_date=[date(2024, 1, 1)] * n,
                segment=[p[0] for p in people],
                region=[p[1] for p in people],
                plan=[p[2] for p in people],
                annual_revenue=[p[3] for p in people],
            ),
        )
        scope = scope_of(root)
        nodes = run(F.flow_nodes(scope, path, min_share=min_share))
        paths = run(F.flow_paths(scope, path, min_share=min_share))
        some = nodes[len(nodes) // 2]["node_id"]
        some_ids = ids(F.flow_members(scope, path, some, min_share=min_share))
    members = [(f"k{i:03d}", p[:3], p[3]) for i, p in enumerate(people)]
    expected = reference_tree(members, len(path), min_share)
    assert [n["node_id"] for n in nodes] == [e["node_id"] for e in expected]
    for got, exp in zip(nodes, expected, strict=True):
        assert got["parent_id"] == exp["parent_id"] and got["label"] == exp["label"]
        assert got["customers"] == exp["customers"]
        for key in ("share_of_parent", "share_of_total", "measure_sum", "measure_mean"):
            if exp[key] is None:
                assert got[key] is None
            else:
                assert got[key] == pytest.approx(exp[key], rel=1e-9, abs=1e-9)
    assert sorted(some_ids) == next(e["members"] for e in expected if e["node_id"] == some)

    # siblings always add up to their parent (customers and measure sums)
    by_parent: dict = defaultdict(list)
    for node in nodes:
        by_parent[node["parent_id"]].append(node)
    assert sum(c["customers"] for c in by_parent[None]) == n
    for node in nodes:
        kids = by_parent.get(node["node_id"])
        if kids:
            assert sum(k["customers"] for k in kids) == node["customers"]
            assert sum(k["share_of_parent"] for k in kids) == pytest.approx(1.0)
            sums = [k["measure_sum"] for k in kids if k["measure_sum"] is not None]
            assert (sum(sums) if sums else None) == (
                None if node["measure_sum"] is None else pytest.approx(node["measure_sum"])
            )
    # one path row per leaf, in tree order
    leaves = [e for e in expected if e["node_id"].count(".") == len(path) - 1]
    assert [p["customers"] for p in paths] == [e["customers"] for e in leaves]
    assert sum(p["customers"] for p in paths) == n


def test_measures_with_monthly_and_orders(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        customers=table(
            customer_id=["a", "b", "c"],
            signup_date=[date(2024, 1, 1)] * 3,
            plan=["p", "p", "q"],
            annual_revenue=[1.0, 2.0, 3.0],  # not the value: orders exist
        ),
        monthly=rows(
            "customer_id month mrr",
            ("a", date(2025, 6, 1), 10.0),
            ("b", date(2025, 6, 1), 5.0),
            ("c", date(2025, 5, 1), 7.0),  # not month(as_of): mrr 0 now
        ),
        orders=rows("customer_id order_date amount", ("a", ago(3), 40.0), ("c", ago(9), 8.0)),
    )
    scope = scope_of(root)

    def p_node(measure: str) -> dict:
        return run(F.flow_nodes(scope, ["plan"], measure=measure, min_share=0.0))[0]

    assert p_node("arr")["measure_sum"] == approx(180.0)  # 12 × (10 + 5)
    assert p_node("arr")["measure_mean"] == approx(90.0)
    assert p_node("mrr")["measure_sum"] == approx(15.0)
    assert p_node("revenue_12m")["measure_mean"] == approx(20.0)  # (40 + 0) / 2
    assert p_node("value")["measure_sum"] == approx(40.0)  # value = revenue_12m

"""The five panes of the issue's DuckDB comparison — overview, segments by revenue
tier and region, top 10, churn reasons, at-risk list — in DuckDB SQL, with every
column SPEC §2 gives them (bench.py's DUCKDB_SCRIPT computes a subset: no lost
mrr or revenue per churn reason, no signals text, no NPS, tenure, growth or
retention in the overview, …).

    python bench/duckdb_panes.py DATA AS_OF > panes.json

Written for `cxtui demo` datasets (a churn_date column, the default config) and
the SPEC §6 readings in docs/metrics.md. The JSON uses the keys of `cxtui report
--format json`, so bench.py also compares the two: a second implementation of
the numbers, not only a timing peer.
"""

from __future__ import annotations

import json
import os
import sys

import duckdb

EPS = 1e-9  # thresholds hold at equality (docs/metrics.md "Risk")


def main(root: str, as_of: str) -> dict:
    con = duckdb.connect()
    con.execute("SET threads TO 2")

    def src(table: str) -> str:
        folder = os.path.join(root, table)
        path = f"{folder}/*.parquet" if os.path.isdir(folder) else f"{folder}.parquet"
        return f"read_parquet('{path}')"

    def rows(sql: str) -> list[dict]:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    a = f"DATE '{as_of}'"
    m0 = f"date_trunc('month', {a})::DATE"
    # per-id aggregates of every id, rows up to as_of
    con.execute(f"""CREATE TEMP TABLE o AS
    SELECT customer_id, max(order_date) last_order, count(*) n_orders,
      coalesce(sum(amount) FILTER (WHERE order_date > {a} - 365), 0) revenue_12m,
      count(*) FILTER (WHERE order_date > {a} - 365 AND amount > 0) orders_12m,
      count(*) FILTER (WHERE order_date > {a} - 365) rows_12m, min(order_date) first_order
    FROM {src("orders")} WHERE order_date <= {a} GROUP BY 1""")
    # month sums (a month's mrr is the sum of its rows, SPEC §6) and NPS sums
    con.execute(f"""CREATE TEMP TABLE pm AS
    SELECT customer_id, date_trunc('month', month)::DATE m, coalesce(sum(mrr), 0) mrr,
      sum(nps) np_s, count(nps) np_n
    FROM {src("monthly")} WHERE date_trunc('month', month)::DATE <= {m0} GROUP BY 1, 2""")
    con.execute(f"""CREATE TEMP TABLE mo AS
    SELECT customer_id, min(m) FILTER (WHERE mrr > 0) first_mrr,
      coalesce(sum(mrr) FILTER (WHERE m = {m0}), 0) mrr,
      arg_max(np_s / np_n, m) FILTER (WHERE np_n > 0) latest_nps
    FROM pm GROUP BY 1""")
    # the risk blocks' means are over rows (not months): straight from the rows of
    # the six months (faster than carrying sums and counts through pm: 0.27 s + a
    # lighter pm against 0.65 s more on M)
    month = "date_trunc('month', month)::DATE"
    r_block = f"{month} >= {m0} - INTERVAL 2 MONTH"
    p_block = f"{month} < {m0} - INTERVAL 2 MONTH"
    con.execute(f"""CREATE TEMP TABLE bl AS
    SELECT customer_id,
      avg(logins) FILTER (WHERE {r_block}) logins_r, avg(logins) FILTER (WHERE {p_block}) logins_p,
      avg(support_tickets) FILTER (WHERE {r_block}) tickets_r,
      avg(support_tickets) FILTER (WHERE {p_block}) tickets_p,
      avg(nps) FILTER (WHERE {r_block}) nps_r, avg(nps) FILTER (WHERE {p_block}) nps_p,
      avg(features_used) FILTER (WHERE {r_block}) feat_r,
      avg(features_used) FILTER (WHERE {p_block}) feat_p
    FROM {src("monthly")}
    WHERE {month} <= {m0} AND {month} >= {m0} - INTERVAL 5 MONTH GROUP BY 1""")
    con.execute(f"""CREATE TEMP TABLE ev AS
    SELECT customer_id, min(CAST(ts AS DATE)) first_event,
      count(*) FILTER (WHERE CAST(ts AS DATE) > {a} - 90
                         AND event_type = 'payment_failed') payments
    FROM {src("events")} WHERE CAST(ts AS DATE) <= {a} GROUP BY 1""")
    # latest response in 90d; two on that day: the higher score
    con.execute(f"""CREATE TEMP TABLE fb AS
    SELECT customer_id, min(score) min_score,
      arg_max(score, date_diff('day', DATE '1970-01-01', date) * 100 + score) latest_score
    FROM {src("feedback")} WHERE date > {a} - 90 AND date <= {a} AND score IS NOT NULL
    GROUP BY 1""")
    con.execute(f"""CREATE TEMP TABLE f0 AS
    SELECT c.customer_id, c.name, c.segment, c.region, c.owner, c.renewal_date,
      coalesce(c.signup_date, least(o.first_order, mo.first_mrr, ev.first_event)) start_date,
      CASE WHEN c.churn_date <= {a} THEN c.churn_date END churn_date, c.churn_reason,
      coalesce(o.revenue_12m, 0) revenue_12m, coalesce(o.orders_12m, 0) orders_12m,
      coalesce(o.rows_12m, 0) rows_12m, coalesce(o.n_orders, 0) n_orders, o.last_order,
      coalesce(mo.mrr, 0) mrr, bl.logins_r, bl.logins_p, bl.tickets_r, bl.tickets_p,
      bl.nps_r, bl.nps_p, bl.feat_r, bl.feat_p, mo.latest_nps,
      coalesce(ev.payments, 0) payments, fb.min_score, fb.latest_score
    FROM {src("customers")} c LEFT JOIN o USING (customer_id) LEFT JOIN mo USING (customer_id)
    LEFT JOIN bl USING (customer_id) LEFT JOIN ev USING (customer_id)
    LEFT JOIN fb USING (customer_id)""")
    con.execute(f"""CREATE TEMP TABLE f1 AS
    SELECT *, start_date <= {a} AND churn_date IS NULL active,
      CASE WHEN logins_p > 0 AND logins_r / logins_p - 1 <= -0.3 + {EPS}
           THEN least(1, -(logins_r / logins_p - 1) / 0.6) END s_login,
      CASE WHEN tickets_r >= 1.5 * tickets_p - {EPS} AND tickets_r - tickets_p >= 1 - {EPS}
           THEN least(1, (tickets_r / greatest(tickets_p, 1) - 1) / 2) END s_ticket,
      CASE WHEN nps_r - nps_p <= -10 + {EPS} THEN least(1, -(nps_r - nps_p) / 40) END s_nps,
      CASE WHEN feat_p > 0 AND feat_r / feat_p - 1 <= -0.2 + {EPS}
           THEN least(1, -(feat_r / feat_p - 1) / 0.5) END s_usage,
      CASE WHEN n_orders >= 2 AND {a} - last_order >= 90
           THEN least(1, ({a} - last_order) / 180) END s_gap,
      CASE WHEN min_score <= 6 THEN 1 END s_detractor,
      CASE WHEN renewal_date > {a} AND renewal_date <= {a} + 90 THEN 1 END s_renewal,
      CASE WHEN payments > 0 THEN 1 END s_payment
    FROM f0 WHERE start_date <= {a}""")

    def pct(x: str) -> str:  # DuckDB's round() is half away from zero, as SPEC §6 asks
        v = f"CAST(round(({x}) * 100) AS BIGINT)"
        return f"(CASE WHEN {v} < 0 THEN '−' ELSE '+' END || abs({v})::VARCHAR || '%')"

    con.execute(f"""CREATE TEMP TABLE facts AS
    SELECT *,
      CASE WHEN active THEN CAST(least(100, round(round(
        25 * coalesce(s_login, 0) + 20 * coalesce(s_ticket, 0) + 20 * coalesce(s_nps, 0)
        + 15 * coalesce(s_usage, 0) + 20 * coalesce(s_gap, 0) + 15 * coalesce(s_detractor, 0)
        + 10 * coalesce(s_renewal, 0) + 10 * coalesce(s_payment, 0), 9))) AS BIGINT)
      END risk_score,
      CASE WHEN revenue_12m >= 50000 THEN 'Enterprise' WHEN revenue_12m >= 5000 THEN 'SMB'
           ELSE 'Individual' END revenue_tier,
      CASE WHEN active THEN concat_ws(', ',
        CASE WHEN s_login IS NOT NULL THEN 'logins ' || {pct("logins_r / logins_p - 1")} END,
        CASE WHEN s_ticket IS NOT NULL
             THEN 'tickets ' || {pct("tickets_r / greatest(tickets_p, 1) - 1")} END,
        CASE WHEN s_nps IS NOT NULL
             THEN 'NPS −' || abs(CAST(round(nps_r - nps_p) AS BIGINT))::VARCHAR || ' pts' END,
        CASE WHEN s_usage IS NOT NULL THEN 'usage ' || {pct("feat_r / feat_p - 1")} END,
        CASE WHEN s_gap IS NOT NULL
             THEN 'no order for ' || ({a} - last_order)::VARCHAR || ' days' END,
        CASE WHEN s_detractor IS NOT NULL
             THEN 'detractor (score ' || CAST(round(min_score) AS BIGINT)::VARCHAR || ')' END,
        CASE WHEN s_renewal IS NOT NULL THEN 'renewal ' || renewal_date::VARCHAR END,
        CASE WHEN s_payment IS NOT NULL THEN 'payment issues ×' || payments::VARCHAR END)
      END signals
    FROM f1""")

    d30, prev = f"{a} - 30", f"({a} - INTERVAL 1 MONTH)::DATE"

    def active_at(day: str) -> str:
        return f"(start_date <= {day} AND (churn_date IS NULL OR churn_date > {day}))"

    [overview] = rows(f"""SELECT count(*) customers_total,
      count(*) FILTER (WHERE active) active_customers,
      count(*) FILTER (WHERE start_date > {d30}) new_customers_30d,
      count(*) FILTER (WHERE churn_date > {d30}) churned_customers_30d,
      count(*) FILTER (WHERE active)
        / nullif(count(*) FILTER (WHERE {active_at(prev)}), 0) - 1 growth_rate_mom,
      count(*) FILTER (WHERE {active_at(d30)} AND churn_date > {d30})
        / nullif(count(*) FILTER (WHERE {active_at(d30)}), 0) logo_churn_rate_30d,
      avg(least(coalesce(churn_date, {a}), {a}) - start_date) / 30.4375 avg_tenure_months,
      count(*) FILTER (WHERE rows_12m >= 1) buyers_12m,
      count(*) FILTER (WHERE rows_12m >= 2)
        / nullif(count(*) FILTER (WHERE rows_12m >= 1), 0) repeat_purchase_rate_12m,
      100.0 * (count(*) FILTER (WHERE latest_score >= 9)
               - count(*) FILTER (WHERE latest_score <= 6))
        / nullif(count(latest_score), 0) nps_90d,
      count(latest_score) nps_90d_n, avg(latest_nps) FILTER (WHERE active) mean_account_nps
    FROM facts""")
    # revenue, orders and mrr count every id's rows, customer or not (SPEC §6)
    overview.update(
        rows("SELECT sum(revenue_12m) revenue_12m, sum(orders_12m) orders_12m FROM o")[0]
    )
    overview["aov_12m"] = overview["revenue_12m"] / overview["orders_12m"]
    overview["revenue_per_buyer_12m"] = overview["revenue_12m"] / overview["buyers_12m"]
    overview["mrr"] = rows("SELECT sum(mrr) mrr FROM mo")[0]["mrr"]
    overview["arr"] = 12 * overview["mrr"]
    overview.update(
        rows(f"""WITH b AS (
          SELECT customer_id, sum(mrr) FILTER (WHERE m = {m0} - INTERVAL 12 MONTH) s,
            coalesce(sum(mrr) FILTER (WHERE m = {m0}), 0) e FROM pm GROUP BY 1)
        SELECT sum(e) / sum(s) nrr_12m, sum(least(s, e)) / sum(s) grr_12m FROM b WHERE s > 0""")[0]
    )

    def segments(dim: str) -> list[dict]:
        return rows(f"""SELECT {dim}, count(*) customers,
          count(*) / sum(count(*)) OVER () customer_share,
          count(*) FILTER (WHERE active) active_customers,
          count(*) FILTER (WHERE active) / count(*) active_rate, sum(revenue_12m) revenue_12m,
          sum(revenue_12m) / sum(sum(revenue_12m)) OVER () revenue_share,
          sum(orders_12m) orders_12m, sum(revenue_12m) / nullif(sum(orders_12m), 0) aov_12m,
          sum(mrr) mrr, avg(risk_score) avg_risk_score,
          count(*) FILTER (WHERE risk_score >= 60) at_risk_customers
        FROM facts GROUP BY 1 ORDER BY customers DESC, 1 NULLS LAST""")

    top = rows("""SELECT row_number() OVER (ORDER BY revenue_12m DESC, customer_id) rank,
      customer_id, name, segment, revenue_12m, revenue_12m / sum(revenue_12m) OVER () revenue_share,
      orders_12m, last_order last_order_date,
      CASE WHEN active THEN 'active' ELSE 'churned' END status
    FROM facts QUALIFY rank <= 10 ORDER BY rank""")
    con.execute(f"""CREATE TEMP TABLE ch AS
    SELECT customer_id, churn_date, coalesce(churn_reason, 'Unknown') reason FROM facts
    WHERE churn_date > {a} - 365""")
    churn = rows(f"""WITH lm AS (
      SELECT customer_id, arg_max(pm.mrr, pm.m) lost_mrr FROM ch JOIN pm USING (customer_id)
      WHERE pm.m < ch.churn_date AND pm.mrr > 0 GROUP BY 1),
    lr AS (
      SELECT customer_id, sum(x.amount) lost_revenue FROM ch JOIN {src("orders")} x
      USING (customer_id)
      WHERE x.order_date >= ch.churn_date - 365 AND x.order_date < ch.churn_date GROUP BY 1)
    SELECT reason, count(*) churned_customers, count(*) / sum(count(*)) OVER () share,
      coalesce(sum(lost_mrr), 0) lost_mrr, coalesce(sum(lost_revenue), 0) lost_revenue_12m
    FROM ch LEFT JOIN lm USING (customer_id) LEFT JOIN lr USING (customer_id)
    GROUP BY 1 ORDER BY churned_customers DESC, reason""")
    at_risk = rows("""SELECT customer_id, name, segment, owner, risk_score, mrr, revenue_12m,
      signals FROM facts WHERE active AND risk_score >= 25
    ORDER BY risk_score DESC, mrr DESC, customer_id LIMIT 20""")
    return {
        "overview": overview,
        "segments_by_revenue_tier": segments("revenue_tier"),
        "segments_by_region": segments("region"),
        "top_10_customers": top,
        "churn_reasons": churn,
        "at_risk_accounts": at_risk,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2]), default=str))

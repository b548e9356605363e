-- make bench, part 60: the customer-value chain at :customers customers (issue 5):
-- orders -> profiles -> btyd_summary -> BG/NBD and Gamma-Gamma fits -> every customer
-- scored (p_alive, expected purchases, value). Each step is its own query; the
-- steps after the summary read a table of summaries built once here. Goals on 1M
-- customers: BG/NBD fit < 0.35 s, Gamma-Gamma fit < 0.1 s, whole chain < 3 s
-- (Python lifetimes: ~10.6 s for summary + the two fits from an in-memory frame).

CREATE TABLE btyd_sum AS
SELECT customer_id, (btyd_summary(customer_profile(ts, amount), date '2025-12-31')).*
FROM orders GROUP BY customer_id;
ANALYZE btyd_sum;
CREATE TABLE btyd_models AS
SELECT bgnbd_fit(frequency, recency, t) AS m, gamma_gamma_fit(frequency, monetary) AS g FROM btyd_sum;
SELECT (m).*, (g).p, (g).q, (g).v FROM btyd_models;

INSERT INTO bench_query (id, label, sql) VALUES
('v1_summary', 'value chain 1: orders -> profile -> btyd_summary per customer',
 $q$SELECT count(*), sum(s.frequency) FROM (SELECT customer_profile(ts, amount) p FROM orders GROUP BY customer_id) x,
    LATERAL btyd_summary(p, date '2025-12-31') s$q$),
('v2_bgnbd_fit', 'value chain 2: bgnbd_fit over the summaries',
 $q$SELECT (bgnbd_fit(frequency, recency, t)).converged FROM btyd_sum$q$),
('v3_gg_fit', 'value chain 3: gamma_gamma_fit over the summaries',
 $q$SELECT (gamma_gamma_fit(frequency, monetary)).converged FROM btyd_sum$q$),
('v4_score', 'value chain 4: p_alive, 52-week expected purchases and value for every customer',
 $q$SELECT count(*), round(sum(p_alive(m, frequency, recency, t))::numeric, 3),
           round(sum(expected_purchases(m, 52, frequency, recency, t))::numeric, 3),
           round(sum(customer_value(m, g, frequency, recency, t, monetary, 52, 0.01, 52 / 12.0))::numeric, 2)
    FROM btyd_sum, btyd_models$q$),
('v_chain', 'value chain, all in one query: orders -> scored customers',
 $q$WITH s AS MATERIALIZED (SELECT (btyd_summary(customer_profile(ts, amount), date '2025-12-31')).*
                           FROM orders GROUP BY customer_id),
        f AS (SELECT bgnbd_fit(frequency, recency, t) AS m, gamma_gamma_fit(frequency, monetary) AS g FROM s)
    SELECT count(*), round(sum(customer_value(m, g, frequency, recency, t, monetary, 52, 0.01, 52 / 12.0))::numeric, 0)
    FROM s, f$q$);

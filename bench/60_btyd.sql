-- make bench, part 60: BTYD chain (issue 5): orders -> profiles -> btyd_summary ->
-- bgnbd_fit + gamma_gamma_fit -> scoring every customer (p_alive, expected purchases,
-- customer value). Each step is its own timed query; goals on 1M customers (absolute,
-- read the medians): BG/NBD fit < 350 ms, Gamma-Gamma fit < 100 ms, the whole chain
-- from orders to scored customers < 3000 ms. For context, Python lifetimes takes about
-- 10.6 s for summary + the two fits from an in-memory data frame on this kind of machine.
\echo '== btyd: summary table and models (setup, untimed by the harness) =='
\timing on
CREATE TABLE btyd_sum AS
SELECT customer_id, s.* FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1) x,
     LATERAL btyd_summary(p, date '2025-12-31') s;
\timing off
VACUUM ANALYZE btyd_sum;
CREATE TABLE btyd_models AS
SELECT bgnbd_fit(frequency, recency, t) AS bg, gamma_gamma_fit(frequency, monetary) AS gg FROM btyd_sum;
SELECT (bg).r, (bg).alpha, (bg).a, (bg).b, (bg).converged AS bg_converged,
       (gg).p, (gg).q, (gg).gamma, (gg).converged AS gg_converged, (bg).customers
FROM btyd_models;
SELECT count(*) AS distinct_cells FROM (SELECT DISTINCT frequency, recency, t FROM btyd_sum) s;

INSERT INTO bench_query (id, label, sql) VALUES
('btyd_1_summary', 'btyd: orders -> profiles -> btyd_summary (every customer)',
 $q$SELECT count(*), sum(s.frequency) FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1) x,
         LATERAL btyd_summary(p, date '2025-12-31') s$q$),
('btyd_2_bgnbd_fit', 'btyd: bgnbd_fit over the summary table',
 $q$SELECT (m).converged, round((m).r::numeric, 4) FROM (SELECT bgnbd_fit(frequency, recency, t) m FROM btyd_sum) s$q$),
('btyd_3_gg_fit', 'btyd: gamma_gamma_fit over the summary table',
 $q$SELECT (m).converged, round((m).p::numeric, 4) FROM (SELECT gamma_gamma_fit(frequency, monetary) m FROM btyd_sum) s$q$),
('btyd_4_score', 'btyd: score every customer (p_alive, E[purchases 52 w], 12-month value)',
 $q$SELECT count(*), round(sum(p_alive(bg, frequency, recency, t))::numeric, 3),
           round(sum(expected_purchases(bg, 52, frequency, recency, t))::numeric, 3),
           round(sum(customer_value(bg, gg, frequency, recency, t, monetary, 52, 0.01, 4.345))::numeric, -2)
    FROM btyd_sum, btyd_models$q$),
('btyd_5_chain', 'btyd: whole chain orders -> summary -> both fits -> scored customers',
 $q$WITH s AS MATERIALIZED (
        SELECT customer_id, s.* FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1) x,
             LATERAL btyd_summary(p, date '2025-12-31') s),
        m AS MATERIALIZED (SELECT bgnbd_fit(frequency, recency, t) bg, gamma_gamma_fit(frequency, monetary) gg FROM s)
    SELECT count(*), round(sum(p_alive(bg, frequency, recency, t))::numeric, 3),
           round(sum(expected_purchases(bg, 52, frequency, recency, t))::numeric, 3),
           round(sum(customer_value(bg, gg, frequency, recency, t, monetary, 52, 0.01, 4.345))::numeric, -2)
    FROM s, m$q$);
-- the chain scores the same as the step-by-step scoring (same models, same customers;
-- the value sum to the hundred: float sums over 819k customers in another order differ
-- in the last cents)
SELECT bench_same(ARRAY['btyd_4_score', 'btyd_5_chain']);
-- and, for the record, the chain written to a scored customer table
\timing on
CREATE TABLE btyd_scored AS
WITH s AS MATERIALIZED (
    SELECT customer_id, s.* FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1) x,
         LATERAL btyd_summary(p, date '2025-12-31') s),
    m AS MATERIALIZED (SELECT bgnbd_fit(frequency, recency, t) bg, gamma_gamma_fit(frequency, monetary) gg FROM s)
SELECT customer_id, p_alive(bg, frequency, recency, t) AS p_alive,
       expected_purchases(bg, 52, frequency, recency, t) AS purchases_52w,
       customer_value(bg, gg, frequency, recency, t, monetary, 52, 0.01, 4.345) AS value_12m
FROM s, m;
\timing off

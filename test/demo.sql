-- The demo: a generated store, its customers' profiles, and where they stand.
\pset footer off
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE EXTENSION lifecycle;

\echo
\echo '== Generating a demo store of' :customers 'customers (2023-01-01 .. 2025-12-31, seed 42) =='
\timing on
CREATE TABLE customers AS SELECT * FROM demo_customers(:customers);
CREATE TABLE orders AS SELECT * FROM demo_orders(:customers) ORDER BY ordered_at;
\timing off
SELECT (SELECT count(*) FROM customers) AS customers,
       (SELECT count(*) FROM orders) AS orders,
       (SELECT count(DISTINCT customer_id) FROM orders) AS buyers,
       (SELECT round(sum(amount)::numeric, 2) FROM orders) AS revenue;

\echo
\echo '== Building one profile per customer (one scan of orders) =='
\timing on
CREATE TABLE customer_profiles AS
SELECT c.customer_id, c.channel, o.p
FROM customers c
LEFT JOIN (SELECT customer_id, customer_profile(ordered_at, amount) AS p
           FROM orders GROUP BY customer_id) o USING (customer_id);
\timing off

\echo
\echo '== Stage distribution today (2025-12-31) =='
SELECT lifecycle_stage(p, date '2025-12-31') AS stage, count(*) AS customers,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct
FROM customer_profiles GROUP BY 1 ORDER BY 1;

\echo
\echo '== The same profiles replayed at three past dates =='
SELECT stage,
       count(*) FILTER (WHERE as_of = '2023-12-31') AS "2023-12-31",
       count(*) FILTER (WHERE as_of = '2024-06-30') AS "2024-06-30",
       count(*) FILTER (WHERE as_of = '2025-06-30') AS "2025-06-30",
       count(*) FILTER (WHERE as_of = '2025-12-31') AS "2025-12-31"
FROM customer_profiles,
     LATERAL (VALUES (date '2023-12-31'), ('2024-06-30'), ('2025-06-30'), ('2025-12-31')) v(as_of),
     LATERAL lifecycle_stage(p, as_of) stage
GROUP BY stage ORDER BY stage;

\echo
\echo '== Stage by acquisition channel today, with cadence-aware thresholds (factor 3) =='
SELECT channel,
       count(*) FILTER (WHERE s = 'new') AS new,
       count(*) FILTER (WHERE s = 'active') AS active,
       count(*) FILTER (WHERE s = 'loyal') AS loyal,
       count(*) FILTER (WHERE s = 'at_risk') AS at_risk,
       count(*) FILTER (WHERE s = 'lapsed') AS lapsed,
       count(*) FILTER (WHERE s = 'reactivated') AS reactivated,
       count(*) FILTER (WHERE s = 'prospect') AS prospect
FROM customer_profiles, LATERAL lifecycle_stage(p, date '2025-12-31', cadence_factor => 3) s
GROUP BY channel ORDER BY channel;

\echo
\echo '== A few customers: profile, stage, recency and the lifetimes summary (weeks) =='
SELECT customer_id, first_purchase(p), last_purchase(p), purchase_days(p) AS days,
       transactions(p) AS txns, round(total_spend(p)::numeric, 2) AS spend,
       recency(p, date '2025-12-31') AS recency_days, next_purchase_due(p) AS next_due,
       lifecycle_stage(p, date '2025-12-31') AS stage
FROM customer_profiles
WHERE customer_id IN (SELECT customer_id FROM customer_profiles
                      WHERE purchase_days(p) >= 3 ORDER BY customer_id LIMIT 4)
   OR customer_id IN (1, 2, 3)
ORDER BY customer_id;
SELECT customer_id, s.frequency, round(s.recency::numeric, 2) AS recency_weeks,
       round(s.t::numeric, 2) AS t_weeks, round(s.monetary::numeric, 2) AS monetary
FROM customer_profiles, LATERAL btyd_summary(p, date '2025-12-31') s
WHERE customer_id IN (SELECT customer_id FROM customer_profiles
                      WHERE purchase_days(p) >= 3 ORDER BY customer_id LIMIT 4)
ORDER BY customer_id;
\echo
\echo '== One stored profile (its text form) and its stage history =='
SELECT p AS profile FROM customer_profiles
WHERE customer_id = (SELECT min(customer_id) FROM customer_profiles WHERE purchase_days(p) >= 3);
SELECT quarter_end, lifecycle_stage(p, quarter_end) AS stage
FROM customer_profiles,
     LATERAL (SELECT (q + interval '3 months')::date - 1 AS quarter_end
              FROM generate_series(date '2023-01-01', '2025-10-01', '3 months') q) qe
WHERE customer_id = (SELECT min(customer_id) FROM customer_profiles WHERE purchase_days(p) >= 3)
ORDER BY quarter_end;
\echo
\echo '== Who is at risk and worth a call: the 10 biggest spenders at risk today =='
SELECT customer_id, channel, round(total_spend(p)::numeric, 2) AS spend, purchase_days(p) AS days,
       last_purchase(p), recency(p, date '2025-12-31') AS days_silent
FROM customer_profiles
WHERE lifecycle_stage(p, date '2025-12-31') = 'at_risk'
ORDER BY total_spend(p) DESC LIMIT 10;

\echo
\echo '== Cohort retention: quarterly cohorts, share buying again in month k (censored cells blank) =='
SELECT to_char(cohort, 'YYYY-"Q"Q') AS cohort, cohort_size(curve) AS size,
       round(100 * r[1]) AS m0, round(100 * r[2]) AS m1, round(100 * r[3]) AS m2,
       round(100 * r[4]) AS m3, round(100 * r[7]) AS m6, round(100 * r[13]) AS m12,
       round(100 * r[25]) AS m24
FROM (SELECT cohort, curve, retention_rates(curve, 'on') AS r
      FROM (SELECT cohort_start(p, 'quarter') AS cohort,
                   cohort_retention(p, 'month', date '2025-12-31') AS curve
            FROM customer_profiles WHERE p IS NOT NULL GROUP BY 1) c) x
ORDER BY cohort;
\echo '(all cohorts, weighted by eligible customers; on = bought in month k, on_or_after = in k or later)'
SELECT k - 1 AS month, round((100 * on_k)::numeric, 1) AS "on %", round((100 * after_k)::numeric, 1) AS "on or after %"
FROM (SELECT retention_rates(rollup(curve), 'on') AS r_on, retention_rates(rollup(curve), 'on_or_after') AS r_after
      FROM (SELECT cohort_retention(p, 'month', date '2025-12-31') AS curve
            FROM customer_profiles WHERE p IS NOT NULL
            GROUP BY cohort_start(p, 'month')) c) x,
     unnest(r_on, r_after) WITH ORDINALITY u(on_k, after_k, k)
WHERE k - 1 IN (0, 1, 2, 3, 6, 12, 18, 24, 30)
ORDER BY 1;
\echo '(the same curves straight from the orders in one pass, cohort_matrix: no per-customer GROUP BY)'
SELECT count(*) AS cohorts,
       retention_rates(rollup((c).curve), 'on')::text
         = (SELECT retention_rates(rollup(curve), 'on')::text
            FROM (SELECT cohort_retention(p, 'month', date '2025-12-31') AS curve
                  FROM customer_profiles WHERE p IS NOT NULL
                  GROUP BY cohort_start(p, 'month')) c2) AS same_as_two_step
FROM unnest((SELECT cohort_matrix(customer_id, ordered_at, amount, 'month', date '2025-12-31') FROM orders)) c;

\echo
\echo '== Nightly snapshots (what a pg_cron job runs) and stage moves between them =='
CALL lifecycle_snapshot('2025-06-30', 'orders', 'customer_id', 'ordered_at', 'amount');
CALL lifecycle_snapshot('2025-12-31', 'orders', 'customer_id', 'ordered_at', 'amount');
SELECT from_stage, to_stage, customers FROM stage_transitions('2025-06-30', '2025-12-31')
WHERE customers >= 100 ORDER BY customers DESC LIMIT 12;

\echo
\echo '== Activity lifecycle (PostHog): new / returning / resurrecting / dormant buyers per quarter =='
SELECT t.period_start, t.new, t."returning", t.resurrecting, t.dormant, t.active
FROM activity_lifecycle_table((
    SELECT activity_lifecycle(p, 'quarter', date '2024-01-01', date '2025-12-31')
    FROM customer_profiles WHERE p IS NOT NULL)) t;

\echo
\echo '== Survival: how long customers stay (churn = 180 days without a purchase), by channel =='
SELECT channel, survival_subjects(curve) AS customers, median_survival(curve) AS median_days,
       round(survival_at(curve, 365)::numeric, 3) AS one_year, round(survival_at(curve, 730)::numeric, 3) AS two_years
FROM (SELECT channel, survival_curve(p, date '2025-12-31', '180 days') AS curve
      FROM customer_profiles WHERE p IS NOT NULL GROUP BY channel) c
ORDER BY channel;

\echo
\echo '== RFM segments today =='
CREATE TEMP TABLE rfm_input AS
SELECT customer_id, recency(p, date '2025-12-31') AS recency,
       purchase_days(p, date '2025-12-31') AS frequency,
       coalesce(total_spend(p, date '2025-12-31'), 0) AS monetary
FROM customer_profiles WHERE first_purchase(p) <= date '2025-12-31';
SELECT rfm_segment((SELECT rfm_bins(recency, frequency, monetary) FROM rfm_input), recency, frequency) AS segment,
       count(*) AS customers, round(avg(monetary)::numeric, 2) AS avg_spend
FROM rfm_input GROUP BY 1 ORDER BY 2 DESC;

\echo
\echo '== Customer value: BG/NBD and Gamma-Gamma fitted in SQL (weeks), then every customer scored =='
\timing on
CREATE TABLE btyd_input AS
SELECT customer_id, s.* FROM customer_profiles, LATERAL btyd_summary(p, date '2025-12-31') s
WHERE p IS NOT NULL;
CREATE TABLE models AS
SELECT bgnbd_fit(frequency, recency, t) AS bg, gamma_gamma_fit(frequency, monetary) AS gg FROM btyd_input;
\timing off
SELECT round((bg).r::numeric, 4) AS r, round((bg).alpha::numeric, 3) AS alpha,
       round((bg).a::numeric, 4) AS a, round((bg).b::numeric, 4) AS b,
       round((gg).p::numeric, 3) AS p, round((gg).q::numeric, 3) AS q, round((gg).gamma::numeric, 3) AS gamma,
       (bg).converged AND (gg).converged AS converged
FROM models;
\timing on
CREATE TABLE customer_value AS
SELECT customer_id, frequency, round(recency::numeric, 1) AS recency, round(t::numeric, 1) AS t,
       p_alive((SELECT bg FROM models), frequency, recency, t) AS p_alive,
       expected_purchases((SELECT bg FROM models), 52, frequency, recency, t) AS purchases_next_year,
       customer_value((SELECT bg FROM models), (SELECT gg FROM models), frequency, recency, t, monetary,
                      52, 0.01 / 4.345, 1) AS value_next_year
FROM btyd_input;
\timing off
\echo '(the 10 most valuable customers over the next 52 weeks, 1% monthly discount)'
SELECT customer_id, frequency, recency, t, round(p_alive::numeric, 3) AS p_alive,
       round(purchases_next_year::numeric, 2) AS purchases, round(value_next_year::numeric, 2) AS value
FROM customer_value ORDER BY value_next_year DESC LIMIT 10;
\echo '(expected customers still alive and next-year revenue, by acquisition channel)'
SELECT c.channel, count(*) AS buyers, round(sum(v.p_alive)::numeric) AS alive,
       round(sum(v.purchases_next_year)::numeric) AS purchases, round(sum(v.value_next_year)::numeric) AS revenue
FROM customer_value v JOIN customers c USING (customer_id) GROUP BY 1 ORDER BY 1;

\echo
\echo '== Funnel (first 20,000 customers'' web events): deepest step reached within 7 days =='
CREATE TABLE events AS SELECT * FROM demo_events(least(:customers, 20000));
SELECT depth, count(*) AS customers,
       round(100.0 * sum(count(*)) OVER (ORDER BY depth DESC) / sum(count(*)) OVER (), 1) AS "reached %"
FROM (SELECT window_funnel('7 days', ts, event = 'visit', event = 'product_view', event = 'add_to_cart',
                           event = 'checkout', event = 'purchase') AS depth
      FROM events GROUP BY customer_id) f
GROUP BY depth ORDER BY depth;
\echo '(median time from visit to purchase in the best chain)'
SELECT justify_hours(percentile_cont(0.5) WITHIN GROUP (ORDER BY t[3] - t[1])) AS visit_to_purchase
FROM (SELECT funnel_times('7 days', ts, event = 'visit', event = 'add_to_cart', event = 'purchase') AS t
      FROM events GROUP BY customer_id) f
WHERE cardinality(t) = 3;

\echo
\echo '== Attribution: purchases credited to visit channels (30-day lookback), by model =='
SELECT (c).channel,
       round(sum((c).credit) FILTER (WHERE model = 'first_touch')::numeric, 1) AS first_touch,
       round(sum((c).credit) FILTER (WHERE model = 'last_touch')::numeric, 1) AS last_touch,
       round(sum((c).credit) FILTER (WHERE model = 'linear')::numeric, 1) AS linear,
       round(sum((c).credit) FILTER (WHERE model = 'position_based')::numeric, 1) AS position_based
FROM (VALUES ('first_touch'), ('last_touch'), ('linear'), ('position_based')) m(model),
     LATERAL (SELECT unnest(attribution(ts, CASE WHEN event = 'visit' THEN channel END,
                                        event = 'purchase', m.model, '30 days')) AS c
              FROM events GROUP BY customer_id) x
GROUP BY 1 ORDER BY 1 NULLS LAST;

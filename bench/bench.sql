-- make bench: our queries against the best plain-SQL way to the same answer.
-- Every query runs :reps times, interleaved, on the same data in one session;
-- we report medians of server-side execution time and their ratios.
\pset footer off
SET TimeZone = 'UTC';
SET client_min_messages = warning;
CREATE EXTENSION lifecycle;

\echo '== data: demo_orders(' :customers ') in time order, as a real orders table is =='
\timing on
CREATE TABLE orders AS
SELECT customer_id, ordered_at AS ts, amount FROM demo_orders(:customers) ORDER BY ordered_at;
\timing off
VACUUM ANALYZE orders;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers,
       pg_size_pretty(pg_total_relation_size('orders')) AS size FROM orders;

CREATE TABLE bench_query (id text PRIMARY KEY, label text, sql text, hashagg text DEFAULT 'on');
CREATE TABLE bench_time (id text, rep int, ms float8);

-- time one query on the server (no client transfer: each returns one row)
CREATE FUNCTION bench_run(q text, hashagg text DEFAULT 'on') RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; r record; ms float8;
BEGIN
    PERFORM set_config('enable_hashagg', hashagg, false);
    t0 := clock_timestamp();
    EXECUTE q INTO r;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    PERFORM set_config('enable_hashagg', 'on', false);
    RETURN ms;
END $$;

INSERT INTO bench_query VALUES
-- (a) the floor: the cheapest per-customer scan
('a_floor', 'floor: GROUP BY customer count(*), max(ts)',
 $q$SELECT count(*) FROM (SELECT customer_id, count(*) n, max(ts) m FROM orders GROUP BY 1) s
    WHERE n > 0 AND m IS NOT NULL$q$),
-- (b) our profiles
('b_profile', 'ours: customer_profile(ts, amount) per customer',
 $q$SELECT count(*) FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1) s
    WHERE p IS NOT NULL$q$),
('b2_summary', 'ours: btyd_summary(customer_profile(...)) per customer',
 $q$SELECT count(*), sum(s.frequency), round(sum(s.recency)::numeric, 3), round(sum(s.t)::numeric, 3),
           round(sum(s.monetary)::numeric, 2)
    FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1) x,
         LATERAL btyd_summary(p, date '2025-12-31') s$q$),
-- (c) plain-SQL lifetimes summary: distinct days, repeat-day mean spend (two ways)
('c1_sql_summary', 'plain SQL summary: day totals, first day by min() join',
 $q$WITH d AS (SELECT customer_id, (ts AT TIME ZONE 'UTC')::date AS day, sum(amount) AS spend
              FROM orders WHERE ts < '2026-01-01' GROUP BY 1, 2),
        c AS (SELECT customer_id, count(*) AS n, min(day) AS first, max(day) AS last, sum(spend) AS total
              FROM d GROUP BY 1)
    SELECT count(*), sum(n - 1), round(sum((last - first) / 7.0::float8)::numeric, 3),
           round(sum((date '2025-12-31' - first) / 7.0::float8)::numeric, 3),
           round(sum(CASE WHEN n > 1 THEN (total - d.spend) / (n - 1) ELSE 0 END)::numeric, 2)
    FROM c JOIN d ON d.customer_id = c.customer_id AND d.day = c.first$q$),
('c2_sql_summary', 'plain SQL summary: day totals, window row_number',
 $q$WITH d AS (SELECT customer_id, (ts AT TIME ZONE 'UTC')::date AS day, sum(amount) AS spend,
                     row_number() OVER (PARTITION BY customer_id ORDER BY (ts AT TIME ZONE 'UTC')::date) AS rn
              FROM orders WHERE ts < '2026-01-01' GROUP BY 1, 2),
        c AS (SELECT customer_id, count(*) AS n, min(day) AS first, max(day) AS last,
                     avg(spend) FILTER (WHERE rn > 1) AS monetary
              FROM d GROUP BY 1)
    SELECT count(*), sum(n - 1), round(sum((last - first) / 7.0::float8)::numeric, 3),
           round(sum((date '2025-12-31' - first) / 7.0::float8)::numeric, 3),
           round(sum(coalesce(monetary, 0))::numeric, 2)
    FROM c$q$),
-- (d) stage counts as of 2025-12-31 with the default rules
('d_stage', 'ours: lifecycle_stage(customer_profile(...)) counts, profiles built in the query',
 $q$SELECT string_agg(stage || '=' || n, ' ' ORDER BY stage) FROM (
        SELECT stage::text, count(*) n FROM (
            SELECT lifecycle_stage(customer_profile(ts, amount), date '2025-12-31') AS stage
            FROM orders GROUP BY customer_id) s GROUP BY 1) x$q$),
('d1_sql_stage', 'plain SQL stage: distinct days + window lag/row_number',
 $q$SELECT string_agg(stage || '=' || n, ' ' ORDER BY stage) FROM (
    SELECT stage, count(*) n FROM (
    WITH days AS (SELECT DISTINCT customer_id, (ts AT TIME ZONE 'UTC')::date AS d
                  FROM orders WHERE ts < '2026-01-01'),
         g AS (SELECT customer_id, d, lag(d) OVER w AS prev,
                      row_number() OVER (PARTITION BY customer_id ORDER BY d DESC) AS rn
               FROM days WINDOW w AS (PARTITION BY customer_id ORDER BY d)),
         c AS (SELECT customer_id, min(d) AS first, max(d) AS last,
                      max(prev) FILTER (WHERE rn = 1) AS prev_last,
                      count(*) FILTER (WHERE d >= date '2025-12-31' - 365) AS in_loyal
               FROM g GROUP BY customer_id)
    SELECT CASE WHEN last < date '2025-12-31' - 180 THEN 'lapsed'
                WHEN last < date '2025-12-31' - 90 THEN 'at_risk'
                WHEN first >= date '2025-12-31' - 30 THEN 'new'
                WHEN prev_last < last - 180 THEN 'reactivated'
                WHEN in_loyal >= 4 THEN 'loyal'
                ELSE 'active' END AS stage
    FROM c) s GROUP BY 1) x$q$),
('d2_sql_stage', 'plain SQL stage: distinct days + ordered array_agg',
 $q$SELECT string_agg(stage || '=' || n, ' ' ORDER BY stage) FROM (
    SELECT stage, count(*) n FROM (
    WITH days AS (SELECT DISTINCT customer_id, (ts AT TIME ZONE 'UTC')::date AS d
                  FROM orders WHERE ts < '2026-01-01'),
         c AS (SELECT customer_id, min(d) AS first, max(d) AS last,
                      (array_agg(d ORDER BY d DESC))[2] AS prev_last,
                      count(*) FILTER (WHERE d >= date '2025-12-31' - 365) AS in_loyal
               FROM days GROUP BY customer_id)
    SELECT CASE WHEN last < date '2025-12-31' - 180 THEN 'lapsed'
                WHEN last < date '2025-12-31' - 90 THEN 'at_risk'
                WHEN first >= date '2025-12-31' - 30 THEN 'new'
                WHEN prev_last < last - 180 THEN 'reactivated'
                WHEN in_loyal >= 4 THEN 'loyal'
                ELSE 'active' END AS stage
    FROM c) s GROUP BY 1) x$q$);

-- the same two with sort-based grouping (enable_hashagg = off for both)
INSERT INTO bench_query SELECT id || '_sorted', label || ' [sorted grouping]', sql, 'off'
FROM bench_query WHERE id IN ('a_floor', 'b_profile', 'b2_summary', 'c2_sql_summary', 'd_stage', 'd2_sql_stage');

\echo '== the competing queries give the same answers =='
CREATE FUNCTION bench_answer(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
    EXECUTE format('SELECT x::text FROM (%s) x', q) INTO t;
    RETURN t;
END $$;
DO $$
DECLARE a text; b text;
BEGIN
    a := bench_answer((SELECT sql FROM bench_query WHERE id = 'b2_summary'));
    b := bench_answer((SELECT sql FROM bench_query WHERE id = 'c1_sql_summary'));
    RAISE WARNING 'summary ours % | c1 %', a, b;
    IF a IS DISTINCT FROM b THEN RAISE EXCEPTION 'btyd summary differs from plain SQL c1'; END IF;
    b := bench_answer((SELECT sql FROM bench_query WHERE id = 'c2_sql_summary'));
    IF a IS DISTINCT FROM b THEN RAISE EXCEPTION 'btyd summary differs from plain SQL c2: %', b; END IF;
    a := bench_answer((SELECT sql FROM bench_query WHERE id = 'd_stage'));
    b := bench_answer((SELECT sql FROM bench_query WHERE id = 'd1_sql_stage'));
    RAISE WARNING 'stages ours % | d1 %', a, b;
    IF a IS DISTINCT FROM b THEN RAISE EXCEPTION 'stage counts differ from plain SQL d1'; END IF;
    b := bench_answer((SELECT sql FROM bench_query WHERE id = 'd2_sql_stage'));
    IF a IS DISTINCT FROM b THEN RAISE EXCEPTION 'stage counts differ from plain SQL d2: %', b; END IF;
END $$;

\echo '== timing (' :reps 'runs each, interleaved) =='
SELECT count(bench_run(sql, hashagg)) AS warm_up_runs FROM bench_query;
INSERT INTO bench_time SELECT q.id, r, bench_run(q.sql, q.hashagg)
FROM generate_series(1, :reps) r, bench_query q ORDER BY r, q.id;

CREATE VIEW bench_median AS
SELECT id, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, min(ms) AS min_ms, max(ms) AS max_ms
FROM bench_time GROUP BY id;

SELECT q.id, q.label, round(m.ms::numeric) AS median_ms, round(m.min_ms::numeric) AS min_ms,
       round(m.max_ms::numeric) AS max_ms
FROM bench_query q JOIN bench_median m USING (id) ORDER BY q.id;

\echo '== ratios (medians) =='
WITH m AS (SELECT id, ms FROM bench_median)
SELECT '(b)/(a) profile build / floor' AS ratio,
       round(((SELECT ms FROM m WHERE id = 'b_profile') / (SELECT ms FROM m WHERE id = 'a_floor'))::numeric, 2) AS value,
       'at most 1.3' AS goal
UNION ALL
SELECT '(b)/(a) with sort-based grouping for both',
       round(((SELECT ms FROM m WHERE id = 'b_profile_sorted') / (SELECT ms FROM m WHERE id = 'a_floor_sorted'))::numeric, 2),
       'at most 1.3'
UNION ALL
SELECT '(c)/(b) best plain-SQL summary / profile build',
       round((LEAST((SELECT ms FROM m WHERE id = 'c1_sql_summary'), (SELECT ms FROM m WHERE id = 'c2_sql_summary'))
              / (SELECT ms FROM m WHERE id = 'b_profile'))::numeric, 2), 'at least 2'
UNION ALL
SELECT '(c)/(b2) best plain-SQL summary / profile + btyd_summary',
       round((LEAST((SELECT ms FROM m WHERE id = 'c1_sql_summary'), (SELECT ms FROM m WHERE id = 'c2_sql_summary'))
              / (SELECT ms FROM m WHERE id = 'b2_summary'))::numeric, 2), '(same answer end to end)'
UNION ALL
SELECT '(c)/(b) both in their best grouping mode',
       round((LEAST((SELECT ms FROM m WHERE id = 'c1_sql_summary'), (SELECT ms FROM m WHERE id = 'c2_sql_summary'),
                    (SELECT ms FROM m WHERE id = 'c2_sql_summary_sorted'))
              / LEAST((SELECT ms FROM m WHERE id = 'b_profile'), (SELECT ms FROM m WHERE id = 'b_profile_sorted')))::numeric, 2),
       'at least 2'
UNION ALL
SELECT '(d) both in their best grouping mode',
       round((LEAST((SELECT ms FROM m WHERE id = 'd1_sql_stage'), (SELECT ms FROM m WHERE id = 'd2_sql_stage'),
                    (SELECT ms FROM m WHERE id = 'd2_sql_stage_sorted'))
              / LEAST((SELECT ms FROM m WHERE id = 'd_stage'), (SELECT ms FROM m WHERE id = 'd_stage_sorted')))::numeric, 2),
       'at least 1.6'
UNION ALL
SELECT '(d) best plain-SQL stage query / ours (profile build included)',
       round((LEAST((SELECT ms FROM m WHERE id = 'd1_sql_stage'), (SELECT ms FROM m WHERE id = 'd2_sql_stage'))
              / (SELECT ms FROM m WHERE id = 'd_stage'))::numeric, 2), 'at least 1.6';

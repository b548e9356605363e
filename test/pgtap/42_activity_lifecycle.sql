-- activity_lifecycle against an independent plain-SQL implementation of
-- PostHog's definitions on a generated store (every calendar period, ranges
-- that start after the first purchases, created dates), the identities
-- active = new + returning + resurrecting and returning(t) = active(t-1) -
-- dormant(t), SQLSTATE contracts, and real parallel workers.
BEGIN;
SELECT plan(21);
SET LOCAL TimeZone = 'UTC';

CREATE TEMP TABLE t AS
SELECT customer_id, (ordered_at AT TIME ZONE 'UTC')::date AS d FROM demo_orders(20000, 5);
CREATE TEMP TABLE profiles AS
SELECT customer_id, customer_profile(d) AS p FROM t GROUP BY 1;
-- a created date per customer: from 60 days before to 60 days after the first
-- purchase (after: PostHog counts the first active period as resurrecting)
CREATE TEMP TABLE created AS
SELECT customer_id, min(d) + ((customer_id % 7 - 3) * 20)::int AS created FROM t GROUP BY 1;

-- PostHog's lifecycle the plain way: active periods, the previous period of
-- every active period shifted forward, a full join of the two
CREATE FUNCTION pg_temp.ref(unit text, f date, l date, use_created bool)
RETURNS TABLE (period_start date, new bigint, "returning" bigint, resurrecting bigint, dormant bigint,
               active bigint)
LANGUAGE sql AS $$
    WITH step AS (SELECT CASE unit WHEN 'quarter' THEN interval '3 months' ELSE ('1 ' || unit)::interval END AS s),
         act AS (SELECT DISTINCT customer_id, date_trunc(unit, d)::date AS per FROM t),
         firsts AS (SELECT customer_id, min(per) AS first_per FROM act GROUP BY 1),
         cre AS (SELECT fi.customer_id, fi.first_per,
                        CASE WHEN use_created THEN date_trunc(unit, c.created)::date ELSE fi.first_per END AS c_per
                 FROM firsts fi JOIN created c USING (customer_id)),
         nxt AS (SELECT customer_id, (per + (SELECT s FROM step))::date AS per FROM act),
         flags AS (SELECT coalesce(a.customer_id, n.customer_id) AS customer_id, coalesce(a.per, n.per) AS ps,
                          a.per IS NOT NULL AS now_, n.per IS NOT NULL AS before_
                   FROM act a FULL JOIN nxt n ON a.customer_id = n.customer_id AND a.per = n.per),
         periods AS (SELECT g::date AS ps
                     FROM generate_series(date_trunc(unit, f), date_trunc(unit, l), (SELECT s FROM step)) g),
         counts AS (SELECT ps,
                           count(*) FILTER (WHERE now_ AND ps = first_per AND ps = c_per) AS n,
                           count(*) FILTER (WHERE now_ AND before_) AS r,
                           count(*) FILTER (WHERE now_ AND NOT before_ AND NOT (ps = first_per AND ps = c_per)) AS z,
                           count(*) FILTER (WHERE before_ AND NOT now_) AS dd,
                           count(*) FILTER (WHERE now_) AS a
                    FROM flags JOIN cre USING (customer_id) GROUP BY ps)
    SELECT p.ps, coalesce(n, 0), coalesce(r, 0), coalesce(z, 0), coalesce(dd, 0), coalesce(a, 0)
    FROM periods p LEFT JOIN counts c USING (ps) ORDER BY 1 $$;

CREATE FUNCTION pg_temp.ours(unit text, f date, l date, use_created bool)
RETURNS TABLE (period_start date, new bigint, "returning" bigint, resurrecting bigint, dormant bigint,
               active bigint)
LANGUAGE sql AS $$
    SELECT x.* FROM activity_lifecycle_table((
        SELECT CASE WHEN use_created THEN activity_lifecycle(p, unit, f, l, c.created)
                    ELSE activity_lifecycle(p, unit, f, l) END
        FROM profiles JOIN created c USING (customer_id))) x ORDER BY 1 $$;

SELECT results_eq($$SELECT * FROM pg_temp.ours('month', '2023-06-15', '2025-12-31', false)$$,
                  $$SELECT * FROM pg_temp.ref('month', '2023-06-15', '2025-12-31', false)$$,
                  'monthly lifecycle equals plain SQL (range starting after the first purchases)');
SELECT results_eq($$SELECT * FROM pg_temp.ours('week', '2024-02-01', '2024-12-31', false)$$,
                  $$SELECT * FROM pg_temp.ref('week', '2024-02-01', '2024-12-31', false)$$,
                  'weekly (ISO) lifecycle equals plain SQL');
SELECT results_eq($$SELECT * FROM pg_temp.ours('day', '2024-03-01', '2024-05-31', false)$$,
                  $$SELECT * FROM pg_temp.ref('day', '2024-03-01', '2024-05-31', false)$$,
                  'daily lifecycle equals plain SQL');
SELECT results_eq($$SELECT * FROM pg_temp.ours('quarter', '2022-10-01', '2026-06-30', false)$$,
                  $$SELECT * FROM pg_temp.ref('quarter', '2022-10-01', '2026-06-30', false)$$,
                  'quarterly lifecycle equals plain SQL (range wider than the data)');
SELECT results_eq($$SELECT * FROM pg_temp.ours('year', '2023-01-01', '2025-12-31', false)$$,
                  $$SELECT * FROM pg_temp.ref('year', '2023-01-01', '2025-12-31', false)$$,
                  'yearly lifecycle equals plain SQL');
SELECT results_eq($$SELECT * FROM pg_temp.ours('month', '2023-01-01', '2025-12-31', true)$$,
                  $$SELECT * FROM pg_temp.ref('month', '2023-01-01', '2025-12-31', true)$$,
                  'monthly lifecycle with created dates equals plain SQL');
SELECT ok((SELECT sum(new) > 1000 AND sum("returning") > 1000 AND sum(resurrecting) > 1000 AND sum(dormant) > 1000
           FROM pg_temp.ref('month', '2023-06-15', '2025-12-31', false)),
          'the comparison exercises every status');
SELECT ok((SELECT sum(new) FROM pg_temp.ours('month', '2023-01-01', '2025-12-31', true))
          < (SELECT sum(new) FROM pg_temp.ours('month', '2023-01-01', '2025-12-31', false)),
          'created dates away from the first purchase turn some new customers into resurrecting ones');

-- identities, with "active" counted independently
CREATE TEMP TABLE w AS SELECT * FROM pg_temp.ours('week', '2024-01-08', '2025-06-29', false);
CREATE TEMP TABLE plain_active AS
SELECT date_trunc('week', d)::date AS ps, count(DISTINCT customer_id) AS a FROM t GROUP BY 1;
SELECT is((SELECT count(*) FROM w LEFT JOIN plain_active p ON p.ps = w.period_start
           WHERE w.new + w.returning + w.resurrecting <> coalesce(p.a, 0) OR w.active <> coalesce(p.a, 0)), 0::bigint,
          'active = new + returning + resurrecting = distinct active customers, every week');
SELECT is((SELECT count(*) FROM w LEFT JOIN plain_active p ON p.ps = w.period_start - 7
           WHERE w.returning <> coalesce(p.a, 0) - w.dormant), 0::bigint,
          'returning(t) = active(t-1) - dormant(t), every week including the first of the range');
-- 2024-01-08 is a Monday and 2025-06-29 a Sunday: (538 + 1) / 7 = 77 weeks
SELECT is((SELECT count(*) FROM w), 77::bigint, 'one row per ISO week of the range, zero-filled');

-- the two aggregates agree: customers active in May 2024 and in June 2024 are
-- retention()'s June retained and the lifecycle's June returning
SELECT is((SELECT sum(r[2]) FROM (SELECT retention(d BETWEEN '2024-05-01' AND '2024-05-31',
                                                   d BETWEEN '2024-06-01' AND '2024-06-30') AS r
                                  FROM t GROUP BY customer_id) x),
          (SELECT w.returning FROM pg_temp.ours('month', '2024-06-01', '2024-06-30', false) w),
          'retention() of consecutive months equals the lifecycle''s returning count');

-- SQLSTATEs
SELECT throws_ok($$SELECT activity_lifecycle(p, 'hour', date '2024-01-01', date '2024-02-01') FROM profiles$$,
                 '22023', NULL, 'unknown period: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(p, '30 days', date '2024-01-01', date '2024-02-01') FROM profiles$$,
                 '22023', NULL, 'rolling period (calendar periods only): 22023');
SELECT throws_ok($$SELECT activity_lifecycle(p, 'month', date '2024-02-01', date '2024-01-01') FROM profiles$$,
                 '22023', NULL, 'from after to: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(p, NULL, date '2024-01-01', date '2024-02-01') FROM profiles$$,
                 '22004', NULL, 'NULL period: 22004');
SELECT throws_ok($$SELECT activity_lifecycle(p, 'day', date '0001-01-01', date '2024-02-01') FROM profiles$$,
                 '54000', NULL, 'more than 366000 periods: 54000');
SELECT throws_ok($$SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[[1,0,0,0],[0,0,0,0]]}'::activity_lifecycle$$,
                 '22023', NULL, 'text form breaking returning + dormant = active before: 22023');
SELECT throws_ok($$SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[[1,0,0,0]'::activity_lifecycle$$,
                 '22P02', NULL, 'truncated text form: 22P02');

-- real parallel workers
CREATE TABLE public.lc_tap_act_profiles AS SELECT * FROM profiles;
ANALYZE public.lc_tap_act_profiles;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; txt text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP txt := txt || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN txt;
END $$;
SELECT matches(pg_temp.plan_of($$SELECT activity_lifecycle(p, 'month', date '2023-06-15', date '2025-12-31') FROM public.lc_tap_act_profiles$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'activity_lifecycle runs as Finalize/Gather/Partial');
SELECT results_eq($$SELECT t.* FROM activity_lifecycle_table((SELECT activity_lifecycle(p, 'month', date '2023-06-15', date '2025-12-31')
                                                              FROM public.lc_tap_act_profiles)) t$$,
                  $$SELECT * FROM pg_temp.ref('month', '2023-06-15', '2025-12-31', false)$$,
                  'parallel lifecycle equals plain SQL');

SELECT * FROM finish();
ROLLBACK;

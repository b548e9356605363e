-- cohort_retention against an independent plain-SQL implementation of the same
-- definitions (calendar months and weeks, rolling 30-day windows, censoring), on a
-- generated store; and the parallel plan on real workers.
BEGIN;
SELECT plan(17);
SET LOCAL TimeZone = 'UTC';

CREATE TEMP TABLE t AS
SELECT customer_id, ordered_at AS ts, amount FROM demo_orders(20000, 7);
CREATE TEMP TABLE profiles AS
SELECT customer_id, customer_profile(ts, amount) p FROM t GROUP BY 1;

-- period offset of day d for a customer starting on day s
CREATE FUNCTION pg_temp.off(d date, s date, unit text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE unit
        WHEN 'month' THEN (extract(year FROM d) * 12 + extract(month FROM d))::int
                        - (extract(year FROM s) * 12 + extract(month FROM s))::int
        WHEN 'week' THEN floor((d - date '2000-01-03') / 7.0)::int - floor((s - date '2000-01-03') / 7.0)::int
        WHEN '30 days' THEN (d - s) / 30
    END $$;

-- the matrix the plain way: one row per customer and eligible offset
CREATE FUNCTION pg_temp.ref(unit text, asof date)
RETURNS TABLE (cohort date, k int, eligible bigint, active bigint, after bigint, revenue numeric)
LANGUAGE sql AS $$
    WITH days AS (SELECT customer_id, (ts AT TIME ZONE 'UTC')::date AS d, sum(amount) AS amt
                  FROM t WHERE (ts AT TIME ZONE 'UTC')::date <= asof GROUP BY 1, 2),
         f AS (SELECT customer_id, min(d) AS s FROM days GROUP BY 1),
         a AS (SELECT customer_id, pg_temp.off(d, s, unit) AS k, sum(amt) AS rev
               FROM days JOIN f USING (customer_id) GROUP BY 1, 2),
         l AS (SELECT customer_id, max(k) AS lk FROM a GROUP BY 1)
    SELECT date_trunc('month', f.s)::date, g.k, count(*), count(a.k),
           count(*) FILTER (WHERE l.lk >= g.k), round(coalesce(sum(a.rev), 0)::numeric, 4)
    FROM f JOIN l USING (customer_id)
    CROSS JOIN LATERAL generate_series(0, pg_temp.off(asof + 1, f.s, unit) - 1) g(k)
    LEFT JOIN a ON a.customer_id = f.customer_id AND a.k = g.k
    GROUP BY 1, 2 ORDER BY 1, 2 $$;

CREATE FUNCTION pg_temp.ours(unit text, asof date)
RETURNS TABLE (cohort date, k int, eligible bigint, active bigint, after bigint, revenue numeric)
LANGUAGE sql AS $$
    SELECT x.c, t.period, t.eligible, t.active, t.active_or_after, round(t.revenue::numeric, 4)
    FROM (SELECT date_trunc('month', first_purchase(p))::date AS c, cohort_retention(p, unit, asof) AS r
          FROM profiles GROUP BY 1) x, retention_table(x.r) t
    ORDER BY 1, 2 $$;

SELECT results_eq($$SELECT * FROM pg_temp.ours('month', '2025-06-30')$$,
                  $$SELECT * FROM pg_temp.ref('month', '2025-06-30')$$,
                  'monthly matrix as of a month end equals plain SQL');
SELECT results_eq($$SELECT * FROM pg_temp.ours('month', '2024-11-17')$$,
                  $$SELECT * FROM pg_temp.ref('month', '2024-11-17')$$,
                  'monthly matrix as of mid-month (censored cells) equals plain SQL');
SELECT results_eq($$SELECT * FROM pg_temp.ours('week', '2024-03-20')$$,
                  $$SELECT * FROM pg_temp.ref('week', '2024-03-20')$$,
                  'weekly matrix (ISO weeks) equals plain SQL');
SELECT results_eq($$SELECT * FROM pg_temp.ours('30 days', '2025-12-31')$$,
                  $$SELECT * FROM pg_temp.ref('30 days', '2025-12-31')$$,
                  'rolling 30-day matrix equals plain SQL');
SELECT ok((SELECT count(*) FROM pg_temp.ref('month', '2025-06-30')) > 300,
          'the reference matrix is not trivial');

-- the weighted average over cohorts is rollup(), not an average of rates
SELECT is((SELECT retention_rates(rollup(r), 'on')::text FROM (
               SELECT cohort_retention(p, 'month', date '2025-06-30') r FROM profiles
               GROUP BY date_trunc('month', first_purchase(p))) x),
          (SELECT array_agg(sum_active::float8 / sum_eligible ORDER BY k)::text FROM (
               SELECT k, sum(active) sum_active, sum(eligible) sum_eligible
               FROM pg_temp.ref('month', '2025-06-30') GROUP BY k) y),
          'rollup over cohorts gives eligible-weighted rates');

-- real parallel workers: Finalize/Gather/Partial and the same curve
CREATE TABLE public.lc_tap_profiles AS SELECT * FROM profiles;
ANALYZE public.lc_tap_profiles;
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
SELECT matches(pg_temp.plan_of($$SELECT cohort_retention(p, 'month', date '2025-06-30') FROM public.lc_tap_profiles$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'cohort_retention runs as Finalize/Gather/Partial');
-- counts exactly; revenue sums to 1e-6 (float sums in another order differ in the last bits)
SELECT results_eq(
    $$SELECT t.period, t.eligible, t.active, t.active_or_after, round(t.revenue::numeric, 6)
      FROM retention_table((SELECT cohort_retention(p, 'month', date '2025-06-30') FROM public.lc_tap_profiles)) t$$,
    $$SELECT t.period, t.eligible, t.active, t.active_or_after, round(t.revenue::numeric, 6)
      FROM retention_table((SELECT rollup(r) FROM (SELECT cohort_retention(p, 'month', date '2025-06-30') r
                                                   FROM profiles GROUP BY date_trunc('month', first_purchase(p))) x)) t$$,
    'parallel curve equals the rollup of serial per-cohort curves');

-- cohort keys: period_start agrees with date_trunc on every day of 41 years, for
-- every unit; cohort_start is period_start of the first purchase; bad periods refused
SELECT is_empty(
    $$SELECT g::date, u FROM generate_series(timestamp '1990-01-01', timestamp '2030-12-31', interval '1 day') g,
             unnest('{day,week,month,quarter,year}'::text[]) u
      WHERE period_start(g::date, u) <> date_trunc(u, g)::date$$,
    'period_start equals date_trunc(unit, d::timestamp)::date on every day 1990-2030');
SELECT is_empty(
    $$SELECT g.i, u FROM generate_series(-2000000, 2900000, 97) g(i), unnest('{month,quarter,year}'::text[]) u
      WHERE period_start(date '2000-01-01' + g.i, u) <> date_trunc(u, (date '2000-01-01' + g.i)::timestamp)::date$$,
    'period_start equals date_trunc from 3476 BC to AD 9939 (integer calendar arithmetic, leap centuries)');
SELECT is_empty(
    $$SELECT customer_id, u FROM profiles, unnest('{day,week,month,quarter,year}'::text[]) u
      WHERE cohort_start(p, u) IS DISTINCT FROM period_start(first_purchase(p), u)$$,
    'cohort_start(p, unit) = period_start(first_purchase(p), unit) for every generated customer');
-- grouping by cohort_start gives the same curves as grouping by date_trunc
SELECT set_eq(
    $$SELECT cohort_start(p, 'quarter'), cohort_retention(p, 'month', date '2025-06-30')::text
      FROM profiles GROUP BY 1$$,
    $$SELECT date_trunc('quarter', first_purchase(p)::timestamp)::date, cohort_retention(p, 'month', date '2025-06-30')::text
      FROM profiles GROUP BY 1$$,
    'cohort_start groups the same cohorts as date_trunc');
SELECT throws_ok($$SELECT period_start(date '2024-05-05', '30 days')$$, '22023', NULL,
                 'period_start: a rolling period has no calendar start');
SELECT throws_ok($$SELECT cohort_start(p, 'fortnight') FROM profiles$$, '22023', NULL,
                 'cohort_start: unknown period');
SELECT is(period_start(date '2024-05-17', ' WEEK '), date '2024-05-13',
          'period names ignore case and surrounding spaces');
SELECT throws_ok($$SELECT period_start(date '4714-11-24 BC', 'year')$$, '22008', NULL,
                 'period_start: a period starting before the first valid date is out of range');
SELECT is(ARRAY[period_start('infinity', 'week'), period_start('-infinity', 'month')],
          ARRAY['infinity'::date, '-infinity'::date], 'period_start: infinite dates come back unchanged');

SELECT * FROM finish();
ROLLBACK;

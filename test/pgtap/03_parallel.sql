-- customer_profile with real parallel workers on a larger table: Partial/Finalize
-- plans, and results equal to a serial run, per customer and for stage counts.
BEGIN;
SELECT plan(7);
SET LOCAL TimeZone = 'UTC';

CREATE TEMP TABLE big_orders AS
SELECT (i % 20000) + 1 AS customer_id,
       timestamptz '2022-01-01' + ((i * 7919) % 1000) * interval '1 day' + (i % 24) * interval '1 hour' AS ts,
       (i % 400) / 8.0 AS amount
FROM generate_series(1::bigint, 300000) i;
-- temp tables are not visible to parallel workers: use a real table
CREATE TABLE public.lc_tap_orders AS SELECT * FROM big_orders;
ANALYZE public.lc_tap_orders;

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;

-- the merge function's COST 25 keeps real per-customer builds serial; cost 1 forces
-- the Partial/Finalize plans whose combine steps this file checks (rolled back)
ALTER FUNCTION customer_profile_merge(customer_profile, customer_profile) COST 1;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT customer_id, customer_profile(ts, amount)::text AS p FROM public.lc_tap_orders GROUP BY 1;
CREATE TEMP TABLE serial_stage AS
SELECT lifecycle_stage(customer_profile(ts, amount), date '2024-06-30') AS stage, customer_id
FROM public.lc_tap_orders GROUP BY customer_id;

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;

SELECT matches(pg_temp.plan_of('SELECT customer_id, customer_profile(ts, amount) FROM public.lc_tap_orders GROUP BY 1'),
               'Finalize.*Gather.*Partial', 'grouped profile build runs as Finalize/Gather/Partial');
SELECT is((SELECT count(*)::int FROM serial s
           JOIN (SELECT customer_id, customer_profile(ts, amount)::text AS p FROM public.lc_tap_orders GROUP BY 1) q
           USING (customer_id) WHERE s.p = q.p), 20000, 'parallel profiles equal serial profiles');
SELECT matches(pg_temp.plan_of('SELECT customer_profile(ts, amount) FROM public.lc_tap_orders'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'plain aggregate runs as Finalize/Gather/Partial');
SELECT is((SELECT customer_profile(ts, amount)::text FROM public.lc_tap_orders),
          (SELECT rollup(p::customer_profile)::text FROM serial),
          'parallel profile of all rows equals the rollup of the serial profiles');
SELECT results_eq(
    $$SELECT stage, count(*) FROM (SELECT lifecycle_stage(customer_profile(ts, amount), date '2024-06-30') AS stage
                                   FROM public.lc_tap_orders GROUP BY customer_id) s GROUP BY 1 ORDER BY 1$$,
    $$SELECT stage, count(*) FROM serial_stage GROUP BY 1 ORDER BY 1$$,
    'stage counts equal under parallel query');
SELECT matches(pg_temp.plan_of('SELECT rollup(p::customer_profile) FROM serial'),
               'Aggregate', 'rollup plans');
SELECT ok((SELECT count(DISTINCT p) FROM serial) > 1000, 'the data has many distinct profiles');

SELECT * FROM finish();
ROLLBACK;

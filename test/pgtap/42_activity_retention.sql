-- retention(VARIADIC bool[]) against plain SQL (bool_or per condition) on a
-- generated store, SQLSTATE contracts, and real parallel workers.
BEGIN;
SELECT plan(16);
SET LOCAL TimeZone = 'UTC';

CREATE TEMP TABLE t AS
SELECT customer_id, (ordered_at AT TIME ZONE 'UTC')::date AS d FROM demo_orders(20000, 11);

-- ClickHouse semantics restated in plain SQL: r[1] = bool_or(c1),
-- r[i] = bool_or(c1) and bool_or(ci)
CREATE TEMP VIEW ours AS
SELECT customer_id,
       retention(d BETWEEN '2024-01-01' AND '2024-01-31', d BETWEEN '2024-02-01' AND '2024-02-29',
                 d BETWEEN '2024-03-01' AND '2024-03-31', d >= '2024-04-01', d < '2024-01-01') AS r
FROM t GROUP BY customer_id;
CREATE TEMP VIEW ref AS
SELECT customer_id,
       ARRAY[c1, c1 AND c2, c1 AND c3, c1 AND c4, c1 AND c5]::int[]::smallint[] AS r
FROM (SELECT customer_id,
             coalesce(bool_or(d BETWEEN '2024-01-01' AND '2024-01-31'), false) c1,
             coalesce(bool_or(d BETWEEN '2024-02-01' AND '2024-02-29'), false) c2,
             coalesce(bool_or(d BETWEEN '2024-03-01' AND '2024-03-31'), false) c3,
             coalesce(bool_or(d >= '2024-04-01'), false) c4,
             coalesce(bool_or(d < '2024-01-01'), false) c5
      FROM t GROUP BY customer_id) x;
SELECT set_eq('SELECT * FROM ours', 'SELECT * FROM ref', 'retention() equals bool_or per condition, gated by the first');
SELECT ok((SELECT count(*) FROM ref WHERE r[1] = 1 AND r[2] = 1) > 50
          AND (SELECT count(*) FROM ref WHERE r[1] = 1 AND r[2] = 0) > 50
          AND (SELECT count(*) FROM ref WHERE r[1] = 0 AND r[5] = 0) > 50,
          'the comparison covers retained, lost and out-of-cohort customers');
SELECT ok((SELECT count(*) FROM ours WHERE r[1] = 0 AND r <> '{0,0,0,0,0}') = 0,
          'outside the cohort every element is 0, even where a later condition holds');
SELECT is((SELECT ARRAY[sum(r[1]), sum(r[2]), sum(r[3]), sum(r[4])]
           FROM (SELECT retention(d = '2024-01-02', d = '2024-01-03', d = '2024-01-04', d = '2024-01-05') r
                 FROM t GROUP BY customer_id) x),
          (SELECT ARRAY[count(DISTINCT customer_id) FILTER (WHERE d = '2024-01-02'),
                        count(DISTINCT customer_id) FILTER (WHERE d = '2024-01-03' AND customer_id IN (SELECT customer_id FROM t WHERE d = '2024-01-02')),
                        count(DISTINCT customer_id) FILTER (WHERE d = '2024-01-04' AND customer_id IN (SELECT customer_id FROM t WHERE d = '2024-01-02')),
                        count(DISTINCT customer_id) FILTER (WHERE d = '2024-01-05' AND customer_id IN (SELECT customer_id FROM t WHERE d = '2024-01-02'))]::bigint[]
           FROM t),
          'day-k retention counts equal the plain-SQL counts of the day-0 cohort');

-- SQLSTATEs
SELECT throws_ok($$SELECT retention(VARIADIC array_fill(true, ARRAY[33]))$$, '54000', NULL,
                 'more than 32 conditions: 54000');
SELECT throws_ok($$SELECT retention(VARIADIC '{}'::bool[])$$, '22023', NULL, 'no condition: 22023');
SELECT throws_ok($$SELECT retention(VARIADIC '{{t,f},{t,t}}'::bool[])$$, '2202E', NULL,
                 'a two-dimensional array: 2202E');
SELECT throws_ok($$SELECT retention(VARIADIC CASE WHEN x = 1 THEN '{t}'::bool[] ELSE '{t,t}' END)
                   FROM generate_series(1, 2) x$$, '22023', NULL, 'condition count changing within a group: 22023');
SELECT throws_ok($$SELECT '{"v":1,"conds":2,"seen":"1"}'::retention_state$$, '22023', NULL,
                 'text form with the wrong number of flags: 22023');
SELECT throws_ok($$SELECT '{"v":1,"conds":2,"seen":"10"'::retention_state$$, '22P02', NULL,
                 'truncated text form: 22P02');
SELECT is((SELECT retention(VARIADIC array_fill(true, ARRAY[32]))), array_fill(1::smallint, ARRAY[32]),
          'exactly 32 conditions are accepted');
SELECT is((SELECT retention(NULL::bool, true)), '{0,0}'::smallint[], 'a NULL first condition is false');

-- real parallel workers
CREATE TABLE public.lc_tap_act_ret AS SELECT * FROM t;
ANALYZE public.lc_tap_act_ret;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_hashagg = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; txt text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP txt := txt || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN txt;
END $$;
SELECT matches(pg_temp.plan_of($$SELECT customer_id, retention(d < '2024-01-01', d >= '2024-01-01') FROM public.lc_tap_act_ret GROUP BY 1$$),
               'Finalize GroupAggregate.*Gather Merge.*Partial GroupAggregate',
               'grouped retention runs as Finalize/Gather/Partial');
SELECT set_eq($$SELECT customer_id, retention(d < '2024-01-01', d >= '2024-01-01') FROM public.lc_tap_act_ret GROUP BY 1$$,
              $$SELECT customer_id, ARRAY[bool_or(d < '2024-01-01'), bool_or(d < '2024-01-01') AND bool_or(d >= '2024-01-01')]::int[]::smallint[]
                FROM t GROUP BY 1$$,
              'parallel grouped retention equals plain SQL');
SELECT matches(pg_temp.plan_of($$SELECT retention_state(d = '2024-01-01', d = '2025-01-01') FROM public.lc_tap_act_ret$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'whole-table retention_state runs in parallel');
SELECT is((SELECT retention_state(d = '2024-01-01', d = '2025-01-01', d = '1999-01-01')::text FROM public.lc_tap_act_ret),
          '{"v":1,"conds":3,"seen":"110"}', 'parallel whole-table state is the OR of every row');

SELECT * FROM finish();
ROLLBACK;

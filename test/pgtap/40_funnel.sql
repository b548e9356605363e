-- window_funnel / funnel_times: SQLSTATEs, parallel and partitionwise plans equal a
-- serial run, agreement with an independent plain-SQL formulation on generated data
-- (with ties and rows satisfying several steps), and a 100,000-event customer.
BEGIN;
SELECT plan(31);
SET LOCAL TimeZone = 'UTC';

-- ---------------------------------------------------------------- SQLSTATEs
SELECT throws_ok($$SELECT window_funnel('0 s', now(), true)$$, '22023', NULL, 'zero window: 22023');
SELECT throws_ok($$SELECT window_funnel('-5 min', now(), true)$$, '22023', NULL, 'negative window: 22023');
SELECT throws_ok($$SELECT window_funnel(NULL, now(), true)$$, '22004', NULL, 'NULL window: 22004');
SELECT throws_ok($$SELECT window_funnel('1 day', NULL::text, now(), true)$$, '22004', NULL, 'NULL mode: 22004');
SELECT throws_ok($$SELECT window_funnel('1 day', 'strict_order,nope', now(), true)$$, '22023', NULL, 'unknown mode: 22023');
SELECT throws_ok($$SELECT window_funnel('1 day', 'allow_reentry', now(), true)$$, '22023', NULL,
                 'allow_reentry without strict_order: 22023');
SELECT throws_ok($$SELECT window_funnel('1 day', now(), VARIADIC array_fill(true, ARRAY[33]))$$, '54000', NULL,
                 'more than 32 steps: 54000');
SELECT throws_ok($$SELECT window_funnel('1 day', now(), VARIADIC NULL::bool[])$$, '22004', NULL, 'NULL steps array: 22004');
SELECT throws_ok($$SELECT window_funnel('1 day', now(), VARIADIC '{}'::bool[])$$, '22023', NULL, 'no steps: 22023');
SELECT throws_ok($$SELECT window_funnel('1 day', 'infinity'::timestamptz, true)$$, '22008', NULL, 'infinite timestamp: 22008');
SELECT throws_ok($$SELECT '{"v":1,"window":1,"modes":"","steps":1,"events":[[0,1],]}'::funnel_state$$, '22P02', NULL,
                 'text syntax error: 22P02');
SELECT throws_ok($$SELECT '{"v":1,"window":1,"modes":"","steps":1,"events":[[0,2]]}'::funnel_state$$, '22023', NULL,
                 'mask beyond the steps: 22023');
SELECT throws_ok($$SELECT funnel_state_merge('{"v":1,"window":1,"modes":"","steps":1,"events":[]}',
                                            '{"v":1,"window":2,"modes":"","steps":1,"events":[]}')$$, '22023', NULL,
                 'merging states of different windows: 22023');

-- ---------------------------------------------------------------- generated data
-- minute timestamps over a short span (many ties), step flags with NULLs
CREATE TABLE public.lc_tap_events AS
SELECT c AS customer_id,
       timestamptz '2024-01-01' + (c % 97) * interval '1 day'
           + ((c * 7 + i * 13 + (c * i) % 11) % 45) * interval '1 minute' AS ts,
       CASE WHEN (c + i) % 17 = 0 THEN NULL ELSE (c * 3 + i * 5) % 7 < 3 END AS s1,
       (c * 5 + i * 3) % 6 < 2 AS s2,
       CASE WHEN (c + 2 * i) % 13 = 0 THEN NULL ELSE (c + i * 7) % 5 < 2 END AS s3,
       (c * 11 + i) % 9 = 0 AS other
FROM generate_series(1, 4000) c, generate_series(1, (4 + c % 9)) i;
ANALYZE public.lc_tap_events;

-- the plain-SQL reference: rows ranked by (ts, steps, lowest step first); a chain is
-- rows r1 <= r2 <= r3 in that rank (default: the same row may fill several steps;
-- strict_once: distinct rows; strict_increase: strictly later times) within the window
CREATE TEMP TABLE ranked AS
SELECT customer_id, ts, coalesce(s1, false) s1, coalesce(s2, false) s2, coalesce(s3, false) s3,
       row_number() OVER (PARTITION BY customer_id
                          ORDER BY ts, coalesce(s1, false)::int * 4 + coalesce(s2, false)::int * 2
                                       + coalesce(s3, false)::int DESC) AS r
FROM public.lc_tap_events;
CREATE FUNCTION pg_temp.ref(mode text, w interval) RETURNS TABLE (customer_id int, depth int)
LANGUAGE sql AS $$
    WITH ok2 AS (
        SELECT DISTINCT a.customer_id FROM ranked a JOIN ranked b USING (customer_id)
        WHERE a.s1 AND b.s2 AND b.ts - a.ts <= w
          AND CASE mode WHEN '' THEN b.r >= a.r WHEN 'strict_once' THEN b.r > a.r ELSE b.ts > a.ts END),
    ok3 AS (
        SELECT DISTINCT a.customer_id FROM ranked a JOIN ranked b USING (customer_id) JOIN ranked c USING (customer_id)
        WHERE a.s1 AND b.s2 AND c.s3 AND c.ts - a.ts <= w
          AND CASE mode WHEN '' THEN b.r >= a.r AND c.r >= b.r
                        WHEN 'strict_once' THEN b.r > a.r AND c.r > b.r
                        ELSE b.ts > a.ts AND c.ts > b.ts END)
    SELECT x.customer_id,
           CASE WHEN x.customer_id IN (SELECT customer_id FROM ok3) THEN 3
                WHEN x.customer_id IN (SELECT customer_id FROM ok2) THEN 2
                WHEN bool_or(x.s1) THEN 1 ELSE 0 END
    FROM ranked x GROUP BY x.customer_id
$$;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT customer_id,
       window_funnel('10 min', ts, s1, s2, s3) AS d_default,
       window_funnel('10 min', 'strict_once', ts, s1, s2, s3) AS d_once,
       window_funnel('10 min', 'strict_increase', ts, s1, s2, s3) AS d_increase,
       window_funnel('10 min', 'strict_order', ts, s1, s2, s3) AS d_order,
       funnel_times('10 min', ts, s1, s2, s3) AS times,
       funnel_state_agg('10 min', 'strict_order,strict_deduplication', ts, s1, s2, s3)::text AS st
FROM public.lc_tap_events GROUP BY customer_id;

SELECT is((SELECT count(*)::int FROM serial s JOIN pg_temp.ref('', '10 min') r USING (customer_id)
           WHERE s.d_default = r.depth), 4000, 'default mode equals the plain-SQL formulation for every customer');
SELECT is((SELECT count(*)::int FROM serial s JOIN pg_temp.ref('strict_once', '10 min') r USING (customer_id)
           WHERE s.d_once = r.depth), 4000, 'strict_once equals the plain-SQL formulation for every customer');
SELECT is((SELECT count(*)::int FROM serial s JOIN pg_temp.ref('strict_increase', '10 min') r USING (customer_id)
           WHERE s.d_increase = r.depth), 4000, 'strict_increase equals the plain-SQL formulation for every customer');
SELECT ok((SELECT count(DISTINCT d_default) = 4 AND count(DISTINCT d_increase) = 4
                  AND count(*) FILTER (WHERE d_default > d_once) > 0
                  AND count(*) FILTER (WHERE d_once > d_increase) > 0 FROM serial),
          'the data reaches every depth and separates the modes');
-- funnel_times: as long as the depth, each time an event satisfying its step, in
-- order, within the window
SELECT is((SELECT count(*)::int FROM serial s
           WHERE coalesce(array_length(times, 1), 0) = d_default
             AND (d_default = 0 OR times[d_default] - times[1] <= interval '10 min')
             AND NOT EXISTS (SELECT 1 FROM unnest(s.times) WITH ORDINALITY u(t, k)
                             WHERE (k > 1 AND t < s.times[k - 1])
                                OR NOT EXISTS (SELECT 1 FROM ranked e
                                               WHERE e.customer_id = s.customer_id AND e.ts = u.t
                                                 AND CASE k WHEN 1 THEN e.s1 WHEN 2 THEN e.s2 ELSE e.s3 END))),
          4000, 'funnel_times gives a valid chain of the reported depth for every customer');
-- the chain completes as early as possible: no chain of that depth ends earlier
SELECT is((SELECT count(*)::int FROM serial s
           WHERE d_default = 3 AND EXISTS (
               SELECT 1 FROM ranked a JOIN ranked b USING (customer_id) JOIN ranked c USING (customer_id)
               WHERE a.customer_id = s.customer_id AND a.s1 AND b.s2 AND c.s3 AND b.r >= a.r AND c.r >= b.r
                 AND c.ts - a.ts <= interval '10 min' AND c.ts < s.times[3])), 0,
          'no three-step chain completes before the one funnel_times reports');

-- ---------------------------------------------------------------- parallel
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SET LOCAL enable_hashagg = off;
SELECT matches(pg_temp.plan_of($$SELECT customer_id, window_funnel('10 min', ts, s1, s2, s3) FROM public.lc_tap_events GROUP BY 1$$),
               'Finalize.*Gather.*Partial', 'grouped window_funnel runs as Finalize/Gather/Partial');
SELECT is((SELECT count(*)::int FROM serial s JOIN (
               SELECT customer_id,
                      window_funnel('10 min', ts, s1, s2, s3) AS d_default,
                      window_funnel('10 min', 'strict_once', ts, s1, s2, s3) AS d_once,
                      window_funnel('10 min', 'strict_increase', ts, s1, s2, s3) AS d_increase,
                      window_funnel('10 min', 'strict_order', ts, s1, s2, s3) AS d_order,
                      funnel_times('10 min', ts, s1, s2, s3) AS times
               FROM public.lc_tap_events GROUP BY 1) q USING (customer_id)
           WHERE (s.d_default, s.d_once, s.d_increase, s.d_order, s.times)
                 = (q.d_default, q.d_once, q.d_increase, q.d_order, q.times)), 4000,
          'parallel grouped results equal serial ones (four modes and funnel_times)');
RESET enable_hashagg;
-- parallel with a tiny work_mem on a table in time order (every customer spread over the
-- workers; hash tables spill); funnel.sql checks the final functions on short-header states
CREATE TABLE public.lc_tap_web AS
SELECT customer_id, ts, event FROM demo_events(10000) ORDER BY ts;
ANALYZE public.lc_tap_web;
SET LOCAL work_mem = '64kB';
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_web AS
SELECT customer_id, window_funnel('7 days', ts, event = 'visit', event = 'add_to_cart', event = 'purchase') d,
       funnel_times('7 days', 'strict_order', ts, event = 'visit', event = 'product_view') t
FROM public.lc_tap_web GROUP BY 1;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT count(*)::int FROM serial_web s JOIN (
               SELECT customer_id, window_funnel('7 days', ts, event = 'visit', event = 'add_to_cart', event = 'purchase') d,
                      funnel_times('7 days', 'strict_order', ts, event = 'visit', event = 'product_view') t
               FROM public.lc_tap_web GROUP BY 1) q USING (customer_id)
           WHERE s.d = q.d AND s.t = q.t), 10000,
          'parallel results on time-ordered events with spilling equal serial ones');
RESET work_mem;
SELECT matches(pg_temp.plan_of($$SELECT window_funnel('10 min', 'strict_order', ts, s1, s2, s3) FROM public.lc_tap_events$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'plain window_funnel runs as Finalize/Gather/Partial');
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_all AS
SELECT window_funnel('1 hour', 'strict_order', ts, s1, s2, s3) d1, window_funnel('1 hour', ts, s1, s2, other, s3) d2,
       funnel_event_count(funnel_state_agg('1 hour', ts, s1, s2, s3)) n
FROM public.lc_tap_events;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT results_eq($$SELECT window_funnel('1 hour', 'strict_order', ts, s1, s2, s3), window_funnel('1 hour', ts, s1, s2, other, s3),
                          funnel_event_count(funnel_state_agg('1 hour', ts, s1, s2, s3)) FROM public.lc_tap_events$$,
                  $$SELECT d1, d2, n FROM serial_all$$, 'parallel plain aggregate equals serial');

-- ---------------------------------------------------------------- partitionwise
-- 300 customers with 150 events each over three partitions by time
CREATE TABLE public.lc_tap_events_p (customer_id int, ts timestamptz, s1 bool, s2 bool, s3 bool)
    PARTITION BY RANGE (ts);
CREATE TABLE public.lc_tap_events_p1 PARTITION OF public.lc_tap_events_p
    FOR VALUES FROM ('2024-01-01') TO ('2024-01-01 08:00');
CREATE TABLE public.lc_tap_events_p2 PARTITION OF public.lc_tap_events_p
    FOR VALUES FROM ('2024-01-01 08:00') TO ('2024-01-01 16:00');
CREATE TABLE public.lc_tap_events_p3 PARTITION OF public.lc_tap_events_p DEFAULT;
INSERT INTO public.lc_tap_events_p
SELECT c, timestamptz '2024-01-01' + ((c * 7 + i * 37) % 1440) * interval '1 minute',
       CASE WHEN (c + i) % 19 = 0 THEN NULL ELSE (c * 3 + i * 5) % 11 < 2 END,
       (c * 5 + i * 3) % 13 < 2, (c + i * 7) % 17 < 2
FROM generate_series(1, 300) c, generate_series(1, 150) i;
ANALYZE public.lc_tap_events_p;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_p AS
SELECT customer_id,
       window_funnel('30 min', ts, s1, s2, s3) AS d_default,
       window_funnel('30 min', 'strict_order', ts, s1, s2, s3) AS d_order,
       window_funnel('30 min', 'strict_increase,strict_deduplication', ts, s1, s2, s3) AS d_inc,
       funnel_times('30 min', ts, s1, s2, s3) AS times,
       funnel_state_agg('30 min', 'strict_once', ts, s1, s2, s3) AS st
FROM public.lc_tap_events_p GROUP BY 1;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT matches(pg_temp.plan_of($$SELECT customer_id, window_funnel('30 min', 'strict_order', ts, s1, s2, s3)
                                 FROM public.lc_tap_events_p GROUP BY 1$$),
               'Finalize.*Append.*Partial.*Partial', 'partitionwise plan: partial aggregates per partition, combined');
SELECT is((SELECT count(*)::int FROM serial_p s JOIN (
               SELECT customer_id,
                      window_funnel('30 min', ts, s1, s2, s3) AS d_default,
                      window_funnel('30 min', 'strict_order', ts, s1, s2, s3) AS d_order,
                      window_funnel('30 min', 'strict_increase,strict_deduplication', ts, s1, s2, s3) AS d_inc,
                      funnel_times('30 min', ts, s1, s2, s3) AS times,
                      funnel_state_agg('30 min', 'strict_once', ts, s1, s2, s3) AS st
               FROM public.lc_tap_events_p GROUP BY 1) q USING (customer_id)
           WHERE (s.d_default, s.d_order, s.d_inc, s.times) = (q.d_default, q.d_order, q.d_inc, q.times)
             AND funnel_depth(s.st) = funnel_depth(q.st)
             AND funnel_event_count(s.st) = funnel_event_count(q.st)), 300,
          'partitionwise results equal serial ones');
SELECT ok((SELECT count(*) FILTER (WHERE d_default = 3) > 30 AND count(*) FILTER (WHERE d_default < 3) > 30
           FROM serial_p) AND
          (SELECT count(*) FROM (SELECT customer_id FROM public.lc_tap_events_p GROUP BY 1
                                 HAVING count(DISTINCT tableoid) = 3) x) = 300,
          'every customer has rows in all partitions (combine merges non-empty states); depths vary');
RESET enable_partitionwise_aggregate;

-- ---------------------------------------------------------------- 100,000 events
-- 99,997 first steps one second apart, then step 2 and 3: O(n log n), not quadratic
CREATE TEMP TABLE one AS
SELECT timestamptz '2024-01-01' + i * interval '1 s' AS ts, i < 99998 AS s1, i = 99998 AS s2, i = 99999 AS s3
FROM generate_series(1, 99999) i ORDER BY random();
CREATE TEMP TABLE timing (label text, d int, t timestamptz[], ms float8);
CREATE FUNCTION pg_temp.timed(label text, q text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); d int; t timestamptz[];
BEGIN
    EXECUTE q INTO d, t;
    INSERT INTO timing VALUES (label, d, t, extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;
SELECT pg_temp.timed('default', $$SELECT window_funnel('10 s', ts, s1, s2, s3), funnel_times('10 s', ts, s1, s2, s3) FROM one$$);
SELECT pg_temp.timed('once', $$SELECT window_funnel('10 s', 'strict_once', ts, s1, s2, s3), funnel_times('10 s', 'strict_once', ts, s1, s2, s3) FROM one$$);
SELECT pg_temp.timed('increase_dedup', $$SELECT window_funnel('2 s', 'strict_increase', ts, s1, s2, s3), NULL::timestamptz[] FROM one$$);
SELECT pg_temp.timed('order', $$SELECT window_funnel('10 s', 'strict_order,strict_deduplication', ts, s1, s2, s3), NULL::timestamptz[] FROM one$$);
SELECT is((SELECT d FROM timing WHERE label = 'default'), 3, '100,000 events: depth 3');
SELECT is((SELECT t FROM timing WHERE label = 'default'),
          ARRAY[timestamptz '2024-01-01' + 99997 * interval '1 s', timestamptz '2024-01-01' + 99998 * interval '1 s',
                timestamptz '2024-01-01' + 99999 * interval '1 s'],
          '100,000 events: the best chain starts at the last first step');
SELECT is((SELECT array_agg(d ORDER BY label) FROM timing WHERE label <> 'default'), ARRAY[3, 3, 3],
          '100,000 events: strict_once, strict_increase, strict_order/dedup reach 3');
SELECT ok((SELECT max(ms) FROM timing) < 10000, '100,000 events of one customer take well under 10 s per call');

SELECT * FROM finish();
ROLLBACK;

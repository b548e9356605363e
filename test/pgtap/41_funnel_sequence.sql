-- sequence_match / sequence_count: SQLSTATEs, agreement with plain-SQL formulations on
-- generated data (ties, rows with several conditions), parallel and partitionwise plans
-- equal serial, and a 100,000-event customer.
BEGIN;
SELECT plan(18);
SET LOCAL TimeZone = 'UTC';

SELECT throws_ok($$SELECT sequence_match('(?1)(?2', now(), true, true)$$, '22P02', NULL, 'unbalanced pattern: 22P02');
SELECT throws_ok($$SELECT sequence_match('', now(), true)$$, '22P02', NULL, 'empty pattern: 22P02');
SELECT throws_ok($$SELECT sequence_match('(?1)(?t<=5)', now(), true)$$, '22P02', NULL, 'dangling time constraint: 22P02');
SELECT throws_ok($$SELECT sequence_match('(?3)', now(), true, true)$$, '22023', NULL, 'condition beyond the arguments: 22023');
SELECT throws_ok($$SELECT sequence_match(NULL, now(), true)$$, '22004', NULL, 'NULL pattern: 22004');
SELECT throws_ok($$SELECT sequence_match('(?1)', now(), VARIADIC array_fill(true, ARRAY[33]))$$, '54000', NULL,
                 'more than 32 conditions: 54000');
SELECT throws_ok($$SELECT '{"v":1,"pattern":"(?1)","conditions":1,"events":[[0,2]]}'::sequence_state$$, '22023', NULL,
                 'mask beyond the conditions in text input: 22023');

-- generated events: minute timestamps with ties, rows with none, one or both conditions
CREATE TABLE public.lc_tap_seq AS
SELECT c AS customer_id,
       timestamptz '2024-01-01' + ((c * 7 + i * 13 + (c * i) % 11) % 60) * interval '1 minute' AS ts,
       (c * 3 + i * 5) % 7 < 3 AS s1,
       CASE WHEN (c + i) % 13 = 0 THEN NULL ELSE (c * 5 + i * 3) % 6 < 2 END AS s2
FROM generate_series(1, 3000) c, generate_series(1, (3 + c % 8)) i;
ANALYZE public.lc_tap_seq;
CREATE TEMP TABLE ranked AS
SELECT customer_id, ts, s1, coalesce(s2, false) AS s2,
       row_number() OVER (PARTITION BY customer_id ORDER BY ts, s1::int * 2 + coalesce(s2, false)::int DESC) AS r
FROM public.lc_tap_seq WHERE s1 OR s2;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT customer_id,
       sequence_match('(?1).*(?t<=600)(?2)', ts, s1, s2) AS m_within,
       sequence_match('(?1)(?2)', ts, s1, s2) AS m_adjacent,
       sequence_count('(?1).*(?2)', ts, s1, s2) AS c_any,
       sequence_count('(?1).(?t>=60)(?2)', ts, s1, s2) AS c_dot
FROM public.lc_tap_seq GROUP BY 1;

SELECT is((SELECT count(*)::int FROM serial s
           WHERE s.m_within = EXISTS (SELECT 1 FROM ranked a JOIN ranked b USING (customer_id)
                                      WHERE a.customer_id = s.customer_id AND a.s1 AND b.s2 AND b.r > a.r
                                        AND b.ts - a.ts <= interval '600 s')), 3000,
          '(?1).*(?t<=600)(?2) equals an EXISTS formulation for every customer');
SELECT is((SELECT count(*)::int FROM serial s
           WHERE s.m_adjacent = EXISTS (SELECT 1 FROM ranked a JOIN ranked b USING (customer_id)
                                        WHERE a.customer_id = s.customer_id AND a.s1 AND b.s2 AND b.r = a.r + 1)), 3000,
          '(?1)(?2) equals an adjacent-pair formulation for every customer');
-- (?1).*(?2) counted greedily: the number of times a 2 follows a 1 since the last match
SELECT is((SELECT count(*)::int FROM serial s JOIN (
               WITH RECURSIVE walk AS (
                   SELECT customer_id, 0::bigint AS r, false AS armed, 0 AS n FROM ranked GROUP BY 1
                   UNION ALL
                   SELECT w.customer_id, e.r,
                          CASE WHEN w.armed AND e.s2 THEN false ELSE w.armed OR e.s1 END,
                          w.n + CASE WHEN w.armed AND e.s2 THEN 1 ELSE 0 END
                   FROM walk w JOIN ranked e ON e.customer_id = w.customer_id AND e.r = w.r + 1)
               SELECT customer_id, max(n) AS n FROM walk GROUP BY 1) g USING (customer_id)
           WHERE s.c_any = g.n), (SELECT count(DISTINCT customer_id)::int FROM ranked),
          'sequence_count (?1).*(?2) equals a recursive greedy walk');
SELECT ok((SELECT count(*) FILTER (WHERE m_within) > 100 AND count(*) FILTER (WHERE NOT m_within) > 100
                  AND count(*) FILTER (WHERE m_adjacent) > 100 AND count(*) FILTER (WHERE c_any > 1) > 100
                  AND count(*) FILTER (WHERE c_dot > 0) > 100 FROM serial),
          'the data separates the cases');

-- parallel and partitionwise equal serial
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
SELECT matches(pg_temp.plan_of($$SELECT customer_id, sequence_count('(?1).*(?2)', ts, s1, s2) FROM public.lc_tap_seq GROUP BY 1$$),
               'Finalize.*Gather.*Partial', 'grouped sequence_count runs as Finalize/Gather/Partial');
SELECT is((SELECT count(*)::int FROM serial s JOIN (
               SELECT customer_id,
                      sequence_match('(?1).*(?t<=600)(?2)', ts, s1, s2) AS m_within,
                      sequence_match('(?1)(?2)', ts, s1, s2) AS m_adjacent,
                      sequence_count('(?1).*(?2)', ts, s1, s2) AS c_any,
                      sequence_count('(?1).(?t>=60)(?2)', ts, s1, s2) AS c_dot
               FROM public.lc_tap_seq GROUP BY 1) q USING (customer_id)
           WHERE (s.m_within, s.m_adjacent, s.c_any, s.c_dot) = (q.m_within, q.m_adjacent, q.c_any, q.c_dot)), 3000,
          'parallel results equal serial ones');
RESET enable_hashagg;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TABLE public.lc_tap_seq_p (customer_id int, ts timestamptz, s1 bool, s2 bool) PARTITION BY LIST ((customer_id % 3));
CREATE TABLE public.lc_tap_seq_p0 PARTITION OF public.lc_tap_seq_p FOR VALUES IN (0);
CREATE TABLE public.lc_tap_seq_p1 PARTITION OF public.lc_tap_seq_p FOR VALUES IN (1);
CREATE TABLE public.lc_tap_seq_p2 PARTITION OF public.lc_tap_seq_p FOR VALUES IN (2);
INSERT INTO public.lc_tap_seq_p SELECT * FROM public.lc_tap_seq;
ANALYZE public.lc_tap_seq_p;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT matches(pg_temp.plan_of($$SELECT sequence_count('(?1).*(?2)', ts, s1, s2) FROM public.lc_tap_seq_p$$),
               'Finalize Aggregate.*Append.*Partial Aggregate.*Partial Aggregate',
               'partitionwise plain aggregate: partial states per partition, combined');
SELECT is((SELECT sequence_count('(?1).*(?2)', ts, s1, s2) FROM public.lc_tap_seq_p),
          (SELECT sequence_count('(?1).*(?2)', ts, s1, s2) FROM public.lc_tap_seq),
          'partitionwise combine of non-empty states equals the serial count');
RESET enable_partitionwise_aggregate;

-- 100,000 events: one long run of 1s then a 2
CREATE TEMP TABLE one AS
SELECT timestamptz '2024-01-01' + i * interval '1 s' AS ts, i < 99999 AS s1, i = 99999 AS s2
FROM generate_series(1, 99999) i ORDER BY random();
CREATE TEMP TABLE timing AS SELECT clock_timestamp() AS t0;
SELECT is((SELECT sequence_count('(?1).*(?t<=5)(?2)', ts, s1, s2) FROM one), 1::bigint,
          '100,000 events: the one match is found');
SELECT is((SELECT sequence_count('(?1)', ts, s1, s2) FROM one), 99998::bigint, '100,000 events: every 1 counted');
SELECT ok((SELECT clock_timestamp() - t0 FROM timing) < interval '10 s', '100,000 events take well under 10 s');

SELECT * FROM finish();
ROLLBACK;

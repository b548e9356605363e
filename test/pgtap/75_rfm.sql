-- RFM and NPS: edges equal percentile_cont, scores equal an independent plain-SQL
-- formulation for every customer, ties share scores, the 25-cell segment map, degenerate
-- populations, parallel plans, and every bad input with its SQLSTATE.
BEGIN;
SELECT plan(29);

-- customers from the demo store: recency in days, purchase days, total spend (heavy ties
-- in recency and frequency, near-unique monetary)
CREATE TEMP TABLE rfm_in AS
SELECT customer_id, recency(p, date '2025-12-31')::float8 AS r, purchase_days(p)::float8 AS f,
       coalesce(total_spend(p), 0) AS m
FROM (SELECT customer_id, customer_profile(ordered_at, amount) p FROM demo_orders(5000) GROUP BY 1) s;

-- edges: percentile_cont bit for bit, for 3, 4, 5 and 10 bins
CREATE FUNCTION pg_temp.edges_match(nb int) RETURNS boolean LANGUAGE sql AS $$
    SELECT rfm_edges(b, 'recency') = pr AND rfm_edges(b, 'frequency') = pf AND rfm_edges(b, 'monetary') = pm
    FROM (SELECT rfm_bins(r, f, m, nb) b,
                 percentile_cont((SELECT array_agg(k::float8 / nb ORDER BY k) FROM generate_series(1, nb - 1) k))
                     WITHIN GROUP (ORDER BY r) pr,
                 percentile_cont((SELECT array_agg(k::float8 / nb ORDER BY k) FROM generate_series(1, nb - 1) k))
                     WITHIN GROUP (ORDER BY f) pf,
                 percentile_cont((SELECT array_agg(k::float8 / nb ORDER BY k) FROM generate_series(1, nb - 1) k))
                     WITHIN GROUP (ORDER BY m) pm
          FROM rfm_in) s
$$;
SELECT ok(pg_temp.edges_match(3), 'tertile edges equal percentile_cont');
SELECT ok(pg_temp.edges_match(4), 'quartile edges equal percentile_cont');
SELECT ok(pg_temp.edges_match(5), 'quintile edges equal percentile_cont');
SELECT ok(pg_temp.edges_match(10), 'decile edges equal percentile_cont');
SELECT is((SELECT rfm_customers(rfm_bins(r, f, m)) FROM rfm_in), (SELECT count(*) FROM rfm_in), 'customers counted');

-- scores: the plain-SQL formulation (1 + edges strictly below; recency reversed)
CREATE TEMP TABLE ours AS
SELECT customer_id, s.* FROM rfm_in, (SELECT rfm_bins(r, f, m) b FROM rfm_in) b, LATERAL rfm_score(b.b, r, f, m) s;
CREATE TEMP TABLE theirs AS
WITH e AS (SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY r) er,
                  percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY f) ef,
                  percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY m) em FROM rfm_in)
SELECT customer_id,
       5 - ((r > er[1])::int + (r > er[2])::int + (r > er[3])::int + (r > er[4])::int) AS r,
       1 + (f > ef[1])::int + (f > ef[2])::int + (f > ef[3])::int + (f > ef[4])::int AS f,
       1 + (m > em[1])::int + (m > em[2])::int + (m > em[3])::int + (m > em[4])::int AS m
FROM rfm_in, e;
SELECT is((SELECT count(*)::int FROM ours o JOIN theirs t USING (customer_id)
           WHERE (o.r, o.f, o.m) = (t.r, t.f, t.m)), (SELECT count(*)::int FROM rfm_in),
          'every customer''s (r, f, m) equals the plain-SQL quantile formulation');
SELECT is((SELECT count(*)::int FROM ours WHERE score <> r::text || f::text || m::text), 0, 'score = r || f || m');
SELECT is((SELECT count(*)::int FROM ours WHERE segment IS DISTINCT FROM rfm_segment(r, f)), 0, 'segment = rfm_segment(r, f)');
SELECT is((SELECT count(*)::int FROM (SELECT i.f FROM ours o JOIN rfm_in i USING (customer_id)
                                       GROUP BY i.f HAVING count(DISTINCT o.f) > 1) x), 0,
          'equal frequencies always share a score');
SELECT is((SELECT count(*)::int FROM (SELECT i.r FROM ours o JOIN rfm_in i USING (customer_id)
                                       GROUP BY i.r HAVING count(DISTINCT o.r) > 1) x), 0,
          'equal recencies always share a score');
SELECT ok((SELECT min(i.r) FILTER (WHERE o.r = 5) <= min(i.r) FILTER (WHERE o.r = 1) AND
                  max(i.r) FILTER (WHERE o.r = 5) < min(i.r) FILTER (WHERE o.r = 1)
           FROM ours o JOIN rfm_in i USING (customer_id)), 'recency reversed: the most recent score 5');
SELECT ok((SELECT count(DISTINCT r) = 5 AND count(DISTINCT m) = 5 FROM ours), 'the scores use the whole 1-5 range');

-- segment map: all 25 cells, each once, cell counts 4,4,2,2,1,4,1,1,4,2 (REFERENCE.md §6)
SELECT is((SELECT count(*)::int FROM generate_series(1, 5) r, generate_series(1, 5) f WHERE rfm_segment(r, f) IS NOT NULL),
          25, 'every one of the 25 R x F cells has a segment');
SELECT results_eq(
    $$SELECT rfm_segment(r, f), count(*)::int FROM generate_series(1, 5) r, generate_series(1, 5) f GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('About to Sleep', 2), ('At Risk', 4), ('Can''t Lose', 2), ('Champions', 2), ('Hibernating', 4),
             ('Loyal Customers', 4), ('Need Attention', 1), ('New Customers', 1), ('Potential Loyalists', 4),
             ('Promising', 1)$$,
    'ten segments with 2,4,2,2,4,4,1,1,4,1 cells');
SELECT is((SELECT string_agg(rfm_segment(r, f), '|' ORDER BY r, f) FROM generate_series(1, 5) r, generate_series(1, 5) f
           WHERE (r, f) IN ((1, 1), (2, 4), (1, 5), (3, 2), (3, 3), (4, 5), (4, 1), (5, 1), (5, 3), (5, 5))),
          'Hibernating|Can''t Lose|At Risk|About to Sleep|Need Attention|Promising|Loyal Customers|New Customers|Potential Loyalists|Champions',
          'the regex map: 11 Hibernating, 24 At Risk, 15 Can''t Lose, 32 About to Sleep, 33 Need Attention, 41 Promising, 45 Loyal, 51 New, 53 Potential, 55 Champions');

-- degenerate populations
SELECT is((SELECT row(s.r, s.f, s.m)::text FROM (SELECT rfm_bins(7, 3, 50) b FROM generate_series(1, 100)) x,
                  LATERAL rfm_score(b, 7, 3, 50) s), '(5,1,1)', 'everyone equal: R = 5, F = M = 1');
SELECT is((SELECT array_agg(s.f ORDER BY x) FROM (SELECT rfm_bins(x, x, x) b FROM generate_series(1, 3) x) y,
                  generate_series(1, 3) x, LATERAL rfm_score(y.b, x, x, x) s), '{1,3,5}'::int[],
          'fewer customers than bins: 3 customers score 1, 3, 5');
SELECT ok((SELECT rfm_bins(r, f, m) IS NULL FROM rfm_in WHERE false), 'no customers: NULL');

-- nps
SELECT is((SELECT nps(s) FROM (VALUES (10), (9), (9), (8), (7), (3), (0), (NULL)) v(s)), 100.0::float8 * (3 - 2) / 7,
          'nps = 100 (promoters - detractors) / answers, NULL skipped');
SELECT is((SELECT nps(s) FROM generate_series(0, 10) s), -500.0::float8 / 11, 'one answer per score: -45.45');

-- parallel plans on a real table
CREATE TABLE public.lc_tap_rfm AS
SELECT ((i * 7919) % 1000)::float8 AS r, (i % 17)::float8 AS f, ((i::bigint * 104729) % 1000003) / 100.0 AS m,
       (i * 7) % 11 AS answer
FROM generate_series(1, 200000) i;
ANALYZE public.lc_tap_rfm;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT rfm_bins(r, f, m)::text b, nps(answer) n FROM public.lc_tap_rfm;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of('SELECT rfm_bins(r, f, m), nps(answer) FROM public.lc_tap_rfm'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'rfm_bins and nps run as Finalize/Gather/Partial');
SELECT is((SELECT rfm_bins(r, f, m)::text FROM public.lc_tap_rfm), (SELECT b FROM serial), 'parallel rfm_bins equals serial');
SELECT is((SELECT nps(answer) FROM public.lc_tap_rfm), (SELECT n FROM serial), 'parallel nps equals serial');
RESET max_parallel_workers_per_gather;

-- bad input
SELECT throws_ok($$SELECT rfm_bins(1, 2, 3, 1)$$, '22023', 'bins must lie between 2 and 100, got 1', 'bins = 1: 22023');
SELECT throws_ok($$SELECT rfm_bins('NaN', 2, 3)$$, '22023', 'recency must be a finite number, got NaN', 'NaN recency: 22023');
SELECT throws_ok($$SELECT rfm_bins(r, 2, 3, r::int) FROM (VALUES (4), (5)) v(r)$$, '22023', NULL, 'bins changing between rows: 22023');
SELECT throws_ok($$SELECT rfm_segment(6, 1)$$, '22023', NULL, 'segment score out of range: 22023');
SELECT throws_ok($$SELECT nps(11)$$, '22023', 'net promoter answers lie between 0 and 10, got 11', 'nps answer 11: 22023');
SELECT throws_ok($$SELECT '{"v":1,"bins":5,"customers":1,"recency":[1],"frequency":[1],"monetary":[1]}'::rfm_bins$$,
                 '22P02', NULL, 'rfm_bins text with too few edges: 22P02');

SELECT * FROM finish();
ROLLBACK;

-- make bench, part 10: profiles, summary and stages (issue 2)
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
-- (d) stage counts as of 2025-12-31 with the default rules. Ours groups by the
-- customer_stage enum (an OID: cheap to hash) and turns the six groups into text at the
-- end; casting each customer's stage to text first costs ~0.2 us per customer
-- (enum_out looks the label up in the catalog cache).
('d_stage', 'ours: lifecycle_stage(customer_profile(...)) counts, profiles built in the query',
 $q$SELECT string_agg(stage || '=' || n, ' ' ORDER BY stage::text) FROM (
        SELECT stage, count(*) n FROM (
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

-- The plans depend on work_mem: at the default 4MB, HashAggregate over ~800k customers
-- spills into batches that fit in cache, which is faster for every contender than one
-- big in-memory hash table (random access over hundreds of MB). So every query also
-- runs with work_mem = 256MB, and with sort-based grouping (enable_hashagg = off).
INSERT INTO bench_query SELECT id || '_bigmem', label || ' [work_mem 256MB]', sql, 'work_mem=256MB'
FROM bench_query WHERE id ~ '^[a-d][0-9]?_';
INSERT INTO bench_query SELECT id || '_sorted', label || ' [sorted grouping]', sql, 'enable_hashagg=off'
FROM bench_query WHERE id IN ('a_floor', 'b_profile', 'b2_summary', 'c2_sql_summary', 'd_stage', 'd2_sql_stage');

\echo '== profiles: the competing queries give the same answers =='
SELECT bench_same(ARRAY['b2_summary', 'c1_sql_summary', 'c2_sql_summary']);
SELECT bench_same(ARRAY['d_stage', 'd1_sql_stage', 'd2_sql_stage']);

INSERT INTO bench_ratio (name, num, den, goal) VALUES
('(b)/(a) profile build / floor, server defaults', '{b_profile}', '{a_floor}', 'at most 1.3'),
('(b)/(a) with work_mem 256MB for both', '{b_profile_bigmem}', '{a_floor_bigmem}', 'at most 1.3'),
('(b)/(a) with sort-based grouping for both', '{b_profile_sorted}', '{a_floor_sorted}', 'at most 1.3'),
('(b)/(a) best mode of each', '{b_profile,b_profile_bigmem,b_profile_sorted}',
 '{a_floor,a_floor_bigmem,a_floor_sorted}', 'at most 1.3'),
('(c)/(b) best plain-SQL summary / profile build, server defaults', '{c1_sql_summary,c2_sql_summary}',
 '{b_profile}', 'at least 2'),
('(c)/(b2) best plain-SQL summary / profile + btyd_summary, server defaults', '{c1_sql_summary,c2_sql_summary}',
 '{b2_summary}', '(same answer end to end)'),
('(c)/(b) best mode of each', '{c1_sql_summary,c2_sql_summary,c1_sql_summary_bigmem,c2_sql_summary_bigmem,c2_sql_summary_sorted}',
 '{b_profile,b_profile_bigmem,b_profile_sorted}', 'at least 2'),
('(d) best plain-SQL stage query / ours (profile build included), server defaults', '{d1_sql_stage,d2_sql_stage}',
 '{d_stage}', 'at least 1.6'),
('(d) best mode of each', '{d1_sql_stage,d2_sql_stage,d1_sql_stage_bigmem,d2_sql_stage_bigmem,d2_sql_stage_sorted}',
 '{d_stage,d_stage_bigmem,d_stage_sorted}', 'at least 1.6');

-- make bench, part 70: RFM scores and segments (issue 5)
-- Input, built once and shared by every competitor: one row per customer with
-- recency (days since the last purchase at 2025-12-31), frequency (purchase days) and
-- monetary (total spend). Each query scores every customer and returns the segment-count
-- histogram; ties share a score in all of them (value-based quintile edges, as percentile_cont).
\echo '== rfm: per-customer input table =='
\timing on
CREATE TABLE rfm_input AS
SELECT customer_id, recency(p, date '2025-12-31')::float8 AS recency, purchase_days(p, date '2025-12-31')::float8 AS frequency,
       coalesce(total_spend(p, date '2025-12-31'), 0) AS monetary
FROM (SELECT customer_id, customer_profile(ts, amount) p FROM orders WHERE ts < '2026-01-01' GROUP BY 1) s;
\timing off
VACUUM ANALYZE rfm_input;

INSERT INTO bench_query VALUES
('r_rfm', 'ours: rfm_segment(rfm_bins(...), r, f) per customer',
 $q$SELECT string_agg(segment || '=' || n, ' ' ORDER BY segment) FROM (
        SELECT rfm_segment((SELECT rfm_bins(recency, frequency, monetary) FROM rfm_input), recency, frequency) AS segment,
               count(*) n
        FROM rfm_input GROUP BY 1) x$q$),
('r_rfm_score', 'ours: rfm_score(rfm_bins(...), r, f, m) rows, LATERAL',
 $q$WITH b AS (SELECT rfm_bins(recency, frequency, monetary) b FROM rfm_input)
    SELECT string_agg(segment || '=' || n, ' ' ORDER BY segment) FROM (
        SELECT s.segment, count(*) n FROM rfm_input, b, LATERAL rfm_score(b.b, recency, frequency, monetary) s
        GROUP BY 1) x$q$),
('r_rfm_bins', 'ours: rfm_bins alone (the three quintile edge sets)',
 $q$SELECT rfm_bins(recency, frequency, monetary)::text FROM rfm_input$q$),
('s1_sql_rfm', 'plain SQL: percentile_cont edges + comparisons + CASE map',
 $q$WITH e AS (SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency) er,
                     percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) ef,
                     percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY monetary) em FROM rfm_input),
        s AS (SELECT 5 - ((recency > er[1])::int + (recency > er[2])::int + (recency > er[3])::int + (recency > er[4])::int) AS r,
                     1 + (frequency > ef[1])::int + (frequency > ef[2])::int + (frequency > ef[3])::int + (frequency > ef[4])::int AS f,
                     1 + (monetary > em[1])::int + (monetary > em[2])::int + (monetary > em[3])::int + (monetary > em[4])::int AS m
              FROM rfm_input, e)
    SELECT string_agg(segment || '=' || n, ' ' ORDER BY segment) FROM (
        SELECT CASE WHEN r <= 2 AND f <= 2 THEN 'Hibernating'
                    WHEN r <= 2 AND f <= 4 THEN 'At Risk'
                    WHEN r <= 2 THEN 'Can''t Lose'
                    WHEN r = 3 AND f <= 2 THEN 'About to Sleep'
                    WHEN r = 3 AND f = 3 THEN 'Need Attention'
                    WHEN r <= 4 AND f >= 4 THEN 'Loyal Customers'
                    WHEN r = 4 AND f = 1 THEN 'Promising'
                    WHEN r = 5 AND f = 1 THEN 'New Customers'
                    WHEN f <= 3 THEN 'Potential Loyalists'
                    ELSE 'Champions' END AS segment, count(*) n
        FROM s GROUP BY 1) x$q$),
('s2_sql_rfm', 'plain SQL: percentile_cont edges + width_bucket + segment lookup join',
 $q$WITH e AS (SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency) er,
                     percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) ef,
                     percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY monetary) em FROM rfm_input),
        -- edges strictly below v = 4 - (edges >= v), counted by width_bucket on the negated edges
        s AS (SELECT 1 + width_bucket(-recency, ARRAY[-er[4], -er[3], -er[2], -er[1]]) AS r,
                     5 - width_bucket(-frequency, ARRAY[-ef[4], -ef[3], -ef[2], -ef[1]]) AS f
              FROM rfm_input, e),
        map (r, f, segment) AS (VALUES
            (1,1,'Hibernating'),(1,2,'Hibernating'),(2,1,'Hibernating'),(2,2,'Hibernating'),
            (1,3,'At Risk'),(1,4,'At Risk'),(2,3,'At Risk'),(2,4,'At Risk'),(1,5,'Can''t Lose'),(2,5,'Can''t Lose'),
            (3,1,'About to Sleep'),(3,2,'About to Sleep'),(3,3,'Need Attention'),
            (3,4,'Loyal Customers'),(3,5,'Loyal Customers'),(4,4,'Loyal Customers'),(4,5,'Loyal Customers'),
            (4,1,'Promising'),(5,1,'New Customers'),
            (4,2,'Potential Loyalists'),(4,3,'Potential Loyalists'),(5,2,'Potential Loyalists'),(5,3,'Potential Loyalists'),
            (5,4,'Champions'),(5,5,'Champions'))
    SELECT string_agg(segment || '=' || n, ' ' ORDER BY segment) FROM (
        SELECT map.segment, count(*) n FROM s JOIN map USING (r, f) GROUP BY 1) x$q$),
('s4_sql_rfm', 'plain SQL: edges as scalar subqueries (InitPlans) + CASE map',
 $q$SELECT string_agg(segment || '=' || n, ' ' ORDER BY segment) FROM (
        SELECT CASE WHEN r <= 2 AND f <= 2 THEN 'Hibernating'
                    WHEN r <= 2 AND f <= 4 THEN 'At Risk'
                    WHEN r <= 2 THEN 'Can''t Lose'
                    WHEN r = 3 AND f <= 2 THEN 'About to Sleep'
                    WHEN r = 3 AND f = 3 THEN 'Need Attention'
                    WHEN r <= 4 AND f >= 4 THEN 'Loyal Customers'
                    WHEN r = 4 AND f = 1 THEN 'Promising'
                    WHEN r = 5 AND f = 1 THEN 'New Customers'
                    WHEN f <= 3 THEN 'Potential Loyalists'
                    ELSE 'Champions' END AS segment, count(*) n
        FROM (SELECT 1 + width_bucket(-recency, (SELECT array_agg(-x ORDER BY x DESC) FROM unnest(
                         (SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency) FROM rfm_input)) x)) AS r,
                     5 - width_bucket(-frequency, (SELECT array_agg(-x ORDER BY x DESC) FROM unnest(
                         (SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY frequency) FROM rfm_input)) x)) AS f
              FROM rfm_input) s
        GROUP BY 1) x$q$),
('s3_sql_rfm', 'plain SQL: ntile(5) per dimension, ties lifted to their value''s lowest tile (not quantile-exact)',
 $q$SELECT 'ntile: ' || string_agg(r::text || f::text || '=' || n, ' ' ORDER BY r, f) FROM (
        SELECT r, f, count(*) n FROM (
            SELECT 6 - min(tr) OVER (PARTITION BY recency) AS r, min(tf) OVER (PARTITION BY frequency) AS f
            FROM (SELECT recency, frequency, ntile(5) OVER (ORDER BY recency) tr, ntile(5) OVER (ORDER BY frequency) tf
                  FROM rfm_input) a) b GROUP BY 1, 2) x$q$);

-- where the harness runs with the server's default work_mem, also time every query with
-- work_mem 256MB (the plain-SQL sorts then stay in memory)
DO $$
BEGIN
    IF EXISTS (SELECT FROM information_schema.columns
               WHERE table_name = 'bench_query' AND column_name = 'settings') THEN
        EXECUTE $i$INSERT INTO bench_query SELECT id || '_bigmem', label || ' [work_mem 256MB]', sql, 'work_mem=256MB'
                   FROM bench_query WHERE id IN ('r_rfm', 's1_sql_rfm', 's2_sql_rfm', 's4_sql_rfm')$i$;
    END IF;
END $$;

\echo '== rfm: the competing queries give the same answers =='
SELECT bench_same(ARRAY['r_rfm', 'r_rfm_score', 's1_sql_rfm', 's2_sql_rfm', 's4_sql_rfm']);

INSERT INTO bench_ratio (name, num, den, goal) VALUES
('(s)/(r) best plain-SQL RFM segments / ours (same edges, same ties)', '{s1_sql_rfm,s2_sql_rfm,s4_sql_rfm}', '{r_rfm}', 'at least 2'),
('(s)/(r) best mode of each', '{s1_sql_rfm,s2_sql_rfm,s4_sql_rfm,s1_sql_rfm_bigmem,s2_sql_rfm_bigmem,s4_sql_rfm_bigmem}',
 '{r_rfm,r_rfm_bigmem}', 'at least 2'),
('(s)/(r_score) best plain-SQL / ours with full rfm_score rows', '{s1_sql_rfm,s2_sql_rfm,s4_sql_rfm}', '{r_rfm_score}', '(context)'),
('(s3)/(r) ntile formulation (ties lifted; different answer) / ours', '{s3_sql_rfm}', '{r_rfm}', '(context)');

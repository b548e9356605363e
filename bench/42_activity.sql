-- make bench, part 42: ClickHouse-style retention() and the PostHog lifecycle
-- (issue 3), against the plain-SQL ways to the same answers; the lifecycle both in
-- one pass over orders and the two-step way (profiles, then activity_lifecycle).
-- Answers checked: retention as the per-condition sums over customers; the
-- lifecycle as a digest of every (period, new, returning, resurrecting,
-- dormant, active) row.

INSERT INTO bench_query (id, label, sql) VALUES
('a_retention', 'ours: retention(8 monthly conditions) per customer, summed',
 $q$SELECT sum(r[1]), sum(r[2]), sum(r[3]), sum(r[4]), sum(r[5]), sum(r[6]), sum(r[7]), sum(r[8])
    FROM (SELECT retention(ts >= '2024-01-01' AND ts < '2024-02-01', ts >= '2024-02-01' AND ts < '2024-03-01',
                           ts >= '2024-03-01' AND ts < '2024-04-01', ts >= '2024-04-01' AND ts < '2024-05-01',
                           ts >= '2024-05-01' AND ts < '2024-06-01', ts >= '2024-06-01' AND ts < '2024-07-01',
                           ts >= '2024-07-01' AND ts < '2024-08-01', ts >= '2024-08-01' AND ts < '2024-09-01') AS r
          FROM orders GROUP BY customer_id) x$q$),
('a_sql_retention', 'plain SQL: bool_or per condition per customer, summed',
 $q$SELECT count(*) FILTER (WHERE c1), count(*) FILTER (WHERE c1 AND c2), count(*) FILTER (WHERE c1 AND c3),
           count(*) FILTER (WHERE c1 AND c4), count(*) FILTER (WHERE c1 AND c5), count(*) FILTER (WHERE c1 AND c6),
           count(*) FILTER (WHERE c1 AND c7), count(*) FILTER (WHERE c1 AND c8)
    FROM (SELECT bool_or(ts >= '2024-01-01' AND ts < '2024-02-01') c1, bool_or(ts >= '2024-02-01' AND ts < '2024-03-01') c2,
                 bool_or(ts >= '2024-03-01' AND ts < '2024-04-01') c3, bool_or(ts >= '2024-04-01' AND ts < '2024-05-01') c4,
                 bool_or(ts >= '2024-05-01' AND ts < '2024-06-01') c5, bool_or(ts >= '2024-06-01' AND ts < '2024-07-01') c6,
                 bool_or(ts >= '2024-07-01' AND ts < '2024-08-01') c7, bool_or(ts >= '2024-08-01' AND ts < '2024-09-01') c8
          FROM orders GROUP BY customer_id) x$q$),
('a_lifecycle_1pass', 'ours: monthly lifecycle 2024-2025 in one pass over orders (activity_lifecycle(customer, ts, ...)) + table',
 $q$SELECT md5(string_agg(concat_ws(',', t.period_start, t.new, t.returning, t.resurrecting, t.dormant, t.active),
                         ';' ORDER BY t.period_start))
    FROM activity_lifecycle_table((
        SELECT activity_lifecycle(customer_id, ts, 'month', date '2024-01-01', date '2025-12-31') FROM orders)) t$q$),
('a_lifecycle', 'ours: monthly lifecycle 2024-2025, customer_profile + activity_lifecycle + table',
 $q$SELECT md5(string_agg(concat_ws(',', t.period_start, t.new, t.returning, t.resurrecting, t.dormant, t.active),
                         ';' ORDER BY t.period_start))
    FROM activity_lifecycle_table((
        SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2025-12-31')
        FROM (SELECT customer_profile(ts) AS p FROM orders GROUP BY customer_id) s)) t$q$),
-- plain SQL 1: customer-months, previous month shifted forward, full join
('a1_sql_lifecycle', 'plain SQL lifecycle: customer-months full join shifted customer-months',
 $q$WITH act AS (SELECT DISTINCT customer_id, date_trunc('month', ts AT TIME ZONE 'UTC')::date AS per
                FROM orders WHERE ts < '2026-01-01'),
        firsts AS (SELECT customer_id, min(per) AS fp FROM act GROUP BY 1),
        nxt AS (SELECT customer_id, (per + interval '1 month')::date AS per FROM act),
        flags AS (SELECT coalesce(a.customer_id, n.customer_id) AS customer_id, coalesce(a.per, n.per) AS ps,
                         a.per IS NOT NULL AS now_, n.per IS NOT NULL AS before_
                  FROM act a FULL JOIN nxt n ON a.customer_id = n.customer_id AND a.per = n.per),
        counts AS (SELECT ps, count(*) FILTER (WHERE now_ AND ps = fp) AS n,
                          count(*) FILTER (WHERE now_ AND before_) AS r,
                          count(*) FILTER (WHERE now_ AND NOT before_ AND ps <> fp) AS z,
                          count(*) FILTER (WHERE before_ AND NOT now_) AS d,
                          count(*) FILTER (WHERE now_) AS a
                   FROM flags JOIN firsts USING (customer_id)
                   WHERE ps BETWEEN '2024-01-01' AND '2025-12-01' GROUP BY ps)
    SELECT md5(string_agg(concat_ws(',', g::date, coalesce(n, 0), coalesce(r, 0), coalesce(z, 0), coalesce(d, 0),
                                    coalesce(a, 0)), ';' ORDER BY g))
    FROM generate_series(date '2024-01-01', date '2025-12-01', interval '1 month') g
    LEFT JOIN counts ON counts.ps = g::date$q$),
-- plain SQL 2: PostHog's own shape: lag/lead over each customer's active months
('a2_sql_lifecycle', 'plain SQL lifecycle: lag/lead over customer-months',
 $q$WITH act AS (SELECT DISTINCT customer_id, date_trunc('month', ts AT TIME ZONE 'UTC')::date AS per
                FROM orders WHERE ts < '2026-01-01'),
        w AS (SELECT per, lag(per) OVER c AS prev, lead(per) OVER c AS next, min(per) OVER (PARTITION BY customer_id) AS fp
              FROM act WINDOW c AS (PARTITION BY customer_id ORDER BY per)),
        st AS (SELECT per AS ps, CASE WHEN per = fp THEN 'n'
                                      WHEN prev = (per - interval '1 month')::date THEN 'r' ELSE 'z' END AS s FROM w
               UNION ALL
               SELECT (per + interval '1 month')::date, 'd' FROM w
               WHERE next IS NULL OR next <> (per + interval '1 month')::date),
        counts AS (SELECT ps, count(*) FILTER (WHERE s = 'n') AS n, count(*) FILTER (WHERE s = 'r') AS r,
                          count(*) FILTER (WHERE s = 'z') AS z, count(*) FILTER (WHERE s = 'd') AS d,
                          count(*) FILTER (WHERE s <> 'd') AS a
                   FROM st WHERE ps BETWEEN '2024-01-01' AND '2025-12-01' GROUP BY ps)
    SELECT md5(string_agg(concat_ws(',', g::date, coalesce(n, 0), coalesce(r, 0), coalesce(z, 0), coalesce(d, 0),
                                    coalesce(a, 0)), ';' ORDER BY g))
    FROM generate_series(date '2024-01-01', date '2025-12-01', interval '1 month') g
    LEFT JOIN counts ON counts.ps = g::date$q$);

-- every query also with work_mem = 256MB and with sort-based grouping
INSERT INTO bench_query SELECT id || '_bigmem', label || ' [work_mem 256MB]', sql, 'work_mem=256MB'
FROM bench_query WHERE id IN ('a_retention', 'a_sql_retention', 'a_lifecycle', 'a1_sql_lifecycle', 'a2_sql_lifecycle');
INSERT INTO bench_query SELECT id || '_sorted', label || ' [sorted grouping]', sql, 'enable_hashagg=off'
FROM bench_query WHERE id IN ('a_retention', 'a_sql_retention', 'a_lifecycle', 'a1_sql_lifecycle', 'a2_sql_lifecycle');

\echo '== activity: the competing queries give the same answers =='
SELECT bench_same(ARRAY['a_retention', 'a_sql_retention']);
SELECT bench_same(ARRAY['a_lifecycle_1pass', 'a_lifecycle', 'a1_sql_lifecycle', 'a2_sql_lifecycle']);

INSERT INTO bench_ratio (name, num, den, goal) VALUES
('(a) plain-SQL retention / ours, server defaults', '{a_sql_retention}', '{a_retention}', 'about 1 (both are one pass)'),
('(a) best plain-SQL monthly lifecycle / ours from orders (one pass), server defaults',
 '{a1_sql_lifecycle,a2_sql_lifecycle}', '{a_lifecycle_1pass}', 'at least 3'),
('(a) best plain-SQL monthly lifecycle / ours two-step (profiles built in the query)',
 '{a1_sql_lifecycle,a2_sql_lifecycle}', '{a_lifecycle}', '(context)'),
('(a) retention, best mode of each', '{a_sql_retention,a_sql_retention_bigmem,a_sql_retention_sorted}',
 '{a_retention,a_retention_bigmem,a_retention_sorted}', 'about 1 (both are one pass)'),
('(a) lifecycle, best mode of each',
 '{a1_sql_lifecycle,a2_sql_lifecycle,a1_sql_lifecycle_bigmem,a2_sql_lifecycle_bigmem,a1_sql_lifecycle_sorted,a2_sql_lifecycle_sorted}',
 '{a_lifecycle_1pass,a_lifecycle,a_lifecycle_bigmem,a_lifecycle_sorted}', 'at least 3');

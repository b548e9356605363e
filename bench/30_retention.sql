-- make bench, part 30: the monthly cohort retention matrix (issue 3) from the orders
-- table, against the best plain-SQL matrix queries: ours in one pass (cohort_matrix)
-- and the two-step way (customer_profile per customer, then cohort_retention).
-- Answer checked: per (cohort, period) eligible, active, active-or-after and revenue,
-- summed into one row (revenue rounded to cents: float sums in another order differ
-- in the last bits).

-- the two-step use: profiles kept in a table (built nightly), the matrix read from them
CREATE TABLE ret_profiles AS SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1;
VACUUM ANALYZE ret_profiles;

INSERT INTO bench_query (id, label, sql) VALUES
('r_cohort_stored', 'ours: monthly cohort matrix from stored profiles (cohort_retention + retention_table)',
 $q$SELECT count(*), sum(t.eligible), sum(t.active), sum(t.active_or_after), round(sum(t.revenue)::numeric, 0)
    FROM (SELECT cohort_start(p, 'month') AS c, cohort_retention(p, 'month', date '2025-12-31') AS r
          FROM ret_profiles GROUP BY 1) x, retention_table(x.r) t$q$),
-- the one-pass use: cohort_matrix straight from the orders, no per-customer GROUP BY
('r_matrix', 'ours: monthly cohort matrix in one pass over orders (cohort_matrix + cohort_table)',
 $q$SELECT count(*), sum(t.eligible), sum(t.active), sum(t.active_or_after), round(sum(t.revenue)::numeric, 0)
    FROM cohort_table((SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-12-31') FROM orders)) t$q$),
('r_cohort', 'ours: monthly cohort matrix, customer_profile + cohort_retention + retention_table',
 $q$SELECT count(*), sum(t.eligible), sum(t.active), sum(t.active_or_after), round(sum(t.revenue)::numeric, 0)
    FROM (SELECT cohort_start(p, 'month') AS c, cohort_retention(p, 'month', date '2025-12-31') AS r
          FROM (SELECT customer_profile(ts, amount) AS p FROM orders GROUP BY customer_id) s
          GROUP BY 1) x, retention_table(x.r) t$q$),
-- plain SQL 1: customer-months, cohort by window min(), offsets, one row per
-- customer and eligible offset (generate_series) joined to activity
('r1_sql_cohort', 'plain SQL matrix: customer-months + generate_series of eligible offsets',
 $q$WITH m AS (SELECT customer_id, date_trunc('month', ts AT TIME ZONE 'UTC')::date AS mo, sum(amount) AS rev
              FROM orders WHERE ts < '2026-01-01' GROUP BY 1, 2),
        c AS (SELECT customer_id, mo, rev, min(mo) OVER (PARTITION BY customer_id) AS cohort FROM m),
        a AS (SELECT customer_id, cohort, (extract(year FROM mo) * 12 + extract(month FROM mo)
                                            - extract(year FROM cohort) * 12 - extract(month FROM cohort))::int AS k, rev
              FROM c),
        l AS (SELECT customer_id, cohort, max(k) AS lk FROM a GROUP BY 1, 2),
        cells AS (
            SELECT l.cohort, g.k, count(*) AS eligible, count(a.k) AS active,
                   count(*) FILTER (WHERE l.lk >= g.k) AS after, coalesce(sum(a.rev), 0) AS revenue
            FROM l CROSS JOIN LATERAL generate_series(0, (2026 * 12 + 1 - extract(year FROM l.cohort) * 12
                                                          - extract(month FROM l.cohort))::int - 1) g(k)
            LEFT JOIN a ON a.customer_id = l.customer_id AND a.k = g.k
            GROUP BY 1, 2)
    SELECT count(*), sum(eligible), sum(active), sum(after), round(sum(revenue)::numeric, 0) FROM cells$q$),
-- plain SQL 2: the same cells from cohort-level counts: with calendar months every
-- member of a cohort has the same eligible offsets, so eligible = cohort size and
-- active-or-after is a running sum over each cohort's last-active histogram
('r2_sql_cohort', 'plain SQL matrix: cohort-level counts + window running sums',
 $q$WITH m AS (SELECT customer_id, date_trunc('month', ts AT TIME ZONE 'UTC')::date AS mo, sum(amount) AS rev
              FROM orders WHERE ts < '2026-01-01' GROUP BY 1, 2),
        c AS (SELECT customer_id, mo, rev, min(mo) OVER (PARTITION BY customer_id) AS cohort,
                     max(mo) OVER (PARTITION BY customer_id) AS last FROM m),
        a AS (SELECT cohort, (extract(year FROM mo) * 12 + extract(month FROM mo)
                              - extract(year FROM cohort) * 12 - extract(month FROM cohort))::int AS k,
                     count(*) AS active, sum(rev) AS revenue,
                     count(*) FILTER (WHERE mo = last) AS last_here
              FROM c GROUP BY 1, 2),
        s AS (SELECT cohort, count(*) AS size FROM c WHERE mo = cohort GROUP BY 1),
        grid AS (SELECT s.cohort, g.k, s.size
                 FROM s CROSS JOIN LATERAL generate_series(0, (2026 * 12 + 1 - extract(year FROM s.cohort) * 12
                                                               - extract(month FROM s.cohort))::int - 1) g(k)),
        cells AS (
            SELECT grid.cohort, grid.k, grid.size AS eligible, coalesce(a.active, 0) AS active,
                   sum(coalesce(a.last_here, 0)) OVER (PARTITION BY grid.cohort ORDER BY grid.k DESC) AS after,
                   coalesce(a.revenue, 0) AS revenue
            FROM grid LEFT JOIN a ON a.cohort = grid.cohort AND a.k = grid.k)
    SELECT count(*), sum(eligible), sum(active), sum(after), round(sum(revenue)::numeric, 0) FROM cells$q$);

INSERT INTO bench_query SELECT id || '_bigmem', label || ' [work_mem 256MB]', sql, 'work_mem=256MB'
FROM bench_query WHERE id IN ('r_cohort', 'r1_sql_cohort', 'r2_sql_cohort');

\echo '== retention: the competing queries give the same answers =='
SELECT bench_same(ARRAY['r_matrix', 'r_cohort', 'r_cohort_stored', 'r1_sql_cohort', 'r2_sql_cohort']);

INSERT INTO bench_ratio (name, num, den, goal) VALUES
('(r) best plain-SQL monthly cohort matrix / ours from orders (one pass, cohort_matrix), server defaults',
 '{r1_sql_cohort,r2_sql_cohort}', '{r_matrix}', 'at least 3'),
('(r) best mode of each', '{r1_sql_cohort,r2_sql_cohort,r1_sql_cohort_bigmem,r2_sql_cohort_bigmem}',
 '{r_matrix,r_cohort,r_cohort_bigmem}', 'at least 3'),
('(r) best plain-SQL / ours two-step from orders (customer_profile + cohort_retention)',
 '{r1_sql_cohort,r2_sql_cohort}', '{r_cohort}', '(context: profiles built in the query)'),
('(r) best plain-SQL from orders / ours from stored profiles', '{r1_sql_cohort,r2_sql_cohort}', '{r_cohort_stored}',
 '(context: the two-step use)');

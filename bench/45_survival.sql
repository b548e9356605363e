-- make bench, part 45: Kaplan-Meier customer survival (issue 3)
-- Churn = more than 180 days without a purchase at 2025-12-31; durations in days from the
-- first purchase (churned: last purchase + 180 days; censored: as_of). Each query returns
-- the median survival, S(365) and S(730) (6 decimals) and the number of customers.
\echo '== survival: stored profiles (a nightly table; not timed) =='
CREATE TABLE surv_profiles AS SELECT customer_id, customer_profile(ts, amount) p FROM orders GROUP BY 1;
VACUUM ANALYZE surv_profiles;

INSERT INTO bench_query VALUES
('k_km', 'ours: survival_curve(profile_survival(customer_profile(...))), profiles built in the query',
 $q$SELECT median_survival(c), round(survival_at(c, 365)::numeric, 6), round(survival_at(c, 730)::numeric, 6),
           survival_subjects(c)
    FROM (SELECT survival_curve(s.duration, s.churned) c
          FROM (SELECT customer_profile(ts, amount) p FROM orders GROUP BY customer_id) x,
               LATERAL profile_survival(p, date '2025-12-31', '180 days') s) y$q$),
('k2_km_stored', 'ours: survival_curve(profile_survival(p)) over stored profiles',
 $q$SELECT median_survival(c), round(survival_at(c, 365)::numeric, 6), round(survival_at(c, 730)::numeric, 6),
           survival_subjects(c)
    FROM (SELECT survival_curve(s.duration, s.churned) c
          FROM surv_profiles, LATERAL profile_survival(p, date '2025-12-31', '180 days') s) y$q$),
('k3_km_stored', 'ours: survival_curve(p, as_of, inactivity) aggregate over stored profiles',
 $q$SELECT median_survival(c), round(survival_at(c, 365)::numeric, 6), round(survival_at(c, 730)::numeric, 6),
           survival_subjects(c)
    FROM (SELECT survival_curve(p, date '2025-12-31', '180 days') c FROM surv_profiles) y$q$),
('l_sql_km', 'plain SQL: first/last day per customer, then Kaplan-Meier with window sums',
 $q$WITH c AS (SELECT min((ts AT TIME ZONE 'UTC')::date) AS f, max((ts AT TIME ZONE 'UTC')::date) AS l
              FROM orders WHERE ts < '2026-01-01' GROUP BY customer_id),
        d AS (SELECT CASE WHEN date '2025-12-31' - l > 180 THEN (l - f) + 180 ELSE date '2025-12-31' - f END AS t,
                     date '2025-12-31' - l > 180 AS e FROM c),
        g AS (SELECT t, count(*) FILTER (WHERE e) AS d, count(*) AS n_t FROM d GROUP BY t),
        r AS (SELECT t, d, sum(n_t) OVER (ORDER BY t DESC) AS n, sum(n_t) OVER () AS total FROM g),
        k AS (SELECT t, total, CASE WHEN bool_or(d = n) OVER (ORDER BY t) THEN 0
                               ELSE exp(sum(ln(1 - d::float8 / n)) OVER (ORDER BY t)) END AS s FROM r)
    SELECT min(t) FILTER (WHERE s <= 0.5 + 1e-12)::float8,
           round(coalesce((SELECT s FROM k k2 WHERE k2.t <= 365 ORDER BY t DESC LIMIT 1), 1)::numeric, 6),
           round(coalesce((SELECT s FROM k k2 WHERE k2.t <= 730 ORDER BY t DESC LIMIT 1), 1)::numeric, 6),
           max(total)
    FROM k$q$);
-- variants with sort-based grouping and (where the harness runs with the server's default
-- work_mem) with work_mem 256MB; written for both forms of the harness's 4th column
DO $$
BEGIN
    IF EXISTS (SELECT FROM information_schema.columns
               WHERE table_name = 'bench_query' AND column_name = 'settings') THEN
        EXECUTE $i$INSERT INTO bench_query SELECT id || '_sorted', label || ' [sorted grouping]', sql, 'enable_hashagg=off'
                   FROM bench_query WHERE id IN ('k_km', 'l_sql_km')$i$;
        EXECUTE $i$INSERT INTO bench_query SELECT id || '_bigmem', label || ' [work_mem 256MB]', sql, 'work_mem=256MB'
                   FROM bench_query WHERE id IN ('k_km', 'l_sql_km')$i$;
    ELSE
        EXECUTE $i$INSERT INTO bench_query SELECT id || '_sorted', label || ' [sorted grouping]', sql, 'off'
                   FROM bench_query WHERE id IN ('k_km', 'l_sql_km')$i$;
    END IF;
END $$;

\echo '== survival: the competing queries give the same answers =='
SELECT bench_same(ARRAY['k_km', 'k2_km_stored', 'k3_km_stored', 'l_sql_km']);

INSERT INTO bench_ratio (name, num, den, goal) VALUES
('(l)/(k) plain-SQL Kaplan-Meier / ours (profiles built in the query)', '{l_sql_km}', '{k_km}', '(optional; no goal set)'),
('(l)/(k) best mode of each', '{l_sql_km,l_sql_km_sorted,l_sql_km_bigmem}', '{k_km,k_km_sorted,k_km_bigmem}',
 '(optional; no goal set)'),
('(l)/(k2) plain-SQL from orders / ours from stored profiles', '{l_sql_km,l_sql_km_sorted,l_sql_km_bigmem}',
 '{k2_km_stored,k3_km_stored}', '(context: the two-step use)');

-- Kaplan-Meier, profile_survival and sBG: reference numbers (REFERENCE.md §8 I2, H1-H2,
-- §4 projections), an independent plain-SQL Kaplan-Meier, parameter recovery under
-- censoring, parallel plans, and every bad input with its SQLSTATE.
BEGIN;
SELECT plan(56);
SET LOCAL TimeZone = 'UTC';

-- I2: Freireich 6-MP group
CREATE TEMP TABLE mp6 (weeks float8, relapse boolean);
INSERT INTO mp6 VALUES (6, true), (6, true), (6, true), (6, false), (7, true), (9, false),
    (10, true), (10, false), (11, false), (13, true), (16, true), (17, false), (19, false),
    (20, false), (22, true), (23, true), (25, false), (32, false), (32, false), (34, false),
    (35, false);
CREATE TEMP TABLE mp6_ref (t float8, s float8, se float8);
INSERT INTO mp6_ref VALUES (6, 0.8571, 0.0764), (7, 0.8067, 0.0869), (10, 0.7529, 0.0963),
    (13, 0.6902, 0.1068), (16, 0.6275, 0.1141), (22, 0.5378, 0.1282), (23, 0.4482, 0.1346);
CREATE TEMP TABLE mp6_km AS SELECT * FROM survival_table((SELECT survival_curve(weeks, relapse) FROM mp6));

SELECT is((SELECT count(*)::int FROM mp6_ref r JOIN mp6_km k ON k.time = r.t
           WHERE abs(k.survival - r.s) <= 1e-4 + 1e-12), 7,
          'I2: S(6, 7, 10, 13, 16, 22, 23) = 0.8571 ... 0.4482 (textbook, 1e-4)');
SELECT is((SELECT count(*)::int FROM mp6_ref r JOIN mp6_km k ON k.time = r.t
           WHERE abs(k.std_err - r.se) <= 1e-4 + 1e-12), 7,
          'I2: Greenwood SE = 0.0764 ... 0.1346 (textbook, 1e-4)');
SELECT is((SELECT at_risk FROM mp6_km WHERE time = 6), 21::bigint, 'I2: all 21 at risk at 6 (the one censored at 6 included)');
SELECT is((SELECT at_risk FROM mp6_km WHERE time = 10), 15::bigint, 'I2: 15 at risk at 10');
SELECT is((SELECT median_survival(survival_curve(weeks, relapse)) FROM mp6), 23::float8, 'I2: median survival 23 weeks');
SELECT ok((SELECT bool_and(lower <= survival AND survival <= upper AND lower >= 0 AND upper <= 1) FROM mp6_km),
          'log-log confidence interval contains S and stays in [0, 1]');
SELECT ok((SELECT abs(lower - 0.4316) < 1e-4 AND abs(upper - 0.8491) < 1e-4 FROM mp6_km WHERE time = 13),
          'log-log 95% interval at 13 = S^exp(+-1.96 se/|ln S|) = (0.4316, 0.8491)');

-- an independent Kaplan-Meier in plain SQL over a larger data set with heavy ties
CREATE TEMP TABLE km_data AS
SELECT ((i * 7919) % 97)::float8 AS t, (i * 31) % 7 < 4 AS e FROM generate_series(1, 5000) i;
CREATE TEMP TABLE km_sql AS
WITH d AS (SELECT t, count(*) FILTER (WHERE e) AS d, count(*) AS n_at_t FROM km_data GROUP BY t),
     r AS (SELECT t, d, sum(n_at_t) OVER (ORDER BY t DESC) AS n FROM d)
SELECT t, n, d,
       exp(sum(ln(1 - d::float8 / n)) OVER (ORDER BY t)) AS s,
       sum(d::float8 / (n * (n - d))) OVER (ORDER BY t) AS gw
FROM r;
SELECT is((SELECT count(*)::int FROM km_sql q JOIN survival_table((SELECT survival_curve(t, e) FROM km_data)) k
           ON k.time = q.t WHERE k.at_risk = q.n AND k.events = q.d AND abs(k.survival - q.s) < 1e-12
             AND abs(k.std_err - q.s * sqrt(q.gw)) < 1e-12), 97,
          'every row equals a plain-SQL Kaplan-Meier with Greenwood errors (97 distinct times)');
SELECT ok((SELECT abs(survival_at(survival_curve(t, e), 50.5) - (SELECT s FROM km_sql WHERE t = 50)) < 1e-12 FROM km_data),
          'survival_at between two times is the step value');

-- profile_survival on generated customers: one subject per customer with a purchase
CREATE TEMP TABLE demo_p AS
SELECT customer_id, customer_profile(ordered_at, amount) p FROM demo_orders(3000) GROUP BY 1;
CREATE TEMP TABLE demo_s AS
SELECT customer_id, s.* FROM demo_p, LATERAL profile_survival(p, date '2025-06-30', '120 days') s;
SELECT is((SELECT survival_subjects(survival_curve(duration, churned)) FROM demo_s),
          (SELECT count(*) FROM demo_p WHERE first_purchase(p) <= date '2025-06-30'),
          'profile_survival: one subject per customer acquired by as_of');
SELECT is((SELECT count(*)::int FROM demo_s d JOIN demo_p USING (customer_id)
           WHERE d.churned <> (lifecycle_stage(p, date '2025-06-30', '30 days', '60 days', '120 days') = 'lapsed')), 0,
          'churned = lapsed with lapse_window = inactivity');
SELECT is((SELECT count(*)::int FROM demo_s d JOIN demo_p USING (customer_id)
           WHERE d.churned AND d.duration <> (last_purchase(p, date '2025-06-30') - first_purchase(p)) + 120), 0,
          'churned customers: duration = last - first purchase + inactivity');
SELECT is((SELECT count(*)::int FROM demo_s d JOIN demo_p USING (customer_id)
           WHERE NOT d.churned AND d.duration <> tenure(p, date '2025-06-30')), 0,
          'censored customers: duration = tenure at as_of');
SELECT is((SELECT survival_curve(p, date '2025-06-30', '120 days')::text FROM demo_p),
          (SELECT survival_curve(duration, churned)::text FROM demo_s),
          'survival_curve(p, as_of, inactivity) = survival_curve over profile_survival rows');
SELECT ok((SELECT bool_and(survival <= coalesce(prev, 1)) FROM (
              SELECT survival, lag(survival) OVER (ORDER BY time) prev
              FROM survival_table((SELECT survival_curve(duration, churned) FROM demo_s))) x),
          'the customer survival curve never rises');

-- H1, H2: sBG fits (params ±0.001, LL ±0.01)
CREATE TEMP TABLE fits AS
SELECT name, m, (m).* FROM (VALUES ('regular', sbg_fit(ARRAY[1000, 631, 468, 382, 326, 289, 262, 241])),
                                   ('high_end', sbg_fit(ARRAY[1000, 869, 743, 653, 593, 551, 517, 491]))) v(name, m);
SELECT ok((SELECT abs(alpha - 0.7041) <= 0.001 FROM fits WHERE name = 'regular'), 'H1: Regular alpha = 0.7041');
SELECT ok((SELECT abs(beta - 1.1820) <= 0.001 FROM fits WHERE name = 'regular'), 'H1: Regular beta = 1.1820');
SELECT ok((SELECT abs(log_likelihood - (-1680.27)) <= 0.01 FROM fits WHERE name = 'regular'), 'H1: Regular LL = -1680.27');
SELECT ok((SELECT converged AND customers = 1000 FROM fits WHERE name = 'regular'), 'H1: converged, 1000 customers');
SELECT ok((SELECT abs(alpha - 0.6681) <= 0.001 FROM fits WHERE name = 'high_end'), 'H2: High End alpha = 0.6681');
SELECT ok((SELECT abs(beta - 3.8061) <= 0.001 FROM fits WHERE name = 'high_end'), 'H2: High End beta = 3.8061');
SELECT ok((SELECT abs(log_likelihood - (-1611.16)) <= 0.01 FROM fits WHERE name = 'high_end'), 'H2: High End LL = -1611.16');
SELECT ok((SELECT converged FROM fits WHERE name = 'high_end'), 'H2: converged');
-- §4 projections of years 8-12 from the 7-year fits (percent, 1 decimal)
SELECT is((SELECT array_agg(round(100 * sbg_survival(f.m, t)::numeric, 1) ORDER BY t)
           FROM fits f, generate_series(8, 12) t WHERE name = 'regular'),
          '{22.0,20.4,19.1,18.0,17.0}'::numeric[], 'Regular projections years 8-12: 22.0 20.4 19.1 18.0 17.0 %');
SELECT is((SELECT array_agg(round(100 * sbg_survival(f.m, t)::numeric, 1) ORDER BY t)
           FROM fits f, generate_series(8, 12) t WHERE name = 'high_end'),
          '{46.0,43.6,41.4,39.5,37.8}'::numeric[], 'High End projections years 8-12: 46.0 43.6 41.4 39.5 37.8 %');
SELECT ok((SELECT abs(sbg_retention_rate(f.m, 1) - alpha_beta) < 1e-15
           FROM (SELECT *, beta / (alpha + beta) AS alpha_beta FROM fits WHERE name = 'regular') f),
          'r(1) = beta / (alpha + beta)');
SELECT ok((SELECT bool_and(abs(sbg_retention_rate(f.m, t) - sbg_survival(f.m, t) / sbg_survival(f.m, t - 1)) < 1e-12)
           FROM fits f, generate_series(1, 30) t), 'r(t) = S(t) / S(t-1) for t = 1..30');
-- DEL / DERL against brute-force sums
SELECT ok((SELECT abs(sbg_del(f.m, 0.1) - (SELECT sum(sbg_survival(f.m, t) / 1.1 ^ t) FROM generate_series(0, 5000) t)) < 1e-9
           FROM fits f WHERE name = 'high_end'), 'DEL = sum of S(t) / 1.1^t');
SELECT ok((SELECT bool_and(abs(sbg_derl(f.m, 0.1, n) -
                               (SELECT sum(sbg_survival(f.m, n + 1 + k) / sbg_survival(f.m, n) / 1.1 ^ k)
                                FROM generate_series(0, 5000) k)) < 1e-9)
           FROM fits f, generate_series(0, 6) n), 'DERL(n renewals) = sum of S(n+1+k) / S(n) / 1.1^k, n = 0..6');
SELECT ok((SELECT bool_and(abs(sbg_del(f.m, 0.1) - (1 + sbg_derl(f.m, 0.1, 0) / 1.1)) < 1e-12) FROM fits f),
          'DEL = 1 + DERL(0) / (1 + d)');
SELECT ok((SELECT abs(sbg_del(ROW(2, 3, NULL, NULL, NULL)::sbg_model, 0.01) -
                  (SELECT sum(sbg_survival(ROW(2, 3, NULL, NULL, NULL)::sbg_model, t) / 1.01 ^ t)
                   FROM generate_series(0, 20000) t)) < 1e-8),
          'DEL with a 1% discount rate = brute-force sum of 20,000 terms');
SELECT ok((SELECT abs(sbg_del(ROW(2, 3, NULL, NULL, NULL)::sbg_model, 1e-6) - 4.0) < 1e-3),
          'DEL at d -> 0 tends to E[T] = (alpha + beta - 1) / (alpha - 1) = 4');

-- the README's "one-point cut in churn" query
CREATE TEMP TABLE cut AS
WITH fit AS (SELECT sbg_fit(ARRAY[1000, 631, 468, 382, 326, 289, 262, 241]) AS m),
     models AS (
        SELECT m AS now,
               ROW((m).alpha, (m).alpha * (1 - c) / c, NULL, NULL, NULL)::sbg_model AS cut
        FROM fit, LATERAL (SELECT (m).alpha / ((m).alpha + (m).beta) - 0.01 AS c) x)
SELECT 1 - sbg_retention_rate(now, 1) AS churn_now, 1 - sbg_retention_rate(cut, 1) AS churn_cut,
       sbg_del(now, 0.10) AS del_now, sbg_del(cut, 0.10) AS del_cut,
       241 * sbg_derl(now, 0.10, 6) AS base_now, 241 * sbg_derl(cut, 0.10, 6) AS base_cut
FROM models;
SELECT ok((SELECT abs(churn_now - churn_cut - 0.01) < 1e-12 AND abs(churn_now - 0.3733) < 1e-4 FROM cut),
          'one-point cut: first-period churn 0.3733 -> 0.3633');
SELECT ok((SELECT round(del_now::numeric, 3) = 3.695 AND round(del_cut::numeric, 3) = 3.762 AND base_cut > base_now FROM cut),
          'one-point cut: DEL 3.695 -> 3.762 payments, base value rises');

-- the aggregate form: same fit as the array; censoring handled
CREATE TEMP TABLE reg_customers AS
SELECT p AS periods_survived, p < 7 AS churned
FROM (SELECT unnest(ARRAY[0, 1, 2, 3, 4, 5, 6, 7]) p, unnest(ARRAY[369, 163, 86, 56, 37, 27, 21, 241]) k) c,
     LATERAL generate_series(1, k);
SELECT ok((SELECT abs(f.alpha - a.alpha) < 1e-6 AND abs(f.beta - a.beta) < 1e-6 AND abs(f.log_likelihood - a.log_likelihood) < 1e-6
           FROM fits f, (SELECT (sbg_fit(periods_survived, churned)).* FROM reg_customers) a WHERE f.name = 'regular'),
          'aggregate over customers = sbg_fit(survivor array)');
SELECT ok((SELECT abs(a.log_likelihood - 2 * f.log_likelihood) < 1e-6 AND abs(a.alpha - f.alpha) < 1e-6
           FROM fits f, (SELECT (sbg_fit(periods_survived, churned)).* FROM reg_customers, generate_series(1, 2)) a
           WHERE f.name = 'regular'), 'doubling the data doubles the LL and keeps the fit');
-- recovery under censoring: three cohorts of 40,000 from alpha = 1.5, beta = 4 observed
-- for 2, 4 and 8 periods; churn counts are the model's expected counts
CREATE TEMP TABLE sim AS
WITH m AS (SELECT ROW(1.5, 4, NULL, NULL, NULL)::sbg_model AS m),
     cells AS (
        SELECT h AS horizon, t - 1 AS periods, true AS churned,
               round(40000 * (sbg_survival(m, t - 1) - sbg_survival(m, t)))::int AS n
        FROM m, unnest(ARRAY[2, 4, 8]) h, LATERAL generate_series(1, h) t
        UNION ALL
        SELECT h, h, false, round(40000 * sbg_survival(m, h))::int FROM m, unnest(ARRAY[2, 4, 8]) h)
SELECT periods, churned FROM cells, LATERAL generate_series(1, n);
SELECT ok((SELECT abs(alpha - 1.5) / 1.5 < 0.01 AND abs(beta - 4) / 4 < 0.01 AND converged
           FROM (SELECT (sbg_fit(periods, churned)).* FROM sim) f),
          'censored cohorts (2, 4, 8 periods): alpha, beta recovered within 1%');
SELECT ok((SELECT customers = 120000 FROM (SELECT (sbg_fit(periods, churned)).* FROM sim) f),
          'customers counts churned and censored rows');

-- recovery over a wide range of parameters (1M customers, 12 periods, expected survivors)
SELECT is((SELECT count(*)::int FROM (
              SELECT a, b, sbg_fit(ARRAY(SELECT round(1e6 * sbg_survival(ROW(a, b, NULL, NULL, NULL)::sbg_model, k))::bigint
                                         FROM generate_series(0, 12) k ORDER BY k)) f
              FROM (VALUES (0.2, 10.0), (20.0, 50.0), (3.8, 15.19), (0.05, 0.05), (100.0, 3.0), (1.0, 1000.0)) t(a, b)) x
           WHERE (f).converged AND abs((f).alpha / a - 1) < 0.02 AND abs((f).beta / b - 1) < 0.02), 6,
          'parameters from 0.05 to 1000 recovered within 2% and converged');
SELECT is((SELECT converged FROM sbg_fit(ARRAY[1000, 500, 250, 125])), false,
          'a constant churn rate (no heterogeneity: the maximum is at infinity) is reported as not converged');

-- parallel plans on a real table
CREATE TABLE public.lc_tap_durations AS
SELECT ((i * 7919) % 730) / 7.0 AS t, (i * 31) % 5 <> 0 AS e, (i * 13) % 9 AS periods
FROM generate_series(1, 200000) i;
ANALYZE public.lc_tap_durations;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS SELECT survival_curve(t, e)::text c, sbg_fit(periods, e)::text m FROM public.lc_tap_durations;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of('SELECT survival_curve(t, e) FROM public.lc_tap_durations'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'survival_curve runs as Finalize/Gather/Partial');
SELECT is((SELECT survival_curve(t, e)::text FROM public.lc_tap_durations), (SELECT c FROM serial),
          'parallel survival_curve equals serial');
SELECT matches(pg_temp.plan_of('SELECT sbg_fit(periods, e) FROM public.lc_tap_durations'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'sbg_fit runs as Finalize/Gather/Partial');
SELECT is((SELECT sbg_fit(periods, e)::text FROM public.lc_tap_durations), (SELECT m FROM serial),
          'parallel sbg_fit equals serial');
RESET max_parallel_workers_per_gather;

-- bad input: SQLSTATE and message
SELECT throws_ok($$SELECT survival_curve(-1, true)$$, '22023', 'survival duration must not be negative, got -1',
                 'negative duration: 22023');
SELECT throws_ok($$SELECT survival_curve('NaN', true)$$, '22023', 'survival duration must not be NaN', 'NaN duration: 22023');
SELECT throws_ok($$SELECT survival_curve('Infinity', false)$$, '22023', 'survival duration must be finite',
                 'infinite duration: 22023');
SELECT throws_ok($$SELECT '{"v":1,"points":[[1,0,0]]}'::survival_curve$$, '22023', NULL, 'empty cell in text: 22023');
SELECT throws_ok($$SELECT '{"v":1,"points":[[1,0,0]'::survival_curve$$, '22P02', NULL, 'truncated text: 22P02');
SELECT throws_ok($$SELECT sbg_fit(ARRAY[1000, 600, 700])$$, '22023', NULL, 'increasing survivors: 22023');
SELECT throws_ok($$SELECT sbg_fit(ARRAY[0, 0])$$, '22023', 'the cohort must start with at least one customer',
                 'cohort starting at zero: 22023');
SELECT throws_ok($$SELECT sbg_fit(ARRAY[1000]::bigint[])$$, '22023', NULL, 'no period observed: 22023');
SELECT throws_ok($$SELECT sbg_fit(ARRAY[1000, NULL])$$, '22004', NULL, 'NULL survivor count: 22004');
SELECT throws_ok($$SELECT sbg_del(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, 10)$$, '22023', NULL,
                 'absurd discount rate (10 = 1000%): 22023');
SELECT throws_ok($$SELECT sbg_del(sbg_fit(ARRAY[1000, 1000, 1000]), 0.1)$$, '22023',
                 'sbg_model comes from a fit that did not converge', 'a non-converged model is refused: 22023');
SELECT throws_ok($$SELECT profile_survival(customer_profile(d), date '2024-12-31', '1 month') FROM (VALUES (date '2024-01-01')) v(d)$$,
                 '22023', NULL, 'inactivity in months: 22023');

SELECT * FROM finish();
ROLLBACK;

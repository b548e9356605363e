-- cohort_retention: exact curves on a small store, every period kind, anchors,
-- censoring, rollup, text/binary round trips, bad input, parallel plans.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE ret_orders (c int, ts date, amt float8);
INSERT INTO ret_orders VALUES
    (1, '2024-01-05', 10), (1, '2024-02-03', 5), (1, '2024-04-01', 7),
    (2, '2024-01-20', 20), (2, '2024-03-02', 3),
    (3, '2024-02-10', 8), (3, '2024-02-11', 8), (3, '2024-03-15', 1),
    (4, '2024-03-30', 2),
    (5, '2024-05-01', 9);            -- after as_of: in no cohort yet
CREATE TABLE ret_profiles AS SELECT c, customer_profile(ts, amt) p FROM ret_orders GROUP BY c;
CREATE TABLE ret_signup (c int, signup date);
INSERT INTO ret_signup VALUES (1, '2023-12-20'), (2, '2024-01-20'), (3, '2024-01-31'),
    (4, '2024-03-01'), (5, '2024-02-01'), (6, '2024-02-15');

-- monthly, from the first purchase, as of mid-April: January customers are
-- eligible for months 0-2, February for 0-1, March for 0 only
SELECT cohort_retention(p, 'month', date '2024-04-15') FROM ret_profiles;
SELECT * FROM retention_table((SELECT cohort_retention(p, 'month', date '2024-04-15') FROM ret_profiles));
SELECT x.cohort, cohort_size(x.curve), t.*
FROM (SELECT date_trunc('month', first_purchase(p))::date AS cohort,
             cohort_retention(p, 'month', date '2024-04-15') AS curve
      FROM ret_profiles GROUP BY 1) x, retention_table(x.curve) t
ORDER BY 1, 3;
-- as_of on the last day of March completes March; the day before does not
SELECT retention_rates(cohort_retention(p, 'month', date '2024-03-31')) AS on_mar31,
       retention_rates(cohort_retention(p, 'month', date '2024-03-30')) AS on_mar30
FROM ret_profiles;
-- every rate mode
SELECT retention_rates(r, 'on') AS "on", retention_rates(r, 'on_or_after') AS on_or_after,
       retention_rates(r, 'revenue') AS revenue
FROM (SELECT cohort_retention(p, 'month', date '2024-04-15') r FROM ret_profiles) x;
-- other periods: weeks start on Monday; quarters; years; days; rolling windows
SELECT period, retention_rates(cohort_retention(p, period, date '2024-04-15'), 'on') AS "on",
       retention_rates(cohort_retention(p, period, date '2024-04-15'), 'on_or_after') AS on_or_after
FROM ret_profiles, unnest(ARRAY['quarter', 'year', '30 days', '4 weeks', '45 days']) period
GROUP BY period ORDER BY period;
SELECT t.period, t.eligible, t.active
FROM retention_table((SELECT cohort_retention(p, 'week', date '2024-04-15') FROM ret_profiles WHERE c = 1)) t
WHERE t.active > 0;
SELECT count(*) AS day_offsets, sum(active) AS active_days
FROM retention_table((SELECT cohort_retention(p, 'day', date '2024-04-15') FROM ret_profiles));
-- anchored at signup: customer 6 never bought (in the cohort, never active),
-- customer 1's December signup puts January at offset 1
SELECT t.* FROM retention_table((
    SELECT cohort_retention(p, 'month', date '2024-04-15', s.signup)
    FROM ret_signup s LEFT JOIN ret_profiles USING (c))) t;
-- purchases before the anchor day do not count, even in the anchor's own month;
-- a NULL anchor falls back to the first purchase
SELECT cohort_retention(p, 'month', date '2024-04-15', date '2024-02-15') FROM ret_profiles WHERE c = 1;
SELECT cohort_retention(p, 'month', date '2024-04-15', NULL::date)::text
     = cohort_retention(p, 'month', date '2024-04-15')::text AS null_anchor_is_first_purchase
FROM ret_profiles;
-- as_of before every cohort: customers are not in any cohort yet (size 0, no periods)
SELECT cohort_retention(p, 'month', date '2023-06-30') FROM ret_profiles;
-- empty group: NULL; NULL profiles join no cohort
SELECT cohort_retention(p, 'month', date '2024-04-15') IS NULL AS empty_is_null FROM ret_profiles WHERE false;
SELECT cohort_retention(NULL::customer_profile, 'month', date '2024-04-15') FROM ret_profiles;
-- timestamptz as_of reads the UTC day
SELECT cohort_retention(p, 'month', timestamptz '2024-04-15 23:30+00')::text
     = cohort_retention(p, 'month', date '2024-04-15')::text AS timestamptz_as_of
FROM ret_profiles;

-- rollup: the sum of the per-cohort curves is the curve of everyone
SELECT rollup(curve)::text = (SELECT cohort_retention(p, 'month', date '2024-04-15') FROM ret_profiles)::text
       AS rollup_equals_whole
FROM (SELECT date_trunc('month', first_purchase(p)), cohort_retention(p, 'month', date '2024-04-15') curve
      FROM ret_profiles GROUP BY 1) x;
SELECT rollup(curve) IS NULL AS rollup_of_nothing FROM (SELECT NULL::retention_curve curve WHERE false) x;

-- the BI matrix in one call, identifiers quoted
CREATE TABLE "Order Lines" ("Customer" int, "Placed At" timestamptz, "Net" numeric);
INSERT INTO "Order Lines" SELECT c, ts, amt FROM ret_orders;
SELECT * FROM cohort_retention_matrix('"Order Lines"', 'Customer', 'Placed At', 'Net', 'month', '2024-04-15');
SELECT cohort_start, period, eligible, active
FROM cohort_retention_matrix('"Order Lines"', 'Customer', 'Placed At', NULL, '30 days', '2024-04-15', 'quarter');

-- text and binary round trips
CREATE TABLE ret_curves AS
SELECT period, cohort_retention(p, period, date '2024-04-15') r
FROM ret_profiles, unnest(ARRAY['day', 'week', 'month', 'quarter', 'year', '45 days']) period GROUP BY period;
SELECT count(*) FILTER (WHERE r::text::retention_curve::text = r::text) AS text_round_trips FROM ret_curves;
COPY ret_curves TO '/tmp/lifecycle_ret_curves.bin' WITH (FORMAT binary);
CREATE TABLE ret_curves2 (LIKE ret_curves);
COPY ret_curves2 FROM '/tmp/lifecycle_ret_curves.bin' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM ret_curves a JOIN ret_curves2 b USING (period) WHERE a.r::text = b.r::text;
SELECT '{"v":1,"period":"30 days","customers":3,"cells":[[1,1,3,2.5,2.5],[2,1,1,3,0.25]]}'::retention_curve;
SELECT '{"v":1,"period":"month","customers":0,"cells":[]}'::retention_curve;

-- bad input
SELECT cohort_retention(p, 'fortnight', date '2024-04-15') FROM ret_profiles;
SELECT cohort_retention(p, '0 days', date '2024-04-15') FROM ret_profiles;
SELECT cohort_retention(p, NULL, date '2024-04-15') FROM ret_profiles;
SELECT cohort_retention(p, 'month', NULL::date) FROM ret_profiles;
SELECT cohort_retention(p, CASE WHEN c = 3 THEN 'week' ELSE 'month' END, date '2024-04-15') FROM ret_profiles;
SELECT cohort_retention(p, 'month', date 'infinity') FROM ret_profiles;
SELECT rollup(r) FROM ret_curves;
SELECT retention_rates(r, 'cumulative') FROM ret_curves WHERE period = 'month';
SELECT * FROM cohort_retention_matrix('ret_orders', 'c', 'ts', NULL, 'month', '2024-04-15', 'decade');
SELECT * FROM cohort_retention_matrix('ret_orders', 'no such column', 'ts');
SELECT '{"v":2,"period":"month","customers":0,"cells":[]}'::retention_curve;
SELECT '{"v":1,"period":"monthly","customers":0,"cells":[]}'::retention_curve;
SELECT '{"v":1,"period":"7 Days","customers":0,"cells":[]}'::retention_curve;
SELECT '{"v":1,"period":"month","customers":1,"cells":[[1,1,2,0,0]]}'::retention_curve;
SELECT '{"v":1,"period":"month","customers":1,"cells":[[2,1,1,0,0]]}'::retention_curve;
SELECT '{"v":1,"period":"month","customers":1,"cells":[[1,-1,1,0,0]]}'::retention_curve;
SELECT '{"v":1,"period":"month","customers":1,"cells":[[1,1,1,0,NaN]]}'::retention_curve;
SELECT '{"v":1,"period":"month","customers":1,"cells":[[1,1,1,0,0]]} x'::retention_curve;
SELECT '{"v":1,"period":"month","customers":1,"cells":[[1,1,1,0]]}'::retention_curve;
-- corrupt binary input: 22P03 (bytes written as a bytea field, read back as a curve)
CREATE TABLE ret_dst (r retention_curve);
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_ret_bad.bin');
    TRUNCATE ret_dst;
    EXECUTE format('COPY ret_dst (r) FROM %L (FORMAT binary)', '/tmp/lifecycle_ret_bad.bin');
    RETURN (SELECT r::text FROM ret_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test('\x0103000000000000000000000001000000010000000000000001000000000000000100000000000000013ff00000000000003ff0000000000000');  -- valid
SELECT pg_temp.recv_test('\x0203000000000000000000000001000000010000000000000001000000000000000100000000000000013ff00000000000003ff0000000000000');  -- unknown version
SELECT pg_temp.recv_test('\x0109000000000000000000000001000000010000000000000001000000000000000100000000000000013ff00000000000003ff0000000000000');  -- unknown unit
SELECT pg_temp.recv_test('\x0100000000000000000000000001000000010000000000000001000000000000000100000000000000013ff00000000000003ff0000000000000');  -- rolling without a block length
SELECT pg_temp.recv_test('\x0103000000000000000000000001000000010000000000000001000000000000000100000000000000013ff00000000000003ff00000000000');  -- truncated
SELECT pg_temp.recv_test('\x0103000000000000000000000001000000010000000000000001000000000000000100000000000000013ff00000000000003ff000000000000000');  -- trailing byte
SELECT pg_temp.recv_test('\x0103000000000000000000000001000000020000000000000001000000000000000100000000000000013ff00000000000003ff0000000000000');  -- count too high
SELECT pg_temp.recv_test('\x0103000000000000000000000001000000010000000000000001000000000000000100000000000000027ff00000000000003ff0000000000000');  -- active > eligible, NaN
SELECT pg_temp.recv_test('\x010300000000ffffffffffffffff00000000');  -- negative customers

-- parallel and partitionwise: equal to serial
CREATE TABLE ret_par AS
SELECT c, customer_profile(timestamptz '2023-01-01' + ((c * 37 + i * 53) % 600) * interval '1 day',
                           ((c + i) % 40) / 4.0) p
FROM generate_series(1, 3000) c, generate_series(1, 1 + c % 7) i GROUP BY c;
ANALYZE ret_par;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE ret_serial AS SELECT cohort_retention(p, 'month', date '2024-12-31') r FROM ret_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT cohort_retention(p, 'month', date '2024-12-31') FROM ret_par;
SELECT (SELECT cohort_retention(p, 'month', date '2024-12-31') FROM ret_par)::text = r::text
       AS parallel_equals_serial FROM ret_serial;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
CREATE TABLE ret_part (c int, p customer_profile) PARTITION BY RANGE (c);
CREATE TABLE ret_part_a PARTITION OF ret_part FOR VALUES FROM (1) TO (1500);
CREATE TABLE ret_part_b PARTITION OF ret_part FOR VALUES FROM (1500) TO (4000);
INSERT INTO ret_part SELECT * FROM ret_par;
ANALYZE ret_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT cohort_retention(p, 'month', date '2024-12-31') FROM ret_part;
SELECT (SELECT cohort_retention(p, 'month', date '2024-12-31') FROM ret_part)::text = r::text
       AS partitionwise_equals_serial FROM ret_serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

-- cohort keys: period_start for dates, cohort_start for profiles (weeks from Monday)
SELECT u AS period, period_start(date '2024-05-05', u) AS sunday, period_start(date '2024-05-06', u) AS monday,
       period_start(date '2024-02-29', u) AS leap_day, period_start(date '2000-01-01', u) AS y2k
FROM unnest('{day,week,month,quarter,year}'::text[]) u;
SELECT period_start('infinity', 'month') AS inf, period_start('-infinity', 'year') AS neg_inf,
       period_start(NULL, 'month') AS null_date, period_start('2024-05-05', NULL) AS null_period,
       period_start('2024-05-05', ' Month ') AS spaced_mixed_case;
SELECT c, first_purchase(p), cohort_start(p) AS month, cohort_start(p, 'week') AS week,
       cohort_start(p, 'quarter') AS quarter
FROM ret_profiles ORDER BY c;
SELECT cohort_start(p, 'month') AS cohort, cohort_size(cohort_retention(p, 'month', date '2024-04-15'))
FROM ret_profiles GROUP BY 1 ORDER BY 1;
SELECT period_start('2024-05-05', '7 days');
SELECT cohort_start(p, 'fortnight') FROM ret_profiles;
SELECT period_start(date '4714-11-24 BC', 'month');

DROP TABLE ret_orders, ret_profiles, ret_signup, "Order Lines", ret_curves, ret_curves2,
    ret_dst, ret_par, ret_serial, ret_part;

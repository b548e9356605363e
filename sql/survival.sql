-- survival_curve (Kaplan-Meier), profile_survival and the sBG model:
-- reference values, text and binary forms, bad input, parallel and partitionwise plans.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- Freireich 6-MP group (REFERENCE.md §8 I2): 21 patients, + = censored
CREATE TABLE mp6 (weeks float8, relapse boolean);
INSERT INTO mp6 VALUES (6, true), (6, true), (6, true), (6, false), (7, true), (9, false),
    (10, true), (10, false), (11, false), (13, true), (16, true), (17, false), (19, false),
    (20, false), (22, true), (23, true), (25, false), (32, false), (32, false), (34, false),
    (35, false);
SELECT survival_curve(weeks, relapse) FROM mp6;
-- textbook: S = 0.8571 0.8067 0.7529 0.6902 0.6275 0.5378 0.4482,
--          SE = 0.0764 0.0869 0.0963 0.1068 0.1141 0.1282 0.1346
SELECT "time", at_risk, events, censored, round(survival::numeric, 4) AS survival,
       round(std_err::numeric, 4) AS std_err, round(lower::numeric, 4) AS lower,
       round(upper::numeric, 4) AS upper
FROM survival_table((SELECT survival_curve(weeks, relapse) FROM mp6));
-- a 90% interval is narrower
SELECT round(lower::numeric, 4) AS lower90, round(upper::numeric, 4) AS upper90
FROM survival_table((SELECT survival_curve(weeks, relapse) FROM mp6), 0.90) WHERE "time" = 13;
SELECT median_survival(c), survival_subjects(c),
       survival_at(c, -1) AS before_start, survival_at(c, 5.99) AS just_before_first,
       round(survival_at(c, 6)::numeric, 4) AS at_6, round(survival_at(c, 12.5)::numeric, 4) AS at_12_5,
       round(survival_at(c, 1000)::numeric, 4) AS after_last
FROM (SELECT survival_curve(weeks, relapse) c FROM mp6) s;
-- ties: events come before censorings at the same time (the censored one is at risk)
SELECT * FROM survival_table((SELECT survival_curve(t, e) FROM (VALUES (1, true), (1, false), (2, true)) v(t, e)));
-- everyone has the event: S falls to 0, std_err 0 from then on; median = first time S <= 0.5
SELECT * FROM survival_table((SELECT survival_curve(t, true) FROM generate_series(1, 4) t));
SELECT median_survival(survival_curve(t, true)) FROM generate_series(1, 4) t;
-- never below 0.5: no median (NULL)
SELECT median_survival(survival_curve(t, t = 1)) IS NULL AS no_median FROM generate_series(1, 4) t;
-- NULL rows are skipped; no rows: NULL
SELECT survival_curve(t, e) FROM (VALUES (1.5, true), (NULL, true), (2.5, NULL)) v(t, e);
SELECT survival_curve(t, e) IS NULL AS empty_is_null FROM mp6 v(t, e) WHERE false;
-- rollup merges curves
SELECT rollup(c) FROM (SELECT survival_curve(weeks, relapse) c FROM mp6 GROUP BY weeks < 15) s;
SELECT rollup(c)::text = (SELECT survival_curve(weeks, relapse)::text FROM mp6) AS rollup_equals_whole
FROM (SELECT survival_curve(weeks, relapse) c FROM mp6 GROUP BY weeks::int % 3) s;
SELECT survival_curve_merge('{"v":1,"points":[[1,1,0]]}', '{"v":1,"points":[[0.5,0,2],[1,2,1]]}');

-- bad input
SELECT survival_curve(t, true) FROM (VALUES (-1::float8)) v(t);
SELECT survival_curve(t, true) FROM (VALUES ('NaN'::float8)) v(t);
SELECT survival_curve(t, true) FROM (VALUES ('Infinity'::float8)) v(t);
SELECT survival_at('{"v":1,"points":[[1,1,0]]}', 'NaN');
SELECT * FROM survival_table('{"v":1,"points":[[1,1,0]]}', 1.5);
SELECT * FROM survival_table('{"v":1,"points":[[1,1,0]]}', 0);

-- text form: exact round trips
SELECT c::text::survival_curve::text = c::text AS text_round_trip
FROM (SELECT survival_curve(t / 7.0, t % 3 = 0) c FROM generate_series(1, 500) t) s;
SELECT '{"v":1,"points":[[1e-300,0,1],[0.1,1,0],[1.7976931348623157e308,2,2]]}'::survival_curve;
SELECT '{ "v" : 1 , "points" : [ ] }'::survival_curve;
SELECT '{"v":1,"points":[[-0,1,0]]}'::survival_curve;
-- malformed text: 22P02
SELECT ''::survival_curve;
SELECT '{"v":1,"points":[[1,1]]}'::survival_curve;
SELECT '{"v":1,"points":[[1,1,0]]} x'::survival_curve;
SELECT '{"v":1,"points":[[1,1,0],]}'::survival_curve;
SELECT '{"v":1,"points":[[1,1.5,0]]}'::survival_curve;
-- inconsistent values: 22023
SELECT '{"v":2,"points":[]}'::survival_curve;
SELECT '{"v":1,"points":[[2,1,0],[1,1,0]]}'::survival_curve;
SELECT '{"v":1,"points":[[1,1,0],[1,1,0]]}'::survival_curve;
SELECT '{"v":1,"points":[[-1,1,0]]}'::survival_curve;
SELECT '{"v":1,"points":[[1,0,0]]}'::survival_curve;
SELECT '{"v":1,"points":[[1,-1,2]]}'::survival_curve;
SELECT '{"v":1,"points":[[1e999,1,0]]}'::survival_curve;

-- binary round trip through COPY (FORMAT binary)
CREATE TABLE sv_src AS
SELECT g AS id, survival_curve(t * 0.5, (t * g) % 4 = 0) AS c
FROM generate_series(1, 10) g, generate_series(1, 60) t GROUP BY g;
COPY sv_src TO '/tmp/lifecycle_survival_io.bin' (FORMAT binary);
CREATE TABLE sv_dst (id int, c survival_curve);
COPY sv_dst FROM '/tmp/lifecycle_survival_io.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(s.c::text = d.c::text) AS binary_round_trip,
       bool_and(survival_curve_send(s.c) = survival_curve_send(d.c)) AS same_bytes
FROM sv_src s JOIN sv_dst d USING (id);
SELECT survival_curve_send('{"v":1,"points":[[1.5,2,1]]}');
-- corrupt binary input: 22P03
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1, %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_survival_bad.bin');
    TRUNCATE sv_dst;
    EXECUTE format('COPY sv_dst FROM %L (FORMAT binary)', '/tmp/lifecycle_survival_bad.bin');
    RETURN (SELECT c::text FROM sv_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test(decode('010100000000000000013ff80000000000000000000000000000000000020000000000000001', 'hex'));  -- valid
SELECT pg_temp.recv_test(decode('020100000000000000013ff80000000000000000000000000000000000020000000000000001', 'hex'));  -- unknown version
SELECT pg_temp.recv_test(decode('010200000000000000013ff80000000000000000000000000000000000020000000000000001', 'hex'));  -- wrong kind
SELECT pg_temp.recv_test(decode('010100000000000000013ff800000000000000000000000000000000000200000000000000', 'hex'));  -- truncated
SELECT pg_temp.recv_test(decode('010100000000000000013ff8000000000000000000000000000000000002000000000000000100', 'hex'));  -- trailing byte
SELECT pg_temp.recv_test(decode('01010000000000000001bff80000000000000000000000000000000000020000000000000001', 'hex'));  -- negative time
SELECT pg_temp.recv_test(decode('010100000000000000017ff80000000000000000000000000000000000020000000000000001', 'hex'));  -- NaN time
SELECT pg_temp.recv_test(decode('010100000000000000013ff80000000000000000000000000000000000000000000000000000', 'hex'));  -- empty cell
SELECT pg_temp.recv_test(decode('01010000000000000002400000000000000000000000000000000000000100000000000000003ff00000000000000000000000000000000000010000000000000000', 'hex'));  -- descending
SELECT pg_temp.recv_test(decode('0101ffffffffffffffff', 'hex'));  -- negative count
SELECT pg_temp.recv_test(decode('01', 'hex'));  -- too short
SELECT pg_temp.recv_test(decode('', 'hex'));  -- empty

-- profile_survival: churned = silent for longer than the threshold at as_of;
-- duration = last - first + threshold when churned, as_of - first when censored
CREATE TABLE sv_profiles AS
SELECT id, customer_profile(d) AS p FROM (VALUES
    (1, date '2024-01-01'), (1, date '2024-02-01'),            -- silent 334 days at 2024-12-31: churned
    (2, date '2024-01-01'), (2, date '2024-12-01'),            -- silent 30 days: censored
    (3, date '2024-12-31'),                                    -- first purchase on as_of
    (4, date '2024-10-02'),                                    -- exactly 90 days back: not churned
    (5, date '2024-10-01'),                                    -- 91 days back: churned
    (6, date '2025-03-01')                                     -- after as_of: not a customer yet
) v(id, d) GROUP BY id;
SELECT id, s.duration, s.churned
FROM sv_profiles, LATERAL profile_survival(p, date '2024-12-31', '90 days') s ORDER BY id;
SELECT id, (profile_survival(p, timestamptz '2024-12-31 23:00+00', '36 hours')).*
FROM sv_profiles WHERE id IN (1, 2) ORDER BY id;
SELECT survival_curve(s.duration, s.churned)
FROM sv_profiles, LATERAL profile_survival(p, date '2024-12-31', '90 days') s;
-- the aggregate over profiles gives the same curve
SELECT survival_curve(p, date '2024-12-31', '90 days') FROM sv_profiles;
SELECT survival_curve(p, timestamptz '2024-12-31 12:00+00', '90 days')::text =
       (SELECT survival_curve(s.duration, s.churned)
        FROM sv_profiles, LATERAL profile_survival(p, date '2024-12-31', '90 days') s)::text AS same_curve
FROM sv_profiles;
SELECT survival_curve(p, date '2024-12-31', '0 days') FROM sv_profiles;
SELECT profile_survival(p, date '2024-12-31', '3 months') FROM sv_profiles WHERE id = 1;
SELECT profile_survival(p, date '2024-12-31', '0 days') FROM sv_profiles WHERE id = 1;
SELECT profile_survival(p, date '2024-12-31', '-5 days') FROM sv_profiles WHERE id = 1;
SELECT profile_survival(p, date 'infinity', '90 days') FROM sv_profiles WHERE id = 1;

-- sBG (REFERENCE.md §4, §8 H1-H2): Regular alpha 0.7041, beta 1.1820, LL -1680.27;
-- High End alpha 0.6681, beta 3.8061, LL -1611.16
SELECT round(alpha::numeric, 4) AS alpha, round(beta::numeric, 4) AS beta,
       round(log_likelihood::numeric, 2) AS ll, customers, converged
FROM sbg_fit(ARRAY[1000, 631, 468, 382, 326, 289, 262, 241]);
SELECT round(alpha::numeric, 4) AS alpha, round(beta::numeric, 4) AS beta,
       round(log_likelihood::numeric, 2) AS ll, customers, converged
FROM sbg_fit(ARRAY[1000, 869, 743, 653, 593, 551, 517, 491]);
-- projections of years 8-12 from the 7-year fits: Regular 22.0 20.4 19.1 18.0 17.0,
-- High End 46.0 43.6 41.4 39.5 37.8
SELECT t, round(100 * sbg_survival(r, t)::numeric, 1) AS regular,
       round(100 * sbg_survival(h, t)::numeric, 1) AS high_end,
       round(sbg_retention_rate(r, t)::numeric, 4) AS regular_retention
FROM (SELECT sbg_fit(ARRAY[1000, 631, 468, 382, 326, 289, 262, 241]) r,
             sbg_fit(ARRAY[1000, 869, 743, 653, 593, 551, 517, 491]) h) m,
     generate_series(8, 12) t;
-- the aggregate over customers gives the same fit: lost in period t survived t - 1 periods
CREATE TABLE sbg_customers AS
SELECT n AS customer_id, p AS periods_survived, p < 7 AS churned
FROM (SELECT unnest(ARRAY[0, 1, 2, 3, 4, 5, 6, 7]) p,
             unnest(ARRAY[369, 163, 86, 56, 37, 27, 21, 241]) k) c,
     LATERAL generate_series(1, k) n;
SELECT count(*) AS customers, round(alpha::numeric, 4) AS alpha, round(beta::numeric, 4) AS beta,
       round(log_likelihood::numeric, 2) AS ll, bool_and(converged) AS converged
FROM sbg_customers, LATERAL (SELECT (sbg_fit(periods_survived, churned)).* FROM sbg_customers) f
GROUP BY alpha, beta, log_likelihood;
-- DEL = 1 + DERL(0) / (1 + d), and both equal brute-force sums of S(t)
SELECT round(sbg_del(m, 0.1)::numeric, 6) AS del,
       round((1 + sbg_derl(m, 0.1, 0) / 1.1)::numeric, 6) AS from_derl,
       round((SELECT sum(sbg_survival(m, t) / 1.1 ^ t) FROM generate_series(0, 3000) t)::numeric, 6) AS brute_del,
       round(sbg_derl(m, 0.1, 4)::numeric, 6) AS derl_4,
       round((SELECT sum(sbg_survival(m, 5 + k) / sbg_survival(m, 4) / 1.1 ^ k)
              FROM generate_series(0, 3000) k)::numeric, 6) AS brute_derl_4
FROM sbg_fit(ARRAY[1000, 631, 468, 382, 326, 289, 262, 241]) m;
-- a hand-made model
SELECT round(sbg_del(ROW(1, 1, NULL, NULL, NULL)::sbg_model, 0.5)::numeric, 6) AS del_1_1;
-- data that do not identify the model: converged = false, and predictions refuse it
SELECT converged FROM sbg_fit(ARRAY[1000, 1000, 1000]);
SELECT converged FROM sbg_fit(ARRAY[1000, 0]);
SELECT converged FROM sbg_fit(ARRAY[1000, 500]);
SELECT sbg_survival(sbg_fit(ARRAY[1000, 1000, 1000]), 3);
-- empty group: NULL
SELECT sbg_fit(periods_survived, churned) IS NULL AS empty_is_null FROM sbg_customers WHERE false;
-- bad input
SELECT sbg_fit(ARRAY[1000, 600, 700]);
SELECT sbg_fit(ARRAY[0, 0, 0]);
SELECT sbg_fit(ARRAY[1000]);
SELECT sbg_fit(ARRAY[1000, NULL]);
SELECT sbg_fit(ARRAY[1000, -1]);
SELECT sbg_fit(ARRAY[[1000, 600], [500, 400]]);
SELECT sbg_fit(p, c) FROM (VALUES (-1, true)) v(p, c);
SELECT sbg_survival(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, -1);
SELECT sbg_retention_rate(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, 0);
SELECT sbg_survival(ROW(-0.7, 1.2, NULL, NULL, NULL)::sbg_model, 1);
SELECT sbg_survival(ROW(NULL, 1.2, NULL, NULL, NULL)::sbg_model, 1);
SELECT sbg_survival(ROW('NaN', 1.2, NULL, NULL, NULL)::sbg_model, 1);
SELECT sbg_del(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, 0);
SELECT sbg_del(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, -0.1);
SELECT sbg_del(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, 10);
SELECT sbg_del(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, 'NaN');
SELECT sbg_derl(ROW(0.7, 1.2, NULL, NULL, NULL)::sbg_model, 0.1, -1);

-- parallel: Finalize / Gather / Partial, results equal a serial run
CREATE TABLE sv_big AS
SELECT i AS id, ((i * 7919) % 730) / 7.0 AS t, (i * 31) % 5 <> 0 AS e, (i * 13) % 9 AS periods
FROM generate_series(1, 60000) i;
ANALYZE sv_big;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE sv_serial AS
SELECT survival_curve(t, e) c, sbg_fit(periods, e) m FROM sv_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT survival_curve(t, e) FROM sv_big;
EXPLAIN (COSTS OFF) SELECT sbg_fit(periods, e) FROM sv_big;
SELECT (SELECT survival_curve(t, e) FROM sv_big)::text = c::text AS parallel_curve_equals_serial,
       (SELECT sbg_fit(periods, e) FROM sv_big)::text = m::text AS parallel_sbg_equals_serial
FROM sv_serial;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- partitionwise aggregate: each partition gives a non-empty partial state, combined
CREATE TABLE sv_part (id int, t float8, e boolean, periods int) PARTITION BY RANGE (id);
CREATE TABLE sv_part_a PARTITION OF sv_part FOR VALUES FROM (1) TO (30001);
CREATE TABLE sv_part_b PARTITION OF sv_part FOR VALUES FROM (30001) TO (60001);
INSERT INTO sv_part SELECT * FROM sv_big;
ANALYZE sv_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT survival_curve(t, e), sbg_fit(periods, e) FROM sv_part;
SELECT (SELECT rollup(c) FROM (SELECT survival_curve(t, e) c FROM sv_part GROUP BY id % 2) x)::text = c::text
       AS partitionwise_curve_equals_serial,
       (SELECT survival_curve(t, e) FROM sv_part)::text = c::text AS combined_curve_equals_serial,
       (SELECT sbg_fit(periods, e) FROM sv_part)::text = m::text AS sbg_equals_serial
FROM sv_serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP TABLE mp6, sv_src, sv_dst, sv_profiles, sbg_customers, sv_big, sv_serial, sv_part;

-- activity_lifecycle: PostHog's lifecycle (new / returning / resurrecting /
-- dormant per period) over customer profiles.  PostHog's own test cases,
-- hand-made worked examples, every period, created dates, round trips, bad
-- input, parallel and partitionwise plans.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- PostHog test_lifecycle_query_runner.py, test_lifecycle_query_whole_range:
-- p1 active on Jan 11, 12, 13, 15, 17, 19; p2 on 9 and 12; p3 on 12; p4 on 15
-- (each person created at their first event), daily, 2020-01-09 .. 2020-01-19
CREATE TABLE act_ph (person text, ts timestamptz);
INSERT INTO act_ph VALUES
    ('p1', '2020-01-11 12:00+00'), ('p1', '2020-01-12 12:00+00'), ('p1', '2020-01-13 12:00+00'),
    ('p1', '2020-01-15 12:00+00'), ('p1', '2020-01-17 12:00+00'), ('p1', '2020-01-19 12:00+00'),
    ('p2', '2020-01-09 12:00+00'), ('p2', '2020-01-12 12:00+00'),
    ('p3', '2020-01-12 12:00+00'),
    ('p4', '2020-01-15 12:00+00');
CREATE TABLE act_ph_p AS SELECT person, customer_profile(ts) AS p FROM act_ph GROUP BY person;
SELECT t.* FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19') FROM act_ph_p)) t;
-- the same as PostHog's expected series (PostHog reports dormant negated)
SELECT array_agg(t.new ORDER BY t.period_start) = '{1,0,1,1,0,0,1,0,0,0,0}' AS new_ok,
       array_agg(t.returning ORDER BY t.period_start) = '{0,0,0,1,1,0,0,0,0,0,0}' AS returning_ok,
       array_agg(t.resurrecting ORDER BY t.period_start) = '{0,0,0,1,0,0,1,0,1,0,1}' AS resurrecting_ok,
       array_agg(-t.dormant ORDER BY t.period_start) = '{0,-1,0,0,-2,-1,0,-2,0,-1,0}' AS dormant_ok
FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19') FROM act_ph_p)) t;
-- test_lifecycle_trend: the same people over 2020-01-12 .. 2020-01-19; the
-- days before "from" classify the 12th (p1 returning, p2 resurrecting)
SELECT array_agg(t.new ORDER BY t.period_start) = '{1,0,0,1,0,0,0,0}' AS new_ok,
       array_agg(t.returning ORDER BY t.period_start) = '{1,1,0,0,0,0,0,0}' AS returning_ok,
       array_agg(t.resurrecting ORDER BY t.period_start) = '{1,0,0,1,0,1,0,1}' AS resurrecting_ok,
       array_agg(-t.dormant ORDER BY t.period_start) = '{0,-2,-1,0,-2,0,-1,0}' AS dormant_ok
FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'day', timestamptz '2020-01-12 00:00+00', timestamptz '2020-01-19 00:00+00')
     FROM act_ph_p)) t;
-- test_lifecycle_query_group_1: companies with their own created dates
-- (company:1 created Jan 9, company:2 created Jan 12)
CREATE TABLE act_ph_g (grp text, created date, d date);
INSERT INTO act_ph_g SELECT 'company:1', '2020-01-09', d
    FROM unnest('{2020-01-09,2020-01-11,2020-01-12,2020-01-13,2020-01-18,2020-01-19}'::date[]) d;
INSERT INTO act_ph_g SELECT 'company:2', '2020-01-12', d
    FROM unnest('{2020-01-12,2020-01-13,2020-01-15,2020-01-16,2020-01-17}'::date[]) d;
SELECT array_agg(t.new ORDER BY t.period_start) = '{1,0,0,1,0,0,0,0,0,0,0}' AS new_ok,
       array_agg(t.returning ORDER BY t.period_start) = '{0,0,0,1,2,0,0,1,1,0,1}' AS returning_ok,
       array_agg(t.resurrecting ORDER BY t.period_start) = '{0,0,1,0,0,0,1,0,0,1,0}' AS resurrecting_ok,
       array_agg(-t.dormant ORDER BY t.period_start) = '{0,-1,0,0,0,-2,0,0,0,-1,0}' AS dormant_ok
FROM activity_lifecycle_table((
    SELECT activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19', created)
    FROM (SELECT grp, created, customer_profile(d) AS p FROM act_ph_g GROUP BY grp, created) x)) t;
-- test_lifecycle_query_group_with_different_created_at: org:early created
-- Jan 5 (active 11, 13), org:new created Jan 12 (active 12, 14): only
-- org:new is ever new; org:early's first active day is resurrecting
CREATE TABLE act_ph_c (grp text, created date, d date);
INSERT INTO act_ph_c VALUES ('org:early', '2020-01-05', '2020-01-11'), ('org:early', '2020-01-05', '2020-01-13'),
                            ('org:new', '2020-01-12', '2020-01-12'), ('org:new', '2020-01-12', '2020-01-14');
SELECT t.* FROM activity_lifecycle_table((
    SELECT activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19', created)
    FROM (SELECT grp, created, customer_profile(d) AS p FROM act_ph_c GROUP BY grp, created) x)) t;
-- without created dates the first purchase is the creation: both are new
SELECT t.period_start, t.new, t.resurrecting FROM activity_lifecycle_table((
    SELECT activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19')
    FROM (SELECT grp, customer_profile(d) AS p FROM act_ph_c GROUP BY grp) x)) t
WHERE t.new + t.resurrecting > 0;
-- a NULL created date falls back to the first purchase
SELECT activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19', NULL::date)::text
     = activity_lifecycle(p, 'day', date '2020-01-09', date '2020-01-19')::text AS null_created_is_first_purchase
FROM act_ph_p;

-- hand-made monthly example:
--   c1 buys in Jan, Feb, Apr    -> Jan new, Feb returning, Mar dormant, Apr resurrecting
--   c2 buys in Dec 2023, Feb    -> Jan dormant, Feb resurrecting, Mar dormant
--   c3 buys in Mar (twice)      -> Mar new, Apr dormant
--   c4 buys in Jan, Mar, May    -> Jan new, Feb dormant, Mar resurrecting, Apr dormant
--   c5 buys only in Jun         -> nothing (after "to")
--   c6 buys only in Oct 2023    -> nothing (dormant in Nov 2023, before "from")
CREATE TABLE act_o (c int, d date, amt float8);
INSERT INTO act_o VALUES
    (1, '2024-01-05', 10), (1, '2024-02-10', 5), (1, '2024-04-01', 7),
    (2, '2023-12-20', 3), (2, '2024-02-02', 4),
    (3, '2024-03-03', 1), (3, '2024-03-30', 1),
    (4, '2024-01-31', 2), (4, '2024-03-01', 2), (4, '2024-05-05', 2),
    (5, '2024-06-01', 9),
    (6, '2023-10-10', 9);
CREATE TABLE act_op AS SELECT c, customer_profile(d, amt) AS p FROM act_o GROUP BY c;
SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30') FROM act_op;
SELECT t.* FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30') FROM act_op)) t;
-- "from" and "to" select whole periods: mid-month bounds give the same months
SELECT activity_lifecycle(p, 'month', date '2024-01-20', date '2024-04-02')::text
     = activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30')::text AS whole_periods
FROM act_op;
-- one customer at a time
SELECT c, t.period_start, t.new, t.returning, t.resurrecting, t.dormant
FROM act_op, activity_lifecycle_table(
    (SELECT activity_lifecycle(x.p, 'month', date '2024-01-01', date '2024-04-30') FROM act_op x WHERE x.c = act_op.c)) t
WHERE t.new + t.returning + t.resurrecting + t.dormant > 0
ORDER BY c, t.period_start;
-- ISO weeks (Monday start): 2024-01-31 (Wed) and 2024-02-02 (Fri) share a week
SELECT t.* FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'week', date '2024-01-22', date '2024-02-18') FROM act_op)) t;
-- quarters and years
SELECT t.* FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'quarter', date '2023-07-01', date '2024-12-31') FROM act_op)) t;
SELECT t.* FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, ' Year ', date '2022-06-30', date '2025-01-01') FROM act_op)) t;
SELECT activity_lifecycle_period(activity_lifecycle(p, 'QUARTER', date '2024-01-01', date '2024-01-01')) FROM act_op;
-- a single period
SELECT t.* FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'month', date '2024-03-15', date '2024-03-15') FROM act_op)) t;

-- NULL profiles are ignored; a group of only NULL profiles reads as zeros;
-- an empty group is NULL
SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30')::text
     = (SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30')
        FROM (SELECT p FROM act_op UNION ALL SELECT NULL) x)::text AS nulls_ignored
FROM act_op;
SELECT activity_lifecycle(NULL::customer_profile, 'month', date '2024-01-01', date '2024-03-31') FROM act_op;
SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-03-31') IS NULL AS empty_group
FROM act_op WHERE false;
SELECT count(*) AS rows_of_null FROM activity_lifecycle_table(NULL);
-- a customer who bought only before the range goes dormant once, in the
-- first period after their last purchase (here before the range: nothing)
SELECT t.period_start, t.dormant FROM activity_lifecycle_table(
    (SELECT activity_lifecycle(p, 'month', date '2023-11-01', date '2024-01-31') FROM act_op WHERE c = 6)) t;

-- rollup: per-segment values add up to the whole
SELECT rollup(x)::text = (SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30') FROM act_op)::text
       AS rollup_equals_whole
FROM (SELECT c % 2, activity_lifecycle(p, 'month', date '2024-01-01', date '2024-04-30') AS x
      FROM act_op GROUP BY c % 2) s;
SELECT rollup(x) IS NULL AS rollup_of_nothing FROM (SELECT NULL::activity_lifecycle AS x WHERE false) s;

-- the BI one-call form, identifiers quoted; equal to the aggregate
CREATE TABLE "Order Lines" ("Customer" int, "Placed At" timestamptz, "Net" numeric);
INSERT INTO "Order Lines" SELECT c, d, amt FROM act_o;
SELECT * FROM activity_lifecycle_report('"Order Lines"', 'Customer', 'Placed At', 'month', '2024-01-01', '2024-04-30');
SELECT (SELECT array_agg(r ORDER BY r.period_start)::text
        FROM activity_lifecycle_report('act_o', 'c', 'd', 'week', '2023-12-01', '2024-03-31') r)
     = (SELECT array_agg(t ORDER BY t.period_start)::text FROM activity_lifecycle_table(
            (SELECT activity_lifecycle(p, 'week', date '2023-12-01', date '2024-03-31') FROM act_op)) t)
       AS report_equals_aggregate;
SELECT * FROM activity_lifecycle_report('act_o', 'c', 'd', 'decade', '2024-01-01', '2024-04-30');
SELECT * FROM activity_lifecycle_report('act_o', 'c', 'd', 'month', '2024-05-01', '2024-04-30');
SELECT * FROM activity_lifecycle_report('act_o', 'no such column', 'd', 'month', '2024-01-01', '2024-04-30');
SELECT * FROM activity_lifecycle_report('act_o', NULL, 'd', 'month', '2024-01-01', '2024-04-30');

-- text and binary round trips
CREATE TABLE act_vals AS
SELECT period, activity_lifecycle(p, period, date '2023-06-15', date '2024-05-31') AS x
FROM act_op, unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) period GROUP BY period;
SELECT count(*) FILTER (WHERE x::text::activity_lifecycle::text = x::text) AS text_round_trips FROM act_vals;
COPY act_vals TO '/tmp/lifecycle_act_vals.bin' WITH (FORMAT binary);
CREATE TABLE act_vals2 (LIKE act_vals);
COPY act_vals2 FROM '/tmp/lifecycle_act_vals.bin' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM act_vals a JOIN act_vals2 b USING (period) WHERE a.x::text = b.x::text;
SELECT '{"v":1,"period":"week","from":"2024-01-01","cells":[[3,0,1,0],[0,2,0,2]]}'::activity_lifecycle;
SELECT ' { "v" : 1 , "period" : "year" , "from" : "2024-01-01" , "cells" : [ [ 0 , 0 , 0 , 0 ] ] } '::activity_lifecycle;

-- bad input
SELECT activity_lifecycle(p, 'hour', date '2024-01-01', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, 'fortnight', date '2024-01-01', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, '30 days', date '2024-01-01', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, NULL, date '2024-01-01', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, 'month', date '2024-05-01', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, 'month', NULL::date, date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, 'month', date '2024-01-01', NULL::date) FROM act_op;
SELECT activity_lifecycle(p, 'month', date '2024-01-01', date 'infinity') FROM act_op;
SELECT activity_lifecycle(p, 'month', date '0001-01-01 BC', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, 'day', date '1000-01-01', date '2024-04-30') FROM act_op;
SELECT activity_lifecycle(p, CASE WHEN c = 3 THEN 'week' ELSE 'month' END, date '2024-01-01', date '2024-04-30')
FROM act_op;
SELECT activity_lifecycle(p, 'month', date '2024-01-01', CASE WHEN c = 3 THEN date '2024-05-31' ELSE date '2024-04-30' END)
FROM act_op;
SELECT rollup(x) FROM act_vals;
SELECT activity_lifecycle_merge(a.x, b.x) FROM act_vals a, act_vals b WHERE a.period = 'day' AND b.period = 'week';
SELECT '{"v":2,"period":"month","from":"2024-01-01","cells":[[0,0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"monthly","from":"2024-01-01","cells":[[0,0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"Month","from":"2024-01-01","cells":[[0,0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-01-02","cells":[[0,0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"week","from":"2024-01-02","cells":[[0,0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-02-30","cells":[[0,0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[[0,-1,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[[2,0,1,0],[0,1,0,1]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[[0,0,0]]}'::activity_lifecycle;
SELECT '{"v":1,"period":"month","from":"2024-01-01","cells":[[0,0,0,0]]} x'::activity_lifecycle;
-- corrupt binary input: 22P03
CREATE TABLE act_dst (x activity_lifecycle);
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_act_bad.bin');
    TRUNCATE act_dst;
    EXECUTE format('COPY act_dst (x) FROM %L (FORMAT binary)', '/tmp/lifecycle_act_bad.bin');
    RETURN (SELECT x::text FROM act_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- valid: month, from 2024-01-01 (day 8766 = 0x223e), 2 periods [[2,0,1,0],[0,1,0,2]]
SELECT pg_temp.recv_test(decode('01030000223e00000002' || '0000000000000002' || '0000000000000000' || '0000000000000001' || '0000000000000000'
                                                   || '0000000000000000' || '0000000000000001' || '0000000000000000' || '0000000000000002', 'hex'));
SELECT pg_temp.recv_test(decode('02030000223e00000001' || repeat('00', 32), 'hex'));  -- unknown version
SELECT pg_temp.recv_test(decode('01070000223e00000001' || repeat('00', 32), 'hex'));  -- unknown unit
SELECT pg_temp.recv_test(decode('01030000223f00000001' || repeat('00', 32), 'hex'));  -- not a month start
SELECT pg_temp.recv_test(decode('01030000223e00000000', 'hex'));                       -- no periods
SELECT pg_temp.recv_test(decode('01030000223e00000002' || repeat('00', 32), 'hex'));  -- truncated
SELECT pg_temp.recv_test(decode('01030000223e00000001' || repeat('00', 33), 'hex'));  -- trailing byte
SELECT pg_temp.recv_test(decode('01030000223e00000001' || repeat('ff', 8) || repeat('00', 24), 'hex'));  -- negative count
SELECT pg_temp.recv_test(decode('01030000223e00000002' || '0000000000000001' || repeat('00', 56), 'hex'));  -- identity broken
SELECT pg_temp.recv_test(decode('01037fff000000000001' || repeat('00', 32), 'hex'));  -- from out of range

-- parallel and partitionwise: equal to serial
CREATE TABLE act_par AS
SELECT c, customer_profile(date '2023-01-01' + ((c * 37 + i * i * 53) % 700), 1.0) AS p
FROM generate_series(1, 4000) c, generate_series(1, 1 + c % 9) i GROUP BY c;
ANALYZE act_par;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE act_serial AS
SELECT activity_lifecycle(p, 'month', date '2023-03-01', date '2024-10-31') AS x FROM act_par;
SELECT t.* FROM activity_lifecycle_table((SELECT x FROM act_serial)) t LIMIT 4;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT activity_lifecycle(p, 'month', date '2023-03-01', date '2024-10-31') FROM act_par;
SELECT (SELECT activity_lifecycle(p, 'month', date '2023-03-01', date '2024-10-31') FROM act_par)::text = x::text
       AS parallel_equals_serial FROM act_serial;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
CREATE TABLE act_part (c int, p customer_profile) PARTITION BY RANGE (c);
CREATE TABLE act_part_a PARTITION OF act_part FOR VALUES FROM (1) TO (2000);
CREATE TABLE act_part_b PARTITION OF act_part FOR VALUES FROM (2000) TO (5000);
INSERT INTO act_part SELECT * FROM act_par;
ANALYZE act_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT activity_lifecycle(p, 'month', date '2023-03-01', date '2024-10-31') FROM act_part;
SELECT (SELECT activity_lifecycle(p, 'month', date '2023-03-01', date '2024-10-31') FROM act_part)::text = x::text
       AS partitionwise_equals_serial FROM act_serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP TABLE act_ph, act_ph_p, act_ph_g, act_ph_c, act_o, act_op, "Order Lines", act_vals, act_vals2, act_dst,
    act_par, act_serial, act_part;

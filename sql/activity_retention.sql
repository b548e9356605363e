-- retention(VARIADIC bool[]): ClickHouse semantics, NULLs, the state type's
-- text and binary forms, bad input, parallel and partitionwise plans.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- the ClickHouse documentation example: 5, 10 and 15 users active on
-- 2020-01-01, -02 and -03
CREATE TABLE act_ret (date date, uid int);
INSERT INTO act_ret SELECT '2020-01-01', g FROM generate_series(0, 4) g;
INSERT INTO act_ret SELECT '2020-01-02', g FROM generate_series(0, 9) g;
INSERT INTO act_ret SELECT '2020-01-03', g FROM generate_series(0, 14) g;
SELECT uid, retention(date = '2020-01-01', date = '2020-01-02', date = '2020-01-03') AS r
FROM act_ret
WHERE date IN ('2020-01-01', '2020-01-02', '2020-01-03')
GROUP BY uid ORDER BY uid;
SELECT sum(r[1]) AS r1, sum(r[2]) AS r2, sum(r[3]) AS r3
FROM (SELECT uid, retention(date = '2020-01-01', date = '2020-01-02', date = '2020-01-03') AS r
      FROM act_ret GROUP BY uid) AS t;
SELECT pg_typeof(retention(true, false)) AS result_type FROM act_ret LIMIT 1;

-- no time ordering: a later condition may hold before the first one;
-- r[i] needs the first condition somewhere in the group
SELECT retention(date = '2020-01-03', date = '2020-01-01') AS reversed FROM act_ret WHERE uid = 2;
SELECT retention(date = '2020-01-03', date = '2020-01-01') AS no_first FROM act_ret WHERE uid = 2 AND date < '2020-01-03';
-- a single condition and the maximum of 32
SELECT retention(uid = 1) AS one_cond FROM act_ret;
SELECT retention(VARIADIC c) AS odd_conds
FROM (SELECT array_agg(i % 2 = 1 ORDER BY i) AS c FROM generate_series(1, 32) i) x;
SELECT array_length(retention(VARIADIC (SELECT array_agg(true) FROM generate_series(1, 32)))
       , 1) AS thirty_two FROM act_ret WHERE uid = 0;
-- NULL conditions are false; a NULL array leaves the state alone; an
-- empty group (or only NULL arrays) gives NULL
SELECT retention(date = '2020-01-01', NULL, date = '2020-01-03') AS null_cond FROM act_ret WHERE uid = 3;
SELECT retention(VARIADIC CASE WHEN date = '2020-01-02' THEN NULL
                               ELSE ARRAY[date = '2020-01-01', date = '2020-01-02'] END) AS null_array
FROM act_ret WHERE uid = 3;
SELECT retention(true, true) IS NULL AS empty_group FROM act_ret WHERE false;
SELECT retention(VARIADIC NULL::bool[]) IS NULL AS only_null_arrays FROM act_ret;
SELECT retention(true, NULL::bool) AS null_second FROM act_ret LIMIT 1;

-- the state: store it, merge it, read it
SELECT retention_state(date = '2020-01-01', date = '2020-01-02', date = '2020-01-03') AS state
FROM act_ret WHERE uid IN (3, 7) GROUP BY uid ORDER BY uid;
SELECT retention_result(retention_state(date = '2020-01-02', date = '2020-01-03')) AS from_state,
       retention(date = '2020-01-02', date = '2020-01-03') AS direct
FROM act_ret WHERE uid = 7;
-- per-day states merged with rollup equal one pass over everything
CREATE TABLE act_ret_daily AS
SELECT date, uid, retention_state(date = '2020-01-01', date = '2020-01-02', date = '2020-01-03') AS s
FROM act_ret GROUP BY date, uid;
SELECT count(*) AS users, count(*) FILTER (WHERE ok) AS rollup_equals_direct
FROM (SELECT uid, retention_result(rollup(s)) = (SELECT retention(date = '2020-01-01', date = '2020-01-02', date = '2020-01-03')
                                                  FROM act_ret a WHERE a.uid = d.uid) AS ok
      FROM act_ret_daily d GROUP BY uid) x;
SELECT retention_state_merge('{"v":1,"conds":3,"seen":"100"}', '{"v":1,"conds":3,"seen":"011"}') AS merged;

-- text and binary round trips
SELECT s::text::retention_state::text = s::text AS text_round_trip, s
FROM (VALUES ('{"v":1,"conds":1,"seen":"0"}'::retention_state),
             ('{"v":1,"conds":5,"seen":"10110"}'),
             ('{"v":1,"conds":32,"seen":"11111111111111111111111111111111"}'),
             ('{"v":1,"conds":32,"seen":"00000000000000000000000000000001"}')) v(s);
SELECT ' { "v" : 1 , "conds" : 2 , "seen" : "01" } '::retention_state AS spaces_allowed;
COPY act_ret_daily TO '/tmp/lifecycle_act_ret_states.bin' WITH (FORMAT binary);
CREATE TABLE act_ret_daily2 (LIKE act_ret_daily);
COPY act_ret_daily2 FROM '/tmp/lifecycle_act_ret_states.bin' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips
FROM act_ret_daily a JOIN act_ret_daily2 b USING (date, uid) WHERE a.s::text = b.s::text;

-- bad input
SELECT retention(VARIADIC (SELECT array_agg(true) FROM generate_series(1, 33))) FROM act_ret;
SELECT retention(VARIADIC '{}'::bool[]) FROM act_ret;
SELECT retention(VARIADIC '{{true,false},{true,true}}'::bool[]) FROM act_ret;
SELECT retention(VARIADIC CASE WHEN uid = 3 THEN ARRAY[true] ELSE ARRAY[true, false] END) FROM act_ret;
SELECT retention_state_merge('{"v":1,"conds":3,"seen":"100"}', '{"v":1,"conds":2,"seen":"01"}');
SELECT '{"v":2,"conds":1,"seen":"1"}'::retention_state;
SELECT '{"v":1,"conds":0,"seen":""}'::retention_state;
SELECT '{"v":1,"conds":33,"seen":"000000000000000000000000000000000"}'::retention_state;
SELECT '{"v":1,"conds":3,"seen":"10"}'::retention_state;
SELECT '{"v":1,"conds":2,"seen":"1x"}'::retention_state;
SELECT '{"v":1,"conds":2,"seen":"10"} x'::retention_state;
SELECT '{"v":1,"conds":2}'::retention_state;
SELECT '{"v":1,"seen":"10","conds":2}'::retention_state;
-- corrupt binary input: 22P03
CREATE TABLE act_ret_dst (s retention_state);
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_act_ret_bad.bin');
    TRUNCATE act_ret_dst;
    EXECUTE format('COPY act_ret_dst (s) FROM %L (FORMAT binary)', '/tmp/lifecycle_act_ret_bad.bin');
    RETURN (SELECT s::text FROM act_ret_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test('\x010300000005');    -- valid: conditions 1 and 3
SELECT pg_temp.recv_test('\x020300000005');    -- unknown version
SELECT pg_temp.recv_test('\x010000000000');    -- no conditions
SELECT pg_temp.recv_test('\x012100000000');    -- 33 conditions
SELECT pg_temp.recv_test('\x010300000008');    -- bit beyond the last condition
SELECT pg_temp.recv_test('\x0103000000');      -- truncated
SELECT pg_temp.recv_test('\x01030000000500');  -- trailing byte

-- parallel and partitionwise: equal to serial
CREATE TABLE act_ret_big AS
SELECT g % 5000 AS uid,
       date '2024-01-01' + ((g % 5000) * 37 + (g / 5000) * (g / 5000) * 11 + g / 5000 * 3) % 45 AS day
FROM generate_series(0, 59999) g;
ANALYZE act_ret_big;
CREATE VIEW act_ret_q AS
SELECT uid, retention(day = '2024-01-01', day = '2024-01-02', day BETWEEN '2024-01-03' AND '2024-01-09',
                      day > '2024-01-20', NULL) AS r
FROM act_ret_big GROUP BY uid;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE act_ret_serial AS SELECT * FROM act_ret_q;
CREATE TABLE act_ret_serial_all AS
SELECT retention_state(day = '2024-01-01', day > '2024-02-01', uid = 17) AS s FROM act_ret_big;
SELECT r, count(*) FROM act_ret_serial GROUP BY r ORDER BY r;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT * FROM act_ret_q;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.r = s.r) AS parallel_equals_serial
FROM act_ret_q p JOIN act_ret_serial s USING (uid);
RESET enable_hashagg;
EXPLAIN (COSTS OFF)
SELECT retention_state(day = '2024-01-01', day > '2024-02-01', uid = 17) FROM act_ret_big;
SELECT (SELECT retention_state(day = '2024-01-01', day > '2024-02-01', uid = 17) FROM act_ret_big)::text
       = s::text AS parallel_whole_table_equals_serial, s
FROM act_ret_serial_all;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
-- partitioned by day, grouped by user: each user's state is combined from
-- two partitions
CREATE TABLE act_ret_part (uid int, day date) PARTITION BY RANGE (day);
CREATE TABLE act_ret_part_a PARTITION OF act_ret_part FOR VALUES FROM ('2024-01-01') TO ('2024-01-21');
CREATE TABLE act_ret_part_b PARTITION OF act_ret_part FOR VALUES FROM ('2024-01-21') TO ('2025-01-01');
INSERT INTO act_ret_part SELECT uid, day FROM act_ret_big;
ANALYZE act_ret_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT uid, retention(day = '2024-01-01', day = '2024-01-02', day BETWEEN '2024-01-03' AND '2024-01-09',
                      day > '2024-01-20', NULL) AS r
FROM act_ret_part GROUP BY uid;
SELECT count(*) AS groups, count(*) FILTER (WHERE p.r = s.r) AS partitionwise_equals_serial
FROM (SELECT uid, retention(day = '2024-01-01', day = '2024-01-02', day BETWEEN '2024-01-03' AND '2024-01-09',
                            day > '2024-01-20', NULL) AS r
      FROM act_ret_part GROUP BY uid) p JOIN act_ret_serial s USING (uid);
SELECT count(*) FILTER (WHERE r[1] = 1 AND r[4] = 1) AS combined_from_both_partitions FROM act_ret_serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP VIEW act_ret_q;
DROP TABLE act_ret, act_ret_daily, act_ret_daily2, act_ret_dst, act_ret_big, act_ret_serial,
    act_ret_serial_all, act_ret_part;

-- window_funnel / funnel_times: ClickHouse's own cases (REFERENCE.md §8 J1-J4 and
-- the 00632 test file), every mode, the cases where ClickHouse loses a chain, the
-- tie rule, NULLs, text/binary round trips, bad and corrupt input.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- J1: events 1000..1008 at seconds 0..8
CREATE TABLE fun_t (t int, e int);
INSERT INTO fun_t VALUES (0,1000),(1,1001),(2,1002),(3,1003),(4,1004),(5,1005),(6,1006),(7,1007),(8,1008);
SELECT window_funnel('10000 s', to_timestamp(t), e = 1000) AS j1_1,
       window_funnel('10000 s', to_timestamp(t), e = 1000, e = 1001) AS j1_2,
       window_funnel('10000 s', to_timestamp(t), e = 1000, e = 1001, e = 1002) AS j1_3,
       window_funnel('10000 s', to_timestamp(t), e = 1000, e = 1001, e = 1002, e = 1008) AS j1_4,
       window_funnel('1 s', to_timestamp(t), e = 1000) AS j1_w1
FROM fun_t;
-- inclusive window: 2, 3, 4 seconds reach 3, 4, 5 steps
SELECT window_funnel('2 s', to_timestamp(t), e = 1003, e = 1004, e = 1005, e = 1006, e = 1007) AS w2,
       window_funnel('3 s', to_timestamp(t), e = 1003, e = 1004, e = 1005, e = 1006, e = 1007) AS w3,
       window_funnel('4 s', to_timestamp(t), e = 1003, e = 1004, e = 1005, e = 1006, e = 1007) AS w4
FROM fun_t;
-- J2: on 1001..1008 (2018-01-01 01:01:01 onwards)
SELECT window_funnel('4 s', timestamptz '2018-01-01 01:01:00' + t * interval '1 s',
                     e = 1003, e = 1004, e = 1005, e = 1006, e = 1007) AS five,
       window_funnel('10000 s', timestamptz '2018-01-01 01:01:00' + t * interval '1 s', e = 1001, e = 1008) AS two,
       window_funnel('10000 s', timestamptz '2018-01-01 01:01:00' + t * interval '1 s', e = 1008, e = 1001) AS reversed,
       window_funnel('4 s', timestamptz '2018-01-01 01:01:00' + t * interval '1 s',
                     e <= 1007, e >= 1002, e <= 1006, e >= 1004) AS overlapping
FROM fun_t WHERE e >= 1001;
-- the same far from the epoch (ClickHouse's 1e14 + k test, in microseconds here)
SELECT window_funnel('4 s', timestamptz '2200-01-01' + t * interval '1 s',
                     e = 1003, e = 1004, e = 1005, e = 1006, e = 1007) AS far
FROM fun_t WHERE e >= 1001;

-- J3: deduplication (1005 twice)
CREATE TABLE fun_strict (t int, e int);
INSERT INTO fun_strict VALUES (0,1000),(10,1001),(20,1002),(30,1003),(40,1004),(50,1005),(51,1005),(60,1006),(70,1007),(80,1008);
SELECT window_funnel('10000 s', to_timestamp(t), e = 1000, e = 1001, e = 1002, e = 1003, e = 1004, e = 1005, e = 1006) AS default_7,
       window_funnel('10000 s', 'strict_deduplication', to_timestamp(t),
                     e = 1000, e = 1001, e = 1002, e = 1003, e = 1004, e = 1005, e = 1006) AS dedup_6
FROM fun_strict;
-- issue #27469: a,b,c,b,d
SELECT window_funnel('1 day', 'strict_deduplication', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c', ev = 'd') AS dedup_3
FROM (VALUES (1,'a'),(2,'b'),(3,'c'),(4,'b'),(5,'d')) v(t, ev);

-- J4: strict_order users
CREATE TABLE fun_order (u int, t int, ev text);
INSERT INTO fun_order VALUES
    (1,1,'a'),(1,2,'b'),(1,3,'c'),
    (2,1,'a'),(2,2,'d'),(2,3,'b'),(2,4,'c'),
    (3,1,'a'),(3,2,'a'),(3,3,'b'),(3,4,'b'),(3,5,'c'),(3,6,'c'),
    (4,1,'a'),(4,2,'a'),(4,3,'a'),(4,4,'a'),(4,5,'b'),(4,6,'b'),(4,7,'c'),(4,8,'c'),
    (5,1,'a'),(5,2,'a'),(5,3,'b'),(5,4,'b'),(5,5,'d'),(5,6,'c'),(5,7,'c'),
    (6,1,'c'),(6,2,'c'),(6,3,'b'),(6,4,'b'),(6,5,'a'),(6,6,'a'),
    (7,1,'a'),(7,2,'c'),(7,3,'b');
SELECT u, string_agg(ev, '' ORDER BY t) AS events,
       window_funnel('1 day', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS "default",
       window_funnel('1 day', 'strict_order', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS strict_order,
       window_funnel('1 day', 'strict_deduplication, strict_order', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS dedup_order
FROM fun_order GROUP BY u ORDER BY u;

-- allow_reentry (ClickHouse test file): under strict_order a first step after the
-- second stops the scan; allow_reentry lets the chain go on.  re_dedup of user 2
-- (ababc) is 2 here: the scan stops at the second b with steps 1-2 reached; the
-- ClickHouse test file says 1, from the pre-#37177 bug that returned the previous
-- event's step instead of the depth reached.
CREATE TABLE fun_reentry (u int, t int, ev text);
INSERT INTO fun_reentry VALUES
    (1,1,'a'),(1,2,'b'),(1,3,'a'),(1,4,'c'),
    (2,1,'a'),(2,2,'b'),(2,3,'a'),(2,4,'b'),(2,5,'c'),
    (3,1,'a'),(3,2,'b'),(3,3,'c'),(3,4,'b'),(3,5,'d'),
    (4,1,'a'),(4,2,'c'),(4,3,'b'),
    (5,1,'a'),(5,2,'b'),(5,3,'c'),(5,4,'a'),(5,5,'b'),(5,6,'c'),(5,7,'d');
SELECT u, string_agg(ev, '' ORDER BY t) AS events,
       window_funnel('1 day', 'strict_order', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS so3,
       window_funnel('1 day', 'strict_order,allow_reentry', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS re3,
       window_funnel('1 day', 'strict_order', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c', ev = 'd') AS so4,
       window_funnel('1 day', 'strict_order,allow_reentry', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c', ev = 'd') AS re4,
       window_funnel('1 day', 'strict_order,allow_reentry,strict_deduplication', to_timestamp(t),
                     ev = 'a', ev = 'b', ev = 'c') AS re_dedup
FROM fun_reentry GROUP BY u ORDER BY u;
-- e-commerce: a row matching steps 1 and 3 (begin_checkout) stops strict_order at once
CREATE TABLE fun_shop (u int, t int, action text);
INSERT INTO fun_shop VALUES
    (1,100,'begin_checkout'),(1,200,'view_product_detail'),(1,300,'begin_checkout'),(1,400,'complete_payment'),
    (2,100,'begin_checkout'),(2,200,'view_product_detail'),(2,250,'view_product_detail'),(2,300,'begin_checkout'),(2,400,'complete_payment'),
    (3,100,'begin_checkout'),(3,200,'view_product_detail'),(3,300,'complete_payment');
SELECT u,
       window_funnel('600 s', 'strict_order', to_timestamp(t), action = 'begin_checkout',
                     action = 'view_product_detail', action = 'complete_payment') AS so3,
       window_funnel('600 s', 'strict_order,allow_reentry', to_timestamp(t), action = 'begin_checkout',
                     action = 'view_product_detail', action = 'complete_payment') AS re3,
       window_funnel('600 s', 'strict_order', to_timestamp(t), action = 'begin_checkout',
                     action = 'view_product_detail', action = 'begin_checkout', action = 'complete_payment') AS so4,
       window_funnel('600 s', 'strict_order,allow_reentry', to_timestamp(t), action = 'begin_checkout',
                     action = 'view_product_detail', action = 'begin_checkout', action = 'complete_payment') AS re4
FROM fun_shop GROUP BY u ORDER BY u;

-- NULL conditions are false, the row still counts (ClickHouse's COALESCE cases)
CREATE TABLE fun_null (u int, t int, a text, b text);
INSERT INTO fun_null VALUES (1,1,'a1','b1'),(1,2,'a2','b2'),(2,1,'a1',NULL),(2,2,'a2',NULL),
    (3,1,NULL,NULL),(4,1,NULL,'b1'),(4,2,'a2',NULL),(4,3,NULL,'b3');
SELECT u,
       window_funnel('1 day', to_timestamp(t), a = 'a1', a = 'a2') AS aa,
       window_funnel('1 day', to_timestamp(t), a = 'a1', b = 'b2') AS ab,
       window_funnel('1 day', to_timestamp(t), a IS NULL AND b IS NULL) AS both_null,
       window_funnel('1 day', to_timestamp(t), a IS NULL, b = 'b3') AS null_b3,
       window_funnel('1 day', 'strict_order', to_timestamp(t), a IS NULL, b = 'b3') AS null_b3_order
FROM fun_null GROUP BY u ORDER BY u;

-- strict_increase / strict_once (ClickHouse): steps 2-4 share second 1
CREATE TABLE fun_inc (t int, e int);
INSERT INTO fun_inc VALUES (0,1000),(1,1001),(1,1002),(1,1003),(2,1004);
SELECT window_funnel('10000 s', to_timestamp(t), e = 1000, e = 1001, e = 1002, e = 1003, e = 1004) AS default_5,
       window_funnel('10000 s', 'strict_increase', to_timestamp(t), e = 1000, e = 1001, e = 1002, e = 1003, e = 1004) AS increase_2,
       window_funnel('10000 s', to_timestamp(t), e = 1004, e = 1004, e = 1004) AS one_row_3,
       window_funnel('10000 s', 'strict_once', to_timestamp(t), e = 1004, e = 1004, e = 1004) AS once_1,
       window_funnel('10000 s', 'strict_increase', to_timestamp(t), e = 1004, e = 1004, e = 1004) AS increase_1
FROM fun_inc;
CREATE TABLE fun_fail (u int, t int, result text);
INSERT INTO fun_fail VALUES (234,100,'failure'),(345,200,'success'),(345,210,'failure'),(345,230,'success'),
    (234,250,'failure'),(123,180,'failure'),(123,220,'failure'),(123,250,'success');
SELECT u,
       window_funnel('200 s', 'strict_once,strict_increase', to_timestamp(t), result = 'failure', result = 'failure', result = 'success') AS once_increase,
       window_funnel('200 s', 'strict_once', to_timestamp(t), result = 'failure', result = 'failure', result = 'success') AS once,
       window_funnel('200 s', 'strict_once,strict_deduplication', to_timestamp(t), result = 'failure', result = 'failure', result = 'success') AS once_dedup,
       window_funnel('200 s', to_timestamp(t), result = 'failure', result = 'failure', result = 'success') AS "default"
FROM fun_fail GROUP BY u ORDER BY u;

-- ClickHouse known defects, fixed: no valid chain is lost
-- (1) strict_increase: c1@0, c1@1, c2@1 -> 2 (ClickHouse 1)
SELECT window_funnel('10 s', 'strict_increase', to_timestamp(t), c = 1, c = 2) AS increase_keeps_chain
FROM (VALUES (0, 1), (1, 1), (1, 2)) v(t, c);
-- (2) strict_once + strict_deduplication with ties: c2@2, c1&c2&c3@2, c3@3, any input order -> 3
SELECT window_funnel('10 s', 'strict_once,strict_deduplication', to_timestamp(t), c1, c2, c3) AS once_dedup_ties,
       window_funnel('10 s', 'strict_once,strict_deduplication', to_timestamp(t), c1, c2, c3 ORDER BY t, c1) AS order_1,
       window_funnel('10 s', 'strict_once,strict_deduplication', to_timestamp(t), c1, c2, c3 ORDER BY t, c1 DESC) AS order_2
FROM (VALUES (2, false, true, false), (2, true, true, true), (3, false, false, true)) v(t, c1, c2, c3);
-- a later start keeps more chains alive: a@0, a@5, b@8, c@12 within 7 s -> 3
-- (the chain from a@0 runs out of window, the one from a@5 does not)
SELECT window_funnel('7 s', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS latest_start,
       funnel_times('7 s', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS times
FROM (VALUES (0,'a'),(5,'a'),(8,'b'),(12,'c')) v(t, ev);
-- an earlier second step is not the best one: a@0, b@1, a@10, b@11, c@14 within 5 s
SELECT funnel_times('5 s', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS times
FROM (VALUES (0,'a'),(1,'b'),(10,'a'),(11,'b'),(14,'c')) v(t, ev);

-- tie rule: rows at the same time are ordered by their lowest true step, so A@t, B@t
-- is A -> B whatever order the rows arrive in; strict_increase refuses it
SELECT window_funnel('1 s', to_timestamp(t), ev = 'A', ev = 'B' ORDER BY ev DESC) AS tie_default,
       window_funnel('1 s', 'strict_increase', to_timestamp(t), ev = 'A', ev = 'B') AS tie_increase,
       window_funnel('1 s', 'strict_once', to_timestamp(t), ev = 'A', ev = 'B') AS tie_once
FROM (VALUES (5,'A'),(5,'B')) v(t, ev);
-- a row matching no step sorts last among its ties: strict_order is not stopped by it
SELECT window_funnel('1 s', 'strict_order', to_timestamp(t), ev = 'A', ev = 'B') AS tie_order
FROM (VALUES (5,'X'),(5,'A'),(5,'B')) v(t, ev);
-- one row satisfying every step fills them all by default, one step under strict_once
SELECT window_funnel('1 s', to_timestamp(0), true, true, true) AS one_row,
       window_funnel('1 s', 'strict_once', to_timestamp(0), true, true, true) AS one_row_once;

-- funnel_times: per-step conversion times are one subtraction away
SELECT u, funnel_times('1 day', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS times
FROM fun_order GROUP BY u ORDER BY u;
SELECT u, funnel_times('1 day', 'strict_order', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS times
FROM fun_order GROUP BY u ORDER BY u;
SELECT t[2] - t[1] AS to_step2, t[3] - t[2] AS to_step3
FROM (SELECT funnel_times('1 day', timestamptz '2024-03-01' + t * interval '1 minute', ev = 'a', ev = 'b', ev = 'c') t
      FROM fun_order WHERE u = 4) x;
-- the best chain: deepest, then earliest to complete (c@4), then latest start (a@1);
-- its middle steps are the earliest events that continue that start (b@2, not b@3)
SELECT funnel_times('10 s', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') AS times
FROM (VALUES (0,'a'),(2,'b'),(1,'a'),(3,'b'),(4,'c')) v(t, ev);

-- two chains complete at the same time (t=5): the one that starts later is reported
SELECT funnel_times('10 s', to_timestamp(t), a, b, c) AS same_completion_latest_start
FROM (VALUES (0, true, false, false), (1, false, true, false),
             (5, true, false, true), (5, false, true, true)) v(t, a, b, c);
-- NULL timestamps are ignored; empty groups give 0 and {}
SELECT window_funnel('1 day', ts, ev = 'a', ev = 'b') AS depth, funnel_times('1 day', ts, ev = 'a', ev = 'b') AS times
FROM (VALUES (NULL::timestamptz, 'a'), (timestamptz '2024-01-01', 'a'), (NULL, 'b')) v(ts, ev);
SELECT window_funnel('1 day', now(), true) AS empty_depth, funnel_times('1 day', now(), true) AS empty_times
FROM fun_t WHERE false;
-- a steps array of NULLs: every step false
SELECT window_funnel('1 day', to_timestamp(t), NULL::bool, NULL::bool) AS nulls_are_false FROM fun_t;
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC ARRAY[e = 1000, NULL, e = 1002]) AS null_step_breaks FROM fun_t;
-- 32 steps is the limit
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC array_fill(true, ARRAY[32])) AS thirty_two FROM fun_t;
-- window units: months count as 30 days
SELECT window_funnel('1 mon', ts, ev = 'a', ev = 'b') AS mon_30d,
       window_funnel('29 days 23:59:59', ts, ev = 'a', ev = 'b') AS under_30d
FROM (VALUES (timestamptz '2024-01-01', 'a'), (timestamptz '2024-01-31', 'b')) v(ts, ev);

-- state: what is stored (rows with no true step are not, except under strict_order)
SELECT funnel_event_count(funnel_state_agg('1 s', to_timestamp(t), e = 1000, e = 1001)) AS stored,
       funnel_event_count(funnel_state_agg('1 s', 'strict_order', to_timestamp(t), e = 1000, e = 1001)) AS stored_order,
       pg_column_size(funnel_state_agg('1 s', to_timestamp(t), e = 1000, e = 1001)) AS bytes
FROM fun_t;
-- text round trip, exact; canonical modes
SELECT funnel_state_agg('4 s', 'strict_once , Strict_Order', to_timestamp(t), e = 1003, e = 1004) AS st
FROM fun_t;
SELECT s::text::funnel_state::text = s::text AS text_round_trip, funnel_depth(s::text::funnel_state) AS depth
FROM (SELECT funnel_state_agg('4 s', 'strict_order,strict_once', to_timestamp(t), e = 1003, e = 1004) s FROM fun_t) x;
SELECT funnel_depth('{"v":1,"window":1000000,"modes":"","steps":2,"events":[[1000000,2],[0,1]]}') AS depth_2,
       funnel_depth('{"v":1,"window":1000000,"modes":"","steps":2,"events":[]}') AS depth_0,
       funnel_depth(' { "v" : 1 , "window" : 1000000 , "modes" : "strict_order" , "steps" : 1 , "events" : [ [ 0 , 0 ] ] } ') AS spaces;
SELECT funnel_state_send('{"v":1,"window":1000000,"modes":"strict_order","steps":2,"events":[[-1,2],[0,0]]}');

-- binary round trip through COPY (FORMAT binary)
CREATE TABLE fun_states AS
SELECT u, funnel_state_agg('1 day', 'strict_order,allow_reentry', to_timestamp(t), ev = 'a', ev = 'b', ev = 'c') s
FROM fun_reentry GROUP BY u;
COPY fun_states TO '/tmp/lifecycle_funnel_io.bin' (FORMAT binary);
CREATE TABLE fun_states2 (LIKE fun_states);
COPY fun_states2 FROM '/tmp/lifecycle_funnel_io.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(a.s::text = b.s::text) AS binary_round_trip,
       bool_and(funnel_state_send(a.s) = funnel_state_send(b.s)) AS same_bytes,
       array_agg(funnel_depth(b.s) ORDER BY u) AS depths
FROM fun_states a JOIN fun_states2 b USING (u);
-- the final functions read states stored in a table (short varlena headers), as a
-- Finalize step does with a group's only partial state after a Sort
SELECT u, pg_column_size(s) AS bytes, window_funnel_final(s) AS depth, funnel_times_final(s) AS times,
       funnel_event_count(funnel_state_final(s)) AS events
FROM fun_states ORDER BY u;
-- merging states is concatenation
SELECT funnel_depth(funnel_state_merge(
           '{"v":1,"window":10000000,"modes":"","steps":3,"events":[[1000000,1],[3000000,4]]}',
           '{"v":1,"window":10000000,"modes":"","steps":3,"events":[[2000000,2]]}')) AS merged_depth;

-- bad arguments: each an error with a hint
\set VERBOSITY default
SELECT window_funnel('0 s', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('-1 day', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel(NULL, to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', NULL, to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', 'strict_order,fast', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', 'strict', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', 'allow_reentry', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', 'strict_order;strict_once', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', 'strict_order,', to_timestamp(t), e = 1000) FROM fun_t;
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC array_fill(true, ARRAY[33])) FROM fun_t;
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC NULL::bool[]) FROM fun_t;
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC '{}'::bool[]) FROM fun_t;
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC '{{true},{false}}'::bool[]) FROM fun_t;
SELECT window_funnel('1 day', 'infinity'::timestamptz, true) FROM fun_t;
SELECT window_funnel(CASE WHEN t < 4 THEN interval '1 day' ELSE interval '2 days' END, to_timestamp(t), true) FROM fun_t;
SELECT window_funnel('1 day', to_timestamp(t), VARIADIC CASE WHEN t < 4 THEN '{t}'::bool[] ELSE '{t,t}' END) FROM fun_t;
SELECT window_funnel('178000000 years', to_timestamp(t), true) FROM fun_t;
SELECT funnel_state_merge('{"v":1,"window":1000000,"modes":"","steps":2,"events":[]}',
                          '{"v":1,"window":1000000,"modes":"","steps":3,"events":[]}');

-- bad text input: 22P02 (syntax) or 22023 (values)
SELECT '{"v":2,"window":1000000,"modes":"","steps":2,"events":[]}'::funnel_state;
SELECT '{"v":1,"window":0,"modes":"","steps":2,"events":[]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"strict_once,strict_order","steps":2,"events":[]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"bogus","steps":2,"events":[]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":33,"events":[]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":2,"events":[[0,4]]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":2,"events":[[0,0]]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":2,"events":[[-9223372036854775000,1]]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":2,"events":[[0,1],]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":2,"events":[[0.5,1]]}'::funnel_state;
SELECT '{"v":1,"window":1000000,"modes":"","steps":2,"events":[]} x'::funnel_state;
SELECT '{"v":1,"window":1000000,"steps":2,"events":[]}'::funnel_state;

-- corrupt binary input: 22P03
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 0, %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_funnel_bad.bin');
    TRUNCATE fun_states2;
    EXECUTE format('COPY fun_states2 FROM %L (FORMAT binary)', '/tmp/lifecycle_funnel_bad.bin');
    RETURN (SELECT s::text FROM fun_states2);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test('\x01000200000000000f424000000001000000000000000000000001');  -- valid
SELECT pg_temp.recv_test('\x02000200000000000f424000000001000000000000000000000001');  -- unknown version
SELECT pg_temp.recv_test('\x01400200000000000f424000000001000000000000000000000001');  -- unknown mode bit
SELECT pg_temp.recv_test('\x01100200000000000f424000000001000000000000000000000001');  -- allow_reentry alone
SELECT pg_temp.recv_test('\x01002100000000000f424000000001000000000000000000000001');  -- 33 steps
SELECT pg_temp.recv_test('\x010002000000000000000000000001000000000000000000000001');  -- zero window
SELECT pg_temp.recv_test('\x01000200000000000f424000000002000000000000000000000001');  -- count too high
SELECT pg_temp.recv_test('\x01000200000000000f4240000000010000000000000000000000');  -- truncated
SELECT pg_temp.recv_test('\x01000200000000000f42400000000100000000000000000000000100');  -- trailing bytes
SELECT pg_temp.recv_test('\x01000200000000000f424000000001000000000000000000000004');  -- mask beyond the steps
SELECT pg_temp.recv_test('\x01000200000000000f424000000001000000000000000000000000');  -- empty mask
SELECT pg_temp.recv_test('\x01000200000000000f424000000001800000000000000100000001');  -- timestamp out of range

DROP TABLE fun_t, fun_strict, fun_order, fun_reentry, fun_shop, fun_null, fun_inc, fun_fail,
    fun_states, fun_states2;

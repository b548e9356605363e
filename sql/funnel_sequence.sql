-- sequence_match / sequence_count: ClickHouse's cases (REFERENCE.md §8 K2), every
-- token, time constraints, non-overlapping counting, ties, NULLs, round trips, errors.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- K2: rows matching no condition are invisible
CREATE TABLE seq_k2 (t int, n int);
INSERT INTO seq_k2 VALUES (1,1),(2,3),(3,2);
SELECT sequence_match('(?1)(?2)', to_timestamp(t), n = 1, n = 2) AS k2_1,
       sequence_match('(?1)(?2)', to_timestamp(t), n = 1, n = 2, n = 3) AS k2_0,
       sequence_match('(?1)(?2)', to_timestamp(t), n = 1, n = 2, n = 4) AS k2_1b
FROM seq_k2;
-- K2: non-overlapping counting over 1,3,2,1,3,2
CREATE TABLE seq_c (t int, n int);
INSERT INTO seq_c VALUES (1,1),(2,3),(3,2),(4,1),(5,3),(6,2);
SELECT sequence_count('(?1).*(?2)', to_timestamp(t), n = 1, n = 2) AS two,
       sequence_count('(?1)(?2)', to_timestamp(t), n = 1, n = 2) AS adjacent,
       sequence_count('(?1)(?2)', to_timestamp(t), n = 1, n = 2, n = 3) AS adjacent_with_3,
       sequence_count('(?1).(?2)', to_timestamp(t), n = 1, n = 2, n = 3) AS any_one_between,
       sequence_count('(?1)..(?2)', to_timestamp(t), n = 1, n = 2, n = 3) AS two_between,
       sequence_count('(?2).*(?1)', to_timestamp(t), n = 1, n = 2) AS reversed,
       sequence_count('.', to_timestamp(t), n = 1, n = 2, n = 3) AS every_event,
       sequence_count('(?1).*(?2).*(?1)', to_timestamp(t), n = 1, n = 2) AS one_two_one
FROM seq_c;
-- time constraints measured between the two events around them, with or without .*
-- (ClickHouse resets the anchor at .*, so (?1).*(?t>0)(?2) never matches there)
SELECT sequence_count('(?1).*(?t<=2)(?2)', to_timestamp(t), n = 1, n = 2) AS within_2s,
       sequence_count('(?1).*(?t<2)(?2)', to_timestamp(t), n = 1, n = 2) AS under_2s,
       sequence_count('(?1)(?t<=2).*(?2)', to_timestamp(t), n = 1, n = 2) AS same_other_side,
       sequence_match('(?1).*(?t>0)(?2)', to_timestamp(t), n = 1, n = 2) AS later,
       sequence_count('(?1).*(?t==2)(?2)', to_timestamp(t), n = 1, n = 2) AS exactly_2s,
       sequence_count('(?1).*(?t>=3)(?2)', to_timestamp(t), n = 1, n = 2) AS at_least_3s,
       sequence_count('(?1).*(?t>2)(?t<=5)(?2)', to_timestamp(t), n = 1, n = 2) AS between_3_and_5s,
       sequence_count('(?1)(?t<=1)(?3)', to_timestamp(t), n = 1, n = 2, n = 3) AS adjacent_1s
FROM seq_c;
-- counting takes each match with the earliest end and goes on after it: over 1,1,2,2
-- the first match ends at the first 2, and no 1 follows: 1
SELECT sequence_count('(?1).*(?2)', to_timestamp(t), n = 1, n = 2) AS nested,
       sequence_count('(?1)(?2)', to_timestamp(t), n = 1, n = 2) AS adjacent
FROM (VALUES (1,1),(2,1),(3,2),(4,2)) v(t, n);
-- a row satisfying two conditions is one event: it cannot be both ends
SELECT sequence_match('(?1).*(?2)', to_timestamp(0), true, true) AS one_row,
       sequence_match('(?1)', to_timestamp(0), true, true) AS one_token;
-- ties: same-time rows are ordered by their lowest condition, whatever the input order
SELECT sequence_match('(?1)(?2)', to_timestamp(5), n = 1, n = 2 ORDER BY n DESC) AS tie_forward,
       sequence_match('(?2)(?1)', to_timestamp(5), n = 1, n = 2 ORDER BY n) AS tie_backward
FROM (VALUES (1), (2)) v(n);
-- NULL conditions are false, NULL timestamps ignored, empty groups false / 0
SELECT sequence_match('(?1)(?2)', ts, a, b) AS nulls, sequence_count('.', ts, a, b) AS visible
FROM (VALUES (timestamptz '2024-01-01', true, NULL::bool), (NULL, false, true),
             (timestamptz '2024-01-02', NULL, true)) v(ts, a, b);
SELECT sequence_match('(?1)', now(), true) AS empty_match, sequence_count('(?1)', now(), true) AS empty_count
FROM seq_c WHERE false;
-- per customer over the demo store: a purchase within an hour of a visit, with anything between
SELECT count(*) FILTER (WHERE m) AS matched, sum(c) AS sessions FROM (
    SELECT customer_id,
           sequence_match('(?1).*(?t<=3600)(?2)', ts, event = 'visit', event = 'purchase') m,
           sequence_count('(?1).*(?t<=3600)(?2)', ts, event = 'visit', event = 'purchase') c
    FROM demo_events(500) GROUP BY 1) x;

-- state: text and binary round trips; patterns may carry spaces
SELECT sequence_state_agg('(?1) .* (?t<=3) (?2)', to_timestamp(t), n = 1, n = 2) AS st FROM seq_c;
SELECT s::text::sequence_state::text = s::text AS text_round_trip,
       sequence_state_send(s::text::sequence_state) = sequence_state_send(s) AS binary_same,
       sequence_state_count(s) AS count
FROM (SELECT sequence_state_agg('(?1).*(?2)', to_timestamp(t), n = 1, n = 2) s FROM seq_c) x;
SELECT sequence_state_send('{"v":1,"pattern":"(?1)","conditions":1,"events":[[0,1]]}');
SELECT sequence_state_count(sequence_state_merge(
    '{"v":1,"pattern":"(?1)(?2)","conditions":2,"events":[[0,1]]}',
    '{"v":1,"pattern":"(?1)(?2)","conditions":2,"events":[[1000000,2]]}')) AS merged;
CREATE TABLE seq_states AS SELECT 1 AS k, sequence_state_agg('(?1).(?2)', to_timestamp(t), n = 1, n = 2, n = 3) s FROM seq_c;
SELECT k, sequence_state_count(s) AS count_from_stored, sequence_count_final(s) AS final_on_stored FROM seq_states;

-- pattern errors: 22P02 with the position and a hint
\set VERBOSITY default
SELECT sequence_match('', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('.*', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)(?2', to_timestamp(t), n = 1, n = 2) FROM seq_c;
SELECT sequence_match('(?1))', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(1)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?x)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?t<=5)(?1)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)(?t<=5)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)(?t!=5)(?1)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)(?t<=)(?1)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)(?t<=1.5)(?1)', to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)(?3)', to_timestamp(t), n = 1, n = 2) FROM seq_c;
SELECT sequence_match('(?0)', to_timestamp(t), n = 1, n = 2) FROM seq_c;
-- other bad arguments
SELECT sequence_match(NULL, to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)', to_timestamp(t), VARIADIC NULL::bool[]) FROM seq_c;
SELECT sequence_match('(?1)', to_timestamp(t), VARIADIC '{}'::bool[]) FROM seq_c;
SELECT sequence_match('(?1)', to_timestamp(t), VARIADIC array_fill(true, ARRAY[33])) FROM seq_c;
SELECT sequence_match(CASE WHEN t < 3 THEN '(?1)' ELSE '(?1).' END, to_timestamp(t), n = 1) FROM seq_c;
SELECT sequence_match('(?1)', 'infinity'::timestamptz, true);
-- bad text and binary input
SELECT '{"v":1,"pattern":"(?2)","conditions":1,"events":[]}'::sequence_state;
SELECT '{"v":1,"pattern":"(?1","conditions":1,"events":[]}'::sequence_state;
SELECT '{"v":1,"pattern":"(?1)","conditions":1,"events":[[0,0]]}'::sequence_state;
SELECT '{"v":1,"pattern":"(?1)","conditions":1,"events":[[0,2]]}'::sequence_state;
SELECT '{"v":2,"pattern":"(?1)","conditions":1,"events":[]}'::sequence_state;
SELECT '{"v":1,"pattern":"(?1)","conditions":1,"events":[]'::sequence_state;
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 0, %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_seq_bad.bin');
    TRUNCATE seq_states;
    EXECUTE format('COPY seq_states FROM %L (FORMAT binary)', '/tmp/lifecycle_seq_bad.bin');
    RETURN (SELECT s::text FROM seq_states);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test('\x01010004283f312900000001000000000000000000000001');  -- valid
SELECT pg_temp.recv_test('\x02010004283f312900000001000000000000000000000001');  -- unknown version
SELECT pg_temp.recv_test('\x01210004283f312900000001000000000000000000000001');  -- 33 conditions
SELECT pg_temp.recv_test('\x01010004283f322900000001000000000000000000000001');  -- pattern refers to (?2)
SELECT pg_temp.recv_test('\x01010004283f312900000002000000000000000000000001');  -- count too high
SELECT pg_temp.recv_test('\x01010004283f312900000001000000000000000000000002');  -- mask beyond the conditions
SELECT pg_temp.recv_test('\x01010004283f31290000000100000000000000000000000100');  -- trailing byte

DROP TABLE seq_k2, seq_c, seq_states;

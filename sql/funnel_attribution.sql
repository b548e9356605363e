-- attribution: the five models, lookback, ties, NULLs, roll-up across customers,
-- bad input, state forms, parallel and partitionwise plans equal serial.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';

-- one customer: touches email@day1, social@day3, search@day6, email@day8; purchase@day9;
-- a touch at day 40 and a second purchase at day 41 (30-day lookback: the second purchase
-- sees only the day-40 touch)
CREATE TEMP TABLE tj (customer_id int, ts timestamptz, channel text, conv bool);
INSERT INTO tj VALUES
    (1, '2025-01-01', 'email', false), (1, '2025-01-03', 'social', false),
    (1, '2025-01-06', 'search', false), (1, '2025-01-08', 'email', false),
    (1, '2025-01-09', NULL, true),
    (1, '2025-02-09', 'social', false), (1, '2025-02-10', NULL, true),
    (2, '2025-01-05', NULL, true),                                      -- no touch
    (3, '2025-01-01', 'search', false), (3, '2025-03-01', NULL, true),  -- touch too old
    (4, '2025-01-01', 'email', false);                                  -- no conversion
SELECT customer_id, m.model, attribution(ts, channel, conv, m.model, '30 days') AS credits
FROM tj, (VALUES ('first_touch'), ('last_touch'), ('linear'), ('position_based')) m(model)
GROUP BY customer_id, m.model ORDER BY customer_id, m.model;
SELECT customer_id, attribution(ts, channel, conv, 'time_decay', '30 days', '7 days') AS credits
FROM tj GROUP BY 1 ORDER BY 1;
-- exact time decay: touches 7 and 14 days back with a 7-day half-life weigh 2:1
SELECT attribution(ts, channel, conv, 'time_decay', '30 days', '7 days')
FROM (VALUES ('2025-01-01'::timestamptz, 'a', false), ('2025-01-08', 'b', false), ('2025-01-15', NULL, true)) v(ts, channel, conv);
-- position_based with two touches: 50/50; with five: 40/20/40 spread as 0.4, 0.0667 x3, 0.4
SELECT attribution(ts, channel, conv, 'position_based', '30 days')
FROM (VALUES ('2025-01-01'::timestamptz, 'a', false), ('2025-01-02', 'b', false), ('2025-01-03', NULL, true)) v(ts, channel, conv);
SELECT (c).channel, round((c).credit::numeric, 6) AS credit
FROM (SELECT unnest(attribution(ts, channel, conv, 'position_based', '30 days')) AS c
      FROM (VALUES ('2025-01-01'::timestamptz, 'a', false), ('2025-01-02', 'b', false), ('2025-01-03', 'c', false),
                   ('2025-01-04', 'd', false), ('2025-01-05', 'e', false), ('2025-01-06', NULL, true)) v(ts, channel, conv)) x;
-- the lookback is inclusive and a touch at the conversion's instant counts before it; ties
-- between touches are ordered by channel name
SELECT attribution(ts, channel, conv, 'first_touch', '2 days') AS inclusive_first,
       attribution(ts, channel, conv, 'last_touch', '2 days') AS same_instant_last
FROM (VALUES ('2025-01-01'::timestamptz, 'old', false), ('2025-01-03', 'zeta', false),
             ('2025-01-03', 'alpha', false), ('2025-01-03', NULL, true)) v(ts, channel, conv);
-- a zero lookback credits only touches at the conversion's instant
SELECT attribution(ts, channel, conv, 'linear', '0 s')
FROM (VALUES ('2025-01-01'::timestamptz, 'a', false), ('2025-01-02', 'b', false), ('2025-01-02', NULL, true)) v(ts, channel, conv);
-- NULLs: NULL time ignores the row, NULL channel is not a touch, NULL is_conversion is false
SELECT attribution(ts, channel, conv, 'linear', '30 days')
FROM (VALUES ('2025-01-01'::timestamptz, 'a', NULL::bool), (NULL, 'b', false), ('2025-01-02', NULL, false),
             ('2025-01-03', NULL, true), (NULL, NULL, true)) v(ts, channel, conv);

-- across customers: credits per channel sum to the number of conversions
CREATE TEMP TABLE ta AS
SELECT c AS customer_id, timestamptz '2025-01-01' + (abs(hashint4(c * 100 + i)) % 3000) * interval '1 hour' AS ts,
       (ARRAY['email', 'search', 'social', 'affiliate'])[1 + abs(hashint4(c * 100 + i + 1)) % 4] AS channel,
       abs(hashint4(c * 100 + i + 2)) % 5 = 0 AS conv
FROM generate_series(1, 300) c, generate_series(1, 15) i;
SELECT model, round(sum((c).credit)::numeric, 9) AS credits, (SELECT count(*) FROM ta WHERE conv) AS conversions,
       count(DISTINCT (c).channel) AS channels
FROM (SELECT 'first_touch' AS model, unnest(attribution(ts, channel, conv, 'first_touch', '10 days')) AS c FROM ta GROUP BY customer_id
      UNION ALL
      SELECT 'last_touch', unnest(attribution(ts, channel, conv, 'last_touch', '10 days')) FROM ta GROUP BY customer_id
      UNION ALL
      SELECT 'linear', unnest(attribution(ts, channel, conv, 'linear', '10 days')) FROM ta GROUP BY customer_id
      UNION ALL
      SELECT 'position_based', unnest(attribution(ts, channel, conv, 'position_based', '10 days')) FROM ta GROUP BY customer_id
      UNION ALL
      SELECT 'time_decay', unnest(attribution(ts, channel, conv, 'time_decay', '10 days', '2 days')) FROM ta GROUP BY customer_id) x
GROUP BY model ORDER BY model;
-- the per-channel report
SELECT (c).channel, round(sum((c).credit)::numeric, 4) AS credit
FROM (SELECT unnest(attribution(ts, channel, conv, 'linear', '10 days')) AS c FROM ta GROUP BY customer_id) x
GROUP BY 1 ORDER BY 1 NULLS LAST;

-- parallel and partitionwise equal serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE ta_serial AS
SELECT customer_id, attribution(ts, channel, conv, 'time_decay', '10 days', '2 days')::text AS a FROM ta GROUP BY 1;
CREATE TABLE ta_big AS SELECT * FROM ta;
ANALYZE ta_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT customer_id, attribution(ts, channel, conv, 'linear', '10 days') FROM ta_big GROUP BY 1;
SELECT count(*) AS customers, count(*) FILTER (WHERE s.a IS NOT DISTINCT FROM q.a) AS equal
FROM ta_serial s JOIN (SELECT customer_id, attribution(ts, channel, conv, 'time_decay', '10 days', '2 days')::text AS a
                       FROM ta_big GROUP BY 1) q USING (customer_id);
RESET enable_hashagg;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
CREATE TABLE ta_part (customer_id int, ts timestamptz, channel text, conv bool) PARTITION BY RANGE (ts);
CREATE TABLE ta_part_a PARTITION OF ta_part FOR VALUES FROM ('2025-01-01') TO ('2025-02-15');
CREATE TABLE ta_part_b PARTITION OF ta_part FOR VALUES FROM ('2025-02-15') TO ('2025-06-01');
INSERT INTO ta_part SELECT * FROM ta;
ANALYZE ta_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT customer_id, attribution(ts, channel, conv, 'linear', '10 days') FROM ta_part GROUP BY 1;
SELECT count(*) AS customers, count(*) FILTER (WHERE s.a IS NOT DISTINCT FROM q.a) AS equal
FROM ta_serial s JOIN (SELECT customer_id, attribution(ts, channel, conv, 'time_decay', '10 days', '2 days')::text AS a
                       FROM ta_part GROUP BY 1) q USING (customer_id);
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;
DROP TABLE ta_serial, ta_big, ta_part;

-- bad input
SELECT attribution(now(), 'a', true, 'u_shaped', '1 day');
SELECT attribution(now(), 'a', true, NULL, '1 day');
SELECT attribution(now(), 'a', true, 'linear', NULL);
SELECT attribution(now(), 'a', true, 'linear', '-1 day');
SELECT attribution(now(), 'a', true, 'linear', '1 month');
SELECT attribution(now(), 'a', true, 'time_decay', '1 day');
SELECT attribution(now(), 'a', true, 'time_decay', '1 day', '0 s');
SELECT attribution(now(), 'a', true, 'linear', '1 day', '1 day');
SELECT attribution('infinity', 'a', true, 'linear', '1 day');
SELECT attribution(now(), repeat('x', 1001), false, 'linear', '1 day');

-- state forms
CREATE AGGREGATE pg_temp.tstate(timestamptz, text, boolean, text, interval) (
    SFUNC = attribution_trans, STYPE = touch_state, COMBINEFUNC = touch_state_merge);
SELECT pg_temp.tstate(ts, channel, conv, 'linear', '30 days') AS state FROM tj WHERE customer_id = 1;
CREATE TEMP TABLE ts_src (id int, s touch_state);
INSERT INTO ts_src VALUES
    (1, '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[0,"a \"quoted\" \\ name"],[0,"b"],[0,null],[9,"\u0001"]]}'),
    (2, '{"v":1,"model":"time_decay","lookback":0,"half_life":7,"events":[]}');
SELECT id, s::text, s::text::touch_state::text = s::text AS text_round_trip, attribution_final(s) FROM ts_src ORDER BY id;
COPY ts_src TO '/tmp/lifecycle_touch_io.bin' (FORMAT binary);
CREATE TEMP TABLE ts_dst (id int, s touch_state);
COPY ts_dst FROM '/tmp/lifecycle_touch_io.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(a.s::text = b.s::text) AS binary_round_trip,
       bool_and(touch_state_send(a.s) = touch_state_send(b.s)) AS same_bytes
FROM ts_src a JOIN ts_dst b USING (id);
SELECT '{"v":2,"model":"linear","lookback":5,"half_life":0,"events":[]}'::touch_state;
SELECT '{"v":1,"model":"u_shaped","lookback":5,"half_life":0,"events":[]}'::touch_state;
SELECT '{"v":1,"model":"linear","lookback":5,"half_life":3,"events":[]}'::touch_state;
SELECT '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[0,"b"],[0,"a"]]}'::touch_state;
SELECT '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[0,null],[0,"a"]]}'::touch_state;
SELECT '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[0,"a\q"]]}'::touch_state;
SELECT '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[0,"a]]}'::touch_state;
SELECT '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[]} x'::touch_state;
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 0, %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_touch_bad.bin');
    TRUNCATE ts_dst;
    EXECUTE format('COPY ts_dst FROM %L (FORMAT binary)', '/tmp/lifecycle_touch_bad.bin');
    RETURN (SELECT s::text FROM ts_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE TEMP TABLE good AS
SELECT touch_state_send('{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[3,"ab"],[4,null]]}') AS b;
-- bytes: 0 version, 1 model, 2-9 lookback, 10-17 half_life, 18-21 count, then ts (8), length (4), name
SELECT b AS bytes, pg_temp.recv_test(b) AS valid FROM good;
SELECT pg_temp.recv_test(set_byte(b, 0, 2)) AS version FROM good;
SELECT pg_temp.recv_test(set_byte(b, 1, 9)) AS model FROM good;
SELECT pg_temp.recv_test(set_byte(b, 17, 1)) AS half_life_outside_time_decay FROM good;
SELECT pg_temp.recv_test(set_byte(b, 21, 9)) AS count_too_high FROM good;
SELECT pg_temp.recv_test(set_byte(b, 33, 90)) AS name_length FROM good;
SELECT pg_temp.recv_test(set_byte(b, 34, 0)) AS zero_in_name FROM good;
SELECT pg_temp.recv_test(set_byte(b, 29, 9)) AS out_of_order FROM good;
SELECT pg_temp.recv_test(substring(b from 1 for length(b) - 1)) AS truncated FROM good;
SELECT pg_temp.recv_test(b || '\x00'::bytea) AS trailing_byte FROM good;
SELECT pg_temp.recv_test('\x0102'::bytea) AS too_short;
SELECT touch_state_merge('{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[]}',
                         '{"v":1,"model":"linear","lookback":6,"half_life":0,"events":[]}');
SELECT touch_state_merge('{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[1,"b"]]}',
                         '{"v":1,"model":"linear","lookback":5,"half_life":0,"events":[[0,"a"],[2,"b"],[3,null]]}') AS merged;

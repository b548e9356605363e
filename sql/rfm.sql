-- rfm_bins / rfm_score / rfm_segment and nps: exact quantile edges, ties, degenerate
-- populations, text and binary forms, bad input, parallel and partitionwise plans.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE rfm_c AS
SELECT i AS id, ((i * 7919) % 400)::float8 AS r, (i % 13)::float8 AS f,
       round(((i * 104729) % 100000) / 100.0, 2)::float8 AS m
FROM generate_series(1, 10000) i;
ANALYZE rfm_c;

-- the edges are percentile_cont's quintiles, bit for bit
SELECT rfm_bins(r, f, m) FROM rfm_c;
SELECT rfm_edges(b, 'recency') = pr AS recency_edges, rfm_edges(b, 'frequency') = pf AS frequency_edges,
       rfm_edges(b, 'monetary') = pm AS monetary_edges, rfm_customers(b)
FROM (SELECT rfm_bins(r, f, m) b,
             percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY r) pr,
             percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY f) pf,
             percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY m) pm FROM rfm_c) s;
-- quartiles
SELECT rfm_bins(r, f, m, 4) FROM rfm_c;
-- scores: 1 + edges strictly below (right-closed bins), recency reversed
WITH b AS (SELECT rfm_bins(r, f, m) b FROM rfm_c)
SELECT s.r, count(*) AS customers, min(c.r) AS min_recency, max(c.r) AS max_recency
FROM rfm_c c, b, LATERAL rfm_score(b.b, c.r, c.f, c.m) s GROUP BY 1 ORDER BY 1;
WITH b AS (SELECT rfm_bins(r, f, m) b FROM rfm_c)
SELECT s.f, count(*) AS customers, min(c.f) AS min_frequency, max(c.f) AS max_frequency
FROM rfm_c c, b, LATERAL rfm_score(b.b, c.r, c.f, c.m) s GROUP BY 1 ORDER BY 1;
-- equal values always share a score
WITH b AS (SELECT rfm_bins(r, f, m) b FROM rfm_c)
SELECT count(*) AS values_with_two_scores FROM (
    SELECT c.f FROM rfm_c c, b, LATERAL rfm_score(b.b, c.r, c.f, c.m) s
    GROUP BY c.f HAVING count(DISTINCT s.f) > 1) x;
-- segment counts
WITH b AS (SELECT rfm_bins(r, f, m) b FROM rfm_c)
SELECT s.segment, count(*) FROM rfm_c c, b, LATERAL rfm_score(b.b, c.r, c.f, c.m) s
GROUP BY 1 ORDER BY 1;
SELECT * FROM rfm_score('{"v":1,"bins":5,"customers":10,"recency":[10,20,30,40],"frequency":[1,2,3,4],"monetary":[10,20,30,40]}',
                        5, 4.5, 30);
SELECT * FROM rfm_score('{"v":1,"bins":10,"customers":10,"recency":[1,2,3,4,5,6,7,8,9],"frequency":[1,2,3,4,5,6,7,8,9],"monetary":[1,2,3,4,5,6,7,8,9]}',
                        0, 9.5, 5);
SELECT * FROM rfm_score('{"v":1,"bins":4,"customers":10,"recency":[1,2,3],"frequency":[1,2,3],"monetary":[1,2,3]}',
                        2, 2, 2);

-- the raw-value segment form agrees with rfm_score
WITH b AS (SELECT rfm_bins(r, f, m) b FROM rfm_c)
SELECT count(*) AS customers, count(*) FILTER (WHERE rfm_segment(b.b, c.r, c.f) = s.segment) AS same_segment
FROM rfm_c c, b, LATERAL rfm_score(b.b, c.r, c.f, c.m) s;
SELECT rfm_segment('{"v":1,"bins":4,"customers":10,"recency":[1,2,3],"frequency":[1,2,3],"monetary":[1,2,3]}', 1, 1);

-- the R x F map: all 25 cells, each mapped once; cell counts 4,4,2,2,1,4,1,1,4,2
SELECT f, string_agg(r || ':' || rfm_segment(r, f), ', ' ORDER BY r) AS r_1_to_5
FROM generate_series(1, 5) r, generate_series(1, 5) f GROUP BY f ORDER BY f;
SELECT rfm_segment(r, f) AS segment, count(*) AS cells
FROM generate_series(1, 5) r, generate_series(1, 5) f GROUP BY 1 ORDER BY 1;

-- degenerate populations
-- all customers equal: every edge is that value; F = M = 1 and R = 5 (the lowest bin
-- holding the value, reversed for recency)
SELECT b, (rfm_score(b, 7, 3, 50)).* FROM (SELECT rfm_bins(7, 3, 50) b FROM generate_series(1, 100)) s;
-- fewer customers than bins: the interpolated edges spread them over the range
SELECT (rfm_score(b, x, x, x)).* FROM (SELECT rfm_bins(x, x, x) b FROM generate_series(1, 3) x) s,
     generate_series(1, 3) x;
-- one customer
SELECT rfm_bins(1, 2, 3);
-- rows with a NULL are skipped; no rows: NULL
SELECT rfm_bins(r, f, m) FROM (VALUES (1, 2, 3), (NULL, 1, 1), (4, NULL, 1), (4, 5, NULL)) v(r, f, m);
SELECT rfm_bins(r, f, m) IS NULL AS empty_is_null FROM rfm_c WHERE false;

-- bad input
SELECT rfm_bins(r, f, m, 1) FROM rfm_c;
SELECT rfm_bins(r, f, m, 101) FROM rfm_c;
SELECT rfm_bins(r, f, m, (id % 2) + 4) FROM rfm_c;
SELECT rfm_bins('NaN', 1, 1);
SELECT rfm_bins(1, 'Infinity', 1);
SELECT rfm_bins(1, 1, '-Infinity');
SELECT rfm_score('{"v":1,"bins":5,"customers":1,"recency":[1,1,1,1],"frequency":[1,1,1,1],"monetary":[1,1,1,1]}', 'NaN', 1, 1);
SELECT rfm_segment(0, 3);
SELECT rfm_segment(3, 6);
SELECT rfm_edges('{"v":1,"bins":5,"customers":1,"recency":[1,1,1,1],"frequency":[1,1,1,1],"monetary":[1,1,1,1]}', 'value');

-- text forms: exact round trips, strict input
SELECT b::text::rfm_bins::text = b::text AS rfm_bins_round_trip FROM (SELECT rfm_bins(r / 3, f, m / 7) b FROM rfm_c) s;
SELECT '{"v":1,"bins":2,"customers":3,"recency":[0.1],"frequency":[-0],"monetary":[1e-300]}'::rfm_bins;
SELECT '{"v":1,"bins":5,"recency":[[1,2],[3,1]],"frequency":[[1,3]],"monetary":[[0.5,1],[2,2]]}'::rfm_bins_state;
SELECT rfm_bins_merge('{"v":1,"bins":5,"recency":[[1,2]],"frequency":[[1,2]],"monetary":[[0.5,2]]}',
                      '{"v":1,"bins":5,"recency":[[1,1],[3,1]],"frequency":[[2,2]],"monetary":[[0.5,1],[2,1]]}');
SELECT rfm_bins_merge('{"v":1,"bins":5,"recency":[[1,2]],"frequency":[[1,2]],"monetary":[[0.5,2]]}',
                      '{"v":1,"bins":4,"recency":[[1,1]],"frequency":[[2,1]],"monetary":[[0.5,1]]}');
SELECT '{"v":1,"bins":5,"customers":3,"recency":[1,2,3],"frequency":[1,2,3,4],"monetary":[1,2,3,4]}'::rfm_bins;
SELECT '{"v":1,"bins":5,"customers":3,"recency":[1,2,3,4],"frequency":[1,2,3,4],"monetary":[1,2,3,4],}'::rfm_bins;
SELECT '{"v":1,"bins":5,"customers":0,"recency":[1,2,3,4],"frequency":[1,2,3,4],"monetary":[1,2,3,4]}'::rfm_bins;
SELECT '{"v":1,"bins":5,"customers":3,"recency":[1,2,4,3],"frequency":[1,2,3,4],"monetary":[1,2,3,4]}'::rfm_bins;
SELECT '{"v":1,"bins":1,"customers":3,"recency":[],"frequency":[],"monetary":[]}'::rfm_bins;
SELECT '{"v":2,"bins":5,"customers":3,"recency":[1,2,3,4],"frequency":[1,2,3,4],"monetary":[1,2,3,4]}'::rfm_bins;
SELECT '{"v":1,"bins":5,"recency":[[1,2]],"frequency":[[1,1]],"monetary":[[0.5,2]]}'::rfm_bins_state;
SELECT '{"v":1,"bins":5,"recency":[[1,0]],"frequency":[[1,0]],"monetary":[[0.5,0]]}'::rfm_bins_state;
SELECT '{"v":1,"bins":5,"recency":[[3,1],[1,1]],"frequency":[[1,2]],"monetary":[[0.5,2]]}'::rfm_bins_state;
SELECT '{"v":1,"bins":5,"monetary":[[0.5,2]],"recency":[[1,2]],"frequency":[[1,2]]}'::rfm_bins_state;

-- binary round trips through COPY (FORMAT binary)
CREATE TABLE rfm_src AS SELECT id % 5 AS g, rfm_bins(r, f, m, 3 + id % 5) AS b FROM rfm_c GROUP BY 1;
COPY rfm_src TO '/tmp/lifecycle_rfm_io.bin' (FORMAT binary);
CREATE TABLE rfm_dst (g int, b rfm_bins);
COPY rfm_dst FROM '/tmp/lifecycle_rfm_io.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(s.b::text = d.b::text) AS binary_round_trip,
       bool_and(rfm_bins_send(s.b) = rfm_bins_send(d.b)) AS same_bytes
FROM rfm_src s JOIN rfm_dst d USING (g);
SELECT rfm_bins_send('{"v":1,"bins":2,"customers":3,"recency":[1.5],"frequency":[2],"monetary":[3]}');
CREATE FUNCTION pg_temp.recv_test(bytes bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1, %L::bytea) TO %L (FORMAT binary)', bytes, '/tmp/lifecycle_rfm_bad.bin');
    TRUNCATE rfm_dst;
    EXECUTE format('COPY rfm_dst FROM %L (FORMAT binary)', '/tmp/lifecycle_rfm_bad.bin');
    RETURN (SELECT b::text FROM rfm_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test(decode('01000000020000000000000003' || '3ff8000000000000' || '4000000000000000' || '4008000000000000', 'hex'));  -- valid
SELECT pg_temp.recv_test(decode('02000000020000000000000003' || '3ff8000000000000' || '4000000000000000' || '4008000000000000', 'hex'));  -- version
SELECT pg_temp.recv_test(decode('01000000020000000000000003' || '3ff8000000000000' || '4000000000000000' || '40080000000000', 'hex'));  -- truncated
SELECT pg_temp.recv_test(decode('01000000020000000000000003' || '3ff8000000000000' || '4000000000000000' || '400800000000000000', 'hex'));  -- trailing
SELECT pg_temp.recv_test(decode('01000000650000000000000003' || '3ff8000000000000' || '4000000000000000' || '4008000000000000', 'hex'));  -- 101 bins
SELECT pg_temp.recv_test(decode('01000000020000000000000000' || '3ff8000000000000' || '4000000000000000' || '4008000000000000', 'hex'));  -- no customers
SELECT pg_temp.recv_test(decode('01000000020000000000000003' || '7ff8000000000000' || '4000000000000000' || '4008000000000000', 'hex'));  -- NaN edge
SELECT pg_temp.recv_test(decode('01000000030000000000000003' || '4000000000000000' || '3ff8000000000000' || '4000000000000000'
                                || '4000000000000000' || '4008000000000000' || '4008000000000000', 'hex'));  -- decreasing edges
SELECT pg_temp.recv_test(decode('0100000002', 'hex'));  -- too short

-- nps: 100 x (promoters 9-10 - detractors 0-6) / answers
SELECT nps(s) FROM (VALUES (10), (9), (8), (7), (6), (0), (NULL)) v(s);
SELECT nps(s) FROM generate_series(0, 10) s;
SELECT nps(10), nps(0) FROM generate_series(1, 3);
SELECT nps(s) IS NULL AS empty_is_null FROM generate_series(0, 10) s WHERE false;
SELECT nps(s) FROM (VALUES (11)) v(s);
SELECT nps(s) FROM (VALUES (-1)) v(s);
SELECT nps_merge('{"v":1,"scores":[[0,1],[10,2]]}', '{"v":1,"scores":[[5,1],[10,1]]}');
SELECT '{"v":1,"scores":[[11,1]]}'::nps_state;
SELECT '{"v":1,"scores":[[1.5,1]]}'::nps_state;
SELECT '{"v":1,"scores":[[5,0]]}'::nps_state;
SELECT '{"v":1,"scores":[[5,1],[5,1]]}'::nps_state;
SELECT nps_state_send('{"v":1,"scores":[[9,3]]}');

-- parallel: Finalize / Gather / Partial, results equal a serial run
CREATE TABLE rfm_big AS
SELECT i AS id, ((i * 7919) % 1000)::float8 AS r, (i % 17)::float8 AS f,
       ((i::bigint * 104729) % 1000003) / 100.0 AS m, (i * 7) % 11 AS answer
FROM generate_series(1, 60000) i;
ANALYZE rfm_big;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE rfm_serial AS SELECT rfm_bins(r, f, m) b, nps(answer) n FROM rfm_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT rfm_bins(r, f, m), nps(answer) FROM rfm_big;
SELECT (SELECT rfm_bins(r, f, m) FROM rfm_big)::text = b::text AS parallel_bins_equal_serial,
       (SELECT nps(answer) FROM rfm_big) = n AS parallel_nps_equals_serial
FROM rfm_serial;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- partitionwise aggregate: partial states per partition, combined
CREATE TABLE rfm_part (id int, r float8, f float8, m float8, answer int) PARTITION BY RANGE (id);
CREATE TABLE rfm_part_a PARTITION OF rfm_part FOR VALUES FROM (1) TO (30001);
CREATE TABLE rfm_part_b PARTITION OF rfm_part FOR VALUES FROM (30001) TO (60001);
INSERT INTO rfm_part SELECT * FROM rfm_big;
ANALYZE rfm_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT rfm_bins(r, f, m), nps(answer) FROM rfm_part;
SELECT (SELECT rfm_bins(r, f, m) FROM rfm_part)::text = b::text AS partitionwise_bins_equal_serial,
       (SELECT nps(answer) FROM rfm_part) = n AS partitionwise_nps_equals_serial
FROM rfm_serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP TABLE rfm_c, rfm_src, rfm_dst, rfm_big, rfm_serial, rfm_part;

-- BG/NBD and Gamma-Gamma: small exact fits, the state's text and binary forms, bad
-- input with SQLSTATEs, parallel and partitionwise plans equal to serial.
SET extra_float_digits = 0;
CREATE TABLE bt (x float8, tx float8, t float8, m float8);
INSERT INTO bt VALUES (2, 30.43, 38.86, 22.35), (1, 1.71, 38.86, 11.77), (0, 0, 38.86, 0),
    (0, 0, 38.86, 0), (7, 29.43, 38.86, 73.74), (1, 5.0, 38.86, 11.77), (3, 20, 35, 20),
    (0, 0, 30, 0), (2, 10, 32, 15), (5, 31, 33, 30), (1, 2, 20, 9), (0, 0, 12, 0);
-- the state: distinct summaries with counts (two identical rows collapse)
SELECT bgnbd_fit_final(NULL) IS NULL AS empty_is_null;
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a,
       round(b::numeric, 4) b, round(log_likelihood::numeric, 4) ll, customers, converged
FROM (SELECT (bgnbd_fit(x, tx, t)).* FROM bt) f;
-- a penalizer shrinks the parameters towards 0
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a,
       round(b::numeric, 4) b, customers, converged
FROM (SELECT (bgnbd_fit(x, tx, t, 0.1)).* FROM bt) f;
-- Gamma-Gamma uses repeat buyers only (frequency 0 rows are skipped); 8 customers do
-- not pin its three parameters down (the likelihood keeps rising as p grows and v
-- shrinks), and the fit says so instead of pretending
SELECT customers, converged FROM (SELECT (gamma_gamma_fit(x, m)).* FROM bt) f;
-- NULL rows are skipped; no usable rows: NULL model
SELECT (bgnbd_fit(x, tx, t)).customers FROM (SELECT * FROM bt UNION ALL SELECT NULL, 1, 2, 3) s;
SELECT bgnbd_fit(x, tx, t) IS NULL AS no_rows FROM bt WHERE false;
SELECT gamma_gamma_fit(x, m) IS NULL AS no_repeat_buyers FROM bt WHERE x = 0;

-- predictions on the published CDNOW model (REFERENCE.md §8 B)
CREATE TABLE bm AS SELECT ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL)::bgnbd_model AS m,
                          ROW(6.25, 3.74, 15.44, NULL, NULL, NULL)::gamma_gamma_model AS g;
SELECT round(p_alive(m, 2, 30.43, 38.86)::numeric, 6) AS p_alive_1,
       p_alive(m, 0, 0, 38.86) AS p_alive_no_repeat,
       round(expected_purchases(m, 39)::numeric, 6) AS new_customer_39w,
       round(expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 6) AS customer_1_39w,
       round(purchase_probability(m, 0, 39)::numeric, 6) AS p_none_39w,
       round(expected_spend(g, 2, 22.35)::numeric, 4) AS spend_1,
       round(expected_spend(g, 0, 0)::numeric, 4) AS spend_new,
       round(customer_value(m, g, 2, 30.43, 38.86, 22.35, 52, 0.01, 52 / 12.0)::numeric, 4) AS clv_1
FROM bm;
-- extreme but valid histories: finite answers
SELECT p_alive(m, 5000, 100, 100) > 0.99 AS busy_alive,
       expected_purchases(m, 52, 5000, 100, 100) > 1000 AS busy_expected,
       p_alive(m, 5000, 1, 100000) < 1e-10 AS long_gone,
       expected_purchases(m, 52, 1, 0, 0) >= 0 AS age_zero,
       expected_purchases(m, 0, 3, 10, 20) = 0 AS zero_horizon,
       abs(log_likelihood(m, 2000, 90, 100)) < 1e6 AS big_x_ll
FROM bm;

-- the state's text and binary forms
SELECT '{"v":1,"model":"bgnbd","penalizer":0,"cells":[[0,0,30,2],[1,5,38.86,1]]}'::btyd_cells;
SELECT '{"v":1,"model":"bgnbd","penalizer":0.5,"cells":[[1,5,38.86,1],[0,0,30,2],[1,5,38.86,3]]}'::btyd_cells;
SELECT bgnbd_fit_final('{"v":1,"model":"bgnbd","penalizer":0,"cells":[[0,0,30,2],[1,5,38.86,1]]}') IS NOT NULL AS fits_from_text;
SELECT '{"v":1,"model":"gamma_gamma","penalizer":0,"cells":[[2,22.35,0,1]]}'::btyd_cells;
SELECT '{"v":2,"model":"bgnbd","penalizer":0,"cells":[]}'::btyd_cells;
SELECT '{"v":1,"model":"pareto","penalizer":0,"cells":[]}'::btyd_cells;
SELECT '{"v":1,"model":"bgnbd","penalizer":-1,"cells":[]}'::btyd_cells;
SELECT '{"v":1,"model":"bgnbd","penalizer":0,"cells":[[1,40,30,1]]}'::btyd_cells;
SELECT '{"v":1,"model":"bgnbd","penalizer":0,"cells":[[1.5,4,30,1]]}'::btyd_cells;
SELECT '{"v":1,"model":"bgnbd","penalizer":0,"cells":[[1,4,30,0]]}'::btyd_cells;
SELECT '{"v":1,"model":"gamma_gamma","penalizer":0,"cells":[[2,-1,0,1]]}'::btyd_cells;
SELECT '{"v":1,"model":"bgnbd","penalizer":0,"cells":[[1,4,30]]}'::btyd_cells;
CREATE TABLE bcells (s btyd_cells);
INSERT INTO bcells VALUES ('{"v":1,"model":"bgnbd","penalizer":0,"cells":[[0,0,30,2],[1,5,38.86,1]]}'),
    ('{"v":1,"model":"gamma_gamma","penalizer":0.25,"cells":[[2,22.35,0,1],[3,1e-300,0,7]]}');
COPY bcells TO '/tmp/lifecycle_btyd_cells.bin' WITH (FORMAT binary);
CREATE TABLE bcells2 (s btyd_cells);
COPY bcells2 FROM '/tmp/lifecycle_btyd_cells.bin' WITH (FORMAT binary);
SELECT count(*) AS binary_round_trips FROM bcells a JOIN bcells2 b ON a.s::text = b.s::text;

-- bad input: each with its SQLSTATE
\set VERBOSITY sqlstate
SELECT bgnbd_fit(-1, 0, 5) FROM bt;
SELECT bgnbd_fit(1.5, 1, 5) FROM bt;
SELECT bgnbd_fit(2, 6, 5) FROM bt;
SELECT bgnbd_fit(0, 1, 5) FROM bt;
SELECT bgnbd_fit('NaN', 0, 5) FROM bt;
SELECT bgnbd_fit(1, 1, 'Infinity') FROM bt;
SELECT bgnbd_fit(x, tx, t, -0.1) FROM bt;
SELECT bgnbd_fit(x, tx, t, CASE WHEN x = 0 THEN 0 ELSE 0.1 END) FROM bt;
SELECT gamma_gamma_fit(2, 0) FROM bt;
SELECT gamma_gamma_fit(2, -5) FROM bt;
SELECT gamma_gamma_fit(2, 'NaN') FROM bt;
SELECT p_alive(ROW(-1, 4, 0.8, 2.4, NULL, NULL, NULL)::bgnbd_model, 1, 1, 2);
SELECT p_alive(ROW(NULL, 4, 0.8, 2.4, NULL, NULL, NULL)::bgnbd_model, 1, 1, 2);
SELECT p_alive(ROW('NaN', 4, 0.8, 2.4, NULL, NULL, NULL)::bgnbd_model, 1, 1, 2);
SELECT p_alive(m, 1, 3, 2) FROM bm;
SELECT expected_purchases(m, -1) FROM bm;
SELECT expected_purchases(ROW(0.2, 4, 1, 2.4, NULL, NULL, NULL)::bgnbd_model, 10);
SELECT purchase_probability(m, -1, 10) FROM bm;
SELECT expected_spend(ROW(6, 0.5, 15, NULL, NULL, NULL)::gamma_gamma_model, 0, 0);
SELECT customer_value(m, g, 2, 30.43, 38.86, 22.35, 52, 0.01, 0) FROM bm;
SELECT customer_value(m, g, 2, 30.43, 38.86, 22.35, 52, -0.01, 4) FROM bm;
SELECT customer_value(m, g, 2, 30.43, 38.86, 0, 52, 0.01, 4) FROM bm;
\set VERBOSITY default

-- parallel and partitionwise: the same model as a serial run
CREATE TABLE bt_big AS
SELECT (btyd_summary(customer_profile(ordered_at, amount), date '2025-12-31')).*
FROM demo_orders(5000, 21) GROUP BY customer_id;
ANALYZE bt_big;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE bt_serial AS SELECT bgnbd_fit(frequency, recency, t) m, gamma_gamma_fit(frequency, monetary) g FROM bt_big;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT bgnbd_fit(frequency, recency, t) FROM bt_big;
SELECT (SELECT bgnbd_fit(frequency, recency, t)::text FROM bt_big) = m::text AS parallel_bgnbd_equals_serial,
       (SELECT gamma_gamma_fit(frequency, monetary)::text FROM bt_big) = g::text AS parallel_gg_equals_serial
FROM bt_serial;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
CREATE TABLE bt_part (LIKE bt_big) PARTITION BY RANGE (t);
CREATE TABLE bt_part_a PARTITION OF bt_part FOR VALUES FROM (MINVALUE) TO (80);
CREATE TABLE bt_part_b PARTITION OF bt_part FOR VALUES FROM (80) TO (MAXVALUE);
INSERT INTO bt_part SELECT * FROM bt_big;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT bgnbd_fit(frequency, recency, t) FROM bt_part;
SELECT (SELECT bgnbd_fit(frequency, recency, t)::text FROM bt_part) = m::text AS partitionwise_equals_serial
FROM bt_serial;
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;
DROP TABLE bt, bm, bcells, bcells2, bt_big, bt_serial, bt_part;

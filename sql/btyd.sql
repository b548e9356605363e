-- BTYD: btyd_histogram text and binary forms, fits on a small fixed data set,
-- predictions on fixed models, bad input (messages and hints)
SET TimeZone = 'UTC';
SET DateStyle = ISO;
SET extra_float_digits = 0;

CREATE TABLE btyd_t (customer int, frequency int, recency float8, t float8, monetary float8);
INSERT INTO btyd_t VALUES
 (1, 0, 0, 10, 0), (2, 0, 0, 10, 0), (3, 2, 5, 10, 12.5), (4, 2, 5, 10, 30), (5, 1, 9.5, 12, 8),
 (6, 5, 11, 12, 20), (7, 0, 0, 12, 0), (8, 3, 2, 12, 15.25), (9, 1, 0.5, 4, 100), (10, 0, 0, 4, 0);

-- canonical text form: cells sorted by (frequency, t, recency), equal cells merged
SELECT bgnbd_histogram(frequency, recency, t) FROM btyd_t;
SELECT gamma_gamma_histogram(frequency, monetary) FROM btyd_t;
SELECT bgbb_histogram(x, tx, 6, w) FROM (VALUES (0, 0, 10), (1, 1, 5), (1, 1, 2.5), (6, 6, 3)) v(x, tx, w);
SELECT pareto_nbd_histogram(frequency, recency, t, 0.25) FROM btyd_t;
-- text round trip, whitespace accepted, order-independent input rejected unless ascending
SELECT h::text = h::text::btyd_histogram::text AS round_trip FROM (SELECT bgnbd_histogram(frequency, recency, t) h FROM btyd_t) s;
SELECT ' { "kind" : "bgnbd" , "penalizer" : 0 , "cells" : [ [0, 0, 4, 1] ] } '::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[]}'::btyd_histogram;
-- binary form and round trip through COPY (FORMAT binary)
SELECT btyd_histogram_send('{"kind":"bgnbd","penalizer":0.5,"cells":[[1,2,3,2]]}');
CREATE TABLE btyd_io_src AS SELECT bgnbd_histogram(frequency, recency, t) h FROM btyd_t
    UNION ALL SELECT gamma_gamma_histogram(frequency, monetary) FROM btyd_t;
CREATE TABLE btyd_io_dst (h btyd_histogram);
COPY btyd_io_src TO '/tmp/lifecycle_btyd_io.bin' (FORMAT binary);
COPY btyd_io_dst FROM '/tmp/lifecycle_btyd_io.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(s.h::text = d.h::text) AS binary_round_trip
FROM (SELECT h, row_number() OVER () n FROM btyd_io_src) s JOIN (SELECT h, row_number() OVER () n FROM btyd_io_dst) d USING (n);

-- corrupt text input: 22P02 syntax, 22023 values
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[0,0,4,1]'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[0,0,4,1]]} x'::btyd_histogram;
SELECT '{"kind":"weibull","penalizer":0,"cells":[]}'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":-1,"cells":[]}'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[1,2,4,1],[0,0,4,1]]}'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[0,0,4,1],[0,0,4,1]]}'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[1,5,4,1]]}'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[1,1,4,0]]}'::btyd_histogram;
SELECT '{"kind":"bgnbd","penalizer":0,"cells":[[1,1,4,1e999]]}'::btyd_histogram;
SELECT '{"kind":"gamma_gamma","penalizer":0,"cells":[[2,-3,0,1]]}'::btyd_histogram;
-- corrupt binary input: 22P03
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_btyd_bad.bin');
    TRUNCATE btyd_io_dst;
    EXECUTE format('COPY btyd_io_dst (h) FROM %L (FORMAT binary)', '/tmp/lifecycle_btyd_bad.bin');
    RETURN (SELECT h::text FROM btyd_io_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test(('\x0101013fe0000000000000000000013ff000000000000040000000000000004008000000000000' || '4000000000000000')::bytea);  -- valid
SELECT pg_temp.recv_test(('\x0201013fe0000000000000000000013ff000000000000040000000000000004008000000000000' || '4000000000000000')::bytea);  -- version
SELECT pg_temp.recv_test(('\x0109013fe0000000000000000000013ff000000000000040000000000000004008000000000000' || '4000000000000000')::bytea);  -- kind
SELECT pg_temp.recv_test(('\x0101013fe0000000000000000000023ff000000000000040000000000000004008000000000000' || '4000000000000000')::bytea);  -- count
SELECT pg_temp.recv_test(('\x0101013fe0000000000000000000013ff000000000000040000000000000004008000000000000' || '40000000000000')::bytea);  -- truncated
SELECT pg_temp.recv_test(('\x0101013fe0000000000000000000013ff800000000000040000000000000004008000000000000' || '4000000000000000')::bytea);  -- x = 1.5
SELECT pg_temp.recv_test(('\x010101bfe0000000000000000000013ff000000000000040000000000000004008000000000000' || '4000000000000000')::bytea);  -- penalizer < 0
SELECT pg_temp.recv_test('\x0101');  -- too short

-- fits on the small data set (rounded; converged flags and counts)
-- (too few customers to identify a and b: the fit says converged = false, numbers stay finite)
SELECT (m).customers, (m).converged, (m).r > 0 AND (m).a < 'infinity' AND (m).b < 'infinity' AS finite,
       (m).r_se IS NULL AS no_standard_errors
FROM (SELECT bgnbd_fit(frequency, recency, t) m FROM btyd_t) s;
SELECT round((m).p::numeric, 3) p, round((m).q::numeric, 3) q, round((m).gamma::numeric, 3) gamma,
       (m).customers, (m).converged
FROM (SELECT gamma_gamma_fit(frequency, monetary) m FROM btyd_t) s;
SELECT round(btyd_log_likelihood(bgnbd_histogram(frequency, recency, t), '{0.243,4.414,0.793,2.426}')::numeric, 6) FROM btyd_t;
SELECT btyd_log_likelihood(bgnbd_histogram(frequency, recency, t), '{1,2,3}') FROM btyd_t;
SELECT btyd_log_likelihood(bgnbd_histogram(frequency, recency, t), '{1,2,3,-4}') FROM btyd_t;

-- predictions on the published CDNOW btyd_models (FHL 2005 BG/NBD, Pareto/NBD; FH 2013 Gamma-Gamma)
CREATE TABLE btyd_models AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, true, NULL, NULL, NULL, NULL)::bgnbd_model bg,
       ROW(0.525, 6.183, 0.891, 1.614, NULL, 2357, true, NULL, NULL, NULL, NULL)::mbgnbd_model mbg,
       ROW(0.553, 10.578, 0.606, 11.669, NULL, 2357, true, NULL, NULL, NULL, NULL)::pareto_nbd_model pn,
       ROW(1.204, 0.750, 0.657, 2.783, NULL, 11104, true, NULL, NULL, NULL, NULL)::bgbb_model bb,
       ROW(6.25, 3.74, 15.44, NULL, 946, true, NULL, NULL, NULL)::gamma_gamma_model gg;
SELECT x, tx, t, round(p_alive(bg, x, tx, t)::numeric, 6) bg_alive, round(expected_purchases(bg, 39, x, tx, t)::numeric, 6) bg_e39,
       round(p_alive(mbg, x, tx, t)::numeric, 6) mbg_alive, round(p_alive(pn, x, tx, t)::numeric, 6) pn_alive,
       round(expected_purchases(pn, 39, x, tx, t)::numeric, 6) pn_e39, round(dert(pn, ln(1.15) / 52, x, tx, t)::numeric, 4) pn_dert
FROM btyd_models, (VALUES (0, 0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 29.43, 38.86), (0, 0, 0), (5, 5, 5)) v(x, tx, t);
SELECT round(expected_purchases(bg, 39)::numeric, 6) bg, round(expected_purchases(mbg, 39)::numeric, 6) mbg,
       round(expected_purchases(pn, 39)::numeric, 6) pn, round(expected_purchases(bb, 5)::numeric, 6) bb
FROM btyd_models;
SELECT n, round(purchase_probability(bg, n, 39)::numeric, 6) bg, round(purchase_probability(bb, n, 6)::numeric, 6) bb
FROM btyd_models, generate_series(0, 7) n;
SELECT x, tx, round(p_alive(bb, x, tx, 6)::numeric, 6) alive, round(expected_purchases(bb, 5, x, tx, 6)::numeric, 6) e5
FROM btyd_models, (VALUES (0, 0), (1, 1), (1, 6), (3, 4), (6, 6)) v(x, tx);
SELECT round(expected_spend(gg, 0, 0)::numeric, 4) population, round(expected_spend(gg, 2, 22.35)::numeric, 4) c1,
       round(expected_spend(gg, 10, 100)::numeric, 4) big FROM btyd_models;
-- value of customer 1 over 52 weeks, monthly steps of 4.345 weeks, 1 % a month; then undiscounted
SELECT round(customer_value(bg, gg, 2, 30.43, 38.86, 22.35, 52, 0.01, 4.345)::numeric, 4) bg_value,
       round(customer_value(pn, gg, 2, 30.43, 38.86, 22.35, 52, 0.01, 4.345)::numeric, 4) pn_value,
       round(customer_value(bg, gg, 2, 30.43, 38.86, 22.35, 52, 0, 52)::numeric, 4) bg_undiscounted,
       round((expected_spend(gg, 2, 22.35) * expected_purchases(bg, 52, 2, 30.43, 38.86))::numeric, 4) spend_times_purchases
FROM btyd_models;

-- bad input: message and hint
SELECT bgnbd_fit(-1, 0, 10);
SELECT bgnbd_fit(2.5, 1, 10);
SELECT bgnbd_fit(2, 11, 10);
SELECT bgnbd_fit('NaN', 0, 10);
SELECT bgnbd_fit(2, 1, 10, -1);
SELECT gamma_gamma_fit(2, 0);
SELECT bgbb_fit(3, 2, 6);
SELECT p_alive(ROW(0.243, -4.414, 0.793, 2.426, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::bgnbd_model, 1, 1, 2);
SELECT expected_spend(ROW(6.25, 1, 15.44, NULL, NULL, NULL, NULL, NULL, NULL)::gamma_gamma_model, 1, 10);
SELECT expected_purchases(bb, 2.5) FROM btyd_models;
SELECT purchase_probability(pn, 1, 10) FROM btyd_models;
SELECT customer_value(bg, gg, 2, 30, 38, 22, 52, 0.01, 0) FROM btyd_models;

DROP TABLE btyd_t, btyd_io_src, btyd_io_dst, btyd_models;

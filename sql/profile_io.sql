-- customer_profile text and binary forms: exact round trips, strict validation
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- canonical text; whitespace is accepted on input, never produced
SELECT '{"v":1,"days":[["2024-01-03",2,2,12.5],["2024-02-10",1,0,0]]}'::customer_profile;
SELECT ' { "v" : 1 , "days" : [ [ "2024-01-03" , 2 , 1 , -0.1 ] ] } '::customer_profile;
-- the text is valid JSON
SELECT ('{"v":1,"days":[["2024-01-03",2,2,12.5]]}'::customer_profile)::text::jsonb -> 'days' -> 0 ->> 0 AS first_day;

-- exact float round trip, independent of extra_float_digits
SET extra_float_digits = -15;
SELECT '{"v":1,"days":[["2024-01-03",3,3,0.30000000000000004],["2024-01-04",1,1,1e+300],["2024-01-05",1,1,5e-324]]}'::customer_profile;
SELECT p::text::customer_profile::text = p::text AS text_round_trip
FROM (SELECT customer_profile(d, a) p
      FROM (SELECT date '2000-01-01' + i, 1 / (i + 3.0)::float8 FROM generate_series(0, 400) i) v(d, a)) s;
RESET extra_float_digits;

-- the empty profile (no purchase yet; the aggregates' initial value)
SELECT p, first_purchase(p), last_purchase(p), purchase_days(p), transactions(p), total_spend(p),
       recency(p, date '2024-01-01'), btyd_summary(p, date '2024-01-01'), next_purchase_due(p),
       lifecycle_stage(p, date '2024-01-01'), customer_profile_send(p),
       customer_profile_merge(p, '{"v":1,"days":[["2024-01-03",1,0,0]]}')
FROM (SELECT '{"v":1,"days":[]}'::customer_profile p) s;
SELECT '{"v":1,"days":[ ] } x'::customer_profile;

-- extreme days
SELECT '{"v":1,"days":[["0001-01-01",1,0,0],["294276-12-31",1,0,0]]}'::customer_profile;

-- binary round trip through COPY (FORMAT binary): send and recv
CREATE TABLE io_src AS
SELECT i AS id, customer_profile(date '2020-01-01' + (i * j) % 97, (i + j) / 7.0::float8) AS p
FROM generate_series(1, 20) i, generate_series(1, 30) j GROUP BY i;
COPY io_src TO '/tmp/lifecycle_profile_io.bin' (FORMAT binary);
CREATE TABLE io_dst (id int, p customer_profile);
COPY io_dst FROM '/tmp/lifecycle_profile_io.bin' (FORMAT binary);
SELECT count(*) AS rows, bool_and(s.p::text = d.p::text) AS binary_round_trip,
       bool_and(customer_profile_send(s.p) = customer_profile_send(d.p)) AS same_bytes
FROM io_src s JOIN io_dst d USING (id);
SELECT customer_profile_send('{"v":1,"days":[["2000-01-02",2,1,1.5]]}');

-- malformed text: 22P02
SELECT ''::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",2,2,12.5]'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",2,2,12.5]]} x'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",2,2]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-1-03",2,2,1]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",2,2,NaN]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",2,2,0x10]]}'::customer_profile;
SELECT '{"days":[["2024-01-03",2,2,1]],"v":1}'::customer_profile;
-- inconsistent values: 22023
SELECT '{"v":2,"days":[["2024-01-03",2,2,12.5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-02-10",1,1,1],["2024-01-03",2,2,12.5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",1,1,1],["2024-01-03",2,2,12.5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",-1,0,0]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",0,0,0]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",1,2,5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",1,-1,5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",1,0,5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-02-30",1,1,5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",99999999999,1,5]]}'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",1,1,1e400]]}'::customer_profile;

-- corrupt binary input: 22P03 (bytes written as a bytea field, read back as a profile)
CREATE FUNCTION pg_temp.recv_test(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_profile_bad.bin');
    TRUNCATE io_dst;
    EXECUTE format('COPY io_dst (p) FROM %L (FORMAT binary)', '/tmp/lifecycle_profile_bad.bin');
    RETURN (SELECT p::text FROM io_dst);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT pg_temp.recv_test('\x01000000010000000100000002000000013ff8000000000000');  -- valid
SELECT pg_temp.recv_test('\x02000000010000000100000002000000013ff8000000000000');  -- unknown version
SELECT pg_temp.recv_test('\x01000000010000000100000002000000013ff800000000');  -- truncated
SELECT pg_temp.recv_test('\x01000000010000000100000002000000013ff800000000000000');  -- trailing byte
SELECT pg_temp.recv_test('\x01000000020000000100000002000000013ff8000000000000');  -- count too high
SELECT pg_temp.recv_test('\x01000000000000000100000002000000013ff8000000000000');  -- zero days
SELECT pg_temp.recv_test('\x01000000010000000100000002000000033ff8000000000000');  -- priced > transactions
SELECT pg_temp.recv_test('\x01000000010000000100000000000000000000000000000000');  -- no transactions
SELECT pg_temp.recv_test('\x01000000010000000100000002000000017ff8000000000000');  -- NaN spend
SELECT pg_temp.recv_test('\x01000000010000000100000002000000003ff8000000000000');  -- spend without priced rows
SELECT pg_temp.recv_test('\x01000000017fffffff00000001000000013ff0000000000000');  -- day out of range
SELECT pg_temp.recv_test('\x01000000020000000500000001000000013ff00000000000000000000100000001000000013ff0000000000000');  -- descending days
SELECT pg_temp.recv_test('\x01000000020000000500000001000000013ff00000000000000000000500000001000000013ff0000000000000');  -- repeated day
SELECT pg_temp.recv_test('\x01ffffffff');  -- negative count

DROP TABLE io_src, io_dst;

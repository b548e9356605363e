-- bad input: an error with a specific SQLSTATE and hint, or a documented answer
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set VERBOSITY default

-- NaN and infinite amounts: error 22023
SELECT customer_profile(ts, a) FROM (VALUES (timestamptz '2024-01-01', 'NaN'::float8)) v(ts, a);
SELECT customer_profile(ts, a) FROM (VALUES (timestamptz '2024-01-01', 'Infinity'::float8)) v(ts, a);
SELECT customer_profile(ts, a) FROM (VALUES (timestamptz '2024-01-01', '-Infinity'::float8)) v(ts, a);
-- infinite timestamps and dates: error 22008
SELECT customer_profile(ts) FROM (VALUES ('infinity'::timestamptz)) v(ts);
SELECT customer_profile(ts) FROM (VALUES ('-infinity'::timestamp)) v(ts);
SELECT customer_profile(d) FROM (VALUES ('infinity'::date)) v(d);
-- dates outside 0001-01-01 .. 294276-12-31: error 22008
SELECT customer_profile(d) FROM (VALUES ('0001-12-31 BC'::date)) v(d);
SELECT customer_profile(d) FROM (VALUES ('300000-01-01'::date)) v(d);
-- NULL timestamp: the row is ignored; NULL amount: a transaction with unknown spend
SELECT customer_profile(ts, a) FROM (VALUES (NULL::timestamptz, 5::float8), ('2024-01-01', NULL)) v(ts, a);
-- negative amounts are refunds, netted into the day
SELECT customer_profile(ts, a) FROM (VALUES (timestamptz '2024-01-01', -5::float8)) v(ts, a);
-- empty group: NULL profile, NULL accessors, prospect stage
SELECT p IS NULL AS null_profile, first_purchase(p), purchase_days(p), lifecycle_stage(p, date '2024-01-01')
FROM (SELECT customer_profile(ts) p FROM (VALUES (NULL::timestamptz)) v(ts) WHERE false) s;
-- as_of NULL: NULL result
SELECT recency('{"v":1,"days":[["2024-01-03",1,1,1]]}'::customer_profile, NULL::timestamptz);
-- as_of infinite: error 22008
SELECT recency('{"v":1,"days":[["2024-01-03",1,1,1]]}'::customer_profile, 'infinity'::timestamptz);
-- malformed or inconsistent stored text: 22P02 / 22023
SELECT 'garbage'::customer_profile;
SELECT '{"v":1,"days":[["2024-01-03",-2,0,0]]}'::customer_profile;
-- btyd_summary units: positive, no months
SELECT btyd_summary('{"v":1,"days":[["2024-01-03",1,1,1]]}', date '2024-02-01', '0 days');
SELECT btyd_summary('{"v":1,"days":[["2024-01-03",1,1,1]]}', date '2024-02-01', '-7 days');
SELECT btyd_summary('{"v":1,"days":[["2024-01-03",1,1,1]]}', date '2024-02-01', '1 month');
-- holdout period that ends before it starts
SELECT holdout_purchases('{"v":1,"days":[["2024-01-03",1,1,1]]}', date '2024-02-01', date '2024-01-01');
-- support functions outside an aggregate
SELECT customer_profile_trans(NULL::customer_profile, now(), 1::float8);
-- too many transactions on one day of one customer
SELECT customer_profile_merge('{"v":1,"days":[["2024-01-03",2147483647,0,0]]}', '{"v":1,"days":[["2024-01-03",1,0,0]]}');
-- a spend total that overflows float8
SELECT customer_profile(d, 1e308) FROM (VALUES (date '2024-01-01'), ('2024-01-02')) v(d);

-- API contract: objects exist with the promised signatures and markings, and bad
-- input fails with the promised SQLSTATE.
BEGIN;
SELECT plan(56);
SET LOCAL TimeZone = 'UTC';

SELECT has_type('customer_profile');
SELECT has_type('customer_stage');
SELECT enum_has_labels('customer_stage',
    ARRAY['prospect', 'new', 'active', 'loyal', 'at_risk', 'lapsed', 'reactivated']);

SELECT has_function('customer_profile', ARRAY['timestamp with time zone', 'double precision']);
SELECT has_function('customer_profile', ARRAY['timestamp without time zone', 'double precision']);
SELECT has_function('customer_profile', ARRAY['date', 'double precision']);
SELECT has_function('customer_profile', ARRAY['timestamp with time zone']);
SELECT is_aggregate('customer_profile', ARRAY['timestamp with time zone', 'double precision']);
SELECT is_aggregate('rollup', ARRAY['customer_profile']);
SELECT has_function('lifecycle_stage', ARRAY['customer_profile', 'timestamp with time zone',
    'interval', 'interval', 'interval', 'integer', 'interval', 'double precision']);
SELECT has_function('lifecycle_stage', ARRAY['timestamp with time zone', 'timestamp with time zone',
    'bigint', 'timestamp with time zone', 'interval', 'interval', 'interval', 'integer',
    'interval', 'double precision']);
SELECT function_returns('lifecycle_stage', ARRAY['customer_profile', 'timestamp with time zone',
    'interval', 'interval', 'interval', 'integer', 'interval', 'double precision'], 'customer_stage');
SELECT has_function('btyd_summary', ARRAY['customer_profile', 'timestamp with time zone', 'interval']);
SELECT has_function('holdout_purchases', ARRAY['customer_profile', 'timestamp with time zone', 'timestamp with time zone']);
SELECT function_returns('first_purchase', ARRAY['customer_profile'], 'date');
SELECT function_returns('recency', ARRAY['customer_profile', 'timestamp with time zone'], 'integer');
SELECT function_returns('tenure', ARRAY['customer_profile', 'timestamp with time zone'], 'integer');
SELECT function_returns('transactions', ARRAY['customer_profile'], 'bigint');
SELECT function_returns('total_spend', ARRAY['customer_profile'], 'double precision');
SELECT function_returns('next_purchase_due', ARRAY['customer_profile'], 'date');

-- accessors are IMMUTABLE and STRICT (a NULL profile gives NULL)
SELECT volatility_is('recency', ARRAY['customer_profile', 'timestamp with time zone'], 'immutable');
SELECT is_strict('recency', ARRAY['customer_profile', 'timestamp with time zone']);
SELECT volatility_is('lifecycle_stage', ARRAY['customer_profile', 'timestamp with time zone',
    'interval', 'interval', 'interval', 'integer', 'interval', 'double precision'], 'immutable');
SELECT isnt_strict('lifecycle_stage', ARRAY['customer_profile', 'timestamp with time zone',
    'interval', 'interval', 'interval', 'integer', 'interval', 'double precision'],
    'lifecycle_stage is not strict: a NULL profile is a prospect');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid
           WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
             AND p.prokind <> 'p' AND p.proparallel <> 's'), 0,
          'every function is PARALLEL SAFE (procedures write and cannot be)');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_depend d ON d.objid = a.aggfnoid
           WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
             AND a.aggcombinefn = 0), 0, 'every aggregate has a combine function');

-- bad input: SQLSTATEs
SELECT throws_ok($$SELECT customer_profile(ts, a) FROM (VALUES (now(), 'NaN'::float8)) v(ts, a)$$,
    '22023', NULL, 'NaN amount is rejected');
SELECT throws_ok($$SELECT customer_profile(ts, a) FROM (VALUES (now(), 'Infinity'::float8)) v(ts, a)$$,
    '22023', NULL, 'infinite amount is rejected');
SELECT throws_ok($$SELECT customer_profile(ts) FROM (VALUES ('infinity'::timestamptz)) v(ts)$$,
    '22008', NULL, 'infinite timestamptz is rejected');
SELECT throws_ok($$SELECT customer_profile(ts) FROM (VALUES ('-infinity'::timestamp)) v(ts)$$,
    '22008', NULL, 'infinite timestamp is rejected');
SELECT throws_ok($$SELECT customer_profile(d) FROM (VALUES ('infinity'::date)) v(d)$$,
    '22008', NULL, 'infinite date is rejected');
SELECT throws_ok($$SELECT 'garbage'::customer_profile$$, '22P02', NULL, 'malformed text: 22P02');
SELECT throws_ok($$SELECT '{"v":1,"days":[["2024-01-03",2,2,1]'::customer_profile$$, '22P02', NULL,
    'truncated text: 22P02');
SELECT throws_ok($$SELECT '{"v":1,"days":[["2024-02-10",1,1,1],["2024-01-03",2,2,12.5]]}'::customer_profile$$,
    '22023', NULL, 'unsorted days: 22023');
SELECT throws_ok($$SELECT '{"v":1,"days":[["2024-01-03",-1,0,0]]}'::customer_profile$$,
    '22023', NULL, 'negative count: 22023');
SELECT throws_ok($$SELECT '{"v":1,"days":[["2024-01-03",1,2,0]]}'::customer_profile$$,
    '22023', NULL, 'more priced than transactions: 22023');
SELECT throws_ok($$SELECT '{"v":9,"days":[["2024-01-03",1,1,0]]}'::customer_profile$$,
    '22023', NULL, 'unknown version: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(customer_profile(now()), now(), active_window => '-1 day')$$,
    '22023', NULL, 'negative window: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(NULL::customer_profile, now(), active_window => '200 days')$$,
    '22023', NULL, 'lapse_window shorter than active_window: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(NULL::customer_profile, now(), loyal_purchases => 0)$$,
    '22023', NULL, 'loyal_purchases < 1: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(NULL::customer_profile, now(), loyal_window => NULL)$$,
    '22004', NULL, 'NULL window: 22004');
SELECT throws_ok($$SELECT lifecycle_stage(NULL::customer_profile, now(), cadence_factor => -1)$$,
    '22023', NULL, 'negative cadence_factor: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(NULL::customer_profile, now(), cadence_factor => 'NaN')$$,
    '22023', NULL, 'NaN cadence_factor: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(date '2024-01-01', date '2023-01-01', 2, date '2024-02-01')$$,
    '22023', NULL, 'last before first: 22023');
SELECT throws_ok($$SELECT lifecycle_stage(date '2024-01-01', date '2024-01-05', NULL, date '2024-02-01')$$,
    '22004', NULL, 'NULL purchases: 22004');
SELECT throws_ok($$SELECT recency('{"v":1,"days":[["2024-01-03",1,1,1]]}', 'infinity'::timestamptz)$$,
    '22008', NULL, 'infinite as_of: 22008');
SELECT throws_ok($$SELECT btyd_summary('{"v":1,"days":[["2024-01-03",1,1,1]]}', now(), '1 month')$$,
    '22023', NULL, 'month unit: 22023');
SELECT throws_ok($$SELECT btyd_summary('{"v":1,"days":[["2024-01-03",1,1,1]]}', now(), '0 days')$$,
    '22023', NULL, 'zero unit: 22023');
SELECT throws_ok($$SELECT holdout_purchases('{"v":1,"days":[["2024-01-03",1,1,1]]}', date '2024-02-01', date '2024-01-01')$$,
    '22023', NULL, 'holdout ends before it starts: 22023');
SELECT throws_ok($$SELECT customer_profile_merge('{"v":1,"days":[["2024-01-03",2147483647,0,0]]}', '{"v":1,"days":[["2024-01-03",1,0,0]]}')$$,
    '22003', NULL, 'transaction count overflow: 22003');

-- documented answers
SELECT ok((SELECT customer_profile(ts) FROM (VALUES (NULL::timestamptz)) v(ts)) IS NULL,
    'only NULL timestamps: NULL profile');
SELECT ok((SELECT customer_profile(ts) FROM (VALUES (now())) v(ts) WHERE false) IS NULL,
    'empty group: NULL profile');
SELECT is(lifecycle_stage(NULL::customer_profile, now()), 'prospect'::customer_stage,
    'NULL profile: prospect');
SELECT is(lifecycle_stage('{"v":1,"days":[["2024-01-03",1,1,1]]}'::customer_profile, NULL::timestamptz),
    NULL, 'NULL as_of: NULL stage');
SELECT is(total_spend(customer_profile(ts)), NULL, 'no amounts: NULL spend')
FROM (VALUES (now())) v(ts);
SELECT is(total_spend(customer_profile(ts, a)), -5::float8, 'refunds net into spend')
FROM (VALUES (now(), 10::float8), (now(), -15)) v(ts, a);

SELECT * FROM finish();
ROLLBACK;

-- customer_profile aggregate and accessors: exact outputs
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 0;

CREATE TABLE orders (customer_id int, ts timestamptz, amount float8);
INSERT INTO orders VALUES
    (1, '2024-01-03 10:00+00', 10.5),
    (1, '2024-01-03 23:59:59+00', 2),        -- same UTC day: one purchase day
    (1, '2024-02-10 01:00+00', 20),
    (1, '2024-04-01 12:00+00', 30),
    (1, '2024-06-15 08:00+00', 40),
    (2, '2024-03-01 00:00+00', 5),
    (3, '2023-12-31 23:30-05', 7);           -- 2024-01-01 04:30 UTC

-- one purchase day per distinct UTC day, amounts summed per day
SELECT customer_id, customer_profile(ts, amount) FROM orders GROUP BY 1 ORDER BY 1;

-- same answer whatever order the rows arrive in
SELECT customer_profile(ts, amount)::text = (SELECT customer_profile(ts, amount)::text FROM (SELECT * FROM orders WHERE customer_id = 1 ORDER BY ts DESC) s) AS reversed_equal,
       customer_profile(ts, amount)::text = (SELECT customer_profile(ts, amount)::text FROM (SELECT * FROM orders WHERE customer_id = 1 ORDER BY amount) s) AS shuffled_equal
FROM (SELECT * FROM orders WHERE customer_id = 1 ORDER BY ts) s;

-- many out-of-order rows (exercises the unsorted tail and its merge)
SELECT customer_profile(d::date + (i % 3) * interval '1 hour', 1)::text
     = customer_profile(d::date, 1)::text AS tail_merge_ok,
       purchase_days(customer_profile(d::date, 1)) AS days,
       transactions(customer_profile(d::date, 1)) AS txns
FROM (SELECT i, date '2020-01-01' + ((i * 7919) % 500) AS d
      FROM generate_series(1, 3000) i) s;

-- overloads: date and timestamp (wall clock) and no amount
SELECT customer_profile(d) FROM (VALUES (date '2024-01-02'), ('2024-01-01'), ('2024-01-02')) v(d);
SELECT customer_profile(ts) FROM (VALUES (timestamp '2024-01-01 23:30'), ('2024-01-02 00:30')) v(ts);
SELECT customer_profile(d, a) FROM (VALUES (date '2024-01-02', 1.25::float8), ('2024-01-01', NULL)) v(d, a);

-- the timestamptz day is the UTC day whatever the session time zone
SET TimeZone = 'America/New_York';
SELECT customer_profile(ts) FROM (VALUES (timestamptz '2024-01-01 22:00-05')) v(ts);
SET TimeZone = 'UTC';

-- accessors
CREATE TABLE profiles AS SELECT customer_id, customer_profile(ts, amount) AS p FROM orders GROUP BY 1;
SELECT customer_id, first_purchase(p), last_purchase(p), purchase_days(p), transactions(p),
       total_spend(p), avg_order_value(p), next_purchase_due(p)
FROM profiles ORDER BY 1;

-- as_of: activity after it is ignored (date and timestamptz forms agree)
SELECT as_of,
       last_purchase(p, as_of), purchase_days(p, as_of), transactions(p, as_of),
       total_spend(p, as_of), avg_order_value(p, as_of), recency(p, as_of), tenure(p, as_of),
       next_purchase_due(p, as_of)
FROM profiles, (VALUES (date '2023-12-31'), ('2024-01-03'), ('2024-02-09'), ('2024-02-10'), ('2024-12-31')) v(as_of)
WHERE customer_id = 1 ORDER BY as_of;
SELECT recency(p, timestamptz '2024-02-10 23:59:59+00') AS same_day,
       recency(p, timestamptz '2024-02-11 00:00:00+00') AS next_day,
       purchase_days(p, timestamptz '2024-02-10 00:00+00') AS includes_as_of_day
FROM profiles WHERE customer_id = 1;

-- btyd_summary: frequency = repeat days, recency/T in units, monetary = mean repeat-day spend
SELECT customer_id, (btyd_summary(p, date '2024-06-30')).* FROM profiles ORDER BY 1;
SELECT (btyd_summary(p, date '2024-06-30', '1 day')).* FROM profiles WHERE customer_id = 1;
SELECT (btyd_summary(p, date '2024-03-01')).* FROM profiles WHERE customer_id = 1;
SELECT btyd_summary(p, date '2023-12-01') IS NULL AS before_first FROM profiles WHERE customer_id = 1;

-- holdout_purchases: distinct days in (from, to]
SELECT holdout_purchases(p, date '2024-01-03', '2024-04-01') AS after_first_to_april,
       holdout_purchases(p, date '2024-01-02', '2024-01-03') AS first_day_only,
       holdout_purchases(p, date '2024-06-15', '2025-01-01') AS none
FROM profiles WHERE customer_id = 1;

-- rollup: a stored profile plus today's events equals the profile of everything
SELECT rollup(p)::text = (SELECT customer_profile(ts, amount)::text FROM orders WHERE customer_id = 1) AS rollup_equals_full
FROM (SELECT customer_profile(ts, amount) p FROM orders WHERE customer_id = 1 AND ts < '2024-03-01'
      UNION ALL
      SELECT customer_profile(ts, amount) FROM orders WHERE customer_id = 1 AND ts >= '2024-03-01') s;
-- split inside a day: the day's transactions and spend add up
SELECT rollup(p)::text = (SELECT customer_profile(ts, amount)::text FROM orders WHERE customer_id = 1) AS split_day_equals_full
FROM (SELECT customer_profile(ts, amount) p FROM orders WHERE customer_id = 1 AND ts < '2024-01-03 12:00+00'
      UNION ALL
      SELECT customer_profile(ts, amount) FROM orders WHERE customer_id = 1 AND ts >= '2024-01-03 12:00+00') s;
-- overlapping days add up (the 2024-02-10 and later rows were counted twice above)
SELECT rollup(p) FROM (SELECT customer_profile(ts, amount) p FROM orders WHERE customer_id = 1 AND ts >= '2024-02-10'
                       UNION ALL SELECT customer_profile(ts, amount) FROM orders WHERE customer_id = 1 AND ts >= '2024-04-01') s;
SELECT rollup(p) FROM profiles WHERE false;
SELECT customer_profile_merge(a.p, b.p) FROM profiles a, profiles b WHERE a.customer_id = 2 AND b.customer_id = 3;

-- NULL amounts: counted as transactions, spend unknown
SELECT p, total_spend(p), avg_order_value(p), (btyd_summary(p, date '2024-12-31')).*
FROM (SELECT customer_profile(ts, NULL::float8) p FROM orders WHERE customer_id = 1) s;
SELECT total_spend(p), avg_order_value(p), (btyd_summary(p, date '2024-12-31')).monetary
FROM (SELECT customer_profile(d, a) p FROM (VALUES (date '2024-01-01', 10::float8), ('2024-01-02', NULL), ('2024-01-03', 4), ('2024-01-03', NULL)) v(d, a)) s;

-- refunds: netted into the day's spend, still a transaction
SELECT p, total_spend(p), transactions(p)
FROM (SELECT customer_profile(d, a) p FROM (VALUES (date '2024-01-01', 50::float8), ('2024-01-01', -50), ('2024-01-05', -10)) v(d, a)) s;

-- empty groups and NULL timestamps
SELECT customer_profile(ts, amount) IS NULL AS empty_is_null FROM orders WHERE false;
SELECT customer_profile(ts, amount) IS NULL AS all_null_ts_is_null FROM (VALUES (NULL::timestamptz, 1::float8)) v(ts, amount);
SELECT customer_profile(ts, amount) FROM (VALUES (NULL::timestamptz, 1::float8), ('2024-05-05', 3)) v(ts, amount);

-- as a window function (the final function leaves the state alone)
SELECT ts::date, purchase_days(customer_profile(ts, amount) OVER (ORDER BY ts)) FROM orders WHERE customer_id = 1 ORDER BY ts;

-- NULL as_of gives NULL
SELECT recency(p, NULL::date), btyd_summary(p, NULL::date), last_purchase(p, NULL::timestamptz) FROM profiles WHERE customer_id = 1;

DROP TABLE orders, profiles;

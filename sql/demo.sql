-- demo store generator: deterministic, consistent, and following its process
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 0;

SELECT * FROM demo_customers(5);
SELECT * FROM demo_orders(5);

-- deterministic, and customer i does not depend on how many are generated
SELECT (SELECT string_agg(format('%s %s %s %s', customer_id, order_id, ordered_at, amount), ';' ORDER BY order_id)
        FROM demo_orders(200) WHERE customer_id <= 50)
     = (SELECT string_agg(format('%s %s %s %s', customer_id, order_id, ordered_at, amount), ';' ORDER BY order_id)
        FROM demo_orders(50)) AS prefix_stable,
       (SELECT sum(amount) FROM demo_orders(300)) = (SELECT sum(amount) FROM demo_orders(300)) AS repeatable,
       (SELECT sum(amount) FROM demo_orders(300, seed => 7)) <> (SELECT sum(amount) FROM demo_orders(300)) AS seed_matters;

-- orders fall between signup and the end of the period; prospects have none; amounts >= 0.01
SELECT count(*) AS orders,
       count(*) FILTER (WHERE o.ordered_at < c.signup_date::timestamptz) AS before_signup,
       count(*) FILTER (WHERE o.ordered_at >= timestamptz '2026-01-01') AS after_end,
       count(*) FILTER (WHERE o.amount < 0.01) AS below_a_cent,
       count(*) FILTER (WHERE c.customer_id IS NULL) AS without_customer
FROM demo_orders(5000) o LEFT JOIN demo_customers(5000) c USING (customer_id);
SELECT count(*) AS customers, count(DISTINCT o.customer_id) AS buyers,
       count(*) FILTER (WHERE o.customer_id IS NULL) AS prospects
FROM demo_customers(5000) c LEFT JOIN (SELECT DISTINCT customer_id FROM demo_orders(5000)) o USING (customer_id);
SELECT channel, count(*) FROM demo_customers(5000) GROUP BY 1 ORDER BY 1;

-- a short period and explicit parameters
SELECT count(*) > 0 AS some_orders, min(ordered_at) >= '2024-01-01' AS in_period,
       max(ordered_at) < '2024-02-01' AS until_end
FROM demo_orders(2000, 1, '2024-01-01', '2024-01-31', r => 2, alpha => 1);

-- same-day splits collapse into one purchase day
SELECT count(*) FILTER (WHERE transactions(p) > purchase_days(p)) > 0 AS has_split_days
FROM (SELECT customer_profile(ordered_at, amount) p FROM demo_orders(2000) GROUP BY customer_id) s;

-- bad input
SELECT count(*) FROM demo_orders(0);
SELECT * FROM demo_orders(-1);
SELECT * FROM demo_orders(200000000);
SELECT * FROM demo_orders(10, 1, '2025-01-01', '2024-01-01');
SELECT * FROM demo_orders(10, 1, '-infinity', '2024-01-01');
SELECT * FROM demo_orders(10, r => 0);
SELECT * FROM demo_orders(10, b => 'NaN');
SELECT * FROM demo_orders(10, gamma => 'Infinity');
SELECT * FROM demo_customers(NULL);

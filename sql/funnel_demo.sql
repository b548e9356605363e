-- demo_events: deterministic web events consistent with demo_orders, and a funnel over them
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE fd_events AS SELECT * FROM demo_events(3000);
CREATE TABLE fd_orders AS SELECT * FROM demo_orders(3000);
CREATE INDEX ON fd_events (customer_id, ts);
ANALYZE fd_events;
SELECT event, count(*) FROM fd_events GROUP BY 1 ORDER BY 2 DESC;
SELECT channel, count(*) FROM fd_events GROUP BY 1 ORDER BY 1;
-- every order is a purchase event at exactly its time, and every purchase is an order
SELECT (SELECT count(*) FROM fd_orders) AS orders,
       (SELECT count(*) FROM fd_events WHERE event = 'purchase') AS purchases,
       (SELECT count(*) FROM fd_orders o JOIN fd_events e
            ON e.customer_id = o.customer_id AND e.ts = o.ordered_at AND e.event = 'purchase') AS matched;
-- every customer of demo_customers has events, the first from its acquisition channel, none
-- after end_date; a few first orders come so soon after signup that their session starts the
-- day before
SELECT count(*) AS customers,
       count(*) FILTER (WHERE e.first_channel = c.channel) AS first_from_acquisition,
       count(*) FILTER (WHERE e.first_day < c.signup_date) AS before_signup,
       count(*) FILTER (WHERE e.last_ts >= timestamptz '2026-01-01') AS after_end
FROM demo_customers(3000) c
JOIN (SELECT customer_id, (array_agg(channel ORDER BY ts))[1] AS first_channel,
             min(ts)::date AS first_day, max(ts) AS last_ts
      FROM fd_events GROUP BY 1) e USING (customer_id);
-- each purchase follows a visit, view, cart and checkout of its session (minutes apart,
-- an abandoned cart may wait hours)
SELECT count(*) AS purchases,
       count(*) FILTER (WHERE f = 5) AS full_session
FROM (SELECT e.customer_id, e.ts,
             (SELECT window_funnel('2 days', 'strict_increase', x.ts, x.event = 'visit', x.event = 'product_view',
                                   x.event = 'add_to_cart', x.event = 'checkout', x.event = 'purchase')
              FROM fd_events x WHERE x.customer_id = e.customer_id AND x.ts BETWEEN e.ts - interval '2 days' AND e.ts) f
      FROM fd_events e WHERE e.event = 'purchase') p;
-- deterministic; a customer's events do not depend on how many customers are generated
SELECT (SELECT md5(string_agg(x::text, ',')) FROM demo_events(500) x)
     = (SELECT md5(string_agg(x::text, ',')) FROM fd_events x WHERE customer_id <= 500) AS prefix_stable,
       (SELECT md5(string_agg(x::text, ',')) FROM demo_events(500, 7) x)
    <> (SELECT md5(string_agg(x::text, ',')) FROM demo_events(500) x) AS seed_matters;
-- events in time order per customer, customers in id order
SELECT bool_and(ok) AS ordered FROM (
    SELECT (customer_id, ts) >= lag((customer_id, ts)) OVER (ORDER BY n) IS NOT FALSE AS ok
    FROM (SELECT *, row_number() OVER () n FROM demo_events(300)) x) y;
-- the 3-step funnel of the benchmark: visit -> add_to_cart -> purchase within 7 days
SELECT depth, count(*) FROM (
    SELECT customer_id, window_funnel('7 days', ts, event = 'visit', event = 'add_to_cart', event = 'purchase') depth
    FROM fd_events GROUP BY 1) f GROUP BY 1 ORDER BY 1;
-- a short period and bad arguments
SELECT count(*) > 0 AS some, max(ts) < timestamptz '2024-02-01' AS within
FROM demo_events(200, 1, '2024-01-01', '2024-01-31');
SELECT count(*) FROM demo_events(0);
SELECT count(*) FROM demo_events(-1);
SELECT count(*) FROM demo_events(10, 1, '2024-01-31', '2024-01-01');
SELECT count(*) FROM demo_events(10, 1, '-infinity', '2024-01-01');
DROP TABLE fd_events, fd_orders;

-- make bench, part 40: a 3-step funnel (visit -> add_to_cart -> purchase within 7 days)
-- per customer over the demo web events (issue 4), counted per depth; ours against two
-- plain-SQL formulations of the same definition (a chain v <= c <= p in time, ties in
-- funnel order, p - v <= 7 days).  Answer checked: customers per depth 0..3.

\echo '== data: demo_events(' :customers ') in time order, as a real events table is =='
\timing on
CREATE TABLE events AS
SELECT customer_id, ts, event, channel FROM demo_events(:customers) ORDER BY ts;
\timing off
VACUUM ANALYZE events;
-- the LATERAL formulation needs this index (its build time is not counted)
CREATE INDEX events_customer_event_ts ON events (customer_id, event, ts);
SELECT count(*) AS events, count(DISTINCT customer_id) AS customers,
       pg_size_pretty(pg_total_relation_size('events')) AS size FROM events;

INSERT INTO bench_query (id, label, sql) VALUES
('f_funnel', 'ours: window_funnel(7 days, visit, add_to_cart, purchase) per customer, counted per depth',
 $q$SELECT count(*) FILTER (WHERE d = 0) AS d0, count(*) FILTER (WHERE d = 1) AS d1,
           count(*) FILTER (WHERE d = 2) AS d2, count(*) FILTER (WHERE d = 3) AS d3
    FROM (SELECT customer_id,
                 window_funnel('7 days', ts, event = 'visit', event = 'add_to_cart', event = 'purchase') AS d
          FROM events GROUP BY customer_id) f$q$),
-- plain SQL 1: the same dynamic programme with window functions: each cart's latest
-- visit at or before it, then each purchase's latest start over the carts before it
('f1_sql_window', 'plain SQL funnel: running max() window functions (latest start per step)',
 $q$WITH e AS (SELECT customer_id, ts,
                     CASE event WHEN 'visit' THEN 1 WHEN 'add_to_cart' THEN 2 ELSE 3 END AS s
              FROM events WHERE event IN ('visit', 'add_to_cart', 'purchase')),
        w1 AS (SELECT customer_id, ts, s,
                      max(ts) FILTER (WHERE s = 1) OVER w AS lv
               FROM e WINDOW w AS (PARTITION BY customer_id ORDER BY ts, s ROWS UNBOUNDED PRECEDING)),
        w2 AS (SELECT customer_id, ts, s, lv,
                      max(lv) FILTER (WHERE s = 2 AND ts - lv <= interval '7 days') OVER w AS st
               FROM w1 WINDOW w AS (PARTITION BY customer_id ORDER BY ts, s ROWS UNBOUNDED PRECEDING)),
        per AS (SELECT customer_id,
                       CASE WHEN bool_or(s = 3 AND ts - st <= interval '7 days') THEN 3
                            WHEN bool_or(st IS NOT NULL) THEN 2
                            WHEN bool_or(s = 1) THEN 1 ELSE 0 END AS d
                FROM w2 GROUP BY customer_id)
    SELECT count(*) FILTER (WHERE d = 0) AS d0, count(*) FILTER (WHERE d = 1) AS d1,
           count(*) FILTER (WHERE d = 2) AS d2, count(*) FILTER (WHERE d = 3) AS d3
    FROM per$q$),
-- plain SQL 2: per customer, LATERAL EXISTS probes on the (customer, event, ts) index:
-- a purchase with a cart in [p - 7 days, p] and a visit in [p - 7 days, cart]
('f2_sql_lateral', 'plain SQL funnel: per customer LATERAL EXISTS probes on an index',
 $q$SELECT count(*) FILTER (WHERE d = 0) AS d0, count(*) FILTER (WHERE d = 1) AS d1,
           count(*) FILTER (WHERE d = 2) AS d2, count(*) FILTER (WHERE d = 3) AS d3
    FROM (SELECT DISTINCT customer_id FROM events) cu
    CROSS JOIN LATERAL (
        SELECT CASE
            WHEN EXISTS (SELECT 1 FROM events p
                         WHERE p.customer_id = cu.customer_id AND p.event = 'purchase'
                           AND EXISTS (SELECT 1 FROM events c
                                       WHERE c.customer_id = cu.customer_id AND c.event = 'add_to_cart'
                                         AND c.ts <= p.ts AND c.ts >= p.ts - interval '7 days'
                                         AND EXISTS (SELECT 1 FROM events v
                                                     WHERE v.customer_id = cu.customer_id AND v.event = 'visit'
                                                       AND v.ts <= c.ts AND v.ts >= p.ts - interval '7 days'))) THEN 3
            WHEN EXISTS (SELECT 1 FROM events c
                         WHERE c.customer_id = cu.customer_id AND c.event = 'add_to_cart'
                           AND EXISTS (SELECT 1 FROM events v
                                       WHERE v.customer_id = cu.customer_id AND v.event = 'visit'
                                         AND v.ts <= c.ts AND v.ts >= c.ts - interval '7 days')) THEN 2
            WHEN EXISTS (SELECT 1 FROM events v
                         WHERE v.customer_id = cu.customer_id AND v.event = 'visit') THEN 1
            ELSE 0 END AS d) x$q$);

INSERT INTO bench_query SELECT id || '_bigmem', label || ' [work_mem 256MB]', sql, 'work_mem=256MB'
FROM bench_query WHERE id IN ('f_funnel', 'f1_sql_window');

\echo '== funnel: the competing queries give the same answers =='
SELECT bench_same(ARRAY['f_funnel', 'f1_sql_window', 'f2_sql_lateral']);

INSERT INTO bench_ratio (name, num, den, goal) VALUES
('(f) best plain-SQL 3-step funnel / ours, server defaults',
 '{f1_sql_window,f2_sql_lateral}', '{f_funnel}', 'at least 3'),
('(f) best mode of each', '{f1_sql_window,f2_sql_lateral,f1_sql_window_bigmem}',
 '{f_funnel,f_funnel_bigmem}', 'at least 3');

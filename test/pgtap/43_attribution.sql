-- attribution: contract, SQLSTATEs, agreement with a plain-SQL definition of the
-- first_touch, last_touch, linear and position_based models on random data, credits
-- summing to the conversions on the demo store, parallel and partitionwise plans.
BEGIN;
SET LOCAL TimeZone = 'UTC';

CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;

SELECT plan(22);

SELECT has_function('attribution', ARRAY['timestamp with time zone', 'text', 'boolean', 'text', 'interval'],
                    'attribution(ts, channel, is_conversion, model, lookback)');
SELECT has_function('attribution', ARRAY['timestamp with time zone', 'text', 'boolean', 'text', 'interval', 'interval'],
                    'attribution(ts, channel, is_conversion, model, lookback, half_life)');
SELECT is((SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           WHERE p.proname = 'attribution' AND a.aggcombinefn <> 0 AND p.proparallel = 's'
             AND a.aggtranstype = 'touch_state'::regtype), 2,
          'attribution: combine function, touch_state state type, parallel safe');

-- SQLSTATEs
SELECT throws_ok($$SELECT attribution(now(), 'a', true, 'w_shaped', '1 day')$$, '22023', NULL,
                 'unknown model: 22023');
SELECT throws_ok($$SELECT attribution(now(), 'a', true, NULL, '1 day')$$, '22004', NULL,
                 'NULL model: 22004');
SELECT throws_ok($$SELECT attribution(now(), 'a', true, 'linear', '-1 day')$$, '22023', NULL,
                 'negative lookback: 22023');
SELECT throws_ok($$SELECT attribution(now(), 'a', true, 'linear', '1 month')$$, '22023', NULL,
                 'lookback in months: 22023');
SELECT throws_ok($$SELECT attribution(now(), 'a', true, 'time_decay', '30 days', '0 days')$$, '22023', NULL,
                 'time_decay with a zero half-life: 22023');
SELECT throws_ok($$SELECT attribution(now(), 'a', true, 'linear', '30 days', '3 days')$$, '22023', NULL,
                 'half_life with a model other than time_decay: 22023');
SELECT throws_ok($$SELECT attribution('infinity', 'a', true, 'linear', '30 days')$$, '22008', NULL,
                 'infinite time: 22008');
SELECT throws_ok($$SELECT '{"v":1}'::touch_state$$, '22P02', NULL, 'truncated touch_state text: 22P02');

-- random data: 300 customers, 0-30 events each over 60 days, touches on channels a, b, c,
-- every fifth event a conversion; seconds-resolution times so ties happen
SELECT setseed(0.43);
CREATE TEMP TABLE ev AS
SELECT c AS customer_id,
       timestamptz '2025-01-01' + (floor(random() * 60 * 24) * interval '1 hour') AS ts,
       CASE WHEN random() < 0.9 THEN (ARRAY['a', 'b', 'c'])[1 + floor(random() * 3)::int] END AS channel,
       random() < 0.2 AS is_conversion
FROM generate_series(1, 300) c, generate_series(1, 30) i
WHERE i <= 1 + (c * 7) % 30;

-- the plain-SQL definition: each conversion's touches within the lookback (inclusive,
-- same instant counts), ordered by (time, channel); a conversion without touches goes
-- to the NULL channel
CREATE TEMP VIEW conv_touch AS
SELECT v.customer_id, v.ts AS cts, t.ts, t.channel,
       row_number() OVER w AS pos, count(t.ts) OVER (PARTITION BY v.customer_id, v.ctid) AS k
FROM ev v
LEFT JOIN ev t ON t.customer_id = v.customer_id AND NOT t.is_conversion AND t.channel IS NOT NULL
              AND t.ts BETWEEN v.ts - interval '7 days' AND v.ts
WHERE v.is_conversion
WINDOW w AS (PARTITION BY v.customer_id, v.ctid ORDER BY t.ts, t.channel);

CREATE TEMP VIEW ref AS
SELECT 'first_touch' AS model, customer_id, channel, count(*)::float8 AS credit
  FROM conv_touch WHERE pos = 1 GROUP BY 1, 2, 3
UNION ALL
SELECT 'last_touch', customer_id, channel, count(*)::float8
  FROM conv_touch WHERE pos = greatest(k, 1) GROUP BY 1, 2, 3
UNION ALL
SELECT 'linear', customer_id, channel, sum(CASE WHEN k = 0 THEN 1 ELSE 1.0 / k END)
  FROM conv_touch GROUP BY 1, 2, 3
UNION ALL
SELECT 'position_based', customer_id, channel,
       sum(CASE WHEN k = 0 THEN 1
                WHEN k = 1 THEN 1
                WHEN k = 2 THEN 0.5
                WHEN pos = 1 OR pos = k THEN 0.4
                ELSE 0.2 / (k - 2) END)
  FROM conv_touch GROUP BY 1, 2, 3;

CREATE TEMP VIEW ours AS
SELECT m.model, x.customer_id, (c).channel, (c).credit
FROM (VALUES ('first_touch'), ('last_touch'), ('linear'), ('position_based')) m(model),
LATERAL (SELECT customer_id, unnest(attribution(ts, channel, is_conversion, m.model, '7 days')) AS c
         FROM ev GROUP BY customer_id) x;

SELECT ok((SELECT count(*) FROM ref) > 500, 'random data: the reference has enough credits to mean something');
SELECT is((SELECT count(*)::int FROM ref r FULL JOIN ours o
             ON o.model = r.model AND o.customer_id = r.customer_id
            AND o.channel IS NOT DISTINCT FROM r.channel
           WHERE r.model IS NULL OR o.model IS NULL OR abs(r.credit - o.credit) > 1e-9
              OR r.model = 'first_touch' AND r.credit <> o.credit),
          0, 'random data: every (model, customer, channel) credit equals the plain-SQL definition');

-- time_decay: weights 2^(-(T - t) / half_life), normalised per conversion
SELECT is((SELECT count(*)::int FROM
            (SELECT customer_id, channel, sum(w / tot) AS credit FROM
               (SELECT customer_id, channel, w, sum(w) OVER (PARTITION BY customer_id, cid) AS tot FROM
                  (SELECT v.customer_id, v.ctid AS cid, t.channel,
                          CASE WHEN t.ts IS NULL THEN 1
                               ELSE power(2, -extract(epoch FROM v.ts - t.ts) / extract(epoch FROM interval '2 days')) END AS w
                   FROM ev v LEFT JOIN ev t ON t.customer_id = v.customer_id AND NOT t.is_conversion
                        AND t.channel IS NOT NULL AND t.ts BETWEEN v.ts - interval '7 days' AND v.ts
                   WHERE v.is_conversion) a) b
             GROUP BY 1, 2) r
           FULL JOIN
            (SELECT customer_id, (c).channel, (c).credit FROM
               (SELECT customer_id, unnest(attribution(ts, channel, is_conversion, 'time_decay', '7 days', '2 days')) c
                FROM ev GROUP BY customer_id) y) o
           ON o.customer_id = r.customer_id AND o.channel IS NOT DISTINCT FROM r.channel
           WHERE r.customer_id IS NULL OR o.customer_id IS NULL OR abs(r.credit - o.credit) > 1e-9),
          0, 'random data: time_decay credits equal the plain-SQL definition');

-- every model's credits sum to the number of conversions
SELECT is((SELECT array_agg(DISTINCT round(s::numeric, 9)) FROM
            (SELECT model, sum(credit) AS s FROM ours GROUP BY model) q),
          (SELECT ARRAY[count(*)::numeric] FROM ev WHERE is_conversion),
          'random data: every model''s credits sum to the conversions');

-- parallel and partitionwise plans give the serial answer (credits are rational sums, so
-- compare rounded)
CREATE TEMP TABLE serial AS
SELECT customer_id, attribution(ts, channel, is_conversion, 'linear', '7 days') AS a FROM ev GROUP BY customer_id;
CREATE TABLE attr_ev (customer_id int, ts timestamptz, channel text, is_conversion bool)
    PARTITION BY HASH (customer_id);
CREATE TABLE attr_ev_0 PARTITION OF attr_ev FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE attr_ev_1 PARTITION OF attr_ev FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO attr_ev SELECT * FROM ev;
ANALYZE attr_ev;

SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_partitionwise_aggregate = off;
-- one group over all rows, so the per-worker partial states must be combined
SELECT ok(pg_temp.plan_of($$SELECT attribution(ts, channel, is_conversion, 'linear', '7 days') FROM attr_ev$$)
          ~ 'Partial Aggregate', 'one group: the plan has a Partial Aggregate');
SELECT is((SELECT attribution(ts, channel, is_conversion, 'linear', '7 days')::text FROM attr_ev),
          (SELECT attribution(ts, channel, is_conversion, 'linear', '7 days')::text
             FROM (SELECT * FROM ev ORDER BY random()) s),
          'one group: the parallel answer equals the serial one');

SET LOCAL enable_partitionwise_aggregate = on;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT ok(pg_temp.plan_of($$SELECT attribution(ts, channel, is_conversion, 'linear', '7 days') FROM attr_ev$$)
          ~ 'Partial Aggregate', 'partitionwise: a partial aggregate per partition');
SELECT is((SELECT attribution(ts, channel, is_conversion, 'linear', '7 days')::text FROM attr_ev),
          (SELECT attribution(ts, channel, is_conversion, 'linear', '7 days')::text FROM ev),
          'partitionwise: the combined answer equals the serial one');

-- text round trip of the state (what a shard sends back), per customer
CREATE AGGREGATE pg_temp.touch_raw(timestamptz, text, boolean, text, interval) (
    SFUNC = attribution_trans, STYPE = touch_state, COMBINEFUNC = touch_state_merge);
SELECT is((SELECT count(*)::int FROM
            (SELECT s::text AS t, s::text::touch_state::text AS u,
                    attribution_final(s)::text AS f, attribution_final(s::text::touch_state)::text AS g
             FROM (SELECT pg_temp.touch_raw(ts, channel, is_conversion, 'linear', '7 days') s
                   FROM ev GROUP BY customer_id) q) r WHERE t <> u OR f <> g),
          0, 'touch_state text round trip is exact and answers the same');

-- demo store: for every model the credits sum to the purchases
CREATE TEMP TABLE dev AS SELECT * FROM demo_events(2000);
SELECT is((SELECT count(*)::int FROM (
              SELECT m, abs(sum((c).credit) - (SELECT count(*) FROM dev WHERE event = 'purchase')) < 1e-6 AS ok
              FROM (SELECT 'first' AS m, unnest(attribution(ts, CASE WHEN event = 'visit' THEN channel END, event = 'purchase', 'first_touch', '30 days')) AS c FROM dev GROUP BY customer_id
                    UNION ALL SELECT 'last', unnest(attribution(ts, CASE WHEN event = 'visit' THEN channel END, event = 'purchase', 'last_touch', '30 days')) FROM dev GROUP BY customer_id
                    UNION ALL SELECT 'linear', unnest(attribution(ts, CASE WHEN event = 'visit' THEN channel END, event = 'purchase', 'linear', '30 days')) FROM dev GROUP BY customer_id
                    UNION ALL SELECT 'position', unnest(attribution(ts, CASE WHEN event = 'visit' THEN channel END, event = 'purchase', 'position_based', '30 days')) FROM dev GROUP BY customer_id
                    UNION ALL SELECT 'decay', unnest(attribution(ts, CASE WHEN event = 'visit' THEN channel END, event = 'purchase', 'time_decay', '30 days', '3 days')) FROM dev GROUP BY customer_id) x
              GROUP BY m) y WHERE ok), 5, 'demo store: credits sum to the purchases for all five models');

-- a customer with 100,000 events (every tenth a conversion) finishes and sums correctly
SELECT is((SELECT round(sum((c).credit)::numeric, 6) FROM
            (SELECT unnest(attribution(timestamptz '2025-01-01' + i * interval '1 minute',
                                       (ARRAY['a', 'b', 'c', 'd'])[1 + i % 4], i % 10 = 0, 'linear', '1 day')) c
             FROM generate_series(1, 100000) i) q),
          10000::numeric, '100,000 events: linear credits sum to the 10,000 conversions');

SELECT * FROM finish();
ROLLBACK;

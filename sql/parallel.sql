-- customer_profile under parallel query and partitionwise aggregation: the plans
-- use Partial/Finalize and the combine function, and the results equal a serial run.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE par_orders (customer_id int, ts timestamptz, amount float8);
-- amounts are multiples of 1/4 so sums are exact in any order
INSERT INTO par_orders
SELECT c, timestamptz '2023-01-01' + ((c * 31 + i * 17) % 700) * interval '1 day' + (i % 5) * interval '1 hour',
       ((c + i) % 40) / 4.0
FROM generate_series(1, 2000) c, generate_series(1, 25) i;
ANALYZE par_orders;

-- The merge function's COST (25) keeps PostgreSQL from splitting a per-customer build
-- into Partial + Finalize on real data (slower there); cost 1 forces those plans here,
-- so that the combine paths are exercised.
ALTER FUNCTION customer_profile_merge(customer_profile, customer_profile) COST 1;

-- serial reference
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_profiles AS
SELECT customer_id, customer_profile(ts, amount) p FROM par_orders GROUP BY 1;
CREATE TABLE serial_all AS SELECT customer_profile(ts, amount) p FROM par_orders;

-- parallel: Finalize / Gather / Partial
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT customer_profile(ts, amount) FROM par_orders;
SELECT (SELECT customer_profile(ts, amount) FROM par_orders)::text = p::text AS parallel_equals_serial
FROM serial_all;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT customer_id, customer_profile(ts, amount) FROM par_orders GROUP BY 1;
SELECT count(*) AS customers, count(*) FILTER (WHERE s.p::text = q.p::text) AS equal
FROM serial_profiles s
JOIN (SELECT customer_id, customer_profile(ts, amount) p FROM par_orders GROUP BY 1) q USING (customer_id);
RESET enable_hashagg;
-- rollup in parallel
EXPLAIN (COSTS OFF) SELECT rollup(p) FROM serial_profiles;
SELECT (SELECT rollup(p) FROM serial_profiles)::text = p::text AS rollup_equals_serial FROM serial_all;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

-- partitionwise aggregate: partitions by month, so one customer's rows sit in
-- several partitions and combine merges two (or more) non-empty states
CREATE TABLE part_orders (customer_id int, ts timestamptz, amount float8) PARTITION BY RANGE (ts);
CREATE TABLE part_orders_a PARTITION OF part_orders FOR VALUES FROM ('2023-01-01') TO ('2023-07-01');
CREATE TABLE part_orders_b PARTITION OF part_orders FOR VALUES FROM ('2023-07-01') TO ('2024-01-01');
CREATE TABLE part_orders_c PARTITION OF part_orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO part_orders SELECT * FROM par_orders;
ANALYZE part_orders;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT customer_profile(ts, amount) FROM part_orders;
SELECT (SELECT customer_profile(ts, amount) FROM part_orders)::text = p::text AS partitionwise_equals_serial
FROM serial_all;
-- per customer: partial aggregates per partition, combined per customer
EXPLAIN (COSTS OFF) SELECT customer_id, customer_profile(ts, amount) FROM part_orders GROUP BY 1;
SELECT count(*) AS customers, count(*) FILTER (WHERE s.p::text = q.p::text) AS equal,
       (SELECT count(*) FROM (SELECT customer_id FROM part_orders GROUP BY 1
                              HAVING count(DISTINCT tableoid) > 1) x) AS in_several_partitions
FROM serial_profiles s
JOIN (SELECT customer_id, customer_profile(ts, amount) p FROM part_orders GROUP BY 1) q USING (customer_id);
-- stage counts agree too
SELECT count(*) FILTER (WHERE lifecycle_stage(s.p, date '2024-06-30') = lifecycle_stage(q.p, date '2024-06-30')) AS equal_stages
FROM serial_profiles s
JOIN (SELECT customer_id, customer_profile(ts, amount) p FROM part_orders GROUP BY 1) q USING (customer_id);
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;

DROP TABLE par_orders, part_orders, serial_profiles, serial_all;

ALTER FUNCTION customer_profile_merge(customer_profile, customer_profile) COST 25;

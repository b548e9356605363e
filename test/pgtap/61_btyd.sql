-- BTYD fits without reference data: recovery of known parameters from the demo
-- generator, parallel and partitionwise aggregation, penalizer, convergence flag,
-- robustness of predictions at the edges, bad input with SQLSTATEs.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(94);
SET LOCAL TimeZone = 'UTC';

-- 1. Recovery: 60,000 demo customers simulated from BG/NBD (r, alpha, a, b) and
-- Gamma-Gamma (p, q, gamma); every estimate must be within 4 of its own standard
-- errors of the truth, and the standard errors must be informative (< 10 %).
CREATE FUNCTION pg_temp.within(est float8, se float8, truth float8) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$ SELECT abs(est - truth) <= 4 * se AND se < 0.1 * truth AND se > 0 $$;
CREATE TABLE public.lc_btyd_sim AS
SELECT customer_id, (btyd_summary(customer_profile(ordered_at, amount), date '2025-12-31', '7 days')).*
FROM demo_orders(60000, 11) GROUP BY customer_id;
CREATE TEMP TABLE sim_fit AS
SELECT bgnbd_fit(frequency, recency, t) AS bg, gamma_gamma_fit(frequency, monetary) AS gg,
       mbgnbd_fit(frequency, recency, t) AS mbg
FROM public.lc_btyd_sim;
SELECT ok((bg).converged AND (gg).converged AND (mbg).converged, 'recovery: the fits converge') FROM sim_fit;
SELECT ok(pg_temp.within((bg).r, (bg).r_se, 0.243), format('recovery: r = %s +- %s (truth 0.243)', (bg).r, (bg).r_se)) FROM sim_fit;
SELECT ok(pg_temp.within((bg).alpha, (bg).alpha_se, 4.414), format('recovery: alpha = %s +- %s (truth 4.414)', (bg).alpha, (bg).alpha_se)) FROM sim_fit;
SELECT ok(pg_temp.within((bg).a, (bg).a_se, 0.793), format('recovery: a = %s +- %s (truth 0.793)', (bg).a, (bg).a_se)) FROM sim_fit;
SELECT ok(pg_temp.within((bg).b, (bg).b_se, 2.426), format('recovery: b = %s +- %s (truth 2.426)', (bg).b, (bg).b_se)) FROM sim_fit;
SELECT ok(pg_temp.within((gg).p, (gg).p_se, 6.25), format('recovery: p = %s +- %s (truth 6.25)', (gg).p, (gg).p_se)) FROM sim_fit;
SELECT ok(pg_temp.within((gg).q, (gg).q_se, 3.74), format('recovery: q = %s +- %s (truth 3.74)', (gg).q, (gg).q_se)) FROM sim_fit;
SELECT ok(pg_temp.within((gg).gamma, (gg).gamma_se, 15.44), format('recovery: gamma = %s +- %s (truth 15.44)', (gg).gamma, (gg).gamma_se)) FROM sim_fit;
SELECT ok((bg).log_likelihood > (mbg).log_likelihood - 50, 'BG/NBD data: BG/NBD fits about as well as MBG/NBD') FROM sim_fit;
-- 24,027 distinct cells: fitted from a subsample start, then Newton steps with the
-- subsample's curvature. The result is a local maximum of the full likelihood: moving
-- any one parameter 0.1 % either way lowers it.
CREATE TEMP TABLE sim_hist AS
SELECT bgnbd_histogram(frequency, recency, t) AS hb, gamma_gamma_histogram(frequency, monetary) AS hg
FROM public.lc_btyd_sim;
SELECT ok(bool_and(btyd_log_likelihood(hb, (SELECT array_agg(CASE WHEN j = i THEN base[j] * f ELSE base[j] END ORDER BY j)
                                            FROM generate_series(1, 4) j)) < (bg).log_likelihood),
          'BG/NBD fit over 24k cells (subsample start + Newton polish) is a local maximum')
FROM sim_hist, sim_fit, LATERAL (SELECT ARRAY[(bg).r, (bg).alpha, (bg).a, (bg).b] AS base) b,
     generate_series(1, 4) i, unnest(ARRAY[1.001, 0.999]) f;
SELECT ok(bool_and(btyd_log_likelihood(hg, (SELECT array_agg(CASE WHEN j = i THEN base[j] * f ELSE base[j] END ORDER BY j)
                                            FROM generate_series(1, 3) j)) < (gg).log_likelihood),
          'Gamma-Gamma fit (subsample start + Newton polish) is a local maximum')
FROM sim_hist, sim_fit, LATERAL (SELECT ARRAY[(gg).p, (gg).q, (gg).gamma] AS base) b,
     generate_series(1, 3) i, unnest(ARRAY[1.001, 0.999]) f;
-- Gamma-Gamma standard errors come from the analytic Hessian: they agree with the
-- observed information by central differences of the log-likelihood (in log parameters,
-- step 1e-3, inverted here by cofactors)
CREATE FUNCTION pg_temp.fd_se(h btyd_histogram, par float8[]) RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
    d float8 := 1e-3; m float8[] := '{0,0,0,0,0,0,0,0,0}'; l0 float8; i int; j int;
    det float8; c float8[] := '{0,0,0}';
BEGIN
    l0 := btyd_log_likelihood(h, par);
    FOR i IN 1..3 LOOP
        FOR j IN i..3 LOOP
            m[(i - 1) * 3 + j] := -(pg_temp.ll_at(h, par, i, j, d, d) - pg_temp.ll_at(h, par, i, j, d, -d)
                                    - pg_temp.ll_at(h, par, i, j, -d, d) + pg_temp.ll_at(h, par, i, j, -d, -d)) / (4 * d * d);
            m[(j - 1) * 3 + i] := m[(i - 1) * 3 + j];
        END LOOP;
    END LOOP;
    det := m[1] * (m[5] * m[9] - m[6] * m[8]) - m[2] * (m[4] * m[9] - m[6] * m[7]) + m[3] * (m[4] * m[8] - m[5] * m[7]);
    c[1] := (m[5] * m[9] - m[6] * m[8]) / det;
    c[2] := (m[1] * m[9] - m[3] * m[7]) / det;
    c[3] := (m[1] * m[5] - m[2] * m[4]) / det;
    RETURN ARRAY[par[1] * sqrt(c[1]), par[2] * sqrt(c[2]), par[3] * sqrt(c[3])];
END $$;
CREATE FUNCTION pg_temp.ll_at(h btyd_histogram, par float8[], i int, j int, di float8, dj float8) RETURNS float8
    LANGUAGE sql AS $$
    SELECT btyd_log_likelihood(h, (SELECT array_agg(par[k] * exp(CASE WHEN k = i THEN di ELSE 0 END
                                                                  + CASE WHEN k = j THEN dj ELSE 0 END) ORDER BY k)
                                   FROM generate_series(1, 3) k)) $$;
SELECT ok(abs((gg).p_se / s[1] - 1) < 1e-3 AND abs((gg).q_se / s[2] - 1) < 1e-3 AND abs((gg).gamma_se / s[3] - 1) < 1e-3,
          format('Gamma-Gamma standard errors (%s, %s, %s) = finite-difference ones %s', (gg).p_se, (gg).q_se, (gg).gamma_se, s))
FROM sim_fit, sim_hist, LATERAL (SELECT pg_temp.fd_se(hg, ARRAY[(gg).p, (gg).q, (gg).gamma]) AS s) x;
-- the histogram holds exactly the plain-SQL distinct cells and counts, whatever the
-- row order (rows fed in a scrambled order: many in-place merges of sorted tails)
SELECT set_eq(
    $$SELECT (c->>0)::float8 AS x, (c->>1)::float8 AS y, (c->>2)::float8 AS z, (c->>3)::float8 AS w
      FROM (SELECT bgnbd_histogram(frequency, recency, t ORDER BY md5(customer_id::text))::text::jsonb AS j
            FROM public.lc_btyd_sim) h, jsonb_array_elements(j->'cells') c$$,
    $$SELECT frequency::float8 AS x, recency AS y, t AS z, count(*)::float8 AS w FROM public.lc_btyd_sim GROUP BY 1, 2, 3$$,
    'bgnbd_histogram cells = GROUP BY (frequency, recency, t) counts');
SELECT set_eq(
    $$SELECT (c->>0)::float8 AS x, (c->>1)::float8 AS y, (c->>3)::float8 AS w
      FROM (SELECT gamma_gamma_histogram(frequency, monetary ORDER BY md5(customer_id::text))::text::jsonb AS j
            FROM public.lc_btyd_sim) h, jsonb_array_elements(j->'cells') c$$,
    $$SELECT frequency::float8 AS x, monetary AS y, count(*)::float8 AS w FROM public.lc_btyd_sim WHERE frequency > 0 GROUP BY 1, 2$$,
    'gamma_gamma_histogram cells = GROUP BY (frequency, monetary) counts of repeat buyers');
-- inside an aggregate the state is an expanded object: as a window aggregate the final
-- function reads it after every row while it keeps growing; the last row equals the
-- plain aggregate, and every row has the plain-SQL count of distinct cells so far
SELECT is((SELECT h::text FROM (SELECT customer_id, gamma_gamma_histogram(frequency, monetary) OVER (ORDER BY customer_id) AS h
                                FROM public.lc_btyd_sim WHERE customer_id % 10 = 0) w ORDER BY customer_id DESC LIMIT 1),
          (SELECT gamma_gamma_histogram(frequency, monetary)::text FROM public.lc_btyd_sim WHERE customer_id % 10 = 0),
          'window gamma_gamma_histogram over all rows = the aggregate');
SELECT is((SELECT count(*) FROM (SELECT jsonb_array_length((bgnbd_histogram(frequency, recency, t) OVER w)::text::jsonb->'cells') AS n,
                                        sum(first) OVER w AS distinct_so_far
                                 FROM (SELECT *, (row_number() OVER (PARTITION BY frequency, recency, t ORDER BY customer_id) = 1)::int AS first
                                       FROM public.lc_btyd_sim WHERE customer_id % 40 = 0) u
                                 WINDOW w AS (ORDER BY customer_id)) s
           WHERE n <> distinct_so_far),
          0::bigint, 'window bgnbd_histogram: distinct cells after every row = plain SQL');
-- -0 and 0 are one value (2,000 rows in 40 cells: large tails go through the radix sort)
SELECT is(bgnbd_histogram(0, CASE WHEN i % 2 = 0 THEN 0.0::float8 ELSE '-0'::float8 END, (i * 7919) % 40 + 1)::text,
          (SELECT bgnbd_histogram(0, 0, t) FROM generate_series(1, 40) t, generate_series(1, 50) k)::text,
          'recency -0 and 0 fall into one cell')
FROM generate_series(1, 2000) i;

-- a second parameter set, far from CDNOW's
CREATE TEMP TABLE sim2 AS
SELECT (btyd_summary(customer_profile(ordered_at, amount), date '2025-12-31', '7 days')).*
FROM demo_orders(40000, 5, '2023-01-01', '2025-12-31', 1.5, 20, 2.0, 8.0, 3.0, 6.0, 40.0) GROUP BY customer_id;
CREATE TEMP TABLE sim2_fit AS SELECT bgnbd_fit(frequency, recency, t) AS bg, gamma_gamma_fit(frequency, monetary) AS gg FROM sim2;
SELECT ok((bg).converged AND pg_temp.within((bg).r, (bg).r_se, 1.5) AND pg_temp.within((bg).alpha, (bg).alpha_se, 20)
          AND pg_temp.within((bg).a, (bg).a_se, 2.0) AND pg_temp.within((bg).b, (bg).b_se, 8.0),
          format('recovery (1.5, 20, 2, 8): %s', bg)) FROM sim2_fit;
SELECT ok((gg).converged AND pg_temp.within((gg).p, (gg).p_se, 3.0) AND pg_temp.within((gg).q, (gg).q_se, 6.0)
          AND pg_temp.within((gg).gamma, (gg).gamma_se, 40.0),
          format('recovery (3, 6, 40): %s', gg)) FROM sim2_fit;
-- predictions agree with the simulation: mean predicted p_alive and value are sane
SELECT ok((SELECT avg(expected_purchases(bg, 52, frequency, recency, t)) FROM public.lc_btyd_sim) > 0,
          'expected purchases are positive on average') FROM sim_fit;

-- 2. Parallel: Partial/Gather/Finalize, equal to a serial run
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; t text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP t := t || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN t;
END $$;
ANALYZE public.lc_btyd_sim;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT bgnbd_histogram(frequency, recency, t)::text AS h, bgnbd_fit(frequency, recency, t)::text AS bg,
       gamma_gamma_histogram(frequency, monetary)::text AS hg, gamma_gamma_fit(frequency, monetary)::text AS gg,
       pareto_nbd_histogram(frequency, recency, t, 0.01)::text AS hp
FROM public.lc_btyd_sim;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of('SELECT bgnbd_fit(frequency, recency, t) FROM public.lc_btyd_sim'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'bgnbd_fit runs as Finalize/Gather/Partial');
SELECT matches(pg_temp.plan_of('SELECT gamma_gamma_fit(frequency, monetary) FROM public.lc_btyd_sim'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'gamma_gamma_fit runs as Finalize/Gather/Partial');
SELECT matches(pg_temp.plan_of('SELECT mbgnbd_fit(frequency, recency, t), pareto_nbd_fit(frequency, recency, t, 0.1), bgbb_fit(frequency, frequency, frequency + 1) FROM public.lc_btyd_sim'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'mbgnbd_fit, pareto_nbd_fit, bgbb_fit run as Finalize/Gather/Partial');
SELECT is((SELECT bgnbd_histogram(frequency, recency, t)::text FROM public.lc_btyd_sim), (SELECT h FROM serial),
          'parallel histogram = serial histogram');
SELECT is((SELECT bgnbd_fit(frequency, recency, t)::text FROM public.lc_btyd_sim), (SELECT bg FROM serial),
          'parallel BG/NBD fit = serial fit');
SELECT is((SELECT gamma_gamma_histogram(frequency, monetary)::text FROM public.lc_btyd_sim), (SELECT hg FROM serial),
          'parallel Gamma-Gamma histogram = serial');
SELECT is((SELECT gamma_gamma_fit(frequency, monetary)::text FROM public.lc_btyd_sim), (SELECT gg FROM serial),
          'parallel Gamma-Gamma fit = serial fit');
SELECT is((SELECT pareto_nbd_histogram(frequency, recency, t, 0.01)::text FROM public.lc_btyd_sim), (SELECT hp FROM serial),
          'parallel histogram with a penalizer = serial');
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- 3. Partitionwise aggregate: two non-empty partial states combined
CREATE TABLE public.lc_btyd_part (customer_id bigint, frequency int, recency float8, t float8, monetary float8)
    PARTITION BY LIST ((customer_id % 2));
CREATE TABLE public.lc_btyd_part0 PARTITION OF public.lc_btyd_part FOR VALUES IN (0);
CREATE TABLE public.lc_btyd_part1 PARTITION OF public.lc_btyd_part FOR VALUES IN (1);
INSERT INTO public.lc_btyd_part SELECT customer_id, frequency, recency, t, monetary FROM public.lc_btyd_sim;
ANALYZE public.lc_btyd_part;
SET LOCAL enable_partitionwise_aggregate = on;
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT matches(pg_temp.plan_of('SELECT bgnbd_fit(frequency, recency, t) FROM public.lc_btyd_part'),
               'Finalize Aggregate.*Append.*Partial Aggregate.*Partial Aggregate', 'partitionwise plan: a partial state per partition');
SELECT is((SELECT bgnbd_histogram(frequency, recency, t)::text FROM public.lc_btyd_part), (SELECT h FROM serial),
          'partitionwise histogram = serial histogram');
SELECT is((SELECT pg_column_size(h) FROM (SELECT bgnbd_histogram(frequency, recency, t) h FROM public.lc_btyd_sim) s),
          (SELECT pg_column_size(h::text::btyd_histogram) FROM (SELECT bgnbd_histogram(frequency, recency, t) h FROM public.lc_btyd_sim) s),
          'a histogram aggregate returns the trimmed canonical form (no unused capacity to store)');
SELECT is((SELECT btyd_histogram_final(h::btyd_histogram)::text FROM serial), (SELECT h FROM serial),
          'btyd_histogram_final of a canonical histogram is the same histogram');
SELECT ok(btyd_histogram_final(NULL) IS NULL, 'btyd_histogram_final(NULL) is NULL');
SELECT is((SELECT bgnbd_fit(frequency, recency, t)::text FROM public.lc_btyd_part), (SELECT bg FROM serial),
          'partitionwise fit = serial fit');
SELECT is((SELECT gamma_gamma_fit(frequency, monetary)::text FROM public.lc_btyd_part), (SELECT gg FROM serial),
          'partitionwise Gamma-Gamma fit = serial fit');
CREATE TEMP TABLE all_kinds AS
SELECT mbgnbd_histogram(frequency, recency, t)::text AS mbg, pareto_nbd_histogram(frequency, recency, t)::text AS pn,
       bgbb_histogram(frequency, frequency, frequency + 1, 2)::text AS bb, gamma_gamma_histogram(frequency, monetary)::text AS gg
FROM public.lc_btyd_sim;
SELECT is((SELECT ROW(mbgnbd_histogram(frequency, recency, t)::text, pareto_nbd_histogram(frequency, recency, t)::text,
                      bgbb_histogram(frequency, frequency, frequency + 1, 2)::text, gamma_gamma_histogram(frequency, monetary)::text)::text
           FROM public.lc_btyd_part),
          (SELECT ROW(mbg, pn, bb, gg)::text FROM all_kinds),
          'partitionwise histograms of every kind = serial histograms');
SELECT ok((SELECT bool_and(h::btyd_histogram::text = h) FROM all_kinds, LATERAL (VALUES (mbg), (pn), (bb), (gg)) v(h)),
          'text round trip is exact for every kind');
SELECT is((SELECT bgbb_fit(frequency, frequency, frequency + 1, 2)::text FROM public.lc_btyd_part),
          (SELECT bgbb_fit_final(bb::btyd_histogram)::text FROM all_kinds),
          'partitionwise BG/BB fit = fit of the serial histogram');
RESET enable_partitionwise_aggregate;

-- 3b. Large states (over 4,096 cells) become expanded objects: 240,000 rows in about
-- 200,000 distinct cells, fed scrambled, serially, in parallel workers (the partial
-- states are flattened for the tuple queue) and partitionwise (a partial state is
-- read as an expanded object by the combine function)
CREATE TABLE public.lc_btyd_big (id int, x int, m float8) PARTITION BY LIST ((id % 2));
CREATE TABLE public.lc_btyd_big0 PARTITION OF public.lc_btyd_big FOR VALUES IN (0);
CREATE TABLE public.lc_btyd_big1 PARTITION OF public.lc_btyd_big FOR VALUES IN (1);
INSERT INTO public.lc_btyd_big
SELECT i, 1 + (i * 7) % 3, round(((i * 7919) % 600000) / 100.0 + 1, 2) FROM generate_series(1, 240000) i;
ANALYZE public.lc_btyd_big;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE big_serial AS
SELECT gamma_gamma_histogram(x, m ORDER BY md5(id::text))::text AS h FROM public.lc_btyd_big;
SELECT set_eq(
    $$SELECT (c->>0)::float8 AS x, (c->>1)::float8 AS y, (c->>3)::float8 AS w
      FROM big_serial, jsonb_array_elements(h::jsonb->'cells') c$$,
    $$SELECT x::float8, m, count(*)::float8 FROM public.lc_btyd_big GROUP BY 1, 2$$,
    'a state past 4,096 cells: histogram cells = GROUP BY counts');
SET LOCAL enable_partitionwise_aggregate = on;
SELECT is((SELECT gamma_gamma_histogram(x, m)::text FROM public.lc_btyd_big), (SELECT h FROM big_serial),
          'large states, partitionwise = serial');
RESET enable_partitionwise_aggregate;
-- two workers without the leader: 240,000 cells, each state past 4,096
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of('SELECT gamma_gamma_histogram(x, m) FROM public.lc_btyd_big'),
               'Finalize Aggregate.*Gather.*Partial Aggregate', 'large states: Finalize/Gather/Partial plan');
SELECT is((SELECT gamma_gamma_histogram(x, m)::text FROM public.lc_btyd_big), (SELECT h FROM big_serial),
          'large states, parallel = serial');
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
-- 3c. Packed partial states: a worker flattens a state past 4,096 cells to the packed
-- form (varint frequencies, weights as a byte or raw, changed z only); unpacking must
-- give back every cell exactly. Frequencies up to 10^8 (4-byte varints), fractional
-- recency, BG/BB weights 0.5, 1, 2, 257, 258 and 10^6, and -0 recency.
CREATE TABLE public.lc_btyd_pk (id int, x float8, y float8, z float8, w float8);
INSERT INTO public.lc_btyd_pk
SELECT i, x, CASE WHEN x = 0 THEN (CASE WHEN i % 2 = 0 THEN '-0'::float8 ELSE 0 END) ELSE y END, z,
       (ARRAY[0.5, 1, 1, 2, 257, 258, 1e6, 3])[1 + i % 8]
FROM (SELECT i, (ARRAY[0, 1, 2, 127, 128, 16383, 16384, 1e6, 1e8])[1 + (i * 7) % 9]::float8 AS x,
             ((i * 7919) % 5000) / 7.0 + 1e8 AS y, 1e8 + 5000 + (i % 97) AS z
      FROM generate_series(1, 30000) i) s;
CREATE TABLE public.lc_btyd_bb (id int, x float8, r float8, n float8, w float8);
INSERT INTO public.lc_btyd_bb
SELECT i, CASE WHEN r = 0 THEN 0 ELSE 1 + (i / 61) % r END, r, n, (ARRAY[0.5, 1, 1, 2, 257, 258, 1e6, 3])[1 + i % 8]
FROM (SELECT i, n, (i / 7) % (n + 1) AS r FROM (SELECT i, 1 + i % 50 AS n FROM generate_series(1, 40000) i) a) s;
ANALYZE public.lc_btyd_pk;
ANALYZE public.lc_btyd_bb;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE pk_serial AS
SELECT (SELECT bgnbd_histogram(x, y, z)::text FROM public.lc_btyd_pk) AS nbd,
       (SELECT bgbb_histogram(x, r, n, w)::text FROM public.lc_btyd_bb) AS bb,
       (SELECT bgbb_fit(x, r, n, w)::text FROM public.lc_btyd_bb) AS bbfit;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT is((SELECT bgnbd_histogram(x, y, z)::text FROM public.lc_btyd_pk), (SELECT nbd FROM pk_serial),
          'packed partial states: large frequencies, -0 recency, changing T, parallel = serial');
SELECT is((SELECT bgbb_histogram(x, r, n, w)::text FROM public.lc_btyd_bb), (SELECT bb FROM pk_serial),
          'packed partial states: BG/BB weights 0.5 to 10^6, parallel = serial');
SELECT is((SELECT bgbb_fit(x, r, n, w)::text FROM public.lc_btyd_bb), (SELECT bbfit FROM pk_serial),
          'packed partial states: BG/BB fit, parallel = serial');
SELECT ok((SELECT count(*) FROM jsonb_array_elements((SELECT nbd FROM pk_serial)::jsonb->'cells')) > 8192
          AND (SELECT count(*) FROM jsonb_array_elements((SELECT bb FROM pk_serial)::jsonb->'cells')) > 8192,
          'the packed test histograms are past the expanded-state threshold');
RESET parallel_leader_participation;
-- more partial states than the 8 runs a state keeps: 12 partitions, each past 4,096
-- cells, aggregated by a Parallel Append: the Finalize step combines 12 packed states
CREATE TABLE public.lc_btyd_many (id int, x int, m float8) PARTITION BY LIST ((id % 12));
DO $$
BEGIN
    FOR k IN 0 .. 11 LOOP
        EXECUTE format('CREATE TABLE public.lc_btyd_many%s PARTITION OF public.lc_btyd_many FOR VALUES IN (%s)', k, k);
    END LOOP;
END $$;
INSERT INTO public.lc_btyd_many
SELECT i, 1 + (i * 7) % 5, round(((i * 7919) % 700000) / 100.0 + 1, 2) FROM generate_series(1, 180000) i;
ANALYZE public.lc_btyd_many;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE many_serial AS
SELECT gamma_gamma_histogram(x, m)::text AS h, gamma_gamma_fit(x, m)::text AS f FROM public.lc_btyd_many;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT matches(pg_temp.plan_of('SELECT gamma_gamma_histogram(x, m) FROM public.lc_btyd_many'),
               'Finalize Aggregate.*Gather.*Parallel Append.*Partial Aggregate', '12 partitions: Finalize/Gather/Parallel Append plan');
SELECT is((SELECT gamma_gamma_histogram(x, m)::text FROM public.lc_btyd_many), (SELECT h FROM many_serial),
          '12 packed partial states (more than 8 runs), parallel = serial');
SELECT is((SELECT gamma_gamma_fit(x, m)::text FROM public.lc_btyd_many), (SELECT f FROM many_serial),
          '12 packed partial states, Gamma-Gamma fit = serial fit');
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT gamma_gamma_histogram(x, m)::text FROM public.lc_btyd_many), (SELECT h FROM many_serial),
          '12 partitions, partitionwise without workers = serial');
RESET enable_partitionwise_aggregate;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- stored histograms: fit of a text round trip = fit of the rows
SELECT is((SELECT bgnbd_fit_final(h::btyd_histogram)::text FROM serial), (SELECT bg FROM serial),
          'fitting a stored histogram (text round trip) = fitting the rows');
SELECT is((SELECT h::btyd_histogram::text FROM serial), (SELECT h FROM serial), 'histogram text round trip is exact');

-- 4. Penalizer and convergence flag
SELECT ok((SELECT (m).r^2 + (m).alpha^2 + (m).a^2 + (m).b^2 FROM (SELECT bgnbd_fit(frequency, recency, t, 0.1) m FROM public.lc_btyd_sim) s)
          < (SELECT (bg).r^2 + (bg).alpha^2 + (bg).a^2 + (bg).b^2 FROM sim_fit),
          'a penalizer shrinks the parameters');
SELECT ok(NOT (m).converged AND (m).r IS NOT NULL AND (m).r = (m).r,
          'no repeat purchases at all: converged = false, parameters are numbers, not NaN')
FROM (SELECT bgnbd_fit(0, 0, t) m FROM generate_series(1, 50) t) s;
SELECT ok(NOT (m).converged AND (m).log_likelihood = (m).log_likelihood,
          'identical spends (no spread): Gamma-Gamma converged = false, no NaN')
FROM (SELECT gamma_gamma_fit(1, 10) m FROM generate_series(1, 50) t) s;
SELECT ok((SELECT bgnbd_fit(x, 0, 1) FROM (SELECT NULL::float8 x) s) IS NULL, 'no rows (all NULL): NULL model');
SELECT ok((SELECT (m).customers FROM (SELECT bgnbd_fit(frequency, recency, t) m FROM (VALUES (1, 1, 2), (NULL, 1, 2)) v(frequency, recency, t)) s) = 1,
          'rows with NULLs are skipped');

-- 5. Robustness: no NaN or infinity for valid edge inputs (large x, x = 0, t_x = T, T = 0)
CREATE TEMP TABLE edge (x float8, tx float8, t float8);
INSERT INTO edge VALUES (0, 0, 0), (0, 0, 10), (1, 5, 5), (5, 5, 5), (1000, 10, 52), (1000, 52, 52), (1e6, 500, 520), (50000, 0.5, 1000), (3, 0, 40);
CREATE TEMP TABLE edge_models AS
SELECT ROW(0.243, 4.414, 0.793, 2.426, 0, 0, true, 0, 0, 0, 0)::bgnbd_model AS bg,
       ROW(0.525, 6.183, 0.891, 1.614, 0, 0, true, 0, 0, 0, 0)::mbgnbd_model AS mbg,
       ROW(0.553, 10.578, 0.606, 11.669, 0, 0, true, 0, 0, 0, 0)::pareto_nbd_model AS pn,
       ROW(0.553, 1.578, 0.606, 41.669, 0, 0, true, 0, 0, 0, 0)::pareto_nbd_model AS pn2,
       ROW(6.25, 3.74, 15.44, 0, 0, true, 0, 0, 0)::gamma_gamma_model AS gg;
SELECT ok(bool_and(v >= 0 AND v <= 1 AND v = v), 'p_alive is a probability at every edge input')
FROM (SELECT unnest(ARRAY[p_alive(bg, x, tx, t), p_alive(mbg, x, tx, t), p_alive(pn, x, tx, t), p_alive(pn2, x, tx, t)]) v
      FROM edge, edge_models) s;
SELECT ok(bool_and(v >= 0 AND v < 'infinity' AND v = v), 'conditional expected purchases are finite at every edge input')
FROM (SELECT unnest(ARRAY[expected_purchases(bg, h, x, tx, t), expected_purchases(mbg, h, x, tx, t),
                          expected_purchases(pn, h, x, tx, t), expected_purchases(pn2, h, x, tx, t)]) v
      FROM edge, edge_models, (VALUES (0), (1), (52), (1000)) hh(h)) s;
SELECT ok(bool_and(v >= 0 AND v < 'infinity' AND v = v), 'customer_value and dert are finite at every edge input')
FROM (SELECT unnest(ARRAY[customer_value(bg, gg, x, tx, t, 20, 52, 0.01, 4.345), customer_value(pn, gg, x, tx, t, 20, 52, 0.01, 4.345),
                          dert(pn, 0.0027, x, tx, t), dert(pn2, 0.0027, x, tx, t)]) v
      FROM edge, edge_models) s;
SELECT ok(p_alive(bg, 1000, 52, 52) > 0.99 AND p_alive(bg, 1000, 10, 52) < 1e-10,
          'BG/NBD with x = 1000: alive right after the last purchase, dead after 42 silent weeks') FROM edge_models;
SELECT ok(abs(expected_purchases(bg, 52, 1e6, 520, 520) / (1e6 / 520 * 52) - 1) < 0.05,
          'x = 1e6 over 520 weeks: about x / T per week (no overflow)') FROM edge_models;
SELECT ok(expected_purchases(bg, 1e5) > expected_purchases(bg, 1e3), 'long horizons still converge') FROM edge_models;
-- a = 1 (removable singularity of BG/NBD) is continuous
SELECT ok(abs(expected_purchases(ROW(0.243, 4.414, 1, 2.426, 0, 0, true, 0, 0, 0, 0)::bgnbd_model, 39, 2, 30, 38)
              - expected_purchases(ROW(0.243, 4.414, 1.000001, 2.426, 0, 0, true, 0, 0, 0, 0)::bgnbd_model, 39, 2, 30, 38)) < 1e-5,
          'BG/NBD expected purchases are continuous at a = 1');
SELECT ok(abs(expected_purchases(ROW(0.553, 10.578, 1, 11.669, 0, 0, true, 0, 0, 0, 0)::pareto_nbd_model, 39)
              - expected_purchases(ROW(0.553, 10.578, 1.000001, 11.669, 0, 0, true, 0, 0, 0, 0)::pareto_nbd_model, 39)) < 1e-5,
          'Pareto/NBD expected purchases are continuous at s = 1');

-- customer_value (one-pass series over all steps) = the discounted sum of expected_purchases increments
SELECT ok(max(abs(v - w) / greatest(w, 1e-9)) < 1e-9, 'customer_value = sum of discounted expected_purchases increments (BG/NBD, MBG/NBD, Pareto/NBD)')
FROM (SELECT customer_value(mm, gg, x, tx, t, 20, 52, 0.01, 4.345) v,
             expected_spend(gg, x, 20) * (SELECT sum((expected_purchases(mm, least(i * 4.345, 52), x, tx, t)
                                                      - expected_purchases(mm, (i - 1) * 4.345, x, tx, t)) / 1.01 ^ i)
                                          FROM generate_series(1, 12) i) w
      FROM edge, edge_models, LATERAL (VALUES (bg)) m(mm)
      UNION ALL
      SELECT customer_value(mbg, gg, x, tx, t, 20, 52, 0.01, 4.345),
             expected_spend(gg, x, 20) * (SELECT sum((expected_purchases(mbg, least(i * 4.345, 52), x, tx, t)
                                                      - expected_purchases(mbg, (i - 1) * 4.345, x, tx, t)) / 1.01 ^ i)
                                          FROM generate_series(1, 12) i)
      FROM edge, edge_models
      UNION ALL
      SELECT customer_value(pn, gg, x, tx, t, 20, 52, 0.01, 4.345),
             expected_spend(gg, x, 20) * (SELECT sum((expected_purchases(pn, least(i * 4.345, 52), x, tx, t)
                                                      - expected_purchases(pn, (i - 1) * 4.345, x, tx, t)) / 1.01 ^ i)
                                          FROM generate_series(1, 12) i)
      FROM edge, edge_models) s;

-- 5b. The per-call-site series memo (BG/NBD, MBG/NBD expected_purchases and
-- customer_value remember the series per (frequency, T)) changes no value: scoring
-- with one model (memo used) equals scoring where every row alternates between two
-- models (the memo starts over on each row), exactly, for every customer.
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE memo_models AS
SELECT bg, gg, mbg, ROW((bg).r * 1.5, (bg).alpha, (bg).a, (bg).b, 0, 0, true, 0, 0, 0, 0)::bgnbd_model AS bg2,
       ROW((mbg).r * 1.5, (mbg).alpha, (mbg).a, (mbg).b, 0, 0, true, 0, 0, 0, 0)::mbgnbd_model AS mbg2
FROM sim_fit;
-- the memo judges its hit rate after 20,000 lookups: a population where every
-- customer has a different T switches it off midway
CREATE TEMP TABLE memo_distinct AS
SELECT -i AS customer_id, (i % 4)::float8 AS frequency, CASE WHEN i % 4 = 0 THEN 0 ELSE 10 + i / 3000.0 END AS recency,
       20 + i / 1000.0 AS t, CASE WHEN i % 4 = 0 THEN 0 ELSE 25.0 END AS monetary
FROM generate_series(1, 30000) i;
CREATE TEMP TABLE memo_in AS
SELECT customer_id, frequency, recency, t, monetary FROM public.lc_btyd_sim
UNION ALL SELECT * FROM memo_distinct;
CREATE TEMP TABLE memo_on AS
SELECT customer_id, expected_purchases(bg, 52, frequency, recency, t) AS e,
       customer_value(bg, gg, frequency, recency, t, monetary, 52, 0.01, 4.345) AS v,
       expected_purchases(mbg, 39, frequency, recency, t) AS em,
       customer_value(mbg, gg, frequency, recency, t, monetary, 26, 0.02, 2) AS vm
FROM memo_in, memo_models;
CREATE TEMP TABLE memo_off AS
SELECT customer_id, k, expected_purchases(b, 52, frequency, recency, t) AS e,
       customer_value(b, gg, frequency, recency, t, monetary, 52, 0.01, 4.345) AS v,
       expected_purchases(mb, 39, frequency, recency, t) AS em,
       customer_value(mb, gg, frequency, recency, t, monetary, 26, 0.02, 2) AS vm
FROM (SELECT i.*, k, CASE k WHEN 1 THEN bg ELSE bg2 END AS b, CASE k WHEN 1 THEN mbg ELSE mbg2 END AS mb, gg
      FROM memo_in i, memo_models, generate_series(1, 2) k ORDER BY customer_id, k OFFSET 0) q;
SELECT is((SELECT count(*) FROM memo_off WHERE k = 1), (SELECT count(*) FROM memo_on), 'memo check: every customer scored both ways');
SELECT is_empty($$SELECT customer_id FROM memo_on a JOIN memo_off b USING (customer_id)
                  WHERE b.k = 1 AND customer_id > 0 AND (a.e <> b.e OR a.v <> b.v OR a.em <> b.em OR a.vm <> b.vm)$$,
                'memo: BG/NBD and MBG/NBD expected_purchases and customer_value equal without the memo (60,000 demo customers)');
SELECT is_empty($$SELECT customer_id FROM memo_on a JOIN memo_off b USING (customer_id)
                  WHERE b.k = 1 AND customer_id < 0 AND (a.e <> b.e OR a.v <> b.v OR a.em <> b.em OR a.vm <> b.vm)$$,
                'memo: equal without the memo where every customer has a different T (memo switches off)');
SELECT ok((SELECT count(*) FROM memo_off a JOIN memo_off b USING (customer_id) WHERE a.k = 1 AND b.k = 2 AND a.e <> b.e)
          > 0.95 * (SELECT count(*) FROM memo_on), 'memo check: the alternating models really differ on (nearly) every row');
RESET max_parallel_workers_per_gather;

-- 6. Bad input: SQLSTATE and hint
SELECT throws_ok($$SELECT bgnbd_fit(-1, 0, 10)$$, '22023', NULL, 'negative frequency: 22023');
SELECT throws_ok($$SELECT bgnbd_fit(1.5, 1, 10)$$, '22023', NULL, 'non-integer frequency: 22023');
SELECT throws_ok($$SELECT pareto_nbd_fit(2, 11, 10)$$, '22023', 'recency (11) must not exceed t (10)', 'recency > t: 22023');
SELECT throws_ok($$SELECT mbgnbd_fit(0, 3, 10)$$, '22023', 'recency must be 0 when frequency is 0', 'recency without repeat purchases: 22023');
SELECT throws_ok($$SELECT bgnbd_fit('NaN', 0, 10)$$, '22023', 'BTYD input must not be NaN', 'NaN frequency: 22023');
SELECT throws_ok($$SELECT bgnbd_fit(1, 'NaN', 10)$$, '22023', 'BTYD input must not be NaN', 'NaN recency: 22023');
SELECT throws_ok($$SELECT bgnbd_fit(1, 1, 'infinity')$$, '22023', NULL, 'infinite t: 22023');
SELECT throws_ok($$SELECT bgnbd_fit(1, 1, 10, -0.1)$$, '22023', NULL, 'penalizer < 0: 22023');
SELECT throws_ok($$SELECT bgnbd_fit(1, 1, 10, p) FROM (VALUES (0.1), (0.2)) v(p)$$, '22023', NULL, 'varying penalizer: 22023');
SELECT throws_ok($$SELECT gamma_gamma_fit(2, 0)$$, '22023', 'monetary must be positive for repeat buyers, got 0', 'monetary = 0 for a repeat buyer: 22023');
SELECT throws_ok($$SELECT gamma_gamma_fit(2, -5)$$, '22023', NULL, 'negative monetary: 22023');
SELECT throws_ok($$SELECT bgbb_fit(3, 2, 6)$$, '22023', NULL, 'BG/BB frequency > recency: 22023');
SELECT throws_ok($$SELECT bgbb_fit(1, 1.5, 6)$$, '22023', NULL, 'BG/BB non-integer recency: 22023');
SELECT throws_ok($$SELECT p_alive(ROW(-0.2, 4.4, 0.8, 2.4, 0, 0, true, 0, 0, 0, 0)::bgnbd_model, 1, 1, 2)$$, '22023',
                 'invalid bgnbd_model: parameter r must be positive and finite', 'model with r < 0: 22023');
SELECT throws_ok($$SELECT expected_purchases(ROW(0.5, 'NaN', 0.8, 2.4, 0, 0, true, 0, 0, 0, 0)::mbgnbd_model, 10)$$, '22023',
                 NULL, 'model with NaN alpha: 22023');
SELECT throws_ok($$SELECT p_alive(ROW(0.5, 4, NULL, 2.4, 0, 0, false, 0, 0, 0, 0)::pareto_nbd_model, 1, 1, 2)$$, '22023',
                 NULL, 'model with a NULL parameter (failed fit): 22023');
SELECT throws_ok($$SELECT expected_spend(ROW(6, 0.9, 15, 0, 0, true, 0, 0, 0)::gamma_gamma_model, 2, 10)$$, '22023',
                 NULL, 'Gamma-Gamma with q <= 1 has no mean: 22023');
SELECT throws_ok($$SELECT expected_spend(gg, 2, 0) FROM edge_models$$, '22023', NULL, 'expected_spend with monetary 0: 22023');
SELECT throws_ok($$SELECT p_alive(bg, 2, 5, 3) FROM edge_models$$, '22023', NULL, 'prediction with recency > t: 22023');
SELECT throws_ok($$SELECT expected_purchases(bg, -1) FROM edge_models$$, '22023', NULL, 'negative horizon: 22023');
SELECT throws_ok($$SELECT customer_value(bg, gg, 1, 1, 2, 10, 52, 0.01, 0) FROM edge_models$$, '22023', NULL, 'step 0: 22023');
SELECT throws_ok($$SELECT customer_value(bg, gg, 1, 1, 2, 10, 52, -0.5, 4) FROM edge_models$$, '22023', NULL, 'negative discount rate: 22023');
SELECT throws_ok($$SELECT dert(pn, 0, 1, 1, 2) FROM edge_models$$, '22023', NULL, 'dert with delta 0: 22023');
SELECT throws_ok($$SELECT purchase_probability(bg, -1, 10) FROM edge_models$$, '22023', NULL, 'negative number of purchases: 22023');

SELECT * FROM finish();
ROLLBACK;

-- make bench, part 00: the shared data and harness.
-- make bench runs bench/NN_*.sql in name order in one psql session. Each domain file
-- adds its queries to bench_query, checks that competing queries give the same
-- answer, and adds its ratios to bench_ratio; 99_report.sql times every query
-- :reps times, interleaved, on the same data, and reports medians and ratios.
\pset footer off
SET TimeZone = 'UTC';
SET client_min_messages = warning;
CREATE EXTENSION lifecycle;

\echo '== data: demo_orders(' :customers ') in time order, as a real orders table is =='
\timing on
CREATE TABLE orders AS
SELECT customer_id, ordered_at AS ts, amount FROM demo_orders(:customers) ORDER BY ordered_at;
\timing off
VACUUM ANALYZE orders;
SELECT count(*) AS orders, count(DISTINCT customer_id) AS customers,
       pg_size_pretty(pg_total_relation_size('orders')) AS size FROM orders;

-- settings: 'name=value, name=value' applied (transaction-locally) for that query only,
-- e.g. 'enable_hashagg=off' or 'work_mem=256MB'; '' runs with the server's settings.
CREATE TABLE bench_query (id text PRIMARY KEY, label text, sql text, settings text NOT NULL DEFAULT '');
CREATE TABLE bench_time (id text, rep int, ms float8);

-- time one query on the server (no client transfer: each returns one row)
CREATE FUNCTION bench_run(q text, settings text DEFAULT '') RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; r record; ms float8; kv text; saved text[] := '{}';
BEGIN
    FOREACH kv IN ARRAY coalesce(string_to_array(nullif(settings, ''), ','), '{}') LOOP
        saved := saved || ARRAY[trim(split_part(kv, '=', 1)), current_setting(trim(split_part(kv, '=', 1)))];
        PERFORM set_config(trim(split_part(kv, '=', 1)), trim(split_part(kv, '=', 2)), false);
    END LOOP;
    t0 := clock_timestamp();
    EXECUTE q INTO r;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    FOR i IN 1 .. coalesce(array_length(saved, 1), 0) / 2 LOOP
        PERFORM set_config(saved[2 * i - 1], saved[2 * i], false);
    END LOOP;
    RETURN ms;
END $$;

-- a ratio reported at the end: min(median of num) / min(median of den)
CREATE TABLE bench_ratio (ord serial, name text, num text[], den text[], goal text);

CREATE FUNCTION bench_answer(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
    EXECUTE format('SELECT x::text FROM (%s) x', q) INTO t;
    RETURN t;
END $$;

-- raise unless every query in ids gives the same one-row answer
CREATE FUNCTION bench_same(ids text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE first text; a text; i text;
BEGIN
    FOREACH i IN ARRAY ids LOOP
        a := bench_answer((SELECT sql FROM bench_query WHERE id = i));
        RAISE WARNING '% => %', i, a;
        IF first IS NULL THEN
            first := a;
        ELSIF a IS DISTINCT FROM first THEN
            RAISE EXCEPTION 'bench: % gives a different answer than %', i, ids[1];
        END IF;
    END LOOP;
END $$;

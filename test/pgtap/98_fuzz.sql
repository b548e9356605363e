-- Fuzzing the input functions of every stored type: thousands of mutated text and
-- binary forms (flipped, dropped, repeated and swapped characters or bytes,
-- truncations). Each must either be rejected with a data error or be accepted as a
-- value whose text form reads back to itself. A crash of the server fails the suite.
BEGIN;
SELECT plan(4);
SET LOCAL TimeZone = 'UTC';

CREATE TEMP TABLE samples (typ text, txt text);
INSERT INTO samples
SELECT 'customer_profile', customer_profile(ordered_at, amount)::text
FROM demo_orders(300, 3) GROUP BY customer_id;
INSERT INTO samples
SELECT 'retention_curve', cohort_retention(p, per, date '2025-06-30')::text
FROM (SELECT customer_profile(ordered_at, amount) p FROM demo_orders(300, 3) GROUP BY customer_id) s,
     unnest(ARRAY['month', 'week', '30 days']) per GROUP BY per;

-- funnel, sequence and attribution states of the demo store's web events
CREATE TEMP TABLE fz_events AS SELECT * FROM demo_events(120, 5);
INSERT INTO samples
SELECT 'funnel_state', funnel_state_agg('7 days', ts, event = 'visit', event = 'add_to_cart', event = 'purchase')::text
FROM fz_events GROUP BY customer_id;
INSERT INTO samples
SELECT 'sequence_state', sequence_state_agg('(?1).*(?t<=3600)(?2)', ts, event = 'visit', event = 'purchase')::text
FROM fz_events GROUP BY customer_id;
CREATE AGGREGATE pg_temp.touch_raw(timestamptz, text, boolean, text, interval) (
    SFUNC = attribution_trans, STYPE = touch_state, COMBINEFUNC = touch_state_merge);
INSERT INTO samples
SELECT 'touch_state', pg_temp.touch_raw(ts, CASE WHEN event = 'visit' THEN channel END, event = 'purchase', 'linear', '30 days')::text
FROM fz_events GROUP BY customer_id;
-- retention, activity lifecycle and BTYD histogram states
INSERT INTO samples
SELECT 'retention_state', retention_state(event = 'visit', event = 'add_to_cart', event = 'purchase')::text
FROM fz_events GROUP BY customer_id;
INSERT INTO samples
SELECT 'activity_lifecycle', activity_lifecycle(p, per, date '2023-01-01', date '2025-12-31')::text
FROM (SELECT customer_profile(ordered_at, amount) p FROM demo_orders(300, 3) GROUP BY customer_id) s,
     unnest(ARRAY['month', 'week', 'quarter']) per GROUP BY per;
INSERT INTO samples
SELECT 'btyd_histogram', bgnbd_histogram(b.frequency, b.recency, b.t)::text
FROM (SELECT (btyd_summary(customer_profile(ordered_at, amount), date '2025-12-31')).* FROM demo_orders(300, 3)
      GROUP BY customer_id) b;
-- keep the mutation count per type comparable
DELETE FROM samples s WHERE typ IN ('funnel_state', 'sequence_state', 'touch_state', 'retention_state')
   AND (SELECT count(*) FROM samples t WHERE t.typ = s.typ AND t.txt < s.txt) >= 40;

-- one random mutation of a string
CREATE FUNCTION pg_temp.mutate(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n int := length(s);
    i int := 1 + floor(random() * greatest(n, 1))::int;
    j int := 1 + floor(random() * greatest(n, 1))::int;
    alphabet text := '0123456789-+.eE,:[]{}" abcdxyzNaInf';
    c text := substr(alphabet, 1 + floor(random() * length(alphabet))::int, 1);
BEGIN
    CASE floor(random() * 7)::int
        WHEN 0 THEN RETURN overlay(s placing c from i for 1);                 -- replace
        WHEN 1 THEN RETURN overlay(s placing '' from i for 1);                -- drop
        WHEN 2 THEN RETURN overlay(s placing c from i for 0);                 -- insert
        WHEN 3 THEN RETURN left(s, i);                                        -- truncate
        WHEN 4 THEN RETURN s || substr(s, i, 1 + (j % 12));                   -- append junk
        WHEN 5 THEN RETURN overlay(s placing substr(s, j, 6) from i for 6);   -- splice
        ELSE RETURN regexp_replace(s, '[0-9]+', (floor(random() * 4e9) - 2e9)::bigint::text);  -- big numbers
    END CASE;
END $$;

-- try to read a text as a type: 'ok' (and it must round-trip), or the error class
CREATE FUNCTION pg_temp.try_text(typ text, s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out1 text; out2 text;
BEGIN
    EXECUTE format('SELECT (%L::%s)::text', s, typ) INTO out1;
    EXECUTE format('SELECT (%L::%s)::text', out1, typ) INTO out2;
    RETURN CASE WHEN out1 = out2 THEN 'ok' ELSE 'no round trip: ' || s END;
EXCEPTION WHEN data_exception OR invalid_text_representation OR program_limit_exceeded THEN
    RETURN 'rejected';
END $$;

CREATE TEMP TABLE text_results AS
SELECT typ, pg_temp.try_text(typ, m) AS r
FROM samples, LATERAL (SELECT pg_temp.mutate(pg_temp.mutate(txt)) AS m FROM generate_series(1, 40)) g;

SELECT is((SELECT count(*) FROM text_results WHERE r NOT IN ('ok', 'rejected')), 0::bigint,
          'every accepted mutated text form round-trips');
SELECT ok((SELECT count(*) FILTER (WHERE r = 'rejected') > 1000 AND count(*) FILTER (WHERE r = 'ok') > 10
           FROM text_results), 'mutations exercise both acceptance and rejection');

-- binary forms: mutate the bytes of send() output and read them back with COPY BINARY
CREATE TEMP TABLE bin_src (typ text, b bytea);
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT DISTINCT typ FROM samples LOOP
        EXECUTE format('CREATE TABLE public.lc_fuzz_%s (v %s)', t, t);
        EXECUTE format('INSERT INTO bin_src SELECT %L, %s_send(txt::%s) FROM samples WHERE typ = %L', t, t, t, t);
    END LOOP;
END $$;

CREATE FUNCTION pg_temp.mutate_bytes(b bytea) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE n int := length(b); i int := floor(random() * greatest(n, 1))::int;
BEGIN
    IF n = 0 THEN RETURN b; END IF;
    CASE floor(random() * 4)::int
        WHEN 0 THEN RETURN set_byte(b, i, floor(random() * 256)::int);
        WHEN 1 THEN RETURN substr(b, 1, i);
        WHEN 2 THEN RETURN b || substr(b, 1 + i, 5);
        ELSE RETURN set_byte(b, i, 255);
    END CASE;
END $$;

CREATE FUNCTION pg_temp.try_bin(typ text, b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text := 'public.lc_fuzz_' || typ;
        out1 text; out2 text;
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_fuzz.bin');
    EXECUTE format('TRUNCATE %s', t);
    EXECUTE format('COPY %s FROM %L (FORMAT binary)', t, '/tmp/lifecycle_fuzz.bin');
    EXECUTE format('SELECT v::text FROM %s', t) INTO out1;
    EXECUTE format('SELECT (%L::%s)::text', out1, typ) INTO out2;
    RETURN CASE WHEN out1 = out2 THEN 'ok' ELSE 'no round trip' END;
EXCEPTION WHEN data_exception OR invalid_binary_representation OR program_limit_exceeded THEN
    RETURN 'rejected';
WHEN protocol_violation THEN
    RETURN 'rejected by the wire protocol: ' || SQLERRM;
END $$;

CREATE TEMP TABLE bin_results AS
SELECT typ, pg_temp.try_bin(typ, pg_temp.mutate_bytes(b)) AS r
FROM bin_src, generate_series(1, 8);

SELECT is((SELECT count(*) FROM bin_results WHERE r NOT IN ('ok', 'rejected')), 0::bigint,
          'every mutated binary form is rejected by our checks (22P03) or accepted and round-trips');
SELECT ok((SELECT count(*) FILTER (WHERE r = 'rejected') > 100 FROM bin_results),
          'binary mutations are rejected cleanly');

SELECT * FROM finish();
ROLLBACK;

-- Fuzzing the input functions of rfm_bins, rfm_bins_state and nps_state: mutated text
-- and binary forms. Each must be rejected with a data error or accepted as a value whose
-- text form reads back to itself; a crash of the server fails the suite.
BEGIN;
SELECT plan(4);

CREATE TEMP TABLE samples (typ text, txt text);
INSERT INTO samples
SELECT 'rfm_bins', rfm_bins(((i * g * 7919) % 300)::float8, (i % (g + 2))::float8, ((i * 104729) % 9973) / 100.0, 3 + g % 5)::text
FROM generate_series(1, 20) g, generate_series(1, 50) i GROUP BY g;
INSERT INTO samples
SELECT 'rfm_bins_state', rfm_bins_merge(
           (SELECT '{"v":1,"bins":' || (3 + g % 5) || ',"recency":[],"frequency":[],"monetary":[]}')::rfm_bins_state,
           ('{"v":1,"bins":' || (3 + g % 5) || ',"recency":[[' || g || ',2],[' || (g + 7) || ',1]],"frequency":[[1,3]],' ||
            '"monetary":[[' || (g / 3.0)::float8 || ',1],[12.5,2]]}')::rfm_bins_state)::text
FROM generate_series(1, 20) g;
INSERT INTO samples
SELECT 'nps_state', nps_merge('{"v":1,"scores":[[0,1]]}', ('{"v":1,"scores":[[' || (g % 11) || ',' || g || '],[10,3]]}')::nps_state)::text
FROM generate_series(1, 20) g WHERE g % 11 <> 10;

CREATE FUNCTION pg_temp.mutate(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n int := length(s);
    i int := 1 + floor(random() * greatest(n, 1))::int;
    j int := 1 + floor(random() * greatest(n, 1))::int;
    alphabet text := '0123456789-+.eE,:[]{}" abcdxyzNaInf';
    c text := substr(alphabet, 1 + floor(random() * length(alphabet))::int, 1);
BEGIN
    CASE floor(random() * 7)::int
        WHEN 0 THEN RETURN overlay(s placing c from i for 1);
        WHEN 1 THEN RETURN overlay(s placing '' from i for 1);
        WHEN 2 THEN RETURN overlay(s placing c from i for 0);
        WHEN 3 THEN RETURN left(s, i);
        WHEN 4 THEN RETURN s || substr(s, i, 1 + (j % 12));
        WHEN 5 THEN RETURN overlay(s placing substr(s, j, 6) from i for 6);
        ELSE RETURN regexp_replace(s, '[0-9]+', (floor(random() * 4e18) - 2e18)::bigint::text);
    END CASE;
END $$;

CREATE FUNCTION pg_temp.try_text(typ text, s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out1 text; out2 text;
BEGIN
    EXECUTE format('SELECT (%L::%s)::text', s, typ) INTO out1;
    EXECUTE format('SELECT (%L::%s)::text', out1, typ) INTO out2;
    IF typ = 'rfm_bins' THEN
        PERFORM rfm_score(out1::rfm_bins, 1, 2, 3);
    END IF;
    RETURN CASE WHEN out1 = out2 THEN 'ok' ELSE 'no round trip: ' || s END;
EXCEPTION WHEN data_exception OR invalid_text_representation OR program_limit_exceeded THEN
    RETURN 'rejected';
END $$;

CREATE TEMP TABLE text_results AS
SELECT typ, pg_temp.try_text(typ, m) AS r
FROM samples, LATERAL (SELECT pg_temp.mutate(CASE WHEN k % 2 = 0 THEN txt ELSE pg_temp.mutate(txt) END) AS m FROM generate_series(1, 40) k) g;
SELECT is((SELECT count(*) FROM text_results WHERE r NOT IN ('ok', 'rejected')), 0::bigint,
          'rfm_bins, rfm_bins_state, nps_state: every accepted mutated text form round-trips');
SELECT ok((SELECT bool_and(rejected > 100 AND ok > 3) FROM (
               SELECT typ, count(*) FILTER (WHERE r = 'rejected') rejected, count(*) FILTER (WHERE r = 'ok') ok
               FROM text_results GROUP BY typ) x),
          'mutations exercise both acceptance and rejection for each type');

CREATE TABLE public.lc_fuzz_rfm (v rfm_bins);
CREATE TABLE public.lc_fuzz_rfm_state (v rfm_bins_state);
CREATE TABLE public.lc_fuzz_nps (v nps_state);
CREATE TEMP TABLE bin_src AS
SELECT typ, CASE typ WHEN 'rfm_bins' THEN rfm_bins_send(txt::rfm_bins)
                     WHEN 'rfm_bins_state' THEN rfm_bins_state_send(txt::rfm_bins_state)
                     ELSE nps_state_send(txt::nps_state) END AS b
FROM samples;
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
DECLARE t text := CASE typ WHEN 'rfm_bins' THEN 'public.lc_fuzz_rfm' WHEN 'rfm_bins_state' THEN 'public.lc_fuzz_rfm_state'
                           ELSE 'public.lc_fuzz_nps' END;
        out1 text; out2 text;
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_rfm_fuzz.bin');
    EXECUTE format('TRUNCATE %s', t);
    EXECUTE format('COPY %s FROM %L (FORMAT binary)', t, '/tmp/lifecycle_rfm_fuzz.bin');
    EXECUTE format('SELECT v::text FROM %s', t) INTO out1;
    EXECUTE format('SELECT (%L::%s)::text', out1, typ) INTO out2;
    RETURN CASE WHEN out1 = out2 THEN 'ok' ELSE 'no round trip' END;
EXCEPTION WHEN data_exception OR invalid_binary_representation OR program_limit_exceeded THEN
    RETURN 'rejected';
WHEN protocol_violation THEN
    RETURN 'rejected by the wire protocol: ' || SQLERRM;
END $$;
CREATE TEMP TABLE bin_results AS
SELECT typ, pg_temp.try_bin(typ, pg_temp.mutate_bytes(b)) AS r FROM bin_src, generate_series(1, 10);
SELECT is((SELECT count(*) FROM bin_results WHERE r NOT IN ('ok', 'rejected')), 0::bigint,
          'every mutated binary form is rejected (22P03) or round-trips');
SELECT ok((SELECT count(*) FILTER (WHERE r = 'rejected') > 100 FROM bin_results),
          'binary mutations are rejected cleanly');

SELECT * FROM finish();
ROLLBACK;

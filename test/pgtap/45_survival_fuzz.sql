-- Fuzzing the input functions of survival_curve: mutated text and binary forms (flipped,
-- dropped, inserted and repeated characters or bytes, truncations, huge numbers). Each
-- must be rejected with a data error or accepted as a value whose text form reads back
-- to itself; a crash of the server fails the suite.
BEGIN;
SELECT plan(4);

CREATE TEMP TABLE samples AS
SELECT survival_curve(((i * g * 7919) % 200) / 4.0, (i * g) % 3 = 0)::text AS txt
FROM generate_series(1, 40) g, generate_series(1, 30) i GROUP BY g;

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

CREATE FUNCTION pg_temp.try_text(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out1 text; out2 text;
BEGIN
    out1 := (s::survival_curve)::text;
    out2 := (out1::survival_curve)::text;
    -- accepted values must also be usable
    PERFORM survival_at(out1::survival_curve, 10), median_survival(out1::survival_curve);
    RETURN CASE WHEN out1 = out2 THEN 'ok' ELSE 'no round trip: ' || s END;
EXCEPTION WHEN data_exception OR invalid_text_representation OR program_limit_exceeded THEN
    RETURN 'rejected';
END $$;

CREATE TEMP TABLE text_results AS
SELECT pg_temp.try_text(m) AS r
FROM samples, LATERAL (SELECT pg_temp.mutate(CASE WHEN k % 2 = 0 THEN txt ELSE pg_temp.mutate(txt) END) AS m FROM generate_series(1, 60) k) g;
SELECT is((SELECT count(*) FROM text_results WHERE r NOT IN ('ok', 'rejected')), 0::bigint,
          'survival_curve: every accepted mutated text form round-trips');
SELECT ok((SELECT count(*) FILTER (WHERE r = 'rejected') > 500 AND count(*) FILTER (WHERE r = 'ok') > 10 FROM text_results),
          'survival_curve: mutations exercise both acceptance and rejection');

CREATE TABLE public.lc_fuzz_survival (v survival_curve);
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
CREATE FUNCTION pg_temp.try_bin(b bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE out1 text; out2 text;
BEGIN
    EXECUTE format('COPY (SELECT %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_survival_fuzz.bin');
    TRUNCATE public.lc_fuzz_survival;
    EXECUTE format('COPY public.lc_fuzz_survival FROM %L (FORMAT binary)', '/tmp/lifecycle_survival_fuzz.bin');
    SELECT v::text INTO out1 FROM public.lc_fuzz_survival;
    out2 := (out1::survival_curve)::text;
    RETURN CASE WHEN out1 = out2 THEN 'ok' ELSE 'no round trip' END;
EXCEPTION WHEN data_exception OR invalid_binary_representation OR program_limit_exceeded THEN
    RETURN 'rejected';
WHEN protocol_violation THEN
    RETURN 'rejected by the wire protocol: ' || SQLERRM;
END $$;
CREATE TEMP TABLE bin_results AS
SELECT pg_temp.try_bin(pg_temp.mutate_bytes(survival_curve_send(txt::survival_curve))) AS r
FROM samples, generate_series(1, 10);
SELECT is((SELECT count(*) FROM bin_results WHERE r NOT IN ('ok', 'rejected')), 0::bigint,
          'survival_curve: every mutated binary form is rejected (22P03) or round-trips');
SELECT ok((SELECT count(*) FILTER (WHERE r = 'rejected') > 100 FROM bin_results),
          'survival_curve: binary mutations are rejected cleanly');

SELECT * FROM finish();
ROLLBACK;

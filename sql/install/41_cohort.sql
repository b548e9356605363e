
------------------------------------------------------------------------------
-- cohort_matrix: the cohort retention matrix in one pass over an orders table
------------------------------------------------------------------------------

CREATE TYPE cohort_matrix_state;

CREATE FUNCTION cohort_matrix_state_in(cstring) RETURNS cohort_matrix_state
    AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cohort_matrix_state_out(cohort_matrix_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cohort_matrix_state_recv(internal) RETURNS cohort_matrix_state
    AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION cohort_matrix_state_send(cohort_matrix_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE cohort_matrix_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = cohort_matrix_state_in,
    OUTPUT = cohort_matrix_state_out,
    RECEIVE = cohort_matrix_state_recv,
    SEND = cohort_matrix_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE cohort_matrix_state IS
    'partial state of cohort_matrix: distinct (customer, day or period) cells with their spend';

CREATE TYPE cohort_curve AS (cohort date, curve retention_curve);

COMMENT ON TYPE cohort_curve IS
    'one cohort of a cohort_matrix: the first day of its calendar period and its retention curve';

-- aggregate support (not meant to be called directly)

CREATE FUNCTION cohort_matrix_combine(cohort_matrix_state, cohort_matrix_state)
    RETURNS cohort_matrix_state AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_combine'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cohort_matrix_combine(cohort_matrix_state, cohort_matrix_state) IS
    'combine function of cohort_matrix: the union of two states'' cells, spends of equal cells added';

CREATE FUNCTION cohort_matrix_final(cohort_matrix_state) RETURNS cohort_curve[]
    AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- the transition functions and aggregates: one per purchase-time type and
-- as_of type, with and without an explicit cohort period

DO $do$
DECLARE
    sig text;
BEGIN
    FOREACH sig IN ARRAY ARRAY[
        'timestamptz, float8, text, timestamptz', 'timestamptz, float8, text, date',
        'timestamp, float8, text, timestamp', 'timestamp, float8, text, date',
        'date, float8, text, date']
    LOOP
        EXECUTE format('CREATE FUNCTION cohort_matrix_trans(cohort_matrix_state, bigint, %s) '
                       'RETURNS cohort_matrix_state AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                       sig, 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_trans');
        EXECUTE format('CREATE FUNCTION cohort_matrix_trans(cohort_matrix_state, bigint, %s, text) '
                       'RETURNS cohort_matrix_state AS %L, %L LANGUAGE C IMMUTABLE PARALLEL SAFE',
                       sig, 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_trans');
        EXECUTE format('CREATE AGGREGATE cohort_matrix(bigint, %s) (SFUNC = cohort_matrix_trans, '
                       'STYPE = cohort_matrix_state, FINALFUNC = cohort_matrix_final, '
                       'COMBINEFUNC = cohort_matrix_combine, PARALLEL = SAFE)', sig);
        EXECUTE format('CREATE AGGREGATE cohort_matrix(bigint, %s, text) (SFUNC = cohort_matrix_trans, '
                       'STYPE = cohort_matrix_state, FINALFUNC = cohort_matrix_final, '
                       'COMBINEFUNC = cohort_matrix_combine, PARALLEL = SAFE)', sig);
        EXECUTE format('COMMENT ON AGGREGATE cohort_matrix(bigint, %s) IS %L', sig,
                       'cohort_matrix(customer, ts, amount, period, as_of): every cohort''s retention curve in one pass over orders, cohorts by the calendar period');
        EXECUTE format('COMMENT ON AGGREGATE cohort_matrix(bigint, %s, text) IS %L', sig,
                       'cohort_matrix(customer, ts, amount, period, as_of, cohort_period): every cohort''s retention curve in one pass over orders, cohorts by cohort_period');
    END LOOP;
END
$do$;

CREATE FUNCTION cohort_table(m cohort_curve[])
    RETURNS TABLE (cohort_start date, cohort_size bigint, period integer, eligible bigint,
                   active bigint, rate float8, active_or_after bigint, rate_or_after float8,
                   revenue float8, revenue_rate float8)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = @extschema@, pg_catalog
AS $fn$
    SELECT c.cohort, cohort_size(c.curve), t.period, t.eligible, t.active, t.rate,
           t.active_or_after, t.rate_or_after, t.revenue, t.revenue_rate
    FROM unnest(m) WITH ORDINALITY c(cohort, curve, o), retention_table(c.curve) t
    ORDER BY c.o, t.period
$fn$;
COMMENT ON FUNCTION cohort_table(cohort_curve[]) IS
    'the rows of a cohort_matrix: one per cohort and period offset, as cohort_retention_matrix returns them';


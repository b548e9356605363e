
------------------------------------------------------------------------------
-- cohort retention
------------------------------------------------------------------------------

CREATE TYPE retention_curve;

CREATE FUNCTION retention_curve_in(cstring) RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION retention_curve_out(retention_curve) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_retention_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION retention_curve_recv(internal) RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION retention_curve_send(retention_curve) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_retention_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE retention_curve (
    INTERNALLENGTH = VARIABLE,
    INPUT = retention_curve_in,
    OUTPUT = retention_curve_out,
    RECEIVE = retention_curve_recv,
    SEND = retention_curve_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE retention_curve IS
    'a cohort''s retention by period offset, with censoring-aware denominators (mergeable)';

-- aggregate support (not meant to be called directly)

CREATE FUNCTION cohort_retention_trans(retention_curve, customer_profile, text, timestamptz)
    RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION cohort_retention_trans(retention_curve, customer_profile, text, timestamptz,
        timestamptz)
    RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION cohort_retention_trans(retention_curve, customer_profile, text, date)
    RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION cohort_retention_trans(retention_curve, customer_profile, text, date, date)
    RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION retention_curve_merge(retention_curve, retention_curve)
    RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION retention_curve_merge(retention_curve, retention_curve) IS
    'sum of two retention curves of the same period (e.g. two cohorts, two shards)';

CREATE FUNCTION retention_curve_final(retention_curve)
    RETURNS retention_curve
    AS 'MODULE_PATHNAME', 'lifecycle_retention_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE cohort_retention(p customer_profile, period text, as_of timestamptz) (
    SFUNC = cohort_retention_trans,
    STYPE = retention_curve,
    FINALFUNC = retention_curve_final,
    COMBINEFUNC = retention_curve_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE cohort_retention(p customer_profile, period text, as_of timestamptz,
        anchor timestamptz) (
    SFUNC = cohort_retention_trans,
    STYPE = retention_curve,
    FINALFUNC = retention_curve_final,
    COMBINEFUNC = retention_curve_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE cohort_retention(p customer_profile, period text, as_of date) (
    SFUNC = cohort_retention_trans,
    STYPE = retention_curve,
    FINALFUNC = retention_curve_final,
    COMBINEFUNC = retention_curve_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE cohort_retention(p customer_profile, period text, as_of date, anchor date) (
    SFUNC = cohort_retention_trans,
    STYPE = retention_curve,
    FINALFUNC = retention_curve_final,
    COMBINEFUNC = retention_curve_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(retention_curve) (
    SFUNC = retention_curve_merge,
    STYPE = retention_curve,
    FINALFUNC = retention_curve_final,
    COMBINEFUNC = retention_curve_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE cohort_retention(customer_profile, text, timestamptz) IS
    'retention of a cohort by period offset from each customer''s first purchase, as of a date';
COMMENT ON AGGREGATE cohort_retention(customer_profile, text, timestamptz, timestamptz) IS
    'retention of a cohort by period offset from an anchor (e.g. signup), as of a date';
COMMENT ON AGGREGATE cohort_retention(customer_profile, text, date) IS
    'retention of a cohort by period offset from each customer''s first purchase, as of a date';
COMMENT ON AGGREGATE cohort_retention(customer_profile, text, date, date) IS
    'retention of a cohort by period offset from an anchor (e.g. signup), as of a date';
COMMENT ON AGGREGATE rollup(retention_curve) IS
    'merge retention curves (e.g. all cohorts together, weighted by eligible customers)';

-- accessors

CREATE FUNCTION retention_table(curve retention_curve)
    RETURNS TABLE (period integer, eligible bigint, active bigint, rate float8,
                   active_or_after bigint, rate_or_after float8, revenue float8,
                   revenue_rate float8)
    AS 'MODULE_PATHNAME', 'lifecycle_retention_table'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;
COMMENT ON FUNCTION retention_table(retention_curve) IS
    'one row per period offset: eligible customers, active in k, active in k or later, revenue';

CREATE FUNCTION retention_rates(curve retention_curve, mode text DEFAULT 'on')
    RETURNS float8[]
    AS 'MODULE_PATHNAME', 'lifecycle_retention_rates'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION retention_rates(retention_curve, text) IS
    'retention rate per period offset; mode ''on'', ''on_or_after'' or ''revenue''';

CREATE FUNCTION cohort_size(curve retention_curve) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_retention_customers'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cohort_size(retention_curve) IS
    'customers in the cohort (started on or before as_of), eligible for period 0 or not';

CREATE FUNCTION retention_period(curve retention_curve) RETURNS text
    AS 'MODULE_PATHNAME', 'lifecycle_retention_period'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION retention_period(retention_curve) IS
    'the period a retention curve was built with';

-- cohort keys: the calendar period a customer (or any date) starts in

CREATE FUNCTION cohort_start(p customer_profile, period text DEFAULT 'month') RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_cohort_start'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cohort_start(customer_profile, text) IS
    'first day of the calendar period (day, week from Monday, month, quarter, year) of the first purchase: the cohort key';

CREATE FUNCTION period_start(d date, period text) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_period_start'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION period_start(date, text) IS
    'first day of the calendar period containing a date (weeks from Monday); date_trunc for dates, without time zones';

-- one call for BI tools: the whole matrix from an orders table

CREATE FUNCTION cohort_retention_matrix(source regclass, customer_column text,
        ts_column text, amount_column text DEFAULT NULL, period_unit text DEFAULT 'month',
        as_of date DEFAULT NULL, cohort_unit text DEFAULT NULL)
    RETURNS TABLE (cohort_start date, cohort_size bigint, period integer, eligible bigint,
                   active bigint, rate float8, active_or_after bigint, rate_or_after float8,
                   revenue float8, revenue_rate float8)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_catalog
AS $fn$
DECLARE
    grouping text := coalesce(cohort_unit,
                              CASE WHEN period_unit IN ('day', 'week', 'month', 'quarter', 'year')
                                   THEN period_unit ELSE 'month' END);
    q text;
BEGIN
    IF source IS NULL OR customer_column IS NULL OR ts_column IS NULL THEN
        RAISE EXCEPTION 'cohort_retention_matrix: source, customer_column and ts_column are required'
            USING ERRCODE = '22004',
                  HINT = 'Example: SELECT * FROM cohort_retention_matrix(''orders'', ''customer_id'', ''ordered_at'', ''amount'');';
    END IF;
    IF grouping NOT IN ('day', 'week', 'month', 'quarter', 'year') THEN
        RAISE EXCEPTION 'unknown cohort grouping "%"', grouping
            USING ERRCODE = '22023',
                  HINT = 'Group cohorts by day, week, month, quarter or year.';
    END IF;
    PERFORM lifecycle_check_columns(source, customer_column, ts_column, amount_column);
    -- validates the period before scanning anything
    PERFORM retention_period(cohort_retention(NULL::customer_profile, period_unit, date '2000-01-01'));
    -- integer customer keys: one pass with cohort_matrix, no per-customer GROUP BY
    IF (SELECT atttypid FROM pg_attribute WHERE attrelid = source AND attname = customer_column)
           IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
        RETURN QUERY EXECUTE format(
            'SELECT * FROM cohort_table((SELECT cohort_matrix((%I)::bigint, %I, %s, %L, %L::date, %L) FROM %s))',
            customer_column, ts_column,
            CASE WHEN amount_column IS NULL THEN 'NULL::float8' ELSE format('(%I)::float8', amount_column) END,
            period_unit, coalesce(as_of, current_date), grouping, source);
        RETURN;
    END IF;
    q := format(
        'WITH profiles AS (SELECT customer_profile(%I%s) AS p FROM %s WHERE %I IS NOT NULL GROUP BY %I) '
        'SELECT cohort_start(p, %L) AS c, '
        '       cohort_retention(p, %L, %L::date) AS curve '
        'FROM profiles WHERE first_purchase(p) <= %L::date GROUP BY 1',
        ts_column, CASE WHEN amount_column IS NULL THEN '' ELSE format(', (%I)::float8', amount_column) END,
        source, customer_column, customer_column, grouping, period_unit,
        coalesce(as_of, current_date), coalesce(as_of, current_date));
    RETURN QUERY EXECUTE
        'SELECT x.c, cohort_size(x.curve), t.period, t.eligible, t.active, t.rate, '
        '       t.active_or_after, t.rate_or_after, t.revenue, t.revenue_rate '
        'FROM (' || q || ') x, retention_table(x.curve) t ORDER BY 1, 3';
END
$fn$;
COMMENT ON FUNCTION cohort_retention_matrix(regclass, text, text, text, text, date, text) IS
    'the full cohort x period retention matrix of an orders table, in one call (for BI tools)';

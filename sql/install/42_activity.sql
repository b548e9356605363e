
------------------------------------------------------------------------------
-- ClickHouse-style retention(VARIADIC bool[])
------------------------------------------------------------------------------

CREATE TYPE retention_state;

CREATE FUNCTION retention_state_in(cstring) RETURNS retention_state
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION retention_state_out(retention_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION retention_state_recv(internal) RETURNS retention_state
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION retention_state_send(retention_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE retention_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = retention_state_in,
    OUTPUT = retention_state_out,
    RECEIVE = retention_state_recv,
    SEND = retention_state_send,
    ALIGNMENT = int4,
    STORAGE = plain
);

COMMENT ON TYPE retention_state IS
    'state of the retention() aggregate: number of conditions and which were ever true (mergeable)';

-- aggregate support (not meant to be called directly)

CREATE FUNCTION retention_state_trans(retention_state, bool[])
    RETURNS retention_state
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION retention_state_merge(retention_state, retention_state)
    RETURNS retention_state
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION retention_state_merge(retention_state, retention_state) IS
    'bitwise OR of two retention states with the same number of conditions';

CREATE FUNCTION retention_state_final(retention_state)
    RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE retention(VARIADIC conds bool[]) (
    SFUNC = retention_state_trans,
    STYPE = retention_state,
    FINALFUNC = retention_state_final,
    COMBINEFUNC = retention_state_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE retention(bool[]) IS
    'ClickHouse retention: r[1] = cond1 on some row, r[i] = r[1] and cond_i on some row (1 to 32 conditions; NULL = false)';

-- the state itself, for storing and merging per shard or per day

CREATE AGGREGATE retention_state(VARIADIC conds bool[]) (
    SFUNC = retention_state_trans,
    STYPE = retention_state,
    COMBINEFUNC = retention_state_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE retention_state(bool[]) IS
    'the retention() state of a group, to store and merge later (rollup, retention_result)';

CREATE AGGREGATE rollup(retention_state) (
    SFUNC = retention_state_merge,
    STYPE = retention_state,
    COMBINEFUNC = retention_state_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE rollup(retention_state) IS
    'merge retention states (bitwise OR) of the same conditions';

CREATE FUNCTION retention_result(state retention_state) RETURNS smallint[]
    AS 'MODULE_PATHNAME', 'lifecycle_rstate_result'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION retention_result(retention_state) IS
    'the retention() array of a stored state';

------------------------------------------------------------------------------
-- activity lifecycle (PostHog): new / returning / resurrecting / dormant
------------------------------------------------------------------------------

CREATE TYPE activity_lifecycle;

CREATE FUNCTION activity_lifecycle_in(cstring) RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_out(activity_lifecycle) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_activity_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_recv(internal) RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_send(activity_lifecycle) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_activity_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE activity_lifecycle (
    INTERNALLENGTH = VARIABLE,
    INPUT = activity_lifecycle_in,
    OUTPUT = activity_lifecycle_out,
    RECEIVE = activity_lifecycle_recv,
    SEND = activity_lifecycle_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE activity_lifecycle IS
    'new / returning / resurrecting / dormant customer counts per calendar period of a range (mergeable)';

-- aggregate support (not meant to be called directly)

CREATE FUNCTION activity_lifecycle_trans(activity_lifecycle, customer_profile, text, date, date)
    RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_trans(activity_lifecycle, customer_profile, text, date, date, date)
    RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_trans(activity_lifecycle, customer_profile, text,
        timestamptz, timestamptz)
    RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_trans(activity_lifecycle, customer_profile, text,
        timestamptz, timestamptz, timestamptz)
    RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_merge(activity_lifecycle, activity_lifecycle)
    RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION activity_lifecycle_merge(activity_lifecycle, activity_lifecycle) IS
    'sum of two activity lifecycles of the same period and range (e.g. two segments, two shards)';

CREATE FUNCTION activity_lifecycle_final(activity_lifecycle)
    RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE activity_lifecycle(p customer_profile, period text, "from" date, "to" date) (
    SFUNC = activity_lifecycle_trans,
    STYPE = activity_lifecycle,
    FINALFUNC = activity_lifecycle_final,
    COMBINEFUNC = activity_lifecycle_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE activity_lifecycle(p customer_profile, period text, "from" date, "to" date,
        created date) (
    SFUNC = activity_lifecycle_trans,
    STYPE = activity_lifecycle,
    FINALFUNC = activity_lifecycle_final,
    COMBINEFUNC = activity_lifecycle_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE activity_lifecycle(p customer_profile, period text, "from" timestamptz,
        "to" timestamptz) (
    SFUNC = activity_lifecycle_trans,
    STYPE = activity_lifecycle,
    FINALFUNC = activity_lifecycle_final,
    COMBINEFUNC = activity_lifecycle_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE activity_lifecycle(p customer_profile, period text, "from" timestamptz,
        "to" timestamptz, created timestamptz) (
    SFUNC = activity_lifecycle_trans,
    STYPE = activity_lifecycle,
    FINALFUNC = activity_lifecycle_final,
    COMBINEFUNC = activity_lifecycle_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(activity_lifecycle) (
    SFUNC = activity_lifecycle_merge,
    STYPE = activity_lifecycle,
    FINALFUNC = activity_lifecycle_final,
    COMBINEFUNC = activity_lifecycle_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE activity_lifecycle(customer_profile, text, date, date) IS
    'PostHog lifecycle: new / returning / resurrecting / dormant customers per period of [from, to] (created = first purchase)';
COMMENT ON AGGREGATE activity_lifecycle(customer_profile, text, date, date, date) IS
    'PostHog lifecycle with an explicit created date (e.g. signup): new only in the created period';
COMMENT ON AGGREGATE activity_lifecycle(customer_profile, text, timestamptz, timestamptz) IS
    'PostHog lifecycle: new / returning / resurrecting / dormant customers per period of [from, to] (UTC days)';
COMMENT ON AGGREGATE activity_lifecycle(customer_profile, text, timestamptz, timestamptz, timestamptz) IS
    'PostHog lifecycle with an explicit created time (e.g. signup), UTC days';
COMMENT ON AGGREGATE rollup(activity_lifecycle) IS
    'merge activity lifecycles of the same period and range (sums)';

-- accessors

CREATE FUNCTION activity_lifecycle_table(x activity_lifecycle)
    RETURNS TABLE (period_start date, new bigint, "returning" bigint, resurrecting bigint,
                   dormant bigint, active bigint)
    AS 'MODULE_PATHNAME', 'lifecycle_activity_table'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 24;
COMMENT ON FUNCTION activity_lifecycle_table(activity_lifecycle) IS
    'one row per period of the range: new, returning, resurrecting, dormant (a positive count) and active customers';

CREATE FUNCTION activity_lifecycle_period(x activity_lifecycle) RETURNS text
    AS 'MODULE_PATHNAME', 'lifecycle_activity_period'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION activity_lifecycle_period(activity_lifecycle) IS
    'the period an activity lifecycle was built with';

-- one call for BI tools: the lifecycle table straight from an orders table

CREATE FUNCTION activity_lifecycle_report(source regclass, customer_column text, ts_column text,
        period text, "from" date, "to" date)
    RETURNS TABLE (period_start date, new bigint, "returning" bigint, resurrecting bigint,
                   dormant bigint, active bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_catalog
AS $fn$
BEGIN
    IF source IS NULL OR customer_column IS NULL OR ts_column IS NULL THEN
        RAISE EXCEPTION 'activity_lifecycle_report: source, customer_column and ts_column are required'
            USING ERRCODE = '22004',
                  HINT = 'Example: SELECT * FROM activity_lifecycle_report(''orders'', ''customer_id'', ''ordered_at'', ''month'', ''2024-01-01'', ''2024-12-31'');';
    END IF;
    PERFORM lifecycle_check_columns(source, customer_column, ts_column);
    -- validates the period and the range before scanning anything
    PERFORM activity_lifecycle_period(activity_lifecycle(NULL::customer_profile, period, "from", "to"));
    -- integer customer keys: one pass over the orders, no per-customer GROUP BY
    IF (SELECT atttypid FROM pg_attribute WHERE attrelid = source AND attname = customer_column)
           IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) THEN
        RETURN QUERY EXECUTE format(
            'SELECT t.* FROM activity_lifecycle_table(('
            '    SELECT activity_lifecycle((%I)::bigint, %I, %L, %L::date, %L::date) FROM %s)) t',
            customer_column, ts_column, period, "from", "to", source);
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format(
        'SELECT t.* FROM activity_lifecycle_table(('
        '    SELECT activity_lifecycle(p, %L, %L::date, %L::date)'
        '    FROM (SELECT customer_profile(%I) AS p FROM %s WHERE %I IS NOT NULL GROUP BY %I) s)) t',
        period, "from", "to", ts_column, source, customer_column, customer_column);
END
$fn$;
COMMENT ON FUNCTION activity_lifecycle_report(regclass, text, text, text, date, date) IS
    'the lifecycle table (new / returning / resurrecting / dormant per period) of an orders table, in one call (for BI tools)';

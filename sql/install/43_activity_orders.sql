------------------------------------------------------------------------------
-- activity_lifecycle over orders: PostHog's lifecycle in one pass, on the cells of
-- cohort_matrix (src/cohort.c)
------------------------------------------------------------------------------

CREATE TYPE activity_lifecycle_state;

CREATE FUNCTION activity_lifecycle_state_in(cstring) RETURNS activity_lifecycle_state
    AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_state_out(activity_lifecycle_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_state_recv(internal) RETURNS activity_lifecycle_state
    AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_state_send(activity_lifecycle_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE activity_lifecycle_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = activity_lifecycle_state_in,
    OUTPUT = activity_lifecycle_state_out,
    RECEIVE = activity_lifecycle_state_recv,
    SEND = activity_lifecycle_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE activity_lifecycle_state IS
    'partial state of activity_lifecycle over orders: distinct (customer, period) cells';

CREATE FUNCTION activity_lifecycle_orders_trans(activity_lifecycle_state, bigint, timestamptz, text, date, date)
    RETURNS activity_lifecycle_state AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION activity_lifecycle_orders_trans(activity_lifecycle_state, bigint, timestamp, text, date, date)
    RETURNS activity_lifecycle_state AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION activity_lifecycle_orders_trans(activity_lifecycle_state, bigint, date, text, date, date)
    RETURNS activity_lifecycle_state AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION activity_lifecycle_orders_combine(activity_lifecycle_state, activity_lifecycle_state)
    RETURNS activity_lifecycle_state AS 'MODULE_PATHNAME', 'lifecycle_cohort_matrix_combine'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION activity_lifecycle_orders_combine(activity_lifecycle_state, activity_lifecycle_state) IS
    'combine function of activity_lifecycle over orders: the union of two states'' cells';

CREATE FUNCTION activity_lifecycle_orders_final(activity_lifecycle_state) RETURNS activity_lifecycle
    AS 'MODULE_PATHNAME', 'lifecycle_activity_orders_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE activity_lifecycle(customer bigint, ts timestamptz, period text, "from" date, "to" date) (
    SFUNC = activity_lifecycle_orders_trans, STYPE = activity_lifecycle_state,
    FINALFUNC = activity_lifecycle_orders_final, COMBINEFUNC = activity_lifecycle_orders_combine,
    PARALLEL = SAFE);
CREATE AGGREGATE activity_lifecycle(customer bigint, ts timestamp, period text, "from" date, "to" date) (
    SFUNC = activity_lifecycle_orders_trans, STYPE = activity_lifecycle_state,
    FINALFUNC = activity_lifecycle_orders_final, COMBINEFUNC = activity_lifecycle_orders_combine,
    PARALLEL = SAFE);
CREATE AGGREGATE activity_lifecycle(customer bigint, ts date, period text, "from" date, "to" date) (
    SFUNC = activity_lifecycle_orders_trans, STYPE = activity_lifecycle_state,
    FINALFUNC = activity_lifecycle_orders_final, COMBINEFUNC = activity_lifecycle_orders_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE activity_lifecycle(bigint, timestamptz, text, date, date) IS
    'new / returning / resurrecting / dormant customers per period, in one pass over orders (no per-customer GROUP BY)';
COMMENT ON AGGREGATE activity_lifecycle(bigint, timestamp, text, date, date) IS
    'new / returning / resurrecting / dormant customers per period, in one pass over orders (no per-customer GROUP BY)';
COMMENT ON AGGREGATE activity_lifecycle(bigint, date, text, date, date) IS
    'new / returning / resurrecting / dormant customers per period, in one pass over orders (no per-customer GROUP BY)';

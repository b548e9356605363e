
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


------------------------------------------------------------------------------
-- funnels
------------------------------------------------------------------------------

CREATE TYPE funnel_state;

CREATE FUNCTION funnel_state_in(cstring) RETURNS funnel_state
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION funnel_state_out(funnel_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION funnel_state_recv(internal) RETURNS funnel_state
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION funnel_state_send(funnel_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE funnel_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = funnel_state_in,
    OUTPUT = funnel_state_out,
    RECEIVE = funnel_state_recv,
    SEND = funnel_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE funnel_state IS
    'a funnel''s parameters and one customer''s (timestamp, step mask) events, 12 bytes each (mergeable)';

-- aggregate support (not meant to be called directly)

CREATE FUNCTION window_funnel_trans(funnel_state, interval, timestamptz, bool[])
    RETURNS funnel_state
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION window_funnel_trans(funnel_state, interval, text, timestamptz, bool[])
    RETURNS funnel_state
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION funnel_state_merge(funnel_state, funnel_state)
    RETURNS funnel_state
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION funnel_state_merge(funnel_state, funnel_state) IS
    'the events of two funnel states with the same window, modes and steps';

CREATE FUNCTION window_funnel_final(funnel_state)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION funnel_times_final(funnel_state)
    RETURNS timestamptz[]
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_times_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION funnel_state_final(funnel_state)
    RETURNS funnel_state
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_state_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE window_funnel(window_size interval, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = window_funnel_trans,
    STYPE = funnel_state,
    FINALFUNC = window_funnel_final,
    COMBINEFUNC = funnel_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE window_funnel(window_size interval, mode text, ts timestamptz,
        VARIADIC steps bool[]) (
    SFUNC = window_funnel_trans,
    STYPE = funnel_state,
    FINALFUNC = window_funnel_final,
    COMBINEFUNC = funnel_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE funnel_times(window_size interval, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = window_funnel_trans,
    STYPE = funnel_state,
    FINALFUNC = funnel_times_final,
    COMBINEFUNC = funnel_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE funnel_times(window_size interval, mode text, ts timestamptz,
        VARIADIC steps bool[]) (
    SFUNC = window_funnel_trans,
    STYPE = funnel_state,
    FINALFUNC = funnel_times_final,
    COMBINEFUNC = funnel_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE funnel_state_agg(window_size interval, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = window_funnel_trans,
    STYPE = funnel_state,
    FINALFUNC = funnel_state_final,
    COMBINEFUNC = funnel_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE funnel_state_agg(window_size interval, mode text, ts timestamptz,
        VARIADIC steps bool[]) (
    SFUNC = window_funnel_trans,
    STYPE = funnel_state,
    FINALFUNC = funnel_state_final,
    COMBINEFUNC = funnel_state_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE window_funnel(interval, timestamptz, bool[]) IS
    'deepest funnel step reached by a chain of events within the window (ClickHouse windowFunnel, no lost chains)';
COMMENT ON AGGREGATE window_funnel(interval, text, timestamptz, bool[]) IS
    'deepest funnel step reached within the window, with modes strict_order, strict_deduplication, strict_increase, strict_once, allow_reentry';
COMMENT ON AGGREGATE funnel_times(interval, timestamptz, bool[]) IS
    'the step timestamps of the best chain (deepest, then earliest completion)';
COMMENT ON AGGREGATE funnel_times(interval, text, timestamptz, bool[]) IS
    'the step timestamps of the best chain (deepest, then earliest completion), with modes';
COMMENT ON AGGREGATE funnel_state_agg(interval, timestamptz, bool[]) IS
    'the funnel state itself (to store, ship or merge; read it with funnel_depth)';
COMMENT ON AGGREGATE funnel_state_agg(interval, text, timestamptz, bool[]) IS
    'the funnel state itself, with modes (to store, ship or merge; read it with funnel_depth)';

CREATE FUNCTION funnel_depth(state funnel_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_depth'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION funnel_depth(funnel_state) IS
    'the deepest step a funnel state reaches (what window_funnel returns)';

CREATE FUNCTION funnel_event_count(state funnel_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_funnel_event_count'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION funnel_event_count(funnel_state) IS
    'events held by a funnel state (rows with a true step; all rows under strict_order)';

------------------------------------------------------------------------------
-- event sequences
------------------------------------------------------------------------------

CREATE TYPE sequence_state;

CREATE FUNCTION sequence_state_in(cstring) RETURNS sequence_state
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION sequence_state_out(sequence_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION sequence_state_recv(internal) RETURNS sequence_state
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION sequence_state_send(sequence_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE sequence_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = sequence_state_in,
    OUTPUT = sequence_state_out,
    RECEIVE = sequence_state_recv,
    SEND = sequence_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE sequence_state IS
    'a sequence pattern and one customer''s (timestamp, condition mask) events, 12 bytes each (mergeable)';

CREATE FUNCTION sequence_trans(sequence_state, text, timestamptz, bool[])
    RETURNS sequence_state
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION sequence_state_merge(sequence_state, sequence_state)
    RETURNS sequence_state
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

COMMENT ON FUNCTION sequence_state_merge(sequence_state, sequence_state) IS
    'the events of two sequence states with the same pattern and conditions';

CREATE FUNCTION sequence_match_final(sequence_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_match_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION sequence_count_final(sequence_state) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_count_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION sequence_state_final(sequence_state) RETURNS sequence_state
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_state_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE sequence_match(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = sequence_trans,
    STYPE = sequence_state,
    FINALFUNC = sequence_match_final,
    COMBINEFUNC = sequence_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE sequence_count(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = sequence_trans,
    STYPE = sequence_state,
    FINALFUNC = sequence_count_final,
    COMBINEFUNC = sequence_state_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE sequence_state_agg(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = sequence_trans,
    STYPE = sequence_state,
    FINALFUNC = sequence_state_final,
    COMBINEFUNC = sequence_state_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE sequence_match(text, timestamptz, bool[]) IS
    'whether the events match the pattern ((?N), ., .*, (?t op secs)) anywhere (ClickHouse sequenceMatch)';
COMMENT ON AGGREGATE sequence_count(text, timestamptz, bool[]) IS
    'non-overlapping matches of the pattern, each ending as early as possible (ClickHouse sequenceCount)';
COMMENT ON AGGREGATE sequence_state_agg(text, timestamptz, bool[]) IS
    'the sequence state itself (to store, ship or merge; read it with sequence_state_count)';

CREATE FUNCTION sequence_state_count(state sequence_state) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_sequence_state_count'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sequence_state_count(sequence_state) IS
    'what sequence_count returns for a stored state';

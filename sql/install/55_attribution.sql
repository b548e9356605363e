-- attribution: credit conversions to prior touches (state type touch_state)

CREATE TYPE attribution_credit AS (channel text, credit float8);
COMMENT ON TYPE attribution_credit IS
    'a channel and the conversions credited to it (channel NULL: conversions without a touch)';

CREATE TYPE touch_state;

CREATE FUNCTION touch_state_in(cstring) RETURNS touch_state
    AS 'MODULE_PATHNAME', 'lifecycle_touch_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION touch_state_out(touch_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_touch_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION touch_state_recv(internal) RETURNS touch_state
    AS 'MODULE_PATHNAME', 'lifecycle_touch_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION touch_state_send(touch_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_touch_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE touch_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = touch_state_in,
    OUTPUT = touch_state_out,
    RECEIVE = touch_state_recv,
    SEND = touch_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE touch_state IS
    'state of attribution: model, lookback, half-life and the (time, channel or conversion) events';

CREATE FUNCTION attribution_trans(touch_state, timestamptz, text, boolean, text, interval)
    RETURNS touch_state
    AS 'MODULE_PATHNAME', 'lifecycle_touch_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: NULL channels and conversions are not touches

CREATE FUNCTION attribution_trans(touch_state, timestamptz, text, boolean, text, interval, interval)
    RETURNS touch_state
    AS 'MODULE_PATHNAME', 'lifecycle_touch_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION touch_state_merge(touch_state, touch_state)
    RETURNS touch_state
    AS 'MODULE_PATHNAME', 'lifecycle_touch_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION touch_state_merge(touch_state, touch_state) IS
    'combine function of attribution: the union of two event lists';

CREATE FUNCTION attribution_final(touch_state) RETURNS attribution_credit[]
    AS 'MODULE_PATHNAME', 'lifecycle_touch_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION attribution_final(touch_state) IS
    'credits per channel of the conversions in a touch_state';

CREATE AGGREGATE attribution(ts timestamptz, channel text, is_conversion boolean, model text, lookback interval) (
    SFUNC = attribution_trans, STYPE = touch_state,
    FINALFUNC = attribution_final, COMBINEFUNC = touch_state_merge,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE attribution(timestamptz, text, boolean, text, interval) IS
    'per customer: conversions credited to the touches within lookback before each (first_touch, last_touch, linear, position_based)';

CREATE AGGREGATE attribution(ts timestamptz, channel text, is_conversion boolean, model text, lookback interval,
        half_life interval) (
    SFUNC = attribution_trans, STYPE = touch_state,
    FINALFUNC = attribution_final, COMBINEFUNC = touch_state_merge,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE attribution(timestamptz, text, boolean, text, interval, interval) IS
    'per customer: conversions credited with time_decay (weight halves every half_life before the conversion)';

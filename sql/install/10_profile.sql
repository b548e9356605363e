
------------------------------------------------------------------------------
-- customer_profile: one customer's distinct purchase days
------------------------------------------------------------------------------

CREATE TYPE customer_profile;

CREATE FUNCTION customer_profile_in(cstring) RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION customer_profile_out(customer_profile) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_profile_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION customer_profile_recv(internal) RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION customer_profile_send(customer_profile) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_profile_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE customer_profile (
    INTERNALLENGTH = VARIABLE,
    INPUT = customer_profile_in,
    OUTPUT = customer_profile_out,
    RECEIVE = customer_profile_recv,
    SEND = customer_profile_send,
    ALIGNMENT = double,
    STORAGE = extended
);

COMMENT ON TYPE customer_profile IS
    'one customer''s distinct purchase days with transactions and spend per day';

-- aggregate support (not meant to be called directly)

CREATE FUNCTION customer_profile_trans(customer_profile, timestamptz, float8)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_trans_ts'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: rows with NULLs count too

CREATE FUNCTION customer_profile_trans(customer_profile, timestamptz)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_trans_ts'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: rows with NULLs count too

CREATE FUNCTION customer_profile_trans(customer_profile, timestamp, float8)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_trans_ts'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: rows with NULLs count too

CREATE FUNCTION customer_profile_trans(customer_profile, timestamp)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_trans_ts'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: rows with NULLs count too

CREATE FUNCTION customer_profile_trans(customer_profile, date, float8)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_trans_date'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: rows with NULLs count too

CREATE FUNCTION customer_profile_trans(customer_profile, date)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_trans_date'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: rows with NULLs count too

-- COST: merging two profiles (detoast, merge the day lists, allocate) costs far more
-- than the built-in combine steps the planner compares it with.  At the default cost 1
-- PostgreSQL splits a per-customer build into Partial + Finalize even though partial
-- grouping hardly reduces the rows (each customer has only a few orders), and that plan
-- measured 15-25 % slower than the serial one on 2.3M orders of 819k customers
-- (bench/RESULTS.md).  With 25 the planner keeps parallel plans where they pay: few
-- groups, such as rollup over all customers or per-cohort merges.
CREATE FUNCTION customer_profile_merge(customer_profile, customer_profile)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 25;

CREATE FUNCTION customer_profile_final(customer_profile)
    RETURNS customer_profile
    AS 'MODULE_PATHNAME', 'lifecycle_profile_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION customer_profile_merge(customer_profile, customer_profile) IS
    'union of two profiles of the same customer (common days add up)';

CREATE AGGREGATE customer_profile(ts timestamptz, amount float8) (
    SFUNC = customer_profile_trans,
    STYPE = customer_profile,
    INITCOND = '{"v":1,"days":[]}',
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE customer_profile(ts timestamptz) (
    SFUNC = customer_profile_trans,
    STYPE = customer_profile,
    INITCOND = '{"v":1,"days":[]}',
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE customer_profile(ts timestamp, amount float8) (
    SFUNC = customer_profile_trans,
    STYPE = customer_profile,
    INITCOND = '{"v":1,"days":[]}',
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE customer_profile(ts timestamp) (
    SFUNC = customer_profile_trans,
    STYPE = customer_profile,
    INITCOND = '{"v":1,"days":[]}',
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE customer_profile(ts date, amount float8) (
    SFUNC = customer_profile_trans,
    STYPE = customer_profile,
    INITCOND = '{"v":1,"days":[]}',
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE customer_profile(ts date) (
    SFUNC = customer_profile_trans,
    STYPE = customer_profile,
    INITCOND = '{"v":1,"days":[]}',
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

CREATE AGGREGATE rollup(customer_profile) (
    SFUNC = customer_profile_merge,
    STYPE = customer_profile,
    FINALFUNC = customer_profile_final,
    COMBINEFUNC = customer_profile_merge,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE customer_profile(timestamptz, float8) IS
    'summarise one customer''s purchases and amounts (UTC days) into a customer_profile';
COMMENT ON AGGREGATE customer_profile(timestamptz) IS
    'summarise one customer''s purchases (UTC days) into a customer_profile';
COMMENT ON AGGREGATE customer_profile(timestamp, float8) IS
    'summarise one customer''s purchases and amounts (wall-clock days) into a customer_profile';
COMMENT ON AGGREGATE customer_profile(timestamp) IS
    'summarise one customer''s purchases (wall-clock days) into a customer_profile';
COMMENT ON AGGREGATE customer_profile(date, float8) IS
    'summarise one customer''s purchase dates and amounts into a customer_profile';
COMMENT ON AGGREGATE customer_profile(date) IS
    'summarise one customer''s purchase dates into a customer_profile';
COMMENT ON AGGREGATE rollup(customer_profile) IS
    'merge profiles of the same customer, e.g. a stored profile and today''s';

------------------------------------------------------------------------------
-- accessors
------------------------------------------------------------------------------

CREATE FUNCTION first_purchase(p customer_profile) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_first_purchase'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION first_purchase(customer_profile) IS 'first purchase day';

CREATE FUNCTION last_purchase(p customer_profile) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_last_purchase'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION last_purchase(p customer_profile, as_of timestamptz) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_last_purchase'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION last_purchase(p customer_profile, as_of date) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_last_purchase'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION last_purchase(customer_profile) IS 'last purchase day';
COMMENT ON FUNCTION last_purchase(customer_profile, timestamptz) IS
    'last purchase day on or before as_of (its UTC day); NULL if none';
COMMENT ON FUNCTION last_purchase(customer_profile, date) IS
    'last purchase day on or before as_of; NULL if none';

CREATE FUNCTION purchase_days(p customer_profile) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_purchase_days'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION purchase_days(p customer_profile, as_of timestamptz) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_purchase_days'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION purchase_days(p customer_profile, as_of date) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_purchase_days'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_days(customer_profile) IS 'number of distinct purchase days';
COMMENT ON FUNCTION purchase_days(customer_profile, timestamptz) IS
    'number of distinct purchase days on or before as_of';
COMMENT ON FUNCTION purchase_days(customer_profile, date) IS
    'number of distinct purchase days on or before as_of';

CREATE FUNCTION transactions(p customer_profile) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_transactions'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION transactions(p customer_profile, as_of timestamptz) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_transactions'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION transactions(p customer_profile, as_of date) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_transactions'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION transactions(customer_profile) IS 'number of transactions (rows)';
COMMENT ON FUNCTION transactions(customer_profile, timestamptz) IS
    'number of transactions on or before as_of';
COMMENT ON FUNCTION transactions(customer_profile, date) IS
    'number of transactions on or before as_of';

CREATE FUNCTION total_spend(p customer_profile) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_total_spend'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION total_spend(p customer_profile, as_of timestamptz) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_total_spend'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION total_spend(p customer_profile, as_of date) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_total_spend'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION total_spend(customer_profile) IS
    'sum of known amounts, refunds netted; NULL if no amount was known';
COMMENT ON FUNCTION total_spend(customer_profile, timestamptz) IS
    'sum of known amounts on or before as_of; NULL if none';
COMMENT ON FUNCTION total_spend(customer_profile, date) IS
    'sum of known amounts on or before as_of; NULL if none';

CREATE FUNCTION avg_order_value(p customer_profile) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_avg_order_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION avg_order_value(p customer_profile, as_of timestamptz) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_avg_order_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION avg_order_value(p customer_profile, as_of date) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_avg_order_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION avg_order_value(customer_profile) IS
    'known spend per priced transaction; NULL if no amount was known';
COMMENT ON FUNCTION avg_order_value(customer_profile, timestamptz) IS
    'known spend per priced transaction on or before as_of';
COMMENT ON FUNCTION avg_order_value(customer_profile, date) IS
    'known spend per priced transaction on or before as_of';

CREATE FUNCTION recency(p customer_profile, as_of timestamptz) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_recency'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION recency(p customer_profile, as_of date) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_recency'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION recency(customer_profile, timestamptz) IS
    'days since the last purchase on or before as_of; NULL if none';
COMMENT ON FUNCTION recency(customer_profile, date) IS
    'days since the last purchase on or before as_of; NULL if none';

CREATE FUNCTION tenure(p customer_profile, as_of timestamptz) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_tenure'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION tenure(p customer_profile, as_of date) RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_tenure'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tenure(customer_profile, timestamptz) IS
    'days since the first purchase; NULL if as_of precedes it';
COMMENT ON FUNCTION tenure(customer_profile, date) IS
    'days since the first purchase; NULL if as_of precedes it';

CREATE FUNCTION next_purchase_due(p customer_profile) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_next_purchase_due'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION next_purchase_due(p customer_profile, as_of timestamptz) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_next_purchase_due'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION next_purchase_due(p customer_profile, as_of date) RETURNS date
    AS 'MODULE_PATHNAME', 'lifecycle_next_purchase_due'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION next_purchase_due(customer_profile) IS
    'last purchase day plus the median gap between purchase days; NULL with fewer than 2';
COMMENT ON FUNCTION next_purchase_due(customer_profile, timestamptz) IS
    'next_purchase_due from the purchases on or before as_of';
COMMENT ON FUNCTION next_purchase_due(customer_profile, date) IS
    'next_purchase_due from the purchases on or before as_of';

CREATE FUNCTION btyd_summary(p customer_profile, as_of timestamptz,
        unit interval DEFAULT '7 days',
        OUT frequency integer, OUT recency float8, OUT t float8, OUT monetary float8)
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_summary'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_summary(p customer_profile, as_of date,
        unit interval DEFAULT '7 days',
        OUT frequency integer, OUT recency float8, OUT t float8, OUT monetary float8)
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_summary'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_summary(customer_profile, timestamptz, interval) IS
    'lifetimes summary as of a day: repeat purchase days, recency, T (in units), mean repeat-day spend';
COMMENT ON FUNCTION btyd_summary(customer_profile, date, interval) IS
    'lifetimes summary as of a day: repeat purchase days, recency, T (in units), mean repeat-day spend';

CREATE FUNCTION holdout_purchases(p customer_profile, "from" timestamptz, "to" timestamptz)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_holdout_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION holdout_purchases(p customer_profile, "from" date, "to" date)
    RETURNS integer
    AS 'MODULE_PATHNAME', 'lifecycle_holdout_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION holdout_purchases(customer_profile, timestamptz, timestamptz) IS
    'distinct purchase days after "from" and on or before "to" (lifetimes frequency_holdout)';
COMMENT ON FUNCTION holdout_purchases(customer_profile, date, date) IS
    'distinct purchase days after "from" and on or before "to" (lifetimes frequency_holdout)';

-- the report functions (cohort_retention_matrix, activity_lifecycle_report,
-- lifecycle_snapshot) build profiles from a table and columns named by the caller:
-- this names a missing column before any query is built from them
CREATE FUNCTION lifecycle_check_columns(source regclass, VARIADIC columns text[])
    RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_catalog
AS $fn$
DECLARE
    col text;
BEGIN
    FOREACH col IN ARRAY columns LOOP
        CONTINUE WHEN col IS NULL;     -- an optional column left out
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                       WHERE attrelid = source AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" does not exist in %', col, source
                USING ERRCODE = '42703',
                      HINT = 'Pass column names as text, spelled as they are stored (case-sensitive, without quotes).';
        END IF;
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION lifecycle_check_columns(regclass, text[]) IS
    'raise 42703 unless every non-NULL name is a column of source (used by the report functions)';

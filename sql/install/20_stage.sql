------------------------------------------------------------------------------
-- lifecycle stage
------------------------------------------------------------------------------

CREATE TYPE customer_stage AS ENUM
    ('prospect', 'new', 'active', 'loyal', 'at_risk', 'lapsed', 'reactivated');
COMMENT ON TYPE customer_stage IS 'where a customer stands in the relationship on a given day';

CREATE FUNCTION lifecycle_stage(p customer_profile, as_of timestamptz,
        new_window interval DEFAULT '30 days',
        active_window interval DEFAULT '90 days',
        lapse_window interval DEFAULT '180 days',
        loyal_purchases integer DEFAULT 4,
        loyal_window interval DEFAULT '365 days',
        cadence_factor float8 DEFAULT NULL)
    RETURNS customer_stage
    AS 'MODULE_PATHNAME', 'lifecycle_stage_profile'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: NULL profile = prospect
CREATE FUNCTION lifecycle_stage(p customer_profile, as_of date,
        new_window interval DEFAULT '30 days',
        active_window interval DEFAULT '90 days',
        lapse_window interval DEFAULT '180 days',
        loyal_purchases integer DEFAULT 4,
        loyal_window interval DEFAULT '365 days',
        cadence_factor float8 DEFAULT NULL)
    RETURNS customer_stage
    AS 'MODULE_PATHNAME', 'lifecycle_stage_profile'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION lifecycle_stage(customer_profile, timestamptz, interval, interval,
        interval, integer, interval, float8) IS
    'stage of a customer on the UTC day of as_of, from a profile';
COMMENT ON FUNCTION lifecycle_stage(customer_profile, date, interval, interval,
        interval, integer, interval, float8) IS
    'stage of a customer on a day, from a profile';

CREATE FUNCTION lifecycle_stage(first_purchase timestamptz, last_purchase timestamptz,
        purchases bigint, as_of timestamptz,
        new_window interval DEFAULT '30 days',
        active_window interval DEFAULT '90 days',
        lapse_window interval DEFAULT '180 days',
        loyal_purchases integer DEFAULT 4,
        loyal_window interval DEFAULT '365 days',
        cadence_factor float8 DEFAULT NULL)
    RETURNS customer_stage
    AS 'MODULE_PATHNAME', 'lifecycle_stage_columns'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;  -- not STRICT: NULL first_purchase = prospect
CREATE FUNCTION lifecycle_stage(first_purchase date, last_purchase date,
        purchases bigint, as_of date,
        new_window interval DEFAULT '30 days',
        active_window interval DEFAULT '90 days',
        lapse_window interval DEFAULT '180 days',
        loyal_purchases integer DEFAULT 4,
        loyal_window interval DEFAULT '365 days',
        cadence_factor float8 DEFAULT NULL)
    RETURNS customer_stage
    AS 'MODULE_PATHNAME', 'lifecycle_stage_columns'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION lifecycle_stage(timestamptz, timestamptz, bigint, timestamptz, interval,
        interval, interval, integer, interval, float8) IS
    'stage of a customer from first/last purchase and purchase count columns (UTC days)';
COMMENT ON FUNCTION lifecycle_stage(date, date, bigint, date, interval,
        interval, interval, integer, interval, float8) IS
    'stage of a customer from first/last purchase and purchase count columns';


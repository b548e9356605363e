
------------------------------------------------------------------------------
-- survival_curve: Kaplan-Meier with censoring (Greenwood standard errors)
------------------------------------------------------------------------------

CREATE TYPE survival_curve;

CREATE FUNCTION survival_curve_in(cstring) RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_survival_curve_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_curve_out(survival_curve) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_survival_curve_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_curve_recv(internal) RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_survival_curve_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_curve_send(survival_curve) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_survival_curve_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE survival_curve (
    INTERNALLENGTH = VARIABLE,
    INPUT = survival_curve_in,
    OUTPUT = survival_curve_out,
    RECEIVE = survival_curve_recv,
    SEND = survival_curve_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE survival_curve IS
    'Kaplan-Meier input: distinct durations with their event (churn) and censored counts';

-- aggregate support (not meant to be called directly)
CREATE FUNCTION survival_curve_trans(survival_curve, float8, boolean) RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_survival_trans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_curve_merge(survival_curve, survival_curve) RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_survival_curve_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_curve_final(survival_curve) RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_hist_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION survival_curve_merge(survival_curve, survival_curve) IS
    'union of two survival curves'' subjects (counts at equal durations add up)';

CREATE AGGREGATE survival_curve(duration float8, event boolean) (
    SFUNC = survival_curve_trans,
    STYPE = survival_curve,
    INITCOND = '{"v":1,"points":[]}',
    FINALFUNC = survival_curve_final,
    COMBINEFUNC = survival_curve_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE survival_curve(float8, boolean) IS
    'Kaplan-Meier survival curve from (duration >= 0, event: true = churned, false = censored); rows with NULLs are skipped; NULL for no rows';

CREATE FUNCTION survival_curve_trans(survival_curve, customer_profile, timestamptz, interval)
    RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_survival_trans_profile'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION survival_curve_trans(survival_curve, customer_profile, date, interval)
    RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_survival_trans_profile'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE survival_curve(p customer_profile, as_of timestamptz, inactivity interval) (
    SFUNC = survival_curve_trans,
    STYPE = survival_curve,
    INITCOND = '{"v":1,"points":[]}',
    FINALFUNC = survival_curve_final,
    COMBINEFUNC = survival_curve_merge,
    PARALLEL = SAFE
);
CREATE AGGREGATE survival_curve(p customer_profile, as_of date, inactivity interval) (
    SFUNC = survival_curve_trans,
    STYPE = survival_curve,
    INITCOND = '{"v":1,"points":[]}',
    FINALFUNC = survival_curve_final,
    COMBINEFUNC = survival_curve_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE survival_curve(customer_profile, timestamptz, interval) IS
    'Kaplan-Meier survival curve of stored profiles: survival_curve over profile_survival(p, as_of, inactivity), without the intermediate rows';
COMMENT ON AGGREGATE survival_curve(customer_profile, date, interval) IS
    'Kaplan-Meier survival curve of stored profiles: survival_curve over profile_survival(p, as_of, inactivity), without the intermediate rows';

CREATE AGGREGATE rollup(survival_curve) (
    SFUNC = survival_curve_merge,
    STYPE = survival_curve,
    INITCOND = '{"v":1,"points":[]}',
    FINALFUNC = survival_curve_final,
    COMBINEFUNC = survival_curve_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE rollup(survival_curve) IS
    'merge survival curves (for example per-segment curves into one)';

CREATE FUNCTION survival_at(curve survival_curve, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_survival_at'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION survival_at(survival_curve, float8) IS
    'Kaplan-Meier S(t): 1 before the first time, the last value after the last time';

CREATE FUNCTION median_survival(curve survival_curve) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_median_survival'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION median_survival(survival_curve) IS
    'smallest time with S(t) <= 0.5; NULL when the curve never falls to 0.5';

CREATE FUNCTION survival_subjects(curve survival_curve) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_survival_subjects'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION survival_subjects(survival_curve) IS
    'number of subjects (events plus censored) in the curve';

CREATE FUNCTION survival_table(curve survival_curve, conf_level float8 DEFAULT 0.95,
        OUT "time" float8, OUT at_risk bigint, OUT events bigint, OUT censored bigint,
        OUT survival float8, OUT std_err float8, OUT lower float8, OUT upper float8)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'lifecycle_survival_table'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION survival_table(survival_curve, float8) IS
    'Kaplan-Meier table: per distinct time at risk, events, censored, S(t), Greenwood SE, log-log confidence interval';

CREATE FUNCTION profile_survival(p customer_profile, as_of timestamptz, inactivity interval,
        OUT duration float8, OUT churned boolean)
    AS 'MODULE_PATHNAME', 'lifecycle_profile_survival'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION profile_survival(p customer_profile, as_of date, inactivity interval,
        OUT duration float8, OUT churned boolean)
    AS 'MODULE_PATHNAME', 'lifecycle_profile_survival'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION profile_survival(customer_profile, timestamptz, interval) IS
    'days from first purchase to churn (last purchase + inactivity, when silent longer than inactivity at as_of) or to as_of (censored)';
COMMENT ON FUNCTION profile_survival(customer_profile, date, interval) IS
    'days from first purchase to churn (last purchase + inactivity, when silent longer than inactivity at as_of) or to as_of (censored)';

------------------------------------------------------------------------------
-- sBG: shifted-beta-geometric contractual retention (Fader and Hardie 2007)
------------------------------------------------------------------------------

CREATE TYPE sbg_model AS (
    alpha float8,
    beta float8,
    log_likelihood float8,
    customers bigint,
    converged boolean
);
COMMENT ON TYPE sbg_model IS
    'sBG model: churn probability ~ Beta(alpha, beta); log-likelihood, customers and convergence of the fit';

CREATE FUNCTION sbg_fit(survivors bigint[]) RETURNS sbg_model
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_fit_array'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sbg_fit(bigint[]) IS
    'fit the sBG model to survivor counts n0, n1, ..., nk (customers at the start, then still active after each period)';

CREATE FUNCTION sbg_trans(survival_curve, integer, boolean) RETURNS survival_curve
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_trans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION sbg_final(survival_curve) RETURNS sbg_model
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE sbg_fit(periods_survived integer, churned boolean) (
    SFUNC = sbg_trans,
    STYPE = survival_curve,
    INITCOND = '{"v":1,"points":[]}',
    FINALFUNC = sbg_final,
    COMBINEFUNC = survival_curve_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE sbg_fit(integer, boolean) IS
    'fit the sBG model to customers: periods survived (renewals made) and whether they churned after them (false = still active, censored)';

CREATE FUNCTION sbg_survival(m sbg_model, t integer) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_survival'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sbg_survival(sbg_model, integer) IS
    'S(t): share of a starting cohort still active after t periods';

CREATE FUNCTION sbg_retention_rate(m sbg_model, t integer) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_retention_rate'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sbg_retention_rate(sbg_model, integer) IS
    'r(t) = S(t)/S(t-1): share of the customers active after t-1 periods who renew at t';

CREATE FUNCTION sbg_del(m sbg_model, discount float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_del'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sbg_del(sbg_model, float8) IS
    'expected discounted lifetime of a new customer in payments of 1 per period (first payment now, undiscounted); discount per period';

CREATE FUNCTION sbg_derl(m sbg_model, discount float8, renewals integer) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_sbg_derl'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION sbg_derl(sbg_model, float8, integer) IS
    'expected discounted residual lifetime of a customer who has made "renewals" renewals, just before the next renewal decision';

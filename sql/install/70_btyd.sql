-- BTYD models: fitting aggregates over a histogram of distinct cells, model types,
-- predictions (btyd.c, btyd_predict.c, special.c)

CREATE TYPE btyd_histogram;

CREATE FUNCTION btyd_histogram_in(cstring) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_histogram_out(btyd_histogram) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_histogram_recv(internal) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_histogram_send(btyd_histogram) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE btyd_histogram (
    INTERNALLENGTH = VARIABLE,
    INPUT = btyd_histogram_in,
    OUTPUT = btyd_histogram_out,
    RECEIVE = btyd_histogram_recv,
    SEND = btyd_histogram_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE btyd_histogram IS
    'state of the BTYD fitting aggregates: distinct (frequency, recency, t) cells with weights';

CREATE TYPE bgnbd_model AS (r float8, alpha float8, a float8, b float8,
    log_likelihood float8, customers bigint, converged boolean,
    r_se float8, alpha_se float8, a_se float8, b_se float8);
CREATE TYPE mbgnbd_model AS (r float8, alpha float8, a float8, b float8,
    log_likelihood float8, customers bigint, converged boolean,
    r_se float8, alpha_se float8, a_se float8, b_se float8);
CREATE TYPE pareto_nbd_model AS (r float8, alpha float8, s float8, beta float8,
    log_likelihood float8, customers bigint, converged boolean,
    r_se float8, alpha_se float8, s_se float8, beta_se float8);
CREATE TYPE bgbb_model AS (alpha float8, beta float8, gamma float8, delta float8,
    log_likelihood float8, customers bigint, converged boolean,
    alpha_se float8, beta_se float8, gamma_se float8, delta_se float8);
CREATE TYPE gamma_gamma_model AS (p float8, q float8, gamma float8,
    log_likelihood float8, customers bigint, converged boolean,
    p_se float8, q_se float8, gamma_se float8);
COMMENT ON TYPE bgnbd_model IS 'BG/NBD model (Fader, Hardie, Lee 2005) fitted by bgnbd_fit';
COMMENT ON TYPE mbgnbd_model IS 'MBG/NBD model (Batislam et al. 2007) fitted by mbgnbd_fit';
COMMENT ON TYPE pareto_nbd_model IS 'Pareto/NBD model (Schmittlein, Morrison, Colombo 1987) fitted by pareto_nbd_fit';
COMMENT ON TYPE bgbb_model IS 'BG/BB model (Fader, Hardie, Shang 2010) fitted by bgbb_fit';
COMMENT ON TYPE gamma_gamma_model IS 'Gamma-Gamma spend model (Fader, Hardie 2013) fitted by gamma_gamma_fit';

CREATE FUNCTION btyd_histogram_combine(btyd_histogram, btyd_histogram) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_combine'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_histogram_combine(btyd_histogram, btyd_histogram) IS
    'combine function of the BTYD fitting aggregates (merges two histograms)';

CREATE FUNCTION btyd_histogram_final(btyd_histogram) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_histogram_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_histogram_final(btyd_histogram) IS
    'final function of the <model>_histogram aggregates: the sorted, merged, trimmed histogram';

CREATE FUNCTION bgnbd_fit_trans(btyd_histogram, float8, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION bgnbd_fit_trans(btyd_histogram, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION bgnbd_fit_final(btyd_histogram) RETURNS bgnbd_model
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE bgnbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = bgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = bgnbd_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE bgnbd_fit(float8, float8, float8) IS
    'maximum-likelihood BG/NBD fit over customers'' summaries';

CREATE AGGREGATE bgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = bgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = bgnbd_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE bgnbd_fit(float8, float8, float8, float8) IS
    'maximum-likelihood BG/NBD fit over customers'' summaries';

COMMENT ON FUNCTION bgnbd_fit_final(btyd_histogram) IS 'BG/NBD maximum-likelihood fit of a histogram';

COMMENT ON FUNCTION bgnbd_fit_trans(btyd_histogram, float8, float8, float8, float8) IS 'transition of bgnbd_fit';

COMMENT ON FUNCTION bgnbd_fit_trans(btyd_histogram, float8, float8, float8) IS 'transition of bgnbd_fit';

CREATE FUNCTION mbgnbd_fit_trans(btyd_histogram, float8, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_mbgnbd_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mbgnbd_fit_trans(btyd_histogram, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_mbgnbd_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION mbgnbd_fit_final(btyd_histogram) RETURNS mbgnbd_model
    AS 'MODULE_PATHNAME', 'lifecycle_mbgnbd_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE mbgnbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = mbgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = mbgnbd_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE mbgnbd_fit(float8, float8, float8) IS
    'maximum-likelihood MBG/NBD fit over customers'' summaries';

CREATE AGGREGATE mbgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = mbgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = mbgnbd_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE mbgnbd_fit(float8, float8, float8, float8) IS
    'maximum-likelihood MBG/NBD fit over customers'' summaries';

COMMENT ON FUNCTION mbgnbd_fit_final(btyd_histogram) IS 'MBG/NBD maximum-likelihood fit of a histogram';

COMMENT ON FUNCTION mbgnbd_fit_trans(btyd_histogram, float8, float8, float8, float8) IS 'transition of mbgnbd_fit';

COMMENT ON FUNCTION mbgnbd_fit_trans(btyd_histogram, float8, float8, float8) IS 'transition of mbgnbd_fit';

CREATE FUNCTION pareto_nbd_fit_trans(btyd_histogram, float8, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_pareto_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pareto_nbd_fit_trans(btyd_histogram, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_pareto_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION pareto_nbd_fit_final(btyd_histogram) RETURNS pareto_nbd_model
    AS 'MODULE_PATHNAME', 'lifecycle_pareto_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE pareto_nbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = pareto_nbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = pareto_nbd_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE pareto_nbd_fit(float8, float8, float8) IS
    'maximum-likelihood Pareto/NBD fit over customers'' summaries';

CREATE AGGREGATE pareto_nbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = pareto_nbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = pareto_nbd_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE pareto_nbd_fit(float8, float8, float8, float8) IS
    'maximum-likelihood Pareto/NBD fit over customers'' summaries';

COMMENT ON FUNCTION pareto_nbd_fit_final(btyd_histogram) IS 'Pareto/NBD maximum-likelihood fit of a histogram';

COMMENT ON FUNCTION pareto_nbd_fit_trans(btyd_histogram, float8, float8, float8, float8) IS 'transition of pareto_nbd_fit';

COMMENT ON FUNCTION pareto_nbd_fit_trans(btyd_histogram, float8, float8, float8) IS 'transition of pareto_nbd_fit';

CREATE FUNCTION bgbb_fit_trans(btyd_histogram, float8, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_bgbb_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION bgbb_fit_trans(btyd_histogram, float8, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_bgbb_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION bgbb_fit_final(btyd_histogram) RETURNS bgbb_model
    AS 'MODULE_PATHNAME', 'lifecycle_bgbb_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE bgbb_fit(frequency float8, recency float8, periods float8) (
    SFUNC = bgbb_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = bgbb_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE bgbb_fit(float8, float8, float8) IS
    'maximum-likelihood BG/BB fit over customers'' summaries';

CREATE AGGREGATE bgbb_fit(frequency float8, recency float8, periods float8, weight float8) (
    SFUNC = bgbb_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = bgbb_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE bgbb_fit(float8, float8, float8, float8) IS
    'maximum-likelihood BG/BB fit over customers'' summaries';

COMMENT ON FUNCTION bgbb_fit_final(btyd_histogram) IS 'BG/BB maximum-likelihood fit of a histogram';

COMMENT ON FUNCTION bgbb_fit_trans(btyd_histogram, float8, float8, float8, float8) IS 'transition of bgbb_fit';

COMMENT ON FUNCTION bgbb_fit_trans(btyd_histogram, float8, float8, float8) IS 'transition of bgbb_fit';

CREATE FUNCTION gamma_gamma_fit_trans(btyd_histogram, float8, float8) RETURNS btyd_histogram
    AS 'MODULE_PATHNAME', 'lifecycle_gg_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION gamma_gamma_fit_final(btyd_histogram) RETURNS gamma_gamma_model
    AS 'MODULE_PATHNAME', 'lifecycle_gg_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE gamma_gamma_fit(frequency float8, monetary float8) (
    SFUNC = gamma_gamma_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = gamma_gamma_fit_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE gamma_gamma_fit(float8, float8) IS
    'maximum-likelihood Gamma-Gamma fit over customers'' summaries';

COMMENT ON FUNCTION gamma_gamma_fit_final(btyd_histogram) IS 'Gamma-Gamma maximum-likelihood fit of a histogram';

COMMENT ON FUNCTION gamma_gamma_fit_trans(btyd_histogram, float8, float8) IS 'transition of gamma_gamma_fit';

CREATE FUNCTION btyd_log_likelihood(h btyd_histogram, params float8[]) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_loglik'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_log_likelihood(btyd_histogram, float8[]) IS
    'log-likelihood of a histogram at given parameters (in the model type''s field order)';

CREATE AGGREGATE bgnbd_histogram(frequency float8, recency float8, t float8) (
    SFUNC = bgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgnbd_histogram(float8, float8, float8) IS
    'the bgnbd_fit state: a storable, combinable histogram; fit it with bgnbd_fit_final(h)';

CREATE AGGREGATE bgnbd_histogram(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = bgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgnbd_histogram(float8, float8, float8, float8) IS
    'the bgnbd_fit state: a storable, combinable histogram; fit it with bgnbd_fit_final(h)';

CREATE AGGREGATE mbgnbd_histogram(frequency float8, recency float8, t float8) (
    SFUNC = mbgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE mbgnbd_histogram(float8, float8, float8) IS
    'the mbgnbd_fit state: a storable, combinable histogram; fit it with mbgnbd_fit_final(h)';

CREATE AGGREGATE mbgnbd_histogram(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = mbgnbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE mbgnbd_histogram(float8, float8, float8, float8) IS
    'the mbgnbd_fit state: a storable, combinable histogram; fit it with mbgnbd_fit_final(h)';

CREATE AGGREGATE pareto_nbd_histogram(frequency float8, recency float8, t float8) (
    SFUNC = pareto_nbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE pareto_nbd_histogram(float8, float8, float8) IS
    'the pareto_nbd_fit state: a storable, combinable histogram; fit it with pareto_nbd_fit_final(h)';

CREATE AGGREGATE pareto_nbd_histogram(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = pareto_nbd_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE pareto_nbd_histogram(float8, float8, float8, float8) IS
    'the pareto_nbd_fit state: a storable, combinable histogram; fit it with pareto_nbd_fit_final(h)';

CREATE AGGREGATE bgbb_histogram(frequency float8, recency float8, periods float8) (
    SFUNC = bgbb_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgbb_histogram(float8, float8, float8) IS
    'the bgbb_fit state: a storable, combinable histogram; fit it with bgbb_fit_final(h)';

CREATE AGGREGATE bgbb_histogram(frequency float8, recency float8, periods float8, weight float8) (
    SFUNC = bgbb_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE bgbb_histogram(float8, float8, float8, float8) IS
    'the bgbb_fit state: a storable, combinable histogram; fit it with bgbb_fit_final(h)';

CREATE AGGREGATE gamma_gamma_histogram(frequency float8, monetary float8) (
    SFUNC = gamma_gamma_fit_trans,
    STYPE = btyd_histogram,
    FINALFUNC = btyd_histogram_final,
    COMBINEFUNC = btyd_histogram_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE gamma_gamma_histogram(float8, float8) IS
    'the gamma_gamma_fit state: a storable, combinable histogram; fit it with gamma_gamma_fit_final(h)';

-- predictions (btyd_predict.c); time arguments are in the unit the model was fitted in.
-- COST is the measured time of one call in units of cpu_operator_cost (about 12 ns of a
-- built-in float operator on the reference machine): BG/NBD p_alive ~0.1 us, expected
-- purchases ~0.3 us, a 12-step customer_value ~1 us, Pareto/NBD dert ~19 us. Overstated
-- costs made the planner JIT-compile scoring queries with inlining and optimisation
-- (~0.3-0.6 s of compile time for nothing: the time is spent inside these functions).

CREATE FUNCTION p_alive(m bgnbd_model, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
COMMENT ON FUNCTION p_alive(bgnbd_model, float8, float8, float8) IS
    'probability the customer is still alive at t';
CREATE FUNCTION expected_purchases(m bgnbd_model, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 25;
COMMENT ON FUNCTION expected_purchases(bgnbd_model, float8) IS
    'expected repeat purchases of a new customer within horizon (model time unit)';
CREATE FUNCTION expected_purchases(m bgnbd_model, horizon float8, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 25;
COMMENT ON FUNCTION expected_purchases(bgnbd_model, float8, float8, float8, float8) IS
    'expected purchases of a customer in the next horizon (model time unit), given frequency, recency, t';

CREATE FUNCTION p_alive(m mbgnbd_model, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10;
COMMENT ON FUNCTION p_alive(mbgnbd_model, float8, float8, float8) IS
    'probability the customer is still alive at t';
CREATE FUNCTION expected_purchases(m mbgnbd_model, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 25;
COMMENT ON FUNCTION expected_purchases(mbgnbd_model, float8) IS
    'expected repeat purchases of a new customer within horizon (model time unit)';
CREATE FUNCTION expected_purchases(m mbgnbd_model, horizon float8, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 25;
COMMENT ON FUNCTION expected_purchases(mbgnbd_model, float8, float8, float8, float8) IS
    'expected purchases of a customer in the next horizon (model time unit), given frequency, recency, t';

CREATE FUNCTION p_alive(m pareto_nbd_model, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 30;
COMMENT ON FUNCTION p_alive(pareto_nbd_model, float8, float8, float8) IS
    'probability the customer is still alive at t';
CREATE FUNCTION expected_purchases(m pareto_nbd_model, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 40;
COMMENT ON FUNCTION expected_purchases(pareto_nbd_model, float8) IS
    'expected repeat purchases of a new customer within horizon (model time unit)';
CREATE FUNCTION expected_purchases(m pareto_nbd_model, horizon float8, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 40;
COMMENT ON FUNCTION expected_purchases(pareto_nbd_model, float8, float8, float8, float8) IS
    'expected purchases of a customer in the next horizon (model time unit), given frequency, recency, t';

CREATE FUNCTION p_alive(m bgbb_model, frequency float8, recency float8, periods float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 50;
COMMENT ON FUNCTION p_alive(bgbb_model, float8, float8, float8) IS
    'probability the customer is alive at the next opportunity (periods + 1)';
CREATE FUNCTION expected_purchases(m bgbb_model, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 60;
COMMENT ON FUNCTION expected_purchases(bgbb_model, float8) IS
    'expected repeat purchases of a new customer within horizon periods';
CREATE FUNCTION expected_purchases(m bgbb_model, horizon float8, frequency float8, recency float8, periods float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_purchases' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 60;
COMMENT ON FUNCTION expected_purchases(bgbb_model, float8, float8, float8, float8) IS
    'expected purchases of a customer in the next horizon periods, given frequency, recency, periods';

CREATE FUNCTION purchase_probability(m bgnbd_model, n integer, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 250;
COMMENT ON FUNCTION purchase_probability(bgnbd_model, integer, float8) IS
    'probability that a new customer makes exactly n repeat purchases within horizon';

CREATE FUNCTION purchase_probability(m bgbb_model, n integer, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_purchase_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION purchase_probability(bgbb_model, integer, float8) IS
    'probability that a new customer makes exactly n repeat purchases within horizon';

CREATE FUNCTION expected_spend(gg gamma_gamma_model, frequency float8, monetary float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5;
COMMENT ON FUNCTION expected_spend(gamma_gamma_model, float8, float8) IS
    'Gamma-Gamma expected spend per purchase given frequency and mean repeat spend (population mean for frequency 0)';

CREATE FUNCTION customer_value(m bgnbd_model, gg gamma_gamma_model, frequency float8, recency float8,
        t float8, monetary float8, horizon float8, discount_rate float8, step float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_customer_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION customer_value(bgnbd_model, gamma_gamma_model, float8, float8, float8, float8, float8, float8, float8) IS
    'discounted expected spend over horizon: sum over steps of spend x new expected purchases / (1 + discount_rate)^i; horizon and step in the model time unit, discount_rate per step';

CREATE FUNCTION customer_value(m mbgnbd_model, gg gamma_gamma_model, frequency float8, recency float8,
        t float8, monetary float8, horizon float8, discount_rate float8, step float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_customer_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION customer_value(mbgnbd_model, gamma_gamma_model, float8, float8, float8, float8, float8, float8, float8) IS
    'discounted expected spend over horizon: sum over steps of spend x new expected purchases / (1 + discount_rate)^i; horizon and step in the model time unit, discount_rate per step';

CREATE FUNCTION customer_value(m pareto_nbd_model, gg gamma_gamma_model, frequency float8, recency float8,
        t float8, monetary float8, horizon float8, discount_rate float8, step float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_customer_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 100;
COMMENT ON FUNCTION customer_value(pareto_nbd_model, gamma_gamma_model, float8, float8, float8, float8, float8, float8, float8) IS
    'discounted expected spend over horizon: sum over steps of spend x new expected purchases / (1 + discount_rate)^i; horizon and step in the model time unit, discount_rate per step';

CREATE FUNCTION dert(m pareto_nbd_model, delta float8, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_dert' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1500;
COMMENT ON FUNCTION dert(pareto_nbd_model, float8, float8, float8, float8) IS
    'Pareto/NBD discounted expected residual transactions, continuous discount rate delta per model time unit';


------------------------------------------------------------------------------
-- BTYD models: BG/NBD and Gamma-Gamma fits, predictions
------------------------------------------------------------------------------

CREATE TYPE bgnbd_model AS (r float8, alpha float8, a float8, b float8,
                            log_likelihood float8, customers bigint, converged boolean);
COMMENT ON TYPE bgnbd_model IS
    'a fitted BG/NBD model (time in the unit of the summary it was fitted on)';
CREATE TYPE gamma_gamma_model AS (p float8, q float8, v float8,
                                  log_likelihood float8, customers bigint, converged boolean);
COMMENT ON TYPE gamma_gamma_model IS 'a fitted Gamma-Gamma spend model';

CREATE TYPE btyd_cells;

CREATE FUNCTION btyd_cells_in(cstring) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_cells_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_cells_out(btyd_cells) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_cells_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_cells_recv(internal) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_cells_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION btyd_cells_send(btyd_cells) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_cells_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE btyd_cells (
    INTERNALLENGTH = VARIABLE,
    INPUT = btyd_cells_in,
    OUTPUT = btyd_cells_out,
    RECEIVE = btyd_cells_recv,
    SEND = btyd_cells_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE btyd_cells IS
    'state of the model fits: distinct customer summaries with their counts (mergeable)';

CREATE FUNCTION bgnbd_fit_trans(btyd_cells, float8, float8, float8) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION bgnbd_fit_trans(btyd_cells, float8, float8, float8, float8) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_fit_trans(btyd_cells, float8, float8) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_gg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_fit_trans(btyd_cells, float8, float8, float8) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_gg_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION btyd_cells_merge(btyd_cells, btyd_cells) RETURNS btyd_cells
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_merge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION btyd_cells_merge(btyd_cells, btyd_cells) IS
    'combine function of the model fits: the union of two summary histograms';
CREATE FUNCTION bgnbd_fit_final(btyd_cells) RETURNS bgnbd_model
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION gamma_gamma_fit_final(btyd_cells) RETURNS gamma_gamma_model
    AS 'MODULE_PATHNAME', 'lifecycle_btyd_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE bgnbd_fit(frequency float8, recency float8, t float8) (
    SFUNC = bgnbd_fit_trans, STYPE = btyd_cells, FINALFUNC = bgnbd_fit_final,
    COMBINEFUNC = btyd_cells_merge, PARALLEL = SAFE);
CREATE AGGREGATE bgnbd_fit(frequency float8, recency float8, t float8, penalizer float8) (
    SFUNC = bgnbd_fit_trans, STYPE = btyd_cells, FINALFUNC = bgnbd_fit_final,
    COMBINEFUNC = btyd_cells_merge, PARALLEL = SAFE);
CREATE AGGREGATE gamma_gamma_fit(frequency float8, monetary float8) (
    SFUNC = gamma_gamma_fit_trans, STYPE = btyd_cells, FINALFUNC = gamma_gamma_fit_final,
    COMBINEFUNC = btyd_cells_merge, PARALLEL = SAFE);
CREATE AGGREGATE gamma_gamma_fit(frequency float8, monetary float8, penalizer float8) (
    SFUNC = gamma_gamma_fit_trans, STYPE = btyd_cells, FINALFUNC = gamma_gamma_fit_final,
    COMBINEFUNC = btyd_cells_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE bgnbd_fit(float8, float8, float8) IS
    'fit a BG/NBD model to (frequency, recency, T) summaries by maximum likelihood';
COMMENT ON AGGREGATE bgnbd_fit(float8, float8, float8, float8) IS
    'fit a BG/NBD model with an L2 penalty on the parameters (as lifetimes'' penalizer_coef)';
COMMENT ON AGGREGATE gamma_gamma_fit(float8, float8) IS
    'fit a Gamma-Gamma spend model to repeat buyers'' (frequency, mean repeat spend)';
COMMENT ON AGGREGATE gamma_gamma_fit(float8, float8, float8) IS
    'fit a Gamma-Gamma spend model with an L2 penalty on the parameters';

CREATE FUNCTION p_alive(m bgnbd_model, frequency float8, recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_p_alive' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION p_alive(bgnbd_model, float8, float8, float8) IS
    'probability that the customer is still active (BG/NBD)';
CREATE FUNCTION expected_purchases(m bgnbd_model, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_expected' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases(bgnbd_model, float8) IS
    'expected repeat purchases of a new customer within horizon (model time units)';
CREATE FUNCTION expected_purchases(m bgnbd_model, horizon float8, frequency float8,
        recency float8, t float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_conditional' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_purchases(bgnbd_model, float8, float8, float8, float8) IS
    'expected purchases in the next horizon given the customer''s history';
CREATE FUNCTION purchase_probability(m bgnbd_model, n integer, horizon float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_probability' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION purchase_probability(bgnbd_model, integer, float8) IS
    'probability that a new customer makes exactly n repeat purchases within horizon';
CREATE FUNCTION log_likelihood(m bgnbd_model, frequency float8, recency float8, t float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_bgnbd_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION log_likelihood(bgnbd_model, float8, float8, float8) IS
    'one customer''s BG/NBD log-likelihood';
CREATE FUNCTION expected_spend(gg gamma_gamma_model, frequency float8, monetary float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_gg_expected_spend' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION expected_spend(gamma_gamma_model, float8, float8) IS
    'expected spend per transaction given frequency and mean repeat spend (Gamma-Gamma)';
CREATE FUNCTION log_likelihood(gg gamma_gamma_model, frequency float8, monetary float8)
    RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_gg_loglik' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION log_likelihood(gamma_gamma_model, float8, float8) IS
    'one repeat buyer''s Gamma-Gamma log-likelihood (NULL for frequency 0)';
CREATE FUNCTION customer_value(m bgnbd_model, gg gamma_gamma_model, frequency float8,
        recency float8, t float8, monetary float8, horizon float8, discount_rate float8,
        step float8) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_customer_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION customer_value(bgnbd_model, gamma_gamma_model, float8, float8, float8,
        float8, float8, float8, float8) IS
    'discounted expected spend over horizon (model time units), discount_rate per step';


------------------------------------------------------------------------------
-- RFM: exact quantile scores and the R x F segment map
------------------------------------------------------------------------------

CREATE TYPE rfm_bins_state;
CREATE FUNCTION rfm_bins_state_in(cstring) RETURNS rfm_bins_state
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_state_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_state_out(rfm_bins_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_state_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_state_recv(internal) RETURNS rfm_bins_state
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_state_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_state_send(rfm_bins_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_state_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm_bins_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = rfm_bins_state_in,
    OUTPUT = rfm_bins_state_out,
    RECEIVE = rfm_bins_state_recv,
    SEND = rfm_bins_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE rfm_bins_state IS
    'state of rfm_bins: the distinct values of recency, frequency and monetary with their counts';

CREATE TYPE rfm_bins;
CREATE FUNCTION rfm_bins_in(cstring) RETURNS rfm_bins
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_bins_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_out(rfm_bins) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_bins_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_recv(internal) RETURNS rfm_bins
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_bins_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_send(rfm_bins) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_bins_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE rfm_bins (
    INTERNALLENGTH = VARIABLE,
    INPUT = rfm_bins_in,
    OUTPUT = rfm_bins_out,
    RECEIVE = rfm_bins_recv,
    SEND = rfm_bins_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE rfm_bins IS
    'RFM quantile edges: for each of recency, frequency and monetary the bins-1 exact quantiles';

-- aggregate support (not meant to be called directly)
CREATE FUNCTION rfm_bins_trans(rfm_bins_state, float8, float8, float8, integer) RETURNS rfm_bins_state
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_trans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_trans(rfm_bins_state, float8, float8, float8) RETURNS rfm_bins_state
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_trans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rfm_bins_merge(rfm_bins_state, rfm_bins_state) RETURNS rfm_bins_state
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_state_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_bins_merge(rfm_bins_state, rfm_bins_state) IS
    'combine function of rfm_bins(): the union of two value histograms';
CREATE FUNCTION rfm_bins_final(rfm_bins_state) RETURNS rfm_bins
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE rfm_bins(recency float8, frequency float8, monetary float8, bins integer) (
    SFUNC = rfm_bins_trans,
    STYPE = rfm_bins_state,
    INITCOND = '{"v":1,"bins":5,"recency":[],"frequency":[],"monetary":[]}',
    FINALFUNC = rfm_bins_final,
    COMBINEFUNC = rfm_bins_merge,
    PARALLEL = SAFE
);
CREATE AGGREGATE rfm_bins(recency float8, frequency float8, monetary float8) (
    SFUNC = rfm_bins_trans,
    STYPE = rfm_bins_state,
    INITCOND = '{"v":1,"bins":5,"recency":[],"frequency":[],"monetary":[]}',
    FINALFUNC = rfm_bins_final,
    COMBINEFUNC = rfm_bins_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE rfm_bins(float8, float8, float8, integer) IS
    'exact quantile edges of recency, frequency and monetary for RFM scores 1..bins (rows with a NULL skipped)';
COMMENT ON AGGREGATE rfm_bins(float8, float8, float8) IS
    'exact quintile edges of recency, frequency and monetary for RFM scores 1..5 (rows with a NULL skipped)';

CREATE FUNCTION rfm_score(bins rfm_bins, recency float8, frequency float8, monetary float8,
        OUT r integer, OUT f integer, OUT m integer, OUT score text, OUT segment text)
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_score'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_score(rfm_bins, float8, float8, float8) IS
    'RFM scores of one customer (recency reversed: recent = high), score string and R x F segment (5 bins)';

CREATE FUNCTION rfm_segment(r integer, f integer) RETURNS text
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_segment'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment(integer, integer) IS
    'the 10-segment R x F map of 1-5 scores (Champions, Loyal Customers, ..., Hibernating)';

CREATE FUNCTION rfm_segment(bins rfm_bins, recency float8, frequency float8) RETURNS text
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_segment_of'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_segment(rfm_bins, float8, float8) IS
    'segment of one customer (5 bins): rfm_segment of its R and F scores, without the full rfm_score row';

CREATE FUNCTION rfm_edges(bins rfm_bins, dimension text) RETURNS float8[]
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_edges'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_edges(rfm_bins, text) IS
    'the bins-1 quantile edges of ''recency'', ''frequency'' or ''monetary''';

CREATE FUNCTION rfm_customers(bins rfm_bins) RETURNS bigint
    AS 'MODULE_PATHNAME', 'lifecycle_rfm_customers'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION rfm_customers(rfm_bins) IS 'customers counted by rfm_bins';

------------------------------------------------------------------------------
-- nps: net promoter score
------------------------------------------------------------------------------

CREATE TYPE nps_state;
CREATE FUNCTION nps_state_in(cstring) RETURNS nps_state
    AS 'MODULE_PATHNAME', 'lifecycle_nps_state_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_state_out(nps_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'lifecycle_nps_state_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_state_recv(internal) RETURNS nps_state
    AS 'MODULE_PATHNAME', 'lifecycle_nps_state_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_state_send(nps_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'lifecycle_nps_state_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE nps_state (
    INTERNALLENGTH = VARIABLE,
    INPUT = nps_state_in,
    OUTPUT = nps_state_out,
    RECEIVE = nps_state_recv,
    SEND = nps_state_send,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE nps_state IS 'state of nps(): answers per score 0..10';

CREATE FUNCTION nps_trans(nps_state, integer) RETURNS nps_state
    AS 'MODULE_PATHNAME', 'lifecycle_nps_trans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION nps_merge(nps_state, nps_state) RETURNS nps_state
    AS 'MODULE_PATHNAME', 'lifecycle_nps_state_merge'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION nps_merge(nps_state, nps_state) IS
    'combine function of nps(): the sum of two score histograms';
CREATE FUNCTION nps_final(nps_state) RETURNS float8
    AS 'MODULE_PATHNAME', 'lifecycle_nps_final'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE nps(score integer) (
    SFUNC = nps_trans,
    STYPE = nps_state,
    INITCOND = '{"v":1,"scores":[]}',
    FINALFUNC = nps_final,
    COMBINEFUNC = nps_merge,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE nps(integer) IS
    'net promoter score: 100 x (share of 9-10 answers - share of 0-6 answers); NULL answers skipped, NULL for none';

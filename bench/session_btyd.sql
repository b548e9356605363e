-- make bench, after the main session: the two BTYD fits timed in a new session, before
-- and after the session loads PostgreSQL's JIT provider. The main session runs queries
-- above jit_above_cost, which loads llvmjit.so into it; from then on every parallel
-- worker of that session loads the provider and LLVM at start (PostgreSQL restores the
-- leader's loaded libraries in each worker), some 15-20 ms per parallel query on this
-- machine, whatever the query. A fresh session (a pg_cron job, a new connection) does
-- not pay it. Same data, same server, same queries as btyd_2 and btyd_3.
\pset footer off
SET client_min_messages = warning;
CREATE TEMP TABLE fresh_time (id text, phase text, ms float8);
CREATE FUNCTION pg_temp.fits(phase text, reps int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    FOR r IN 1 .. reps LOOP
        INSERT INTO fresh_time
        SELECT 'btyd_2_bgnbd_fit', phase, bench_run($q$SELECT (m).converged, round((m).r::numeric, 4) FROM (SELECT bgnbd_fit(frequency, recency, t) m FROM btyd_sum) s$q$);
        INSERT INTO fresh_time
        SELECT 'btyd_3_gg_fit', phase, bench_run($q$SELECT (m).converged, round((m).p::numeric, 4) FROM (SELECT gamma_gamma_fit(frequency, monetary) m FROM btyd_sum) s$q$);
        INSERT INTO fresh_time
        SELECT 'bare parallel scan of btyd_sum', phase, bench_run($q$SELECT count(*), sum(monetary), sum(frequency) FROM btyd_sum$q$);
    END LOOP;
END $$;
\echo '== btyd fits in a new session, before and after it loads the JIT provider =='
SELECT pg_temp.fits('1 new session', :reps);
-- one query above jit_above_cost loads the provider into this session
SET jit_above_cost = 0;
SELECT count(*) FROM (SELECT 1) s;
RESET jit_above_cost;
SELECT pg_temp.fits('2 after the JIT provider loaded', :reps);
SELECT id, phase, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric) AS median_ms,
       round(min(ms)::numeric) AS min_ms, round(max(ms)::numeric) AS max_ms
FROM fresh_time GROUP BY 1, 2 ORDER BY 1, 2;

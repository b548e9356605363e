-- make bench, part 99: time every query and report medians and ratios
\echo '== timing (' :reps 'runs each, interleaved) =='
SELECT count(bench_run(sql, settings)) AS warm_up_runs FROM bench_query;
INSERT INTO bench_time SELECT q.id, r, bench_run(q.sql, q.settings)
FROM generate_series(1, :reps) r, bench_query q ORDER BY r, q.id;

CREATE VIEW bench_median AS
SELECT id, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms, min(ms) AS min_ms, max(ms) AS max_ms
FROM bench_time GROUP BY id;

SELECT q.id, q.label, round(m.ms::numeric) AS median_ms, round(m.min_ms::numeric) AS min_ms,
       round(m.max_ms::numeric) AS max_ms
FROM bench_query q JOIN bench_median m USING (id) ORDER BY q.id;

-- value: from medians; from_mins: the same ratio from each query's fastest run, the
-- steadier figure on a shared machine, where other tenants slow some runs a lot
\echo '== ratios (medians; from_mins = from the fastest runs) =='
SELECT r.name AS ratio,
       round(((SELECT min(ms) FROM bench_median WHERE id = ANY (r.num))
              / (SELECT min(ms) FROM bench_median WHERE id = ANY (r.den)))::numeric, 2) AS value,
       round(((SELECT min(min_ms) FROM bench_median WHERE id = ANY (r.num))
              / (SELECT min(min_ms) FROM bench_median WHERE id = ANY (r.den)))::numeric, 2) AS from_mins,
       r.goal
FROM bench_ratio r ORDER BY r.ord;

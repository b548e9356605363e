-- BTYD fits and predictions against the published results (REFERENCE.md §4, §8 B-F):
-- CDNOW (exact summary from the transaction log, and the 2-dp CSV loaded by
-- test/load_reference_data.sh) and the donations data (loaded here).
-- Needs ../shared/data (or $LIFECYCLE_DATA); skips with a message without it.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(43);

CREATE FUNCTION pg_temp.rel(got float8, want float8) RETURNS float8
    LANGUAGE sql IMMUTABLE AS $$ SELECT abs(got / want - 1) $$;

SELECT count(*) > 0 AS have_cdnow FROM public.cdnow_summary \gset
\set have_don `test -f "${LIFECYCLE_DATA:-../shared/data}/donations/donations.csv" && echo true || echo false`
\if :have_cdnow
\if :have_don

CREATE TEMP TABLE don (frequency int, recency int, periods int, weight int);
\copy don FROM PROGRAM 'cat "${LIFECYCLE_DATA:-../shared/data}/donations/donations.csv"' WITH (FORMAT csv, HEADER true)

-- the 2-dp CSV (x, t_x, T, zbar) and the exact summary from the transaction log
CREATE TEMP TABLE csv AS SELECT customer_id, x, t_x, t, zbar FROM public.cdnow_summary;
CREATE TEMP TABLE exact AS
SELECT customer_id, (btyd_summary(customer_profile(day, dollars), date '1997-09-30', '7 days')).*
FROM public.cdnow_sample GROUP BY customer_id;

CREATE TEMP TABLE fits AS
SELECT (SELECT bgnbd_fit(x, t_x, t) FROM csv) AS bg_csv,
       (SELECT bgnbd_fit(frequency, recency, t) FROM exact) AS bg_exact,
       (SELECT pareto_nbd_fit(frequency, recency, t) FROM exact) AS pn_exact,
       (SELECT mbgnbd_fit(x, t_x, t) FROM csv) AS mbg_csv,
       (SELECT gamma_gamma_fit(x, zbar) FROM csv) AS gg_csv,
       (SELECT bgbb_fit(frequency, recency, periods, weight) FROM don) AS bb;

-- B1
SELECT ok(abs(btyd_log_likelihood(h, '{0.243,4.414,0.793,2.426}') + 9582.427) <= 0.01,
          'B1: BG/NBD LL(0.243, 4.414, 0.793, 2.426) on the CSV = -9582.427 (+-0.01)')
FROM (SELECT bgnbd_histogram(x, t_x, t) h FROM csv) s;
-- B2 exact data
SELECT ok((bg_exact).converged, 'B2: BG/NBD fit on exact data converges') FROM fits;
SELECT ok(pg_temp.rel((bg_exact).r, 0.242595) <= 1e-3 AND pg_temp.rel((bg_exact).alpha, 4.413602) <= 1e-3
          AND pg_temp.rel((bg_exact).a, 0.792922) <= 1e-3 AND pg_temp.rel((bg_exact).b, 2.425907) <= 1e-3,
          'B2: BG/NBD MLE on exact data = (0.242595, 4.413602, 0.792922, 2.425907) (rel 1e-3)') FROM fits;
SELECT ok(abs((bg_exact).log_likelihood + 9582.4292) <= 0.005, 'B2: BG/NBD LL on exact data = -9582.4292 (+-0.005)') FROM fits;
SELECT is((bg_exact).customers, 2357::bigint, 'B2: 2357 customers') FROM fits;
-- B2 CSV and lifetimes' standard errors
SELECT ok(pg_temp.rel((bg_csv).r, 0.242593) <= 1e-4 AND pg_temp.rel((bg_csv).alpha, 4.413532) <= 1e-4
          AND pg_temp.rel((bg_csv).a, 0.792886) <= 1e-4 AND pg_temp.rel((bg_csv).b, 2.425752) <= 1e-4,
          'B2: BG/NBD MLE on the CSV = lifetimes (0.242593, 4.413532, 0.792886, 2.425752) (rel 1e-4)') FROM fits;
SELECT ok(pg_temp.rel((bg_csv).r_se, 0.012557) <= 0.02 AND pg_temp.rel((bg_csv).alpha_se, 0.378221) <= 0.02
          AND pg_temp.rel((bg_csv).a_se, 0.185719) <= 0.02 AND pg_temp.rel((bg_csv).b_se, 0.705345) <= 0.02,
          'B2: standard errors = lifetimes (0.012557, 0.378221, 0.185719, 0.705345) (+-2 %)') FROM fits;
SELECT ok((bg_csv).converged, 'B2: BG/NBD fit on the CSV converges') FROM fits;
-- BG/NBD predictions (FHL 2005: customer x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks)
SELECT ok(abs(expected_purchases(bg_csv, 39, 2, 30.43, 38.86) - 1.226) < 0.001,
          'FHL 2005: E[Y(39) | 2, 30.43, 38.86] = 1.226') FROM fits;
SELECT ok(p_alive(bg_csv, 0, 0, 38.86) = 1, 'BG/NBD: P(alive) = 1 without repeat purchases') FROM fits;
SELECT ok(abs((SELECT sum(purchase_probability(bg_csv, n, 39)) FROM generate_series(0, 300) n) - 1) < 1e-9,
          'BG/NBD: P(X(39) = n) sums to 1') FROM fits;
SELECT ok(abs((SELECT sum(n * purchase_probability(bg_csv, n, 39)) FROM generate_series(0, 300) n)
              - expected_purchases(bg_csv, 39)) < 1e-6,
          'BG/NBD: mean of P(X(39) = n) = E[X(39)]') FROM fits;
SELECT ok(abs(expected_purchases(bg_csv, 39) - expected_purchases(bg_csv, 39, 0, 0, 0)) < 1e-12,
          'BG/NBD: conditional expectation at (0, 0, 0) = unconditional') FROM fits;

-- C1, C2
SELECT ok(abs(btyd_log_likelihood(h, '{0.553,10.578,0.606,11.669}') + 9594.974) <= 0.01,
          'C1: Pareto/NBD LL(0.553, 10.578, 0.606, 11.669) on the CSV = -9594.974 (+-0.01)')
FROM (SELECT pareto_nbd_histogram(x, t_x, t) h FROM csv) s;
SELECT ok((pn_exact).converged, 'C2: Pareto/NBD fit converges') FROM fits;
SELECT ok(pg_temp.rel((pn_exact).r, 0.55328) <= 2e-3 AND pg_temp.rel((pn_exact).alpha, 10.57768) <= 2e-3
          AND pg_temp.rel((pn_exact).s, 0.60624) <= 2e-3 AND pg_temp.rel((pn_exact).beta, 11.66874) <= 2e-3,
          'C2: Pareto/NBD MLE on exact data = (0.55328, 10.57768, 0.60624, 11.66874) (rel 2e-3)') FROM fits;
SELECT ok(abs((pn_exact).log_likelihood + 9594.9762) <= 0.005, 'C2: Pareto/NBD LL = -9594.9762 (+-0.005)') FROM fits;
SELECT ok(pg_temp.rel((pn_exact).r_se, 0.0476264) <= 0.01 AND pg_temp.rel((pn_exact).alpha_se, 0.8427222) <= 0.01
          AND pg_temp.rel((pn_exact).s_se, 0.1872594) <= 0.01 AND pg_temp.rel((pn_exact).beta_se, 6.2105448) <= 0.01,
          'C2: standard errors = CLVTools (0.0476264, 0.8427222, 0.1872594, 6.2105448) (+-1 %)') FROM fits;
SELECT ok(abs(expected_purchases(pn_exact, 39) - expected_purchases(pn_exact, 39, 0, 0, 0)) < 1e-12,
          'Pareto/NBD: conditional expectation at (0, 0, 0) = unconditional') FROM fits;
SELECT ok(p_alive(pn_exact, 3, 20, 20) = 1 AND p_alive(pn_exact, 3, 10, 20) < 1,
          'Pareto/NBD: P(alive) = 1 right after a purchase, < 1 later') FROM fits;
-- DERT (trapezoid rule in log time) against a brute-force midpoint sum of its integral
SELECT ok(abs(dert(pn_exact, 0.0027, 2, 30.43, 38.86)
              - p_alive(pn_exact, 2, 30.43, 38.86) * ((pn_exact).r + 2) / ((pn_exact).alpha + 38.86)
                * (SELECT sum(exp(-0.0027 * (k + 0.5) * 0.5) * power(((pn_exact).beta + 38.86)
                              / ((pn_exact).beta + 38.86 + (k + 0.5) * 0.5), (pn_exact).s)) * 0.5
                   FROM generate_series(0, 80000) k)) < 1e-3 * dert(pn_exact, 0.0027, 2, 30.43, 38.86),
          'DERT equals a brute-force midpoint sum of its integral (rel 1e-3)') FROM fits;

-- D
SELECT ok(pg_temp.rel((mbg_csv).r, 0.52484) <= 1e-3 AND pg_temp.rel((mbg_csv).alpha, 6.18299) <= 1e-3
          AND pg_temp.rel((mbg_csv).a, 0.89136) <= 1e-3 AND pg_temp.rel((mbg_csv).b, 1.61400) <= 1e-3,
          'D: MBG/NBD MLE on the CSV = (0.52484, 6.18299, 0.89136, 1.61400) (rel 1e-3)') FROM fits;
SELECT ok(abs((mbg_csv).log_likelihood + 9582.133) <= 9582.133 * 1e-3 AND (mbg_csv).converged,
          'D: MBG/NBD LL = -9582.133, converged') FROM fits;
SELECT ok(p_alive(mbg_csv, 0, 0, 1) < 1, 'D: MBG/NBD P(alive | x = 0) < 1') FROM fits;
SELECT ok(abs(expected_purchases(mbg_csv, 39) - expected_purchases(mbg_csv, 39, 0, 0, 0)) < 1e-12,
          'MBG/NBD: conditional expectation at (0, 0, 0) = unconditional') FROM fits;

-- E1, E2
SELECT ok(abs(btyd_log_likelihood(h, '{6.25,3.74,15.44}') + 4055.925) <= 0.01,
          'E1: Gamma-Gamma LL(6.25, 3.74, 15.44) = -4055.925 (+-0.01)')
FROM (SELECT gamma_gamma_histogram(x, zbar) h FROM csv) s;
SELECT ok(pg_temp.rel((gg_csv).p, 6.2488) <= 2e-3 AND pg_temp.rel((gg_csv).q, 3.7446) <= 2e-3
          AND pg_temp.rel((gg_csv).gamma, 15.4477) <= 2e-3,
          'E2: Gamma-Gamma MLE = (6.2488, 3.7446, 15.4477) (rel 2e-3)') FROM fits;
SELECT ok(abs((gg_csv).log_likelihood + 4055.923) <= 0.005, 'E2: Gamma-Gamma LL = -4055.923') FROM fits;
SELECT is((gg_csv).customers, 946::bigint, 'E2: 946 repeat customers (frequency 0 rows skipped)') FROM fits;
SELECT ok((gg_csv).converged, 'E2: converged') FROM fits;
SELECT ok(abs(expected_spend(gg_csv, 0, 0) - (gg_csv).p * (gg_csv).gamma / ((gg_csv).q - 1)) < 1e-9,
          'Gamma-Gamma: expected spend without repeat purchases = population mean') FROM fits;
SELECT ok(expected_spend(gg_csv, 2, 22.35) BETWEEN 22.35 AND (gg_csv).p * (gg_csv).gamma / ((gg_csv).q - 1),
          'Gamma-Gamma: expected spend shrinks the observed mean towards the population mean') FROM fits;

-- F1
SELECT ok(pg_temp.rel((bb).alpha, 1.2035) <= 1e-3 AND pg_temp.rel((bb).beta, 0.7497) <= 1e-3
          AND pg_temp.rel((bb).gamma, 0.6567) <= 1e-3 AND pg_temp.rel((bb).delta, 2.7834) <= 1e-3,
          'F1: BG/BB MLE on donations = (1.2035, 0.7497, 0.6567, 2.7834) (rel 1e-3)') FROM fits;
SELECT ok(pg_temp.rel((bb).log_likelihood, -33225.58) <= 1e-3 AND abs((bb).log_likelihood + 33225.581) < 0.01,
          'F1: BG/BB LL = -33225.58') FROM fits;
SELECT is((bb).customers, 11104::bigint, 'F1: 11104 donors') FROM fits;
SELECT ok((bb).converged, 'F1: converged') FROM fits;
SELECT ok(abs((SELECT sum(purchase_probability(bb, k, 6)) FROM generate_series(0, 6) k) - 1) < 1e-12
          AND abs((SELECT sum(k * purchase_probability(bb, k, 6)) FROM generate_series(0, 6) k)
                  - expected_purchases(bb, 6)) < 1e-9,
          'BG/BB: P(X(6) = k) sums to 1 and its mean is E[X(6)]') FROM fits;
SELECT ok(abs(expected_purchases(bb, 5) - expected_purchases(bb, 5, 0, 0, 0)) < 1e-12,
          'BG/BB: conditional expectation at (0, 0, 0) = unconditional') FROM fits;
SELECT ok(p_alive(bb, 6, 6, 6) > p_alive(bb, 1, 1, 6) AND p_alive(bb, 6, 6, 6) <= 1
          AND p_alive(bb, 1, 1, 6) > 0,
          'BG/BB: a donor in every year is more likely alive than one who stopped after year 1') FROM fits;
-- lifetimes' donations data shows expected holdout donations rising with recency for x = 1
SELECT ok((SELECT bool_and(e1 < e2) FROM (
               SELECT expected_purchases(bb, 5, 1, r, 6) e1, expected_purchases(bb, 5, 1, r + 1, 6) e2
               FROM generate_series(1, 5) r) s),
          'BG/BB: conditional expectation rises with recency') FROM fits;

-- the exact summary and the CSV agree on the fit to the published precision
SELECT ok(pg_temp.rel((bg_exact).r, (bg_csv).r) < 1e-3, 'exact and CSV BG/NBD fits agree within 1e-3') FROM fits;
-- customer_value with zero discount over one step is spend x expected purchases
SELECT ok(abs(customer_value(bg_csv, gg_csv, 2, 30.43, 38.86, 22.35, 39, 0, 39)
              - expected_spend(gg_csv, 2, 22.35) * expected_purchases(bg_csv, 39, 2, 30.43, 38.86)) < 1e-9,
          'customer_value, no discount, one step = expected spend x expected purchases') FROM fits;
SELECT ok(customer_value(bg_csv, gg_csv, 2, 30.43, 38.86, 22.35, 39, 0.01, 4.345)
          < customer_value(bg_csv, gg_csv, 2, 30.43, 38.86, 22.35, 39, 0, 4.345),
          'customer_value: discounting lowers the value') FROM fits;

\else
SELECT skip('donations data not found (../shared/data absent): BTYD reference checks B-F skipped', 43);
\endif
\else
SELECT skip('CDNOW reference data not found (../shared/data absent): BTYD reference checks B-F skipped', 43);
\endif

SELECT * FROM finish();
ROLLBACK;

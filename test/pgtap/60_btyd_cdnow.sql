-- BG/NBD and Gamma-Gamma against the published CDNOW results (REFERENCE.md §8 B1,
-- B2, E1, E2), and prediction identities. Needs ../shared/data; skips without it.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(15);

SELECT count(*) > 0 AS have_cdnow FROM public.cdnow_sample \gset
\if :have_cdnow

CREATE TEMP TABLE cd_summary AS
SELECT customer_id, (btyd_summary(p, date '1997-09-30')).*
FROM (SELECT customer_id, customer_profile(day, dollars) AS p FROM public.cdnow_sample GROUP BY 1) x;
CREATE TEMP TABLE fits AS
SELECT 'csv' AS data, (bgnbd_fit(x, t_x, t)).* FROM public.cdnow_summary
UNION ALL
SELECT 'exact', (bgnbd_fit(frequency, recency, t)).* FROM cd_summary;

-- B1: the log-likelihood at the published parameters, on the 2-dp file
SELECT ok(abs((SELECT sum(log_likelihood(ROW(0.243, 4.414, 0.793, 2.426, NULL, NULL, NULL)::bgnbd_model,
                                          x, t_x, t)) FROM public.cdnow_summary) + 9582.427) < 0.01,
          'B1: LL(0.243, 4.414, 0.793, 2.426) = -9582.427 on the CSV');
-- B2 on the exact summary (params rel 1e-3, LL 0.005) and on the CSV
SELECT ok((SELECT abs(r / 0.242595 - 1) < 1e-3 AND abs(alpha / 4.413602 - 1) < 1e-3
                  AND abs(a / 0.792922 - 1) < 1e-3 AND abs(b / 2.425907 - 1) < 1e-3
           FROM fits WHERE data = 'exact'), 'B2: MLE on exact data = (0.242595, 4.413602, 0.792922, 2.425907)');
SELECT ok((SELECT abs(log_likelihood + 9582.4292) < 0.005 FROM fits WHERE data = 'exact'),
          'B2: LL at the MLE = -9582.4292');
SELECT ok((SELECT abs(r / 0.242593 - 1) < 1e-4 AND abs(alpha / 4.413532 - 1) < 1e-4
                  AND abs(a / 0.792886 - 1) < 1e-4 AND abs(b / 2.425752 - 1) < 1e-4
           FROM fits WHERE data = 'csv'), 'B2: MLE on the CSV = (0.242593, 4.413532, 0.792886, 2.425752)');
SELECT ok((SELECT bool_and(converged AND customers = 2357) FROM fits), 'both fits converged on 2357 customers');
-- E1, E2: Gamma-Gamma on the 946 repeat buyers
SELECT ok(abs((SELECT sum(log_likelihood(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL)::gamma_gamma_model, x, zbar))
               FROM public.cdnow_summary) + 4055.925) < 0.01, 'E1: LL(6.25, 3.74, 15.44) = -4055.925');
SELECT ok((SELECT abs(p / 6.2488 - 1) < 2e-3 AND abs(q / 3.7446 - 1) < 2e-3 AND abs(v / 15.4477 - 1) < 2e-3
                  AND customers = 946 AND converged
           FROM (SELECT (gamma_gamma_fit(x, zbar)).* FROM public.cdnow_summary) g),
          'E2: MLE = (6.2488, 3.7446, 15.4477) on 946 repeat buyers');

-- predictions: identities that hold for any model
CREATE TEMP TABLE m AS SELECT ROW(r, alpha, a, b, log_likelihood, customers, converged)::bgnbd_model AS m
FROM fits WHERE data = 'exact';
SELECT ok(abs((SELECT sum(purchase_probability(m, n, 39)) FROM m, generate_series(0, 300) n) - 1) < 1e-9,
          'purchase probabilities over n sum to 1');
SELECT ok(abs((SELECT sum(n * purchase_probability(m, n, 39)) FROM m, generate_series(0, 300) n)
              - (SELECT expected_purchases(m, 39) FROM m)) < 1e-6,
          'the mean of the purchase distribution equals expected_purchases');
SELECT ok((SELECT expected_purchases(m, 39, 0, 0, 0) FROM m) = (SELECT expected_purchases(m, 39) FROM m)
          OR abs((SELECT expected_purchases(m, 39, 0, 0, 0) FROM m) - (SELECT expected_purchases(m, 39) FROM m)) < 1e-9,
          'a customer with no history expects what a new customer expects');
SELECT ok((SELECT bool_and(p_alive(m, frequency, recency, t) BETWEEN 0 AND 1
                           AND expected_purchases(m, 52, frequency, recency, t) >= 0)
           FROM m, cd_summary), 'p_alive in [0, 1] and expectations >= 0 for every CDNOW customer');
SELECT ok((SELECT p_alive(m, 2, 30.428571, 38.857143) > p_alive(m, 2, 5, 38.857143) FROM m),
          'a recent repeat buyer is more likely alive than one silent for 34 weeks');
-- the aggregate's total over the sample: the model's own expectation of holdout purchases
SELECT ok((SELECT sum(expected_purchases(m, 39, frequency, recency, t)) FROM m, cd_summary)
              BETWEEN 1500 AND 2300,
          'expected repeat purchases in the 39-week holdout are near the observed 1882 (A3)');
-- customer value: monthly steps over a year, 1% a month, equals the undiscounted sum at d = 0
SELECT ok(abs((SELECT customer_value(m, ROW(6.25, 3.74, 15.44, NULL, NULL, NULL)::gamma_gamma_model,
                                     2, 30.428571, 38.857143, 22.345, 52, 0, 52 / 12.0) FROM m)
              - (SELECT expected_purchases(m, 52, 2, 30.428571, 38.857143)
                        * expected_spend(ROW(6.25, 3.74, 15.44, NULL, NULL, NULL)::gamma_gamma_model, 2, 22.345)
                 FROM m)) < 1e-9, 'undiscounted customer value = expected purchases x expected spend');
SELECT ok((SELECT customer_value(m, ROW(6.25, 3.74, 15.44, NULL, NULL, NULL)::gamma_gamma_model,
                                 2, 30.428571, 38.857143, 22.345, 52, 0.01, 52 / 12.0)
                  < customer_value(m, ROW(6.25, 3.74, 15.44, NULL, NULL, NULL)::gamma_gamma_model,
                                   2, 30.428571, 38.857143, 22.345, 52, 0, 52 / 12.0) FROM m),
          'discounting lowers the value');

\else
SELECT skip('CDNOW reference data not found (../shared/data or LIFECYCLE_DATA): BG/NBD and Gamma-Gamma reference checks skipped', 15);
\endif
SELECT * FROM finish();
ROLLBACK;

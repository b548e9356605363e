-- Parameter recovery: simulate a store from known BG/NBD and Gamma-Gamma parameters
-- with demo_orders (weeks), summarise it with btyd_summary, fit, and find the
-- parameters again (within 10%: sampling error with ~80k buyers is a few percent).
-- Independent of any reference data.
BEGIN;
SELECT plan(5);
SET LOCAL TimeZone = 'UTC';

CREATE TEMP TABLE sm AS
SELECT (btyd_summary(customer_profile(ordered_at, amount), date '2025-12-31')).*
FROM demo_orders(100000, 9) GROUP BY customer_id;
CREATE TEMP TABLE bg AS SELECT (bgnbd_fit(frequency, recency, t)).* FROM sm;
CREATE TEMP TABLE gg AS SELECT (gamma_gamma_fit(frequency, monetary)).* FROM sm;
-- a second, different truth
CREATE TEMP TABLE sm2 AS
SELECT (btyd_summary(customer_profile(ordered_at, amount), date '2025-12-31')).*
FROM demo_orders(100000, 10, r => 0.8, alpha => 10, a => 0.4, b => 3.0, p => 3.0, q => 5.0, gamma => 40)
GROUP BY customer_id;
CREATE TEMP TABLE bg2 AS SELECT (bgnbd_fit(frequency, recency, t)).* FROM sm2;
CREATE TEMP TABLE gg2 AS SELECT (gamma_gamma_fit(frequency, monetary)).* FROM sm2;

SELECT ok((SELECT converged AND abs(r / 0.243 - 1) < 0.1 AND abs(alpha / 4.414 - 1) < 0.1
                  AND abs(a / 0.793 - 1) < 0.1 AND abs(b / 2.426 - 1) < 0.1 FROM bg),
          'BG/NBD (0.243, 4.414, 0.793, 2.426) recovered within 10%');
SELECT ok((SELECT converged AND abs(p / 6.25 - 1) < 0.1 AND abs(q / 3.74 - 1) < 0.1
                  AND abs(v / 15.44 - 1) < 0.1 FROM gg),
          'Gamma-Gamma (6.25, 3.74, 15.44) recovered within 10%');
SELECT ok((SELECT converged AND abs(r / 0.8 - 1) < 0.1 AND abs(alpha / 10 - 1) < 0.1
                  AND abs(a / 0.4 - 1) < 0.15 AND abs(b / 3.0 - 1) < 0.15 FROM bg2),
          'BG/NBD (0.8, 10, 0.4, 3.0) recovered (r, alpha within 10%; a, b within 15%)');
SELECT ok((SELECT converged AND abs(p / 3.0 - 1) < 0.1 AND abs(q / 5.0 - 1) < 0.1
                  AND abs(v / 40 - 1) < 0.1 FROM gg2),
          'Gamma-Gamma (3, 5, 40) recovered within 10%');
-- the fitted model predicts the simulated purchase count: mean repeat purchases in the
-- observed period equals the model's expectation over the same ages
SELECT ok((SELECT abs(avg(frequency) / avg(expected_purchases(ROW(bg.r, bg.alpha, bg.a, bg.b, NULL, NULL, NULL)::bgnbd_model, t)) - 1) < 0.05
           FROM sm, bg),
          'the fitted model reproduces the mean repeat purchases (5%)');

SELECT * FROM finish();
ROLLBACK;

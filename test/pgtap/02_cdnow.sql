-- btyd_summary reproduces the lifetimes summary of the CDNOW sample
-- (REFERENCE.md §3.1, §8 A1-A3): calibration ends 1997-09-30, weeks, day-collapse.
-- Needs ../shared/data (loaded by test/load_reference_data.sh); skips without it.
\set ON_ERROR_STOP 1
BEGIN;
SELECT plan(16);

SELECT count(*) > 0 AS have_cdnow FROM public.cdnow_sample \gset
\if :have_cdnow

CREATE TEMP TABLE cd_profiles AS
SELECT customer_id, customer_profile(day, dollars) AS p FROM public.cdnow_sample GROUP BY 1;
CREATE TEMP TABLE cd_summary AS
SELECT customer_id, (btyd_summary(p, date '1997-09-30', '7 days')).* FROM cd_profiles;

-- A1
SELECT is((SELECT count(*)::int FROM cd_summary), 2357, 'A1: 2357 customers');
SELECT is((SELECT sum(frequency)::int FROM cd_summary), 2457, 'A1: sum of frequency = 2457');
SELECT is((SELECT count(*)::int FROM cd_summary WHERE frequency = 0), 1411, 'A1: 1411 without repeat purchases');
-- A2 (±1e-6)
SELECT ok((SELECT frequency = 2 AND abs(recency - 30.428571) < 1e-6 AND abs(t - 38.857143) < 1e-6
                  AND abs(monetary - 22.345) < 1e-6 FROM cd_summary WHERE customer_id = 1),
          'A2: customer 1 = (2, 30.428571, 38.857143, 22.345)');
SELECT ok((SELECT frequency = 1 AND abs(recency - 1.714286) < 1e-6 AND abs(t - 38.857143) < 1e-6
                  AND abs(monetary - 11.77) < 1e-6 FROM cd_summary WHERE customer_id = 2),
          'A2: customer 2 = (1, 1.714286, 38.857143, 11.77)');
SELECT ok((SELECT frequency = 7 AND abs(recency - 29.428571) < 1e-6 AND abs(t - 38.857143) < 1e-6
                  AND abs(monetary - 73.741429) < 1e-6 FROM cd_summary WHERE customer_id = 6),
          'A2: customer 6 = (7, 29.428571, 38.857143, 73.741429)');
SELECT is((SELECT recency FROM cd_summary WHERE customer_id = 1), 213 / 7.0::float8,
          'A2: recency is days / 7 exactly, as lifetimes computes it');
-- every customer against the published 2-dp summary file
SELECT is((SELECT count(*)::int FROM cd_summary s JOIN public.cdnow_summary c USING (customer_id)
           WHERE s.frequency = c.x), 2357, 'all 2357 frequencies equal the reference file');
SELECT is((SELECT count(*)::int FROM cd_summary s JOIN public.cdnow_summary c USING (customer_id)
           WHERE abs(s.recency - c.t_x) <= 0.005 + 1e-9 AND abs(s.t - c.t) <= 0.005 + 1e-9), 2357,
          'all recency and T values equal the reference file to its 2 decimals');
SELECT is((SELECT count(*)::int FROM cd_summary s JOIN public.cdnow_summary c USING (customer_id)
           WHERE abs(s.monetary - c.zbar) <= 0.005 + 1e-9), 2357,
          'all monetary values equal the reference file to its 2 decimals');
-- A3: holdout 1997-10-01 .. 1998-06-30
SELECT is((SELECT sum(holdout_purchases(p, date '1997-09-30', date '1998-06-30'))::int FROM cd_profiles), 1882,
          'A3: 1882 holdout purchase days');
SELECT is((SELECT count(*)::int FROM cd_profiles WHERE holdout_purchases(p, date '1997-09-30', date '1998-06-30') > 0), 684,
          'A3: 684 customers purchase in the holdout');
-- the timestamptz form agrees with the date form (UTC days)
SELECT is((SELECT count(*)::int FROM cd_profiles c
           JOIN (SELECT customer_id, customer_profile((day::timestamp AT TIME ZONE 'UTC') + interval '13 hours', dollars) p
                 FROM public.cdnow_sample GROUP BY 1) t USING (customer_id)
           WHERE c.p::text = t.p::text), 2357, 'timestamptz profiles equal date profiles');
-- as_of ignores later activity: a profile of everything gives the calibration summary
SELECT is((SELECT count(*)::int FROM cd_profiles c
           JOIN (SELECT customer_id, customer_profile(day, dollars) p FROM public.cdnow_sample
                 WHERE day <= '1997-09-30' GROUP BY 1) k USING (customer_id)
           WHERE btyd_summary(c.p, date '1997-09-30') = btyd_summary(k.p, date '1997-09-30')), 2357,
          'summary from the full history equals summary from calibration rows only');
-- rollup of calibration and holdout profiles equals the full profile
SELECT is((SELECT count(*)::int FROM cd_profiles c
           JOIN (SELECT customer_id, rollup(p) p FROM (
                   SELECT customer_id, customer_profile(day, dollars) p FROM public.cdnow_sample WHERE day <= '1997-09-30' GROUP BY 1
                   UNION ALL
                   SELECT customer_id, customer_profile(day, dollars) p FROM public.cdnow_sample WHERE day > '1997-09-30' GROUP BY 1) u
                 GROUP BY 1) r USING (customer_id)
           WHERE c.p::text = r.p::text), 2357, 'rollup(calibration, holdout) = full profile');
SELECT is((SELECT sum(transactions(p))::int FROM cd_profiles), 6919, 'all 6919 transactions are counted');

\else
SELECT skip('CDNOW reference data not found (../shared/data absent): A1-A3 not checked', 16);
\endif

SELECT * FROM finish();
ROLLBACK;

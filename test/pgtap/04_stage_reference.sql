-- lifecycle_stage against an independent plain-SQL implementation of the same rules,
-- on generated purchase histories, at several as_of dates; and the columns form
-- against the profile form.
BEGIN;
SELECT plan(10);
SET LOCAL TimeZone = 'UTC';

-- 5,000 customers with 1..12 purchases spread irregularly over ~3 years
CREATE TEMP TABLE st_orders AS
SELECT c AS customer_id,
       timestamptz '2022-01-01' + (((c * 37) % 500) + ((i * i * 13 + c * 7) % (40 + (c % 9) * 60))) * interval '1 day'
           + (i % 3) * interval '5 hours' AS ts
FROM generate_series(1, 5000) c, generate_series(1, 12) i
WHERE i <= 1 + (c % 12);
CREATE TEMP TABLE st_profiles AS
SELECT customer_id, customer_profile(ts) AS p FROM st_orders GROUP BY 1;

-- the rules written out in SQL (default windows)
CREATE FUNCTION pg_temp.sql_stage(as_of date) RETURNS TABLE (customer_id int, stage text)
LANGUAGE sql AS $$
    WITH days AS (
        SELECT DISTINCT customer_id, (ts AT TIME ZONE 'UTC')::date AS d
        FROM st_orders WHERE (ts AT TIME ZONE 'UTC')::date <= as_of
    ), g AS (
        SELECT customer_id, d, lag(d) OVER w AS prev, row_number() OVER (PARTITION BY customer_id ORDER BY d DESC) AS rn
        FROM days WINDOW w AS (PARTITION BY customer_id ORDER BY d)
    ), c AS (
        SELECT customer_id, min(d) AS first, max(d) AS last,
               max(prev) FILTER (WHERE rn = 1) AS prev_last,
               count(*) FILTER (WHERE d >= as_of - 365) AS in_loyal
        FROM g GROUP BY customer_id
    )
    SELECT p.customer_id,
           CASE WHEN c.customer_id IS NULL THEN 'prospect'
                WHEN last < as_of - 180 THEN 'lapsed'
                WHEN last < as_of - 90 THEN 'at_risk'
                WHEN first >= as_of - 30 THEN 'new'
                WHEN prev_last < last - 180 THEN 'reactivated'
                WHEN in_loyal >= 4 THEN 'loyal'
                ELSE 'active' END
    FROM st_profiles p LEFT JOIN c USING (customer_id)
$$;

CREATE FUNCTION pg_temp.mismatches(as_of date) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM st_profiles p JOIN pg_temp.sql_stage(as_of) s USING (customer_id)
    WHERE lifecycle_stage(p.p, as_of)::text <> s.stage
$$;

SELECT is(pg_temp.mismatches('2022-03-01'), 0::bigint, 'profile stages equal the SQL rules on 2022-03-01');
SELECT is(pg_temp.mismatches('2022-09-15'), 0::bigint, 'profile stages equal the SQL rules on 2022-09-15');
SELECT is(pg_temp.mismatches('2023-06-30'), 0::bigint, 'profile stages equal the SQL rules on 2023-06-30');
SELECT is(pg_temp.mismatches('2024-12-31'), 0::bigint, 'profile stages equal the SQL rules on 2024-12-31');
SELECT ok((SELECT count(DISTINCT s.stage) FROM pg_temp.sql_stage('2023-06-30') s) = 7,
          'the generated data reaches all seven stages on 2023-06-30');

-- the columns form agrees wherever its columns can tell
CREATE TEMP TABLE st_both AS
SELECT customer_id, as_of, purchase_days(p, as_of) AS k,
       lifecycle_stage(p, as_of)::text AS from_profile,
       lifecycle_stage(first_purchase(p), last_purchase(p, as_of), purchase_days(p, as_of), as_of)::text AS from_columns
FROM st_profiles, (VALUES (date '2022-09-15'), ('2023-06-30'), ('2024-12-31')) v(as_of);
SELECT is((SELECT count(*) FROM st_both WHERE k <= 2 AND from_profile <> from_columns), 0::bigint,
          'with up to two purchase days the two forms agree');
SELECT is((SELECT count(*) FROM st_both WHERE from_profile <> from_columns
           AND NOT ((from_profile = 'reactivated' AND from_columns IN ('active', 'loyal'))
                    OR (from_profile = 'active' AND from_columns = 'loyal'))), 0::bigint,
          'otherwise they differ only in the documented ways');
SELECT ok((SELECT count(*) FILTER (WHERE from_profile = from_columns)::float8 / count(*) FROM st_both) > 0.8,
          'and agree for most customers');

-- cadence mode: both forms agree for perfectly regular customers (loyal rule left
-- out: the columns form counts every purchase inside loyal_window)
SELECT is((SELECT count(*) FROM (
              SELECT lifecycle_stage(p, date '2024-07-01', cadence_factor => f, loyal_purchases => 100) AS a,
                     lifecycle_stage(first_purchase(p), last_purchase(p), purchase_days(p), date '2024-07-01',
                                     cadence_factor => f, loyal_purchases => 100) AS b
              FROM (SELECT gap, back, n, customer_profile(date '2024-07-01' - back - gap * k) AS p
                    FROM generate_series(1, 90, 7) gap, generate_series(0, 400, 13) back,
                         generate_series(3, 6) n, generate_series(0, 5) k
                    WHERE k < n GROUP BY gap, back, n) s,
                   (VALUES (1.5::float8), (3)) v(f)) x
           WHERE a <> b), 0::bigint, 'cadence mode: forms agree on regular rhythms');
-- and a stored profile replays the same stages as the SQL rules at every month end of 2023
SELECT is((SELECT sum(pg_temp.mismatches(d::date)) FROM generate_series(date '2023-01-31', '2023-12-31', '1 month') d),
          0::numeric, 'month-end replays of 2023 equal the SQL rules');

SELECT * FROM finish();
ROLLBACK;

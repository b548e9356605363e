-- lifecycle_stage: every rule boundary, precedence, and the two forms side by side
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- a profile from purchase days given as offsets (days before 2024-07-01)
CREATE FUNCTION pg_temp.prof(VARIADIC back int[]) RETURNS customer_profile
LANGUAGE sql IMMUTABLE AS $$
    SELECT customer_profile(date '2024-07-01' - b) FROM unnest(back) b
$$;

CREATE TABLE cases (name text, p customer_profile);
INSERT INTO cases VALUES
    ('lapse: last 181 days ago',          pg_temp.prof(400, 181)),
    ('lapse: last 180 days ago',          pg_temp.prof(400, 180)),
    ('lapse: last 179 days ago',          pg_temp.prof(400, 179)),
    ('active: last 91 days ago',          pg_temp.prof(400, 91)),
    ('active: last 90 days ago',          pg_temp.prof(200, 90)),
    ('active: last 89 days ago',          pg_temp.prof(200, 89)),
    ('new: first 31 days ago',            pg_temp.prof(31)),
    ('new: first 30 days ago',            pg_temp.prof(30)),
    ('new: first 29 days ago',            pg_temp.prof(29)),
    ('new: first purchase today',         pg_temp.prof(0)),
    ('reactivated: gap 181 days',         pg_temp.prof(191, 10)),
    ('reactivated: gap 180 days',         pg_temp.prof(190, 10)),
    ('reactivated: gap 179 days',         pg_temp.prof(189, 10)),
    ('reactivated: old gap only',         pg_temp.prof(500, 100, 10)),
    ('loyal: 4th purchase 365 days ago',  pg_temp.prof(365, 200, 100, 10)),
    ('loyal: 4th purchase 366 days ago',  pg_temp.prof(366, 200, 100, 10)),
    ('loyal: 5 purchases, 4 in window',   pg_temp.prof(900, 364, 200, 100, 10)),
    ('precedence: new over loyal',        pg_temp.prof(20, 15, 10, 5)),
    ('precedence: new over reactivated',  pg_temp.prof(25, 5)),
    ('precedence: reactivated over loyal', pg_temp.prof(364, 363, 362, 5)),
    ('precedence: at_risk over new',      pg_temp.prof(95)),
    ('future purchases are ignored',      pg_temp.prof(40, -5, -30)),
    ('as_of before first purchase',       pg_temp.prof(-1, -10));

-- the columns form differs only where its columns cannot tell: it counts every
-- purchase as inside loyal_window, and sees a reactivation only with two purchase days
SELECT name,
       lifecycle_stage(p, date '2024-07-01') AS stage,
       lifecycle_stage(p, timestamptz '2024-07-01 23:59:59+00') AS stage_tstz,
       lifecycle_stage(first_purchase(p), last_purchase(p, date '2024-07-01'),
                       purchase_days(p, date '2024-07-01'), date '2024-07-01') AS columns_form
FROM cases ORDER BY name;

-- a customer without a profile (LEFT JOIN) is a prospect; NULL as_of gives NULL
SELECT lifecycle_stage(NULL::customer_profile, date '2024-07-01') AS no_profile,
       lifecycle_stage(pg_temp.prof(10), NULL::date) AS null_as_of,
       lifecycle_stage(NULL::date, NULL, NULL, date '2024-07-01') AS no_first_purchase,
       lifecycle_stage(date '2024-06-01', date '2024-06-20', 2, NULL::date) AS columns_null_as_of;

-- replaying past dates from the same profile
SELECT as_of, lifecycle_stage(pg_temp.prof(400, 300, 250, 200, 10), as_of)
FROM (VALUES (date '2023-05-01'), ('2023-05-28'), ('2023-06-26'), ('2023-09-01'),
             ('2023-12-01'), ('2024-01-01'), ('2024-06-01'), ('2024-06-21'), ('2024-07-01')) v(as_of)
ORDER BY as_of;

-- named window parameters
SELECT lifecycle_stage(pg_temp.prof(50), date '2024-07-01', active_window => '45 days') AS short_active,
       lifecycle_stage(pg_temp.prof(50), date '2024-07-01', new_window => '60 days') AS long_new,
       lifecycle_stage(pg_temp.prof(100, 50, 20), date '2024-07-01', loyal_purchases => 3) AS loyal_at_3,
       lifecycle_stage(pg_temp.prof(100, 50, 20), date '2024-07-01', loyal_purchases => 3, loyal_window => '90 days') AS loyal_window_90,
       lifecycle_stage(pg_temp.prof(300, 10), date '2024-07-01', lapse_window => '365 days') AS long_lapse;

-- calendar months: '3 months' before 2024-05-31 is 2024-02-29
SELECT d AS last_purchase,
       lifecycle_stage(customer_profile(d), date '2024-05-31', active_window => '3 months',
                       lapse_window => '6 months', new_window => '0 days') AS stage
FROM (VALUES (date '2024-02-28'), ('2024-02-29'), ('2023-11-30'), ('2023-11-29')) v(d)
GROUP BY d ORDER BY d;
-- sub-day windows round to whole days: within '36 hours' means at most 1 day back
SELECT b AS days_back,
       lifecycle_stage(pg_temp.prof(b + 1, b), date '2024-07-01', active_window => '36 hours',
                       lapse_window => '72 hours', new_window => '0 days') AS stage
FROM generate_series(0, 4) b ORDER BY b;

-- cadence mode: a weekly buyer is at risk after three silent weeks ...
SELECT back AS last_purchase_days_ago,
       lifecycle_stage(p, date '2024-07-01') AS fixed_windows,
       lifecycle_stage(p, date '2024-07-01', cadence_factor => 3) AS cadence_3
FROM (SELECT back, pg_temp.prof(back, back + 7, back + 14, back + 21, back + 28) p
      FROM unnest(ARRAY[20, 21, 22, 42, 43]) back) s
ORDER BY back;
-- ... and a contact-lens buyer every 60 days is not at risk after 100 days
SELECT back AS last_purchase_days_ago,
       lifecycle_stage(p, date '2024-07-01') AS fixed_windows,
       lifecycle_stage(p, date '2024-07-01', cadence_factor => 3) AS cadence_3,
       lifecycle_stage(first_purchase(p), last_purchase(p), purchase_days(p), date '2024-07-01',
                       cadence_factor => 3) AS columns_cadence_3,
       next_purchase_due(p)
FROM (SELECT back, pg_temp.prof(back, back + 60, back + 120, back + 180) p
      FROM unnest(ARRAY[45, 100, 180, 181, 360, 361]) back) s
ORDER BY back;
-- fewer than three purchase days: the fixed windows apply
SELECT lifecycle_stage(pg_temp.prof(100, 93), date '2024-07-01', cadence_factor => 3) AS two_days;
-- reactivated in cadence mode: the gap before the latest purchase exceeds the personal lapse threshold
SELECT lifecycle_stage(pg_temp.prof(5, 100, 107, 114, 121), date '2024-07-01') AS fixed_windows,
       lifecycle_stage(pg_temp.prof(5, 100, 107, 114, 121), date '2024-07-01', cadence_factor => 3) AS weekly_back_after_95_days;

-- invalid parameters: an error with a hint
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', active_window => '-1 day');
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', active_window => '200 days');
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', loyal_purchases => 0);
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', new_window => NULL);
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', cadence_factor => 0);
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', cadence_factor => 'NaN');
SELECT lifecycle_stage(pg_temp.prof(10), date '2024-07-01', cadence_factor => 'Infinity');
SELECT lifecycle_stage(pg_temp.prof(10), 'infinity'::date);
SELECT lifecycle_stage(date '2024-06-01', date '2024-05-01', 2, date '2024-07-01');
SELECT lifecycle_stage(date '2024-06-01', date '2024-06-20', 0, date '2024-07-01');
SELECT lifecycle_stage(date '2024-06-01', date '2024-06-20', NULL, date '2024-07-01');
-- the columns form cannot look back before last_purchase: NULL (documented)
SELECT lifecycle_stage(date '2024-01-01', date '2024-06-20', 5, date '2024-03-01') AS unknowable;

DROP TABLE cases;

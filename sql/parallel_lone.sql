-- Final functions receive states exactly as stored: under parallel query the
-- Finalize step hands a group's only partial state, untouched, to the final
-- function, and a small varlena that went through a tuple has a 1-byte header.
-- Small states stored in a table reproduce that deterministically: every final
-- function must read them (detoast) and answer as it does for a fresh state.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE TABLE lone_src AS SELECT customer_profile(date '2024-01-05') AS p;
CREATE TABLE lone_states AS
SELECT (SELECT p FROM lone_src) AS profile,
       (SELECT cohort_retention(p, 'month', date '2024-03-31') FROM lone_src) AS curve,
       (SELECT retention_state(true, false)) AS rstate,
       (SELECT activity_lifecycle(p, 'month', date '2024-01-01', date '2024-02-29') FROM lone_src) AS activity,
       (SELECT survival_curve(3.0::float8, true)) AS survival,
       (SELECT bgnbd_histogram(0, 0, 3)) AS cells;
-- most of these are small enough to be stored with a 1-byte header
SELECT count(*) FILTER (WHERE sz < 127) >= 4 AS several_short_headers
FROM lone_states, LATERAL (VALUES (pg_column_size(profile)), (pg_column_size(curve)), (pg_column_size(rstate)),
                                  (pg_column_size(activity)), (pg_column_size(survival)), (pg_column_size(cells))) v(sz);
SELECT customer_profile_final(profile)::text = profile::text AS profile,
       retention_curve_final(curve)::text = curve::text AS curve,
       retention_state_final(rstate)::text = (SELECT retention(true, false))::text AS rstate,
       activity_lifecycle_final(activity)::text = activity::text AS activity,
       survival_curve_final(survival)::text = survival::text AS survival,
       (bgnbd_fit_final(cells)).customers = 1 AS cells
FROM lone_states;
DROP TABLE lone_states, lone_src;

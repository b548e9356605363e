-- lifecycle_snapshot: idempotent per date, stages and matrix equal to the direct
-- queries, stage transitions between two snapshots, errors.
BEGIN;
SELECT plan(18);
SET LOCAL TimeZone = 'UTC';
SET LOCAL client_min_messages = warning;

CREATE TABLE public.lc_rep_orders AS
SELECT customer_id, ordered_at, amount FROM demo_orders(3000, 11);

CALL lifecycle_snapshot('2025-06-30', 'public.lc_rep_orders', 'customer_id', 'ordered_at', 'amount');
CREATE TEMP TABLE first_run AS
SELECT * FROM lifecycle_stage_history WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-06-30';
CALL lifecycle_snapshot('2025-06-30', 'public.lc_rep_orders', 'customer_id', 'ordered_at', 'amount');
CALL lifecycle_snapshot('2025-12-31', 'public.lc_rep_orders', 'customer_id', 'ordered_at', 'amount');

SELECT is((SELECT count(*) FROM lifecycle_stage_history WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-06-30'),
          (SELECT count(*) FROM first_run), 'a second run for the same date leaves one snapshot');
SELECT is((SELECT count(*) FROM (SELECT customer_id, stage FROM lifecycle_stage_history
                                 WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-06-30'
                                 EXCEPT SELECT customer_id, stage FROM first_run) x), 0::bigint,
          'and the same rows');
SELECT results_eq(
    $$SELECT customer_id, stage FROM lifecycle_stage_history
      WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-12-31' ORDER BY 1$$,
    $$SELECT customer_id::text, lifecycle_stage(customer_profile(ordered_at, amount), date '2025-12-31')
      FROM public.lc_rep_orders GROUP BY customer_id
      HAVING first_purchase(customer_profile(ordered_at, amount)) <= '2025-12-31' ORDER BY 1$$,
    'stage snapshot equals lifecycle_stage over the source');
SELECT results_eq(
    $$SELECT cohort_start, period, eligible, active, active_or_after FROM lifecycle_retention_history
      WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-06-30' ORDER BY 1, 2$$,
    $$SELECT cohort_start, period, eligible, active, active_or_after
      FROM cohort_retention_matrix('public.lc_rep_orders', 'customer_id', 'ordered_at', 'amount', 'month', '2025-06-30')
      ORDER BY 1, 2$$,
    'retention snapshot equals cohort_retention_matrix');
SELECT is((SELECT sum(customers)::bigint FROM stage_transitions('2025-06-30', '2025-12-31')),
          (SELECT count(*) FROM lifecycle_stage_history WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-12-31'),
          'transitions account for every customer of the later snapshot');
SELECT is((SELECT customers FROM stage_transitions('2025-06-30', '2025-12-31', 'public.lc_rep_orders')
           WHERE from_stage = 'prospect' AND to_stage = 'new'),
          (SELECT count(*) FROM lifecycle_stage_history WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-12-31'
             AND stage = 'new'),
          'every customer new on Dec 31 was a prospect on Jun 30');
SELECT is((SELECT sum(customers)::bigint FROM stage_transitions('2025-06-30', '2025-12-31') WHERE from_stage = 'lapsed'
             AND to_stage NOT IN ('lapsed', 'reactivated', 'active', 'loyal', 'at_risk')), NULL::bigint,
          'lapsed customers stay lapsed or come back (never new)');
SELECT results_eq(
    $$SELECT stage, customers FROM lifecycle_stage_counts WHERE source = 'lc_rep_orders' AND snapshot_date = '2025-12-31'
      ORDER BY 1$$,
    $$SELECT to_stage, sum(customers)::bigint FROM stage_transitions('2025-06-30', '2025-12-31') GROUP BY 1 ORDER BY 1$$,
    'stage counts view agrees with the transitions');

SELECT throws_ok($$CALL lifecycle_snapshot('2025-06-30', 'public.lc_rep_orders', 'customer_id', 'ordered_at', 'amount', 'fortnight')$$,
                 '22023', NULL, 'unknown period is rejected before scanning');
SELECT throws_ok($$CALL lifecycle_snapshot(NULL, 'public.lc_rep_orders')$$, '22004', NULL, 'NULL as_of is rejected');
SELECT throws_ok($$CALL lifecycle_snapshot('infinity', 'public.lc_rep_orders')$$, '22008', NULL, 'infinite as_of is rejected');
SELECT throws_ok($$SELECT * FROM stage_transitions('2025-06-30', '2024-01-01')$$, '22023', NULL,
                 'a date without a snapshot is an error');

SELECT throws_ok($$SELECT * FROM cohort_retention_matrix('public.lc_rep_orders', 'no such column', 'ordered_at')$$,
                 '42703', 'column "no such column" does not exist in lc_rep_orders',
                 'a missing customer column is named before any scan');
SELECT throws_ok($$SELECT * FROM cohort_retention_matrix('public.lc_rep_orders', 'customer_id', 'ordered_at', 'Amount')$$,
                 '42703', NULL, 'column names are case-sensitive (no quoting needed, none applied)');
SELECT throws_ok($$CALL lifecycle_snapshot('2025-06-30', 'public.lc_rep_orders', 'customer_id', 'no_such_ts')$$,
                 '42703', 'column "no_such_ts" does not exist in lc_rep_orders',
                 'lifecycle_snapshot names a missing column');
SELECT throws_ok($$SELECT * FROM activity_lifecycle_report('public.lc_rep_orders', 'who', 'ordered_at', 'month', '2025-01-01', '2025-06-30')$$,
                 '42703', 'column "who" does not exist in lc_rep_orders',
                 'activity_lifecycle_report names a missing column');
SELECT lives_ok($$SELECT lifecycle_check_columns('public.lc_rep_orders', 'customer_id', NULL, 'amount')$$,
                'lifecycle_check_columns: existing columns pass, a NULL (left-out optional column) is skipped');
SELECT throws_ok($$SELECT lifecycle_check_columns('public.lc_rep_orders', 'customer_id', 'ctid')$$,
                 '42703', NULL, 'system columns are not columns the reports can use');

SELECT * FROM finish();
ROLLBACK;

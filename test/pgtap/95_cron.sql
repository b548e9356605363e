-- pg_cron end to end: the nightly report scheduled with cron.schedule runs in the
-- background, succeeds, and leaves a snapshot. Needs pg_cron preloaded with
-- cron.database_name = this database (make test does that); skips otherwise.
-- Not in a transaction: the job must be committed for the scheduler to see it.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SELECT (current_setting('shared_preload_libraries') LIKE '%pg_cron%'
        AND current_setting('cron.database_name', true) = current_database()) AS have_cron \gset
\if :have_cron
CREATE EXTENSION IF NOT EXISTS pg_cron;
SELECT plan(4);
DROP TABLE IF EXISTS public.lc_cron_orders;
CREATE TABLE public.lc_cron_orders AS SELECT customer_id, ordered_at, amount FROM demo_orders(2000, 5);
DELETE FROM lifecycle_stage_history WHERE source = 'lc_cron_orders';
-- the line users copy (README), here every minute instead of nightly
SELECT cron.schedule('lifecycle-test-report', '* * * * *',
    $$CALL lifecycle_snapshot(date '2025-12-31', 'lc_cron_orders', 'customer_id', 'ordered_at', 'amount')$$) AS jobid \gset
SELECT ok(:jobid > 0, 'report job scheduled with cron.schedule');
-- wait for the scheduler (fires at the next minute boundary), at most 75 s
CREATE FUNCTION pg_temp.wait_for_run(job bigint, seconds int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text;
BEGIN
    FOR i IN 1 .. seconds LOOP
        SELECT status INTO st FROM cron.job_run_details
        WHERE jobid = job AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1;
        IF st IS NOT NULL THEN RETURN st; END IF;
        PERFORM pg_sleep(1);
    END LOOP;
    RETURN 'timed out after ' || seconds || ' s';
END $$;
SELECT is(pg_temp.wait_for_run(:jobid, 75), 'succeeded', 'the scheduled report ran and succeeded');
SELECT ok((SELECT count(*) FROM lifecycle_stage_history
           WHERE source = 'lc_cron_orders' AND snapshot_date = '2025-12-31') > 1000,
          'the scheduled run left a stage snapshot');
SELECT ok((SELECT count(*) FROM lifecycle_retention_history
           WHERE source = 'lc_cron_orders' AND snapshot_date = '2025-12-31') > 100,
          'and a retention matrix snapshot');
SELECT cron.unschedule(:jobid);
DELETE FROM lifecycle_stage_history WHERE source = 'lc_cron_orders';
DELETE FROM lifecycle_retention_history WHERE source = 'lc_cron_orders';
DROP TABLE public.lc_cron_orders;
SELECT * FROM finish();
\else
SELECT plan(1);
SELECT skip('pg_cron is not preloaded with cron.database_name = ' || current_database()
            || ' (make test configures it); scheduled-report test skipped', 1);
SELECT * FROM finish();
\endif

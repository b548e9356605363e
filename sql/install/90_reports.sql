
------------------------------------------------------------------------------
-- scheduled reports: snapshots of stages and cohort retention (pg_cron)
------------------------------------------------------------------------------

-- History tables belong to the extension; pg_dump keeps their rows.
CREATE TABLE lifecycle_stage_history (
    snapshot_date date NOT NULL,
    source text NOT NULL,
    customer_id text NOT NULL,
    stage customer_stage NOT NULL,
    PRIMARY KEY (source, snapshot_date, customer_id)
);
COMMENT ON TABLE lifecycle_stage_history IS
    'each customer''s stage on a snapshot date, written by lifecycle_snapshot()';

CREATE TABLE lifecycle_retention_history (
    snapshot_date date NOT NULL,
    source text NOT NULL,
    period_unit text NOT NULL,
    cohort_start date NOT NULL,
    cohort_size bigint NOT NULL,
    period integer NOT NULL,
    eligible bigint NOT NULL,
    active bigint NOT NULL,
    rate float8,
    active_or_after bigint NOT NULL,
    rate_or_after float8,
    revenue float8 NOT NULL,
    revenue_rate float8,
    PRIMARY KEY (source, snapshot_date, cohort_start, period)
);
COMMENT ON TABLE lifecycle_retention_history IS
    'the cohort retention matrix as of a snapshot date, written by lifecycle_snapshot()';

SELECT pg_catalog.pg_extension_config_dump('lifecycle_stage_history', '');
SELECT pg_catalog.pg_extension_config_dump('lifecycle_retention_history', '');

CREATE PROCEDURE lifecycle_snapshot(as_of date, source regclass,
        customer_column text DEFAULT 'customer_id', ts_column text DEFAULT 'ts',
        amount_column text DEFAULT NULL, period_unit text DEFAULT 'month')
    LANGUAGE plpgsql
    SET search_path = @extschema@, pg_catalog
AS $fn$
DECLARE
    src text := source::text;
    n_stage bigint;
    n_cells bigint;
BEGIN
    IF as_of IS NULL OR source IS NULL OR customer_column IS NULL OR ts_column IS NULL THEN
        RAISE EXCEPTION 'lifecycle_snapshot: as_of, source, customer_column and ts_column are required'
            USING ERRCODE = '22004',
                  HINT = 'Example: CALL lifecycle_snapshot(current_date - 1, ''orders'', ''customer_id'', ''ordered_at'', ''amount'');';
    END IF;
    IF NOT isfinite(as_of) THEN
        RAISE EXCEPTION 'lifecycle_snapshot: as_of must be a finite date'
            USING ERRCODE = '22008', HINT = 'Pass a real day such as current_date - 1.';
    END IF;
    PERFORM lifecycle_check_columns(source, customer_column, ts_column, amount_column);
    -- validate the period before scanning anything
    PERFORM retention_period(cohort_retention(NULL::customer_profile, period_unit, as_of));

    -- one snapshot per (source, date): a second run replaces the first
    PERFORM pg_advisory_xact_lock(hashtext('lifecycle_snapshot'), hashtext(src || '@' || as_of));
    DELETE FROM lifecycle_stage_history h WHERE h.source = src AND h.snapshot_date = as_of;
    DELETE FROM lifecycle_retention_history h WHERE h.source = src AND h.snapshot_date = as_of;

    -- profiles once, for both reports
    IF to_regclass('pg_temp.lifecycle_snapshot_profiles') IS NOT NULL THEN
        DROP TABLE pg_temp.lifecycle_snapshot_profiles;
    END IF;
    EXECUTE format('CREATE TEMP TABLE lifecycle_snapshot_profiles ON COMMIT DROP AS '
                   'SELECT (%I)::text AS customer_id, customer_profile(%I%s) AS p FROM %s '
                   'WHERE %I IS NOT NULL GROUP BY %I',
                   customer_column, ts_column,
                   CASE WHEN amount_column IS NULL THEN '' ELSE format(', (%I)::float8', amount_column) END,
                   source, customer_column, customer_column);

    INSERT INTO lifecycle_stage_history (snapshot_date, source, customer_id, stage)
    SELECT as_of, src, s.customer_id, s.stage
    FROM (SELECT t.customer_id, lifecycle_stage(t.p, as_of) AS stage
          FROM pg_temp.lifecycle_snapshot_profiles t) s
    WHERE s.stage <> 'prospect';
    GET DIAGNOSTICS n_stage = ROW_COUNT;

    INSERT INTO lifecycle_retention_history
    SELECT as_of, src, retention_period(x.curve), x.c, cohort_size(x.curve), t.period, t.eligible,
           t.active, t.rate, t.active_or_after, t.rate_or_after, t.revenue, t.revenue_rate
    FROM (SELECT cohort_start(p, CASE WHEN period_unit IN ('day', 'week', 'month', 'quarter', 'year')
                                      THEN period_unit ELSE 'month' END) AS c,
                 cohort_retention(p, period_unit, as_of) AS curve
          FROM pg_temp.lifecycle_snapshot_profiles
          WHERE first_purchase(p) <= as_of GROUP BY 1) x,
         retention_table(x.curve) t;
    GET DIAGNOSTICS n_cells = ROW_COUNT;
    DROP TABLE pg_temp.lifecycle_snapshot_profiles;

    RAISE NOTICE 'lifecycle_snapshot %: % customers, % retention cells from %', as_of, n_stage, n_cells, src;
END
$fn$;
COMMENT ON PROCEDURE lifecycle_snapshot(date, regclass, text, text, text, text) IS
    'snapshot every customer''s stage and the cohort retention matrix as of a date (idempotent per date)';

CREATE VIEW lifecycle_stage_counts AS
SELECT source, snapshot_date, stage, count(*) AS customers
FROM lifecycle_stage_history GROUP BY 1, 2, 3;
COMMENT ON VIEW lifecycle_stage_counts IS 'customers per stage in each snapshot';

CREATE FUNCTION stage_transitions(from_date date, to_date date, source regclass DEFAULT NULL)
    RETURNS TABLE (from_stage customer_stage, to_stage customer_stage, customers bigint)
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = @extschema@, pg_catalog
AS $fn$
DECLARE
    src text := source::text;
    n int;
BEGIN
    IF from_date IS NULL OR to_date IS NULL THEN
        RETURN;
    END IF;
    IF src IS NULL THEN
        SELECT count(DISTINCT h.source), min(h.source) INTO n, src
        FROM lifecycle_stage_history h WHERE h.snapshot_date IN (from_date, to_date);
        IF n > 1 THEN
            RAISE EXCEPTION 'stage_transitions: snapshots of % sources exist for these dates', n
                USING ERRCODE = '22023', HINT = 'Pass the source table as the third argument.';
        END IF;
    END IF;
    FOR n IN SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM lifecycle_stage_history h
                                        WHERE h.source = src AND h.snapshot_date = from_date) LOOP
        RAISE EXCEPTION 'stage_transitions: no snapshot of % on %', coalesce(src, 'any source'), from_date
            USING ERRCODE = '22023', HINT = 'Take one with CALL lifecycle_snapshot(...), or pick a date that has one.';
    END LOOP;
    FOR n IN SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM lifecycle_stage_history h
                                        WHERE h.source = src AND h.snapshot_date = to_date) LOOP
        RAISE EXCEPTION 'stage_transitions: no snapshot of % on %', src, to_date
            USING ERRCODE = '22023', HINT = 'Take one with CALL lifecycle_snapshot(...), or pick a date that has one.';
    END LOOP;
    RETURN QUERY
    SELECT coalesce(a.stage, 'prospect'::customer_stage), b.stage, count(*)
    FROM (SELECT h.customer_id, h.stage FROM lifecycle_stage_history h
          WHERE h.source = src AND h.snapshot_date = from_date) a
    FULL JOIN (SELECT h.customer_id, h.stage FROM lifecycle_stage_history h
               WHERE h.source = src AND h.snapshot_date = to_date) b USING (customer_id)
    GROUP BY 1, 2 ORDER BY 1, 2;
END
$fn$;
COMMENT ON FUNCTION stage_transitions(date, date, regclass) IS
    'how many customers moved from each stage to each other stage between two snapshots';

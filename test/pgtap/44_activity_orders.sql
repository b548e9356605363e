-- activity_lifecycle over orders: PostHog's lifecycle (new / returning /
-- resurrecting / dormant) in one pass over an orders table must give exactly
-- what the two-step path gives (customer_profile per customer, then
-- activity_lifecycle over the profiles): every calendar period, ranges
-- starting and ending mid-period, before and after all data,
-- timestamptz/timestamp/date inputs.  Then the same answers under real
-- parallel workers and partitionwise plans (with states past the 65,536 cells
-- where they become expanded objects), text and binary round trips of real
-- states, strict input checking with SQLSTATEs, empty and skipped input, and
-- the aggregate used as a window function and with GROUP BY.
BEGIN;
SELECT plan(114);
SET LOCAL TimeZone = 'UTC';

-- a generated store (2023-01-01 to 2025-12-31)
CREATE TEMP TABLE o AS
SELECT customer_id, order_id, ordered_at AS ts FROM demo_orders(3000, 11);

-- the partial state as a value: the aggregate without its final function
CREATE AGGREGATE pg_temp.acells(bigint, timestamptz, text, date, date) (
    SFUNC = activity_lifecycle_orders_trans, STYPE = activity_lifecycle_state,
    COMBINEFUNC = activity_lifecycle_orders_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.acells(bigint, date, text, date, date) (
    SFUNC = activity_lifecycle_orders_trans, STYPE = activity_lifecycle_state,
    COMBINEFUNC = activity_lifecycle_orders_combine, PARALLEL = SAFE);
-- the combine function as a rollup of states
CREATE AGGREGATE pg_temp.merge(activity_lifecycle_state) (
    SFUNC = activity_lifecycle_orders_combine, STYPE = activity_lifecycle_state);

-- the two paths as text (the activity_lifecycle value's exact text form).  ts
-- is an expression over the source (to feed timestamptz, timestamp or date),
-- f and t SQL literals.
CREATE FUNCTION pg_temp.two(src text, ts text, per text, f text, t text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE format('SELECT activity_lifecycle(p, %L, %s, %s)::text
                    FROM (SELECT customer_profile(%s) p FROM %s WHERE customer_id IS NOT NULL GROUP BY customer_id) s',
                   per, f, t, ts, src) INTO r;
    RETURN r;
END $$;
CREATE FUNCTION pg_temp.one(src text, ts text, per text, f text, t text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE format('SELECT activity_lifecycle(customer_id, %s, %L, %s, %s)::text FROM %s', ts, per, f, t, src) INTO r;
    RETURN r;
END $$;
-- the one-pass result as rows
CREATE FUNCTION pg_temp.tab(src text, ts text, per text, f text, t text)
RETURNS TABLE (period_start date, new bigint, "returning" bigint, resurrecting bigint, dormant bigint, active bigint)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT * FROM activity_lifecycle_table((SELECT activity_lifecycle(customer_id, %s, %L, %s, %s) FROM %s))',
                                ts, per, f, t, src);
END $$;
CREATE FUNCTION pg_temp.plan_of(q text, opts text DEFAULT 'COSTS OFF') RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; txt text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (' || opts || ') ' || q LOOP txt := txt || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN txt;
END $$;
-- the cells of a state's text form as rows (customer, day), in written order
CREATE FUNCTION pg_temp.cells_of(s activity_lifecycle_state)
RETURNS TABLE (customer bigint, day date) LANGUAGE sql AS $$
    SELECT (c->>0)::bigint, (c->>1)::date
    FROM json_array_elements(s::text::json->'cells') WITH ORDINALITY e(c, i) ORDER BY i $$;
-- errors become failing assertions, not an aborted file
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE q INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END $$;

SELECT ok((SELECT count(DISTINCT customer_id) > 2000 AND min(ts) < '2023-02-01' AND max(ts) > '2025-12-01' FROM o),
          'the store has thousands of customers buying from early 2023 to late 2025');

------------------------------------------------------------------------------
-- 1. the same lifecycle as the two-step path
------------------------------------------------------------------------------
SELECT is(pg_temp.one('o', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-12-31'$a$),
          pg_temp.two('o', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-12-31'$a$),
          'month, whole years (purchases before "from" decide new/resurrecting): equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'month', $a$date '2024-02-15'$a$, $a$date '2025-05-20'$a$),
          pg_temp.two('o', 'ts', 'month', $a$date '2024-02-15'$a$, $a$date '2025-05-20'$a$),
          'month, range starting and ending mid-month: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'week', $a$date '2024-02-01'$a$, $a$date '2024-12-31'$a$),
          pg_temp.two('o', 'ts', 'week', $a$date '2024-02-01'$a$, $a$date '2024-12-31'$a$),
          'week (ISO), range starting on a Thursday and ending on a Tuesday: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'day', $a$date '2024-03-01'$a$, $a$date '2024-08-31'$a$),
          pg_temp.two('o', 'ts', 'day', $a$date '2024-03-01'$a$, $a$date '2024-08-31'$a$),
          'day: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'quarter', $a$date '2023-08-15'$a$, $a$date '2025-11-20'$a$),
          pg_temp.two('o', 'ts', 'quarter', $a$date '2023-08-15'$a$, $a$date '2025-11-20'$a$),
          'quarter, mid-quarter range: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'year', $a$date '2023-06-30'$a$, $a$date '2025-07-01'$a$),
          pg_temp.two('o', 'ts', 'year', $a$date '2023-06-30'$a$, $a$date '2025-07-01'$a$),
          'year, mid-year range: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'quarter', $a$date '2021-10-01'$a$, $a$date '2027-03-31'$a$),
          pg_temp.two('o', 'ts', 'quarter', $a$date '2021-10-01'$a$, $a$date '2027-03-31'$a$),
          'quarter, range wider than the data on both sides: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'month', $a$date '2020-01-01'$a$, $a$date '2022-06-30'$a$),
          pg_temp.two('o', 'ts', 'month', $a$date '2020-01-01'$a$, $a$date '2022-06-30'$a$),
          'month, range before all data: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'week', $a$date '2026-03-01'$a$, $a$date '2027-01-09'$a$),
          pg_temp.two('o', 'ts', 'week', $a$date '2026-03-01'$a$, $a$date '2027-01-09'$a$),
          'week, range after all data (only dormant at its start): equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'day', $a$date '2025-03-03'$a$, $a$date '2025-03-03'$a$),
          pg_temp.two('o', 'ts', 'day', $a$date '2025-03-03'$a$, $a$date '2025-03-03'$a$),
          'day, a one-day range: equals the two-step path');
SELECT is(pg_temp.one('o', 'ts', 'month', $a$date '2025-06-10'$a$, $a$date '2025-06-12'$a$),
          pg_temp.two('o', 'ts', 'month', $a$date '2025-06-10'$a$, $a$date '2025-06-12'$a$),
          'month, a range inside one month (later purchases that month count): equals the two-step path');
-- timestamp (wall clock) and date inputs
SELECT is(pg_temp.one('o', $t$ts AT TIME ZONE 'UTC'$t$, 'month', $a$date '2024-02-15'$a$, $a$date '2025-05-20'$a$),
          pg_temp.two('o', $t$ts AT TIME ZONE 'UTC'$t$, 'month', $a$date '2024-02-15'$a$, $a$date '2025-05-20'$a$),
          'timestamp purchases, month: equals the two-step path');
SELECT is(pg_temp.one('o', $t$ts AT TIME ZONE 'UTC'$t$, 'week', $a$date '2023-12-28'$a$, $a$date '2025-01-02'$a$),
          pg_temp.two('o', $t$ts AT TIME ZONE 'UTC'$t$, 'week', $a$date '2023-12-28'$a$, $a$date '2025-01-02'$a$),
          'timestamp purchases, week across year ends: equals the two-step path');
SELECT is(pg_temp.one('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'day', $a$date '2025-01-15'$a$, $a$date '2025-04-15'$a$),
          pg_temp.two('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'day', $a$date '2025-01-15'$a$, $a$date '2025-04-15'$a$),
          'date purchases, day: equals the two-step path');
SELECT is(pg_temp.one('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'year', $a$date '2022-01-01'$a$, $a$date '2026-12-31'$a$),
          pg_temp.two('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'year', $a$date '2022-01-01'$a$, $a$date '2026-12-31'$a$),
          'date purchases, year, wider than the data: equals the two-step path');
SELECT is(pg_temp.one('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'quarter', $a$date '2024-05-05'$a$, $a$date '2025-02-02'$a$),
          pg_temp.two('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'quarter', $a$date '2024-05-05'$a$, $a$date '2025-02-02'$a$),
          'date purchases, quarter: equals the two-step path');
-- every period kind, type and range at once
SELECT is((SELECT array_agg(format('%s %s %s-%s', per, tsx, f, t) ORDER BY 1)
           FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) per,
                (VALUES ($$date '2023-01-01'$$, $$date '2025-12-31'$$), ($$date '2024-02-29'$$, $$date '2025-08-13'$$),
                        ($$date '2022-11-30'$$, $$date '2023-02-01'$$), ($$date '2025-12-31'$$, $$date '2026-01-01'$$)) r(f, t),
                unnest(ARRAY['ts', $x$ts AT TIME ZONE 'UTC'$x$, $x$(ts AT TIME ZONE 'UTC')::date$x$]) tsx
           WHERE pg_temp.one('o', tsx, per, f, t) IS DISTINCT FROM pg_temp.two('o', tsx, per, f, t)),
          NULL, 'all 5 periods x 3 input types x 4 ranges: no difference from the two-step path');
-- another store before and across 2000-01-01 (negative day numbers), in a
-- time zone away from UTC, with extreme and negative customer ids
SET LOCAL TimeZone = 'America/Los_Angeles';
CREATE TEMP TABLE o2000 AS
SELECT CASE WHEN customer_id = 1 THEN -9223372036854775808 WHEN customer_id = 2 THEN 9223372036854775807
            WHEN customer_id % 5 = 0 THEN -customer_id ELSE customer_id END AS customer_id, ordered_at AS ts
FROM demo_orders(1500, 3, '1997-06-01', '2001-12-31');
SELECT is((SELECT array_agg(format('%s %s', per, tsx) ORDER BY 1)
           FROM unnest(ARRAY['day', 'week', 'month', 'quarter', 'year']) per,
                unnest(ARRAY['ts', $x$ts AT TIME ZONE 'UTC'$x$, $x$(ts AT TIME ZONE 'Asia/Tokyo')::date$x$]) tsx
           WHERE pg_temp.one('o2000', tsx, per, $$date '1999-11-17'$$, $$date '2000-03-01'$$)
                 IS DISTINCT FROM pg_temp.two('o2000', tsx, per, $$date '1999-11-17'$$, $$date '2000-03-01'$$)),
          NULL, 'before and across 2000-01-01, time zone America/Los_Angeles, extreme customer ids: no difference');
SET LOCAL TimeZone = 'UTC';
-- the lifecycles compared are not trivial
SELECT ok((SELECT sum(new) > 1000 AND sum("returning") > 300 AND sum(resurrecting) > 300 AND sum(dormant) > 1000
           FROM pg_temp.tab('o', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-12-31'$a$)),
          'the monthly comparison exercises every status');
SELECT ok((SELECT sum(new) = 0 AND sum(active) = 0 AND sum(dormant) > 0
           FROM pg_temp.tab('o', 'ts', 'week', $a$date '2026-01-05'$a$, $a$date '2026-03-01'$a$))
          AND (SELECT count(*) = 3 AND sum(active) = 0 AND sum(dormant) = 0
               FROM pg_temp.tab('o', 'ts', 'year', $a$date '2019-01-01'$a$, $a$date '2021-06-30'$a$)),
          'ranges after the data have dormant customers only, ranges before it all zeros');
-- PostHog's identities on the one-pass result
SELECT is((SELECT count(*) FROM pg_temp.tab('o', 'ts', 'week', $a$date '2023-06-01'$a$, $a$date '2025-12-31'$a$)
           WHERE active <> new + "returning" + resurrecting),
          0::bigint, 'active = new + returning + resurrecting in every period of the one-pass result');
SELECT is((SELECT count(*) FROM (SELECT active, "returning", dormant, lag(active) OVER (ORDER BY period_start) AS prev
                                 FROM pg_temp.tab('o', 'ts', 'month', $a$date '2023-01-01'$a$, $a$date '2025-12-31'$a$)) x
           WHERE prev IS NOT NULL AND "returning" <> prev - dormant),
          0::bigint, 'returning(t) = active(t-1) - dormant(t) in every period of the one-pass result');
-- purchases after the period of "to" are ignored, purchases in it count
SELECT results_eq($$SELECT * FROM activity_lifecycle_table((SELECT activity_lifecycle(c, t, 'month', date '2025-01-01', date '2025-03-10')
                        FROM (VALUES (1::bigint, timestamptz '2025-01-05 10:00'), (1, '2025-03-25 12:00'), (2, '2025-03-31 23:59'),
                                     (2, '2025-04-01 00:00'), (3, '2025-04-02'), (4, '2024-12-31 23:00'), (4, '2025-06-01')) v(c, t)))$$,
                  $$VALUES (date '2025-01-01', 1::bigint, 0::bigint, 0::bigint, 1::bigint, 1::bigint),
                           ('2025-02-01', 0, 0, 0, 1, 0), ('2025-03-01', 1, 0, 1, 0, 2)$$,
                  'purchases later in the month of "to" count, later months do not (hand-checked)');

------------------------------------------------------------------------------
-- 2. the partial state: canonical cells, text and binary round trips
------------------------------------------------------------------------------
CREATE TEMP TABLE states (id int PRIMARY KEY, s activity_lifecycle_state);
INSERT INTO states
SELECT 1, pg_temp.acells(customer_id, ts, 'month', date '2024-01-01', date '2025-06-15') FROM o
UNION ALL SELECT 2, pg_temp.acells(customer_id, ts, 'week', date '2024-02-01', date '2024-12-31') FROM o
UNION ALL SELECT 3, pg_temp.acells(customer_id, ts, 'day', date '2024-03-01', date '2024-08-31') FROM o;

SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT s FROM states WHERE id = 1))$$,
                  $$SELECT DISTINCT customer_id, date_trunc('month', ts)::date FROM o WHERE ts < '2025-07-01' ORDER BY 1, 2$$,
                  'a month state holds one cell per customer and month (its first day) up to the month of "to", sorted');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT s FROM states WHERE id = 2))$$,
                  $$SELECT DISTINCT customer_id, date_trunc('week', ts)::date FROM o WHERE ts < '2025-01-06' ORDER BY 1, 2$$,
                  'a week state holds one cell per customer and ISO week (its Monday) up to the week of "to", sorted');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT s FROM states WHERE id = 3))$$,
                  $$SELECT DISTINCT customer_id, ts::date FROM o WHERE ts < '2024-09-01' ORDER BY 1, 2$$,
                  'a day state holds one cell per customer and purchase day up to "to", sorted');
SELECT is((SELECT s::text FROM states WHERE id = 1) ~ '^\{"v":1,"period":"month","from":"2024-01-01","to":"2025-06-15","cells":\[\[',
          true, 'the text form starts with version, period, from and to');
SELECT is(pg_temp.try(format('SELECT %L::activity_lifecycle_state::text', (SELECT s::text FROM states WHERE id = 1))),
          (SELECT s::text FROM states WHERE id = 1), 'text round trip of a month state is exact');
SELECT is(pg_temp.try(format('SELECT %L::activity_lifecycle_state::text', (SELECT s::text FROM states WHERE id = 2))),
          (SELECT s::text FROM states WHERE id = 2), 'text round trip of a week state is exact');
SELECT is(pg_temp.try(format('SELECT activity_lifecycle_orders_final(%L::activity_lifecycle_state)::text', (SELECT s::text FROM states WHERE id = 1))),
          pg_temp.one('o', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-15'$a$),
          'activity_lifecycle_orders_final of the re-read month state equals the aggregate');
SELECT is(pg_temp.try(format('SELECT activity_lifecycle_orders_final(%L::activity_lifecycle_state)::text', (SELECT s::text FROM states WHERE id = 3))),
          pg_temp.one('o', 'ts', 'day', $a$date '2024-03-01'$a$, $a$date '2024-08-31'$a$),
          'activity_lifecycle_orders_final of the re-read day state equals the aggregate');
SELECT is((SELECT activity_lifecycle_orders_final(s)::text FROM states WHERE id = 2),
          pg_temp.one('o', 'ts', 'week', $a$date '2024-02-01'$a$, $a$date '2024-12-31'$a$),
          'activity_lifecycle_orders_final of a stored week state equals the aggregate');
-- a hand-made state finished directly: customer 1 active in Nov, Jan, Feb;
-- 2 in Mar; 3 in Apr; range from mid-January to April 10
SELECT results_eq($$SELECT * FROM activity_lifecycle_table(activity_lifecycle_orders_final(
                        '{"v":1,"period":"month","from":"2025-01-15","to":"2025-04-10","cells":[[1,"2024-11-01"],[1,"2025-01-01"],[1,"2025-02-01"],[2,"2025-03-01"],[3,"2025-04-01"]]}'))$$,
                  $$VALUES (date '2025-01-01', 0::bigint, 0::bigint, 1::bigint, 0::bigint, 1::bigint),
                           ('2025-02-01', 0, 1, 0, 0, 1), ('2025-03-01', 1, 0, 0, 1, 1), ('2025-04-01', 1, 0, 0, 1, 1)$$,
                  'activity_lifecycle_orders_final of a state literal (hand-checked)');
SELECT is(activity_lifecycle_orders_final(NULL)::text, NULL, 'activity_lifecycle_orders_final(NULL) is NULL');

------------------------------------------------------------------------------
-- 3. bad input
------------------------------------------------------------------------------
CREATE TEMP TABLE one_row AS SELECT 1::bigint AS c, timestamptz '2025-01-05 10:00+00' AS t;
SELECT throws_ok($$SELECT activity_lifecycle(c, t, NULL, date '2025-01-01', date '2025-06-30') FROM one_row$$, '22004',
                 'activity_lifecycle period, "from" and "to" must not be NULL', 'NULL period: 22004');
SELECT throws_ok($$SELECT activity_lifecycle(c, t, 'month', NULL, date '2025-06-30') FROM one_row$$, '22004',
                 'activity_lifecycle period, "from" and "to" must not be NULL', 'NULL from: 22004');
SELECT throws_ok($$SELECT activity_lifecycle(c, t, 'month', date '2025-01-01', NULL) FROM one_row$$, '22004',
                 'activity_lifecycle period, "from" and "to" must not be NULL', 'NULL to: 22004');
SELECT throws_ok($$SELECT activity_lifecycle(NULL::bigint, NULL::date, 'month', date '2025-01-01', NULL) FROM one_row$$, '22004',
                 'activity_lifecycle period, "from" and "to" must not be NULL', 'NULL to on a row without customer or time: still 22004');
SELECT throws_ok($$SELECT activity_lifecycle(c, t, '7 days', date '2025-01-01', date '2025-06-30') FROM one_row$$, '22023',
                 'unknown activity_lifecycle period "7 days"', 'rolling period: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(c, t, 'fortnight', date '2025-01-01', date '2025-06-30') FROM one_row$$, '22023',
                 'unknown activity_lifecycle period "fortnight"', 'unknown period: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(c, t, 'month', date '2025-07-01', date '2025-06-30') FROM one_row$$, '22023',
                 'activity_lifecycle "from" (2025-07-01) is after "to" (2025-06-30)', 'from after to: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(c, t, 'week', date '2025-06-30', date '2025-06-29') FROM one_row$$, '22023',
                 'activity_lifecycle "from" (2025-06-30) is after "to" (2025-06-29)', 'from a day after to (a Monday after a Sunday): 22023');
SELECT throws_ok($$SELECT activity_lifecycle(customer_id, ts, 'month', date '2024-01-01', CASE WHEN customer_id % 2 = 0 THEN date '2025-06-30' ELSE date '2025-07-31' END) FROM o$$,
                 '22023', 'activity_lifecycle period or range changed within a group', '"to" changing across rows: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(customer_id, ts, 'month', CASE WHEN customer_id % 2 = 0 THEN date '2024-01-01' ELSE date '2024-01-02' END, date '2025-06-30') FROM o$$,
                 '22023', 'activity_lifecycle period or range changed within a group', '"from" changing across rows: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(customer_id, ts, CASE WHEN customer_id % 2 = 0 THEN 'month' ELSE 'week' END, date '2024-01-01', date '2025-06-30') FROM o$$,
                 '22023', 'activity_lifecycle period or range changed within a group', 'period changing across rows: 22023');
SELECT throws_ok($$SELECT activity_lifecycle(c, 'infinity'::timestamptz, 'month', date '2025-01-01', date '2025-06-30') FROM one_row$$, '22008',
                 'infinite timestamps cannot be placed on a day', 'infinite timestamptz: 22008');
SELECT throws_ok($$SELECT activity_lifecycle(c, 'infinity'::date, 'month', date '2025-01-01', date '2025-06-30') FROM one_row$$, '22008',
                 'purchase date must be a finite date', 'infinite date: 22008');
-- states of different ranges cannot be combined
SELECT throws_ok($$SELECT pg_temp.merge(s) FROM (SELECT pg_temp.acells(customer_id, ts, 'month', date '2024-01-01', d) s
                                              FROM o, (VALUES (date '2025-06-30'), (date '2025-07-31')) v(d) GROUP BY d) x$$,
                 '22023', 'cannot combine activity_lifecycle states of different periods or ranges', 'combining states of different ranges: 22023');
SELECT throws_ok($$SELECT activity_lifecycle_orders_combine(s, s) FROM states WHERE id = 1$$, '0A000',
                 'activity_lifecycle_state combine called outside an aggregate',
                 'the combine function outside an aggregate: 0A000, naming its type');

-- malformed text states: 22P02 for syntax, range and cell invariants, 22023
-- for values not canonical (the version, period names) as lc_value_error
-- reports them (as for cohort_matrix_state)
CREATE FUNCTION pg_temp.st(cells text, head text DEFAULT '{"v":1,"period":"month","from":"2025-01-15","to":"2025-06-15","cells":')
RETURNS text LANGUAGE sql AS $$ SELECT head || cells || '}' $$;
SELECT lives_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2024-12-01"],[1,"2025-06-01"],[2,"2025-01-01"]]')),
                'the valid base text state is accepted (cells before "from" and in the month of "to")');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-01"]]', '{"v":2,"period":"month","from":"2025-01-15","to":"2025-06-15","cells":')),
                 '22023', 'invalid activity_lifecycle_state: unsupported version at character 6', 'text: unknown version 22023');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[2,"2025-01-01"],[1,"2025-02-01"]]')),
                 '22P02', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"',
                 'text: cells out of customer order 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-03-01"],[1,"2025-02-01"]]')),
                 '22P02', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"',
                 'text: days out of order 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-01"],[1,"2025-03-01"],[1,"2025-03-01"]]')),
                 '22P02', 'invalid activity_lifecycle_state: cell 3 is out of order, not a period start or after the period holding "to"',
                 'text: duplicate cell 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-01"],[1,"2025-03-02"]]')),
                 '22P02', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"',
                 'text: a cell not on a period start 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-07"]]', '{"v":1,"period":"week","from":"2025-01-15","to":"2025-06-15","cells":')),
                 '22P02', 'invalid activity_lifecycle_state: cell 1 is out of order, not a period start or after the period holding "to"',
                 'text: a week cell on a Tuesday 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-01"],[2,"2025-07-01"]]')),
                 '22P02', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"',
                 'text: a cell after the period of "to" 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[]', '{"v":1,"period":"month","from":"2025-06-16","to":"2025-06-15","cells":')),
                 '22P02', 'invalid activity_lifecycle_state: bad period or range', 'text: from after to 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[]', '{"v":1,"period":"7 days","from":"2025-01-15","to":"2025-06-15","cells":')),
                 '22P02', 'invalid activity_lifecycle_state: bad period or range', 'text: rolling period 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[]', '{"v":1,"period":"Month","from":"2025-01-15","to":"2025-06-15","cells":')),
                 '22023', 'invalid activity_lifecycle_state: period not in canonical form at character 17', 'text: non-canonical period 22023');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-01"]]') || ' x'), '22P02',
                 format('invalid input syntax for type activity_lifecycle_state: "%s"', pg_temp.st('[[1,"2025-01-01"]]') || ' x'),
                 'text: trailing garbage 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', pg_temp.st('[[1,"2025-01-01",5]]')), '22P02',
                 format('invalid input syntax for type activity_lifecycle_state: "%s"', pg_temp.st('[[1,"2025-01-01",5]]')),
                 'text: a cell with a spend (the cohort_matrix_state form) 22P02');
SELECT throws_ok(format('SELECT %L::activity_lifecycle_state', '{"v":1,"period":"month","from":"2025-01-15","to":"2025-06-15","cells":[[1,"2025-01-01"]'), '22P02',
                 'invalid input syntax for type activity_lifecycle_state: "{"v":1,"period":"month","from":"2025-01-15","to":"2025-06-15","cells":[[1,"2025-01-01"]"',
                 'text: truncated 22P02');

-- binary: send() output written as a bytea field with COPY BINARY and read back
-- as a state: the receive function; truncated or inconsistent bytes are 22P03
CREATE TEMP TABLE bin_in (id int, s activity_lifecycle_state);
CREATE FUNCTION pg_temp.recv(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 0, %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_activity_orders_recv.bin');
    DELETE FROM bin_in WHERE id = 0;
    EXECUTE format('COPY bin_in FROM %L (FORMAT binary)', '/tmp/lifecycle_activity_orders_recv.bin');
    RETURN (SELECT s::text FROM bin_in WHERE id = 0);
END $$;
-- a month state and a two-cell one: 12 bytes a cell after a 14-byte header
CREATE TEMP TABLE wire AS
SELECT activity_lifecycle_state_send(s) AS m,
       activity_lifecycle_state_send(pg_temp.st('[[1,"2025-01-01"],[2,"2025-02-01"]]')::activity_lifecycle_state) AS r
FROM states WHERE id = 1;
SELECT is((SELECT r FROM wire),
          '\x0103000023ba00002451000000020000000000000001000023ac0000000000000002000023cb'::bytea,
          'the binary form: version, unit 3 (month), from and to in days since 2000-01-01, n, then (customer, day) cells');
SELECT is(pg_temp.recv((SELECT m FROM wire)), (SELECT s::text FROM states WHERE id = 1), 'binary round trip of a month state');
SELECT is(pg_temp.recv((SELECT r FROM wire)), pg_temp.st('[[1,"2025-01-01"],[2,"2025-02-01"]]'), 'binary round trip of a two-cell state');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, length(r) - 1) FROM wire))$$, '22P03', 'invalid activity_lifecycle_state length in binary input', 'binary: truncated cell 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, 10) FROM wire))$$, '22P03', NULL, 'binary: truncated header 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT r || '\x00'::bytea FROM wire))$$, '22P03', 'invalid activity_lifecycle_state length in binary input', 'binary: trailing byte 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 0, 2) FROM wire))$$, '22P03', 'unsupported activity_lifecycle_state binary version 2', 'binary: unknown version 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 1, 0) FROM wire))$$, '22P03', 'invalid activity_lifecycle_state: bad period or range', 'binary: unit 0 (rolling) 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 1, 6) FROM wire))$$, '22P03', 'invalid activity_lifecycle_state: bad period or range', 'binary: unit 6 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT overlay(r PLACING int4send(9298) FROM 3) FROM wire))$$, '22P03', 'invalid activity_lifecycle_state: bad period or range', 'binary: from after to 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 13, 3) FROM wire))$$, '22P03', 'invalid activity_lifecycle_state length in binary input', 'binary: cell count too high 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, 14) || substr(r, 27, 12) || substr(r, 15, 12) FROM wire))$$,
                 '22P03', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"', 'binary: cells out of order 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, 14) || substr(r, 15, 12) || substr(r, 15, 12) FROM wire))$$,
                 '22P03', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"', 'binary: duplicate cell 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT overlay(r PLACING int4send(date '2025-01-02' - date '2000-01-01') FROM 23) FROM wire))$$,
                 '22P03', 'invalid activity_lifecycle_state: cell 1 is out of order, not a period start or after the period holding "to"', 'binary: a cell not on a period start 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT overlay(r PLACING int4send(date '2025-07-01' - date '2000-01-01') FROM 35) FROM wire))$$,
                 '22P03', 'invalid activity_lifecycle_state: cell 2 is out of order, not a period start or after the period holding "to"', 'binary: a cell after the period of "to" 22P03');

------------------------------------------------------------------------------
-- 4. empty input, NULL customers and times
------------------------------------------------------------------------------
SELECT is((SELECT activity_lifecycle(customer_id, ts, 'month', date '2024-01-01', date '2025-06-30')::text FROM o WHERE false),
          NULL, 'no rows: NULL');
SELECT is((SELECT pg_temp.acells(customer_id, ts, 'month', date '2024-01-01', date '2025-06-30')::text FROM o WHERE false),
          NULL, 'no rows: no state');
SELECT is((SELECT activity_lifecycle(NULL::bigint, ts, 'month', date '2025-01-01', date '2025-03-31')::text FROM o),
          '{"v":1,"period":"month","from":"2025-01-01","cells":[[0,0,0,0],[0,0,0,0],[0,0,0,0]]}',
          'only rows without a customer: zeros over the range');
SELECT results_eq($$SELECT * FROM activity_lifecycle_table((SELECT activity_lifecycle(NULL::bigint, ts, 'week', date '2025-01-01', date '2025-01-31') FROM o))$$,
                  $$SELECT g::date, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint FROM generate_series(date '2024-12-30', date '2025-01-27', interval '7 days') g$$,
                  'only rows without a customer: one zero row per week of the range');
SELECT is((SELECT pg_temp.acells(c, NULL::timestamptz, 'month', date '2025-01-01', date '2025-03-31')::text FROM one_row),
          '{"v":1,"period":"month","from":"2025-01-01","to":"2025-03-31","cells":[]}', 'only rows without a time: a state with no cells');
-- rows without a customer or a time come first, so they also start the state
CREATE TEMP TABLE o_nulls AS
SELECT NULL::bigint AS customer_id, ts FROM o WHERE customer_id % 10 = 0
UNION ALL SELECT customer_id, NULL FROM o WHERE customer_id % 10 = 1
UNION ALL SELECT customer_id + 1000000, NULL FROM o WHERE customer_id % 10 = 2
UNION ALL SELECT customer_id, ts FROM o;
SELECT is((SELECT pg_temp.acells(customer_id, ts, 'month', date '2024-01-01', date '2025-06-15')::text FROM o_nulls),
          (SELECT s::text FROM states WHERE id = 1),
          'rows with a NULL customer or a NULL time are skipped (the state is the same)');
SELECT is(pg_temp.one('o_nulls', 'ts', 'week', $a$date '2024-02-01'$a$, $a$date '2024-12-31'$a$),
          pg_temp.one('o', 'ts', 'week', $a$date '2024-02-01'$a$, $a$date '2024-12-31'$a$),
          'and the lifecycle is the same');

------------------------------------------------------------------------------
-- 5. window aggregate and GROUP BY
------------------------------------------------------------------------------
CREATE TEMP TABLE small AS SELECT * FROM o WHERE customer_id <= 150;
SELECT is((SELECT m::text FROM (
              SELECT activity_lifecycle(customer_id, ts, 'month', date '2024-01-01', date '2025-06-30')
                         OVER (ORDER BY ts, order_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS m,
                     row_number() OVER (ORDER BY ts DESC, order_id DESC) AS back
              FROM small) w WHERE back = 1),
          pg_temp.one('small', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$),
          'as a running window aggregate, the last row equals the plain aggregate');
SELECT is((SELECT count(*) FROM (
              SELECT i, activity_lifecycle(customer_id, ts, 'week', date '2024-06-01', date '2025-03-31')
                            OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS m
              FROM (SELECT row_number() OVER (ORDER BY ts, order_id) i, * FROM small) s) w
           WHERE m::text IS DISTINCT FROM (
              SELECT activity_lifecycle(customer_id, ts, 'week', date '2024-06-01', date '2025-03-31')::text
              FROM (SELECT row_number() OVER (ORDER BY ts, order_id) i, * FROM small) s2 WHERE s2.i <= w.i)),
          0::bigint, 'every row of the running window equals the aggregate of its prefix');
SELECT is((SELECT count(*) FROM (
              SELECT customer_id % 4 AS g, activity_lifecycle(customer_id, ts, 'week', date '2024-01-01', date '2025-06-30') AS m
              FROM o GROUP BY 1) x
           WHERE m::text IS DISTINCT FROM pg_temp.one(format('(SELECT * FROM o WHERE customer_id %% 4 = %s) x', x.g), 'ts', 'week',
                                                      $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$)),
          0::bigint, 'GROUP BY: each group''s lifecycle equals the aggregate over that group alone');
-- groups of different periods and ranges, rows interleaved (one call site)
SELECT is((SELECT count(*) FROM (
              SELECT per, f, activity_lifecycle(customer_id, ts, per, f, date '2025-09-30') AS m
              FROM o, (VALUES ('month', date '2024-01-01'), ('week', date '2025-01-01'), ('quarter', date '2023-04-01'), ('day', date '2025-06-01')) v(per, f)
              GROUP BY 1, 2) x
           WHERE m::text IS DISTINCT FROM pg_temp.two('o', 'ts', x.per, quote_literal(x.f) || '::date', $a$date '2025-09-30'$a$)),
          0::bigint, 'GROUP BY period and range: each group equals the two-step path');
-- rollup of per-group results (the existing activity_lifecycle accessors apply)
SELECT is((SELECT rollup(m)::text FROM (
              SELECT activity_lifecycle(customer_id, ts, 'month', date '2024-01-01', date '2025-06-30') AS m
              FROM o GROUP BY customer_id % 5) x),
          pg_temp.one('o', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$),
          'rollup of the lifecycles of disjoint customer groups equals the whole');

------------------------------------------------------------------------------
-- 6. real parallel workers and partitionwise plans, small and > 65,536 cells
------------------------------------------------------------------------------
-- temp tables are not visible to parallel workers: real tables, rolled back
CREATE TABLE public.lc_ao_small AS SELECT customer_id, ts FROM o;
CREATE TABLE public.lc_ao_big AS SELECT customer_id, ordered_at AS ts FROM demo_orders(60000, 5);
ANALYZE public.lc_ao_small;
ANALYZE public.lc_ao_big;
CREATE TABLE public.lc_ao_part (customer_id bigint, ts timestamptz) PARTITION BY HASH (customer_id);
SELECT format('CREATE TABLE public.lc_ao_part_%s PARTITION OF public.lc_ao_part FOR VALUES WITH (MODULUS 12, REMAINDER %s)', i, i)
FROM generate_series(0, 11) i \gexec
INSERT INTO public.lc_ao_part SELECT * FROM public.lc_ao_big;
ANALYZE public.lc_ao_part;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE big_states AS
SELECT 1 AS id, pg_temp.acells(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') AS s FROM public.lc_ao_big
UNION ALL SELECT 2, pg_temp.acells(customer_id, ts, 'week', date '2024-03-15', date '2025-10-15') FROM public.lc_ao_big;
SELECT ok((SELECT bool_and(json_array_length(s::text::json->'cells') > 65536) FROM big_states),
          'the large states hold more than 65,536 cells');
-- activity_lifecycle and the state aggregate in one query share one transition
-- state: the final function must leave it as it was
SELECT is((SELECT ARRAY[md5(activity_lifecycle(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31')::text),
                        md5(activity_lifecycle_orders_final(pg_temp.acells(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31'))::text),
                        md5(pg_temp.acells(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31')::text)]
           FROM public.lc_ao_big),
          ARRAY[(SELECT md5(activity_lifecycle(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31')::text) FROM public.lc_ao_big),
                (SELECT md5(activity_lifecycle(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31')::text) FROM public.lc_ao_big),
                (SELECT md5(s::text) FROM big_states WHERE id = 1)],
          'a transition state shared by activity_lifecycle, activity_lifecycle_orders_final(state) and the state itself: same answers as alone');
-- serial answers, checked against the two-step path
CREATE TEMP TABLE serial AS
SELECT 'small month' AS q, pg_temp.one('public.lc_ao_small', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$) AS v
UNION ALL SELECT 'big day', pg_temp.one('public.lc_ao_big', 'ts', 'day', $a$date '2023-01-01'$a$, $a$date '2025-12-31'$a$)
UNION ALL SELECT 'big week', pg_temp.one('public.lc_ao_big', 'ts', 'week', $a$date '2024-03-15'$a$, $a$date '2025-10-15'$a$)
UNION ALL SELECT 'big month', pg_temp.one('public.lc_ao_big', 'ts', 'month', $a$date '2023-06-15'$a$, $a$date '2025-11-20'$a$);
SELECT is((SELECT v FROM serial WHERE q = 'big day'),
          pg_temp.two('public.lc_ao_big', 'ts', 'day', $a$date '2023-01-01'$a$, $a$date '2025-12-31'$a$),
          '> 65,536 cells, day: equals the two-step path');
SELECT is((SELECT v FROM serial WHERE q = 'big week'),
          pg_temp.two('public.lc_ao_big', 'ts', 'week', $a$date '2024-03-15'$a$, $a$date '2025-10-15'$a$),
          '> 65,536 cells, week: equals the two-step path');

-- text round trip of the states past 65,536 cells
SELECT is(pg_temp.try(format('SELECT %L::activity_lifecycle_state::text', (SELECT s::text FROM big_states WHERE id = 1))),
          (SELECT s::text FROM big_states WHERE id = 1),
          'text round trip of a day state with more than 65,536 cells is exact');
SELECT is(pg_temp.try(format('SELECT activity_lifecycle_orders_final(%L::activity_lifecycle_state)::text', (SELECT s::text FROM big_states WHERE id = 2))),
          (SELECT v FROM serial WHERE q = 'big week'),
          'activity_lifecycle_orders_final of the re-read large week state equals the aggregate');
-- binary round trip of the large states (and of the small ones) through COPY BINARY
COPY (SELECT id, s FROM big_states UNION ALL SELECT id + 10, s FROM states) TO '/tmp/lifecycle_activity_orders_io.bin' (FORMAT binary);
CREATE TEMP TABLE states_back (id int, s activity_lifecycle_state);
COPY states_back FROM '/tmp/lifecycle_activity_orders_io.bin' (FORMAT binary);
SELECT is((SELECT count(*) FROM (SELECT id, s FROM big_states UNION ALL SELECT id + 10, s FROM states) a
           JOIN states_back b USING (id)
           WHERE a.s::text = b.s::text AND activity_lifecycle_state_send(a.s) = activity_lifecycle_state_send(b.s)
             AND activity_lifecycle_orders_final(a.s)::text = activity_lifecycle_orders_final(b.s)::text),
          5::bigint, 'binary round trip (COPY BINARY) of small and large states: same text, bytes and lifecycle');
SELECT is((SELECT activity_lifecycle_orders_final(s)::text FROM states_back WHERE id = 1),
          (SELECT v FROM serial WHERE q = 'big day'),
          'activity_lifecycle_orders_final of the large day state read back from binary equals the aggregate');

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of($$SELECT activity_lifecycle(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') FROM public.lc_ao_big$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate.*Parallel Seq Scan', 'activity_lifecycle over orders runs as Finalize/Gather/Partial');
SELECT matches(pg_temp.plan_of($$SELECT activity_lifecycle(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') FROM public.lc_ao_big$$,
                              'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'),
               'Workers Launched: [1-9]', 'and real workers run it (so partial states really cross processes)');
SELECT is(pg_temp.one('public.lc_ao_small', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$),
          (SELECT v FROM serial WHERE q = 'small month'), 'parallel: small month lifecycle equals the serial run');
SELECT is(pg_temp.one('public.lc_ao_big', 'ts', 'day', $a$date '2023-01-01'$a$, $a$date '2025-12-31'$a$),
          (SELECT v FROM serial WHERE q = 'big day'), 'parallel: day, > 65,536 cells, equals the serial run');
SELECT is(pg_temp.one('public.lc_ao_big', 'ts', 'week', $a$date '2024-03-15'$a$, $a$date '2025-10-15'$a$),
          (SELECT v FROM serial WHERE q = 'big week'), 'parallel: week, > 65,536 cells, equals the serial run');
SELECT is(pg_temp.one('public.lc_ao_big', 'ts', 'month', $a$date '2023-06-15'$a$, $a$date '2025-11-20'$a$),
          (SELECT v FROM serial WHERE q = 'big month'), 'parallel: month equals the serial run');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT pg_temp.acells(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') FROM public.lc_ao_big))$$,
                  $$SELECT * FROM pg_temp.cells_of((SELECT s FROM big_states WHERE id = 1))$$,
                  'parallel: the combined state holds the same cells as the serial state');

-- partitionwise: a partial aggregate per partition under Append, 12 states combined
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT matches(pg_temp.plan_of($$SELECT activity_lifecycle(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') FROM public.lc_ao_part$$),
               '^Finalize Aggregate\n *-> *Append\n *-> *Partial Aggregate\n *-> *Seq Scan on lc_ao_part_0.*Partial Aggregate\n *-> *Seq Scan on lc_ao_part_11',
               'partitionwise: Finalize Aggregate over Append of per-partition Partial Aggregates');
SELECT is(pg_temp.one('public.lc_ao_part', 'ts', 'day', $a$date '2023-01-01'$a$, $a$date '2025-12-31'$a$),
          (SELECT v FROM serial WHERE q = 'big day'), 'partitionwise: day, > 65,536 cells, equals the serial run');
SELECT is(pg_temp.one('public.lc_ao_part', 'ts', 'month', $a$date '2023-06-15'$a$, $a$date '2025-11-20'$a$),
          (SELECT v FROM serial WHERE q = 'big month'), 'partitionwise: month equals the serial run');
SELECT is(pg_temp.one('(SELECT * FROM public.lc_ao_part WHERE customer_id <= 3000) x', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$),
          pg_temp.one('(SELECT * FROM public.lc_ao_big WHERE customer_id <= 3000) x', 'ts', 'month', $a$date '2024-01-01'$a$, $a$date '2025-06-30'$a$),
          'partitionwise: small per-partition states (flat) combine to the serial answer');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT pg_temp.acells(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') FROM public.lc_ao_part))$$,
                  $$SELECT * FROM pg_temp.cells_of((SELECT s FROM big_states WHERE id = 1))$$,
                  'partitionwise: the combined state holds the same cells as the serial state');
-- states per partition, rolled up with the combine function
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT pg_temp.merge(s) FROM (
                        SELECT tableoid, pg_temp.acells(customer_id, ts, 'day', date '2023-01-01', date '2025-12-31') s
                        FROM public.lc_ao_part GROUP BY tableoid) x))$$,
                  $$SELECT * FROM pg_temp.cells_of((SELECT s FROM big_states WHERE id = 1))$$,
                  'per-partition states merged with activity_lifecycle_orders_combine equal the whole');
-- both at once: Parallel Append of partial aggregates
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_of($$SELECT activity_lifecycle(customer_id, ts, 'week', date '2024-03-15', date '2025-10-15') FROM public.lc_ao_part$$),
               'Finalize Aggregate.*Gather.*Parallel Append.*Partial Aggregate', 'parallel partitionwise plan');
SELECT is(pg_temp.one('public.lc_ao_part', 'ts', 'week', $a$date '2024-03-15'$a$, $a$date '2025-10-15'$a$),
          (SELECT v FROM serial WHERE q = 'big week'), 'parallel partitionwise: week, > 65,536 cells, equals the serial run');

SELECT * FROM finish();
ROLLBACK;

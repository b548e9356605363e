-- cohort_matrix: the whole cohort retention matrix in one pass over orders must
-- give exactly what the two-step path gives (customer_profile per customer, then
-- cohort_start + cohort_retention per cohort): every period kind, as_of at a
-- month end and mid-period, timestamptz/timestamp/date inputs, NULL amounts.
-- Then the same answers under real parallel workers and partitionwise plans
-- (with states past the 65,536 cells where they become expanded objects), text
-- and binary round trips of real states, strict input checking with SQLSTATEs,
-- empty and skipped input, and the aggregate used as a window function.
BEGIN;
SELECT plan(104);
SET LOCAL TimeZone = 'UTC';

-- a generated store with some NULL amounts (an active purchase of no revenue)
CREATE TEMP TABLE o AS
SELECT customer_id, order_id, ordered_at AS ts, amount FROM demo_orders(3000, 11);
UPDATE o SET amount = NULL WHERE (customer_id + order_id) % 13 = 0;

-- the partial state as a value: the aggregate without its final function
CREATE AGGREGATE pg_temp.cells(bigint, timestamptz, float8, text, date) (
    SFUNC = cohort_matrix_trans, STYPE = cohort_matrix_state,
    COMBINEFUNC = cohort_matrix_combine, PARALLEL = SAFE);
CREATE AGGREGATE pg_temp.cells(bigint, timestamptz, float8, text, date, text) (
    SFUNC = cohort_matrix_trans, STYPE = cohort_matrix_state,
    COMBINEFUNC = cohort_matrix_combine, PARALLEL = SAFE);
-- the combine function as a rollup of states
CREATE AGGREGATE pg_temp.merge(cohort_matrix_state) (
    SFUNC = cohort_matrix_combine, STYPE = cohort_matrix_state);

-- the two-step path: profiles per customer, then a curve per cohort.  ts is an
-- expression over the source (to feed timestamptz, timestamp or date), asof an
-- SQL literal; coh NULL means "cohorts by the period".
CREATE FUNCTION pg_temp.two(src text, ts text, per text, asof text, coh text)
RETURNS TABLE (cohort date, size bigint, k int, eligible bigint, active bigint, rate float8,
               after bigint, rate_after float8, revenue numeric, revenue_rate numeric)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT x.c, cohort_size(x.r), t.period, t.eligible, t.active, t.rate,
                t.active_or_after, t.rate_or_after, round(t.revenue::numeric, 4),
                round(t.revenue_rate::numeric, 4)
         FROM (SELECT cohort_start(p, %L) c, cohort_retention(p, %L, %s) r
               FROM (SELECT customer_profile(%s, amount) p FROM %s GROUP BY customer_id) s
               WHERE first_purchase(p) <= %s GROUP BY 1) x, retention_table(x.r) t
         ORDER BY 1, 3', coalesce(coh, per), per, asof, ts, src, asof);
END $$;
-- the one-pass path, in cohort_table's own order (no ORDER BY here)
CREATE FUNCTION pg_temp.one(src text, ts text, per text, asof text, coh text)
RETURNS TABLE (cohort date, size bigint, k int, eligible bigint, active bigint, rate float8,
               after bigint, rate_after float8, revenue numeric, revenue_rate numeric)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT cohort_start, cohort_size, period, eligible, active, rate, active_or_after,
                rate_or_after, round(revenue::numeric, 4), round(revenue_rate::numeric, 4)
         FROM cohort_table((SELECT cohort_matrix(customer_id, %s, amount, %L, %s%s) FROM %s))',
        ts, per, asof, CASE WHEN coh IS NULL THEN '' ELSE format(', %L', coh) END, src);
END $$;
CREATE FUNCTION pg_temp.plan_of(q text, opts text DEFAULT 'COSTS OFF') RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; txt text := '';
BEGIN
    FOR r IN EXECUTE 'EXPLAIN (' || opts || ') ' || q LOOP txt := txt || r."QUERY PLAN" || E'\n'; END LOOP;
    RETURN txt;
END $$;
-- the cells of a state's text form as rows (customer, day, spend to 4 places),
-- read with the json parser, in the order they are written
CREATE FUNCTION pg_temp.cells_of(s cohort_matrix_state)
RETURNS TABLE (customer bigint, day date, spend numeric) LANGUAGE sql AS $$
    SELECT (c->>0)::bigint, (c->>1)::date, round((c->>2)::numeric, 4)
    FROM json_array_elements(s::text::json->'cells') WITH ORDINALITY e(c, i) ORDER BY i $$;

SELECT ok((SELECT count(*) FILTER (WHERE amount IS NULL) > 100 AND count(*) FILTER (WHERE amount IS NOT NULL) > 5000
           AND count(*) FILTER (WHERE ts > '2025-06-30') > 500 FROM o),
          'the store has NULL amounts, priced orders and orders after the as_of dates used');

------------------------------------------------------------------------------
-- 1. the same matrix as the two-step path
------------------------------------------------------------------------------
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)$$,
                  'month, as of a month end: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'month', $a$timestamptz '2024-11-17 15:30+00'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'month', $a$timestamptz '2024-11-17 15:30+00'$a$, NULL)$$,
                  'month, as of mid-month (timestamptz as_of, censored cells): equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'week', $a$date '2025-07-02'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'week', $a$date '2025-07-02'$a$, NULL)$$,
                  'week, as of a Wednesday: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'quarter', $a$date '2025-08-15'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'quarter', $a$date '2025-08-15'$a$, NULL)$$,
                  'quarter, as of mid-quarter: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'year', $a$date '2025-12-31'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'year', $a$date '2025-12-31'$a$, NULL)$$,
                  'year, as of a year end: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'day', $a$date '2024-11-17'$a$, 'month')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'day', $a$date '2024-11-17'$a$, 'month')$$,
                  'day by cohort month: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', '7 days', $a$date '2025-06-30'$a$, 'week')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', '7 days', $a$date '2025-06-30'$a$, 'week')$$,
                  '''7 days'' by cohort week: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', '30 days', $a$date '2025-12-31'$a$, 'month')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', '30 days', $a$date '2025-12-31'$a$, 'month')$$,
                  '''30 days'' by cohort month: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'week', $a$date '2025-03-31'$a$, 'month')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'week', $a$date '2025-03-31'$a$, 'month')$$,
                  'week by cohort month (cells not bucketed): equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'month', $a$date '2025-09-20'$a$, 'quarter')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'month', $a$date '2025-09-20'$a$, 'quarter')$$,
                  'month by cohort quarter: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'week', $a$date '2025-05-14'$a$, 'week')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'week', $a$date '2025-05-14'$a$, 'week')$$,
                  'week with an explicit cohort week: equals the two-step path');
-- timestamp (wall clock) and date inputs
SELECT results_eq($$SELECT * FROM pg_temp.one('o', $t$ts AT TIME ZONE 'UTC'$t$, 'month', $a$timestamp '2025-06-30 12:00'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', $t$ts AT TIME ZONE 'UTC'$t$, 'month', $a$timestamp '2025-06-30 12:00'$a$, NULL)$$,
                  'timestamp purchases, timestamp as_of: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', $t$ts AT TIME ZONE 'UTC'$t$, '7 days', $a$date '2025-04-15'$a$, 'week')$$,
                  $$SELECT * FROM pg_temp.two('o', $t$ts AT TIME ZONE 'UTC'$t$, '7 days', $a$date '2025-04-15'$a$, 'week')$$,
                  'timestamp purchases, date as_of, ''7 days'' by week: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'month', $a$date '2024-11-17'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.two('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, 'month', $a$date '2024-11-17'$a$, NULL)$$,
                  'date purchases, date as_of, month mid-month: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, '30 days', $a$date '2025-06-30'$a$, 'quarter')$$,
                  $$SELECT * FROM pg_temp.two('o', $t$(ts AT TIME ZONE 'UTC')::date$t$, '30 days', $a$date '2025-06-30'$a$, 'quarter')$$,
                  'date purchases, ''30 days'' by quarter: equals the two-step path');
SELECT results_eq($$SELECT * FROM pg_temp.one('o', 'ts', 'day', $a$timestamptz '2025-02-10 23:59+00'$a$, 'day')$$,
                  $$SELECT * FROM pg_temp.two('o', 'ts', 'day', $a$timestamptz '2025-02-10 23:59+00'$a$, 'day')$$,
                  'day by cohort day: equals the two-step path');
-- the matrices compared are not trivial
SELECT ok((SELECT count(*) FROM pg_temp.one('o', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)) > 400
          AND (SELECT count(DISTINCT cohort) FROM pg_temp.one('o', 'ts', 'week', $a$date '2025-07-02'$a$, NULL)) > 100
          AND (SELECT count(*) FROM pg_temp.one('o', 'ts', 'month', $a$date '2024-11-17'$a$, NULL) WHERE active < eligible) > 100,
          'the compared matrices have many cohorts and cells, and customers who did not come back');
-- every customer who started by as_of is in exactly one cohort
-- (cohort_table has no row for a cohort with no complete period yet: count the array)
SELECT is((SELECT sum(cohort_size(curve))::bigint FROM unnest((SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2024-11-17') FROM o))),
          (SELECT count(*) FROM (SELECT customer_id FROM o GROUP BY 1 HAVING min(ts) < '2024-11-18') x),
          'cohort sizes add up to the customers whose first purchase is on or before as_of');
-- cohorts come out in order, one array element each
SELECT is((SELECT array_agg(cohort ORDER BY i)::text FROM unnest((SELECT cohort_matrix(customer_id, ts, amount, 'quarter', date '2025-08-15') FROM o)) WITH ORDINALITY u(cohort, curve, i)),
          (SELECT array_agg(DISTINCT date_trunc('quarter', f)::date ORDER BY date_trunc('quarter', f)::date)::text
           FROM (SELECT min(ts) f FROM o GROUP BY customer_id) x WHERE f < '2025-08-16'),
          'one element per cohort, in cohort order, keyed by the first day of the period');

------------------------------------------------------------------------------
-- 2. the partial state: canonical cells, text and binary round trips
------------------------------------------------------------------------------
CREATE TEMP TABLE states (id int PRIMARY KEY, s cohort_matrix_state);
INSERT INTO states
SELECT 1, pg_temp.cells(customer_id, ts, amount, 'month', date '2025-06-30') FROM o
UNION ALL SELECT 2, pg_temp.cells(customer_id, ts, amount, 'week', date '2025-03-31', 'month') FROM o
UNION ALL SELECT 3, pg_temp.cells(customer_id, ts, amount, '7 days', date '2025-06-30', 'week') FROM o;

SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT s FROM states WHERE id = 1))$$,
                  $$SELECT customer_id, date_trunc('month', ts)::date, round(sum(coalesce(amount, 0))::numeric, 4)
                    FROM o WHERE ts < '2025-07-01' GROUP BY 1, 2 ORDER BY 1, 2$$,
                  'a month state holds one cell per customer and month (its first day), sorted, with the known spend');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT s FROM states WHERE id = 2))$$,
                  $$SELECT customer_id, ts::date, round(sum(coalesce(amount, 0))::numeric, 4)
                    FROM o WHERE ts < '2025-04-01' GROUP BY 1, 2 ORDER BY 1, 2$$,
                  'a week-by-month state holds one cell per customer and purchase day (not bucketed)');
SELECT is((SELECT s::text FROM states WHERE id = 1) ~ '^\{"v":1,"period":"month","cohort":"month","as_of":"2025-06-30","cells":\[\[',
          true, 'the text form starts with version, period, cohort period and as_of');
-- text round trips of real states (rolling periods; calendar ones: see the end)
SELECT is((SELECT s::text::cohort_matrix_state::text FROM states WHERE id = 3),
          (SELECT s::text FROM states WHERE id = 3),
          'text round trip of a state is exact');
SELECT is((SELECT cohort_matrix_final(s::text::cohort_matrix_state)::text FROM states WHERE id = 3),
          (SELECT cohort_matrix(customer_id, ts, amount, '7 days', date '2025-06-30', 'week')::text FROM o),
          'cohort_matrix_final of the re-read state equals the aggregate');
SELECT is((SELECT cohort_matrix_final(s)::text FROM states WHERE id = 1),
          (SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30')::text FROM o),
          'cohort_matrix_final of a stored month state equals the aggregate');

------------------------------------------------------------------------------
-- 3. bad input
------------------------------------------------------------------------------
CREATE TEMP TABLE one_row AS SELECT 1::bigint AS c, timestamptz '2025-01-05 10:00+00' AS t, 5::float8 AS a;
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, NULL, date '2025-06-30') FROM one_row$$, '22004', 'cohort_matrix period, as_of and cohort period must not be NULL', 'NULL period: 22004');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, 'month', NULL::date) FROM one_row$$, '22004', 'cohort_matrix period, as_of and cohort period must not be NULL', 'NULL as_of: 22004');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, 'month', date '2025-06-30', NULL) FROM one_row$$, '22004', 'cohort_matrix period, as_of and cohort period must not be NULL', 'NULL cohort period: 22004');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, 'fortnight', date '2025-06-30') FROM one_row$$, '22023', 'unknown retention period "fortnight"', 'unknown period: 22023');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, '7 days', date '2025-06-30') FROM one_row$$, '22023',
                 'cohort_matrix with a rolling period needs a calendar cohort period', 'rolling period without a cohort period: 22023');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, 'month', date '2025-06-30', '7 days') FROM one_row$$, '22023',
                 'cohort_matrix cohort period must be a calendar unit, got "7 days"', 'rolling cohort period: 22023');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, 'month', date '2025-06-30', 'fortnight') FROM one_row$$, '22023', 'cohort_matrix cohort period must be a calendar unit, got "fortnight"', 'unknown cohort period: 22023');
SELECT throws_ok($$SELECT cohort_matrix(c, t, 'NaN'::float8, 'month', date '2025-06-30') FROM one_row$$, '22023', 'purchase amount must be finite, got NaN', 'NaN amount: 22023');
SELECT throws_ok($$SELECT cohort_matrix(NULL::bigint, timestamptz '2025-08-05', 'NaN'::float8, 'month', date '2025-06-30')$$, '22023',
                 'purchase amount must be finite, got NaN', 'NaN amount on a row after as_of without a customer: still 22023, as customer_profile');
SELECT throws_ok($$SELECT cohort_matrix(c, t, '-Infinity'::float8, 'month', date '2025-06-30') FROM one_row$$, '22023', 'purchase amount must be finite, got -Infinity', 'infinite amount: 22023');
SELECT throws_ok($$SELECT cohort_matrix(c, 'infinity'::timestamptz, a, 'month', date '2025-06-30') FROM one_row$$, '22008', 'infinite timestamps cannot be placed on a day', 'infinite timestamptz: 22008');
SELECT throws_ok($$SELECT cohort_matrix(c, '-infinity'::timestamp, a, 'month', date '2025-06-30') FROM one_row$$, '22008', 'infinite timestamps cannot be placed on a day', 'infinite timestamp: 22008');
SELECT throws_ok($$SELECT cohort_matrix(c, 'infinity'::date, a, 'month', date '2025-06-30') FROM one_row$$, '22008', 'purchase date must be a finite date', 'infinite date: 22008');
SELECT throws_ok($$SELECT cohort_matrix(c, t, a, 'month', 'infinity'::date) FROM one_row$$, '22008', 'as_of must be a finite date', 'infinite as_of: 22008');
SELECT throws_ok($$SELECT cohort_matrix(customer_id, ts, amount, 'month', CASE WHEN customer_id % 2 = 0 THEN date '2025-06-30' ELSE date '2025-07-31' END) FROM o$$,
                 '22023', 'cohort_matrix period, as_of and cohort period must be the same on every row', 'as_of changing across rows: 22023');
SELECT throws_ok($$SELECT cohort_matrix(customer_id, ts, amount, CASE WHEN customer_id % 2 = 0 THEN 'month' ELSE 'week' END, date '2025-06-30') FROM o$$,
                 '22023', 'cohort_matrix period, as_of and cohort period must be the same on every row', 'period changing across rows: 22023');
SELECT throws_ok($$SELECT cohort_matrix(customer_id, ts, amount, 'week', date '2025-06-30', CASE WHEN customer_id % 2 = 0 THEN 'month' ELSE 'quarter' END) FROM o$$,
                 '22023', 'cohort_matrix period, as_of and cohort period must be the same on every row', 'cohort period changing across rows: 22023');
-- states of different as_of dates or periods cannot be combined
SELECT throws_ok($$SELECT pg_temp.merge(s) FROM (SELECT pg_temp.cells(customer_id, ts, amount, '7 days', d, 'week') s
                                              FROM o, (VALUES (date '2025-06-30'), (date '2025-07-31')) v(d) GROUP BY d) x$$,
                 '22023', 'cannot combine cohort_matrix states of different periods or as_of dates', 'combining states of different as_of: 22023');
SELECT throws_ok($$SELECT cohort_matrix_combine(s, s) FROM states WHERE id = 3$$, '0A000', 'cohort_matrix_state combine called outside an aggregate',
                 'the combine function outside an aggregate: 0A000');

-- malformed text states, each rejected by the check it is about: 22P02 for the
-- syntax and the cell invariants, 22023 for values out of range or not canonical
-- (the version, period names, numbers), as lc_value_error reports them
CREATE FUNCTION pg_temp.st(cells text, head text DEFAULT '{"v":1,"period":"7 days","cohort":"week","as_of":"2025-06-30","cells":')
RETURNS text LANGUAGE sql AS $$ SELECT head || cells || '}' $$;
SELECT lives_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5],[1,"2025-01-09",0],[2,"2025-01-03",1.5]]')),
                'the valid base text state is accepted');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5]]', '{"v":2,"period":"7 days","cohort":"week","as_of":"2025-06-30","cells":')),
                 '22023', 'invalid cohort_matrix_state: unsupported version at character 6', 'text: unknown version 22023');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[2,"2025-01-02",5],[1,"2025-01-03",1.5]]')),
                 '22P02', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend',
                 'text: cells out of customer order 22P02');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-09",5],[1,"2025-01-02",1.5]]')),
                 '22P02', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend',
                 'text: days out of order 22P02');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5],[1,"2025-01-09",2],[1,"2025-01-09",1.5]]')),
                 '22P02', 'invalid cohort_matrix_state: cell 3 is out of order, after as_of, not a period start or has a non-finite spend',
                 'text: duplicate cell 22P02');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5],[2,"2025-07-01",1.5]]')),
                 '22P02', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend',
                 'text: day after as_of 22P02');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5]]') || ' x'), '22P02',
                 format('invalid input syntax for type cohort_matrix_state: "%s"', pg_temp.st('[[1,"2025-01-02",5]]') || ' x'),
                 'text: trailing garbage 22P02');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",NaN]]')), '22P02',
                 format('invalid input syntax for type cohort_matrix_state: "%s"', pg_temp.st('[[1,"2025-01-02",NaN]]')),
                 'text: NaN spend 22P02');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",1e400]]')),
                 '22023', 'invalid cohort_matrix_state: a spend out of range at character 88', 'text: spend out of range 22023');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5]]', '{"v":1,"period":"1 week","cohort":"week","as_of":"2025-06-30","cells":')),
                 '22023', 'invalid cohort_matrix_state: period not in canonical form at character 17', 'text: non-canonical period 22023');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', pg_temp.st('[[1,"2025-01-02",5]]', '{"v":1,"period":"7 days","cohort":"7 days","as_of":"2025-06-30","cells":')),
                 '22023', 'invalid cohort_matrix_state: cohort period must be day, week, month, quarter or year at character 35',
                 'text: rolling cohort period 22023');
SELECT throws_ok(format('SELECT %L::cohort_matrix_state', '{"v":1,"period":"7 days","cohort":"week","as_of":"2025-06-30","cells":[[1,"2025-01-02",5]'), '22P02',
                 'invalid input syntax for type cohort_matrix_state: "{"v":1,"period":"7 days","cohort":"week","as_of":"2025-06-30","cells":[[1,"2025-01-02",5]"',
                 'text: truncated 22P02');

-- binary: send() output written as a bytea field with COPY BINARY and read back
-- as a state: the receive function; truncated or inconsistent bytes are 22P03
CREATE TEMP TABLE bin_in (id int, s cohort_matrix_state);
CREATE FUNCTION pg_temp.recv(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 0, %L::bytea) TO %L (FORMAT binary)', b, '/tmp/lifecycle_cohort_matrix_recv.bin');
    DELETE FROM bin_in WHERE id = 0;
    EXECUTE format('COPY bin_in FROM %L (FORMAT binary)', '/tmp/lifecycle_cohort_matrix_recv.bin');
    RETURN (SELECT s::text FROM bin_in WHERE id = 0);
END $$;
-- a month state (cells on month starts) and a rolling one, 20 bytes a cell after a 15-byte header
CREATE TEMP TABLE wire AS
SELECT cohort_matrix_state_send(s) AS m,
       cohort_matrix_state_send(pg_temp.st('[[1,"2025-01-02",5],[2,"2025-01-03",1.5]]')::cohort_matrix_state) AS r
FROM states WHERE id = 1;
SELECT is(pg_temp.recv((SELECT m FROM wire)), (SELECT s::text FROM states WHERE id = 1),
          'binary round trip of a month state');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, length(r) - 1) FROM wire))$$, '22P03', 'invalid cohort_matrix_state length in binary input', 'binary: truncated cell 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, 10) FROM wire))$$, '22P03', 'invalid binary cohort_matrix_state: 10 bytes left where at least 15 are needed', 'binary: truncated header 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT r || '\x00'::bytea FROM wire))$$, '22P03', 'invalid cohort_matrix_state length in binary input', 'binary: trailing byte 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 0, 2) FROM wire))$$, '22P03', 'unsupported cohort_matrix_state binary version 2', 'binary: unknown version 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 2, 0) FROM wire))$$, '22P03', 'invalid cohort_matrix_state: bad period, cohort unit or as_of', 'binary: cohort unit 0 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT set_byte(r, 14, 3) FROM wire))$$, '22P03', 'invalid cohort_matrix_state length in binary input', 'binary: cell count too high 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, 15) || substr(r, 36, 20) || substr(r, 16, 20) FROM wire))$$,
                 '22P03', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend', 'binary: cells out of order 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT substr(r, 1, 15) || substr(r, 16, 20) || substr(r, 16, 20) FROM wire))$$,
                 '22P03', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend', 'binary: duplicate cell 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT overlay(r PLACING '\x7ff8000000000000'::bytea FROM 48) FROM wire))$$,
                 '22P03', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend', 'binary: NaN spend 22P03');
SELECT throws_ok($$SELECT pg_temp.recv((SELECT overlay(r PLACING '\x00002461'::bytea FROM 44) FROM wire))$$,
                 '22P03', 'invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend', 'binary: day after as_of 22P03');
-- the first cell's day moved one day on: no longer the first day of a month
SELECT throws_ok($$SELECT pg_temp.recv((SELECT overlay(m PLACING int4send(get_byte(m, 23) * 256 * 256 * 256 + get_byte(m, 24) * 256 * 256
                                                                     + get_byte(m, 25) * 256 + get_byte(m, 26) + 1) FROM 24) FROM wire))$$,
                 '22P03', 'invalid cohort_matrix_state: cell 1 is out of order, after as_of, not a period start or has a non-finite spend',
                 'binary: a bucketed state''s day that is not a period start 22P03');

------------------------------------------------------------------------------
-- 4. empty input, rows after as_of, NULL customers and times
------------------------------------------------------------------------------
SELECT is((SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30')::text FROM o WHERE false),
          '{}', 'no rows: an empty array');
SELECT is((SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2022-06-30')::text FROM o),
          '{}', 'every purchase after as_of: an empty array');
SELECT results_eq($$SELECT * FROM cohort_table((SELECT cohort_matrix(c, t, a, 'month', date '2025-06-30') FROM one_row))$$,
                  $$VALUES (date '2025-01-01', 1::bigint, 0, 1::bigint, 1::bigint, 1::float8, 1::bigint, 1::float8, 5::float8, 1::float8),
                           ('2025-01-01', 1, 1, 1, 0, 0, 0, 0, 0, 0), ('2025-01-01', 1, 2, 1, 0, 0, 0, 0, 0, 0),
                           ('2025-01-01', 1, 3, 1, 0, 0, 0, 0, 0, 0), ('2025-01-01', 1, 4, 1, 0, 0, 0, 0, 0, 0),
                           ('2025-01-01', 1, 5, 1, 0, 0, 0, 0, 0, 0)$$,
                  'a single January purchase as of June 30: one cohort, months 0-5, active in month 0 only');
-- rows without a customer or a time come first, so they also start the state
CREATE TEMP TABLE o_nulls AS
SELECT NULL::bigint AS customer_id, ts, amount FROM o WHERE customer_id % 10 = 0
UNION ALL SELECT customer_id, NULL, amount FROM o WHERE customer_id % 10 = 1
UNION ALL SELECT customer_id + 1000000, NULL, amount FROM o WHERE customer_id % 10 = 2
UNION ALL SELECT customer_id, ts, amount FROM o;
SELECT is((SELECT cohort_matrix(customer_id, ts, amount, 'week', date '2025-06-30')::text FROM o_nulls WHERE customer_id IS NULL),
          '{}', 'only rows without a customer: an empty array');
SELECT is((SELECT pg_temp.cells(customer_id, ts, amount, 'month', date '2025-06-30')::text FROM o_nulls),
          (SELECT s::text FROM states WHERE id = 1),
          'rows with a NULL customer or a NULL time are skipped (the state is the same)');
SELECT results_eq($$SELECT * FROM pg_temp.one('o_nulls', 'ts', 'day', $a$date '2025-06-30'$a$, 'month')$$,
                  $$SELECT * FROM pg_temp.one('o', 'ts', 'day', $a$date '2025-06-30'$a$, 'month')$$,
                  'and the matrix is the same');
-- a customer whose amounts are all NULL is active with no revenue
SELECT results_eq($$SELECT period, eligible, active, revenue FROM cohort_table((
                        SELECT cohort_matrix(c, t, NULL, 'month', date '2025-03-31')
                        FROM (VALUES (7::bigint, timestamptz '2025-01-05'), (7, '2025-03-02'), (8, '2025-01-20')) v(c, t)))$$,
                  $$VALUES (0, 2::bigint, 2::bigint, 0::float8), (1, 2, 0, 0), (2, 2, 1, 0)$$,
                  'NULL amounts count as active purchases without revenue');

------------------------------------------------------------------------------
-- 5. window aggregate and GROUP BY
------------------------------------------------------------------------------
CREATE TEMP TABLE small AS SELECT * FROM o WHERE customer_id <= 150;
SELECT results_eq(
    $$SELECT cohort_start, cohort_size, period, eligible, active, active_or_after, round(revenue::numeric, 4)
      FROM cohort_table((SELECT m FROM (
          SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30')
                     OVER (ORDER BY ts, order_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS m,
                 row_number() OVER (ORDER BY ts DESC, order_id DESC) AS back
          FROM small) w WHERE back = 1))$$,
    $$SELECT cohort_start, cohort_size, period, eligible, active, active_or_after, round(revenue::numeric, 4)
      FROM cohort_table((SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30') FROM small))$$,
    'as a running window aggregate, the last row equals the plain aggregate');
SELECT is((SELECT count(*) FROM (
              SELECT i, cohort_matrix(customer_id, ts, amount, '7 days', date '2025-06-30', 'week')
                            OVER (ORDER BY i ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS m
              FROM (SELECT row_number() OVER (ORDER BY ts, order_id) i, * FROM small) s) w
           WHERE m::text IS DISTINCT FROM (
              SELECT cohort_matrix(customer_id, ts, amount, '7 days', date '2025-06-30', 'week')::text
              FROM (SELECT row_number() OVER (ORDER BY ts, order_id) i, * FROM small) s2 WHERE s2.i <= w.i)),
          0::bigint, 'every row of the running window equals the aggregate of its prefix');
SELECT is((SELECT count(*) FROM (
              SELECT customer_id % 4 AS g, cohort_matrix(customer_id, ts, amount, 'week', date '2025-06-30', 'month') AS m
              FROM o GROUP BY 1) x
           WHERE m::text IS DISTINCT FROM (SELECT cohort_matrix(customer_id, ts, amount, 'week', date '2025-06-30', 'month')::text
                                           FROM o WHERE customer_id % 4 = x.g)),
          0::bigint, 'GROUP BY: each group''s matrix equals the aggregate over that group alone');

------------------------------------------------------------------------------
-- 6. real parallel workers and partitionwise plans, small and > 65,536 cells
------------------------------------------------------------------------------
-- temp tables are not visible to parallel workers: real tables, rolled back
CREATE TABLE public.lc_cm_small AS SELECT customer_id, ts, amount FROM o;
CREATE TABLE public.lc_cm_big AS SELECT customer_id, ordered_at AS ts, amount FROM demo_orders(60000, 5);
UPDATE public.lc_cm_big SET amount = NULL WHERE customer_id % 19 = 0;
ANALYZE public.lc_cm_small;
ANALYZE public.lc_cm_big;
CREATE TABLE public.lc_cm_part (customer_id bigint, ts timestamptz, amount float8) PARTITION BY HASH (customer_id);
SELECT format('CREATE TABLE public.lc_cm_part_%s PARTITION OF public.lc_cm_part FOR VALUES WITH (MODULUS 12, REMAINDER %s)', i, i)
FROM generate_series(0, 11) i \gexec
INSERT INTO public.lc_cm_part SELECT * FROM public.lc_cm_big;
ANALYZE public.lc_cm_part;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE big_states AS
SELECT 1 AS id, pg_temp.cells(customer_id, ts, amount, 'day', date '2025-12-31', 'month') AS s FROM public.lc_cm_big
UNION ALL SELECT 2, pg_temp.cells(customer_id, ts, amount, '30 days', date '2025-11-20', 'month') FROM public.lc_cm_big;
SELECT ok((SELECT bool_and(json_array_length(s::text::json->'cells') > 65536) FROM big_states),
          'the large states hold more than 65,536 cells');
-- cohort_matrix and the state aggregate in one query share one transition state:
-- the final function must leave it as it was
SELECT is((SELECT ARRAY[md5(cohort_matrix(customer_id, ts, amount, 'day', date '2025-12-31', 'month')::text),
                        md5(cohort_matrix_final(pg_temp.cells(customer_id, ts, amount, 'day', date '2025-12-31', 'month'))::text),
                        md5(pg_temp.cells(customer_id, ts, amount, 'day', date '2025-12-31', 'month')::text)]
           FROM public.lc_cm_big),
          ARRAY[(SELECT md5(cohort_matrix(customer_id, ts, amount, 'day', date '2025-12-31', 'month')::text) FROM public.lc_cm_big),
                (SELECT md5(cohort_matrix(customer_id, ts, amount, 'day', date '2025-12-31', 'month')::text) FROM public.lc_cm_big),
                (SELECT md5(s::text) FROM big_states WHERE id = 1)],
          'a transition state shared by cohort_matrix, cohort_matrix_final(state) and the state itself: same answers as alone');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_big', 'ts', 'day', $a$date '2025-12-31'$a$, 'month')$$,
                  $$SELECT * FROM pg_temp.two('public.lc_cm_big', 'ts', 'day', $a$date '2025-12-31'$a$, 'month')$$,
                  '> 65,536 cells, day by month: equals the two-step path');
-- serial answers
CREATE TEMP TABLE serial AS
SELECT 'small month' AS q, * FROM pg_temp.one('public.lc_cm_small', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)
UNION ALL SELECT 'big day', * FROM pg_temp.one('public.lc_cm_big', 'ts', 'day', $a$date '2025-12-31'$a$, 'month')
UNION ALL SELECT 'big week', * FROM pg_temp.one('public.lc_cm_big', 'ts', 'week', $a$date '2025-10-15'$a$, 'month')
UNION ALL SELECT 'big 30 days', * FROM pg_temp.one('public.lc_cm_big', 'ts', '30 days', $a$date '2025-11-20'$a$, 'month');

-- text round trip of a state past 65,536 cells (rolling period, raw days)
SELECT is((SELECT s::text::cohort_matrix_state::text FROM big_states WHERE id = 2),
          (SELECT s::text FROM big_states WHERE id = 2),
          'text round trip of a state with more than 65,536 cells is exact');
SELECT results_eq($$SELECT cohort_start, cohort_size, period, eligible, active, rate, active_or_after, rate_or_after,
                           round(revenue::numeric, 4), round(revenue_rate::numeric, 4)
                    FROM cohort_table((SELECT cohort_matrix_final(s::text::cohort_matrix_state) FROM big_states WHERE id = 2))$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'big 30 days'$$,
                  'cohort_matrix_final of the re-read large state equals the aggregate');
-- binary round trip of the large states (and of the small ones) through COPY BINARY
COPY (SELECT id, s FROM big_states UNION ALL SELECT id + 10, s FROM states) TO '/tmp/lifecycle_cohort_matrix_io.bin' (FORMAT binary);
CREATE TEMP TABLE states_back (id int, s cohort_matrix_state);
COPY states_back FROM '/tmp/lifecycle_cohort_matrix_io.bin' (FORMAT binary);
SELECT is((SELECT count(*) FROM (SELECT id, s FROM big_states UNION ALL SELECT id + 10, s FROM states) a
           JOIN states_back b USING (id)
           WHERE a.s::text = b.s::text AND cohort_matrix_state_send(a.s) = cohort_matrix_state_send(b.s)
             AND cohort_matrix_final(a.s)::text = cohort_matrix_final(b.s)::text),
          5::bigint, 'binary round trip (COPY BINARY) of small and large states: same text, bytes and matrix');

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL parallel_leader_participation = off;
SELECT matches(pg_temp.plan_of($$SELECT cohort_matrix(customer_id, ts, amount, 'day', date '2025-12-31', 'month') FROM public.lc_cm_big$$),
               'Finalize Aggregate.*Gather.*Partial Aggregate.*Parallel Seq Scan', 'cohort_matrix runs as Finalize/Gather/Partial');
SELECT matches(pg_temp.plan_of($$SELECT cohort_matrix(customer_id, ts, amount, 'day', date '2025-12-31', 'month') FROM public.lc_cm_big$$,
                              'ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF'),
               'Workers Launched: [1-9]', 'and real workers run it (so partial states really cross processes)');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_small', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'small month'$$,
                  'parallel: small month matrix equals the serial run');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_big', 'ts', 'day', $a$date '2025-12-31'$a$, 'month')$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'big day'$$,
                  'parallel: day by month, > 65,536 cells, equals the serial run');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_big', 'ts', 'week', $a$date '2025-10-15'$a$, 'month')$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'big week'$$,
                  'parallel: week by month, > 65,536 cells, equals the serial run');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT pg_temp.cells(customer_id, ts, amount, 'day', date '2025-12-31', 'month') FROM public.lc_cm_big))$$,
                  $$SELECT * FROM pg_temp.cells_of((SELECT s FROM big_states WHERE id = 1))$$,
                  'parallel: the combined state holds the same cells as the serial state');

-- partitionwise: a partial aggregate per partition under Append, 12 states combined
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_partitionwise_aggregate = on;
SELECT matches(pg_temp.plan_of($$SELECT cohort_matrix(customer_id, ts, amount, 'day', date '2025-12-31', 'month') FROM public.lc_cm_part$$),
               '^Finalize Aggregate\n *-> *Append\n *-> *Partial Aggregate\n *-> *Seq Scan on lc_cm_part_0.*Partial Aggregate\n *-> *Seq Scan on lc_cm_part_11',
               'partitionwise: Finalize Aggregate over Append of per-partition Partial Aggregates');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_part', 'ts', 'day', $a$date '2025-12-31'$a$, 'month')$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'big day'$$,
                  'partitionwise: day by month, > 65,536 cells, equals the serial run');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_part', 'ts', '30 days', $a$date '2025-11-20'$a$, 'month')$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'big 30 days'$$,
                  'partitionwise: ''30 days'' by month equals the serial run');
SELECT results_eq($$SELECT * FROM pg_temp.one('(SELECT * FROM public.lc_cm_part WHERE customer_id <= 3000) x', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)$$,
                  $$SELECT * FROM pg_temp.one('(SELECT * FROM public.lc_cm_big WHERE customer_id <= 3000) x', 'ts', 'month', $a$date '2025-06-30'$a$, NULL)$$,
                  'partitionwise: small per-partition states (flat) combine to the serial answer');
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT pg_temp.cells(customer_id, ts, amount, 'day', date '2025-12-31', 'month') FROM public.lc_cm_part))$$,
                  $$SELECT * FROM pg_temp.cells_of((SELECT s FROM big_states WHERE id = 1))$$,
                  'partitionwise: the combined state holds the same cells as the serial state');
-- states per partition, rolled up with the combine function
SELECT results_eq($$SELECT * FROM pg_temp.cells_of((SELECT pg_temp.merge(s) FROM (
                        SELECT tableoid, pg_temp.cells(customer_id, ts, amount, 'day', date '2025-12-31', 'month') s
                        FROM public.lc_cm_part GROUP BY tableoid) x))$$,
                  $$SELECT * FROM pg_temp.cells_of((SELECT s FROM big_states WHERE id = 1))$$,
                  'per-partition states merged with cohort_matrix_combine equal the whole');
-- both at once: Parallel Append of partial aggregates
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT matches(pg_temp.plan_of($$SELECT cohort_matrix(customer_id, ts, amount, 'week', date '2025-10-15', 'month') FROM public.lc_cm_part$$),
               'Finalize Aggregate.*Gather.*Parallel Append.*Partial Aggregate', 'parallel partitionwise plan');
SELECT results_eq($$SELECT * FROM pg_temp.one('public.lc_cm_part', 'ts', 'week', $a$date '2025-10-15'$a$, 'month')$$,
                  $$SELECT cohort, size, k, eligible, active, rate, after, rate_after, revenue, revenue_rate FROM serial WHERE q = 'big week'$$,
                  'parallel partitionwise: week by month equals the serial run');

------------------------------------------------------------------------------
-- 7. text input of calendar-period states and of extreme customer ids (two bugs
--    found by these tests: block_days left unset for calendar periods, and an
--    overflow check that refused int64 values within 8 of the limits)
------------------------------------------------------------------------------
-- errors become failing assertions, not an aborted file
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text;
BEGIN
    EXECUTE q INTO r;
    RETURN r;
EXCEPTION WHEN OTHERS THEN
    RETURN 'ERROR ' || SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT is(pg_temp.try(format('SELECT %L::cohort_matrix_state::text', (SELECT s::text FROM states WHERE id = 1))),
          (SELECT s::text FROM states WHERE id = 1),
          'text round trip of a month state is exact');
SELECT is(pg_temp.try(format('SELECT cohort_matrix_final(%L::cohort_matrix_state)::text', (SELECT s::text FROM states WHERE id = 1))),
          (SELECT cohort_matrix(customer_id, ts, amount, 'month', date '2025-06-30')::text FROM o),
          'cohort_matrix_final of the re-read month state equals the aggregate');
SELECT is(pg_temp.try(format('SELECT %L::cohort_matrix_state::text', (SELECT s::text FROM big_states WHERE id = 1))),
          (SELECT s::text FROM big_states WHERE id = 1),
          'text round trip of a day-by-month state with more than 65,536 cells is exact');
SELECT is(pg_temp.try(format('SELECT %L::cohort_matrix_state::text',
                             '{"v":1,"period":"month","cohort":"month","as_of":"2025-06-30","cells":[[1,"2025-01-01",5],[1,"2025-02-02",1]]}')),
          'ERROR 22P02: invalid cohort_matrix_state: cell 2 is out of order, after as_of, not a period start or has a non-finite spend',
          'text: a bucketed state''s day that is not a period start 22P02');
SELECT is(pg_temp.try($$SELECT pg_temp.cells(c, timestamptz '2025-01-02', 1, '7 days', date '2025-06-30', 'week')::text::cohort_matrix_state::text
                        FROM (VALUES ('-9223372036854775808'::bigint), ('-9223372036854775807'), ('9223372036854775806'), ('9223372036854775807')) v(c)$$),
          '{"v":1,"period":"7 days","cohort":"week","as_of":"2025-06-30","cells":[[-9223372036854775808,"2025-01-02",1],[-9223372036854775807,"2025-01-02",1],[9223372036854775806,"2025-01-02",1],[9223372036854775807,"2025-01-02",1]]}',
          'text round trip of the extreme customer ids');

SELECT * FROM finish();
ROLLBACK;

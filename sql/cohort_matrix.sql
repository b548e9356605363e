-- cohort_matrix: the cohort retention matrix in one pass over orders, on a
-- hand-made store small enough to check every number by hand; the partial
-- state's text form; error messages.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE cm_orders (customer bigint, ts timestamptz, amount float8);
INSERT INTO cm_orders VALUES
    (1, '2025-01-10 10:00+00', 10), (1, '2025-01-20 12:00+00', 5),
    (1, '2025-02-03 09:00+00', NULL),        -- a purchase of unknown value: active, no revenue
    (1, '2025-04-15 18:00+00', 20),
    (2, '2025-01-31 23:30+00', 7.5), (2, '2025-03-01 00:15+00', 12.5),
    (3, '2025-02-14 08:00+00', 30), (3, '2025-02-14 19:00+00', 1),   -- two orders, one day
    (3, '2025-05-02 10:00+00', 50),          -- after as_of: ignored
    (4, '2025-05-05 10:00+00', 100),         -- first purchase after as_of: in no cohort
    (5, '2025-02-28 22:00-05', 8),           -- 2025-03-01 03:00 UTC: a March customer
    (5, '2025-04-02 12:00+00', 4),
    (NULL, '2025-01-15 12:00+00', 99),       -- no customer: skipped
    (6, NULL, 5);                            -- no time: skipped

-- monthly, as of the end of April: January customers (1, 2) are eligible for
-- months 0-3, February's (3) for 0-2, March's (5) for 0-1
SELECT * FROM cohort_table((SELECT cohort_matrix(customer, ts, amount, 'month', date '2025-04-30') FROM cm_orders));
-- as of mid-April, April is not complete: January is eligible for months 0-2,
-- February for 0-1, March for month 0 only; the April purchases of customers 1
-- and 5 are in no period, but count in active_or_after of the last complete one
SELECT * FROM cohort_table((SELECT cohort_matrix(customer, ts, amount, 'month', date '2025-04-15') FROM cm_orders));
-- the same as the two-step path (where GROUP BY would make the rows without a
-- customer one more customer: cohort_matrix skips them)
SELECT x.c AS cohort_start, cohort_size(x.r), t.*
FROM (SELECT cohort_start(p, 'month') c, cohort_retention(p, 'month', date '2025-04-15') r
      FROM (SELECT customer_profile(ts, amount) p FROM cm_orders WHERE customer IS NOT NULL GROUP BY customer) s
      WHERE first_purchase(p) <= '2025-04-15' GROUP BY 1) x, retention_table(x.r) t
ORDER BY 1, 3;
-- weekly periods in monthly cohorts (weeks start on Monday), timestamp input
SELECT cohort_start, cohort_size, period, eligible, active, active_or_after, revenue
FROM cohort_table((SELECT cohort_matrix(customer, ts AT TIME ZONE 'UTC', amount, 'week', timestamp '2025-02-16 23:00', 'month')
                   FROM cm_orders));
-- no rows, or nothing on or before as_of: no cohorts
SELECT cohort_matrix(customer, ts, amount, 'month', date '2025-04-30') FROM cm_orders WHERE false;
SELECT cohort_matrix(customer, ts::date, amount, 'month', date '2024-12-31') FROM cm_orders;

-- the partial state (the aggregate without its final function): cells sorted by
-- customer and day; with month periods in month cohorts a cell is a month (its
-- first day), otherwise a purchase day; spends of one cell added
CREATE AGGREGATE cm_cells(bigint, timestamptz, float8, text, date) (
    SFUNC = cohort_matrix_trans, STYPE = cohort_matrix_state,
    COMBINEFUNC = cohort_matrix_combine, PARALLEL = SAFE);
CREATE AGGREGATE cm_cells(bigint, timestamptz, float8, text, date, text) (
    SFUNC = cohort_matrix_trans, STYPE = cohort_matrix_state,
    COMBINEFUNC = cohort_matrix_combine, PARALLEL = SAFE);
SELECT cm_cells(customer, ts, amount, 'month', date '2025-04-30') FROM cm_orders;
SELECT cm_cells(customer, ts, amount, '7 days', date '2025-04-30', 'week') FROM cm_orders;
-- read back, and finished directly
SELECT s::text::cohort_matrix_state::text = s::text AS text_round_trip,
       cohort_matrix_final(s::text::cohort_matrix_state)::text
           = (SELECT cohort_matrix(customer, ts, amount, '7 days', date '2025-04-30', 'week') FROM cm_orders)::text AS same_matrix
FROM (SELECT cm_cells(customer, ts, amount, '7 days', date '2025-04-30', 'week') s FROM cm_orders) x;
SELECT * FROM cohort_table(cohort_matrix_final(
    '{"v":1,"period":"30 days","cohort":"year","as_of":"2025-03-01","cells":[[1,"2025-01-01",2],[1,"2025-01-31",3],[2,"2025-01-30",0]]}'));

-- errors
SELECT cohort_matrix(customer, ts, amount, NULL, date '2025-04-30') FROM cm_orders;
SELECT cohort_matrix(customer, ts, amount, '7 days', date '2025-04-30') FROM cm_orders;
SELECT cohort_matrix(customer, ts, amount, 'month', date '2025-04-30', '30 days') FROM cm_orders;
SELECT cohort_matrix(customer, ts, 'NaN', 'month', date '2025-04-30') FROM cm_orders;
SELECT cohort_matrix(customer, ts, amount, 'month', date '2025-04-30' + (customer = 2)::int) FROM cm_orders;
SELECT '{"v":1,"period":"7 days","cohort":"week","as_of":"2025-04-30","cells":[[2,"2025-01-02",1],[1,"2025-01-03",1]]}'::cohort_matrix_state;

-- activity_lifecycle (PostHog's lifecycle) over the same orders in one pass,
-- monthly January-April: the state keeps one cell per customer and month
-- (customer 3's May purchase and customer 4 lie after April: left out)
SELECT * FROM activity_lifecycle_table((SELECT activity_lifecycle(customer, ts, 'month', date '2025-01-01', date '2025-04-30') FROM cm_orders));
CREATE AGGREGATE cm_acells(bigint, timestamptz, text, date, date) (
    SFUNC = activity_lifecycle_orders_trans, STYPE = activity_lifecycle_state,
    COMBINEFUNC = activity_lifecycle_orders_combine, PARALLEL = SAFE);
SELECT cm_acells(customer, ts, 'month', date '2025-01-01', date '2025-04-30') FROM cm_orders;

DROP AGGREGATE cm_cells(bigint, timestamptz, float8, text, date);
DROP AGGREGATE cm_cells(bigint, timestamptz, float8, text, date, text);
DROP AGGREGATE cm_acells(bigint, timestamptz, text, date, date);
DROP TABLE cm_orders;

------------------------------------------------------------------------------
-- demo store generator
------------------------------------------------------------------------------

CREATE FUNCTION demo_customers(customers integer, seed bigint DEFAULT 42,
        start_date date DEFAULT '2023-01-01', end_date date DEFAULT '2025-12-31')
    RETURNS TABLE (customer_id bigint, signup_date date, channel text)
    AS 'MODULE_PATHNAME', 'lifecycle_demo_customers'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION demo_customers(integer, bigint, date, date) IS
    'deterministic demo customers: signup date and acquisition channel (prospects included)';

CREATE FUNCTION demo_orders(customers integer, seed bigint DEFAULT 42,
        start_date date DEFAULT '2023-01-01', end_date date DEFAULT '2025-12-31',
        r float8 DEFAULT 0.243, alpha float8 DEFAULT 4.414,
        a float8 DEFAULT 0.793, b float8 DEFAULT 2.426,
        p float8 DEFAULT 6.25, q float8 DEFAULT 3.74, gamma float8 DEFAULT 15.44)
    RETURNS TABLE (customer_id bigint, order_id bigint, ordered_at timestamptz, amount float8)
    AS 'MODULE_PATHNAME', 'lifecycle_demo_orders'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3000;
COMMENT ON FUNCTION demo_orders(integer, bigint, date, date, float8, float8, float8, float8,
        float8, float8, float8) IS
    'deterministic demo orders of demo_customers: BG/NBD purchases (weeks) and Gamma-Gamma spend';

CREATE FUNCTION demo_events(customers integer, seed bigint DEFAULT 42,
        start_date date DEFAULT '2023-01-01', end_date date DEFAULT '2025-12-31')
    RETURNS TABLE (customer_id bigint, ts timestamptz, event text, channel text)
    AS 'MODULE_PATHNAME', 'lifecycle_demo_events'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10000;
COMMENT ON FUNCTION demo_events(integer, bigint, date, date) IS
    'deterministic web events (visit, product_view, add_to_cart, checkout, purchase) of demo_customers, one buying session per demo_orders order';

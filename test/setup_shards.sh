#!/bin/sh
# setup_shards.sh: creates two "shard" databases in the running test cluster for
# test/pgtap/90_shards.sql (postgres_fdw loopback shards), each with lifecycle
# installed and an empty public.shard_orders table. Database creation cannot run
# inside a transaction, hence this script (run by run_suites.sh before pg_prove).
# If anything fails it says so and exits 0: the shard suite then skips.
set -u
for db in lifecycle_shard1 lifecycle_shard2; do
    if ! psql -X -q -v ON_ERROR_STOP=1 -d postgres \
            -c "SET client_min_messages = warning" \
            -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1 ||
       ! psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
            -c "SET client_min_messages = warning" \
            -c "CREATE EXTENSION lifecycle" \
            -c "CREATE TABLE public.shard_orders (customer_id bigint, ts timestamptz, amount float8)" \
            >/dev/null 2>&1; then
        echo "# could not create shard database $db: 90_shards will skip"
        exit 0
    fi
done
echo "# shard databases lifecycle_shard1, lifecycle_shard2 ready"

#!/bin/sh
# load_reference_data.sh DB: loads the public reference data sets (../shared/data,
# or $LIFECYCLE_DATA) into tables of DB for the pgTAP suites. When the folder is
# absent it says so and loads nothing; the suites that need the data then skip.
set -eu
db="$1"
here=$(cd "$(dirname "$0")/.." && pwd)
data="${LIFECYCLE_DATA:-$here/../shared/data}"
cdnow="$data/cdnow/CDNOW_sample.txt"
txn="$data/cdnow/cdnow_customers_summary_with_transactions.csv"

# the tables always exist, empty without the data, so the suites can test for rows
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE TABLE public.cdnow_sample (master_id int, customer_id int, day date,
                                  cds int, dollars float8);
CREATE TABLE public.cdnow_summary (customer_id int, x int, t_x float8, t float8,
                                   zbar float8);
SQL

if [ ! -f "$cdnow" ] || [ ! -f "$txn" ]; then
    echo "# reference data not found under $data: CDNOW checks will be skipped"
    exit 0
fi
# whitespace separated with CRLF line ends -> CSV
tr -d '\r' <"$cdnow" | awk 'NF == 5 { print $1 "," $2 "," $3 "," $4 "," $5 }' |
    psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
        -c "\\copy public.cdnow_sample FROM STDIN WITH (FORMAT csv)"
tr -d '\r' <"$txn" | psql -X -q -v ON_ERROR_STOP=1 -d "$db" \
    -c "\\copy public.cdnow_summary FROM STDIN WITH (FORMAT csv, HEADER true)"
echo "# loaded CDNOW sample from $data"

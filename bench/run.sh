#!/bin/sh
# run.sh: what "make bench" does. Generates the demo store (1M customers by default)
# in a throwaway cluster and times our queries against the best plain-SQL way to the
# same answer, on the same data, in one run. Each domain has a bench/NN_domain.sql
# (see bench/00_setup.sql for the harness). Prints medians and ratios and writes
# them to bench/out/latest.md. Not part of make test.
set -eu
cd "$(dirname "$0")/.."

sh test/deps.sh build
make -s >/dev/null
make -s install >/dev/null
mkdir -p bench/out
# BENCH_ONLY=funnel runs only bench/*funnel*.sql (plus the setup and the report);
# several parts: BENCH_ONLY="profile retention btyd"
files=""
for f in bench/[0-9][0-9]_*.sql; do
    case "$f" in
        bench/00_*|bench/99_*) files="$files -f $f"; continue ;;
    esac
    for part in ${BENCH_ONLY:-""}; do
        case "$f" in *"$part"*) files="$files -f $f"; continue 2 ;; esac
    done
    [ -n "${BENCH_ONLY:-}" ] || files="$files -f $f"
done
chmod -R a+rwX bench/out 2>/dev/null || true
set +e
# the BTYD fits are also timed in a second, new session (bench/session_btyd.sql)
session=""
case "$files" in *_btyd.sql*) session="bench/session_btyd.sql" ;; esac
pg_virtualenv -t -o log_min_messages=fatal -o shared_buffers=2GB \
    -o max_parallel_workers_per_gather=2 \
    sh -c 'psql -X -q -v ON_ERROR_STOP=1 -v customers="$1" -v reps="$2" $3 &&
           { [ -z "$4" ] || psql -X -q -v ON_ERROR_STOP=1 -v reps="$2" -f "$4"; }' \
    sh "${BENCH_CUSTOMERS:-1000000}" "${BENCH_REPS:-5}" "$files" "$session" >bench/out/latest.txt 2>&1
rc=$?
set -e
cat bench/out/latest.txt
if [ "$rc" -ne 0 ]; then
    echo "make bench failed (exit $rc)" >&2
    exit "$rc"
fi
{
    echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
    echo "server: $(pg_config --version), shared_buffers 2GB, work_mem default (4MB; some queries also run with 256MB), max_parallel_workers_per_gather 2"
    echo "date: $(date -u +%Y-%m-%d)"
} | tee -a bench/out/latest.txt

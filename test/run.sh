#!/bin/sh
# run.sh: what "make test" does. Installs missing packages, builds with warnings as
# errors, installs the extension, then runs pg_regress and pgTAP in a throwaway
# cluster (pg_virtualenv) and prints "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."

sh test/deps.sh test

WARN="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers"
make -s clean >/dev/null 2>&1 || true
echo "building with $WARN"
make -s PG_CFLAGS="$WARN" >/dev/null
make -s install >/dev/null

mkdir -p test/out
chmod -R a+rwX . 2>/dev/null || true
# pg_virtualenv runs the cluster as postgres when we are root; -t keeps it in a private
# temporary directory (and port), so several runs can share a machine.
rm -f test/out/summary
set +e
pg_virtualenv -t -o max_worker_processes=16 -o max_parallel_workers=8 \
    -o shared_buffers=256MB -o log_min_messages=fatal \
    -o shared_preload_libraries=pg_cron -o cron.database_name=lifecycle_tap \
    -o cron.use_background_workers=on \
    sh test/run_suites.sh
rc=$?
set -e
# the last line: "N passed, N failed" (after pg_virtualenv's own messages)
if [ -f test/out/summary ]; then
    cat test/out/summary
else
    echo "0 passed, 1 failed"
    [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"

#!/bin/sh
# run_suites.sh: runs inside pg_virtualenv (PGHOST/PGPORT/PGUSER set). Runs the
# pg_regress suite and the pgTAP suite and prints one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
out=test/out
mkdir -p "$out"

# pg_regress: one test per file in REGRESS
make -s installcheck >"$out/regress.log" 2>&1
regress_rc=$?
cat "$out/regress.log"
r_pass=$(grep -cE '^(ok|test|[ ]+)? *[a-z_0-9]+ +\.\.\. ok' "$out/regress.log" || true)
r_fail=$(grep -cE '\.\.\. FAILED' "$out/regress.log" || true)
if [ "$regress_rc" -ne 0 ] && [ "$r_fail" -eq 0 ]; then
    r_fail=1
fi
[ -f regression.diffs ] && [ "$r_fail" -gt 0 ] && head -200 regression.diffs

# pgTAP: every assertion counts
db=lifecycle_tap
psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" postgres
psql -X -q -v ON_ERROR_STOP=1 -d $db \
    -c "SET client_min_messages = warning" \
    -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION lifecycle"
sh test/load_reference_data.sh "$db"
sh test/setup_shards.sh
pg_prove -v -d "$db" test/pgtap/*.sql >"$out/pgtap.log" 2>&1
tap_rc=$?
grep -E '^(not ok|# |t/|test/)|Failed|Result|Files=' "$out/pgtap.log" | grep -v '^ok' | tail -60
t_pass=$(grep -cE '^ *ok [0-9]+' "$out/pgtap.log" || true)
t_fail=$(grep -cE '^ *not ok [0-9]+' "$out/pgtap.log" || true)
t_skip=$(grep -ciE '^ *ok [0-9]+.*# skip' "$out/pgtap.log" || true)
if [ "$tap_rc" -ne 0 ] && [ "$t_fail" -eq 0 ]; then
    t_fail=1
fi

echo "pg_regress: $r_pass passed, $r_fail failed; pgTAP: $t_pass passed ($t_skip skipped), $t_fail failed"
echo "$((r_pass + t_pass)) passed, $((r_fail + t_fail)) failed" | tee "$out/summary"
[ "$r_fail" -eq 0 ] && [ "$t_fail" -eq 0 ]

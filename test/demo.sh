#!/bin/sh
# demo.sh: what "make demo" does. Installs missing packages, builds and installs
# the extension, starts a throwaway cluster, loads a generated store and prints
# real answers, then drops the cluster.
set -eu
cd "$(dirname "$0")/.."

sh test/deps.sh build
make -s >/dev/null
make -s install >/dev/null
chmod -R a+rX . 2>/dev/null || true
pg_virtualenv -t -o log_min_messages=fatal \
    psql -X -q -v ON_ERROR_STOP=1 -v customers="${DEMO_CUSTOMERS:-100000}" -f test/demo.sql

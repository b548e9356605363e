#!/bin/sh
# deps.sh [build|test|bench]: install the Debian packages a target needs, if missing.
# Works as root (apt-get) or through sudo; prints what to do otherwise.
set -eu

pkgs="postgresql-15 postgresql-server-dev-15 postgresql-common make gcc libnlopt-dev"
case "${1:-build}" in
    test) pkgs="$pkgs postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-15-cron" ;;
esac

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "missing Debian packages:$missing" >&2
    echo "install them as root: apt-get install -y$missing" >&2
    exit 1
fi

echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q $missing >/tmp/lifecycle-apt.log 2>&1; then
    # a fresh machine may have no package lists yet
    $SUDO apt-get update -q >>/tmp/lifecycle-apt.log 2>&1 || true
    if ! $SUDO apt-get install -y -q $missing >>/tmp/lifecycle-apt.log 2>&1; then
        tail -20 /tmp/lifecycle-apt.log >&2
        echo "apt-get install failed (log: /tmp/lifecycle-apt.log)" >&2
        exit 1
    fi
fi

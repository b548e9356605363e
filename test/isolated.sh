#!/bin/sh
# isolated.sh CMD...: run CMD (e.g. "make test") with private copies of the server's
# extension and library directories, in a private mount namespace (root only).
# Lets several checkouts of lifecycle (git worktrees) install and test at the same
# time on one machine without overwriting each other's lifecycle.so. Not used by CI.
set -eu
if [ -z "${LC_ISOLATED:-}" ]; then
    LC_ISOLATED=1 exec unshare --mount --propagation private sh "$0" "$@"
fi
share="$(pg_config --sharedir)/extension"
lib="$(pg_config --pkglibdir)"
tmp="$(mktemp -d /tmp/lc-isolated.XXXXXX)"
mkdir -p "$tmp/ext" "$tmp/lib"
cp -a "$share/." "$tmp/ext/"
cp -a "$lib/." "$tmp/lib/"
chmod 755 "$tmp"
mount --bind "$tmp/ext" "$share"
mount --bind "$tmp/lib" "$lib"
set +e
"$@"
rc=$?
umount "$share" "$lib"
rm -rf "$tmp"
exit "$rc"

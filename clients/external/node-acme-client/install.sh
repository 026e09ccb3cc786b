#!/usr/bin/env bash
# install.sh - install the npm packages obtain.js needs into node_modules/
# beside this file, exactly as package-lock.json pins them (`npm ci`:
# acme-client 5.4.0 and its dependencies; nothing is resolved anew). Needs
# node and npm (scripts/install-deps.sh test installs Debian's when the
# machine has none) and the npm registry; nothing else from outside.
# Does nothing when node_modules/ already matches the lock file; a lock so
# two test runs do not install at once. Exit status 0 when acme-client
# 5.4.0 is in place.
set -eu
here=$(dirname "$(readlink -f "$0")")
want=5.4.0

installed() {
    # npm ci writes node_modules/.package-lock.json; an older one than the
    # lock file means the lock changed since.
    [ -f "$here/node_modules/.package-lock.json" ] &&
        [ ! "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ] &&
        node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
            "$here/node_modules/acme-client/package.json" "$want" 2>/dev/null
}

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "install.sh: $tool is missing (bash scripts/install-deps.sh test installs it)" >&2
        exit 1
    }
done
exec 9>"$here/.install.lock"
flock 9
installed && exit 0
echo "install.sh: npm ci in $here (acme-client $want)" >&2
# --ignore-scripts: no package needs an install script, and none may run.
(cd "$here" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) || {
    echo "install.sh: npm ci failed: is the npm registry reachable?" >&2
    exit 1
}
installed || {
    echo "install.sh: acme-client $want is not in $here/node_modules after npm ci" >&2
    exit 1
}

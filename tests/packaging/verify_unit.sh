#!/bin/sh
# Runs `systemd-analyze verify` on packaging/gantry.service with /usr/bin/gantry pointed at the
# binary under test (verify insists that executables exist). Exit 77 (ctest: skipped) when
# systemd-analyze is not installed.
# usage: verify_unit.sh UNIT_FILE GANTRY_BINARY
set -eu
unit=$1
binary=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "systemd-analyze not found: skipping the unit check"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/bin/gantry#$binary#g" "$unit" >"$dir/gantry.service"
out=$(systemd-analyze verify --man=no "$dir/gantry.service" 2>&1) || {
    echo "$out"
    exit 1
}
# verify exits 0 on some warnings; treat anything about our unit as a failure.
if echo "$out" | grep -F "gantry.service" >/dev/null; then
    echo "$out"
    exit 1
fi
echo "systemd-analyze verify: ok"

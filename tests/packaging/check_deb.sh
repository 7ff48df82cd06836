#!/bin/sh
# Builds the .deb with cpack from a configured and built build directory, unpacks it with
# dpkg-deb -x / -e, and checks what an operator relies on: the binary, the unit, the conffiles,
# the logrotate file, the man page, the postinst that makes the user, and that the packaged
# config passes `gantry check` with the packaged binary. Exit 77 (skipped) without cpack or
# dpkg-deb.
# usage: check_deb.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
source=$2
for tool in cpack dpkg-deb; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "$tool not found: skipping the package check"
        exit 77
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*"
    exit 1
}

(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log"
    fail "cpack -G DEB failed"
}
deb=$(ls "$work"/out/gantry_*.deb)
[ -f "$deb" ] || fail "no gantry_*.deb in $work/out"
echo "package: $(basename "$deb")"

dpkg-deb -x "$deb" "$work/root"
dpkg-deb -e "$deb" "$work/control"

for path in usr/bin/gantry usr/lib/systemd/system/gantry.service etc/gantry/gantry.yaml \
    etc/logrotate.d/gantry usr/share/man/man8/gantry.8.gz usr/share/doc/gantry/operations.md \
    usr/share/doc/gantry/config.md; do
    [ -e "$work/root/$path" ] || fail "missing /$path"
done
[ -x "$work/root/usr/bin/gantry" ] || fail "/usr/bin/gantry is not executable"

grep -qx "Package: gantry" "$work/control/control" || fail "control: Package"
grep -q "^Depends:.*libc6" "$work/control/control" || fail "control: no shared-library Depends"
grep -qx "/etc/gantry/gantry.yaml" "$work/control/conffiles" || fail "gantry.yaml is no conffile"
grep -qx "/etc/logrotate.d/gantry" "$work/control/conffiles" || fail "logrotate is no conffile"
for script in postinst prerm postrm; do
    [ -x "$work/control/$script" ] || fail "$script missing or not executable"
    sh -n "$work/control/$script" || fail "$script: syntax error"
done
grep -q "adduser --system" "$work/control/postinst" || fail "postinst makes no system user"
grep -q "useradd --system" "$work/control/postinst" || fail "postinst has no useradd fallback"

grep -q "USR1" "$work/root/etc/logrotate.d/gantry" || fail "logrotate does not send USR1"
unit="$work/root/usr/lib/systemd/system/gantry.service"
for line in "Type=notify" "User=gantry" "AmbientCapabilities=CAP_NET_BIND_SERVICE" \
    "NoNewPrivileges=yes" "ProtectSystem=strict" "ExecReload=/bin/kill -HUP \$MAINPID" \
    "ExecStartPre=/usr/bin/gantry check -c /etc/gantry/gantry.yaml"; do
    grep -qxF "$line" "$unit" || fail "unit lacks $line"
done
if command -v systemd-analyze >/dev/null 2>&1; then
    sh "$source/tests/packaging/verify_unit.sh" "$unit" "$work/root/usr/bin/gantry" ||
        fail "packaged unit does not verify"
fi

gzip -dc "$work/root/usr/share/man/man8/gantry.8.gz" | grep -q '^\.TH GANTRY 8 "" "gantry [0-9]' ||
    fail "man page has no versioned .TH line"
if command -v groff >/dev/null 2>&1; then
    warnings=$(gzip -dc "$work/root/usr/share/man/man8/gantry.8.gz" | groff -man -Tutf8 -ww -z 2>&1)
    [ -z "$warnings" ] || fail "man page: $warnings"
fi

"$work/root/usr/bin/gantry" --help | grep -q -- "--against" || fail "--help lacks check --against"
"$work/root/usr/bin/gantry" check -c "$work/root/etc/gantry/gantry.yaml" ||
    fail "the packaged config does not pass gantry check"
echo "package contents: ok"

#!/usr/bin/env bash
# `scripts/dev.sh run` then `scripts/dev.sh test` on one build folder must still give the test
# command the whole suite (issue #21: it once reused run's tests-off cache and ran nothing).
# Configure only, in a scratch folder, through dev.sh's own `configure` subcommand (the same
# function run and test call), with no apt step:
#   1. configure as `run` does: no tests registered (the folder a newcomer starts from);
#   2. configure as `test` does on that folder: the whole suite is registered;
#   3. configure as `run` does again: gantry and gantry_core build with the same commands in
#      all three, so flipping GANTRY_TESTS rebuilds neither (run after test stays cheap);
#   4. configure as the ASan phase does: the whole suite is registered there too.
# It lists tests (ctest -N) and never runs them, so the suite does not run inside itself.
#
# What "the whole suite" can mean without building: unit and integration test cases are listed
# by catch_discover_tests only after their binaries are built (a POST_BUILD step writes the
# list); until then each binary registers one placeholder test, <target>_NOT_BUILT-<hash>.
# So the check asserts that placeholder (or already-discovered "unit: "/"integration: " tests)
# plus the binary in the build graph, which is what makes the build step of `test` build and
# discover them; fuzz_replay (one test per tests/fuzz/*_fuzz.cc), packaging and scripts tests
# are plain add_test()s and are asserted directly.
# usage: dev_sh_test_after_run.sh SOURCE_DIR
set -euo pipefail
src=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export GANTRY_SKIP_APT=1 GANTRY_BUILD_DIR="$scratch/build"
build="$GANTRY_BUILD_DIR"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

dev_configure() {
    echo "==> scripts/dev.sh configure $1"
    "$src/scripts/dev.sh" configure "$1" >"$scratch/configure-$1.log" 2>&1 || {
        cat "$scratch/configure-$1.log"
        echo "FAIL: scripts/dev.sh configure $1 failed"
        exit 1
    }
}

# Test names registered in build folder $1 (ctest also complains on stderr, and for a
# not-yet-built test on stdout, that the executables do not exist yet).
test_names() {
    ctest --test-dir "$1" -N 2>/dev/null | sed -nE 's/^ *Test +#[0-9]+: //p'
}

label_count() {
    ctest --test-dir "$1" -N -L "^$2\$" 2>/dev/null | sed -nE 's/^Total Tests: //p'
}

assert_whole_suite() {
    local dir=$1 names targets target label fuzz_source fuzz_name count
    names=$(test_names "$dir")
    targets=$(ninja -C "$dir" -t targets all)
    echo "$(grep -c . <<<"$names") tests registered in $dir"
    for target in unit integration; do
        grep -Eq "^(gantry_${target}_tests_NOT_BUILT-|$target: )" <<<"$names" ||
            fail "$dir: no $target tests (catch_discover_tests of gantry_${target}_tests)"
        grep -q "^tests/gantry_${target}_tests:" <<<"$targets" ||
            fail "$dir: the build does not build tests/gantry_${target}_tests"
    done
    for fuzz_source in "$src"/tests/fuzz/*_fuzz.cc; do
        fuzz_name=$(basename "$fuzz_source" .cc)
        grep -qxF "fuzz_replay: $fuzz_name" <<<"$names" ||
            fail "$dir: no test 'fuzz_replay: $fuzz_name'"
    done
    for label in packaging scripts; do
        count=$(label_count "$dir" "$label")
        [ "${count:-0}" -gt 0 ] || fail "$dir: no test labelled $label"
    done
}

dev_configure run
count=$(test_names "$build" | grep -c . || true)
[ "$count" -eq 0 ] ||
    fail "run's configure registered $count tests; this check expects run to leave them out"
ninja -C "$build" -t commands gantry >"$scratch/gantry-run.commands"

dev_configure test
assert_whole_suite "$build"
ninja -C "$build" -t commands gantry >"$scratch/gantry-test.commands"
diff -u "$scratch/gantry-run.commands" "$scratch/gantry-test.commands" >/dev/null ||
    fail "gantry/gantry_core build commands differ between run's and test's configure" \
        "(run after test would rebuild them)"

dev_configure run
ninja -C "$build" -t commands gantry >"$scratch/gantry-run-again.commands"
diff -u "$scratch/gantry-test.commands" "$scratch/gantry-run-again.commands" >/dev/null ||
    fail "gantry/gantry_core build commands change when run configures after test"

dev_configure asan
assert_whole_suite "$build-asan"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "ok: test configures the whole suite after run, in the release and ASan folders"

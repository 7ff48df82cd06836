#!/usr/bin/env bash
# gantry's one-command set-up on Debian 12.
#   scripts/dev.sh run    install dependencies, build without the tests, run gantry on
#                         config/gantry.yaml
#   scripts/dev.sh test   install dependencies, build, run every test (what CI runs)
#   scripts/dev.sh build  install dependencies and build everything `test` builds, run nothing
#   scripts/dev.sh configure run|test|asan   only configure that build (what run/test would)
# Works as root or as a user with sudo. Set GANTRY_SKIP_APT=1 to skip the apt step and
# GANTRY_BUILD_DIR to build somewhere other than build/ (the ASan build goes to $dir-asan).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${GANTRY_BUILD_DIR:-$here/build}"
jobs="$(nproc 2>/dev/null || echo 2)"

build_packages=(
    build-essential cmake ninja-build pkg-config clang clang-format libclang-rt-14-dev
    libboost1.81-dev libssl-dev libnghttp2-dev node-llhttp libyaml-cpp-dev prometheus-cpp-dev
    libre2-dev zlib1g-dev libbrotli-dev libmimalloc-dev catch2
)
test_packages=(curl nghttp2-client wrk nginx haproxy openssl python3 python3-h2 python3-grpcio valgrind
    dpkg-dev)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

install_packages() {
    [ "${GANTRY_SKIP_APT:-0}" = 1 ] && return 0
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
}

# The one place that says how each build is configured; run, build, test and `configure` all
# go through it. `run` and `test` share build/ and each names GANTRY_TESTS explicitly, every
# time: a folder first configured by `run` (tests off) must not make `test` find no tests, and
# flipping the option only adds or removes the test targets (gantry_core and gantry compile
# and link with the same commands either way), so `run` after `test` rebuilds nothing and
# `test` after `run` builds only the tests.
build_dir_for() {
    case "$1" in
        run | test) echo "$build_dir" ;;
        asan) echo "$build_dir-asan" ;;
        *) return 1 ;;
    esac
}

configure() {
    local options
    case "$1" in
        run) options=(-DCMAKE_BUILD_TYPE=Release -DGANTRY_TESTS=OFF) ;;
        test) options=(-DCMAKE_BUILD_TYPE=Release -DGANTRY_TESTS=ON) ;;
        asan) options=(-DCMAKE_BUILD_TYPE=Debug -DGANTRY_SANITIZE=ON -DGANTRY_TESTS=ON) ;;
        *)
            echo "dev.sh configure: expected run, test or asan, got '$1'" >&2
            exit 2
            ;;
    esac
    cmake -S "$here" -B "$(build_dir_for "$1")" -G Ninja "${options[@]}"
}

configure_and_build() {
    configure "$1"
    cmake --build "$(build_dir_for "$1")" -j "$jobs"
}

# --no-tests=error: a build folder without the test suite is a failure, not "No tests were
# found!!!" and exit 0.
run_ctest() {
    local dir="$1" timeout="$2"
    (cd "$dir" && ctest --output-on-failure --no-tests=error -j "$jobs" --timeout "$timeout")
}

run_tests() {
    install_packages "${build_packages[@]}" "${test_packages[@]}"
    echo "==> formatting check"
    (cd "$here" && git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror)
    echo "==> release build and full test suite"
    configure_and_build test
    run_ctest "$(build_dir_for test)" 300
    echo "==> ASan+UBSan build: the same suite again"
    configure_and_build asan
    ASAN_OPTIONS=detect_leaks=1 run_ctest "$(build_dir_for asan)" 600
}

case "${1:-}" in
    run)
        install_packages "${build_packages[@]}"
        configure_and_build run
        exec "$(build_dir_for run)/gantry" -c "$here/config/gantry.yaml"
        ;;
    build)
        install_packages "${build_packages[@]}"
        configure_and_build test
        ;;
    test)
        run_tests
        ;;
    configure)
        install_packages "${build_packages[@]}"
        configure "${2:-}"
        ;;
    *)
        sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac

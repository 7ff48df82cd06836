#!/usr/bin/env bash
# gantry's one-command set-up on Debian 12.
#   scripts/dev.sh run    install dependencies, build, run gantry on config/gantry.yaml
#   scripts/dev.sh test   install dependencies, build, run every test (what CI runs)
#   scripts/dev.sh build  install dependencies and build only
# Works as root or as a user with sudo. Set GANTRY_SKIP_APT=1 to skip the apt step.
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

configure_and_build() {
    local dir="$1"
    shift
    cmake -S "$here" -B "$dir" -G Ninja "$@"
    cmake --build "$dir" -j "$jobs"
}

run_tests() {
    install_packages "${build_packages[@]}" "${test_packages[@]}"
    echo "==> formatting check"
    (cd "$here" && git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror)
    echo "==> release build and full test suite"
    configure_and_build "$build_dir" -DCMAKE_BUILD_TYPE=Release
    (cd "$build_dir" && ctest --output-on-failure -j "$jobs" --timeout 300)
    echo "==> ASan+UBSan build: unit, fuzz-corpus and integration tests"
    configure_and_build "$build_dir-asan" -DCMAKE_BUILD_TYPE=Debug -DGANTRY_SANITIZE=ON
    (cd "$build_dir-asan" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" \
        --timeout 600)
}

case "${1:-}" in
    run)
        install_packages "${build_packages[@]}"
        configure_and_build "$build_dir" -DCMAKE_BUILD_TYPE=Release -DGANTRY_TESTS=OFF
        exec "$build_dir/gantry" -c "$here/config/gantry.yaml"
        ;;
    build)
        install_packages "${build_packages[@]}"
        configure_and_build "$build_dir" -DCMAKE_BUILD_TYPE=Release
        ;;
    test)
        run_tests
        ;;
    *)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac

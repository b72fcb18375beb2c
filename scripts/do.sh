#!/usr/bin/env bash
# The README's commands. Each one sets everything up (packages, build) first.
#   bash scripts/do.sh boot   install, build, boot the default guest on the serial console
#   bash scripts/do.sh test   install, build with -Werror, run the whole test suite (ctest)
#   bash scripts/do.sh asan   build with ASan+UBSan: unit tests, conformance vectors, fuzz campaign
#   bash scripts/do.sh bench  install, build, run the benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-boot}
jobs=$(nproc)

bash scripts/setup.sh

configure() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}

case "$what" in
  boot)
    configure build
    cmake --build build -j "$jobs"
    exec build/vmlab "${@:2}"
    ;;
  test)
    configure build -DVMLAB_WERROR=ON
    cmake --build build -j "$jobs"
    cd build && ctest --output-on-failure -j "$jobs"
    ;;
  asan)
    # The unit tests, the 80286 conformance vectors and the random-code fuzz campaign, all under
    # ASan+UBSan: guest-controlled input must never reach undefined behaviour in the host.
    configure build-asan -DVMLAB_WERROR=ON -DVMLAB_SANITIZE=ON -DVMLAB_BUILD_GUESTS=OFF
    cmake --build build-asan -j "$jobs" --target vmlab_unit_tests vmlab_conformance vmlab_fuzz
    cd build-asan && ctest --output-on-failure -j "$jobs" -L 'unit|conformance|fuzz'
    ;;
  bench)
    configure build
    cmake --build build -j "$jobs"
    bash bench/run.sh build
    ;;
  *) echo "usage: bash scripts/do.sh boot|test|asan|bench" >&2; exit 2 ;;
esac

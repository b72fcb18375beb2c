#!/usr/bin/env bash
# Developer build used while several people (or helper sessions) share one machine and work
# tree: builds are serialized with a lock so two never compete for the two cores.
#   bash scripts/dev-build.sh [ninja targets...]     (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f build-dev/build.ninja ] || cmake -S . -B build-dev -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMLAB_WERROR=ON >/dev/null
exec flock /tmp/vmlab-build.lock ninja -C build-dev -k 0 "$@"

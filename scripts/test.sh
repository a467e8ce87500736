#!/usr/bin/env bash
# Runs every test: installs and builds first, then ctest (C++: plan, oracle, host simulation,
# and GPU tests, which skip with a message when no GPU is present) and pytest (report scripts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
status=0
(cd "$build" && ctest --output-on-failure -j"$(nproc)" --timeout 600) || status=1
(cd "$root" && python3 -m pytest tests/python -q) || status=1
exit $status

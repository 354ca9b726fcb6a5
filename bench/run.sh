#!/usr/bin/env bash
# Run the wrk benchmark: bash bench/run.sh [--quick] [--rounds N] [--frameworks a,b] ...
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
bash "$BENCH_DIR/setup.sh"
# Recorded (with the arguments) in the results so a run can be repeated exactly.
export COVET_BENCH_ENTRY="bash bench/run.sh"
exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/run.py" "$@"

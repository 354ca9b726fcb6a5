#!/usr/bin/env bash
# Run the wrk benchmark: bash bench/run.sh [--quick] [--rounds N] [--frameworks a,b] ...
# Count instructions per request instead: bash bench/run.sh callgrind [--wire] [...]
# The production middleware stack against the bare app (issue 8): bash bench/run.sh stack [...]
# The PostgreSQL scenario (issue 9): bash bench/run.sh database [...]
# A JWT-protected route against the same route open (issue 10): bash bench/run.sh auth [...]
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
bash "$BENCH_DIR/setup.sh"
if [ "${1:-}" = "callgrind" ]; then
    shift
    export COVET_BENCH_ENTRY="bash bench/run.sh callgrind"
    exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/callgrind.py" "$@"
fi
if [ "${1:-}" = "stack" ]; then
    shift
    export COVET_BENCH_ENTRY="bash bench/run.sh stack"
    exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/stack.py" "$@"
fi
if [ "${1:-}" = "auth" ]; then
    shift
    export COVET_BENCH_ENTRY="bash bench/run.sh auth"
    exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/auth.py" "$@"
fi
if [ "${1:-}" = "database" ]; then
    shift
    export COVET_BENCH_ENTRY="bash bench/run.sh database"
    exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/database.py" "$@"
fi
# Recorded (with the arguments) in the results so a run can be repeated exactly.
export COVET_BENCH_ENTRY="bash bench/run.sh"
exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/run.py" "$@"

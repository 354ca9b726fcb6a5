#!/usr/bin/env bash
# Run the wrk benchmark: bash bench/run.sh [--quick] [--rounds N] [--frameworks a,b] ...
# Count instructions per request instead: bash bench/run.sh callgrind [--wire] [...]
# The production middleware stack against the bare app (issue 8): bash bench/run.sh stack [...]
# The PostgreSQL scenario (issue 9): bash bench/run.sh database [...]
# A JWT-protected route against the same route open (issue 10): bash bench/run.sh auth [...]
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
bash "$BENCH_DIR/setup.sh"
# A first argument naming a script runs it; anything else is run.py's (wrk) arguments.
# The command is recorded (with the arguments) in the results so a run can be repeated.
case "${1:-}" in
    callgrind | stack | auth | database)
        script="$1"
        shift
        export COVET_BENCH_ENTRY="bash bench/run.sh $script"
        exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/$script.py" "$@"
        ;;
esac
export COVET_BENCH_ENTRY="bash bench/run.sh"
exec "$BENCH_DIR/.venv/bin/python" "$BENCH_DIR/run.py" "$@"

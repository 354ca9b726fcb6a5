#!/usr/bin/env bash
# Create bench/.venv with the peer frameworks and an editable install of the repo.
#
# Idempotent: a stamp file records a hash of requirements.txt and the repo's pyproject.toml;
# when neither changed since the last successful install, nothing is done.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
VENV="$BENCH_DIR/.venv"
STAMP="$VENV/.bench-installed"
PYTHON="${PYTHON:-python3}"

want="$(cat "$BENCH_DIR/requirements.txt" "$REPO_DIR/pyproject.toml" | sha256sum | cut -d' ' -f1)"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    exit 0
fi

echo "bench/setup.sh: installing benchmark environment into $VENV" >&2
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet -r "$BENCH_DIR/requirements.txt"
# The postgres extra (SQLAlchemy, asyncpg) for database.py, auth (PyJWT) for auth.py.
"$VENV/bin/python" -m pip install --quiet -e "$(dirname "$0")/..[postgres,auth]"
echo "$want" > "$STAMP"
echo "bench/setup.sh: done" >&2

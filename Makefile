# Everything bootstraps from pyproject.toml into .venv; nothing hand-installed is assumed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/covet run examples.app:app --host 127.0.0.1 --port 8000 --no-access-log

lint: $(STAMP)
	$(BIN)/ruff check covet tests $(wildcard examples bench)
	$(BIN)/ruff format --check covet tests $(wildcard examples bench)

typecheck: $(STAMP)
	$(BIN)/mypy

# tests/openapi/test_docs_browser.py renders /docs in Debian's chromium. As root with apt-get
# it is installed when missing; otherwise a note is printed and the test skips (fails if CI=true).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser test (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null \
		|| { apt-get update -qq \
			&& apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
		|| echo "warning: could not install chromium; the browser test will skip (fail if CI=true)"; \
	else \
		echo "note: chromium not found; the browser test will skip (install it with:"; \
		echo "      sudo apt-get install --no-install-recommends chromium)"; \
	fi

pytest: $(STAMP) browser
	$(BIN)/pytest --cov=covet --cov-report=term:skip-covered

test: lint typecheck pytest

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage

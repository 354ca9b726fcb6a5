# Everything bootstraps from pyproject.toml into .venv; nothing hand-installed is assumed.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# `make test` and the other tools install the dev extra; `make run` only what the example needs
# (a server, and the database drivers: SQLite by default, DATABASE_URL for PostgreSQL/MariaDB).
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
# Which interpreter made the venv (version and installation); another one means a new venv.
VENV_PYTHON := $(VENV)/.python
WHICH_PYTHON := import sys; print(sys.version.split()[0], sys.base_prefix)

.PHONY: run test lint typecheck pytest docs browser bench clean FORCE

$(VENV_PYTHON): FORCE
	@want="$$($(PYTHON) -c '$(WHICH_PYTHON)')" || exit 1; \
	have="$$($(BIN)/python -c '$(WHICH_PYTHON)' 2>/dev/null)"; \
	if [ "$$want" != "$$have" ]; then \
		if [ -n "$$have" ]; then echo "$(VENV) was made by Python $$have; rebuilding it"; fi; \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) || exit 1; \
	fi; \
	[ "$$(cat $@ 2>/dev/null)" = "$$want" ] || echo "$$want" > $@

$(STAMP): $(VENV_PYTHON) pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

$(RUN_STAMP): $(VENV_PYTHON) pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[server,postgres,mysql]'
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/covet run examples.app:app --host 127.0.0.1 --port $(PORT) --no-access-log

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

# The documentation site (mkdocs.yml, docs/) into site/; --strict fails on any warning.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test: lint typecheck pytest docs

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage site

# alliance-sim: set-up, main job, tests and demo.
# `make run` and `make test` work on a fresh machine: they find a Python >= 3.12
# (PATH first, then pyenv's installed versions), build .venv from it and install the project.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8765
# Load the compiled kernel, or compile it once (saying so), before tests time or read stderr.
WARM = $(PY) -c 'from sim.model.compiled import ensure_kernel; ensure_kernel()'

# First Python >= 3.12 on PATH, else in pyenv's versions folder.
FIND_PYTHON = for cand in python3.13 python3.12 python3 python; do \
	  p=$$(command -v $$cand 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; \
	root=$$(pyenv root 2>/dev/null || echo $${PYENV_ROOT:-$$HOME/.pyenv}); \
	for p in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 $$root/versions/3.[2-9][0-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; exit 1

.PHONY: setup run test test-slow demo lint format validate pins clean-venv browser assets

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py scripts/fetch_solara_assets.py
	@py=$$( $(FIND_PYTHON) ) || { \
	  echo "error: no Python >= 3.12 found on PATH or in pyenv's versions." >&2; \
	  echo "Install one (for example 'pyenv install 3.12' or your system's python3.12 package) and run make again." >&2; \
	  exit 2; }; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || { echo "building $(VENV) from $$py"; $$py -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[demo,cluster,notebook,test]'
	@$(PY) scripts/fetch_solara_assets.py || echo "warning: the demo's front-end assets were not fetched (see above); only the demo needs them: it fetches them on its first start, or run 'make assets'" >&2
	@touch $(STAMP)

# Debian's chromium for the browser tests; installed with apt when CI=true (CI runs as root).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$${CI:-}" = "true" ]; then \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "note: /usr/bin/chromium not found; browser tests will skip (install with: sudo apt-get install chromium)"; fi

# The main job: the quickstart sweep (resumes if interrupted), then its report and figures.
run: setup
	$(VENV)/bin/alliance-sim sweep experiments/quickstart.toml
	$(VENV)/bin/alliance-sim report results/quickstart

test: setup browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(WARM)
	$(PY) -m pytest -q -m "not slow"

# The long statistical checks (marked slow); CI runs them after `make test`.
test-slow: setup
	$(WARM)
	$(PY) -m pytest -q -m slow

demo: setup
	$(VENV)/bin/alliance-sim demo --port $(PORT)

validate: setup
	$(VENV)/bin/alliance-sim validate

# Regenerate the seed-pinned regression values (after a deliberate change of results).
pins: setup
	$(PY) scripts/regenerate_pins.py --write

lint: setup
	$(VENV)/bin/ruff check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Solara's front-end assets, served locally (the demo makes no outside request).
assets: setup
	$(PY) scripts/fetch_solara_assets.py

clean-venv:
	rm -rf $(VENV)

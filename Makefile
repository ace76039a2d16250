# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATA_DIR ?= var
export DATA_DIR PORT

.PHONY: run test setup venv assets chromium wrk migrate demo serve worker lint audit lock bench bench-ranking clean

run: setup
	$(PY) -m app.cli run --host 127.0.0.1 --port $(PORT)

test: setup chromium lint
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

setup: $(VENV)/.installed assets

# Exactly the audited versions of requirements.lock (app + test + dev + bench extras, every file checked against its
# hash, setuptools included so the editable install builds from it too), then the app itself without deps.
# check_lock.py fails when pyproject.toml asks for something the lock lacks (run `make lock`).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) scripts/check_lock.py
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

# Regenerate the lock after editing the dependencies in pyproject.toml. Versions already in the lock are
# kept when they still fit; `make lock LOCK_ARGS=--upgrade` (or `--upgrade-package NAME`) moves them on.
lock:
	test -x $(PY) || python3 -m venv $(VENV)
	test -x $(VENV)/bin/pip-compile || $(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links --extra test --extra dev --extra bench --output-file requirements.lock $(LOCK_ARGS) pyproject.toml

# Static checks; `make test` runs them first. mypy keeps its cache in .mypy_cache.
lint: setup
	$(VENV)/bin/ruff check app tests bench scripts migrations
	$(VENV)/bin/mypy app
	$(VENV)/bin/bandit --quiet --recursive app --severity-level high
	$(PY) scripts/audit.py

# The locked versions against PyPI's vulnerability data (pip-audit); fails on any known vulnerability.
audit: setup
	AUDIT_STRICT=1 $(PY) scripts/audit.py

assets: node_modules/.package-lock.json
	mkdir -p app/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css app/static/vendor/pico.min.css

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Debian's Chromium for the browser tests (Playwright's own download does not work here).
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

migrate: setup
	$(PY) -m app.cli db upgrade

worker: setup
	$(PY) -m app.cli worker

demo: setup
	$(PY) -m app.cli demo

# Load benchmark (issue #7; not part of `make test`): seeds tremplin_bench and tremplin_bench_0_1 next to
# DATABASE_URL's database when they are missing (embedded servers when unset), then loads the main pages with
# wrk and writes bench/RESULTS.md. `make bench BENCH_ARGS=--quick` checks the harness in a few minutes.
bench: setup wrk
	$(PY) bench/seed.py --if-missing
	$(PY) bench/seed.py --scale 0.1 --if-missing
	$(PY) bench/run.py $(BENCH_ARGS)

# Debian's wrk, the load generator of `make bench`.
wrk:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi; }

# Times a 2,000-entry round's ranking and alpha in a scratch database next to DATABASE_URL's (dropped after).
bench-ranking: setup
	$(PY) bench/ranking.py

clean:
	rm -rf $(VENV) node_modules app/static/vendor

# Re-extract the strings and merge them into both catalogs; then translate the new French entries.
# Needs `make setup` once; does not depend on it, so a worktree sharing a venv never reinstalls anything.
messages:
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k lazy -k _ -k gettext -k "ngettext:1,2" --no-location --sort-output --omit-header -o app/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

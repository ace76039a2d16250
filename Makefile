# The two commands of the README: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
DATA_DIR ?= var
export DATA_DIR PORT

.PHONY: run test setup venv assets chromium wrk migrate demo serve worker lint bench bench-ranking clean

run: setup
	$(PY) -m app.cli run --host 127.0.0.1 --port $(PORT)

test: setup chromium
	$(PY) -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

setup: $(VENV)/.installed assets

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

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
	@$(PY) -c "import granian, pyinstrument" 2>/dev/null || $(PY) -m pip install --quiet 'granian>=2.8,<3' 'pyinstrument>=5.1,<6'
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
messages: setup
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k lazy -k _ -k gettext -k "ngettext:1,2" --no-location --sort-output --omit-header -o app/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete

# Two commands do all the set-up on a fresh Debian machine:
#   make run    set up, migrate, import content/, create demo accounts, serve on 127.0.0.1:5000
#   make test   set up the same way, then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := lms
# Debian packages the app needs: CJK fonts and HarfBuzz's subsetting library so
# WeasyPrint embeds small Chinese PDFs fast, Pango for WeasyPrint, Chromium for
# the browser tests.
SYSTEM_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 chromium libzbar0 poppler-utils
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

SERVE_BIND ?= 127.0.0.1:8000

LOADTEST_ARGS ?=
LOADTEST_SCALE_ARGS ?=

# The example host app's tests: a wheel built from a clean `git archive`, a
# fresh virtual environment holding only it, and a PostgreSQL database of their own.
HOST_VENV := .venv-host
HOST_APP_REF ?= HEAD
HOST_APP_DB ?= test_host_app
HOST_APP_DB_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(HOST_APP_DB)

.PHONY: lighthouse loadtest loadtest-reports loadtest-scale serve setup run test test-sqlite test-postgres test-host-app lint system-packages translations translations-update bench clean ralph-venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "Please install these Debian packages first: sudo apt-get install$$missing"; exit 1; \
	fi

translations: $(VENV)/.installed
	@$(PY) -m lms.catalogs compile

# Re-extract UI strings into the catalogs (then translate the new zh_CN entries).
translations-update: $(VENV)/.installed
	$(PY) -m lms.catalogs update

instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@

setup: system-packages $(VENV)/.installed translations

run: setup instance/secret_key
	LMS_SECRET_KEY=$$(cat instance/secret_key) $(FLASK) db upgrade
	LMS_SECRET_KEY=$$(cat instance/secret_key) $(FLASK) lms content import
	LMS_SECRET_KEY=$$(cat instance/secret_key) $(FLASK) lms demo
	LMS_SECRET_KEY=$$(cat instance/secret_key) $(FLASK) run --host $(HOST) --port $(PORT)

# The production shape, locally: gunicorn with several workers against the
# configured database (LMS_DATABASE_URL) and Redis (LMS_REDIS_URL).
serve: setup instance/secret_key
	LMS_SECRET_KEY=$${LMS_SECRET_KEY:-$$(cat instance/secret_key)} $(FLASK) db upgrade
	LMS_SECRET_KEY=$${LMS_SECRET_KEY:-$$(cat instance/secret_key)} $(FLASK) lms content import
	@# With Redis configured, the certificate PDF worker and the outbox worker
	@# (RQ: xAPI statements for a configured LRS, LTI scores for the platforms) run
	@# beside gunicorn, and so does the live case stream server (gevent,
	@# LMS_STREAM_BIND, default 127.0.0.1:8001) that nginx sends the streams to;
	@# all stop with it.
	export LMS_SECRET_KEY=$${LMS_SECRET_KEY:-$$(cat instance/secret_key)}; \
	workers=""; \
	if [ -n "$$LMS_REDIS_URL" ]; then \
	  $(FLASK) lms certificates worker & workers="$$workers $$!"; \
	  $(FLASK) lms outbox worker & workers="$$workers $$!"; fi; \
	$(VENV)/bin/gunicorn -c deploy/gunicorn-stream.conf.py "lms:create_app()" & workers="$$workers $$!"; \
	trap 'kill $$workers' EXIT INT TERM; \
	LMS_BIND=$(SERVE_BIND) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py "lms:create_app()"

# Ralph (a real xAPI LRS) for tests/interop/test_ralph_lrs.py, in its own venv: its
# pins do not sit beside ours. The test makes it too when it is missing.
ralph-venv:
	test -x .venv-ralph/bin/ralph || ($(PYTHON) -m venv .venv-ralph && \
	  .venv-ralph/bin/pip install "ralph-malph[cli,lrs]" requests)

# The suite runs on SQLite; in CI (or with LMS_TEST_DATABASE_URL set) it runs
# again on PostgreSQL, and fails rather than skips if PostgreSQL is unreachable.
test: setup
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$CI" ] || [ -n "$$LMS_TEST_DATABASE_URL" ]; then \
	  $(MAKE) --no-print-directory test-postgres && \
	  $(MAKE) --no-print-directory test-host-app; fi

test-sqlite:
	env -u LMS_TEST_DATABASE_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres:
	LMS_TEST_DATABASE_URL=$${LMS_TEST_DATABASE_URL:-$(PG_TEST_URL)} LMS_REQUIRE_POSTGRES=1 \
	  $(PY) -m pytest $(PYTEST_ARGS)

# The wheel is built from $(HOST_APP_REF) alone (no working-tree files), installed
# with nothing of the checkout on sys.path, and examples/host_app's own tests run
# from that folder.
test-host-app:
	@set -euo pipefail; build=$$(mktemp -d); trap 'rm -rf "$$build"' EXIT; \
	git archive $(HOST_APP_REF) | tar -x -C "$$build"; \
	rm -rf $(HOST_VENV) && $(PYTHON) -m venv $(HOST_VENV); \
	$(HOST_VENV)/bin/pip install --quiet --upgrade pip; \
	$(HOST_VENV)/bin/pip wheel --quiet --no-deps -w "$$build/dist" "$$build" > "$$build/wheel.log" 2>&1 \
	  || { cat "$$build/wheel.log"; exit 1; }; \
	wheel=$$(ls "$$build"/dist/lms-*.whl); echo "Built $$(basename $$wheel)"; \
	$(HOST_VENV)/bin/python -m zipfile -l "$$wheel" | awk 'NR>1 {split($$1, p, "/"); \
	  n[p[1] "/" (p[3] == "" ? "" : p[2])]++} END {for (k in n) print "  " n[k], k}' | sort -k2; \
	$(HOST_VENV)/bin/pip install --quiet "$$wheel[postgres]" -r examples/host_app/requirements.txt; \
	createdb -h 127.0.0.1 -U postgres $(HOST_APP_DB) 2>/dev/null || true; \
	cd examples/host_app && SHOP_TEST_DATABASE_URL=$(HOST_APP_DB_URL) \
	  ../../$(HOST_VENV)/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check lms tests loadtest examples
	$(VENV)/bin/ruff format --check lms tests loadtest examples

bench: setup
	$(PY) -m lms.bench

# Riders per core and verification throughput, on PostgreSQL + Redis, loopback only.
loadtest: setup
	$(PY) loadtest/run.py $(LOADTEST_ARGS)

# PostgreSQL at a million learners (seeded by COPY into its own database, lms_scale,
# dropped at the end): p95 of verification, home and a step save at 10k and 1M
# learners and their ratio, EXPLAIN of every hot query. About 10 minutes, 9 GB of disk.
loadtest-scale: setup
	$(PY) loadtest/scale.py $(LOADTEST_SCALE_ARGS)

# The course report and item analysis pages at N and 10N graded attempts, on a
# PostgreSQL database of their own (LMS_REPORTS_DATABASE, default lms_reports,
# dropped after); fails when a page costs more than 10x at 10x the attempts.
loadtest-reports: setup
	$(PY) loadtest/report_scale.py

# Lighthouse's mobile preset (npm lighthouse + Debian Chromium) on home, a
# lesson step, the one-question quiz screen and verification; median of 3 runs.
lighthouse: setup
	$(PY) loadtest/lighthouse.py

clean:
	rm -rf $(VENV) $(HOST_VENV) instance .pytest_cache

# The two commands: `make run` serves the demo site, `make test` runs every check.
# Each sets up what it needs on a fresh machine (Debian/Ubuntu; system packages need root).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/eventsite
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core fonts-noto-cjk
TEST_SYSTEM_PACKAGES := chromium poppler-utils zbar-tools

.PHONY: run test lint bench mutation worker system-packages test-system-packages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Installs the Debian packages that are missing; prints what to install where it cannot.
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get -o DPkg::Lock::Timeout=600 update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "Please install these system packages (as root):$$missing"; fi; \
	fi
endef

system-packages:
	$(call apt_install,$(SYSTEM_PACKAGES))

test-system-packages: system-packages
	$(call apt_install,$(TEST_SYSTEM_PACKAGES))
	@command -v npm >/dev/null || { echo "Node.js with npm is needed for the calendar and accessibility checks"; exit 1; }

.env:
	printf 'DJANGO_DEBUG=true\n' > .env

run: system-packages $(VENV)/.installed .env
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	$(PY) manage.py create_local_admin
	@echo "Serving http://127.0.0.1:8000  (organizer admin: http://127.0.0.1:8000/admin/)"
	$(PY) manage.py runserver 127.0.0.1:8000

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run

# The whole suite on PostgreSQL (with Redis, a Celery worker, SMTP and Chromium),
# then the unit layer again on the embedded SQLite default.
test: test-system-packages $(VENV)/.installed node_modules/.installed lint
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest
	$(VENV)/bin/pytest -m "not browser and not integration" -q

worker: $(VENV)/.installed
	$(VENV)/bin/celery -A eventsite worker --beat --loglevel=info

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles

# Measures the site on real servers on 127.0.0.1 and writes bench/RESULTS.md; see bench/README.md.
# Not part of `make test`: it fails on an incorrect result, never on speed. Needs PostgreSQL on 127.0.0.1:5432.
BENCH_SYSTEM_PACKAGES := wrk hyperfine time redis-server

bench: system-packages $(VENV)/.installed
	$(call apt_install,$(BENCH_SYSTEM_PACKAGES))
	$(PY) -m bench.run $(if $(BASELINE),--baseline $(BASELINE))

# Measures how many small changes (mutants) to the modules that keep the README's promises the unit tests
# notice, and writes tests/MUTATION.md; mutmut's settings are [tool.mutmut] in pyproject.toml. Not part of
# `make test`: a measurement, not a gate. Starts clean each time, so no verdict outlives the tests it came from.
# One module: make mutation MUTANTS='registration.tokens.*'
MUTATION_CHILDREN ?= 2

mutation: $(VENV)/.installed
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	$(PY) tests/mutation_report.py

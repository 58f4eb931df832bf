# Contact Your Client — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The web port; every process derives its addresses from WEB_PORT (config/settings/base.py).
PORT ?= 8000
WEB_PORT ?= $(PORT)
export WEB_PORT

.PHONY: install db run test lint audit migrate seed clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,local]"
	touch $@

# The policy engine's hot modules compiled with mypyc (policies/engine/accel.py): rebuilt when
# they change; without a C compiler the pure-Python engine runs (same answers, slower).
ENGINE_SOURCES := $(wildcard policies/engine/*.py)
var/accel/manifest.json: $(VENV)/.installed $(ENGINE_SOURCES)
	$(PY) -m policies.engine --optional

install: $(VENV)/.installed var/accel/manifest.json

# Without DATABASE_URL: the embedded PostgreSQL under var/pgdata (config/embedded_pg.py).
db: install
	@if [ -z "$$DATABASE_URL" ]; then $(PY) -m config.embedded_pg start >/dev/null; fi

migrate: db
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@echo "Portal: http://127.0.0.1:$(WEB_PORT)/  (Ctrl-C stops web, workers, beat and carrier)"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m config.stack start -f Procfile

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Known vulnerabilities in the installed dependencies fail; an unreachable advisory service
# is reported as NOT CHECKED and does not (.ci/audit, docs/reliability.md).
audit: install
	$(PY) .ci/audit

test: install lint audit db
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -m "not faults and not smoke" --cov --cov-report=term $(PYTEST_ARGS)
	@echo "--- fault-injection stage (real workers, carrier faults, SIGKILL, Redis restart) ---"
	$(VENV)/bin/pytest -m faults tests/faults -s $(PYTEST_ARGS)
	@echo "--- smoke stage: a fresh clone's make run, a text sent and delivered, YES and STOP ---"
	$(VENV)/bin/pytest -m smoke tests/smoke $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var/pgdata var/broker

# AquaCat: `make run` starts the portal on the embedded default; `make test` runs
# everything against real services. See README.md.

PYTHON_BIN ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
HOST ?= 127.0.0.1:8000
GPU ?= 0
INFERENCE_QUEUE ?= inference

.PHONY: install run user test lint format services-up services-down lock clean vendor worker-gpu

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON_BIN) >/dev/null || { echo "$(PYTHON_BIN) not found"; exit 1; }
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite, database search, a broker on a SQLite file,
# files in var/. The services' variables are cleared so nothing leaks in.
EMBEDDED := env -u DATABASE_URL -u SEARCH_URL -u CELERY_BROKER_URL -u CELERY_RESULT_BACKEND -u S3_BUCKET DEBUG=true

run: $(STAMP)
	$(EMBEDDED) $(PY) manage.py migrate --noinput
	$(EMBEDDED) $(PY) manage.py load_demo
	$(EMBEDDED) sh -c '$(PY) -m celery -A aquacat worker --loglevel=INFO --concurrency=1 & \
		worker=$$!; $(PY) -m celery -A aquacat beat --loglevel=INFO & \
		beat=$$!; trap "kill $$worker $$beat 2>/dev/null" EXIT INT TERM; \
		$(PY) manage.py runserver $(HOST)'

# An inference worker on one GPU (`make worker-gpu GPU=1`; one per GPU): a single
# process (--pool=solo), so CUDA starts in the process that uses it, never in a
# parent before a fork. Same environment as the portal (README, Workers).
worker-gpu: $(STAMP)
	CUDA_VISIBLE_DEVICES=$(GPU) INFERENCE_QUEUE=$(INFERENCE_QUEUE) $(PY) -m celery -A aquacat \
		worker -Q $(INFERENCE_QUEUE) --pool=solo -n gpu$(GPU)@%h --loglevel=INFO

# An account for the curator pages of the embedded portal (asks for a password).
user: $(STAMP)
	$(EMBEDDED) $(PY) manage.py migrate --noinput
	$(EMBEDDED) $(PY) manage.py createsuperuser

# Re-create the vendored web assets (Leaflet, Natural Earth land) from npm.
vendor:
	$(PYTHON_BIN) scripts/vendor-assets

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/bandit -q -r aquacat catalogue curation inference scripts bench --severity-level high

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

services-up: $(STAMP)
	$(PY) scripts/services up

services-down:
	$(PY) scripts/services down

# Services up, lint, the whole suite on PostgreSQL, the catalogue tests again on
# SQLite (the embedded default), services down (also when a step failed).
test: $(STAMP)
	$(PY) scripts/services up
	status=0; \
	eval "$$($(PY) scripts/services env)" && \
	$(MAKE) --no-print-directory lint && \
	$(PY) -m pytest $(PYTEST_ARGS) && \
	{ [ -n "$(PYTEST_ARGS)" ] || env -u DATABASE_URL $(PY) -m pytest tests/catalogue tests/search; } || status=$$?; \
	$(PY) scripts/services down; \
	exit $$status

# Re-resolve the pinned versions from the ranges in pyproject.toml.
lock:
	rm -rf .lock-venv && $(PYTHON_BIN) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet '.[dev]'
	.lock-venv/bin/pip freeze --exclude aquacat > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

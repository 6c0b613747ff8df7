# Finance+N partner-ecosystem portal. `make run` and `make test` work on a fresh machine
# with Python 3.11+; nothing else is needed for the embedded default.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test bench lint format messages venv worker migrate clean cluster-test
.PHONY: backup restore

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

migrate: venv
	$(BIN)/python manage.py migrate --noinput

## run: the product with demo data on the embedded default (web + Celery worker with beat)
run: migrate
	$(BIN)/python manage.py seed_demo
	@mkdir -p var
	@echo "Starting a Celery worker with beat (log: var/celery.log) and the web server on http://$(HOST):$(PORT)/"
	@$(BIN)/celery -A portal worker --beat -Q default,settlement --loglevel=INFO --concurrency=2 \
		--schedule=var/celerybeat-schedule > var/celery.log 2>&1 & \
		WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the whole suite (set DATABASE_URL for PostgreSQL, TEST_BROKER_URL for worker tests)
test: venv
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

## bench: benchmarks, printed as a table of ratios
bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python bin/private_imports.py
	$(BIN)/python manage.py makemigrations --check --dry-run

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## backup: one backup set (pg_dump -Fc, media tar, checksummed manifest) into BACKUP_DIR
## (default var/backups); KEEP=n removes all but the newest n sets. PostgreSQL only.
backup: venv
	$(BIN)/python manage.py backup $(if $(KEEP),--keep=$(KEEP))

## restore: BACKUP=<set folder> into an empty database (TARGET_DATABASE_URL, else DATABASE_URL)
## and media folder (TARGET_MEDIA_ROOT, else MEDIA_ROOT), then verify; FORCE=1 over existing data
restore: venv
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=var/backups/portal-<time> [TARGET_DATABASE_URL=postgres://…] [TARGET_MEDIA_ROOT=…] [FORCE=1]"; exit 2; }
	$(BIN)/python manage.py restore "$(BACKUP)" $(if $(FORCE),--force)

## messages: extract strings, fill Chinese from locale/zh_Hans/src/*.json, compile
messages: venv
	$(BIN)/python bin/messages.py

## cluster-test: the product as separate hosts (network namespaces: load balancer, two web, two
## worker, beat) on PostgreSQL, Redis and RabbitMQ; proves limits, revocation, settlement and
## webhooks survive scale-out and dying hosts (docs/cluster-test.md). Root; DATABASE_URL on PostgreSQL.
cluster-test: venv
	$(BIN)/python bin/cluster_test.py $(CLUSTER_ARGS)

worker: venv
	$(BIN)/celery -A portal worker --beat -Q default,settlement --loglevel=INFO

clean:
	rm -rf $(VENV) var staticfiles

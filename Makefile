# Jinqiao: every command a developer needs. `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)

.DEFAULT_GOAL := help
BENCHES := schedule rules provision cob api
.PHONY: help venv run test lint format typecheck bench clean-data $(addprefix bench-,$(BENCHES))

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'
	@echo "  make bench-NAME          Run one benchmark: $(BENCHES)"

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP) ## Create .venv and install the locked dependencies

run: $(STAMP) ## Run the product: web, worker and beat (embedded PostgreSQL if no DATABASE_URL)
	$(PY) -m config.devenv run

test: $(STAMP) ## Run the whole test suite (embedded PostgreSQL if no DATABASE_URL)
	$(PY) -m config.devenv exec $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## Format the code with ruff
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(STAMP) ## mypy with the Django stubs
	$(PY) -m config.devenv exec $(VENV)/bin/mypy core tenants config apiv1 billing onboarding frontend

bench: $(STAMP) ## Run every benchmark (figures, not pass/fail)
	$(PY) -m config.devenv exec $(PY) bench/run.py all

$(addprefix bench-,$(BENCHES)): bench-%: $(STAMP)
	$(PY) -m config.devenv exec $(PY) bench/run.py $*

openapi: $(STAMP) ## Export the API's OpenAPI document to docs/openapi.json
	$(PY) -m config.devenv exec $(PY) manage.py openapi_export

clean-data: ## Delete the embedded database and broker files under .data/
	rm -rf .data

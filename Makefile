# One entry point. `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo plan test test-slow lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/auditkit plan --stack demo
	$(BIN)/auditkit demo --reports reports

plan: $(STAMP)
	$(BIN)/auditkit plan --stack $(or $(STACK),demo)

# The suite without the tests marked slow (the fault matrices on the wire, fresh virtualenvs, whole-story
# subprocess runs), on every core (pytest-xdist: -n auto).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n auto

# The tests `make test` leaves out: CI runs them after it, so the whole suite runs there.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow -n auto

# mypy takes its targets from pyproject ([tool.mypy] packages): the `auditkit` package as it is imported.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	for b in cli_startup pack_preview scan_scaling org_scaling verify_vs_awscli verify_blind_spots evidence_year alert_evaluator review_week seal_day fault_tolerance; do \
		echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) reports .pytest_cache

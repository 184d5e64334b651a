# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := demo.db

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).lock
	LEDGER_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ledger import docs/examples/history.jsonl --rejects demo-rejects.jsonl || true
	LEDGER_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ledger member hp-0001 --as-of 2022-12-31
	LEDGER_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ledger member hp-0001 --as-of 2022-12-31 --known-at 2022-01-15

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check ledger commands projections api tests
	$(BIN)/ruff format --check ledger commands projections api tests
	$(BIN)/mypy ledger commands projections api

bench: $(STAMP)
	$(BIN)/python -m benchmarks.write_path

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).lock demo-rejects.jsonl

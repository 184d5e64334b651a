# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := demo.db

.PHONY: demo example test lint bench bench-full clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).lock
	$(BIN)/ledger demo --db sqlite:///$(DEMO_DB)
	$(BIN)/ledger report annual hp --year 2021 --lang vi --db sqlite:///$(DEMO_DB)
	@echo
	$(BIN)/ledger report annual hp --year 2021 --lang en --db sqlite:///$(DEMO_DB)
	@echo
	$(BIN)/ledger report quality hp --as-of 2022-01-31 --db sqlite:///$(DEMO_DB) --out demo-quality.txt
	@head -20 demo-quality.txt
	@echo
	@echo "Next, try these on the demo database (README.md, 'Using it', has more):"
	@echo "  export LEDGER_DATABASE_URL=sqlite:///$(DEMO_DB)"
	@echo "  $(BIN)/ledger member hp-m0000404 --as-of 2021-12-31 --known-at 2022-01-15   # a death reported late"
	@echo "  $(BIN)/ledger roster hp.d18 --as-of 2021-12-31 --lang en                   # a committee's roster"
	@echo "  $(BIN)/ledger report diff hp --year 2021 --known-at 2022-01-15             # the auditor's question"

example: $(STAMP)
	rm -f example.db example.db-wal example.db-shm example.db.lock
	$(BIN)/ledger import docs/examples/history.jsonl --db sqlite:///example.db
	$(BIN)/ledger member hp-0001 --as-of 2022-12-31 --db sqlite:///example.db
	$(BIN)/ledger member hp-0001 --as-of 2022-12-31 --known-at 2022-01-15 --db sqlite:///example.db

# The dashboard's browser tests drive Debian's Chromium (Playwright never downloads a browser).
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "make: could not install chromium; the browser tests skip (and fail in CI)"

# The outage tests stop a throwaway PostgreSQL server of their own: after the main suite.
test: $(STAMP) browser
	$(BIN)/pytest -m "not outage"
	$(BIN)/pytest -m outage tests/faults

lint: $(STAMP)
	$(BIN)/ruff check ledger storage commands projections api demo tests benchmarks
	$(BIN)/ruff format --check ledger storage commands projections api demo tests benchmarks
	$(BIN)/mypy ledger storage commands projections api demo

# The performance table of docs/benchmarks.md, each figure a ratio to a baseline of the same run.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.suite --json bench-results.json

bench-full: $(STAMP)
	$(BIN)/python -m benchmarks.suite --full --json bench-results-full.json

clean:
	rm -rf $(VENV) $(DEMO_DB)* example.db* demo-quality.txt bench-results*.json

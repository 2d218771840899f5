# The two commands: `make run` (everything, on embedded defaults) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run add-worker test test-durations test-unit bench migrate catalogue clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/schoolctl dev run

# One more notify worker on the stack `make run` is running (from another terminal).
add-worker: install
	$(BIN)/schoolctl dev add-worker

migrate: install
	$(BIN)/schoolctl dev migrate

# The suite in TEST_GROUPS pytest runs side by side, split by measured durations (shared/testing/test_groups.py).
TEST_GROUPS ?= 3

test: install
	$(BIN)/python -m shared.testing.test_groups --groups $(TEST_GROUPS) -- $(PYTEST_ARGS)

# The same, measuring every test's duration again for the split (tests/test_durations.json).
test-durations: install
	$(BIN)/python -m shared.testing.test_groups --groups $(TEST_GROUPS) -- --store-durations $(PYTEST_ARGS)

test-unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# The catalogue of RPC methods and events (docs/contracts/), generated from shared/contracts/.
catalogue: install
	$(BIN)/python -m shared.contracts.catalogue

BENCH_SCALE ?= small

bench: install
	BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python -m bench --scale $(BENCH_SCALE)

clean:
	rm -rf var .pytest_cache

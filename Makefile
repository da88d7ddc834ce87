# The two commands: `make report` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.gatebound-installed

.PHONY: report test portability lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gatebound needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/gatebound report --out build/report

test: $(STAMP)
	$(BIN)/python -m pytest

# the whole suite under every narrower NumPy SIMD dispatch and 1 or 2 BLAS threads (slow)
portability: $(STAMP)
	.ci/portability

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,compare]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf build $(VENV)

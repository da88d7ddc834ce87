# The two commands: `make report` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.gatebound-installed
PEERS  := $(VENV)/.gatebound-peers

.PHONY: report test portability lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gatebound needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

report: $(STAMP)
	$(BIN)/gatebound report --out build/report

# the reference modules that tests/test_numeric_peers.py (the gated linear recurrences) and
# tests/test_zoo*.py (torchrecurrent's 41 cells) compare against, without their dependencies
# (torch comes from the CPU wheel, never from here; xlstm's and recurrentgemma's other
# dependencies are only for CUDA, JAX or their models, and recurrentgemma's pin numpy < 2.4):
# pure-Python packages, a few hundred KB
$(PEERS): $(STAMP) Makefile
	$(BIN)/python -m pip install --quiet --no-deps 'einops>=0.8' 'mingru-pytorch==0.2.1' \
		'xlstm==2.0.6' 'recurrentgemma==1.0.1' 'jaxtyping>=0.2.36' 'wadler-lindig>=0.1' \
		'torchrecurrent==0.2.5'
	# numeric.from_onnx's reader and the runtime tests/test_onnx.py compares with (the
	# `test` extra of pyproject.toml; CPU wheels of a few tens of MB with their dependencies)
	$(BIN)/python -m pip install --quiet 'onnx>=1.16' 'onnxruntime>=1.17'
	# numeric.from_keras_file's reader (h5py) and the Keras 3 that tests/test_keras.py saves
	# and runs models with, on its JAX backend (CPU jaxlib); with their dependencies (scipy,
	# ml_dtypes, optree, rich...; about 600 MB), since Keras and JAX need them to run
	$(BIN)/python -m pip install --quiet 'h5py>=3.8' 'keras>=3.0,<4' 'jax>=0.4'
	# numeric.sweep's engine and store, which tests/test_sweep.py runs on a local Dask
	# cluster (the `sweep` extra of pyproject.toml; pure-Python wheels and numcodecs)
	$(BIN)/python -m pip install --quiet 'dask[distributed]>=2024.8' 'xarray>=2024.10' 'zarr>=3.1.3'
	@touch $(PEERS)

# the suite on TEST_JOBS processes (pytest-xdist); a file's tests stay together on one
# process, in order, sharing their module fixtures (the report builds, the killed children)
TEST_JOBS ?= 2
test: $(STAMP) $(PEERS)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

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

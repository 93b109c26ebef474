# `make demo` and `make test` each do all set-up on a fresh Debian machine.
# constraints.txt pins every direct and transitive dependency to the versions the suite passes with
# (`make lock` regenerates it); pyproject.toml keeps compatible ranges for installs into other environments.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
LOCK   := constraints.txt
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
# Quiet, reproducible pip: the lock's versions, no build isolation (the build backend comes from the lock too).
PIPFLAGS := --quiet --disable-pip-version-check

.PHONY: demo test setup system-deps bench lint lock test-latest clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install $(PIPFLAGS) -c $(LOCK) pip setuptools wheel
	$(PIP) install $(PIPFLAGS) -c $(LOCK) --no-build-isolation -e '.[test]'
	touch $(STAMP)

# The tests also export real models (a ResNet-18 and a vision transformer in plain torch, a transformers BERT)
# to ONNX: the [models] extra.
MODELS := $(VENV)/.models-installed
$(MODELS): $(STAMP)
	$(PIP) install $(PIPFLAGS) -c $(LOCK) --no-build-isolation -e '.[test,models]'
	touch $(MODELS)

# Icarus Verilog (cocotb simulator) and nextpnr-ice40 (FPGA place and route), where missing.
system-deps:
	@missing=""; \
	command -v iverilog >/dev/null 2>&1 || missing="$$missing iverilog"; \
	command -v nextpnr-ice40 >/dev/null 2>&1 || missing="$$missing nextpnr-ice40"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

setup: $(STAMP) system-deps

demo: setup
	$(VENV)/bin/accel demo

test: setup $(MODELS)
	$(PY) -m pytest -n 2 -q

bench: setup
	$(PY) -m benchmarks

# ruff (pyflakes and pycodestyle's error classes, configured in pyproject.toml) over the whole tree; .ci/run runs it.
lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Regenerate the lock: the newest releases pyproject.toml's ranges admit, in a fresh venv; the suite must pass
# with them before the new lock replaces the old one.
# LOCK_TORCH picks torch's release: 2.13.0, whose CPU build this kind of machine keeps on disk (a venv of about
# 2 GB instead of 6.5 GB with a CUDA build); `make lock LOCK_TORCH=torch` takes the newest the range admits.
LOCKVENV := build/venv-lock
LOCK_TORCH ?= torch==2.13.0
lock: system-deps
	rm -rf $(LOCKVENV)
	$(PYTHON) -m venv $(LOCKVENV)
	$(LOCKVENV)/bin/pip install $(PIPFLAGS) --upgrade pip setuptools wheel
	$(LOCKVENV)/bin/pip install $(PIPFLAGS) -e '.[test,models]' '$(LOCK_TORCH)'
	{ echo "# Exact versions the suite passes with: make lock writes this file; make demo and make test install from it."; \
	  echo "# Local version labels (+cpu) are dropped, so a machine without that build takes the registry's release."; \
	  $(LOCKVENV)/bin/pip freeze --all --exclude-editable | sed -E 's/\+[A-Za-z0-9.]+$$//' | LC_ALL=C sort -f; } > $(LOCK).new
	$(LOCKVENV)/bin/python -m pytest -n 2 -q
	mv $(LOCK).new $(LOCK)
	@echo "$(LOCK) regenerated; run make test to rebuild .venv from it"

# The suite against the newest upstream releases (unpinned), to see the next upstream break before users do.
# Not part of .ci/run.
LATESTVENV := build/venv-latest
test-latest: system-deps
	rm -rf $(LATESTVENV)
	$(PYTHON) -m venv $(LATESTVENV)
	$(LATESTVENV)/bin/pip install $(PIPFLAGS) --upgrade pip setuptools wheel
	$(LATESTVENV)/bin/pip install $(PIPFLAGS) -e '.[test,models]'
	$(LATESTVENV)/bin/pip list --format=freeze > build/latest-versions.txt
	$(LATESTVENV)/bin/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) build sim_build .pytest_cache $(LOCK).new

# Peers side by side (not part of `make test`): SCALE-Sim 3.0.0 (needs numpy < 2) and ZigZag 3.9.1 in their own
# venvs under build/peers, run on the same workloads as accel; figures go to the peers section of benchmarks/RESULTS.md.
PEERS    := build/peers
SCALESIM := $(PEERS)/scalesim/.installed
ZIGZAG   := $(PEERS)/zigzag/.installed
$(SCALESIM):
	$(PYTHON) -m venv $(PEERS)/scalesim
	$(PEERS)/scalesim/bin/pip install $(PIPFLAGS) 'scalesim==3.0.0' 'numpy<2'
	touch $@
$(ZIGZAG):
	$(PYTHON) -m venv $(PEERS)/zigzag
	$(PEERS)/zigzag/bin/pip install $(PIPFLAGS) 'zigzag-dse==3.9.1' six
	touch $@
.PHONY: peers
peers: setup $(SCALESIM) $(ZIGZAG)
	$(PY) -m benchmarks.peers

# The fuzz suite (tests/fuzz, also part of `make test`) wider: FUZZ_SCALE times its examples, still derandomized.
FUZZ_SCALE ?= 20
.PHONY: fuzz
fuzz: $(STAMP)
	ACCEL_FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest -n 2 -q -p no:cacheprovider tests/fuzz

# `make demo` and `make test` each do all set-up on a fresh Debian machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: demo test setup system-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

# The tests also export real models (torchvision ResNet-18, a transformers BERT) to ONNX: the [models] extra.
MODELS := $(VENV)/.models-installed
$(MODELS): $(STAMP)
	$(PIP) install --quiet -e '.[test,models]'
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

clean:
	rm -rf $(VENV) build sim_build .pytest_cache

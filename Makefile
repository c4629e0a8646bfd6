# sckpi — two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv when absent and install the kit with its dev extras (pip install -e ".[dev]").

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.sckpi-installed
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: demo test install lint bench clean-reports help

help:
	@echo "make demo   - install into .venv, run the pipeline on the bundled demo data, write HTML reports"
	@echo "make test   - install into .venv, run pytest and nbval over notebooks/"
	@echo "make lint   - ruff"
	@echo "make bench  - run the benchmarks in bench/ (prints figures)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sckpi needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/sckpi demo

test: install
	$(BIN)/python -m pytest tests --nbval-lax notebooks -p no:cacheprovider

lint: install
	$(BIN)/ruff check sckpi_helpers tests bench scripts

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-reports:
	rm -rf reports/*/ reports/index.html

# gongkai — two commands set up a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: site test lint bench serve check verify golden example clean

# The venv is rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/gongkai check --content content
	$(BIN)/gongkai build --content content --output _site

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(PY) -m pytest tests/bench -o addopts="" -o python_files="bench_*.py" --benchmark-only --benchmark-columns=min,mean,max,rounds

serve: site
	$(BIN)/gongkai serve --dir _site

check: $(STAMP)
	$(BIN)/gongkai check --content content

# Regenerate the synthetic parts of the example county (deterministic, seeded).
example: $(STAMP)
	$(PY) -m generator.example.county --out content
	$(PY) -m generator.example.year --content content --draws draws

clean:
	rm -rf _site .pytest_cache .mypy_cache .ruff_cache

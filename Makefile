# gongkai — two commands set up a fresh machine: `make site` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: site test test-exhaustive lint bench fuzz serve check example clean browser-deps crash-deps office-deps web-deps tsa-deps wheel-check

# The venv is rebuilt when pyproject.toml changes.
# The C accelerators (ledger/draw/_entities.c, _picks.c) need a compiler and OpenSSL's headers; without
# them the install still succeeds and the pure-Python path is used.
$(STAMP): pyproject.toml ledger/draw/_entities.c ledger/draw/_picks.c
	-@test -f /usr/include/openssl/sha.h && command -v cc >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq gcc libssl-dev >/dev/null)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[search,test,lint,bench]'
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/gongkai check --content content
	$(BIN)/gongkai build --content content --output _site

# Browser tests use Debian's chromium, fonts-noto-cjk (else Chinese renders as boxes) and axe-core from npm; install them when missing
# (the tests skip, saying why, where this is not possible).
browser-deps:
	-@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	-@fc-list :lang=zh 2>/dev/null | grep -q . || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null)
	-@test -f "$$(npm root -g 2>/dev/null)/axe-core/axe.min.js" || npm install -g --silent axe-core@4 >/dev/null 2>&1

# The crash test of tests/workflow/test_ledger_recovery.py injects faults with strace.
crash-deps:
	-@command -v strace >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq strace >/dev/null)

# Staff open our CSV/XLSX files in an office suite: tests/office.py opens them in LibreOffice Calc.
office-deps:
	-@command -v soffice >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc >/dev/null)

# tests/e2e/test_nginx.py serves the built site with Debian's nginx and docs/nginx/ (docs/deploy.md),
# with the Brotli module when Debian has it.
web-deps:
	-@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null)
	-@test -f /usr/lib/nginx/modules/ngx_http_brotli_filter_module.so || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libnginx-mod-http-brotli-filter >/dev/null 2>&1

# The example county's local time-stamping authority signs with `openssl ts -reply` at the
# recorded time of the example year, through libfaketime (docs/ledger.md §15.6).
tsa-deps:
	-@command -v faketime >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq faketime >/dev/null)

# One worker per core (pytest-xdist), each taking whole test files so module fixtures are built once.
test: $(STAMP) browser-deps crash-deps office-deps web-deps tsa-deps
	$(PY) -m pytest -q -n auto --dist loadfile

# The longer proofs left out of the default run to keep it under 15 minutes (CI runs them):
# the example year rebuilt byte for byte, in one process and office by office (the default run
# proves the office routing on small sites).
test-exhaustive: $(STAMP) browser-deps crash-deps office-deps web-deps tsa-deps
	$(PY) -m pytest -q -m exhaustive -n auto --dist load

# `pip install .` / `pipx install`: the wheel, installed into a fresh venv outside the checkout
# (dependencies from PyPI), must check and build sites exactly as the checkout does.
wheel-check: $(STAMP)
	$(PY) -m pytest -q -m packaging tests/packaging

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(STAMP)
	$(PY) -m pytest tests/bench -o addopts="" -o python_files="bench_*.py" --benchmark-only --benchmark-columns=min,mean,max,rounds

# The C that parses untrusted snapshot files (ledger/draw/_entities.c, and _picks.c), built with
# AddressSanitizer and UndefinedBehaviorSanitizer and fed mutated and random files for
# FUZZ_SECONDS, every acceptance compared with ledger/draw/reference.py (tests/fuzz/fuzz_c.py).
FUZZ_SECONDS ?= 40
FUZZ_DIR := build/fuzz
fuzz: $(STAMP)
	mkdir -p $(FUZZ_DIR)
	set -e; inc=$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["include"])'); \
	  ext=$$($(PY) -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))'); \
	  for m in _entities _picks; do \
	    cc -shared -fPIC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	      -fno-sanitize-recover=all -Wall -Wextra -Wno-unused-parameter -I"$$inc" \
	      ledger/draw/$$m.c -lcrypto -o $(FUZZ_DIR)/$$m$$ext; \
	  done
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  PYTHONMALLOC=malloc LD_PRELOAD="$$(cc -print-file-name=libasan.so) $$(cc -print-file-name=libubsan.so)" \
	  $(PY) tests/fuzz/fuzz_c.py $(FUZZ_DIR) $(FUZZ_SECONDS)

serve: site
	$(BIN)/gongkai serve --dir _site

check: $(STAMP)
	$(BIN)/gongkai check --content content

# Regenerate the synthetic parts of the example county (deterministic, seeded).
example: $(STAMP) tsa-deps
	$(PY) -m generator.example.county --out content
	$(PY) -m generator.example.offices --content content --draws draws

clean:
	rm -rf _site .pytest_cache .mypy_cache .ruff_cache

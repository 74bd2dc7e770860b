# kb — two commands do everything on a fresh machine:
#   make run    build the corpus store and both indexes from corpus/, then serve the search page
#   make test   install everything (incl. Chromium for browser tests) and run the whole test suite

PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
KB      := $(BIN)/kb
CORPUS  ?= corpus
HOST    ?= 127.0.0.1
PORT    ?= 5000
STAMP   := $(VENV)/.installed

.PHONY: setup run index test test-fast fuzz lint bench bench-full eval eval-draftcheck bench-draftcheck browser-deps clean

setup: $(STAMP)

# torch==2.13.0 first: it is the CPU build on this machine's disk. Installing it before
# sentence-transformers keeps pip from pulling several GB of CUDA packages.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,milvus]'
	touch $(STAMP)

index: setup
	$(KB) ingest $(CORPUS)
	$(KB) index

run: index
	$(KB) serve --host $(HOST) --port $(PORT)

# Debian's Chromium and CJK fonts for the Playwright browser tests, and LibreOffice to print the
# Word handout in a test (skipped when present).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/soffice ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk libreoffice-writer-nogui >/dev/null; \
	fi

test: setup browser-deps lint
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not slow and not browser"

# Hypothesis over the readers (random bytes and structured garbage per format), the query
# parser and the web parameters of every endpoint (tests/fuzz, marker `fuzz`). `make test`
# runs them too, with 100 examples per test (~2 minutes); this target runs FUZZ_EXAMPLES per
# test (a fifth of that per web endpoint) and prints how many cases ran.
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	KB_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -m fuzz tests/fuzz

# Style and the layers: ruff, then import-linter's contracts (pyproject.toml).
lint: setup
	$(BIN)/ruff check kb indexer web tests bench scripts
	$(BIN)/ruff format --check kb indexer web tests bench scripts
	$(BIN)/lint-imports

# Benchmarks (bench/): scale corpora generated from corpus/ and ../shared/dev-corpus/ into
# bench/work/ (git-ignored), results to bench/results/*.json and bench/results/README.md.
# `bench`: 10^4 and 10^5 passages, real-embedder throughput, ANN recall (~15-20 min on 2 cores).
# `bench-full`: adds 10^6 passages (~30 min, plus ~1 h for the HNSW graph of the ANN
# comparison; BENCH_ARGS="--ann fp16,sq8" skips that).
BENCH_ARGS ?=
bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	PYTHONPATH=. $(BIN)/python -m bench.run --sizes 10000 100000 $(BENCH_ARGS)

bench-full: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	PYTHONPATH=. $(BIN)/python -m bench.run --sizes 10000 100000 1000000 $(BENCH_ARGS)

# Relevance on the development set (tests/eval/): the seeds plus ../shared/dev-corpus/ (override
# with DEV_CORPUS=...) indexed into kbdata-eval/ (ignores itself in git); rewrites the table in
# docs/eval.md and in the README's "Relevance" section. ~2 min the first time, seconds after.
DEV_CORPUS ?= ../shared/dev-corpus
eval: setup
	$(BIN)/python scripts/eval_corpus.py --dev-corpus $(DEV_CORPUS)

# 对照检查: the leave-one-out evaluation (tests/eval/draftcheck/, on the `make eval` index,
# built when missing) rewrites tests/eval/draftcheck/results.md and the README's table; the
# benchmark checks a 10,000-character draft (bench/results/draftcheck.json).
eval-draftcheck: setup
	$(BIN)/python scripts/eval_draftcheck.py --dev-corpus $(DEV_CORPUS)

bench-draftcheck: setup
	KB_DEV_CORPUS=$(DEV_CORPUS) PYTHONPATH=. $(BIN)/python -m bench.draftcheck

clean:
	rm -rf kbdata .pytest_cache test-artifacts

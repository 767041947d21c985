# Two commands on a fresh machine: `make run` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
INDEX_DIR ?= $(or $(FAQBOT_INDEX_DIR),.faqbot/index)

.PHONY: install run serve index test lint bench clean

install: $(INSTALLED)

# Reinstalls when the declared dependencies change. torch is pinned in pyproject.toml.
$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Builds the index only when there is none this faqbot can load (none, or one of an older
# format or analyzer: its vectors are reused); `python -m index build` rebuilds on demand.
index: $(INSTALLED)
	$(PY) -m index build --if-needed --out $(INDEX_DIR)

run: index
	$(PY) app.py

# N replicas of the app behind nginx on 127.0.0.1 (README, "Replicas behind nginx").
REPLICAS ?= 2
PORT ?= 8080
serve: index
	$(PY) replicas.py --replicas $(REPLICAS) --port $(PORT)

test: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The benchmark also needs the naive baseline's model package and matplotlib.
$(VENV)/.bench-installed: $(INSTALLED)
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .faqbot .pytest_cache

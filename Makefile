# Every target uses the project's virtualenv; `make install` creates it.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test lint demo bench soak chaos check screenshots clean

install: $(BIN)/uns
$(BIN)/uns: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	@touch $@

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check uns tests bench
	$(BIN)/ruff format --check uns tests bench
	$(BIN)/mypy uns

check: install
	$(BIN)/uns check models

demo: install
	$(BIN)/uns demo

screenshots: install  # re-take docs/browser/*.png with the browser tests
	UNS_SCREENSHOTS=1 $(BIN)/pytest -q tests/integration/test_namespace_page_browser.py

bench: install
	$(BIN)/python bench/run_all.py

soak: install
	$(BIN)/python bench/soak.py

chaos: install  # adversarial suite against mosquitto + uns run; exits 1 on any loss
	$(BIN)/python bench/chaos.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

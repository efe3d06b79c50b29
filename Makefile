# The two commands of the README: `make test` and `make demo`.
# Each creates .venv on first use and reuses it afterwards.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The CPU build of torch is installed first and pinned for the rest of the
# set-up, so that no dependency can make pip pick a newer, CUDA-laden torch.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: test test-slow demo lint docs clean browser fairlearn-suite

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	echo "$(TORCH_SPEC)" > $(VENV)/constraints.txt
	$(PY) -m pip install --quiet -c $(VENV)/constraints.txt -e ".[dev,dask]"
	touch $(STAMP)

# The report tests open the HTML report in headless Chromium, and skip with the
# reason where it is missing. Installing it is a step of its own (CI runs it
# before `make test`): a test command installs no system package.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) 2>/dev/null \
	  || echo "chromium could not be installed: the browser tests will skip"; }

# The default run leaves out the tests marked slow (end-to-end runs on the
# bundled data, a dask cluster); CI runs them too, with `make test-slow`.
test: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

demo: $(STAMP)
	$(PY) -m skfairtune demo --overwrite

# fairlearn's own unit tests for fairlearn.metrics, run against ours (the suite
# and its README live in ../shared/fairlearn-suite): every test in scope must
# pass. Where the suite is not beside the checkout, it says so and skips.
SUITE ?= ../shared/fairlearn-suite
fairlearn-suite: $(STAMP)
	@if [ ! -f "$(SUITE)/run.sh" ]; then \
	  echo "$(SUITE) is missing: fairlearn's metric tests skipped"; exit 0; fi; \
	results=$$(mktemp -d); \
	RESULTS_DIR=$$results PYTHON=$(abspath $(PY)) bash $(SUITE)/run.sh >/dev/null || exit 1; \
	tail -n 3 $$results/summary.txt; \
	grep -Eq "^in-scope results: passed [0-9]+, failed 0, error 0$$" $$results/summary.txt

lint: $(STAMP)
	$(VENV)/bin/ruff check skfairtune tests benchmarks docs

docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -b html -q docs docs/_build/html

clean:
	rm -rf $(VENV) docs/_build .pytest_cache

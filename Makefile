VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export LEARNING_HOME ?= $(CURDIR)/.learning
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: install browser demo test ui bench clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# The CPU build of torch lies on disk; installing it first keeps pip from pulling a CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[train,embed,dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/learning-pipeline demo

# The dashboard test opens the page in Debian's headless Chromium; without it that test skips and says why.
browser:
	command -v chromium >/dev/null || (apt-get install -y chromium || (apt-get update && apt-get install -y chromium)) \
		|| echo "chromium could not be installed: the browser tests will skip"

test: install browser
	$(VENV)/bin/python -m pytest -q learning_pipeline_tests

# dagster dev (webserver + daemon: the sensors, schedules and automation turn the cycle) and the
# learning API, over the same LEARNING_HOME and the repository's instance config (written to
# DAGSTER_HOME when missing); Ctrl-C stops both (learning_pipeline/ui.py).
ui: install
	$(PY) -m learning_pipeline.ui --dagster-port $(or $(DAGSTER_PORT),3000) --api-port $(or $(API_PORT),8000)

bench: install
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf .learning .dagster_home

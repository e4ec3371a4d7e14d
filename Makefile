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

ui: install
	# The repository's instance config (its run-queue limits) in DAGSTER_HOME, as the CLI does it.
	$(PY) -c 'from learning_pipeline.config import LearningSettings; from learning_pipeline.runner import ensure_dagster_home; ensure_dagster_home(LearningSettings.from_env())'
	# dagster dev in its own process group, so Ctrl-C / SIGTERM reach the webserver and daemon.
	set -m; $(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: install
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf .learning .dagster_home

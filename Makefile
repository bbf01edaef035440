# One virtualenv for the whole platform; every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

CHROMIUM ?= /usr/bin/chromium

.PHONY: install browser run test bench loadtest env clean

# -qq: pip's errors only (its warnings are about this machine's pip setup, not the platform)
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "Installing the platform's dependencies into $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -qq --disable-pip-version-check --upgrade pip
	@$(VENV)/bin/pip install -qq --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed

browser:              ## Debian's Chromium, driven by Playwright in the browser tests
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

run: install          ## the whole platform with demo data on this machine
	@$(PY) -m deploy.local.run

test: install browser ## unit, integration, end-to-end, browser and deploy tests
	$(PY) -m pytest

bench: install        ## benchmarks, printed as ratios measured in one run
	$(PY) -m bench

loadtest: install     ## the deadline day under load: its own platform and data, steps of users, a table each (LOADTEST_ARGS="--candidates 5000 --applications 19000")
	$(PY) -m bench.deadline_day $(LOADTEST_ARGS)

env:                  ## .env for docker compose from .env.example, secrets drawn at random (an existing one is kept)
	$(PYTHON) -m deploy.env_file

clean:
	rm -rf $(VENV) var

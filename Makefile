# One virtualenv for the whole platform; every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: install run test bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install          ## the whole platform with demo data on this machine
	$(PY) -m deploy.local.run

test: install         ## unit, integration, end-to-end and deploy tests
	$(PY) -m pytest

bench: install        ## benchmarks, printed as ratios measured in one run
	$(PY) -m bench

clean:
	rm -rf $(VENV) var

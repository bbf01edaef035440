# One virtualenv for the whole platform; every target installs what it needs first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

CHROMIUM ?= /usr/bin/chromium
CLAMD    ?= /usr/sbin/clamd

.PHONY: install pdf-libs browser clamav run test bench loadtest env clean translations

# -qq: pip's errors only (its warnings are about this machine's pip setup, not the platform)
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@echo "Installing the platform's dependencies into $(VENV)..."
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -qq --disable-pip-version-check --upgrade pip
	@$(VENV)/bin/pip install -qq --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed pdf-libs

# WeasyPrint's native libraries and a font with the accents (documents' PDFs)
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
pdf-libs:             ## the Debian libraries WeasyPrint needs (documents' PDFs)
	@dpkg -s $(PDF_LIBS) >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $(PDF_LIBS); }

CATALOGUE := gateway/translations
POT       := $(CATALOGUE)/messages.pot
# -k: lazily translated texts (gateway/labels.py) besides _(), gettext(), pgettext()
translations: install ## extract the gateway's French texts, update the English catalogue, compile it
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k lazy_gettext -k lazy_pgettext:1c,2 \
	  --no-location --sort-output -o $(POT) .
	$(VENV)/bin/pybabel -q update -i $(POT) -d $(CATALOGUE) --no-fuzzy-matching --ignore-obsolete \
	  --ignore-pot-creation-date --width 100
	$(VENV)/bin/pybabel compile -d $(CATALOGUE) --statistics

browser:              ## Debian's Chromium, driven by Playwright in the browser tests
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

clamav:               ## Debian's ClamAV daemon: uploads are scanned by a local clamd (test signatures only)
	@test -x $(CLAMD) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq clamav-daemon; }

run: install clamav   ## the whole platform with demo data on this machine (DEMO_SIZE=large: a campaign of 75,000 applications)
	@$(PY) -m deploy.local.run

test: install browser clamav ## unit, integration, end-to-end, browser and deploy tests
	$(PY) -m pytest

bench: install        ## benchmarks, printed as ratios measured in one run
	$(PY) -m bench

loadtest: install     ## the deadline day under load: its own platform and data, steps of users, a table each (LOADTEST_ARGS="--candidates 5000 --applications 19000")
	$(PY) -m bench.deadline_day $(LOADTEST_ARGS)

env:                  ## .env for docker compose from .env.example, secrets drawn at random (an existing one is kept)
	$(PYTHON) -m deploy.env_file

clean:
	rm -rf $(VENV) var

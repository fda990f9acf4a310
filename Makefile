# gameops.pterodactyl: developer and CI entry points.
#   make demo   run playbooks/demo.yml against a local sandbox panel through the inventory plugin
#   make test   everything CI checks (.ci/run runs exactly this)
#   make docs   the collection's documentation site, offline: .build/docs/build/html/index.html

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest
# Test processes per pytest run (pytest-xdist). The integration and sandbox tests mostly wait on
# sandboxes and game processes, so 3 workers keep 2 cores busy; `make test XDIST=0` runs them one by one.
XDIST ?= 3
XDIST_ARGS := $(if $(filter 0,$(XDIST)),,-n $(XDIST))
COLLECTIONS := .build/collections
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PATH := $(CURDIR)/$(BIN):$(PATH)

REQUIREMENTS := requirements.txt requirements-dev.txt sandbox/requirements.txt

.PHONY: help venv collection test lint sanity units test-sandbox integration demo bench \
        test-matrix build changelog-lint ruff format clean browser docs

help:
	@sed -n 's/^#   //p' Makefile

venv: $(VENV)/.installed

$(VENV)/.installed: $(REQUIREMENTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# The collection as Ansible finds it: ansible_collections/gameops/pterodactyl -> this checkout.
collection: $(COLLECTIONS)/ansible_collections/gameops/pterodactyl

$(COLLECTIONS)/ansible_collections/gameops/pterodactyl:
	mkdir -p $(@D)
	ln -sfn $(CURDIR) $@

test: venv collection lint docs sanity units test-sandbox integration

lint: venv collection changelog-lint ruff
	$(BIN)/ansible-lint --offline --profile production

# Python lint and format (settings in pyproject.toml); `make format` rewrites the files.
ruff: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# The docsite published collections have (antsibull-docs + Sphinx): one page per module, role and
# plugin from their own DOCUMENTATION, offline, any warning an error (hack/docs.sh). The browser
# test of the fleet report opens one of its pages.
docs: venv collection
	VENV=$(abspath $(VENV)) bash hack/docs.sh

sanity: venv
	VENV=$(CURDIR)/$(VENV) bash hack/sanity.sh

units: venv collection
	$(PYTEST) $(XDIST_ARGS) tests/unit

test-sandbox: venv
	$(PYTEST) $(XDIST_ARGS) $(if $(XDIST_ARGS),--dist loadfile) tests/sandbox

# Headless Chromium from Debian's packages, for the browser test of the fleet report
# (tests/integration_py/test_report_browser.py drives it over the DevTools protocol: no chromedriver).
# Installed when missing (CI runs as root on a clean Debian machine); without apt-get the target only
# warns, and the browser test fails saying why.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

browser:
	@if [ -x $(CHROMIUM) ]; then \
		echo "browser: $$($(CHROMIUM) --version 2>/dev/null || echo $(CHROMIUM))"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		set -x; \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	else \
		echo "browser: $(CHROMIUM) is missing and there is no apt-get to install it;" \
			"the browser test will fail (install Debian's chromium package)" >&2; \
	fi

integration: venv collection browser
	$(PYTEST) $(XDIST_ARGS) $(if $(XDIST_ARGS),--dist load) tests/integration
	$(PYTEST) $(XDIST_ARGS) $(if $(XDIST_ARGS),--dist loadfile) tests/integration_py

test-matrix: venv
	bash hack/matrix.sh

demo: venv collection
	$(BIN)/python -m hack.demo

bench: venv collection
	$(BIN)/python -m bench.run

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

clean:
	rm -rf .build tests/output .pytest_cache

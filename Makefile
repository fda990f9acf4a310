# gameops.pterodactyl: developer and CI entry points.
#   make demo   run playbooks/demo.yml against a local sandbox panel through the inventory plugin
#   make test   everything CI checks (.ci/run runs exactly this)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST := $(BIN)/python -m pytest
COLLECTIONS := .build/collections
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(COLLECTIONS)
export PATH := $(CURDIR)/$(BIN):$(PATH)

REQUIREMENTS := requirements.txt requirements-dev.txt sandbox/requirements.txt

.PHONY: help venv collection test lint sanity units test-sandbox integration demo bench \
        test-matrix build changelog-lint ruff format clean

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

test: venv collection lint sanity units test-sandbox integration

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

sanity: venv
	VENV=$(CURDIR)/$(VENV) bash hack/sanity.sh

units: venv collection
	$(PYTEST) tests/unit

test-sandbox: venv
	$(PYTEST) tests/sandbox

integration: venv collection
	$(PYTEST) tests/integration
	$(PYTEST) tests/integration_py

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

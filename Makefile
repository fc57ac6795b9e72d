# tidy.docker developer entry points; CI runs `make test` (.ci/run).
#   make test                      sanity, lint, unit, integration (also under ansible-core 2.16), engine and Molecule tests (scripts/test.sh)
#   make integration ARGS=image_info   one stage, extra arguments passed to it
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= $(CURDIR)/.venv
SANDBOX := $(CURDIR)/.sandbox
ARGS    ?=

.PHONY: help setup test sanity lint units integration core216 engine compat connections molecule podman sandbox sandbox-stop demo bench build docs clean

help:
	@echo "make setup         install docker.io, busybox-static, docker-registry, debootstrap, ssh, podman, catatonit (apt), .venv, .venv-core216, ansible-test stand-in"
	@echo "make test          the whole suite: sanity, lint, units, integration, core216, engine, compat, connections, molecule, podman (scripts/test.sh)"
	@echo "make sanity|lint|units|integration|core216|engine|compat|connections|molecule|podman [ARGS=...]   one stage"
	@echo "                   (lint: ansible-lint production profile, antsibull-docs, antsibull-changelog;"
	@echo "                    molecule: the scenarios of extensions/molecule/, ARGS=fleet for one)"
	@echo "make sandbox       persistent private engine in .sandbox/ seeded with clutter; prints the exports to use it"
	@echo "make sandbox-stop  stop it and remove .sandbox/"
	@echo "make demo          throwaway engine + clutter: the host, the clean_host plan, the run, the rerun (scripts/demo.sh)"
	@echo "make bench         benchmarks by hand, not part of make test (bench/README.md; ARGS=--sizes 500x150 ...)"
	@echo "make build         ansible-galaxy collection build into .tmp/"
	@echo "make docs          regenerate docs/modules/NAME.md from the modules' DOCUMENTATION, EXAMPLES and RETURN"
	@echo "make clean         stop the sandbox, remove .tmp/ and tests/output/"

setup:
	@bash scripts/setup.sh

test:
	@bash scripts/test.sh $(ARGS)

sanity lint units integration core216 engine compat connections molecule podman:
	@STAGES=$@ bash scripts/test.sh $(ARGS)

sandbox: setup
	@bash scripts/engine.sh start $(SANDBOX)
	@$(VENV)/bin/python scripts/seed.py --docker-host unix://$(SANDBOX)/docker.sock --profile clutter
	@mkdir -p $(SANDBOX)/collections/ansible_collections/tidy
	@ln -sfn $(CURDIR) $(SANDBOX)/collections/ansible_collections/tidy/docker
	@echo "# point your shell at it (the collection is this checkout, through .sandbox/collections):"
	@echo "export DOCKER_HOST=unix://$(SANDBOX)/docker.sock ANSIBLE_COLLECTIONS_PATH=$(SANDBOX)/collections PATH=$(VENV)/bin:\$$PATH"

sandbox-stop:
	@bash scripts/engine.sh stop $(SANDBOX)

demo: setup
	@bash scripts/demo.sh

bench: setup
	@$(VENV)/bin/python bench/run.py $(ARGS)

build: setup
	@mkdir -p .tmp
	@$(VENV)/bin/ansible-galaxy collection build --force --output-path .tmp

docs: setup
	@$(VENV)/bin/python scripts/module_docs.py

clean:
	@if [ -e $(SANDBOX) ]; then bash scripts/engine.sh stop $(SANDBOX); fi
	@rm -rf .tmp tests/output .pytest_cache .hypothesis collections

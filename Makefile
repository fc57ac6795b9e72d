# tidy.docker developer entry points; CI runs `make test` (.ci/run).
#   make test                      sanity + unit + integration tests (scripts/test.sh)
#   make integration ARGS=image_info   one stage, extra arguments passed to it
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= $(CURDIR)/.venv
SANDBOX := $(CURDIR)/.sandbox
ARGS    ?=

.PHONY: help setup test sanity units integration engine sandbox sandbox-stop demo build clean

help:
	@echo "make setup         install docker.io/busybox-static/docker-registry (apt), .venv, ansible-test stand-in"
	@echo "make test          the whole suite: sanity, units, integration, engine (scripts/test.sh)"
	@echo "make sanity|units|integration|engine [ARGS=...]   one stage"
	@echo "make sandbox       persistent private engine in .sandbox/ seeded with clutter"
	@echo "make sandbox-stop  stop it and remove .sandbox/"
	@echo "make demo          throwaway engine + clutter + the info modules (scripts/demo.sh)"
	@echo "make build         ansible-galaxy collection build into .tmp/"
	@echo "make clean         stop the sandbox, remove .tmp/ and tests/output/"

setup:
	@bash scripts/setup.sh

test:
	@bash scripts/test.sh $(ARGS)

sanity units integration engine:
	@STAGES=$@ bash scripts/test.sh $(ARGS)

sandbox: setup
	@bash scripts/engine.sh start $(SANDBOX)
	@$(VENV)/bin/python scripts/seed.py --docker-host unix://$(SANDBOX)/docker.sock --profile clutter
	@echo "export DOCKER_HOST=unix://$(SANDBOX)/docker.sock"

sandbox-stop:
	@bash scripts/engine.sh stop $(SANDBOX)

demo: setup
	@bash scripts/demo.sh

build: setup
	@mkdir -p .tmp
	@$(VENV)/bin/ansible-galaxy collection build --force --output-path .tmp

clean:
	@if [ -e $(SANDBOX) ]; then bash scripts/engine.sh stop $(SANDBOX); fi
	@rm -rf .tmp tests/output .pytest_cache .hypothesis collections

# Zero-downtime deployments on Kubernetes: the workshop, driven from here. `make help` lists it all.

# Image name and, where no registry is reachable, a local Python base image to build from.
IMAGE ?= myapp
PYTHON_IMAGE ?=
# Where the Service answers on every supported cluster (NodePort 30080 on 127.0.0.1).
URL ?= http://127.0.0.1:30080
KUBECTL ?= kubectl
KIND ?= kind
KIND_CLUSTER ?= zero-downtime
# A kindest/node image to pin the Kubernetes version of `make cluster` (empty: kind's default).
KIND_NODE_IMAGE ?=
ROLLOUT_TIMEOUT ?= 180s
PYTHON ?= python3
VENV ?= .venv

# Default VERSION for the deploy targets: the other one than what runs now (1 if nothing does),
# so repeating `make deploy-safe` rolls 1 -> 2 -> 1. Only evaluated when a deploy target runs.
RUNNING_VERSION = $(shell $(KUBECTL) get deployment myapp --request-timeout=5s -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null | sed 's/.*://')
VERSION ?= $(if $(filter 1,$(RUNNING_VERSION)),2,1)

KIND_CONTEXT = $(filter kind-%,$(shell $(KUBECTL) config current-context 2>/dev/null))

# $(call require,TOOL,how to get it): stop with one clear line when TOOL is not installed.
require = $(if $(shell command -v $(1) 2>/dev/null),,$(error $(1) not found: $(2)))
NEED_DOCKER = $(call require,docker,install Docker (Engine or Desktop) from https://docs.docker.com/get-docker/)
NEED_KUBECTL = $(call require,$(KUBECTL),install kubectl from https://kubernetes.io/docs/tasks/tools/)
NEED_KIND = $(call require,$(KIND),install kind from https://kind.sigs.k8s.io/docs/user/quick-start/#installation)

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m [VAR=value]\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Images

# $(call build,VERSION,STARTUP_DELAY,BROKEN)
build = docker build $(if $(PYTHON_IMAGE),--build-arg PYTHON_IMAGE=$(PYTHON_IMAGE)) \
	--build-arg APP_VERSION=$(1) --build-arg STARTUP_DELAY=$(2) --build-arg BROKEN=$(3) -t $(IMAGE):$(1) .

.PHONY: build-v1
build-v1: ## Build myapp:1 ("Money is pouring in!", ready at once)
	$(NEED_DOCKER)
	$(call build,1,0,false)

.PHONY: build-v2
build-v2: ## Build myapp:2 ("More Money is pouring in!", 20 s warm-up)
	$(NEED_DOCKER)
	$(call build,2,20,false)

.PHONY: build-v3
build-v3: ## Build myapp:3, a broken release for the drills (/ fails with 500, never ready)
	$(NEED_DOCKER)
	$(call build,3,0,true)

.PHONY: run-v1
run-v1: ## Run myapp:1 on http://127.0.0.1:8080 (Ctrl-C stops it)
	$(NEED_DOCKER)
	docker run --rm -p 127.0.0.1:8080:8080 $(IMAGE):1

.PHONY: run-v2
run-v2: ## Run myapp:2 on http://127.0.0.1:8080 (refuses connections for 20 s first)
	$(NEED_DOCKER)
	docker run --rm -p 127.0.0.1:8080:8080 $(IMAGE):2

##@ Development

.PHONY: test
test: $(VENV)/.installed ## Run all tests (Docker and cluster tests skip, with a reason, where those are missing)
	$(VENV)/bin/python -m pytest

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(call require,$(PYTHON),install Python 3.11 or newer from https://www.python.org/downloads/)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

.PHONY: lint
lint: $(VENV)/.installed ## Check style and formatting of all Python (ruff)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Zero-downtime deployments on Kubernetes: the workshop, driven from here. `make help` lists it all.

# GNU make 3.81 (Apple's /usr/bin/make) ignores .SHELLFLAGS below without a word, so recipes
# would go on after a failure. 3.82 added .SHELLFLAGS and, in .FEATURES, `undefine` (its NEWS).
ifeq ($(filter undefine,$(.FEATURES)),)
$(error GNU make $(MAKE_VERSION) is too old for this Makefile (it ignores .SHELLFLAGS): brew install make, then run gmake instead of make (docs/troubleshooting.md#make))
endif

# Every recipe in bash, stopping at the first failing command, also inside a pipe.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
# The tools run their own targets (a scenario's deploys) with the make that started them: gmake
# on a Mac, where `make` is Apple's 3.81 (tools/cluster.py reads it).
export MAKE

# Image name and, where no registry is reachable, a local Python base image to build from.
IMAGE ?= myapp
PYTHON_IMAGE ?=
KUBECTL ?= kubectl
KIND ?= kind
KIND_CLUSTER ?= zero-downtime
# The node image of `make cluster`, and so its Kubernetes: kind v0.33.0's default, pinned, so
# that a newer kind still uses the image `make prefetch` pulled before the day.
KIND_NODE_IMAGE ?= $(KIND_DEFAULT_NODE_IMAGE)
KIND_DEFAULT_NODE_IMAGE = kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5
# Nodes of `make cluster`: 1 runs everything on one node; 2 to 5 are one control plane and
# workers for the pods (the drain drill needs two workers: NODES=3).
NODES ?= 1
# kube-proxy's mode in `make cluster` (kind's networking.kubeProxyMode): iptables, kubeadm's
# default, or nftables (GA in Kubernetes 1.33).
PROXY_MODE ?= iptables
ROLLOUT_TIMEOUT ?= 180s
PYTHON ?= python3
VENV ?= .venv
# Where make watch, the demo and the drills send traffic, and how many requests/s. Empty: the
# tools' defaults, set in tools/defaults.py.
URL ?=
RATE ?=
RATE_ARG = $(if $(RATE),--rate $(RATE))
SCENARIO_TRAFFIC = $(if $(URL),--url $(URL)) $(RATE_ARG)
# Extra options for the watcher (e.g. --keepalive --concurrency 4) and the demo/drills.
WATCH_ARGS ?=
SCENARIO_ARGS ?=
# A manifest of your own for `make deploy` (a Deployment named myapp, and its PDB if any), and
# a lab for `make check` (labs/README.md).
FILE ?=
LAB ?=
# Extra pytest arguments for make test, e.g. PYTEST_ARGS="-m 'not cluster'" or "-k drills".
PYTEST_ARGS ?=
# The established load generator make crosscheck compares the watcher with (its Go module:
# go install github.com/tsenart/vegeta/v12@v12.13.0).
VEGETA ?= vegeta
# Where make demo and the drills write their results (JSON) and picture (SVG), and under what
# name (empty: the target's, e.g. results/demo.json).
RESULTS ?= results
RESULTS_NAME ?=
# Where make report keeps what it measured: the results files that the docs' tables are
# generated from (tools/report.py), and the pictures the docs show.
REPORT ?= docs/report
# The oldest and newest Kubernetes the kit supports, those kind v0.33.0 publishes node images
# for (README): make lint validates the manifests against the schemas of both.
KUBERNETES_OLDEST ?= 1.34
KUBERNETES_NEWEST ?= 1.37

# The version the deploy targets roll to, 1 or 2 (3: the drills' broken release). Empty: the
# other one than what runs now (1 if nothing does), so `make deploy-safe` rolls 1 -> 2 -> 1.
VERSION ?=
# The app's warm-up in seconds for the deploy targets, instead of its image's (20 for myapp:2):
# e.g. STARTUP_DELAY=5 for a quicker rollout. The end-to-end tests set it where the warm-up's
# length is not what they show.
STARTUP_DELAY ?=

# Name a cluster that is not a local workshop cluster to let the targets change it (CONTEXT=name).
CONTEXT ?=
# First line of every target that changes a cluster: tools/context_guard.py refuses, in one line
# and before anything reaches the cluster, a kubectl context that is not a local workshop cluster
# unless CONTEXT names it. The tools and the end-to-end tests ask the same guard. It sees what the
# recipes see: make before 4.4 exports no variable to $(shell), not even one given on its command
# line, so KUBECTL, KUBECONFIG and CONTEXT are handed over here.
GUARD = $(NEED_PYTHON)$(call refuse_if,$(shell $(KUBE_ENV) CONTEXT='$(CONTEXT)' \
	$(PYTHON) -m tools.context_guard 2>&1))
KUBE_ENV = KUBECTL='$(KUBECTL)' $(if $(KUBECONFIG),KUBECONFIG='$(KUBECONFIG)')
refuse_if = $(if $(1),$(error $(1)))

# $(call require,TOOL,how to get it): stop with one clear line when TOOL is not installed.
require = $(if $(shell command -v $(1) 2>/dev/null),,$(error $(1) not found: $(2)))
NEED_DOCKER = $(call require,docker,install Docker (Engine or Desktop) from https://docs.docker.com/get-docker/)
NEED_KUBECTL = $(call require,$(firstword $(KUBECTL)),install kubectl from https://kubernetes.io/docs/tasks/tools/)
KIND_HINT = install kind from https://kind.sigs.k8s.io/docs/user/quick-start/\#installation
NEED_KIND = $(call require,$(KIND),$(KIND_HINT))
# The watcher and the scenarios need Python 3.11+ (macOS still ships 3.9 as python3).
NEED_PYTHON = $(if $(shell $(PYTHON) -c 'import sys; print(sys.version_info >= (3, 11))' 2>/dev/null | grep True),,$(error $(PYTHON) is missing or older than 3.11: install Python 3.11 or newer from https://www.python.org/downloads/, or pass PYTHON=python3.12))

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m [VAR=value]\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

# Without NEED_PYTHON: doctor runs on Python 3.8+ so that it can tell a 3.9 or 3.10 user what to
# install; only an interpreter too old even for doctor stops here, in one line.
.PHONY: doctor
doctor: ## Check this machine for the workshop: tools, Docker, port 30080, kubectl's context, images
	$(call require,$(PYTHON),install Python 3.11 or newer (docs/troubleshooting.md#python))
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null || { \
		echo "error: $(PYTHON) is too old even for make doctor: install Python 3.11 or newer (docs/troubleshooting.md#python)" >&2; exit 1; }
	@KUBECTL='$(KUBECTL)' $(PYTHON) -m tools.doctor --python '$(PYTHON)' --make '$(MAKE)' \
		--kind '$(KIND)' --kind-cluster '$(KIND_CLUSTER)' --image '$(IMAGE)' \
		--node-image '$(KIND_NODE_IMAGE)'

# What the workshop downloads, fetched before the day (at home, not 30 laptops on the venue's
# Wi-Fi): the Dockerfile's base image, kind v0.33.0's default node image (the digest the GitHub
# workflow pins; KIND_NODE_IMAGE or PYTHON_IMAGE name others), and the wheels `make test` and
# `make lint` install. SAVE=1 also writes the images to PREFETCH_DIR/images.tar, tagged without
# their digest, for a facilitator's offline copy (`docker load -i`: docs/facilitator.md).
PREFETCH_DIR ?= prefetch
PREFETCH_IMAGES = $(or $(PYTHON_IMAGE),$(shell sed -n 's/^ARG PYTHON_IMAGE=//p' Dockerfile)) $(or $(KIND_NODE_IMAGE),$(KIND_DEFAULT_NODE_IMAGE))

# The images come first: they are the big download, and a laptop without ensurepip (a bare
# Debian, Ubuntu or WSL) stops at the virtualenv, after them.
.PHONY: prefetch
prefetch: ## Before the day: pull the images and wheels the workshop needs (SAVE=1: also into PREFETCH_DIR)
	$(NEED_DOCKER)
	@docker info >/dev/null 2>&1 || { echo "error: Docker is not running: start Docker Desktop (or dockerd), then run make prefetch again" >&2; exit 1; }
	@for image in $(PREFETCH_IMAGES); do echo "pulling $$image"; docker pull -q "$$image" >/dev/null; done
	@$(if $(SAVE),mkdir -p $(PREFETCH_DIR); for image in $(PREFETCH_IMAGES); do docker tag "$$image" "$${image%@*}"; done; \
		docker save -o $(PREFETCH_DIR)/images.tar $(foreach image,$(PREFETCH_IMAGES),$(firstword $(subst @, ,$(image)))); \
		echo "saved $(PREFETCH_DIR)/images.tar: docker load -i $(PREFETCH_DIR)/images.tar")
	@$(MAKE) --no-print-directory $(VENV)/.installed
	$(VENV)/bin/pip download --quiet --disable-pip-version-check -d $(PREFETCH_DIR)/wheels -r requirements-dev.txt
	@echo "prefetched: $(PREFETCH_IMAGES) and the wheels in $(PREFETCH_DIR)/wheels"

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
run-v2: ## Run myapp:2 on http://127.0.0.1:8080 (answers only after its 20 s warm-up)
	$(NEED_DOCKER)
	docker run --rm -p 127.0.0.1:8080:8080 $(IMAGE):2

##@ Cluster

.PHONY: cluster
cluster: ## Create a local kind cluster that answers on 127.0.0.1:30080 (NODES=3: two workers; PROXY_MODE=nftables)
	$(CHECK_CLUSTER_SETTINGS)
	$(NEED_KIND)
	$(NEED_DOCKER)
	@docker info >/dev/null 2>&1 || { echo "error: Docker is not running: start Docker Desktop (or dockerd), then run make cluster again" >&2; exit 1; }
	@if $(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then \
		$(KIND) export kubeconfig --name $(KIND_CLUSTER) >/dev/null; \
		echo "kind cluster '$(KIND_CLUSTER)' already exists: kubectl now points at it, context kind-$(KIND_CLUSTER) (to change the cluster, e.g. its NODES: make cluster-delete first)"; exit 0; fi; \
	if (exec 3<>/dev/tcp/127.0.0.1/30080) 2>/dev/null; then \
		echo "error: 127.0.0.1:30080 is taken, and the cluster needs it: find the owner with 'lsof -i :30080' and stop it" >&2; exit 1; fi; \
	$(if $(KIND_NODE_IMAGE),docker image inspect '$(KIND_NODE_IMAGE)' >/dev/null 2>&1 || { \
		echo "pulling the node image $(KIND_NODE_IMAGE) (make prefetch pulls it before the day)"; \
		docker pull -q '$(KIND_NODE_IMAGE)' >/dev/null 2>&1; } || { \
		echo "error: node image $(KIND_NODE_IMAGE) is not on this machine and cannot be pulled: check its name and your network" >&2; exit 1; };) \
	config=$$(mktemp); trap 'rm -f "$$config"' EXIT; \
	$(KIND_CONFIG) > "$$config"; \
	if [ "$$(docker info --format '{{.CgroupVersion}}' 2>/dev/null)" = 1 ]; then \
		echo "cgroup v1 host: allowing it in the kubelet's configuration (failCgroupV1: false; Kubernetes 1.35+ refuses cgroup v1 otherwise)"; \
		printf '%s\n' "$$CGROUP_V1_PATCH" >> "$$config"; fi; \
	$(KIND) create cluster --name $(KIND_CLUSTER) --config "$$config" $(if $(KIND_NODE_IMAGE),--image $(KIND_NODE_IMAGE)) --wait 180s

# make cluster's settings, checked before anything runs: one line for a wrong one.
CHECK_CLUSTER_SETTINGS = $(if $(filter 1 2 3 4 5,$(NODES)),,$(error NODES must be a whole number from 1 to 5, not '$(NODES)'))$(if $(filter-out 1,$(words $(PROXY_MODE)))$(filter-out iptables nftables,$(PROXY_MODE)),$(error PROXY_MODE must be iptables or nftables, not '$(PROXY_MODE)'))

# The kind configuration of make cluster: k8s/kind-config.yaml, whose last key is `nodes`, with
# NODES - 1 workers appended to it, then kube-proxy's mode as a key of its own.
KIND_CONFIG = { cat k8s/kind-config.yaml; for _ in $$(seq 2 $(NODES)); do echo '  - role: worker'; done; \
	printf 'networking:\n  kubeProxyMode: %s\n' '$(PROXY_MODE)'; }

.PHONY: kind-config
kind-config: ## Print the kind configuration make cluster uses (with NODES, PROXY_MODE)
	$(CHECK_CLUSTER_SETTINGS)
	@$(KIND_CONFIG)

# Appended to the kind config on cgroup v1 hosts (older Linux, some CI machines).
define CGROUP_V1_PATCH
kubeadmConfigPatches:
  - |
    kind: KubeletConfiguration
    failCgroupV1: false
endef
export CGROUP_V1_PATCH

.PHONY: load
load: ## Load the built images into kind (other local clusters use Docker's images as they are)
	$(GUARD)
	@KIND='$(KIND)' $(PYTHON) -m tools.kind_images --built-only $(IMAGE):1 $(IMAGE):2 $(IMAGE):3

##@ Workshop

# $(call deploy,FILES): the Service, then FILES (a Deployment named myapp, and its PDB if any)
# with image $(IMAGE):$(VERSION), then wait for the rollout: tools/deploy.py.
define deploy
	$(GUARD)
	@KIND='$(KIND)' $(PYTHON) -m tools.deploy --image '$(IMAGE)' $(if $(VERSION),--version '$(VERSION)') \
		--timeout '$(ROLLOUT_TIMEOUT)' $(if $(STARTUP_DELAY),--startup-delay '$(STARTUP_DELAY)') $(1)
endef

CLUSTER_ANSWERS = $(KUBECTL) get --raw /readyz --request-timeout=5s >/dev/null 2>&1
CHECK_CLUSTER = $(CLUSTER_ANSWERS) || { \
	echo "error: no Kubernetes cluster reachable (kubectl context '$$($(KUBECTL) config current-context 2>/dev/null || echo none)'): create one with 'make cluster'" >&2; exit 1; }

.PHONY: deploy-naive
deploy-naive: ## Deploy the naive Deployment (no probes, default strategy) with VERSION=1|2
	$(call deploy,k8s/naive.yaml)

.PHONY: deploy-safe
deploy-safe: ## Deploy the safe Deployment (readiness, maxUnavailable 0, preStop) with VERSION=1|2
	$(call deploy,k8s/safe.yaml k8s/pdb.yaml)

.PHONY: deploy
deploy: ## Deploy your own manifest FILE (e.g. a lab's) with VERSION=1|2: it replaces the Deployment myapp (and its PDB)
	$(call deploy,$(or $(FILE),$(error FILE is missing: e.g. make deploy FILE=labs/02-fix-naive/deployment.yaml VERSION=1)))

.PHONY: watch
watch: ## Send traffic to URL and show every failed request, live (Ctrl-C: summary)
	$(NEED_PYTHON)
	@$(PYTHON) -m tools.watch $(URL) $(RATE_ARG) $(WATCH_ARGS)

# One line per endpoint of the Service, from its EndpointSlices (the Endpoints API is deprecated
# since Kubernetes 1.33): a pod in its preStop pause shows ready false, serving and terminating true.
ENDPOINT_ROW = %-16v %-24v %-28v %-6v %-8v %v\n
ENDPOINTS_TEMPLATE = {{printf "$(ENDPOINT_ROW)" "ADDRESS" "POD" "NODE" "READY" "SERVING" "TERMINATING"}}{{range .items}}{{range .endpoints}}{{printf "$(ENDPOINT_ROW)" (index .addresses 0) .targetRef.name .nodeName .conditions.ready .conditions.serving .conditions.terminating}}{{end}}{{end}}

.PHONY: status
status: ## Show which Deployment runs, its pods, and each endpoint of the Service with its state
	$(NEED_KUBECTL)
	@$(CHECK_CLUSTER)
	@probe=$$($(KUBECTL) get deployment myapp -o jsonpath='{.spec.template.spec.containers[0].readinessProbe.httpGet.path}' 2>/dev/null); \
		image=$$($(KUBECTL) get deployment myapp -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null); \
		if [ -z "$$image" ]; then echo "nothing deployed yet: try 'make deploy-naive VERSION=1'"; \
		elif [ -n "$$probe" ]; then echo "deployment myapp: safe, $$image"; \
		else echo "deployment myapp: naive, $$image"; fi
	@$(KUBECTL) get deployment,replicaset,pod -l app=myapp -o wide
	@echo
	@$(KUBECTL) get endpointslices -l kubernetes.io/service-name=myapp -o go-template='$(ENDPOINTS_TEMPLATE)'

.PHONY: demo
demo: ## The whole story in one command: naive vs safe rollouts under traffic, side by side
	$(GUARD)
	$(NEED_DOCKER)
	$(NEED_KUBECTL)
	@$(CLUSTER_ANSWERS) || { \
		command -v $(KIND) >/dev/null 2>&1 || { echo "error: no Kubernetes cluster reachable and kind is not installed: $(KIND_HINT), or point kubectl at a cluster" >&2; exit 1; }; \
		echo "no cluster reachable: creating the kind cluster '$(KIND_CLUSTER)'"; \
		$(MAKE) --no-print-directory cluster; }
	@$(MAKE) --no-print-directory build-v1 build-v2
	$(PYTHON) -m tools.scenarios $(SCENARIO_TRAFFIC) --json $(RESULTS)/$(or $(RESULTS_NAME),$@).json --svg $(RESULTS)/$(or $(RESULTS_NAME),$@).svg $(SCENARIO_ARGS) demo

##@ Labs: predict, run, explain (labs/README.md)

.PHONY: check
check: ## Roll your work for lab LAB=n from v1 to v2 under traffic: pass or fail, with the numbers (FILE=... checks another file)
	$(GUARD)
	$(if $(LAB),,$(error LAB is missing: e.g. make check LAB=2 (labs/README.md lists the labs)))
	$(NEED_DOCKER)
	$(NEED_KUBECTL)
	@$(CHECK_CLUSTER)
	@$(MAKE) --no-print-directory build-v1 build-v2
	$(PYTHON) -m tools.labs $(LAB) $(if $(FILE),--file $(FILE))

##@ Failure drills (each naive vs safe, measured)

.PHONY: drill-broken
drill-broken: ## Roll out the broken myapp:3, then roll back
	$(call drill,drill broken)

.PHONY: rollback
rollback: ## Undo the last rollout (kubectl rollout undo) and wait until it completes
	$(GUARD)
	@$(PYTHON) -m tools.deploy --undo --timeout '$(ROLLOUT_TIMEOUT)'

.PHONY: drill-delete-pod
drill-delete-pod: ## Delete one pod under load, as an eviction does
	$(call drill,drill delete-pod)

.PHONY: drill-crash
drill-crash: ## SIGKILL the app in one pod under load and watch it come back
	$(call drill,drill crash)

.PHONY: drill-scale
drill-scale: ## Scale 3 -> 1 -> 3 under load
	$(call drill,drill scale)

.PHONY: drill-drain
drill-drain: ## Drain the node with the most replicas, then uncordon it (needs NODES=3)
	$(call drill,drill drain)

.PHONY: drills
drills: ## All drills, one table (the drain drill where two nodes run pods)
	$(call drill,drills)

.PHONY: baseline
baseline: ## The same traffic with nothing happening (60 s, or DURATION=s): the noise floor
	$(call drill,baseline $(if $(DURATION),--seconds $(DURATION)))

# $(call drill,ARGS[,TARGETS]): python -m tools.scenarios ARGS on the current cluster, with all
# three images (and TARGETS, e.g. load, made once they are built).
define drill
	$(GUARD)
	$(NEED_DOCKER)
	$(NEED_KUBECTL)
	@$(CHECK_CLUSTER)
	@$(MAKE) --no-print-directory build-v1 build-v2 build-v3 $(2)
	$(PYTHON) -m tools.scenarios $(SCENARIO_TRAFFIC) --json $(RESULTS)/$(or $(RESULTS_NAME),$@).json --svg $(RESULTS)/$(or $(RESULTS_NAME),$@).svg $(SCENARIO_ARGS) $(1)
endef

##@ The lesson: what each line of the safe Deployment buys

# The lesson applies its variants itself (not through make deploy-*), so the images are loaded
# into kind first.
.PHONY: lesson
lesson: ## Safe minus one protection at a time, each rolled from v1 (ROLLOUTS=n each, VARIANT=name, SLOW=s)
	$(call drill,lesson --image $(IMAGE) $(if $(ROLLOUTS),--rollouts $(ROLLOUTS)) $(if $(SLOW),--slow $(SLOW)) $(foreach v,$(VARIANT),--variant $(v)),load)

##@ Measuring the cluster itself (kind, best with several nodes)

.PHONY: propagation
propagation: ## Delete pods one by one and time until every node stops routing to them (DELETIONS=n)
	$(GUARD)
	$(NEED_DOCKER)
	$(NEED_KUBECTL)
	@$(CHECK_CLUSTER)
	$(PYTHON) -m tools.propagation --json $(RESULTS)/$(or $(RESULTS_NAME),$@).json $(if $(DELETIONS),--deletions $(DELETIONS))

.PHONY: crosscheck
crosscheck: ## Roll naive (VARIANT=safe: safe) v1 -> v2, measured by the watcher and by vegeta at once
	$(GUARD)
	$(NEED_DOCKER)
	$(NEED_KUBECTL)
	@$(CHECK_CLUSTER)
	@$(MAKE) --no-print-directory build-v1 build-v2
	VEGETA='$(VEGETA)' $(PYTHON) -m tools.crosscheck $(if $(URL),--url $(URL)) $(RATE_ARG) \
		$(if $(VARIANT),--variant $(VARIANT)) --json $(RESULTS)/$(or $(RESULTS_NAME),$@).json

##@ The docs' numbers

# Each run writes its results file into REPORT even when an expectation failed there, so the
# tables show what was measured; the target then fails, naming the runs.
.PHONY: report
report: ## Measure what the docs show (demo, drills, baseline, the lesson twice, crosscheck; ~45 min) and regenerate their tables
	$(GUARD)
	@failed=; \
	$(MAKE) --no-print-directory demo RESULTS=$(REPORT) || failed="$$failed demo"; \
	$(MAKE) --no-print-directory drills RESULTS=$(REPORT) || failed="$$failed drills"; \
	$(MAKE) --no-print-directory baseline RESULTS=$(REPORT) || failed="$$failed baseline"; \
	$(MAKE) --no-print-directory lesson RESULTS=$(REPORT) || failed="$$failed lesson"; \
	$(MAKE) --no-print-directory lesson RESULTS=$(REPORT) RESULTS_NAME=lesson-slow SLOW=5 \
		VARIANT="safe no-prestop no-graceful short-grace" \
		SCENARIO_ARGS="--keepalive --concurrency 16 --timeout 15" || failed="$$failed lesson-slow"; \
	$(MAKE) --no-print-directory crosscheck RESULTS=$(REPORT) || failed="$$failed crosscheck"; \
	$(PYTHON) -m tools.report; \
	if [ -n "$$failed" ]; then echo "make report: expectations failed in:$$failed (see above; the tables show what was measured)" >&2; exit 1; fi

# The drain and kube-proxy's propagation need workers, so they have their own target, run on a
# cluster of 3 nodes once per kube-proxy mode; each results file is named for the mode it found.
.PHONY: report-nodes
report-nodes: ## On 3 nodes (make cluster NODES=3 PROXY_MODE=...): the drain drill and propagation, named for kube-proxy's mode
	$(GUARD)
	@mode=$$($(PYTHON) -m tools.kube_proxy) || exit 1; \
	failed=; \
	$(MAKE) --no-print-directory drill-drain RESULTS=$(REPORT) RESULTS_NAME=drain-$$mode || failed="$$failed drain"; \
	{ $(MAKE) --no-print-directory deploy-safe VERSION=1 && \
	  $(MAKE) --no-print-directory propagation RESULTS=$(REPORT) RESULTS_NAME=propagation-$$mode DELETIONS=8; } || failed="$$failed propagation"; \
	$(PYTHON) -m tools.report; \
	if [ -n "$$failed" ]; then echo "make report-nodes: failed:$$failed (see above)" >&2; exit 1; fi

.PHONY: report-docs
report-docs: ## Regenerate the docs' tables from the results files in docs/report (no cluster needed)
	$(NEED_PYTHON)
	$(PYTHON) -m tools.report

##@ Cleaning up

.PHONY: clean
clean: ## Delete what the deploy targets created (the Deployment, the Service, the PDB)
	$(GUARD)
	$(NEED_KUBECTL)
	@$(CHECK_CLUSTER)
	$(KUBECTL) delete deployment/myapp service/myapp poddisruptionbudget/myapp --ignore-not-found

.PHONY: cluster-delete
cluster-delete: ## Delete the kind cluster
	$(NEED_KIND)
	$(KIND) delete cluster --name $(KIND_CLUSTER)

##@ Development

.PHONY: test
test: $(VENV)/.installed ## Run all tests (Docker and cluster tests skip, with a reason, where those are missing)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(NEED_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

MANIFESTS = k8s/service.yaml k8s/naive.yaml k8s/safe.yaml k8s/pdb.yaml $(wildcard labs/*/*.yaml labs/*/solution/*.yaml)

.PHONY: lint
lint: $(VENV)/.installed ## Lint everything: ruff, hadolint, kubernetes-validate (strict, oldest and newest Kubernetes), yamllint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/hadolint Dockerfile
	$(VENV)/bin/kubernetes-validate --strict --quiet --kubernetes-version $(KUBERNETES_OLDEST) $(MANIFESTS)
	$(VENV)/bin/kubernetes-validate --strict --quiet --kubernetes-version $(KUBERNETES_NEWEST) $(MANIFESTS)
	$(VENV)/bin/yamllint --strict .

.PHONY: lint-workflow
lint-workflow: $(VENV)/.installed ## Lint the GitHub workflow with actionlint (its install needs github.com)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-actionlint.txt
	$(VENV)/bin/actionlint .github/workflows/ci.yml

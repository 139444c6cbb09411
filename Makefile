# Zero-downtime deployments on Kubernetes: the workshop, driven from here (`make help`). Each
# target is a line or two: the programs are in tools/ (Python) and hack/make-rules/ (bash).

# GNU make 3.81 (Apple's /usr/bin/make) ignores .SHELLFLAGS below without a word, so recipes
# would go on after a failure. 3.82 added .SHELLFLAGS and, in .FEATURES, `undefine` (its NEWS).
ifeq ($(filter undefine,$(.FEATURES)),)
$(error GNU make $(MAKE_VERSION) is too old for this Makefile (it ignores .SHELLFLAGS): \
brew install make, then run gmake instead of make (docs/troubleshooting.md#make))
endif

# Every recipe in bash, stopping at the first failing command, also inside a pipe.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

# Every pinned version (kind, Kubernetes, node images, vegeta), in the one file the kit reads.
include hack/versions.env

IMAGE ?= myapp
PYTHON ?= python3
VENV ?= .venv
KUBECTL ?= kubectl
KIND ?= kind
KIND_CLUSTER ?= zero-downtime
# What the Dockerfile builds from (a local image where no registry is reachable), and the node
# image of `make cluster`: pinned, so that a newer kind uses the one `make prefetch` pulled.
PYTHON_IMAGE ?= $(PYTHON_BASE_IMAGE)
KIND_NODE_IMAGE ?= $(KIND_NODE_IMAGE_NEWEST)
# make gateway's Traefik: the published image, pinned by digest (CI: its own build of it).
TRAEFIK_IMAGE ?= $(TRAEFIK_PUBLISHED_IMAGE)
# make cluster: 1 to 5 nodes (NODES=3: two workers for the drain drill), kube-proxy's mode.
NODES ?= 1
PROXY_MODE ?= iptables
# The deploy targets: 1 or 2 (3: the broken release; empty: the other one than what runs), the
# warm-up in seconds of a release that has one (empty: its image's), your own manifest.
VERSION ?=
STARTUP_DELAY ?=
FILE ?=
ROLLOUT_TIMEOUT ?= 180s
# A lab for `make check` (labs/README.md); extra pytest arguments for `make test`.
LAB ?=
PYTEST_ARGS ?=
# Traffic of the watcher and the scenarios (empty: tools/traffic/defaults.py's), and more options;
# VIA=gateway: through make gateway's Traefik instead of the NodePort.
VIA ?=
URL ?=
RATE ?=
WATCH_ARGS ?=
SCENARIO_ARGS ?=
VEGETA ?= vegeta
# Where the scenarios write results and pictures (named for the target, or RESULTS_NAME), where
# make report keeps the docs' results files, and where make prefetch puts its copies.
RESULTS ?= results
RESULTS_NAME ?=
REPORT ?= docs/report
PREFETCH_DIR ?= prefetch
# Name a cluster that is not a local workshop cluster to let the targets change it (CONTEXT=name).
CONTEXT ?=

# The scripts and tools read the settings from their environment.
export KUBECTL KIND KIND_CLUSTER KIND_NODE_IMAGE NODES PROXY_MODE CONTEXT VEGETA
export PYTHON VENV MAKE IMAGE REPORT PREFETCH_DIR SAVE

# First line of every target that changes a cluster: tools/cluster/guard.py refuses, in one line,
# a kubectl context that is not a local workshop cluster unless CONTEXT names it. make before 4.4
# exports nothing to $(shell), not even a command-line variable: those are handed over here.
GUARD = $(NEED_PYTHON)$(call refuse_if,$(shell KUBECTL='$(KUBECTL)' CONTEXT='$(CONTEXT)' \
	$(if $(KUBECONFIG),KUBECONFIG='$(KUBECONFIG)') $(PYTHON) -m tools.cluster.guard 2>&1))
refuse_if = $(if $(1),$(error $(1)))
# $(call require,TOOL,how to get it): stop with one clear line when TOOL is not installed.
require = $(if $(shell command -v $(1) 2>/dev/null),,$(error $(1) not found: $(2)))
NEED_DOCKER = $(call require,docker,install Docker (Engine or Desktop) \
	from https://docs.docker.com/get-docker/)
NEED_KIND = $(call require,$(KIND),install kind: https://kind.sigs.k8s.io/docs/user/quick-start/)
# The watcher and the scenarios need Python 3.11+ (macOS still ships 3.9 as python3).
NEED_PYTHON = $(if $(shell $(PYTHON) -c 'import sys; print(sys.version_info >= (3, 11))' \
	2>/dev/null | grep True),,$(error $(PYTHON) is missing or older than 3.11: install Python 3.11 \
	or newer from https://www.python.org/downloads/, or pass PYTHON=python3.12))

# The scenarios' traffic and results settings; $(call build,VERSION,STARTUP_DELAY,BROKEN).
TRAFFIC = $(if $(URL),--url $(URL)) $(if $(VIA),--via $(VIA)) $(if $(RATE),--rate $(RATE))
SAVED = --json $(RESULTS)/$(or $(RESULTS_NAME),$@).json
scenarios = $(PYTHON) -m tools.scenarios $(TRAFFIC) $(SAVED) \
	--svg $(RESULTS)/$(or $(RESULTS_NAME),$@).svg $(SCENARIO_ARGS) $(1)
BASE_IMAGE = $(or $(PYTHON_IMAGE),$(PYTHON_BASE_IMAGE))
build = docker build --build-arg PYTHON_IMAGE=$(BASE_IMAGE) --build-arg APP_VERSION=$(1) \
	--build-arg STARTUP_DELAY=$(2) --build-arg BROKEN=$(3) -t $(IMAGE):$(1) .
# $(call deploy,FILES): the Service, then FILES on $(IMAGE):$(VERSION), the rollout awaited.
deploy = $(PYTHON) -m tools.cluster.deploy --image '$(IMAGE)' --timeout '$(ROLLOUT_TIMEOUT)' \
	$(if $(VERSION),--version '$(VERSION)') \
	$(if $(STARTUP_DELAY),--startup-delay '$(STARTUP_DELAY)') $(1)
IMAGES = $(MAKE) --no-print-directory build-v1 build-v2

.DEFAULT_GOAL := help

##@ General
.PHONY: help doctor prefetch
help: ## Show this help
	@awk -f hack/make-rules/help.awk $(MAKEFILE_LIST)

doctor: ## Check this machine for the workshop: tools, Docker, port 30080, kubectl's context, images
	@hack/make-rules/doctor.sh

prefetch: ## Before the day: pull the images and wheels the workshop needs (SAVE=1: also a copy)
	@hack/make-rules/prefetch.sh $(BASE_IMAGE) $(TRAEFIK_IMAGE) \
		$(or $(KIND_NODE_IMAGE),$(KIND_NODE_IMAGE_NEWEST))

##@ Images
.PHONY: build-v1 build-v2 build-v3 run-v1 run-v2
build-v1: ## Build myapp:1 ("Money is pouring in!", ready at once)
	$(NEED_DOCKER)
	$(call build,1,0,false)

build-v2: ## Build myapp:2 ("More Money is pouring in!", 20 s warm-up)
	$(NEED_DOCKER)
	$(call build,2,20,false)

build-v3: ## Build myapp:3, a broken release for the drills (/ fails with 500, never ready)
	$(NEED_DOCKER)
	$(call build,3,0,true)

run-v1: ## Run myapp:1 on http://127.0.0.1:8080 (Ctrl-C stops it)
	docker run --rm -p 127.0.0.1:8080:8080 $(IMAGE):1
run-v2: ## Run myapp:2 on http://127.0.0.1:8080 (answers only after its 20 s warm-up)
	docker run --rm -p 127.0.0.1:8080:8080 $(IMAGE):2

##@ Cluster
.PHONY: cluster kind-config load
cluster: ## Create a local kind cluster on 127.0.0.1:30080 (NODES=3: 2 workers; PROXY_MODE=nftables)
	@hack/make-rules/cluster.sh create

kind-config: ## Print the kind configuration make cluster uses (with NODES, PROXY_MODE)
	@hack/make-rules/cluster.sh config

load: ## Load the built images into kind (other local clusters use Docker's images as they are)
	$(GUARD)
	@$(PYTHON) -m tools.cluster.kind_images --built-only $(IMAGE):1 $(IMAGE):2 $(IMAGE):3

##@ The gateway: the same workshop through Traefik (VIA=gateway on watch, demo, drills)
.PHONY: gateway gateway-delete
gateway: ## Install the Gateway API and Traefik in the cluster, answering on 127.0.0.1:30081
	$(GUARD)
	@$(PYTHON) -m tools.cluster.gateway --image '$(TRAEFIK_IMAGE)' --timeout '$(ROLLOUT_TIMEOUT)'

gateway-delete: ## Remove the gateway (Traefik, the Gateway, the route; the CRDs stay)
	$(GUARD)
	@$(PYTHON) -m tools.cluster.gateway --remove

##@ Workshop
.PHONY: deploy-naive deploy-safe deploy watch status demo
deploy-naive: ## Deploy the naive Deployment (no probes, default strategy) with VERSION=1|2
	$(GUARD)
	@$(call deploy,k8s/naive.yaml)

deploy-safe: ## Deploy the safe Deployment (readiness, maxUnavailable 0, preStop) with VERSION=1|2
	$(GUARD)
	@$(call deploy,k8s/safe.yaml k8s/pdb.yaml)

deploy: ## Deploy your own manifest FILE (e.g. a lab's) with VERSION=1|2, replacing myapp's
	$(GUARD)
	@$(call deploy,$(or $(FILE),$(error FILE is missing: e.g. \
		make deploy FILE=labs/02-fix-naive/deployment.yaml VERSION=1)))

watch: ## Send traffic to URL and show every failed request, live (Ctrl-C: summary)
	$(NEED_PYTHON)
	@$(PYTHON) -m tools.traffic.watch $(URL) $(if $(VIA),--via $(VIA)) $(if $(RATE),--rate $(RATE)) \
		$(WATCH_ARGS)

status: ## Show which Deployment runs, its pods, and each endpoint of the Service with its state
	$(NEED_PYTHON)
	@$(PYTHON) -m tools.cluster.status

demo: ## The whole story in one command: naive vs safe rollouts under traffic, side by side
	$(GUARD)
	@hack/make-rules/ensure-cluster.sh && $(IMAGES)
	$(call scenarios,demo)

##@ Labs: predict, run, explain (labs/README.md)
.PHONY: check
check: ## Roll your work for lab LAB=n from v1 to v2 under traffic: pass or fail (FILE=: other file)
	$(GUARD)
	@$(IMAGES) $(if $(LAB),,$(error LAB is missing: e.g. make check LAB=2 \
		(labs/README.md lists the labs)))
	$(PYTHON) -m tools.scenarios.labs $(LAB) $(if $(FILE),--file $(FILE))

##@ Failure drills (each naive vs safe, measured)
.PHONY: drill-broken rollback drill-delete-pod drill-crash drill-scale drill-drain drills baseline
drill-broken: ## Roll out the broken myapp:3, then roll back
	$(call drill,drill broken)

rollback: ## Undo the last rollout (kubectl rollout undo) and wait until it completes
	$(GUARD)
	@$(PYTHON) -m tools.cluster.deploy --undo --timeout '$(ROLLOUT_TIMEOUT)'

drill-delete-pod: ## Delete one pod under load, as an eviction does
	$(call drill,drill delete-pod)
drill-crash: ## SIGKILL the app in one pod under load and watch it come back
	$(call drill,drill crash)
drill-scale: ## Scale 3 -> 1 -> 3 under load
	$(call drill,drill scale)
drill-drain: ## Drain the node with the most replicas, then uncordon it (needs NODES=3)
	$(call drill,drill drain)
drills: ## All drills, one table (the drain drill where two nodes run pods)
	$(call drill,drills)

baseline: ## The same traffic with nothing happening (60 s, or DURATION=s): the noise floor
	$(call drill,baseline $(if $(DURATION),--seconds $(DURATION)))

# $(call drill,ARGS[,TARGETS]): the scenarios' ARGS, with all three images (then TARGETS).
define drill
	$(GUARD)
	@$(IMAGES) build-v3 $(2)
	$(call scenarios,$(1))
endef

##@ The lesson: what each line of the safe Deployment buys
.PHONY: lesson
# The lesson applies its variants itself (not through make deploy-*): the images are loaded first.
lesson: ## Safe minus one protection at a time, each rolled from v1 (ROLLOUTS=, VARIANT=, SLOW=)
	$(call drill,lesson --image $(IMAGE) $(if $(ROLLOUTS),--rollouts $(ROLLOUTS)) \
		$(if $(SLOW),--slow $(SLOW)) $(foreach v,$(VARIANT),--variant $(v)),load)

##@ Measuring the cluster itself (kind, best with several nodes)
.PHONY: propagation crosscheck
propagation: ## Delete pods one by one and time until every node stops routing to them (DELETIONS=n)
	$(GUARD)
	$(PYTHON) -m tools.scenarios.propagation $(SAVED) $(if $(DELETIONS),--deletions $(DELETIONS))

crosscheck: ## Roll naive (VARIANT=safe: safe) v1 -> v2, measured by the watcher and vegeta at once
	$(GUARD)
	@$(IMAGES)
	$(PYTHON) -m tools.scenarios.crosscheck $(TRAFFIC) $(if $(VARIANT),--variant $(VARIANT)) $(SAVED)

##@ The docs' numbers
.PHONY: report report-nodes report-gateway report-docs
report: ## Measure what the docs show (demo, drills, baseline, lesson, crosscheck) and redraw them
	$(GUARD)
	@hack/make-rules/report.sh

report-nodes: ## On 3 nodes: the drain drill and propagation, named for kube-proxy's mode
	$(GUARD)
	@hack/make-rules/report.sh nodes

report-gateway: ## Through the gateway (best on 3 nodes): the demo, kept-alive too, and the drills
	$(GUARD)
	@hack/make-rules/report.sh gateway

report-docs: ## Regenerate the docs' tables from the results files in docs/report (no cluster)
	$(NEED_PYTHON)
	$(PYTHON) -m tools.report

##@ Cleaning up
.PHONY: clean cluster-delete
clean: ## Delete what the deploy targets created (the Deployment, the Service, the PDB)
	$(GUARD)
	@$(PYTHON) -m tools.cluster.deploy --remove

cluster-delete: ## Delete the kind cluster
	$(NEED_KIND)
	$(KIND) delete cluster --name $(KIND_CLUSTER)

##@ Development
.PHONY: test lint lint-workflow
test: $(VENV)/.installed ## Run all tests (without Docker or a cluster, theirs skip with a reason)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(NEED_PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

lint: $(VENV)/.installed ## Lint it all: ruff, shellcheck, hadolint, kubernetes-validate, yamllint
	@PATH="$(VENV)/bin:$$PATH" hack/make-rules/lint.sh

lint-workflow: $(VENV)/.installed ## Lint the GitHub workflow (actionlint, from github.com)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-actionlint.txt
	$(VENV)/bin/actionlint .github/workflows/ci.yml

#!/usr/bin/env bash
# make lint: the Python (ruff), every shell script (shellcheck), the Dockerfile (hadolint), the
# manifests against the schemas of the oldest and newest Kubernetes the kit supports
# (kubernetes-validate, strict) and every YAML file (yamllint). Run with the virtualenv's bin on
# PATH.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=hack/versions.env
. hack/versions.env

ruff check .
ruff format --check .
git ls-files -z "*.sh" .ci/run hack/kind-offline/iptables-wrapper | xargs -0 shellcheck -x
hadolint Dockerfile
# (k8s/gateway/gateway.yaml's kinds are the Gateway API's CRDs, which it knows nothing of: the
# end-to-end tests validate them with a server-side dry run on kind.)
manifests=(k8s/service.yaml k8s/naive.yaml k8s/safe.yaml k8s/pdb.yaml k8s/gateway/traefik.yaml
  labs/*/*.yaml labs/*/solution/*.yaml)
for version in "$KUBERNETES_OLDEST" "$KUBERNETES_NEWEST"; do
  kubernetes-validate --strict --quiet --kubernetes-version "$version" "${manifests[@]}"
done
yamllint --strict .

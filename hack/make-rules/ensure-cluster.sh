#!/usr/bin/env bash
# make demo's first step: a cluster kubectl reaches, or the workshop's kind cluster, created.
# Usage: hack/make-rules/ensure-cluster.sh   (KUBECTL, KIND, MAKE from make)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# shellcheck disable=SC2086 # KUBECTL may carry its own flags (kubectl --context x)
$KUBECTL get --raw /readyz --request-timeout=5s >/dev/null 2>&1 && exit 0
command -v "$KIND" >/dev/null || {
  echo "error: no Kubernetes cluster reachable and kind is not installed: install kind from" \
    "https://kind.sigs.k8s.io/docs/user/quick-start/#installation, or point kubectl at a cluster" >&2
  exit 1
}
echo "no cluster reachable: creating the kind cluster '$KIND_CLUSTER'"
exec "$MAKE" --no-print-directory cluster

#!/usr/bin/env bash
# make report and make report-nodes: measure what the docs show, then regenerate their tables.
# Each run writes its results file into REPORT even when an expectation failed there, so the
# tables show what was measured; the target then fails, naming the runs.
#   hack/make-rules/report.sh        demo, drills, baseline, the lesson twice, crosscheck
#   hack/make-rules/report.sh nodes  on 3 nodes: the drain drill and propagation, each results
#                                    file named for kube-proxy's mode
#   hack/make-rules/report.sh gateway  through make gateway's Traefik: the demo on new and on
#                                    kept-alive connections, and the drills (the drain too,
#                                    where two nodes run pods)
# (MAKE, PYTHON and REPORT from make)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

failed=()
measure() { # NAME MAKE-ARGS...
  local name=$1
  shift
  "$MAKE" --no-print-directory "$@" RESULTS="$REPORT" || failed+=("$name")
}

if [ "${1:-}" = gateway ]; then
  "$MAKE" --no-print-directory gateway
  measure demo-gateway demo VIA=gateway RESULTS_NAME=demo-gateway
  measure demo-gateway-keepalive demo VIA=gateway RESULTS_NAME=demo-gateway-keepalive \
    SCENARIO_ARGS=--keepalive
  measure drills-gateway drills VIA=gateway RESULTS_NAME=drills-gateway
elif [ "${1:-}" = nodes ]; then
  mode=$("$PYTHON" -m tools.cluster.kube_proxy)
  measure drain drill-drain RESULTS_NAME="drain-$mode"
  "$MAKE" --no-print-directory deploy-safe VERSION=1 &&
    measure propagation propagation RESULTS_NAME="propagation-$mode" DELETIONS=8 ||
    failed+=(propagation)
else
  measure demo demo
  measure drills drills
  measure baseline baseline
  measure lesson lesson
  measure lesson-slow lesson RESULTS_NAME=lesson-slow SLOW=5 \
    VARIANT="safe no-prestop no-graceful short-grace" \
    SCENARIO_ARGS="--keepalive --concurrency 16 --timeout 15"
  measure crosscheck crosscheck
fi
"$PYTHON" -m tools.report
if [ ${#failed[@]} -gt 0 ]; then
  echo "make report: expectations failed in: ${failed[*]} (see above; the tables show what was measured)" >&2
  exit 1
fi

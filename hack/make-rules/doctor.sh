#!/usr/bin/env bash
# make doctor: runs tools/doctor on any python3 from 3.8 on, so that it can tell a 3.9 or 3.10
# user what to install; only an interpreter too old even for doctor stops here, in one line.
# Usage: hack/make-rules/doctor.sh   (PYTHON, MAKE, KIND, KIND_CLUSTER, IMAGE, KIND_NODE_IMAGE
#        from make)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

hint="install Python 3.11 or newer (docs/troubleshooting.md#python)"
command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found: $hint" >&2; exit 1; }
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null ||
  { echo "error: $PYTHON is too old even for make doctor: $hint" >&2; exit 1; }
exec "$PYTHON" -m tools.doctor --python "$PYTHON" --make "$MAKE" --kind "$KIND" \
  --kind-cluster "$KIND_CLUSTER" --image "$IMAGE" --node-image "$KIND_NODE_IMAGE"

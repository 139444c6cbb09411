"""What to do about what make doctor finds, on each system attendees bring: macOS with Homebrew,
Windows' WSL2 (Ubuntu) and Linux with apt. One short command per problem; the section of
docs/troubleshooting.md each line names says more. Python 3.8+, like tools/doctor/preflight.py."""

from __future__ import annotations

import platform
import sys

from tools.cli.versions import PINS

DOCS = "docs/troubleshooting.md"

# What to do, per system: macOS with Homebrew, Windows' WSL2 (Ubuntu), other Linux (apt).
HINTS = {
    "python": {
        "macos": "brew install python@3.12, then make doctor PYTHON=python3.12",
        "wsl": "Ubuntu 24.04: sudo apt install python3; 22.04: uv python install 3.12 or the"
        " deadsnakes PPA; then make doctor PYTHON=python3.12",
        "linux": "Debian 12, Ubuntu 24.04: sudo apt install python3; Ubuntu 22.04: uv python"
        " install 3.12 or the deadsnakes PPA; then make doctor PYTHON=python3.12",
    },
    "venv": {
        "macos": "brew reinstall python@3.12 (its venv brings pip)",
        "wsl": "sudo apt install {python}-venv",
        "linux": "sudo apt install {python}-venv",
    },
    "make": {
        "macos": "brew install make, then run gmake instead of make",
        "wsl": "sudo apt install make",
        "linux": "sudo apt install make",
    },
    "docker": {
        "macos": "install Docker Desktop (brew install --cask docker) and start it",
        "wsl": "install Docker Desktop on Windows and turn on Settings > Resources >"
        " WSL integration for this distribution",
        "linux": "install Docker Engine (https://docs.docker.com/engine/install/)",
    },
    "docker-running": {
        "macos": "start Docker Desktop (open -a Docker)",
        "wsl": "start Docker Desktop on Windows (WSL integration on for this distribution)",
        "linux": "sudo systemctl start docker (and join the docker group)",
    },
    "docker-permission": {
        "macos": "restart Docker Desktop",
        "wsl": "turn on Docker Desktop's WSL integration for this distribution",
        "linux": "sudo usermod -aG docker $USER, then log out and in again",
    },
    "docker-memory": {
        "macos": "Docker Desktop > Settings > Resources > Advanced",
        "wsl": "memory= and processors= in %UserProfile%\\.wslconfig, then wsl --shutdown",
        "linux": "Docker uses the whole machine: free some up",
    },
    "kubectl": {
        "macos": "brew install kubectl",
        "wsl": "install kubectl {kubernetes} from https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/",
        "linux": "install kubectl {kubernetes} from https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/",
    },
    "kind": {
        "macos": "brew install kind (or kind {kind} from its releases)",
        "wsl": "install kind {kind}: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
        "linux": "install kind {kind}: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    },
}


def this_system() -> str:
    if sys.platform == "darwin":
        return "macos"
    if "microsoft" in platform.release().lower():
        return "wsl"
    return "linux"


def hint(topic: str, **details: str) -> str:
    """What to do on this system, and the section of the troubleshooting page named topic;
    `details` fill the hint's blanks (e.g. python="python3.12"), the pinned versions the rest."""
    pinned = {"kind": PINS["KIND_VERSION"], "kubernetes": PINS["KUBERNETES_NEWEST"]}
    return f"{HINTS[topic][this_system()].format(**pinned, **details)} ({DOCS}#{topic})"

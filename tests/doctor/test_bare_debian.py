"""The kit on a bare Debian, as a new Ubuntu or WSL user has it: Debian's own python3 without its
venv package, in a real container. make doctor names the package to install, and is satisfied
once it is; the virtualenv make test needs then works."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.docker

# Debian's python3 split: ensurepip, and with it `python3 -m venv`, is in python3.11-venv.
SETUP = (
    "export DEBIAN_FRONTEND=noninteractive;"
    " apt-get purge -y -q python3-venv python3.11-venv >/dev/null 2>&1;"
    " apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends make"
    " >/dev/null && cp -r /kit /tmp/kit && cd /tmp/kit && rm -rf .venv"
)
DOCTOR = "make --no-print-directory doctor | grep -E '^(ok|WARN|FAIL) +venv'"
INSTALL = "apt-get install -y -q --no-install-recommends python3.11-venv >/dev/null"


@pytest.fixture(scope="module")
def debian_image(require) -> str:
    require(shutil.which("docker") is not None, "docker is not installed")
    engine = subprocess.run(["docker", "info"], capture_output=True, check=False)
    require(engine.returncode == 0, "no Docker engine answers (docker info failed)")
    image = os.environ.get("PYTHON_IMAGE", "")
    # CI's base image is Debian bookworm with Debian's python3 (../shared/ci-env); the official
    # Python images bring their own Python, with ensurepip, and show nothing here.
    require(
        "bookworm" in image,
        f"needs PYTHON_IMAGE to name a Debian bookworm image with Debian's python3, not {image!r}",
    )
    return image


def test_doctor_names_the_venv_package_and_make_test_can_make_its_virtualenv(debian_image):
    script = (
        f"{SETUP} && {DOCTOR}; echo ===; {INSTALL} && {DOCTOR}; echo ===;"
        " python3 -m venv .venv >/dev/null && .venv/bin/python -m pip --version"
    )
    result = subprocess.run(
        ["docker", "run", "--rm", "-v", f"{ROOT}:/kit:ro", debian_image, "bash", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    without, installed, venv = result.stdout.split("===\n")
    assert without.split(None, 2)[:2] == ["FAIL", "venv"], result.stdout + result.stderr
    assert without.rstrip().endswith(
        "python3 -m venv cannot install pip: sudo apt install python3.11-venv"
        " (docs/troubleshooting.md#venv)"
    )
    assert installed.split(None, 2)[:2] == ["ok", "venv"], result.stdout + result.stderr
    assert venv.startswith("pip "), result.stdout + result.stderr

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app import create_app


@pytest.fixture
def app():
    return create_app({"TESTING": True, "HOSTNAME": "pod-a"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def require():
    """require(condition, reason): in CI (CI=true) missing infrastructure fails the test;
    elsewhere (a laptop without Docker or a cluster) the test is skipped with the reason."""

    def check(condition: bool, reason: str) -> None:
        if condition:
            return
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: {reason}", pytrace=False)
        pytest.skip(reason)

    return check


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def images(require):
    """myapp:1, :2 and :3, built once per session by the Makefile's own targets."""
    require(shutil.which("docker") is not None, "docker is not installed")
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    require(engine.returncode == 0, "no Docker engine answers (docker info failed)")
    build = subprocess.run(
        ["make", "--no-print-directory", "build-v1", "build-v2", "build-v3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr

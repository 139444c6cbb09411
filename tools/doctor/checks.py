"""What every doctor check is made of: run a command without ever raising, read the version
in what it says, and the line each check ends in. Python 3.8+, like tools/doctor/preflight.py."""

from __future__ import annotations

import re
import subprocess
from typing import NamedTuple

# Long enough for a cold `docker info` on Docker Desktop, short enough not to hang doctor.
COMMAND_TIMEOUT_S = 30
GIB = 1024**3


class Check(NamedTuple):
    status: str  # ok, WARN or FAIL
    name: str
    message: str


def ok(name: str, message: str) -> Check:
    return Check("ok", name, message)


def warn(name: str, message: str) -> Check:  # the workshop runs, with a catch
    return Check("WARN", name, message)


def fail(name: str, message: str) -> Check:  # the workshop cannot run like this
    return Check("FAIL", name, message)


def run(command: list[str]) -> subprocess.CompletedProcess[str] | None:
    """The finished command, or None when it is not installed or does not finish."""
    try:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def version_in(text: str, parts: int) -> tuple[int, ...] | None:
    """The first dotted version in text (the first `parts` numbers), e.g. 'v1.36.4' -> (1, 37)."""
    found = re.search(r"(\d+(?:\.\d+)+)", text)
    if not found:
        return None
    numbers = tuple(int(number) for number in found.group(1).split("."))
    return numbers[:parts] if len(numbers) >= parts else None


def dotted(version: tuple[int, ...]) -> str:
    return ".".join(str(number) for number in version)


def tool_version(command: list[str], parts: int) -> tuple[tuple[int, ...] | None, str]:
    """(version, the first line the tool said); version None when missing, failing or unreadable."""
    result = run(command)
    if result is None:
        return None, "not found (or it did not answer)"
    said = (result.stdout + result.stderr).strip()
    version = version_in(said, parts) if result.returncode == 0 else None
    return version, said.splitlines()[0] if said else f"exit status {result.returncode}"


def gib(amount: float) -> str:
    return f"{amount / GIB:.1f} GiB"

"""The versions the kit pins, read from hack/versions.env (KEY=value lines), the one place every
part of the kit takes them from. Python 3.8+, like make doctor, which reads it."""

from __future__ import annotations

from pathlib import Path

FILE = Path(__file__).resolve().parent.parent.parent / "hack" / "versions.env"


def read(path: Path = FILE) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith("#"):
            pins[key.strip()] = value.strip()
    return pins


PINS = read()


def dotted(version: str) -> tuple[int, ...]:
    """'v0.98.0' -> (0, 98, 0), '1.98' -> (1, 98)."""
    return tuple(int(part) for part in version.lstrip("v").split("."))

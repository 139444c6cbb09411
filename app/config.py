"""Settings from environment variables, read and validated in one place.

Both gunicorn.conf.py (at server start) and create_app() call load_settings(), so a bad value
stops the process before it binds its port, with one line naming the variable.
"""

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass


class ConfigError(ValueError):
    """A setting has a value the app cannot use; str() is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    app_version: str
    startup_delay: float
    broken: bool
    host: str
    port: int
    workers: int
    threads: int
    graceful_timeout: int
    keepalive: int


_VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _raw(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name, default).strip()


def _fail(name: str, value: str, expected: str) -> ConfigError:
    return ConfigError(f"invalid {name}={value!r}: expected {expected}")


def _seconds(environ, name, default) -> float:
    raw = _raw(environ, name, default)
    expected = "a number of seconds >= 0"
    try:
        value = float(raw)
    except ValueError:
        raise _fail(name, raw, expected) from None
    if not math.isfinite(value) or value < 0:
        raise _fail(name, raw, expected)
    return value


def _integer(environ, name, default, *, minimum, maximum) -> int:
    raw = _raw(environ, name, default)
    if not re.fullmatch(r"\d+", raw) or not minimum <= int(raw) <= maximum:
        raise _fail(name, raw, f"a whole number from {minimum} to {maximum}")
    return int(raw)


def _boolean(environ, name, default) -> bool:
    raw = _raw(environ, name, default)
    if raw.lower() not in _TRUE + _FALSE:
        raise _fail(name, raw, "true or false")
    return raw.lower() in _TRUE


def _ipv4(environ, name, default) -> str:
    raw = _raw(environ, name, default)
    try:
        return str(ipaddress.IPv4Address(raw))
    except ValueError:
        raise _fail(name, raw, "an IPv4 address such as 0.0.0.0 or 127.0.0.1") from None


def load_settings(environ: Mapping[str, str]) -> Settings:
    version = _raw(environ, "APP_VERSION", "1")
    if not _VERSION_PATTERN.fullmatch(version):
        raise _fail("APP_VERSION", version, "1 to 32 letters, digits, '.', '_' or '-'")
    return Settings(
        app_version=version,
        startup_delay=_seconds(environ, "STARTUP_DELAY", "0"),
        broken=_boolean(environ, "BROKEN", "false"),
        host=_ipv4(environ, "HOST", "0.0.0.0"),
        port=_integer(environ, "PORT", "8080", minimum=1, maximum=65535),
        workers=_integer(environ, "WEB_CONCURRENCY", "2", minimum=1, maximum=64),
        threads=_integer(environ, "GUNICORN_THREADS", "4", minimum=1, maximum=256),
        graceful_timeout=_integer(environ, "GRACEFUL_TIMEOUT", "20", minimum=1, maximum=3600),
        keepalive=_integer(environ, "GUNICORN_KEEPALIVE", "5", minimum=0, maximum=300),
    )

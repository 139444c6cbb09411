"""Settings from environment variables, read and validated in one place.

Both gunicorn.conf.py (at server start) and create_app() call load_settings(), so a bad value
stops the process before it binds its port, with one line naming the variable.
"""

import ipaddress
import re
import socket
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
    probe_port: int
    workers: int
    threads: int
    graceful_timeout: int
    keepalive: int


_VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
# ASCII digits only: int() and float() also accept other scripts' digits, "1e10" and "1_0".
_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
# A warm-up longer than this is a typo, not a cache to load.
MAX_STARTUP_DELAY = 3600
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _raw(environ: Mapping[str, str], name: str, default: str) -> str:
    return environ.get(name, default).strip()


def _fail(name: str, value: str, expected: str) -> ConfigError:
    return ConfigError(f"invalid {name}={value!r}: expected {expected}")


def _seconds(environ, name, default, *, maximum) -> float:
    raw = _raw(environ, name, default)
    if not _DECIMAL.fullmatch(raw) or float(raw) > maximum:
        raise _fail(name, raw, f"a number of seconds from 0 to {maximum}")
    return float(raw)


def _integer(environ, name, default, *, minimum, maximum) -> int:
    raw = _raw(environ, name, default)
    if not _WHOLE.fullmatch(raw) or not minimum <= int(raw) <= maximum:
        raise _fail(name, raw, f"a whole number from {minimum} to {maximum}")
    return int(raw)


def _boolean(environ, name, default) -> bool:
    raw = _raw(environ, name, default)
    if raw.lower() not in _TRUE + _FALSE:
        raise _fail(name, raw, "true or false")
    return raw.lower() in _TRUE


def every_address() -> str:
    """The default HOST: "::" serves IPv6 and IPv4 (one dual-stack socket, as on Linux by
    default), so the app answers on single-stack and dual-stack clusters alike; "0.0.0.0"
    where the kernel has no IPv6 at all."""
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::", 0))
    except OSError:
        return "0.0.0.0"
    return "::"


def _ip(environ, name) -> str:
    raw = _raw(environ, name, "") or every_address()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise _fail(name, raw, "an IP address such as ::, 0.0.0.0 or 127.0.0.1") from None


def load_settings(environ: Mapping[str, str]) -> Settings:
    version = _raw(environ, "APP_VERSION", "1")
    if not _VERSION_PATTERN.fullmatch(version):
        raise _fail("APP_VERSION", version, "1 to 32 letters, digits, '.', '_' or '-'")
    port = _integer(environ, "PORT", "8080", minimum=1, maximum=65535)
    probe_port = _integer(environ, "PROBE_PORT", "8081", minimum=1, maximum=65535)
    if probe_port == port:
        raise _fail("PROBE_PORT", str(probe_port), f"a port other than PORT ({port})")
    return Settings(
        app_version=version,
        startup_delay=_seconds(environ, "STARTUP_DELAY", "0", maximum=MAX_STARTUP_DELAY),
        broken=_boolean(environ, "BROKEN", "false"),
        host=_ip(environ, "HOST"),
        port=port,
        probe_port=probe_port,
        workers=_integer(environ, "WEB_CONCURRENCY", "2", minimum=1, maximum=64),
        threads=_integer(environ, "GUNICORN_THREADS", "4", minimum=1, maximum=256),
        # 0: no drain at all, workers are killed at once on SIGTERM (the lesson's "no graceful
        # shutdown" variant shows what that drops).
        graceful_timeout=_integer(environ, "GRACEFUL_TIMEOUT", "20", minimum=0, maximum=3600),
        keepalive=_integer(environ, "GUNICORN_KEEPALIVE", "5", minimum=0, maximum=300),
    )

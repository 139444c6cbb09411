import pytest

from app.config import ConfigError, every_address, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.app_version == "1"
    assert settings.startup_delay == 0
    assert settings.broken is False
    assert (settings.host, settings.port, settings.probe_port) == (every_address(), 8080, 8081)
    assert settings.host in ("::", "0.0.0.0")
    assert settings.workers >= 1 and settings.threads >= 1
    # Must stay below Kubernetes' default 30 s grace period.
    assert settings.graceful_timeout < 30


def test_values_are_read():
    settings = load_settings(
        {"APP_VERSION": "2", "STARTUP_DELAY": "0.5", "BROKEN": "true", "PORT": "9000"}
    )
    assert (settings.app_version, settings.startup_delay) == ("2", 0.5)
    assert settings.broken is True
    assert settings.port == 9000


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("STARTUP_DELAY", "abc", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "-5", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "nan", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "inf", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "1e10", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "3601", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "1_0", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "\u0661", "a number of seconds from 0 to 3600"),
        ("STARTUP_DELAY", "", "a number of seconds from 0 to 3600"),
        ("PORT", "http", "a whole number from 1 to 65535"),
        ("PORT", "0", "a whole number from 1 to 65535"),
        ("PORT", "70000", "a whole number from 1 to 65535"),
        ("HOST", "localhost:80", "an IP address"),
        ("HOST", "localhost", "an IP address"),
        ("WEB_CONCURRENCY", "\u0662", "a whole number from 1 to 64"),
        ("WEB_CONCURRENCY", "2.5", "a whole number from 1 to 64"),
        ("PROBE_PORT", "8080", "a port other than PORT (8080)"),
        ("WEB_CONCURRENCY", "0", "a whole number from 1 to 64"),
        ("GUNICORN_THREADS", "many", "a whole number from 1 to 256"),
        ("GRACEFUL_TIMEOUT", "1.5", "a whole number from 0 to 3600"),
        ("GRACEFUL_TIMEOUT", "-1", "a whole number from 0 to 3600"),
        ("GRACEFUL_TIMEOUT", "3601", "a whole number from 0 to 3600"),
        ("GUNICORN_KEEPALIVE", "-1", "a whole number from 0 to 300"),
        ("BROKEN", "maybe", "true or false"),
        ("APP_VERSION", "", "1 to 32 letters"),
        ("APP_VERSION", "1 2", "1 to 32 letters"),
    ],
)
def test_bad_value_names_variable_value_and_expectation(name, value, expected):
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value})
    message = str(caught.value)
    assert message.startswith(f"invalid {name}={value!r}: expected ")
    assert expected in message
    assert "\n" not in message


def test_graceful_timeout_zero_means_no_drain_and_is_accepted():
    assert load_settings({"GRACEFUL_TIMEOUT": "0"}).graceful_timeout == 0


@pytest.mark.parametrize("host", ["::", "::1", "0.0.0.0", "127.0.0.1", "fd00::5"])
def test_ipv6_and_ipv4_hosts_are_accepted(host):
    assert load_settings({"HOST": host}).host == host

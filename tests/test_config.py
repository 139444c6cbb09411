import pytest

from app.config import ConfigError, load_settings


def test_defaults():
    settings = load_settings({})
    assert settings.app_version == "1"
    assert settings.startup_delay == 0
    assert settings.broken is False
    assert (settings.host, settings.port) == ("0.0.0.0", 8080)
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
        ("STARTUP_DELAY", "abc", "a number of seconds >= 0"),
        ("STARTUP_DELAY", "-5", "a number of seconds >= 0"),
        ("STARTUP_DELAY", "nan", "a number of seconds >= 0"),
        ("STARTUP_DELAY", "", "a number of seconds >= 0"),
        ("PORT", "http", "a whole number from 1 to 65535"),
        ("PORT", "0", "a whole number from 1 to 65535"),
        ("PORT", "70000", "a whole number from 1 to 65535"),
        ("HOST", "localhost:80", "an IPv4 address"),
        ("WEB_CONCURRENCY", "0", "a whole number from 1 to 64"),
        ("GUNICORN_THREADS", "many", "a whole number from 1 to 256"),
        ("GRACEFUL_TIMEOUT", "1.5", "a whole number from 1 to 3600"),
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

"""`python -m tools.traffic.watch`, the watcher's command line, against real local servers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.helpers import ROOT, AppBehaviour, run_module
from tools.traffic import defaults

SUMMARY_KEYS = {
    "url",
    "mode",
    "concurrency",
    "rate_per_s",
    "duration_s",
    "requests",
    "ok",
    "failed",
    "ok_by_version",
    "failures_by_kind",
    "longest_outage_s",
    "latency",
    "latency_from_schedule",
    "first_failure_s",
    "last_failure_s",
    "versions",
    "timeline",
}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_module("tools.traffic.watch", *args)


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("watch:")
    return lines[0]


def test_cli_json_summary(fake_app: AppBehaviour) -> None:
    result = run_cli(fake_app.url, "--duration", "1", "--json", "--concurrency", "2")

    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["requests"] > 0
    assert summary["failed"] == 0
    assert set(summary["ok_by_version"]) == {"1"}
    assert "watching" in result.stderr  # live output goes to stderr with --json
    assert "Traceback" not in result.stderr


def test_cli_human_summary(fake_app: AppBehaviour) -> None:
    result = run_cli(fake_app.url, "--duration", "1", "--concurrency", "2", "--keepalive")

    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # no colour when not a terminal
    assert "summary for" in result.stdout
    assert "requests" in result.stdout
    assert " 0s | ok v1" in result.stdout
    assert result.stderr == ""


def test_cli_paces_at_the_default_rate_unless_told_otherwise(fake_app: AppBehaviour) -> None:
    paced = run_cli(fake_app.url, "--duration", "1", "--json")
    unpaced = run_cli(fake_app.url, "--duration", "1", "--json", "--rate", "max")

    assert f"open loop at {defaults.RATE:g} req/s" in paced.stderr
    assert "8 loops back to back" in unpaced.stderr
    # Open loop: every slot due in the run, sent or counted, however the machine keeps up.
    summary = json.loads(paced.stdout)
    assert defaults.RATE + 1 <= summary["requests"] <= defaults.RATE * summary["duration_s"] + 1


def test_cli_max_failures_exceeded_exits_1(fake_app: AppBehaviour) -> None:
    fake_app.mode = "500"
    result = run_cli(
        fake_app.url, "--duration", "1", "--json", "--concurrency", "2", "--max-failures", "0"
    )

    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] > 0
    assert set(summary["failures_by_kind"]) == {"http_5xx"}


def test_cli_max_failures_not_exceeded_exits_0(fake_app: AppBehaviour) -> None:
    result = run_cli(fake_app.url, "--duration", "0.5", "--json", "--max-failures", "0")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("url", ["ftp://x", "not a url", "http://127.0.0.1:9/a b"])
def test_cli_invalid_url_is_one_line_error(url: str) -> None:
    result = run_cli(url)
    assert "invalid URL" in assert_one_error_line(result)
    assert result.stdout == ""


def test_cli_refused_url_is_one_line_error(refused_url: str) -> None:
    result = run_cli(refused_url)
    line = assert_one_error_line(result)
    assert line.endswith("connection refused")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--concurrency", "0"],
        ["--concurrency", "many"],
        ["--concurrency", "100000"],
        ["--rate", "0"],
        ["--rate", "inf"],
        ["--duration", "-1"],
        ["--duration", "inf"],
        ["--timeout", "0"],
        ["--timeout", "1e10"],
    ],
)
def test_cli_bad_argument_values_are_one_line_errors(args: list[str]) -> None:
    assert_one_error_line(run_cli("http://127.0.0.1:9/", *args))


def test_cli_ctrl_c_prints_summary_without_traceback(fake_app: AppBehaviour) -> None:
    command = [
        sys.executable, "-m", "tools.traffic.watch", fake_app.url,
        "--concurrency", "2", "--timeout", "0.5",
    ]  # fmt: skip
    with subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        try:
            # The legend is printed once Ctrl-C is handled, so the signal cannot come too early.
            assert proc.stdout.readline().startswith("watching")
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "summary for" in stdout

"""tools/scenarios/crosscheck.py without a cluster: vegeta's results read as the watcher's outcomes,
and when the two tools agree."""

import json

import pytest

from tests.helpers import wait_until
from tools.scenarios import crosscheck
from tools.scenarios.crosscheck import Comparison, Tolerance, vegeta_failure, vegeta_outcomes
from tools.traffic.summary import Outcome, summarize

GET = 'Get "http://127.0.0.1:30080/": '


@pytest.mark.parametrize(
    ("code", "error", "kind"),
    [
        (200, "", None),
        (503, "503 Service Unavailable", "http_5xx"),
        (404, "404 Not Found", "http_other"),
        (0, GET + "dial tcp 127.0.0.1:30080: connect: connection refused", "refused"),
        (0, GET + "read tcp 127.0.0.1:4711->127.0.0.1:30080: read: connection reset by peer",
         "reset"),
        (0, GET + "EOF", "reset"),
        (0, GET + "http: server closed idle connection", "reset"),
        (0, GET + "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
         "timeout"),
        (0, "something else entirely", "error"),
    ],
)  # fmt: skip
def test_vegeta_results_map_to_the_watchers_failure_kinds(code, error, kind):
    assert vegeta_failure(code, error) == kind


def test_vegeta_lines_become_outcomes_in_seconds_since_its_first_request():
    lines = [
        json.dumps({"timestamp": "2026-11-30T14:00:00.5Z", "latency": 20_000_000, "code": 200,
                    "error": ""}),
        "",
        json.dumps({"timestamp": "2026-11-30T14:00:00.25Z", "latency": 1_000_000, "code": 0,
                    "error": "read: connection reset by peer"}),
    ]  # fmt: skip
    assert vegeta_outcomes(lines) == [
        Outcome(0.25, pytest.approx(0.27), None, None),
        Outcome(0.0, pytest.approx(0.001), None, "reset"),
    ]


def summary_of(ok: int, failed: int, outage_s: float):
    outcomes = [Outcome(0.0, 0.01, "1", None)] * ok
    if failed:
        outcomes += [Outcome(10.0, 10.0 + outage_s, None, "reset")]
        outcomes += [Outcome(10.0 + outage_s, 10.0 + outage_s, None, "reset")] * (failed - 1)
    return summarize(outcomes, url="u", keepalive=False, concurrency=1, rate=None, duration=30.0)


def test_two_tools_agree_within_the_tolerance():
    comparison = Comparison(summary_of(9_000, 1_000, 15.0), summary_of(9_300, 1_000, 15.4))
    assert comparison.disagreements() == []


@pytest.mark.parametrize(
    ("vegeta", "says"),
    [
        (summary_of(10_000, 0, 0.0), "one saw failures and the other none (1,000 vs 0)"),
        (summary_of(9_500, 500, 15.0), "failed shares 10.00% vs 5.00%, more than 1.00%"),
        (summary_of(9_000, 1_000, 17.0), "longest outages 15.00 s vs 17.00 s, more than 1 s apart"),
    ],
)
def test_a_disagreement_is_named(vegeta, says):
    assert says in Comparison(summary_of(9_000, 1_000, 15.0), vegeta).disagreements(Tolerance())


def test_a_missing_vegeta_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(crosscheck, "VEGETA", "vegeta-not-installed")
    vegeta = crosscheck.Vegeta("http://127.0.0.1:9/", 100.0, 5.0, tmp_path)
    with pytest.raises(
        crosscheck.cluster.ClusterError,
        match=rf"^vegeta-not-installed not found: go install {crosscheck.VEGETA_MODULE}",
    ):
        vegeta.start()


def test_vegeta_is_stopped_with_sigterm_and_its_results_read(monkeypatch, tmp_path):
    """A fake vegeta: `attack` runs until SIGTERM, `encode` prints one result per line."""
    calls = tmp_path / "calls"
    script = tmp_path / "vegeta"
    result = json.dumps({"timestamp": "2026-11-30T14:00:00Z", "latency": 5_000_000, "code": 200,
                         "error": ""})  # fmt: skip
    script.write_text(
        f'#!/bin/sh\ntrap "exit 0" TERM\necho "$@" >> {calls}\n'
        'if [ "$1" = attack ]; then cat > /dev/null; while :; do sleep 0.1; done; fi\n'
        f"echo '{result}'\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(crosscheck, "VEGETA", str(script))
    vegeta = crosscheck.Vegeta("http://127.0.0.1:30080", 100.0, 5.0, tmp_path)
    vegeta.start()
    wait_until(calls.exists, "vegeta attack to start")
    assert vegeta.stop() == [Outcome(0.0, 0.005, None, None)]
    attack, encode = calls.read_text().splitlines()
    assert attack.split()[:3] == ["attack", "-rate=100/1s", "-duration=0"]
    assert "-keepalive=false" in attack.split()
    assert encode == f"encode --to json {tmp_path / 'vegeta.bin'}"

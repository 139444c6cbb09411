"""tools/report/docs.py: the docs' measured tables are what their results files give, and a table
that no longer matches its file is found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.report import docs as report
from tools.results.diagnosis import Burst, PodEvent
from tools.results.provenance import Provenance
from tools.results.result import Expectation, Result, markdown_table
from tools.traffic.summary import Outcome, summarize

PROVENANCE = Provenance(
    context="kind-zero-downtime",
    kubernetes="v1.36.4",
    nodes=1,
    runtime="containerd://2.3.9",
    kube_proxy="iptables",
    commit="0123456789ab",
    date="2026-11-30 17:00 UTC",
)


def measured(name: str, failed: int) -> Result:
    outcomes = [Outcome(0.0, 0.01, "1", None, 0.0)] * 900 + [
        Outcome(5.0, 5.1, None, "reset")
    ] * failed
    summary = summarize(outcomes, url="u", keepalive=False, concurrency=8, rate=200.0, duration=9.0)
    return Result(
        name,
        name.split(maxsplit=1)[0],
        summary,
        (3.0, 8.0),
        5.0,
        Expectation.FAILURES if failed else Expectation.NO_FAILURES,
        events=["deployed"],
        pod_events=[PodEvent(4.9, "myapp-1", "deleted")],
        failure_bursts=[Burst(5.0, 5.1, {"reset": failed})] if failed else [],
    )


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    data = {
        "provenance": PROVENANCE.as_dict(),
        "command": "python3 -m tools.scenarios demo",
        "traffic": "open loop at 200 req/s",
        "title": "t",
        "results": [measured("naive v1 → v2", 40).as_dict(), measured("safe v1 → v2", 0).as_dict()],
    }
    (tmp_path / "demo.json").write_text(json.dumps(data))
    return tmp_path


def test_markdown_table_right_aligns_numbers_and_escapes_pipes() -> None:
    text = markdown_table(("name", "count"), [("a|b", "1,000")], left_aligned=(0,))
    assert text.splitlines() == ["| name | count |", "| --- | ---: |", "| a\\|b | 1,000 |"]


def test_a_result_read_back_from_its_json_is_the_same_result() -> None:
    original = measured("naive v1 → v2", 40)
    again = Result.from_dict(json.loads(json.dumps(original.as_dict())))
    assert again.as_dict() == original.as_dict()
    assert again.expectation is Expectation.FAILURES
    assert again.summary.latency_from_schedule == original.summary.latency_from_schedule


def test_a_section_says_where_when_and_how_many_requests(results_dir: Path) -> None:
    text = report.render("demo", results_dir)
    first, _, *table = text.splitlines()
    assert "Kubernetes v1.36.4, 1 node, containerd://2.3.9, kube-proxy iptables" in first
    assert "0123456789ab, 2026-11-30 17:00 UTC" in first
    assert "1,840 requests behind it" in first
    assert table[2].startswith("| naive v1 → v2 | 940 | 40 | reset 40 |")


def test_a_rollout_as_make_watch_showed_it_second_by_second(
    results_dir: Path,
) -> None:
    text = report.render("watch-naive", results_dir)
    first, _, said, _, fence, *capture = text.splitlines()
    assert "940 requests behind it" in first  # the naive row's, not the whole file's
    assert said == "naive v1 → v2: the rollout (`deployed`) ran from 3.00 s to 8.00 s."
    assert fence == "```"
    # Every second: no run of alike seconds is longer than four (cutting: the test below).
    seconds = [line.split(" | ")[0].strip() for line in capture if " | " in line]
    assert seconds == [f"{second}s" for second in range(10)]
    assert capture[5].split(" | ")[2].strip() == "failed reset 40"
    assert capture[9].endswith(" | 1....X....")
    assert "summary for u" in text and "failed           40  (reset 40)" in text


@pytest.mark.parametrize(
    ("lines", "chars", "kept"),
    [
        (["a", "b", "c", "d"], "1111", ["a", "b", "c", "d"]),
        (["a", "b", "c", "d", "e"], "11111", ["a", "b", "   ...", "e"]),
        (["a", "b", "c", "d", "e", "f"], "1111xX", ["a", "b", "c", "d", "e", "f"]),
        (["a", "b", "c", "d", "e", "f", "g"], "xXXXXX2", ["a", "b", "c", "   ...", "f", "g"]),
    ],
)
def test_condensed_keeps_short_runs_and_cuts_long_ones(
    lines: list[str], chars: str, kept: list[str]
) -> None:
    assert report.condensed(lines, chars) == kept


def test_a_propagation_section_gives_the_deletions_and_nodes_behind_it(tmp_path: Path) -> None:
    observation = {"seen_s": 1.2, "window_s": 0.1}
    data = {
        "provenance": {**PROVENANCE.as_dict(), "nodes": 3},
        "command": "python3 -m tools.scenarios.propagation --deletions 2",
        "traffic": "none",
        "poll_interval_s": 0.05,
        "proxy_mode": "nftables",
        "nodes": ["cp", "w1", "w2"],
        "deletions": [
            {
                "pod": f"p{i}",
                "ip": "10.0.0.1",
                "node": "w1",
                "endpoint_not_ready": observation,
                "rules_gone": {n: observation for n in ("cp", "w1", "w2")},
            }
            for i in range(2)
        ],
    }
    (tmp_path / "propagation-nftables.json").write_text(json.dumps(data))
    text = report.render("propagation-nftables", tmp_path)
    assert "3 nodes" in text.splitlines()[0]
    assert "2 deletions on 3 nodes behind it" in text
    assert "slowest: every node had dropped the pod within 1.20 s" in text


def test_rewrite_draws_each_section_again_and_leaves_the_rest(
    results_dir: Path, tmp_path: Path
) -> None:
    page = tmp_path / "page.md"
    page.write_text("before\n<!-- report: demo -->\nold table\n<!-- /report -->\nafter\n")
    assert report.rewrite(page, results_dir)
    section = report.render("demo", results_dir)
    assert page.read_text() == f"before\n<!-- report: demo -->\n{section}<!-- /report -->\nafter\n"
    assert report.stale([page], results_dir) == []
    assert not report.rewrite(page, results_dir)  # nothing left to change


def test_a_changed_figure_makes_its_section_stale(results_dir: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("<!-- report: demo -->\n<!-- /report -->\n")
    report.rewrite(page, results_dir)
    data = json.loads((results_dir / "demo.json").read_text())
    data["results"][0]["summary"]["failed"] = 41
    (results_dir / "demo.json").write_text(json.dumps(data))
    assert report.stale([page], results_dir) == [f"{page}: demo"]


def test_a_broken_results_file_is_one_line(results_dir: Path) -> None:
    (results_dir / "demo.json").write_text("{")
    with pytest.raises(report.ReportError, match="cannot be read") as raised:
        report.render("demo", results_dir)
    assert "\n" not in str(raised.value)
    with pytest.raises(report.ReportError, match="unknown report section"):
        report.render("nonsense", results_dir)


# --------------------------------------------------------------------------- the docs


def test_every_measured_table_in_the_docs_is_what_its_results_file_gives() -> None:
    stale = report.stale(report.documents())
    assert stale == [], f"run `make report-docs` (or `make report` to measure again): {stale}"


def test_every_section_is_in_the_docs_and_every_results_file_is_used() -> None:
    shown = {section.name for section in report.sections(report.documents())}
    assert shown == set(report.SECTIONS)
    kept = {path.stem for path in report.REPORT.glob("*.json")}
    assert kept == {drawing.source for drawing in report.SECTIONS.values()}


def test_check_exits_0_on_the_kits_docs_and_1_on_a_stale_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report.main(["--check"]) == 0
    page = tmp_path / "page.md"
    page.write_text("<!-- report: demo -->\n| a table typed by hand |\n<!-- /report -->\n")
    monkeypatch.setattr(report, "documents", lambda: [page])
    assert report.main(["--check"]) == 1
    assert capsys.readouterr().err == f"stale: {page}: demo (run python3 -m tools.report)\n"
    assert "typed by hand" in page.read_text()  # --check changes nothing

"""tools/results/chart.py: SVG structure, bar data, rollout band, escaping, file output."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tools.results.chart import LEFT, PLOT_W, render_svg, write_svg
from tools.results.result import Expectation, Result
from tools.traffic.summary import Latency, Second, Summary

LATENCY = Latency(p50_ms=2.0, p99_ms=1234.0, max_ms=2000.0, slow=3)

SVG = "{http://www.w3.org/2000/svg}"


def make_run(name, timeline, action_window=(2.0, 4.5), failed=None) -> Result:
    seconds = [Second(**{"waiting": 0, **entry}, latency=LATENCY) for entry in timeline]
    failures = sum(sum(e.failed.values()) for e in seconds) if failed is None else failed
    summary = Summary(
        url="http://x/",
        mode="fresh",
        concurrency=8,
        rate_per_s=200.0,
        duration_s=float(len(timeline)),
        requests=sum(e.total for e in seconds),
        ok=0,
        failed=failures,
        ok_by_version={},
        failures_by_kind={},
        longest_outage_s=1.5,
        latency=LATENCY,
        latency_from_schedule=LATENCY,
        first_failure_s=None,
        last_failure_s=None,
        versions={},
        timeline=seconds,
    )
    return Result(name, "x", summary, action_window, 0.0, Expectation.REPORT_ONLY)


NAIVE_TIMELINE = [
    {"second": 0, "ok": {"1": 40}, "failed": {}},
    {"second": 1, "ok": {"1": 30, "2": 0}, "failed": {"refused": 7, "reset": 3}},
    {"second": 2, "ok": {}, "failed": {"refused": 90, "timeout": 10}},
    {"second": 3, "ok": {"2": 45}, "failed": {}},
]
SAFE_TIMELINE = [
    {"second": 0, "ok": {"1": 40}, "failed": {}},
    {"second": 1, "ok": {"1": 20, "2": 20}, "failed": {}},
    {"second": 2, "ok": {"2": 41}, "failed": {}},
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element, second: int, run_index: int = 0) -> dict[str, ET.Element]:
    panel = root.findall(f".//{SVG}g[@data-run]")[run_index]
    return {
        f"{rect.get('data-kind')}:{rect.get('data-version')}": rect
        for rect in panel.iter(f"{SVG}rect")
        if rect.get("data-second") == str(second)
    }


def test_output_is_svg_with_title_and_size():
    root = parse(render_svg([make_run("naive", NAIVE_TIMELINE)], title="Rollouts"))
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "Rollouts"
    assert root.get("font-family") == "sans-serif"
    assert all(root.get(key) for key in ("width", "height", "viewBox"))


def test_one_panel_per_run_in_order():
    runs = [
        make_run("naive v1 → v2", NAIVE_TIMELINE),
        make_run("safe v1 → v2", SAFE_TIMELINE),
        make_run("safe v2 → v1", SAFE_TIMELINE),
    ]
    root = parse(render_svg(runs, title="t"))
    names = [g.get("data-run") for g in root.iter(f"{SVG}g") if g.get("data-run") is not None]
    assert names == ["naive v1 → v2", "safe v1 → v2", "safe v2 → v1"]


def test_stat_line_names_counts_and_outage():
    svg = render_svg([make_run("naive", NAIVE_TIMELINE)], title="t")
    assert "naive — 225 requests, 110 failed, longest outage 1.5 s, p99 1,234 ms" in svg


def test_requests_still_waiting_are_drawn_on_top_not_left_blank():
    stalled = [
        {"second": 0, "ok": {"1": 40}, "failed": {}},
        {"second": 1, "ok": {"1": 5}, "failed": {}, "waiting": 8},
        {"second": 2, "ok": {}, "failed": {}, "waiting": 8},
    ]
    root = parse(render_svg([make_run("stall", stalled)], title="t"))
    assert set(bars(root, 2)) == {"waiting:"}
    second_one = bars(root, 1)
    waiting, ok = second_one["waiting:"], second_one["ok:1"]
    assert waiting.get("data-count") == "8"
    assert float(waiting.get("y")) + float(waiting.get("height")) == pytest.approx(
        float(ok.get("y"))
    )


def test_second_with_only_failures_has_failed_bar_and_no_success_bar():
    root = parse(render_svg([make_run("naive", NAIVE_TIMELINE)], title="t"))
    second_two = bars(root, 2)
    assert set(second_two) == {"failed:"}
    assert second_two["failed:"].get("data-count") == "100"
    assert float(second_two["failed:"].get("height")) > 0


def test_bars_stack_versions_then_failures_and_skip_zero_counts():
    root = parse(render_svg([make_run("naive", NAIVE_TIMELINE)], title="t"))
    second_one = bars(root, 1)
    assert set(second_one) == {"ok:1", "failed:"}  # v2 had 0 successes: no rect
    ok, failed = second_one["ok:1"], second_one["failed:"]
    assert (ok.get("data-count"), failed.get("data-count")) == ("30", "10")
    assert float(failed.get("y")) + float(failed.get("height")) == pytest.approx(float(ok.get("y")))
    assert float(ok.get("height")) == pytest.approx(3 * float(failed.get("height")), abs=0.2)


def test_versions_keep_their_colour_across_panels():
    runs = [make_run("a", NAIVE_TIMELINE), make_run("b", SAFE_TIMELINE)]
    root = parse(render_svg(runs, title="t"))
    v1_fills = {r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("data-version") == "1"}
    v2_fills = {r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("data-version") == "2"}
    assert len(v1_fills) == len(v2_fills) == 1
    assert v1_fills != v2_fills


def test_rollout_band_covers_the_action_window():
    # Three seconds of timeline, so the x axis runs to MIN_X_S (10 s).
    root = parse(render_svg([make_run("with", SAFE_TIMELINE, (2.0, 4.5))], title="t"))
    (band,) = root.findall(f".//{SVG}rect[@class='rollout']")
    assert float(band.get("x")) == pytest.approx(LEFT + 2.0 * PLOT_W / 10, abs=0.1)
    assert float(band.get("width")) == pytest.approx(2.5 * PLOT_W / 10, abs=0.1)


def test_special_characters_are_escaped():
    name = 'v1 <b>&</b> "v2"'
    svg = render_svg([make_run(name, SAFE_TIMELINE)], title="<Rollouts & more>")
    root = parse(svg)
    assert "<b>" not in svg
    assert root.find(f"{SVG}title").text == "<Rollouts & more>"
    assert root.find(f".//{SVG}g[@data-run]").get("data-run") == name


@pytest.mark.parametrize(
    "runs",
    [
        [],
        [make_run("empty", [], (0.0, 0.0))],
        [make_run("zeros", [{"second": s, "ok": {"1": 0}, "failed": {}} for s in range(5)])],
        [make_run("odd", [{"second": 0, "ok": {"7": 3, "?": 1, "beta": 2}, "failed": {}}])],
    ],
    ids=["no-runs", "empty-timeline", "all-zero", "other-versions"],
)
def test_edge_cases_still_render(runs):
    root = parse(render_svg(runs, title="edge"))
    assert len(root.findall(f".//{SVG}g[@data-run]")) == len(runs)


def test_unknown_versions_are_listed_and_grey():
    run = make_run("odd", [{"second": 0, "ok": {"10": 3, "2": 1, "1": 0}, "failed": {}}])
    root = parse(render_svg([run], title="t"))
    legend = [t.text for t in root.find(f"{SVG}g[@class='legend']").iter(f"{SVG}text")]
    assert legend == ["v2", "v10", "failed", "waiting", "rollout"]
    assert bars(root, 0)["ok:10"].get("fill") == "#9D9D9D"


def test_write_svg_creates_parent_dirs(tmp_path: Path):
    target = tmp_path / "out" / "nested" / "chart.svg"
    write_svg(target, [make_run("naive v1 → v2", NAIVE_TIMELINE)], title="Rollouts")
    text = target.read_text(encoding="utf-8")
    assert parse(text).tag == f"{SVG}svg"
    assert "naive v1 → v2" in text

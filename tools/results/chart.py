"""Draw measured runs as one self-contained SVG (standard library only).

Each run becomes a panel, stacked vertically: requests per second as stacked bars (successes
per app version, failures in red on top, then in pale red the requests still waiting for an
answer as the second ended) with the rollout window shaded. All panels share the
x scale (the longest run) and the y scale, so a dip in one run stands out against another.

    from tools.results.chart import write_svg
    write_svg("out/rollouts.svg", results, title="Rollouts compared")  # results: list[Result]

Each bar segment carries data-second / data-kind / data-version / data-count attributes and
each panel a data-run attribute, so tests (and curious readers) can inspect the picture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from tools.results.result import Result
from tools.traffic.summary import Second, version_label, version_sort_key

WIDTH = 900
LEFT, RIGHT = 64, 16
HEADER_H = 78  # figure title and legend
PANEL_TITLE_H, PLOT_H, AXIS_H = 28, 150, 34
PANEL_H = PANEL_TITLE_H + PLOT_H + AXIS_H
FOOTER_H = 24
PLOT_W = WIDTH - LEFT - RIGHT
# Empty or all-zero runs still get whole-number axes instead of 0.1 s / 0.5 req/s ticks.
MIN_X_S, MIN_Y_RPS = 10.0, 10

VERSION_COLOURS = {"1": "#4C78A8", "2": "#54A24B", "3": "#B279A2"}
OTHER_VERSION_COLOUR = "#9D9D9D"
FAILED_COLOUR = "#E45756"
WAITING_COLOUR = "#F4B6B5"
ROLLOUT_COLOUR = "#F2B134"
TEXT_COLOUR = "#333333"
GRID_COLOUR = "#E5E5E5"


def attr(text: Any) -> str:
    return escape(str(text), {'"': "&quot;"})


def num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def version_colour(version: str) -> str:
    return VERSION_COLOURS.get(version, OTHER_VERSION_COLOUR)


def nice_step(span: float, target_ticks: int) -> float:
    """A 1/2/5 x 10^k step giving at most about target_ticks ticks over span."""
    raw = max(span, 1e-9) / target_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def ticks(top: float, step: float) -> list[float]:
    return [i * step for i in range(int(top / step + 1e-9) + 1)]


def run_length_s(run: Result) -> float:
    last_bar_end = max((entry.second + 1 for entry in run.summary.timeline), default=0)
    return max(last_bar_end, run.summary.duration_s, run.action_window[1])


def versions_seen(runs: Iterable[Result]) -> list[str]:
    seen = {
        version
        for run in runs
        for entry in run.summary.timeline
        for version, count in entry.ok.items()
        if count > 0
    }
    return sorted(seen, key=version_sort_key)


def stat_line(run: Result) -> str:
    summary = run.summary
    return (
        f"{run.name} — {summary.requests:,} requests, {summary.failed:,} failed, "
        f"longest outage {summary.longest_outage_s:.1f} s, p99 {summary.latency.p99_ms:,.0f} ms"
    )


def text(x: float, y: float, content: str, size: int = 12, **extra: str) -> str:
    attrs = "".join(f' {key.replace("_", "-")}="{attr(value)}"' for key, value in extra.items())
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{size}" fill="{TEXT_COLOUR}"{attrs}>'
        f"{escape(content)}</text>"
    )


def legend(versions: list[str]) -> list[str]:
    entries = [(version_label(v), version_colour(v), "1") for v in versions]
    entries += [
        ("failed", FAILED_COLOUR, "1"),
        ("waiting", WAITING_COLOUR, "1"),
        ("rollout", ROLLOUT_COLOUR, "0.35"),
    ]
    parts, x = ['<g class="legend">'], LEFT
    for label, colour, opacity in entries:
        parts.append(
            f'<rect x="{x}" y="48" width="12" height="12" fill="{colour}" opacity="{opacity}"/>'
        )
        parts.append(text(x + 17, 58.5, label))
        x += 30 + 7 * len(label)
    parts.append("</g>")
    return parts


def bar_segments(entry: Second) -> list[tuple[str, str, int, str]]:
    """(kind, version, count, colour) from the bottom up: successes by version, failures, and
    the requests still waiting."""
    ok = entry.ok
    segments = [("ok", v, ok[v], version_colour(v)) for v in sorted(ok, key=version_sort_key)]
    segments.append(("failed", "", sum(entry.failed.values()), FAILED_COLOUR))
    segments.append(("waiting", "", entry.waiting, WAITING_COLOUR))
    return [segment for segment in segments if segment[2] > 0]


def panel(run: Result, top: float, x_max: float, y_max: float) -> list[str]:
    plot_top, plot_bottom = top + PANEL_TITLE_H, top + PANEL_TITLE_H + PLOT_H
    x_px = PLOT_W / x_max
    y_px = PLOT_H / y_max

    def x_at(second: float) -> float:
        return LEFT + second * x_px

    parts = [f'<g class="panel" data-run="{attr(run.name)}">']
    parts.append(text(LEFT, top + 16, stat_line(run), 14, font_weight="bold"))
    for value in ticks(y_max, nice_step(y_max, 4)):
        y = plot_bottom - value * y_px
        parts.append(
            f'<line x1="{LEFT}" y1="{num(y)}" x2="{LEFT + PLOT_W}" y2="{num(y)}" '
            f'stroke="{GRID_COLOUR}"/>'
        )
        parts.append(text(LEFT - 6, y + 4, f"{value:,.0f}", 11, text_anchor="end"))
    start, end = (min(max(edge, 0.0), x_max) for edge in run.action_window)
    parts.append(
        f'<rect class="rollout" x="{num(x_at(start))}" y="{plot_top}" '
        f'width="{num(max(x_at(end) - x_at(start), 1))}" height="{PLOT_H}" '
        f'fill="{ROLLOUT_COLOUR}" opacity="0.35"/>'
    )
    parts.append(text(x_at(start) + 3, plot_top + 12, "rollout", 11, font_style="italic"))
    bar_w = max(x_px * 0.85, 1)
    for entry in run.summary.timeline:
        y = plot_bottom
        for kind, version, count, colour in bar_segments(entry):
            height = count * y_px
            y -= height
            parts.append(
                f'<rect class="bar" data-second="{entry.second}" data-kind="{kind}" '
                f'data-version="{attr(version)}" data-count="{count}" '
                f'x="{num(x_at(entry.second))}" y="{num(y)}" width="{num(bar_w)}" '
                f'height="{num(height)}" fill="{colour}"/>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{plot_bottom}" x2="{LEFT + PLOT_W}" y2="{plot_bottom}" '
        f'stroke="{TEXT_COLOUR}"/>'
    )
    for second in ticks(x_max, nice_step(x_max, 12)):
        x = x_at(second)
        parts.append(
            f'<line x1="{num(x)}" y1="{plot_bottom}" x2="{num(x)}" y2="{plot_bottom + 4}" '
            f'stroke="{TEXT_COLOUR}"/>'
        )
        parts.append(text(x, plot_bottom + 17, f"{second:g}", 11, text_anchor="middle"))
    parts.append(
        text(
            16,
            (plot_top + plot_bottom) / 2,
            "requests/s",
            11,
            text_anchor="middle",
            transform=f"rotate(-90 16 {num((plot_top + plot_bottom) / 2)})",
        )
    )
    parts.append("</g>")
    return parts


def render_svg(runs: list[Result], *, title: str) -> str:
    """The whole figure as SVG text: title, legend, then one panel per run."""
    x_max = max([run_length_s(run) for run in runs] + [MIN_X_S])
    peak = max(
        [entry.total + entry.waiting for run in runs for entry in run.summary.timeline]
        + [MIN_Y_RPS]
    )
    step = nice_step(peak, 4)
    y_max = math.ceil(peak / step) * step
    height = HEADER_H + PANEL_H * len(runs) + FOOTER_H
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" role="img">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        text(LEFT, 28, title, 18, font_weight="bold"),
        *legend(versions_seen(runs)),
    ]
    for index, run in enumerate(runs):
        parts += panel(run, HEADER_H + index * PANEL_H, x_max, y_max)
    parts.append(
        text(
            LEFT + PLOT_W / 2, height - 8, "seconds since the run started", 12, text_anchor="middle"
        )
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(path: str | Path, runs: list[Result], *, title: str) -> None:
    """Render runs and write them to path (UTF-8), creating parent directories."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_svg(runs, title=title), encoding="utf-8")

"""A series as an SVG line chart, drawn on the server: numbers only here; the
template writes them into the page, escaping every name (no script, no CDN)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from curation.timeseries.selectors import Series, SeriesKey

WIDTH, HEIGHT, IMAGES_HEIGHT = 960, 300, 70
LEFT, RIGHT, TOP, BOTTOM, GAP = 56, 16, 12, 26, 22
MAX_LINES = 12  # more lines than this are unreadable; the CSV and JSON have them all
MAX_TICKS = 8
MARKERS_UP_TO = 60  # bins: beyond, markers would overlap into a smear
TICK_FORMATS = {"hour": "%d %b %H:%M", "day": "%d %b %Y", "week": "%d %b %Y", "month": "%b %Y"}


@dataclass
class Line:
    key: SeriesKey
    total: int
    points: str
    markers: list[tuple[float, float, int, str]]  # x, y, count, bin label
    dashed: bool


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 times a power of ten at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def chart(series: Series) -> dict | None:
    """Coordinates of the chart's lines, axes and image bars; None without bins."""
    if not series.bins:
        return None
    kind = series.params.bin
    n = len(series.bins)
    inner = WIDTH - LEFT - RIGHT
    step = inner / n
    totals = series.totals()
    shown = sorted(series.keys, key=lambda key: (-totals[key], key.name, key.status))[:MAX_LINES]
    top = nice_ceiling(max((b.counts.get(k, 0) for b in series.bins for k in shown), default=0))
    base = TOP + HEIGHT

    def x(index: int) -> float:
        return round(LEFT + (index + 0.5) * step, 2)

    def y(value: int) -> float:
        return round(base - value / top * HEIGHT, 2)

    labels = [b.start.strftime(TICK_FORMATS[kind]) for b in series.bins]
    lines = []
    for key in shown:
        values = [b.counts.get(key, 0) for b in series.bins]
        points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values))
        markers = (
            [(x(i), y(v), v, labels[i]) for i, v in enumerate(values)] if n <= MARKERS_UP_TO else []
        )
        lines.append(Line(key, totals[key], points, markers, key.status == "predicted"))

    images_top = max((b.images for b in series.bins), default=0) or 1
    images_base = base + GAP + IMAGES_HEIGHT
    bar = max(step * 0.8, 0.5)
    heights = [round(b.images / images_top * IMAGES_HEIGHT, 2) for b in series.bins]
    bars = " ".join(
        f"M{round(x(i) - bar / 2, 2)},{images_base}v{-height}h{round(bar, 2)}v{height}z"
        for i, height in enumerate(heights)
        if height
    )
    every = max(1, math.ceil(n / MAX_TICKS))
    return {
        "width": WIDTH,
        "height": images_base + BOTTOM,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "base": base,
        "images_base": images_base,
        "images_top_y": images_base - IMAGES_HEIGHT,
        "images_max": max((b.images for b in series.bins), default=0),
        "label_y": images_base + 18,
        "y_ticks": [(y(v), v) for v in sorted({0, top // 4, top // 2, 3 * top // 4, top})],
        "x_ticks": [(x(i), labels[i]) for i in range(0, n, every)],
        "lines": lines,
        "hidden": len(series.keys) - len(shown),
        "bars": bars,
    }

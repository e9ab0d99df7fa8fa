"""Charts as inline SVG strings: a report that needs no server, no script and no network.

Every mark carries its data (data-* attributes and a <title> tooltip), so a reader hovering a bar
sees the number and a test can check the marks against the data. The SVG is meant to sit inside an HTML
page, whose parser puts it in the SVG namespace: no xmlns (and so no URL at all in the page)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

Number = int | float | Decimal

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 48  # TOP: room for a value printed above the highest point
TICKS = 4
LABEL_WIDTH = 64  # room an x-axis label or a point's value needs


def _axis(top_value: float, label: str) -> list[str]:
    """Horizontal grid lines with values, and the y-axis label."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(TICKS + 1):
        value = top_value * i / TICKS
        y = HEIGHT - BOTTOM - plot_h * i / TICKS
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_fmt(value)}</text>'
        )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" font-size="11" text-anchor="middle"'
        f' transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(label)}</text>'
    )
    return parts


def _fmt(value: Number) -> str:
    return f"{value:,.0f}" if abs(float(value)) >= 10 or value == int(value) else f"{value:,.2f}"


def _scale_top(largest: float) -> float:
    """A round top for the y axis at or above the largest value."""
    if largest <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(largest))) - 1)
    return next(step * magnitude for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if step * magnitude >= largest)


def _svg(title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def stacked_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, str],
    values: Mapping[tuple[str, str], Number],
    y_label: str,
) -> Markup:
    """One bar per category, stacked by series (name -> colour); `values[(category, series)]`, absent = 0."""
    totals = [sum(float(values.get((c, s), 0)) for s in series) for c in categories]
    top = _scale_top(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(categories), 1)
    body = _axis(top, y_label)
    for i, category in enumerate(categories):
        x, base = LEFT + slot * i + slot * 0.2, float(HEIGHT - BOTTOM)
        for name, colour in series.items():
            value = values.get((category, name), 0)
            if not value:
                continue
            h = plot_h * float(value) / top
            base -= h
            body.append(
                f'<rect class="bar" data-category="{escape(category)}" data-series="{escape(name)}"'
                f' data-value="{value}" x="{x:.1f}" y="{base:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}"'
                f' fill="{colour}"><title>{escape(category)} · {escape(name)}: {value}</title></rect>'
            )
        body.append(
            f'<text x="{x + slot * 0.3:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle"'
            f' font-size="12">{escape(category)}</text>'
        )
    for j, (name, colour) in enumerate(series.items()):  # legend, under the axis
        lx = LEFT + j * 110
        body.append(
            f'<rect class="legend" x="{lx}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{lx + 16}" y="{HEIGHT - 8}" font-size="11">{escape(name)}</text>'
        )
    return _svg(title, body)


def line(title: str, points: Sequence[tuple[str, Number]], colour: str, y_label: str) -> Markup:
    """A line through (label, value) points in order, each point a marked circle; with more points than
    labels fit, every point keeps its mark and tooltip but only every n-th is labelled."""
    top = _scale_top(max((float(v) for _, v in points), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(points), 1)
    xy = [(LEFT + step * (i + 0.5), HEIGHT - BOTTOM - plot_h * float(v) / top) for i, (_, v) in enumerate(points)]
    labelled = math.ceil(LABEL_WIDTH / step)
    body = _axis(top, y_label)
    body.append(
        f'<polyline class="trend" fill="none" stroke="{colour}" stroke-width="2" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        + '"/>'
    )
    for i, ((label, value), (x, y)) in enumerate(zip(points, xy, strict=True)):
        body.append(
            f'<circle class="point" data-label="{escape(label)}" data-value="{value}" cx="{x:.1f}"'
            f' cy="{y:.1f}" r="6" fill="{colour}"><title>{escape(label)}: {value}</title></circle>'
        )
        if i % labelled == 0:
            body.append(
                f'<text x="{x:.1f}" y="{y - 10:.1f}" text-anchor="middle" font-size="11">{_fmt(value)}</text>'
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="12">'
                f"{escape(label)}</text>"
            )
    return _svg(title, body)

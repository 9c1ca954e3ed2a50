"""Size-over-time chart as a server-rendered SVG string (no JavaScript library, prints and works offline).

Why hand-built SVG: a few lines and points; all values are numbers or escaped labels, so the markup is
safe to embed with ``|safe``. Each series is one linked calcification across reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

PALETTE = ("#0b4f9c", "#a30000", "#1f6b2a", "#7a4a00", "#5b2a86", "#00626b")
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 20, 44


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[dt.date, float]]


def _nice_max(value: float) -> float:
    for step in (5, 10, 20, 25, 50, 100, 200, 500, 1000):
        if value <= step:
            return float(step)
    return float(value)


def size_chart(series: list[Series], *, title: str, x_label: str, y_label: str) -> str:
    """An SVG line chart of size (mm) against date; an empty string when nothing has two coordinates."""
    series = [s for s in series if s.points]
    if not series:
        return ""
    dates = [d for s in series for d, _ in s.points]
    first, last = min(dates), max(dates)
    span = max((last - first).days, 1)
    top_value = _nice_max(max(v for s in series for _, v in s.points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top_value)

    out = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
    ]
    for i in range(5):
        value = top_value * i / 4
        out.append(f'<line x1="{LEFT - 4}" y1="{y(value):.1f}" x2="{LEFT + plot_w}" y2="{y(value):.1f}" '
                   f'stroke="#ddd"/><text x="{LEFT - 8}" y="{y(value) + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{value:g}</text>')
    for day in sorted(set(dates)):
        out.append(f'<text x="{x(day):.1f}" y="{TOP + plot_h + 16}" font-size="11" '
                   f'text-anchor="middle">{day.isoformat()}</text>')
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 6}" font-size="12" '
               f'text-anchor="middle">{escape(x_label)}</text>')
    out.append(f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="12" text-anchor="middle" '
               f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>')
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = sorted(s.points)
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        out.append(f'<polyline class="series" points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for d, v in points:
            out.append(f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="4.5" fill="{colour}">'
                       f'<title>{escape(s.label)}: {v:g} mm, {d.isoformat()}</title></circle>')
        legend_y = TOP + 14 + 18 * index
        out.append(f'<rect x="{LEFT + plot_w + 14}" y="{legend_y - 9}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{LEFT + plot_w + 32}" y="{legend_y + 1}" font-size="12">{escape(s.label)}</text>')
    out.append("</svg>")
    return "\n".join(out)

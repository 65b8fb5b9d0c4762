"""Charts drawn on the server as inline SVG (no script, no network)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 480, 200, 28
COLOURS = ("#0b6e99", "#d97706", "#15803d", "#b91c1c", "#6d28d9")


def bar_chart(
    bars: Sequence[tuple[str, Decimal | float | int | None]],
    *,
    title: str,
    target: float | None = None,
) -> SafeString:
    """Vertical bars, one per (label, value); an optional dashed target line."""
    values = [float(v or 0) for _, v in bars]
    top = max([*values, target or 0, 1e-9])
    step = (WIDTH - 2 * PAD) / max(len(bars), 1)
    parts = [_open(title)]
    for i, ((label, _value), value) in enumerate(zip(bars, values, strict=True)):
        height = (HEIGHT - 2 * PAD) * value / top
        x = PAD + i * step + step * 0.15
        y = HEIGHT - PAD - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
            f'height="{height:.1f}" fill="{COLOURS[0]}"><title>{escape(label)}: '
            f"{value:,.2f}</title></rect>"
            f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - PAD + 14}" '
            f'text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    if target is not None:
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * target / top
        parts.append(_target_line(y))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def line_chart(
    points: Sequence[tuple[str, float | Decimal | None]],
    *,
    title: str,
    target: float | None = None,
) -> SafeString:
    """One line over labelled points (shares from 0 to 1 or any value)."""
    values = [float(v) if v is not None else 0.0 for _, v in points]
    top = max([*values, target or 0, 1e-9])
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)
    coords = [
        (PAD + i * step, HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top)
        for i, v in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts = [_open(title)]
    parts.append(
        f'<polyline points="{path}" fill="none" stroke="{COLOURS[1]}" '
        'stroke-width="2"/>'
    )
    for (label, _v), (x, y), value in zip(points, coords, values, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[1]}">'
            f"<title>{escape(label)}: {value:.4f}</title></circle>"
            f'<text x="{x:.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    if target is not None:
        parts.append(_target_line(HEIGHT - PAD - (HEIGHT - 2 * PAD) * target / top))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def curves_chart(
    series: Sequence[tuple[str, Sequence[tuple[int, float]]]],
    *,
    title: str,
    x_prefix: str = "M",
) -> SafeString:
    """One line per (label, [(x, share)]) over shared whole-number x values."""
    xs = sorted({x for _, points in series for x, _ in points}) or [1]
    top = max([v for _, points in series for _, v in points] + [1e-9])
    step = (WIDTH - 2 * PAD) / max(len(xs) - 1, 1)
    place = {x: PAD + i * step for i, x in enumerate(xs)}
    parts = [_open(title)]
    for x in xs:
        parts.append(
            f'<text x="{place[x]:.1f}" y="{HEIGHT - PAD + 14}" '
            f'text-anchor="middle" font-size="10">{x_prefix}{x}</text>'
        )
    for index, (label, points) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        coords = [
            (place[x], HEIGHT - PAD - (HEIGHT - 2 * PAD) * v / top) for x, v in points
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"><title>{escape(label)}</title></polyline>'
        )
        parts.append(
            f'<text x="{WIDTH - PAD}" y="{PAD + 12 * index}" text-anchor="end" '
            f'font-size="10" fill="{colour}">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _open(title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" '
        f'y2="{HEIGHT - PAD}" stroke="#999"/>'
    )


def _target_line(y: float) -> str:
    return (
        f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" '
        f'stroke="{COLOURS[3]}" stroke-dasharray="4 3"/>'
    )

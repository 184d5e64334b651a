"""Charts drawn on the server as SVG: no script, nothing fetched, the figures in the page itself.

Each chart is an ``<svg role="img">`` with a title; the page shows the same figures as a table
beside it, so a screen reader (or a printout) loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28
COLOURS = ("#1f5fa8", "#b3261e")
"""Bar colours: dark blue and dark red, each above 4.5:1 against white."""


@dataclass(frozen=True, slots=True)
class Series:
    """One series of bars: its name and a value per category."""

    name: str
    values: Sequence[int]


def _ceiling(value: int) -> int:
    """A round top for an axis of four steps: four times 1, 2 or 5 times a power of ten."""
    scale = 1
    while True:
        for step in (1, 2, 5):
            if 4 * step * scale >= value:
                return 4 * step * scale
        scale *= 10


def _text(x: float, y: float, text: str, anchor: str = "middle", size: int = 11) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="#222">{escape(text)}</text>')  # fmt: skip


def bars(
    title: str, labels: Sequence[str], series: Sequence[Series], number: Callable[[int], str]
) -> Markup:
    """Vertical bars, one group per label and one bar per series, with a y axis and a legend.

    ``number`` writes a count for the reader (``l10n.number`` in the page's language).
    """
    top = _ceiling(max((v for s in series for v in s.values), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group = plot_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 20}" '
        f'role="img" class="chart"><title>{escape(title)}</title>'
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#ccc" stroke-width="1"/>')  # fmt: skip
        parts.append(_text(LEFT - 6, y + 4, str(number(value)), "end"))
    for g, label in enumerate(labels):
        x0 = LEFT + g * group + group * 0.1
        for s, one in enumerate(series):
            value = one.values[g]
            h = plot_h * value / top if top else 0
            x, y = x0 + s * bar, TOP + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(one.name)} {escape(label)}: '
                f"{escape(str(number(value)))}</title></rect>"
            )
        parts.append(_text(LEFT + g * group + group / 2, HEIGHT - 10, label))
    for s, one in enumerate(series if len(series) > 1 else ()):
        x = LEFT + s * 260
        parts.append(f'<rect x="{x}" y="{HEIGHT + 6}" width="10" height="10" '
                     f'fill="{COLOURS[s % len(COLOURS)]}"/>')  # fmt: skip
        parts.append(_text(x + 14, HEIGHT + 15, one.name, "start"))
    parts.append("</svg>")
    return Markup("".join(parts))


def shares(title: str, items: Sequence[tuple[str, int]], number: Callable[[int], str]) -> Markup:
    """Horizontal bars: one row per item (label, count), longest first, with its count."""
    rows = sorted(items, key=lambda item: -item[1])
    top = max((n for _, n in rows), default=0) or 1
    row_h, label_w = 22, 300
    height = row_h * len(rows) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" class="chart"><title>{escape(title)}</title>'
    ]
    for i, (label, n) in enumerate(rows):
        y = 4 + i * row_h
        w = (WIDTH - label_w - 70) * n / top
        parts.append(_text(label_w - 6, y + 15, label, "end"))
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                     f'fill="{COLOURS[0]}"/>')  # fmt: skip
        parts.append(_text(label_w + w + 6, y + 15, str(number(n)), "start"))
    parts.append("</svg>")
    return Markup("".join(parts))


def timeline(
    title: str, points: Sequence[tuple[str, str, str, bool]], words: tuple[str, str]
) -> Markup:
    """Each fact as a dot: effective day across, recorded day down (ISO days); a dot far below
    the diagonal was recorded late. ``points``: (effective, recorded, label, marked)."""
    if not points:
        return Markup("")
    days = [date.fromisoformat(d[:10]) for p in points for d in p[:2]]
    first, last = min(days).toordinal(), max(days).toordinal()
    span = max(last - first, 1)
    size, pad = 320, 48

    def at(day: str) -> float:
        return pad + (size - pad - 10) * (date.fromisoformat(day[:10]).toordinal() - first) / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" role="img" '
        f'class="chart timeline"><title>{escape(title)}</title>',
        f'<line x1="{pad}" y1="{pad}" x2="{size - 10}" y2="{size - 10}" stroke="#999" '
        'stroke-dasharray="4 3"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{size - 10}" y2="{pad}" stroke="#444"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{size - 10}" stroke="#444"/>',
        _text((size + pad) / 2, 14, words[0]),
        _text(pad - 4, pad - 4, str(min(days).year), "end", 10),
        _text(size - 10, pad - 4, str(max(days).year), "end", 10),
        f'<text x="14" y="{(size + pad) / 2:.0f}" font-size="11" fill="#222" '
        f'transform="rotate(-90 14 {(size + pad) / 2:.0f})" text-anchor="middle">'
        f"{escape(words[1])}</text>",
    ]
    for effective, recorded, label, marked in points:
        colour = COLOURS[1] if marked else COLOURS[0]
        parts.append(
            f'<circle cx="{at(effective):.1f}" cy="{at(recorded):.1f}" r="5" fill="{colour}">'
            f"<title>{escape(label)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))

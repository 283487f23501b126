"""Inline SVG charts made at build time (pure; no scripts, no colours needed to read)."""
from __future__ import annotations

from html import escape

from markupsafe import Markup


def _mark_lines(mark: str) -> list[str]:
    """A status mark on one line, or two when long ("đang diễn ra" -> "đang", "diễn ra")."""
    if len(mark) <= 7 or " " not in mark:
        return [mark]
    first, rest = mark.split(" ", 1)
    return [first, rest]


def bar_chart(title: str, labels: list[str], values: list[int], marks: list[str], threshold: int) -> Markup:
    """Bars with their value written on top, a dashed threshold line, and a text mark
    under each bar (e.g. "đạt"/"thiếu"), so nothing depends on colour.  Bars that are not
    "đạt" also get a dashed outline."""
    width_per = 56
    height, top, bottom, left = 236, 24, 72, 36
    width = left + max(len(values), 1) * width_per + 10
    peak = max([*values, threshold, 1])
    scale = (height - top - bottom) / peak
    base_y = height - bottom
    parts = [
        f'<svg class="bieu-do" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="bd-title" focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="bd-title">{escape(title)}</title>',
        f'<line x1="{left}" y1="{base_y}" x2="{width - 5}" y2="{base_y}" stroke="#333" stroke-width="1"/>',
    ]
    ty = base_y - threshold * scale
    parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{width - 5}" y2="{ty:.1f}" stroke="#8a1c1c" '
                 f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    parts.append(f'<text x="2" y="{ty + 4:.1f}" font-size="11" fill="#8a1c1c">≥{threshold}</text>')
    for i, (label, value, mark) in enumerate(zip(labels, values, marks)):
        x = left + i * width_per + 8
        cx = x + (width_per - 16) / 2
        h = value * scale
        fill = "#1d5a8c" if mark in ("đạt", "miễn") else "#b45309"
        pattern = ' stroke="#000" stroke-width="1" stroke-dasharray="3 2"' if mark != "đạt" else ""
        parts.append(f'<rect x="{x}" y="{base_y - h:.1f}" width="{width_per - 16}" height="{h:.1f}" fill="{fill}"{pattern}/>')
        parts.append(f'<text x="{cx:.1f}" y="{base_y - h - 4:.1f}" font-size="12" '
                     f'text-anchor="middle" fill="#111">{value}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{base_y + 16}" font-size="11" '
                     f'text-anchor="middle" fill="#111">{escape(label)}</text>')
        for n, line in enumerate(_mark_lines(mark)):
            parts.append(f'<text x="{cx:.1f}" y="{base_y + 32 + 13 * n}" font-size="11" '
                         f'text-anchor="middle" fill="#111">{escape(line)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


MARKERS = ("circle", "square", "triangle", "diamond", "cross")


def _marker(shape: str, x: float, y: float) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#fff" stroke="#111" stroke-width="2"/>'
    if shape == "square":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="#111"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 6:.1f} L{x + 6:.1f} {y + 5:.1f} L{x - 6:.1f} {y + 5:.1f} Z" fill="#111"/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f} {y - 6:.1f} L{x + 6:.1f} {y:.1f} L{x:.1f} {y + 6:.1f} L{x - 6:.1f} {y:.1f} Z" fill="#fff" stroke="#111" stroke-width="2"/>'
    return f'<path d="M{x - 5:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 5:.1f} M{x + 5:.1f} {y - 5:.1f} L{x - 5:.1f} {y + 5:.1f}" stroke="#111" stroke-width="2"/>'


def rank_chart(title: str, series: list[tuple[str, list[tuple[int, int]]]]) -> Markup:
    """Rank over the years, one line per index (rank 1 at the top); every point carries
    its rank as text and each index its own marker shape and dash style."""
    years = sorted({year for _, points in series for year, _ in points})
    ranks = [rank for _, points in series for _, rank in points]
    if not years or not ranks:
        return Markup("")
    width, height, left, top, bottom = max(320, 90 * len(years) + 80), 260, 50, 20, 60
    worst = max(ranks)
    span_x = max(len(years) - 1, 1)

    def pos(year: int, rank: int) -> tuple[float, float]:
        x = left + (years.index(year) / span_x) * (width - left - 30) if len(years) > 1 else width / 2
        y = top + ((rank - 1) / max(worst - 1, 1)) * (height - top - bottom)
        return x, y

    parts = [
        f'<svg class="bieu-do" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="xh-title" focusable="false" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="xh-title">{escape(title)}</title>',
    ]
    for year in years:
        x, _ = pos(year, 1)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" font-size="12" text-anchor="middle" fill="#111">{year}</text>')
    parts.append(f'<text x="4" y="{top + 4}" font-size="11" fill="#111">hạng 1</text>')
    parts.append(f'<text x="4" y="{height - bottom}" font-size="11" fill="#111">hạng {worst}</text>')
    dashes = ("", ' stroke-dasharray="6 3"', ' stroke-dasharray="2 3"', ' stroke-dasharray="10 3 2 3"', "")
    for n, (name, points) in enumerate(series):
        shape = MARKERS[n % len(MARKERS)]
        coords = [pos(year, rank) for year, rank in sorted(points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1d5a8c" stroke-width="2"{dashes[n % len(dashes)]}/>')
        for (year, rank), (x, y) in zip(sorted(points), coords):
            parts.append(_marker(shape, x, y))
            parts.append(f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" font-size="11" fill="#111">{rank}</text>')
        ly = height - 24 + (n // 3) * 14
        lx = left + (n % 3) * 120
        parts.append(_marker(shape, lx, ly - 4))
        parts.append(f'<text x="{lx + 10}" y="{ly}" font-size="11" fill="#111">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

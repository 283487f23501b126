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


def _marker(shape: str, x: float, y: float, colour: str = "#111") -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="#fff" stroke="{colour}" stroke-width="2.5"/>'
    if shape == "square":
        return f'<rect x="{x - 5.5:.1f}" y="{y - 5.5:.1f}" width="11" height="11" fill="{colour}"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 7:.1f} L{x + 7:.1f} {y + 6:.1f} L{x - 7:.1f} {y + 6:.1f} Z" fill="{colour}"/>'
    if shape == "diamond":
        return (f'<path d="M{x:.1f} {y - 7:.1f} L{x + 7:.1f} {y:.1f} L{x:.1f} {y + 7:.1f} L{x - 7:.1f} {y:.1f} Z" '
                f'fill="#fff" stroke="{colour}" stroke-width="2.5"/>')
    return (f'<path d="M{x - 6:.1f} {y - 6:.1f} L{x + 6:.1f} {y + 6:.1f} M{x + 6:.1f} {y - 6:.1f} L{x - 6:.1f} {y + 6:.1f}" '
            f'stroke="{colour}" stroke-width="3"/>')


RANK_COLOURS = ("#1d4f7c", "#8a1c1c", "#1b5e20", "#5b2c83", "#333333")
RANK_DASHES = ("", "8 4", "2 4", "10 4 2 4", "4 2")


def _nice_rank_limit(worst: int) -> int:
    return max(10, -(-worst // 10) * 10)


def rank_chart(title: str, series: list[tuple[str, list[tuple[int, int]]]]) -> Markup:
    """Rank over the years, one line per index, rank 1 at the top; years placed by value.

    Readable without colour: each index has its own marker shape and dash pattern, every
    point is labelled with its rank, and the legend repeats shape and dash.  ``<title>``
    and ``<desc>`` give the values in words; the page's tables are the full alternative.
    """
    series = [(name, sorted(points)) for name, points in series if points]
    years = sorted({year for _, points in series for year, _ in points})
    if not years:
        return Markup("")
    worst = max(rank for _, points in series for _, rank in points)
    limit = _nice_rank_limit(worst)
    left, right, top, plot_h = 64, 48, 36, 200
    step = 96
    width = max(340, left + right + step * (years[-1] - years[0]))
    per_row = max(1, (width - 16) // 170)
    legend_rows = -(-len(series) // per_row)
    axis_y = top + plot_h
    height = axis_y + 40 + 24 * legend_rows
    span = max(years[-1] - years[0], 1)

    def x_of(year: int) -> float:
        if len(years) == 1:
            return left + (width - left - right) / 2
        return left + (year - years[0]) / span * (width - left - right)

    def y_of(rank: int) -> float:
        return top + (rank - 1) / (limit - 1) * plot_h

    described = "; ".join(f"{name}: " + ", ".join(f"năm {y} hạng {r}" for y, r in points) for name, points in series)
    parts = [
        f'<svg class="bieu-do bieu-do-xep-hang" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="xh-title xh-desc" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="sans-serif" font-size="13">',
        f'<title id="xh-title">{escape(title)}</title>',
        f'<desc id="xh-desc">{escape(described)}.</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
        f'<text x="4" y="{top - 18}" fill="#111">Hạng (1 là cao nhất)</text>',
    ]
    for tick in (1, *range(10, limit + 1, 10)):
        y = y_of(tick)
        grid_dash = "" if tick == 1 else ' stroke-dasharray="3 3"'
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right + 16}" y2="{y:.1f}" stroke="#c9d3dd" '
                     f'stroke-width="1"{grid_dash}/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#111">{tick}</text>')
    parts.append(f'<line x1="{left}" y1="{axis_y + 8}" x2="{width - right + 16}" y2="{axis_y + 8}" stroke="#333" stroke-width="1"/>')
    for year in years:
        x = x_of(year)
        parts.append(f'<line x1="{x:.1f}" y1="{axis_y + 8}" x2="{x:.1f}" y2="{axis_y + 13}" stroke="#333" stroke-width="1"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis_y + 28}" text-anchor="middle" fill="#111">{year}</text>')
    for n, (name, points) in enumerate(series):
        colour = RANK_COLOURS[n % len(RANK_COLOURS)]
        dash = RANK_DASHES[n % len(RANK_DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        shape = MARKERS[n % len(MARKERS)]
        coords = [(x_of(year), y_of(rank)) for year, rank in points]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        for (year, rank), (x, y) in zip(points, coords):
            parts.append(_marker(shape, x, y, colour))
            parts.append(f'<text x="{x + 9:.1f}" y="{y - 8:.1f}" fill="#111" font-weight="bold">{rank}</text>')
        lx = 16 + (n % per_row) * 170
        ly = axis_y + 56 + (n // per_row) * 24
        parts.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 36}" y2="{ly - 4}" stroke="{colour}" stroke-width="2.5"{dash_attr}/>')
        parts.append(_marker(shape, lx + 18, ly - 4, colour))
        parts.append(f'<text x="{lx + 44}" y="{ly}" fill="#111">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

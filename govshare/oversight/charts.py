"""Static SVG charts for the yearly sharing report: grouped bars, horizontal "top N" bars and lines.

The SVG is built as plain text and inlined in the report's HTML page, which is also printed to PDF,
so a chart loads nothing at run time: no script, no web font, no external reference. Hovering a bar
or a point shows its value through an SVG ``<title>``. The same input always gives the same string,
so two reports of the same data compare equal.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["FONT_FAMILY", "NO_DATA", "PALETTE", "Series", "bar_chart", "hbar_chart", "line_chart"]

# Eight colours that stay apart on screen, on a colour printer and mostly in grey scale (no pale yellow).
PALETTE = ("#1f5fa8", "#e07b00", "#2a9d5c", "#c23b3b", "#7d5ba6", "#8c5a3c", "#d163a0", "#5b6570")
# Installed CJK fonts first: the PDF is printed on a server, the page is opened on Windows desktops.
FONT_FAMILY = "'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Microsoft YaHei', sans-serif"
NO_DATA = "无数据 (no data)"

TITLE_SIZE = 15
TEXT_SIZE = 11
HBAR_TEXT_SIZE = 12
AXIS_COLOUR = "#333333"
GRID_COLOUR = "#dddddd"

# Characters that XML 1.0 forbids; a label taken from a database could still hold one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per chart label."""

    name: str
    values: Sequence[float]


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: int = 640,
    height: int = 280,
) -> str:
    """Vertical bars, grouped by label, one colour per series; a legend when there is more than one series."""
    _check_values("bar chart", title, labels, series)

    def draw(plot: _Plot) -> list[str]:
        parts: list[str] = []
        group = plot.band * 0.8
        bar = group / len(series)
        for i, label in enumerate(labels):
            start = plot.left + i * plot.band + (plot.band - group) / 2
            for j, one in enumerate(series):
                value = float(one.values[i])
                y = plot.y(value)
                parts.append(
                    f'<rect class="bar" x="{_n(start + j * bar)}" y="{_n(y)}" width="{_n(bar * 0.92)}"'
                    f' height="{_n(plot.bottom - y)}" fill="{_colour(j)}" data-series="{_attr(one.name)}"'
                    f' data-label="{_attr(label)}" data-value="{_data(value)}">'
                    f"<title>{_text(_hover(one.name, len(series), label, value, unit))}</title></rect>"
                )
        return parts

    return _axes_chart("bar chart", title, labels, series, unit, width, height, draw)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    unit: str = "",
    width: int = 640,
    height: int = 280,
) -> str:
    """One line per series over the labels, with a point per value; axes and legend as in :func:`bar_chart`."""
    _check_values("line chart", title, labels, series)

    def draw(plot: _Plot) -> list[str]:
        parts: list[str] = []
        # Points shrink when a year of days is drawn, so that they do not merge into a band.
        radius = min(3.0, max(1.2, plot.band / 3))
        for j, one in enumerate(series):
            points = [(plot.centre(i), plot.y(float(value))) for i, value in enumerate(one.values)]
            joined = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
            parts.append(
                f'<polyline class="line" data-series="{_attr(one.name)}" points="{joined}" fill="none"'
                f' stroke="{_colour(j)}" stroke-width="2" stroke-linejoin="round"/>'
            )
            for (x, y), label, value in zip(points, labels, one.values, strict=True):
                parts.append(
                    f'<circle class="point" cx="{_n(x)}" cy="{_n(y)}" r="{_n(radius)}" fill="{_colour(j)}"'
                    f' data-series="{_attr(one.name)}" data-label="{_attr(label)}" data-value="{_data(value)}">'
                    f"<title>{_text(_hover(one.name, len(series), label, float(value), unit))}</title></circle>"
                )
        return parts

    return _axes_chart("line chart", title, labels, series, unit, width, height, draw)


def hbar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, unit: str = "", width: int = 640) -> str:
    """Horizontal bars for a "top N" list, in the given order, each with its value written at its end.

    The height grows with the number of rows; the left margin is sized from the longest label so that
    long department names fit, and only names wider than 45 % of the chart are shortened (with "…")."""
    _check_values("horizontal bar chart", title, labels, [Series("", values)])
    _check_size("horizontal bar chart", title, width, 200)
    row, bar = 24, 15
    top = 40
    label_room = width * 0.45
    widest_label = max((_width(label, HBAR_TEXT_SIZE) for label in labels), default=0.0)
    left = max(40.0, min(widest_label, label_room) + 16)
    shown = [_value_text(float(value), unit) for value in values]
    right = max((_width(text, HBAR_TEXT_SIZE) for text in shown), default=0.0) + 16
    plot_width = width - left - right
    empty = not labels or all(value == 0 for value in values)
    height = top + max(len(labels), 3 if empty else 1) * row + 16
    bottom = height - 16

    parts = [_open(title, width, height)]
    parts.append(f'<line class="axis" x1="{_n(left)}" y1="{top - 4}" x2="{_n(left)}" y2="{bottom}"/>')
    if empty:
        parts.append(_no_data(left + plot_width / 2, (top + bottom) / 2))
        return _close(parts)
    top_value = max(float(value) for value in values)
    for i, (label, value, text) in enumerate(zip(labels, values, shown, strict=True)):
        middle = top + i * row + row / 2
        length = float(value) / top_value * plot_width
        parts.append(
            f'<text class="y-label" x="{_n(left - 8)}" y="{_n(middle)}" text-anchor="end" dominant-baseline="middle"'
            f' font-size="{HBAR_TEXT_SIZE}">{_fitted(label, label_room, HBAR_TEXT_SIZE)}</text>'
        )
        parts.append(
            f'<rect class="bar" x="{_n(left)}" y="{_n(middle - bar / 2)}" width="{_n(length)}" height="{bar}"'
            f' fill="{PALETTE[0]}" data-label="{_attr(label)}" data-value="{_data(value)}">'
            f"<title>{_text(_hover('', 1, label, float(value), unit))}</title></rect>"
        )
        parts.append(
            f'<text class="value" x="{_n(left + length + 5)}" y="{_n(middle)}" dominant-baseline="middle"'
            f' font-size="{HBAR_TEXT_SIZE}">{_text(text)}</text>'
        )
    return _close(parts)


@dataclass(frozen=True)
class _Plot:
    """The area inside the axes, and the y axis's top value."""

    left: float
    top: float
    right: float
    bottom: float
    band: float  # width given to one label
    top_value: float

    def y(self, value: float) -> float:
        return self.bottom - value / self.top_value * (self.bottom - self.top)

    def centre(self, index: int) -> float:
        return self.left + (index + 0.5) * self.band


def _axes_chart(
    kind: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str,
    width: int,
    height: int,
    draw: Callable[[_Plot], list[str]],
) -> str:
    """The frame shared by bar and line charts: title, legend, y ticks, x labels; ``draw`` adds the data."""
    _check_size(kind, title, width, 200, height, 120)
    parts = [_open(title, width, height)]
    empty = not labels or all(float(value) == 0 for one in series for value in one.values)
    top = 34.0
    if len(series) > 1 and not empty:
        legend, legend_height = _legend([one.name for one in series], width, top)
        parts.extend(legend)
        top += legend_height
    if unit:
        parts.append(f'<text class="unit" x="12" y="{_n(top + 6)}" font-size="{TEXT_SIZE}">单位：{_text(unit)}</text>')
        top += 14
    top += 8  # room for the top tick's text, which is centred on its line

    if empty:
        left, bottom = 48.0, height - 30.0
        parts.append(_axes(left, top, width - 16.0, bottom, "axis frame"))
        parts.append(_no_data((left + width - 16) / 2, (top + bottom) / 2))
        return _close(parts)

    top_value, ticks, decimals = _ticks(max(float(value) for one in series for value in one.values))
    tick_texts = [_number(tick, decimals) for tick in ticks]
    left = max(_width(text, TEXT_SIZE) for text in tick_texts) + 18
    right = width - 16.0
    band = (right - left) / len(labels)
    widest = max(_width(label, TEXT_SIZE) for label in labels)
    rotate = widest > band - 4
    if rotate:
        # Labels at 45° take about a line's height each along the axis: keep every n-th when they are denser.
        longest = min(widest, height * 0.3)
        bottom_room = longest * 0.71 + TEXT_SIZE + 8
        # The first label reaches left of its bar; widen the margin rather than cut it off at the edge.
        left = max(left, min(longest * 0.71 + 4 - band / 2, width * 0.25))
        band = (right - left) / len(labels)
        every = max(1, math.ceil((TEXT_SIZE + 3) / band))
    else:
        longest = widest
        bottom_room = TEXT_SIZE + 12
        every = 1
    bottom = height - bottom_room
    plot = _Plot(left, top, right, bottom, band, top_value)

    for tick, text in zip(ticks, tick_texts, strict=True):
        level = _n(plot.y(tick))
        parts.append(
            f'<g class="y-tick" data-value="{_data(tick)}">'
            f'<line x1="{_n(left)}" y1="{level}" x2="{_n(right)}" y2="{level}" stroke="{GRID_COLOUR}"/>'
            f'<text x="{_n(left - 6)}" y="{level}" text-anchor="end" dominant-baseline="middle"'
            f' font-size="{TEXT_SIZE}">{_text(text)}</text></g>'
        )
    parts.extend(draw(plot))
    parts.append(_axes(left, top, right, bottom))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = _n(plot.centre(i))
        if rotate:
            y = _n(bottom + 10)
            placement = f'text-anchor="end" transform="rotate(-45 {x} {y})"'
        else:
            y, placement = _n(bottom + TEXT_SIZE + 4), 'text-anchor="middle"'
        parts.append(
            f'<text class="x-label" x="{x}" y="{y}" {placement} font-size="{TEXT_SIZE}">'
            f"{_fitted(label, longest, TEXT_SIZE)}</text>"
        )
    return _close(parts)


def _check_values(kind: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> None:
    chart = f"{kind} {title!r}"
    for one in series:
        if len(one.values) != len(labels):
            counts = f"{len(one.values)} values for {len(labels)} labels"
            raise ValueError(f"{chart}: series {one.name!r} has {counts}" if one.name else f"{chart}: {counts}")
        for label, value in zip(labels, one.values, strict=True):
            where = f"{chart}: value {value!r} for label {label!r}"
            if one.name and len(series) > 1:
                where += f" in series {one.name!r}"
            if math.isnan(value):
                raise ValueError(f"{where} is not a number (NaN); chart values must be numbers of 0 or more")
            if math.isinf(value):
                raise ValueError(f"{where} is infinite; chart values must be finite")
            if value < 0:
                raise ValueError(f"{where} is negative; chart values must be 0 or more")


def _check_size(kind: str, title: str, width: int, min_width: int, height: int = 0, min_height: int = 0) -> None:
    if width < min_width or height < min_height:
        size = f"width {width}" + (f", height {height}" if min_height else "")
        least = f"width {min_width}" + (f", height {min_height}" if min_height else "")
        raise ValueError(f"{kind} {title!r}: {size} is too small to draw; use at least {least}")


def _ticks(top_value: float) -> tuple[float, list[float], int]:
    """The axis's top, 4 to 6 ticks from 0 in steps of 1, 2 or 5 × 10^n, and the decimals they need."""
    exponent = math.floor(math.log10(top_value / 5))
    while True:
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            intervals = max(1, math.ceil(top_value / step - 1e-9))
            if intervals <= 5:
                # Dividing by an exact power of ten keeps 0.3 from coming out as 0.30000000000000004.
                if exponent >= 0:
                    ticks = [float(i * mantissa * 10**exponent) for i in range(intervals + 1)]
                else:
                    ticks = [i * mantissa / 10 ** (-exponent) for i in range(intervals + 1)]
                return ticks[-1], ticks, max(0, -exponent)
        exponent += 1


def _legend(names: Sequence[str], width: int, top: float) -> tuple[list[str], float]:
    parts: list[str] = []
    x, y, line = 12.0, top, 16
    for j, name in enumerate(names):
        item = 14 + _width(name, TEXT_SIZE) + 16
        if x > 12 and x + item > width - 12:
            x, y = 12.0, y + line
        parts.append(
            f'<g class="legend-item"><rect class="swatch" x="{_n(x)}" y="{_n(y)}" width="10" height="10"'
            f' fill="{_colour(j)}"/><text x="{_n(x + 14)}" y="{_n(y + 9)}" font-size="{TEXT_SIZE}">'
            f"{_fitted(name, width - 40, TEXT_SIZE)}</text></g>"
        )
        x += item
    return parts, y + line - top + 4


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" style="max-width: 100%; height: auto"'
        f' font-family="{FONT_FAMILY}" fill="{AXIS_COLOUR}">'
        f"<title>{_text(title)}</title>"
        f'<text class="chart-title" x="12" y="22" font-size="{TITLE_SIZE}" font-weight="bold">'
        f"{_fitted(title, width - 24, TITLE_SIZE)}</text>"
    )


def _close(parts: list[str]) -> str:
    parts.append("</svg>")
    return "\n".join(parts)


def _axes(left: float, top: float, right: float, bottom: float, css_class: str = "axis") -> str:
    return (
        f'<path class="{css_class}" d="M{_n(left)},{_n(top)} V{_n(bottom)} H{_n(right)}" fill="none"'
        f' stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )


def _no_data(x: float, y: float) -> str:
    return (
        f'<text class="no-data" x="{_n(x)}" y="{_n(y)}" text-anchor="middle" dominant-baseline="middle"'
        f' font-size="{TITLE_SIZE}" fill="#777777">{_text(NO_DATA)}</text>'
    )


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _hover(series: str, series_count: int, label: str, value: float, unit: str) -> str:
    where = f"{series} · {label}" if series and series_count > 1 else label
    return f"{where}: {_value_text(value, unit)}"


def _value_text(value: float, unit: str) -> str:
    # Small shares such as 0.0042 keep their significant digits.
    text = _number(value, 2) if value.is_integer() or value >= 1 else f"{value:.3g}"
    return f"{text} {unit}" if unit else text


def _number(value: float, decimals: int) -> str:
    """Thousands separators below a million (1,200), millions as 1.2M."""
    if abs(value) >= 1_000_000:
        return _strip(f"{value / 1_000_000:,.2f}") + "M"
    return _strip(f"{value:,.{decimals}f}")


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _data(value: float) -> str:
    """A value as written in data-value: exact, without a trailing .0 for whole numbers."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _n(coordinate: float) -> str:
    text = _strip(f"{coordinate:.2f}")
    return "0" if text == "-0" else text


def _width(text: str, size: float) -> float:
    """Estimated width of text: CJK and other wide characters count double."""
    units = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return units * size * 0.6


def _fitted(text: str, room: float, size: float) -> str:
    """Escaped text, shortened with "…" to fit ``room``; a shortened text keeps the whole in a hover title."""
    if _width(text, size) <= room:
        return _text(text)
    cut = text
    while cut and _width(cut + "…", size) > room:
        cut = cut[:-1]
    return f"{_text(cut)}…<title>{_text(text)}</title>"


def _text(text: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", text))


def _attr(text: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", text), {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})

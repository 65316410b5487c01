"""The report's SVG charts, read back as XML: what they show must match the numbers given."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from govshare.oversight.charts import NO_DATA, Series, bar_chart, hbar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def having(root: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{SVG}{tag}") if css_class in (e.get("class") or "").split()]


def visible(element: ET.Element) -> str:
    """Text drawn by a <text> element (a shortened label keeps the whole in a <title> child, not drawn)."""
    return element.text or ""


def num(element: ET.Element, attribute: str) -> float:
    return float(element.get(attribute) or "nan")


def tick_values(root: ET.Element) -> list[float]:
    return [num(g, "data-value") for g in having(root, "g", "y-tick")]


def top_tick_y(root: ET.Element) -> float:
    return min(num(line, "y1") for g in having(root, "g", "y-tick") for line in g.iter(f"{SVG}line"))


def test_bar_heights_are_proportional_to_values() -> None:
    values = [10.0, 25.0, 40.0, 0.0, 3.0]
    root = parse(bar_chart("申请数", list("ABCDE"), [Series("2025", values)]))
    bars = having(root, "rect", "bar")
    heights = [num(bar, "height") for bar in bars]
    assert [num(bar, "data-value") for bar in bars] == values
    for height, value in zip(heights, values, strict=True):
        assert height / heights[2] == pytest.approx(value / 40, abs=0.002)
    # All bars stand on the same baseline.
    assert len({round(num(bar, "y") + num(bar, "height"), 1) for bar in bars}) == 1


@pytest.mark.parametrize("top", [0.3, 1, 7, 10, 99, 101, 1234, 50_000, 2_500_000])
def test_tallest_bar_ends_at_or_below_the_top_tick(top: float) -> None:
    root = parse(bar_chart("t", ["a", "b"], [Series("s", [top / 3, top])]))
    ticks = tick_values(root)
    assert 4 <= len(ticks) <= 6
    assert ticks[0] == 0 and ticks[-1] >= top
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(mantissa == pytest.approx(m) for m in (1, 2, 5)), ticks
    assert all(b - a == pytest.approx(step) for a, b in itertools.pairwise(ticks))
    tallest = min(num(bar, "y") for bar in having(root, "rect", "bar"))
    assert tallest >= top_tick_y(root) - 0.01
    # The axis stays below the chart's title.
    assert top_tick_y(root) > num(having(root, "text", "chart-title")[0], "y")


def test_axis_numbers_use_thousands_separators_and_millions() -> None:
    thousands = parse(bar_chart("t", ["a"], [Series("s", [1400])]))
    millions = parse(bar_chart("t", ["a"], [Series("s", [2_400_000])]))
    assert [visible(t) for g in having(thousands, "g", "y-tick") for t in g.iter(f"{SVG}text")] == [
        "0",
        "500",
        "1,000",
        "1,500",
    ]
    assert [visible(t) for g in having(millions, "g", "y-tick") for t in g.iter(f"{SVG}text")] == [
        "0",
        "500,000",
        "1M",
        "1.5M",
        "2M",
        "2.5M",
    ]


def test_every_label_is_shown_and_markup_in_labels_is_text() -> None:
    labels = ["一月", '<b>&"x"', "O'Brien & Co"]
    svg = bar_chart('<i>标题</i> & "more"', labels, [Series('<s>&"2025"', [1, 2, 3])])
    assert "<b>" not in svg and "<i>" not in svg
    root = parse(svg)
    assert [visible(t) for t in having(root, "text", "x-label")] == labels
    assert [bar.get("data-label") for bar in having(root, "rect", "bar")] == labels
    assert {bar.get("data-series") for bar in having(root, "rect", "bar")} == {'<s>&"2025"'}
    assert root.findtext(f"{SVG}title") == '<i>标题</i> & "more"'
    assert visible(having(root, "text", "chart-title")[0]) == '<i>标题</i> & "more"'


def test_one_bar_per_label_and_series_with_a_legend_for_several_series() -> None:
    labels = ["市公安局", "市卫健委", "市教育局"]
    series = [Series("2024", [5, 6, 7]), Series("2025", [8, 9, 1])]
    root = parse(bar_chart("对比", labels, series))
    bars = having(root, "rect", "bar")
    assert len(bars) == len(labels) * len(series)
    assert [(b.get("data-series"), b.get("data-label"), num(b, "data-value")) for b in bars] == [
        (s.name, label, float(s.values[i])) for i, label in enumerate(labels) for s in series
    ]
    legend = [visible(t) for g in having(root, "g", "legend-item") for t in g.iter(f"{SVG}text")]
    assert legend == ["2024", "2025"]
    # The two series are told apart by colour, in the bars and in the legend.
    assert len({b.get("fill") for b in bars}) == 2

    single = parse(bar_chart("单列", labels, series[:1]))
    assert having(single, "g", "legend-item") == []


def test_bar_hover_shows_label_value_and_unit() -> None:
    root = parse(bar_chart("申请", ["一月"], [Series("2025", [1200])], unit="次"))
    bar = having(root, "rect", "bar")[0]
    assert bar.findtext(f"{SVG}title") == "一月: 1,200 次"
    assert any("次" in visible(t) for t in having(root, "text", "unit"))


def test_a_month_of_days_is_labelled_and_a_year_is_thinned_out() -> None:
    days = [f"2026-01-{d:02d}" for d in range(1, 32)]
    month = parse(bar_chart("每日", days, [Series("调用", [float(d) for d in range(31)])]))
    month_labels = having(month, "text", "x-label")
    assert [visible(t) for t in month_labels] == days
    assert all("rotate" in (t.get("transform") or "") for t in month_labels)

    year = [f"第{d}天" for d in range(1, 366)]
    chart = parse(bar_chart("全年", year, [Series("调用", [1.0] * 365)]))
    shown = [visible(t) for t in having(chart, "text", "x-label")]
    assert len(having(chart, "rect", "bar")) == 365
    assert 10 < len(shown) < 100 and shown[0] == "第1天" and set(shown) <= set(year)


def test_line_chart_draws_a_line_and_points_per_series() -> None:
    labels = ["一月", "二月", "三月", "四月"]
    series = [Series("省级", [10, 20, 40, 30]), Series("市级", [0, 5, 5, 8])]
    root = parse(line_chart("趋势", labels, series, unit="万次"))
    lines = having(root, "polyline", "line")
    assert [line.get("data-series") for line in lines] == ["省级", "市级"]
    assert all(len((line.get("points") or "").split()) == len(labels) for line in lines)
    points = having(root, "circle", "point")
    assert len(points) == len(labels) * len(series)
    first = [p for p in points if p.get("data-series") == "省级"]
    baseline = max(num(p, "cy") for p in points if num(p, "data-value") == 0)
    rises = [baseline - num(p, "cy") for p in first]
    for rise, value in zip(rises, series[0].values, strict=True):
        assert rise / rises[2] == pytest.approx(value / 40, abs=0.002)
    assert min(num(p, "cy") for p in points) >= top_tick_y(root) - 0.01
    assert first[0].findtext(f"{SVG}title") == "省级 · 一月: 10 万次"


def test_hbar_writes_each_value_at_the_end_of_its_bar() -> None:
    labels = ["市公安局", "市卫健委", "市教育局"]
    root = parse(hbar_chart("前三", labels, [2_500_000, 1200, 0.5], unit="条"))
    bars = having(root, "rect", "bar")
    values = having(root, "text", "value")
    assert [b.get("data-label") for b in bars] == labels
    assert [visible(t) for t in values] == ["2.5M 条", "1,200 条", "0.5 条"]
    for bar, text in zip(bars, values, strict=True):
        assert num(text, "x") >= num(bar, "x") + num(bar, "width")
    assert num(bars[1], "width") / num(bars[0], "width") == pytest.approx(1200 / 2_500_000, abs=0.002)
    assert [visible(t) for t in having(root, "text", "y-label")] == labels


def test_hbar_grows_with_rows_and_makes_room_for_long_chinese_names() -> None:
    def left(labels: list[str]) -> float:
        return num(having(parse(hbar_chart("t", labels, [1.0] * len(labels))), "rect", "bar")[0], "x")

    def height(rows: int) -> float:
        return float(parse(hbar_chart("t", ["x"] * rows, [1.0] * rows)).get("viewBox", "").split()[3])

    long_name = "某某市某某区人民政府办公室大数据中心"
    assert left(["公安局", long_name]) > left(["公安局", "教育局"]) + 100
    # Chinese characters are about twice as wide as Latin ones.
    assert left(["政" * 12]) > left(["x" * 12]) + 50
    root = parse(hbar_chart("t", [long_name], [1.0]))
    assert [visible(t) for t in having(root, "text", "y-label")] == [long_name]
    assert height(10) > height(5) > height(1)


CHARTS: dict[str, Callable[[str, list[str], list[float]], str]] = {
    "bar": lambda title, labels, values: bar_chart(title, labels, [Series("s", values)]),
    "line": lambda title, labels, values: line_chart(title, labels, [Series("s", values)]),
    "hbar": lambda title, labels, values: hbar_chart(title, labels, values),
}


@pytest.mark.parametrize("kind", CHARTS)
@pytest.mark.parametrize(("labels", "values"), [([], []), (["一月", "二月"], [0.0, 0.0])])
def test_an_empty_chart_says_there_is_no_data(kind: str, labels: list[str], values: list[float]) -> None:
    root = parse(CHARTS[kind]("空表", labels, values))
    assert [visible(t) for t in having(root, "text", "no-data")] == [NO_DATA]
    assert "无数据" in NO_DATA
    assert having(root, "rect", "bar") == having(root, "polyline", "line") == having(root, "circle", "point") == []
    assert having(root, "path", "axis") or having(root, "line", "axis")


def test_an_empty_bar_chart_without_series_says_there_is_no_data() -> None:
    root = parse(bar_chart("空表", ["一月"], []))
    assert [visible(t) for t in having(root, "text", "no-data")] == [NO_DATA]


@pytest.mark.parametrize("kind", CHARTS)
@pytest.mark.parametrize(("value", "words"), [(-3.0, "negative"), (math.nan, "NaN"), (math.inf, "infinite")])
def test_a_value_that_cannot_be_drawn_is_an_error_naming_chart_and_label(kind: str, value: float, words: str) -> None:
    with pytest.raises(ValueError, match=words) as caught:
        CHARTS[kind]("部门排名", ["市公安局", "市卫健委"], [1.0, value])
    message = str(caught.value)
    assert "部门排名" in message and "市卫健委" in message and repr(value) in message
    assert "市公安局" not in message


@pytest.mark.parametrize("kind", CHARTS)
def test_labels_and_values_of_different_lengths_are_an_error_naming_the_chart(kind: str) -> None:
    with pytest.raises(ValueError, match=r"部门排名.*2 values for 3 labels"):
        CHARTS[kind]("部门排名", ["a", "b", "c"], [1.0, 2.0])


def test_series_of_the_wrong_length_is_named() -> None:
    with pytest.raises(ValueError, match=r"'趋势'.*'2025' has 1 values for 2 labels"):
        line_chart("趋势", ["a", "b"], [Series("2024", [1, 2]), Series("2025", [1])])


def test_charts_are_self_contained_accessible_and_use_cjk_fonts() -> None:
    for svg in (
        bar_chart("柱", ["a"], [Series("s", [1])]),
        line_chart("线", ["a"], [Series("s", [1])]),
        hbar_chart("横", ["a"], [1]),
    ):
        root = parse(svg)
        assert root.get("role") == "img" and root.get("viewBox")
        assert root[0].tag == f"{SVG}title" and root[0].text in {"柱", "线", "横"}
        fonts = root.get("font-family") or ""
        for font in ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "Microsoft YaHei", "sans-serif"):
            assert font in fonts
        assert not any(word in svg for word in ("href", "<script", "url(", "@import"))
        assert svg.count("://") == 1  # the SVG namespace, nothing fetched


def test_same_input_gives_the_same_svg() -> None:
    def draw() -> tuple[str, str, str]:
        labels = [f"{d}日" for d in range(1, 32)]
        series = [Series("a", [d * 1.7 for d in range(31)]), Series("b", tuple(float(d % 7) for d in range(31)))]
        return (
            bar_chart("月", labels, series, unit="次"),
            line_chart("月", labels, series),
            hbar_chart("前十", labels[:10], [float(v) for v in range(10, 0, -1)]),
        )

    assert draw() == draw()

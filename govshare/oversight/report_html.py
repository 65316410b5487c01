"""The yearly sharing report as one self-contained HTML page: inline SVG charts and CSS, nothing
fetched, laid out in A4 pages so that the same file prints to the PDF (oversight.pdf).

Pages: 1 the year at a glance and use by month; 2 what was provided, denied and used under each
grant; 3 answers to applications and the evaluation; 4 the evaluation's figures in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from govshare.oversight.charts import Series, bar_chart, hbar_chart, line_chart
from govshare.oversight.evaluation import WEIGHTS, Evaluation
from govshare.oversight.report_data import MONTHS, ReportData

STYLE = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Microsoft YaHei', sans-serif; color: #222;
       max-width: 190mm; margin: 0 auto; font-size: 10.5pt; }
h1 { font-size: 17pt; margin: 0 0 4pt; } h2 { font-size: 13pt; border-bottom: 1px solid #999; margin-top: 14pt; }
.page + .page { break-before: page; }
figure { margin: 6pt 0; break-inside: avoid; } figure svg { width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; break-inside: auto; font-size: 9pt; }
th, td { border: 1px solid #bbb; padding: 2pt 4pt; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #eef2f7; } .note { color: #555; font-size: 9pt; } .empty { color: #777; font-style: italic; }
"""
# The outcomes a reader tells apart; the rest are summed as "other".
SHOWN = {"answered": "已答复", "partial": "部分答复", "rejected": "已拒绝"}


def render(data: ReportData) -> str:
    pages = [_glance(data), _provided(data), _answers(data), _figures(data)]
    body = "\n".join(f'<section class="page" id="page-{n}">\n{p}\n</section>' for n, p in enumerate(pages, 1))
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>{escape(data.title)}</title>\n'
        f"<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _glance(data: ReportData) -> str:
    received = sum(e.received for e in data.evaluations)
    overdue = sum(e.overdue for e in data.evaluations)
    figures = [
        ("操作次数 operations", data.total_operations),
        ("读取行数 rows read", sum(data.rows_by_month)),
        ("提供的数据项次数 item values given", data.given),
        ("被拒绝的数据项次数 items denied", data.denied),
        ("收到的共享申请 applications received", received),
        ("逾期答复 overdue answers", overdue),
    ]
    series = [Series(SHOWN[o], data.operations_by_month.get(o, [0] * 12)) for o in SHOWN]
    other = [sum(v[m] for o, v in data.operations_by_month.items() if o not in SHOWN) for m in range(12)]
    series.append(Series("其他", other))
    months = [f"{m}月" for m in MONTHS]
    return "\n".join([
        f"<h1>{escape(data.title)}</h1>",
        f'<p class="note">统计期间 {data.year}-01-01 至 {data.year}-12-31（北京时间）；生成于 '
        f"{data.made_at:%Y-%m-%d %H:%M} UTC；计入审计记录至第 {data.counted_up_to} 条。</p>",
        "<h2>年度概览 The year at a glance</h2>",
        _table(("指标 figure", "数值 value"), [(label, f"{value:,}") for label, value in figures]),
        "<h2>按月使用 Use by month</h2>",
        _figure(bar_chart("每月操作次数（按结果）", months, series, unit="次")),
        _figure(line_chart("每月读取行数", months, [Series("行数", data.rows_by_month)], unit="行")),
    ])  # fmt: skip


def _provided(data: ReportData) -> str:
    return "\n".join([
        "<h2>资源提供排行 Top resources provided</h2>",
        _top("提供数据项最多的资源（数据项次数）", data.top_resources, "项次"),
        "<h2>被拒绝的访问 Denied attempts</h2>",
        _top("被拒绝最多的数据项（部门 · 资源.数据项）", data.top_denials, "次"),
        "<h2>按授权使用 Use under each grant</h2>",
        _table(("授权（来源）· 使用部门 · 资源 grant (origin)", "数据项次数 items"),
               [(g, f"{n:,}") for g, n in data.top_grants])
        if data.top_grants else '<p class="empty">本年度无依授权使用的记录。</p>',
    ])  # fmt: skip


def _answers(data: ReportData) -> str:
    providers = [e for e in data.evaluations if e.received or e.resources]
    names = [data.names.get(e.department, e.department) for e in providers]
    scored = [e for e in data.evaluations if e.score is not None]
    return "\n".join([
        "<h2>共享申请答复 Answers to applications</h2>",
        _figure(bar_chart("平均答复用时（工作日，时限 10 个工作日）", names,
                          [Series("平均用时", [e.mean_answer_days or 0 for e in providers])], unit="工作日",
                          height=220)),
        _figure(bar_chart("申请与逾期", names, [Series("收到", [e.received for e in providers]),
                                              Series("逾期", [e.overdue for e in providers])], unit="件",
                          height=220)),
        "<h2>评价得分 Evaluation scores</h2>",
        _figure(hbar_chart("评价得分（0–100）", [data.names.get(e.department, e.department) for e in scored],
                           [e.score or 0 for e in scored], unit="分"))
        if scored else '<p class="empty">本年度没有可评价的事项。</p>',
        f'<p class="note">{escape(_formula())}</p>',
    ])  # fmt: skip


def _figures(data: ReportData) -> str:
    head = ("部门", "收到申请", "已答复", "平均用时", "最长用时", "逾期", "拒绝", "拒绝附理由",
            "问题反馈", "已答复反馈", "反馈平均用时", "资源/已描述", "数据项/已描述", "提供", "使用操作",
            "被拒", "更新滞后", "得分")  # fmt: skip
    rows = [_evaluation_row(data, e) for e in data.evaluations]
    return "\n".join(["<h2>各部门评价明细 The evaluation in full</h2>", _table(head, rows)])


def _evaluation_row(data: ReportData, e: Evaluation) -> tuple[str, ...]:
    def maybe(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    return (
        data.names.get(e.department, e.department), str(e.received), str(e.answered), maybe(e.mean_answer_days),
        str(max(e.answer_days, default=0)), str(e.overdue), str(e.refused), str(e.refused_with_reason),
        str(e.issues), str(e.issues_answered), maybe(e.mean_issue_days), f"{e.resources}/{e.resources_described}",
        f"{e.items}/{e.items_described}", f"{e.provided:,}", f"{e.operations:,}", f"{e.denied:,}", _late(e),
        maybe(e.score),
    )  # fmt: skip


def _late(e: Evaluation) -> str:
    """Late resources of those with an update item (— when none has one, or it was not measured)."""
    return "—" if not e.dated or e.late is None else f"{e.late}/{e.dated}"


def _formula() -> str:
    parts = {
        "on_time": "按时答复率",
        "reasons": "拒绝附理由率",
        "issues": "问题反馈答复率",
        "catalog": "目录描述完整率",
    }
    weighted = " + ".join(f"{WEIGHTS[p]} × {name}" for p, name in parts.items())
    return f"得分 = ({weighted}) ÷ 有可计事项的权重之和 × 100；无可计事项的部分不计入。"


def _top(title: str, top: Sequence[tuple[str, int]], unit: str) -> str:
    if not top:
        return f'<p class="empty">{escape(title)}：本年度无记录。</p>'
    return _figure(hbar_chart(title, [label for label, _ in top], [n for _, n in top], unit=unit))


def _figure(svg: str) -> str:
    return f"<figure>{svg}</figure>"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"

"""Medians over the rounds, the ratios against the floor and PostGraphile, as Markdown and JSON."""

from __future__ import annotations

import statistics
from typing import Any

# (label, section, key, digits)
FIGURES = (
    ("Q1 median ms", "q1", "median_ms", 2),
    ("Q1 CPU ms/req server / pg", "q1", "cpu_ms_per_req", 1),
    ("Q2 req/s", "q2", "rps", 0),
    ("Q2 p50 ms", "q2", "p50_ms", 2),
    ("Q2 p99 ms", "q2", "p99_ms", 2),
    ("Q2 CPU ms/req server / pg (of which the platform store)", "q2", "cpu_ms_per_req", 3),
    ("Q2 failed", "q2", "failed", 0),
)
RATIOS = (("Q1 latency", "q1", "median_ms"), ("Q2 req/s", "q2", "rps"), ("Q2 CPU/req", "q2", "cpu_ms_per_req"))


def medians(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, float]]]:
    """server → section → figure → median over the rounds that measured it."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in {name for measured in rounds for name in measured}:
        runs = [measured[name] for measured in rounds if name in measured]
        out[name] = {
            section: {key: statistics.median(run[section][key] for run in runs)
                      for key, value in runs[0][section].items() if isinstance(value, int | float)}
            for section in ("q1", "q2")
        }  # fmt: skip
    return out


def _cell(figures: dict[str, dict[str, float]], section: str, key: str, digits: int) -> str:
    value = figures[section][key]
    text = f"{value:,.{digits}f}"
    if key == "cpu_ms_per_req":
        text += f" / {figures[section]['pg_cpu_ms_per_req']:,.{digits}f}"
        if "pg_store_cpu_ms_per_req" in figures[section]:
            text += f" ({figures[section]['pg_store_cpu_ms_per_req']:,.{digits}f} store)"
    return text


def ratios(summary: dict[str, dict[str, dict[str, float]]], govshare: str, others: dict[str, str]) -> list[list[str]]:
    """Rows: ratio name, then govshare ÷ each other server (by its label)."""
    rows = []
    for label, section, key in RATIOS:
        row = [label]
        for other in others.values():
            if other in summary and summary[other][section][key]:
                row.append(f"{summary[govshare][section][key] / summary[other][section][key]:.2f}×")
            else:
                row.append("—")
        rows.append(row)
    return rows


def markdown(result: dict[str, Any]) -> str:
    summary: dict[str, dict[str, dict[str, float]]] = result["medians"]
    order = [name for name in result["servers"] if name in summary]
    lines = [f"Peer benchmark: {result['rounds']} round(s), Q2 {result['q2_seconds']:g} s × "
             f"{result['q2_connections']} connections by {result['load_tool']}; medians over the rounds", "",
             "| server | " + " | ".join(label for label, *_ in FIGURES) + " |",
             "|---|" + "---:|" * len(FIGURES)]  # fmt: skip
    for name in order:
        cells = [_cell(summary[name], section, key, digits) for _, section, key, digits in FIGURES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    others = {"floor": result["floor"], "PostGraphile": result.get("postgraphile") or ""}
    if result.get("audit_off"):
        others["audit off"] = result["audit_off"]  # durable ÷ no-op: what the audit log costs
    lines += ["", "| govshare ÷ | " + " | ".join(others) + " |", "|---|" + "---:|" * len(others)]
    lines += ["| " + " | ".join(row) + " |" for row in ratios(summary, result["govshare"], others)]
    lines += ["", f"Same documents (Q1, Q2 first id): {result['documents']['verdict']}"]
    for note in result["notes"]:
        lines.append(f"Note: {note}")
    loads = [r["machine_before"]["loadavg"][0] for r in result["per_round"]]
    lines.append(f"Machine: {result['machine']['cpus']} CPUs; 1-min load before the rounds: "
                 + ", ".join(f"{x:.2f}" for x in loads))  # fmt: skip
    return "\n".join(lines) + "\n"

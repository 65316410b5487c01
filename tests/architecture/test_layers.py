"""The package's imports follow the layer list of docs/architecture.md, and no modules import each other in a loop.

The list is read from the document itself (its ``layers`` block), so the picture people read
and the rule the code is held to are one. Every import counts: at module level, inside a
function (lazy imports are still dependencies) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "govshare"
DOC = ROOT / "docs" / "architecture.md"


def layers() -> list[list[str]]:
    """The units of each layer, top first, from the ```layers block of the document."""
    block = re.search(r"```layers\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, f"{DOC} has no ```layers block"
    found = []
    for line in block.group(1).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            _, _, units = line.partition(":")
            found.append(units.split())
    return found


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue  # run by alembic, imported by nothing
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (a ``from pkg import module`` names the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in known and m != name}


def unit_of(module: str, units: dict[str, int]) -> str | None:
    """The longest listed unit that ``module`` is, or lies in."""
    candidates = [u for u in units if module == u or module.startswith(u + ".")]
    return max(candidates, key=len) if candidates else None


GRAPH = {name: imports_of(path, name, set(modules())) for name, path in modules().items()}
UNITS = {unit: depth for depth, row in enumerate(layers()) for unit in row}


def test_every_module_has_a_place_in_the_layer_list() -> None:
    unplaced = sorted(m for m in GRAPH if m != "govshare" and unit_of(m, UNITS) is None)
    assert not unplaced, f"add these modules to the layers block of {DOC.name}: {unplaced}"


def test_imports_only_point_down_the_layers() -> None:
    upward = []
    for module, imported in GRAPH.items():
        here = unit_of(module, UNITS)
        for target in imported:
            there = unit_of(target, UNITS)
            if here is not None and there is not None and UNITS[there] < UNITS[here]:
                upward.append(f"{module} -> {target} ({here} is below {there})")
    assert not upward, "imports that point up a layer:\n" + "\n".join(sorted(upward))


@pytest.mark.parametrize("granularity", ["module", "unit"])
def test_no_cycles(granularity: str) -> None:
    if granularity == "module":
        graph = GRAPH
    else:
        graph = {}
        for module, imported in GRAPH.items():
            here = unit_of(module, UNITS) or module
            targets = {unit_of(t, UNITS) or t for t in imported} - {here}
            graph.setdefault(here, set()).update(targets)
    cycle = _find_cycle(graph)
    assert cycle is None, "these import each other in a loop: " + " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_the_checker_sees_an_upward_import_and_a_cycle() -> None:
    """The rules above can fail: a made-up graph with both faults is caught."""
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
    assert unit_of("govshare.policies.engine", UNITS) == "govshare.policies"
    assert UNITS["govshare.policies"] < UNITS["govshare.filters"]  # policies may use filters, not the reverse

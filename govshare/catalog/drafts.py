"""A department's draft of one catalog entry, merged into the catalog in force and checked as a whole.

A draft is the YAML of one resource entry (as under ``resources:``, without the resource's name);
an empty draft removes the resource. It is checked by the normal rules by placing it, indented,
after the rest of the catalog rendered canonically: its lines then sit at a known offset, and every
problem is told at the draft's own line. A problem elsewhere (another resource's relation to a
removed one) keeps pointing at that resource, in the catalog in force.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode

from govshare.catalog.document import catalog_document
from govshare.catalog.errors import CatalogError, Problem
from govshare.catalog.loader import parse_catalog
from govshare.catalog.model import Catalog
from govshare.catalog.render import render_document, scalar
from govshare.catalog.yamlnodes import compose, key_lines, line_of

_INDENT = "    "  # a resource's keys, under `resources:` and its name
_LINE_REFERENCE = re.compile(r"\bline (\d+)\)")
# The line breaks YAML counts lines by (str.splitlines knows more): the draft's lines must stay YAML's.
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class MergedText:
    """The catalog in force with the draft in place of its resource, and where the draft's lines are."""

    text: str
    current: Catalog
    draft_name: str
    header: int  # line of the resource's name; the draft's first line follows it
    lines: int  # lines of the draft (0: the draft removes the resource)

    def locate(self, problem: Problem, *, caused: bool = True) -> Problem:
        """``problem`` of the merged text, told where its author can find it; one outside the draft is
        said to be the draft's doing unless not ``caused`` (a live source that does not answer)."""
        if problem.line == 0:
            return Problem(self.draft_name, 0, problem.message, problem.hint)
        if self._in_draft(problem.line):
            message = self._relined(problem.message, in_draft=True)
            return Problem(self.draft_name, self._draft_line(problem.line), message, problem.hint)
        line = _line_in_force(self.text, self.current.text, problem.line)
        where = f"{self.draft_name}: {self.current.path}"
        message = self._relined(problem.message, in_draft=False)
        return Problem(where, line, f"because of the draft, {message}" if caused else message, problem.hint)

    def _in_draft(self, line: int) -> bool:
        return bool(self.lines) and self.header <= line <= self.header + self.lines

    def _draft_line(self, line: int) -> int:
        # The name's own line (a missing key, a bad name) is told at the entry's first line.
        return max(line - self.header, 1)

    def _relined(self, message: str, *, in_draft: bool) -> str:
        """A message's references to other lines ("already used by … (line 26)"), told as the problem is."""

        def told(match: re.Match[str]) -> str:
            line = int(match.group(1))
            inside = self._in_draft(line)
            if inside:
                where, at = self.draft_name, self._draft_line(line)
            else:
                where, at = self.current.path, _line_in_force(self.text, self.current.text, line)
            return f"line {at})" if inside == in_draft else f"{where} line {at})"

        return _LINE_REFERENCE.sub(told, message)


def merged_text(current: Catalog, resource: str, text: str, draft_name: str) -> MergedText:
    """``current`` rendered without ``resource``, the draft ``text`` appended as its entry."""
    doc = catalog_document(current)
    resources = doc["resources"]
    assert isinstance(resources, dict)
    resources.pop(resource, None)
    head = render_document(doc)
    if not text.strip():
        return MergedText(head, current, draft_name, 0, 0)
    if not resources:
        head = head.removesuffix("resources: {}\n") + "resources:\n"
    draft = _YAML_BREAK.split(text.removesuffix("\n").removesuffix("\r"))
    start = next((n for n, line in enumerate(draft) if line.strip() and not line.startswith("#")), None)
    if start is not None and draft[start].rstrip() == "---":
        draft[start] = ""  # a document start of its own: indented, it would be a value
    body = "".join(f"{_INDENT}{line}\n" if line.strip() else "\n" for line in draft)
    header = len(_YAML_BREAK.findall(head)) + 1
    return MergedText(f"{head}  {scalar(resource)}:\n{body}", current, draft_name, header, len(draft))


def merged_catalog(
    current: Catalog,
    resource: str,
    text: str,
    draft_name: str,
    *,
    department: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Catalog:
    """The catalog ``current`` with ``resource``'s entry replaced, added or (``text`` empty) removed.

    Raises CatalogError with every problem, those of the draft at its own lines (``draft_name``).
    With ``department`` (the drafting one), the draft must be its own: the resource it changes is
    provided by it, and so is the entry it writes.
    """
    node = compose(text, draft_name)  # a syntax error is told at the draft's line and column
    problems = _provider_problems(current, resource, node, draft_name, department)
    if not text.strip() and resource not in current.resources:
        problems.append(Problem(draft_name, 1, f"there is no resource '{resource}' to remove",
                                "an empty draft removes its resource: name one of the catalog's"))  # fmt: skip
    merged = merged_text(current, resource, text, draft_name)
    catalog: Catalog | None = None
    try:
        catalog = parse_catalog(merged.text, current.path, env)
    except CatalogError as exc:
        problems += [_with_source_hint(merged.locate(p)) for p in exc.problems]
    if problems:
        raise CatalogError(_unique(problems))
    assert catalog is not None
    return catalog


def _provider_problems(
    current: Catalog, resource: str, node: Node | None, draft_name: str, department: str | None
) -> list[Problem]:
    if department is None:
        return []
    problems: list[Problem] = []
    existing = current.resources.get(resource)
    if existing is not None and existing.provider != department:
        message = f"resource '{resource}' is provided by '{existing.provider}', not by '{department}', which drafts it"
        hint = f"only an administrator of '{existing.provider}' drafts changes to it"
        problems.append(Problem(draft_name, 1, message, hint))
    provider = _value(node, "provider")
    if provider is not None and provider.value != department:
        message = f"'provider' of resource '{resource}' is '{provider.value}', but the draft is by '{department}'"
        hint = f"a department drafts only its own resources: write provider: {department}"
        problems.append(Problem(draft_name, line_of(provider), message, hint))
    return problems


def _value(node: Node | None, key: str) -> ScalarNode | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key and isinstance(v, ScalarNode):
            return v
    return None


def _with_source_hint(problem: Problem) -> Problem:
    # A draft takes the catalog's sources as they are: adding one is the platform's business.
    if "which is not a defined source" not in problem.message:
        return problem
    hint = f"{problem.hint}; a draft names an existing source of the catalog (a new source is not supported)"
    return Problem(problem.file, problem.line, problem.message, hint)


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _line_in_force(merged: str, in_force: str, line: int) -> int:
    """The line of the catalog in force holding what ``line`` of the merged text holds (0: unknown)."""
    on_line = [path for path, at in key_lines(merged, "<catalog>").items() if at == line]
    if not on_line:
        return 0
    path = max(on_line, key=len)
    lines = key_lines(in_force, "<catalog>")
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 0)

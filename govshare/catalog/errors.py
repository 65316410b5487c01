"""Problems found in a catalog, and the exception that carries all of them.

Validation never stops at the first problem: every check reports into a
:class:`Collector`, and the loader raises one :class:`CatalogError` at the end
so that a catalog author can fix everything in one round.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a catalog.

    ``line`` is 1-based; 0 means the problem concerns the whole file (it could
    not be read at all).
    """

    file: str
    line: int
    message: str
    hint: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line > 0 else self.file
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}: {self.message}{hint}"


class CatalogError(Exception):
    """A catalog was rejected; ``problems`` lists every reason, in file order."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(problems, key=lambda p: p.line)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class Collector:
    """Gathers the problems of one catalog file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._seen: set[tuple[int, str]] = set()

    def add(self, line: int, message: str, hint: str) -> None:
        # A node reached through several YAML aliases would otherwise be reported once per alias.
        if (line, message) in self._seen:
            return
        self._seen.add((line, message))
        self.problems.append(Problem(self.file, line, message, hint))

    def raise_if_any(self) -> None:
        if self.problems:
            raise CatalogError(self.problems)


def quoted_list(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names) or "(none)"


def did_you_mean(word: str, choices: Iterable[str], what: str) -> str:
    """A fix hint for a name that is not among ``choices``: the closest match, then all of them."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    listing = f"{what}: {quoted_list(options)}"
    return f"did you mean '{close[0]}'? {listing}" if close else listing

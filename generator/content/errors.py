"""Located content problems: every failure names the file, the line and the field.

Validation never stops at the first problem: loaders collect :class:`Problem` objects in a
:class:`Problems` list and raise one :class:`ContentError` with all of them at the end, so a
county's staff can fix everything in one pass. Nothing is written while problems remain.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.Enum):
    """Errors stop ``gongkai check`` and every build; warnings are shown but do not."""

    ERROR = "错误"
    WARNING = "警告"


@dataclass(frozen=True, order=True)
class Location:
    """Where a value came from: a file, a 1-based line (or spreadsheet row) and a field name."""

    path: str
    line: int = 0
    field: str = ""

    def __str__(self) -> str:
        text = self.path
        if self.line:
            text += f":{self.line}"
        if self.field:
            text += f": {self.field}"
        return text


@dataclass(frozen=True, order=True)
class Problem:
    """One located finding.

    ``refers_to`` names the library a reference error points into (``"departments"``,
    ``"items"``, ``"entities"``, ``"inspectors"``), or is empty: see
    :meth:`Problems.drop_cascades`.
    """

    location: Location
    message: str
    severity: Severity = Severity.ERROR
    refers_to: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.value}: {self.message}"


@dataclass
class Problems:
    """An accumulator of problems, shared by every loader of one content directory."""

    items: list[Problem] = field(default_factory=list)

    def error(self, location: Location, message: str, *, refers_to: str = "") -> None:
        """Record an error at ``location``; ``refers_to`` marks a reference into a library."""
        self.items.append(Problem(location, message, Severity.ERROR, refers_to))

    def drop_cascades(self, failed: dict[str, Location]) -> None:
        """Drop the reference errors into libraries that have errors of their own.

        A library with an error is loaded without the records in error (or not at all, for a
        YAML syntax error), so references to those records would each be reported as missing:
        one Tab in ``checklist.yaml`` would bring a "没有事项" error for every plan task. Those
        errors are dropped, and one warning at the library says that its references were not
        checked; they are checked again once the library is fixed.

        Args:
            failed: library name → the file at fault, for each library with errors (libraries
                incomplete only because of another one name that one's file).
        """
        dropped: dict[Location, int] = {}
        kept: list[Problem] = []
        for problem in self.items:
            if problem.refers_to in failed:
                where = failed[problem.refers_to]
                dropped[where] = dropped.get(where, 0) + 1
            else:
                kept.append(problem)
        self.items = kept
        for where, count in dropped.items():
            self.warning(
                where, f"本文件有错误，其他文件中对它的 {count} 处引用暂未检查；改正后请重新检查"
            )

    def warning(self, location: Location, message: str) -> None:
        """Record a warning at ``location``."""
        self.items.append(Problem(location, message, Severity.WARNING))

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ERROR."""
        return [p for p in self.items if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity WARNING."""
        return [p for p in self.items if p.severity is Severity.WARNING]

    def raise_if_errors(self) -> None:
        """Raise :class:`ContentError` with every problem if any of them is an error."""
        if self.errors:
            raise ContentError(self.items)


class ContentError(Exception):
    """The content directory has at least one error; ``problems`` lists all findings."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=_sort_key)
        errors = sum(1 for p in problems if p.severity is Severity.ERROR)
        super().__init__(f"内容检查发现 {errors} 个错误")

    def report(self) -> str:
        """All findings, one per line, sorted by file and line."""
        return "\n".join(str(p) for p in self.problems)


def _sort_key(p: Problem) -> tuple[str, int, str, str]:
    return (p.location.path, p.location.line, p.location.field, p.message)


def display_path(path: Path, root: Path) -> str:
    """Return ``path`` relative to ``root``'s parent when possible (``content/x.yaml``)."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()

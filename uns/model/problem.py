"""A positioned problem in a model file, as the loader and the lint rules report it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from uns.errors import UnsError

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True, order=True)
class Position:
    """A place in a YAML file; line and column are 1-based as editors show them."""

    path: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding. Sorted by file, line, column; the runner stamps `rule` and `level`."""

    pos: Position
    message: str = field(compare=False)
    rule: str = field(default="", compare=False)
    level: Level = field(default="error", compare=False)

    @classmethod
    def at(cls, pos: Position, message: str) -> Problem:
        return cls(pos=pos, message=message)

    def stamped(self, rule: str, level: Level) -> Problem:
        return replace(self, rule=rule, level=level)

    def parsable(self) -> str:
        """`path:line:col: [level] message (rule)` like yamllint's parsable format."""
        suffix = f" ({self.rule})" if self.rule else ""
        return f"{self.pos}: [{self.level}] {self.message}{suffix}"


class ModelError(UnsError):
    """One or more problems in the YAML asset model, each with file:line:col."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.parsable() for p in problems))

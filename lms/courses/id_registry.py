"""Where each id of a course is used, so a second use can point at the first.

Ids must be unique inside a course and across every course loaded together.
Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lms.content.errors import ContentError, display_path
from lms.content.messages import msg
from lms.content.reader import YamlDocument, YamlMapping

__all__ = ["CourseIds", "IdRegistry", "IdUse"]


@dataclass(frozen=True)
class IdUse:
    """One place an id is given: the file and the line of its ``id:`` key."""

    id: str
    path: Path
    line: int


class IdRegistry:
    """First use of every id; a second use is an error pointing at the first."""

    def __init__(self) -> None:
        self.first: dict[str, IdUse] = {}

    def add(self, use: IdUse, errors: list[ContentError]) -> None:
        """Record the use, or report it as a duplicate of the first one."""
        first = self.first.get(use.id)
        if first is None:
            self.first[use.id] = use
            return
        first_use = f"{display_path(first.path)}:{first.line}"
        errors.append(
            ContentError(
                use.path,
                use.line,
                msg(
                    "duplicate id '%(id)s' (first used in %(where)s)",
                    id=use.id,
                    where=first_use,
                ),
            )
        )


class CourseIds:
    """Ids used by one course, in file order, for the course-wide and global checks."""

    def __init__(self) -> None:
        self.uses: list[IdUse] = []

    def add(self, doc: YamlDocument, m: YamlMapping, value: str | None) -> None:
        """Note the id of a mapping, when it had a valid one."""
        if value is not None:
            self.uses.append(IdUse(value, doc.path, m.key_line("id")))

"""The problems a content loader reports: one per file and line, collected and
raised together so a trainer can fix a file in one pass. Pure Python."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lms.content.messages import Message, Translate, render

__all__ = ["ContentError", "ContentErrors", "display_path"]


def display_path(path: Path) -> str:
    """The path as an error shows it: relative to the cwd when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


@dataclass(frozen=True)
class ContentError:
    """One problem in a content file, with the 1-based line it was found on."""

    path: Path
    line: int
    message: Message | str

    def text(self, translate: Translate | None = None) -> str:
        """The message alone, in the language of ``translate``."""
        return render(self.message, translate)

    def __str__(self) -> str:
        """Return ``path:line: message`` with the path relative to the cwd when possible."""
        return f"{display_path(self.path)}:{self.line}: {self.text()}"


class ContentErrors(Exception):
    """Raised by ``load_course`` with every error found in the course."""

    def __init__(self, errors: Sequence[ContentError]) -> None:
        """Keep the errors as a list; the message is one error per line."""
        self.errors: list[ContentError] = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))

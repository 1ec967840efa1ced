"""What the studio's rules refuse, and the problems a check finds in a draft.

Every studio module raises these, so they sit below all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.content.messages import Message, Translate, render
from lms.i18n import _l

__all__ = ["Problem", "StaleDraft", "StudioError", "problem_text"]


class StudioError(Exception):
    """A studio action the rules refuse; ``message`` is shown to the trainer."""

    def __init__(self, message: Any, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


class StaleDraft(StudioError):
    """Someone saved the draft after this form was loaded."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Someone else saved this draft after you opened it. Your changes were not "
                "saved: reload the page to see their version, then make your changes again."
            ),
            status=409,
        )


@dataclass(frozen=True)
class Problem:
    """A validation error tied to the draft field it belongs to (a dotted path).

    A loader's message is kept as its msgid and parameters, so the draft's
    stored problems are shown in the language of whoever opens it.
    """

    path: str
    message: Message | str

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"path": self.path, "message": render(self.message)}
        if isinstance(self.message, Message):
            found["msg"] = self.message.as_data()
        return found


def problem_text(problem: dict[str, Any], translate: Translate) -> str:
    """A stored problem's message in the language of ``translate``."""
    if problem.get("msg"):
        return Message.from_data(problem["msg"]).render(translate)
    return str(problem["message"])

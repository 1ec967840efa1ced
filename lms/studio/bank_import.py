"""Reading a question-bank file in one of the formats the studio imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lms.assessments.grading import InvalidAnswer, grade, review_view
from lms.studio.aiken import parse_aiken
from lms.studio.gift import parse_gift
from lms.studio.imported_questions import ImportResult

__all__ = ["FORMATS", "PARSERS", "answer_key_view", "parse_bank"]

#: Each format's parser, called with the file's text and the language it is written in.
PARSERS: dict[str, Callable[[str, str], ImportResult]] = {
    "gift": parse_gift,
    "aiken": parse_aiken,
}
FORMATS: tuple[str, ...] = tuple(PARSERS)


def parse_bank(fmt: str, text: str, language: str) -> ImportResult:
    """Read a GIFT or Aiken file; ``language`` is the language it is written in."""
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ValueError(f"unknown format {fmt!r}")
    return parser(text, language)


def answer_key_view(question: dict[str, Any]) -> dict[str, Any] | None:
    """The review of an imported question with nothing answered: it shows the key."""
    try:
        return review_view(question, None, grade(question, None), "answers")
    except (InvalidAnswer, KeyError, TypeError, ValueError):
        return None

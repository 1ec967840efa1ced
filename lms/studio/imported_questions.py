"""What a question-bank import yields: questions in the file shape, and the
line-numbered problems of what could not be imported. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lms.content.schema import LANGUAGES

__all__ = ["ImportProblem", "ImportResult", "ImportedQuestion", "bank_question", "texts"]


@dataclass(frozen=True)
class ImportProblem:
    """Something on a line of the imported file that cannot become a question."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


@dataclass(frozen=True)
class ImportedQuestion:
    """A question read from the file, starting at ``line``, in the bank's file shape."""

    line: int
    question: dict[str, Any]
    title: str = ""


@dataclass
class ImportResult:
    """Everything one import found."""

    questions: list[ImportedQuestion] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    # What was imported but changed on the way (e.g. a topic made from a category).
    notes: list[ImportProblem] = field(default_factory=list)


def texts(text: str, language: str) -> dict[str, str]:
    """Bilingual text with only ``language`` written; the other is left to translate."""
    return {lang: (text.strip() if lang == language else "") for lang in LANGUAGES}


def bank_question(
    qtype: str, prompt: str, language: str, explanation: str = "", **fields: Any
) -> dict[str, Any]:
    """A bank question in the file shape with an id to be replaced on import."""
    question: dict[str, Any] = {
        "id": "imported",
        "type": qtype,
        "difficulty": 1,
        "prompt": texts(prompt, language),
    }
    question.update(fields)
    question["explanation"] = texts(explanation, language)
    question["rule"] = texts("", language)
    return question

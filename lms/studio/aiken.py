"""Read Aiken question files (one single-choice question per block) into bank questions.

::

    What is the top speed of an e-bike in the non-motor lane?
    A. 15 km/h
    B) 25 km/h
    ANSWER: A
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lms.i18n import _l
from lms.studio.imported_questions import (
    ImportedQuestion,
    ImportProblem,
    ImportResult,
    bank_question,
    texts,
)

__all__ = ["parse_aiken"]

_OPTION_RE = re.compile(r"^([A-Z])\s*[.)]\s+(.+)$")
_ANSWER_RE = re.compile(r"^ANSWER\s*:\s*(.*)$", re.IGNORECASE)
_MAX_OPTIONS = 6


@dataclass
class _Pending:
    line: int
    prompt: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    broken: str | None = None
    broken_line: int = 0


def _finish(
    pending: _Pending, answer: str, line: int, language: str
) -> ImportedQuestion | ImportProblem:
    if pending.broken:
        return ImportProblem(pending.broken_line, pending.broken)
    letters = [letter for letter, _text in pending.options]
    if len(letters) < 2:
        return ImportProblem(
            pending.line, str(_l("the question needs at least two options (A. ... B. ...)"))
        )
    if len(letters) > _MAX_OPTIONS:
        return ImportProblem(
            pending.line,
            str(
                _l(
                    "%(count)d options: a question takes at most %(max)d",
                    count=len(letters),
                    max=_MAX_OPTIONS,
                )
            ),
        )
    answer = answer.strip().upper()
    if answer not in letters:
        return ImportProblem(
            line,
            str(
                _l(
                    "ANSWER '%(answer)s' is not one of the options %(letters)s",
                    answer=answer,
                    letters=", ".join(letters),
                )
            ),
        )
    options = [
        {
            "id": letter.lower(),
            "text": texts(text, language),
            "correct": True if letter == answer else None,
        }
        for letter, text in pending.options
    ]
    question = bank_question("single", " ".join(pending.prompt), language, options=options)
    return ImportedQuestion(pending.line, question)


def parse_aiken(source: str, language: str) -> ImportResult:
    """Questions and line-numbered problems of an Aiken file written in ``language``."""
    result = ImportResult()
    pending: _Pending | None = None

    def add(found: ImportedQuestion | ImportProblem) -> None:
        if isinstance(found, ImportedQuestion):
            result.questions.append(found)
        else:
            result.problems.append(found)

    for number, raw in enumerate(source.replace("\r\n", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER_RE.match(line)
        option = _OPTION_RE.match(line)
        if answer:
            if pending is None:
                add(ImportProblem(number, str(_l("ANSWER without a question above it"))))
                continue
            add(_finish(pending, answer.group(1), number, language))
            pending = None
        elif option and pending is not None and pending.prompt:
            letter = option.group(1)
            expected = chr(ord("A") + len(pending.options))
            if letter != expected and pending.broken is None:
                pending.broken = str(
                    _l(
                        "option %(letter)s is out of order: expected %(expected)s",
                        letter=letter,
                        expected=expected,
                    )
                )
                pending.broken_line = number
            pending.options.append((letter, option.group(2)))
        elif pending is not None and pending.options:
            # Text after the options means the ANSWER line was forgotten.
            add(
                ImportProblem(
                    pending.line, str(_l("the question has no ANSWER line: add ANSWER: A"))
                )
            )
            pending = _Pending(number, [line])
        elif pending is not None:
            pending.prompt.append(line)
        else:
            pending = _Pending(number, [line])
    if pending is not None:
        add(ImportProblem(pending.line, str(_l("the question has no ANSWER line: add ANSWER: A"))))
    return result

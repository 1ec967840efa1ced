"""Read Moodle GIFT question files into bank questions.

Supported: single choice ``{=right ~wrong}``, multiple choice with weights
``{~%50%a ~%50%b ~%-100%c}``, true/false ``{T}``/``{F}``, answer feedback
``#...``, general feedback ``####...``, titles ``::title::``, comments ``//``,
``$CATEGORY`` lines and the escapes ``\\= \\~ \\# \\{ \\} \\: \\n``. Other GIFT
types (short answer, matching, numerical, essay, description) are reported
with their line so the trainer knows what was left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lms.i18n import _l
from lms.studio.imported_questions import (
    ImportedQuestion,
    ImportProblem,
    ImportResult,
    bank_question,
    texts,
)

__all__ = ["parse_gift"]

# Escaped characters become private-use code points while parsing, so the
# markers can be found with plain string operations.
_ESCAPES = {
    "\\\\": "\ue000",
    "\\=": "\ue001",
    "\\~": "\ue002",
    "\\#": "\ue003",
    "\\{": "\ue004",
    "\\}": "\ue005",
    "\\:": "\ue006",
    "\\n": "\ue007",
}
_RESTORE = {
    "\ue000": "\\",
    "\ue001": "=",
    "\ue002": "~",
    "\ue003": "#",
    "\ue004": "{",
    "\ue005": "}",
    "\ue006": ":",
    "\ue007": "\n",
}
_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_TRUE_FALSE_RE = re.compile(r"^(T|F|TRUE|FALSE)\s*(#.*)?$", re.IGNORECASE | re.DOTALL)
_WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_SINGLE_RANGE = (2, 6)
_MULTIPLE_RANGE = (3, 8)


def _protect(text: str) -> str:
    for escape, mark in _ESCAPES.items():
        text = text.replace(escape, mark)
    return text


def _restore(text: str) -> str:
    for mark, char in _RESTORE.items():
        text = text.replace(mark, char)
    return text.strip()


@dataclass
class _Block:
    text: str
    lines: list[int]

    def line_at(self, offset: int) -> int:
        return self.lines[min(self.text.count("\n", 0, offset), len(self.lines) - 1)]


def _blocks(source: str) -> list[_Block]:
    """Questions are separated by blank lines (as Moodle reads them)."""
    blocks: list[_Block] = []
    texts_: list[str] = []
    numbers: list[int] = []
    for number, raw in enumerate(source.replace("\r\n", "\n").split("\n"), 1):
        line = _protect(raw)
        if line.lstrip().startswith("//"):
            continue
        if not line.strip():
            if texts_:
                blocks.append(_Block("\n".join(texts_), numbers))
                texts_, numbers = [], []
            continue
        texts_.append(line)
        numbers.append(number)
    if texts_:
        blocks.append(_Block("\n".join(texts_), numbers))
    return blocks


@dataclass
class _Answer:
    text: str
    correct: bool
    weight: float | None
    feedback: str


def _answers(body: str) -> list[_Answer] | str:
    """The choices of an answer block, or why they cannot be read."""
    if re.split(r"[=~]", body, maxsplit=1)[0].strip():
        return str(_l("text before the first = or ~ in the answers: start each answer with = or ~"))
    answers: list[_Answer] = []
    for match in re.finditer(r"([=~])([^=~]*)", body):
        marker, rest = match.group(1), match.group(2)
        if "->" in rest:
            return str(_l("matching questions are not supported"))
        weight = None
        weight_match = _WEIGHT_RE.match(rest.strip())
        if weight_match:
            weight = float(weight_match.group(1))
            rest = rest.strip()[weight_match.end() :]
        text, _sep, feedback = rest.partition("#")
        correct = weight > 0 if weight is not None else marker == "="
        answers.append(_Answer(_restore(text), correct, weight, _restore(feedback)))
    return answers


def _question(block: _Block, language: str) -> ImportedQuestion | ImportProblem | None:
    text = block.text.strip()
    if text.startswith("$CATEGORY"):
        return None
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            return ImportProblem(block.lines[0], str(_l("the title is not closed: end it with ::")))
        title = _restore(text[2:end])
        text = text[end + 2 :]
    text = _FORMAT_RE.sub("", text, count=1)
    offset = block.text.find(text[:20]) if text else 0
    start = text.find("{")
    if start < 0:
        return ImportProblem(
            block.lines[0],
            str(_l("no answers in braces { }: descriptions and plain text cannot be imported")),
        )
    end = text.find("}", start)
    if end < 0:
        return ImportProblem(
            block.line_at(offset + start), str(_l("'{' is never closed: add } after the answers"))
        )
    if "{" in text[end:]:
        return ImportProblem(
            block.line_at(offset + end), str(_l("more than one answer block in one question"))
        )
    before, body, after = text[:start], text[start + 1 : end], text[end + 1 :]
    prompt = _restore(before) + (" _____ " + _restore(after) if after.strip() else "")
    line = block.line_at(offset + start)
    if not prompt.strip():
        return ImportProblem(block.lines[0], str(_l("the question has no text")))
    explanation = ""
    if "####" in body:
        body, _sep, general = body.partition("####")
        explanation = _restore(general)
    stripped = body.strip()
    if not stripped:
        return ImportProblem(line, str(_l("essay questions are not supported")))
    if stripped.startswith("#"):
        return ImportProblem(line, str(_l("numerical questions are not supported")))
    true_false = _TRUE_FALSE_RE.match(stripped)
    if true_false:
        answer = true_false.group(1).upper() in ("T", "TRUE")
        question = bank_question("true_false", prompt, language, explanation, answer=answer)
        return ImportedQuestion(block.lines[0], question, title)
    answers = _answers(stripped)
    if isinstance(answers, str):
        return ImportProblem(line, answers)
    if not any(answer.text for answer in answers) or any(not a.text for a in answers):
        return ImportProblem(line, str(_l("an answer is empty: write text after each = or ~")))
    if all(not a.correct for a in answers):
        return ImportProblem(
            line, str(_l("no answer is marked right: mark one with = or a positive %"))
        )
    if all(a.correct for a in answers) and all(a.weight is None for a in answers):
        return ImportProblem(
            line, str(_l("short-answer questions (only = answers) are not supported"))
        )
    right = [a for a in answers if a.correct]
    partial = any(a.weight is not None and 0 < a.weight < 100 for a in answers)
    qtype = "multiple" if len(right) > 1 or partial else "single"
    low, high = _SINGLE_RANGE if qtype == "single" else _MULTIPLE_RANGE
    if not low <= len(answers) <= high:
        return ImportProblem(
            line,
            str(
                _l(
                    "%(count)d answers: a %(type)s choice question needs %(low)d to %(high)d",
                    count=len(answers),
                    type=qtype,
                    low=low,
                    high=high,
                )
            ),
        )
    options = [
        {
            "id": chr(ord("a") + index),
            "text": texts(answer.text, language),
            "correct": True if answer.correct else None,
            "feedback": texts(answer.feedback, language) if answer.feedback else None,
        }
        for index, answer in enumerate(answers)
    ]
    fields: dict[str, object] = {"options": options}
    if qtype == "multiple":
        fields["scoring"] = "partial" if partial else "all_or_nothing"
    question = bank_question(qtype, prompt, language, explanation, **fields)
    return ImportedQuestion(block.lines[0], question, title)


def parse_gift(source: str, language: str) -> ImportResult:
    """Questions and line-numbered problems of a GIFT file written in ``language``."""
    result = ImportResult()
    for block in _blocks(source):
        found = _question(block, language)
        if isinstance(found, ImportedQuestion):
            result.questions.append(found)
        elif isinstance(found, ImportProblem):
            result.problems.append(found)
    return result

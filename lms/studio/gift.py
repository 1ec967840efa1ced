"""Read Moodle GIFT question files into bank questions.

Every block of the file is either imported or reported with its line and the
reason, so nothing is lost without a word. Read: single and multiple choice
with percentage weights (negative ones too), true/false with its feedback,
matching ``{=a -> 1 =b -> 2 = -> distractor}``, numerical in all three forms
(``{#3.14:0.01}``, ``{#3..4}``, ``{#=3.14:0 =%50%3}``), short answer
``{=Beijing =%50%Peking}``, answer feedback ``#...``, general feedback
``####...``, ``::names::`` (kept as readable ids), ``$CATEGORY`` (the topic of
the questions below it), the ``[markdown]``, ``[html]`` (sanitised),
``[plain]`` and ``[moodle]`` formats, comments ``//`` and the escapes
``\\= \\~ \\# \\{ \\} \\: \\n``. Essays and descriptions are refused with the
reason (a person must mark an essay; a description asks nothing).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from pypinyin import Style, lazy_pinyin

from lms.content.schema import ID_RE, TAG_RE
from lms.courses.markdown import render_markdown
from lms.i18n import _l
from lms.questions.file_fields import format_number, parse_number
from lms.studio.imported_questions import (
    ImportedQuestion,
    ImportProblem,
    ImportResult,
    bank_question,
    texts,
)
from lms.studio.sanitising import clean_text

__all__ = ["parse_gift", "readable_id", "topic_tag"]

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
_CATEGORY_RE = re.compile(r"^\s*\$CATEGORY\s*:\s*(.*)$")
_SINGLE_RANGE = (2, 6)
_MULTIPLE_RANGE = (3, 8)
_MATCHING_RANGE = (2, 8)
_MAX_DISTRACTORS = 4
_MAX_NUMBER_ANSWERS = 6
_MAX_SHORT_ANSWERS = 10


def _protect(text: str) -> str:
    for escape, mark in _ESCAPES.items():
        text = text.replace(escape, mark)
    return text


def _restore(text: str) -> str:
    for mark, char in _RESTORE.items():
        text = text.replace(mark, char)
    return text.strip()


def _slug(text: str) -> str:
    """Lowercase ASCII letters and digits joined by ``-``; ``""`` when none.

    Chinese characters become their toneless pinyin, one syllable per part
    (闯红灯 -> chuang-hong-deng); full-width letters and digits their ASCII form.
    """
    syllables = lazy_pinyin(unicodedata.normalize("NFKC", text), style=Style.NORMAL)
    return re.sub(r"[^a-z0-9]+", "-", "-".join(syllables).lower()).strip("-")


def readable_id(name: str, taken: set[str]) -> str | None:
    """An id made from a question's ``::name::``, unique among ``taken`` (then added)."""
    base = _slug(name)[:58].strip("-")
    if len(base) < 2 or not ID_RE.match(base):
        return None
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def topic_tag(category: str) -> str | None:
    """The topic tag of a ``$CATEGORY`` path: its last part, as a tag."""
    last = category.strip().rstrip("/").rsplit("/", 1)[-1]
    tag = _slug(last)[:63].strip("-")
    return tag if tag and TAG_RE.match(tag) else None


@dataclass
class _Block:
    text: str
    lines: list[int]
    topic: str | None = None

    def line_at(self, offset: int) -> int:
        return self.lines[min(self.text.count("\n", 0, offset), len(self.lines) - 1)]


@dataclass
class _Reader:
    """The state of one file being read: its topic and the ids already used."""

    language: str
    result: ImportResult = field(default_factory=ImportResult)
    topic: str | None = None
    taken: set[str] = field(default_factory=set)
    unnamed_topics: dict[str, str] = field(default_factory=dict)


def _blocks(source: str, reader: _Reader) -> list[_Block]:
    """Questions are separated by blank lines (as Moodle reads them); a ``$CATEGORY``
    line sets the topic of what follows, even with no blank line after it."""
    blocks: list[_Block] = []
    texts_: list[str] = []
    numbers: list[int] = []

    def close() -> None:
        nonlocal texts_, numbers
        if texts_:
            blocks.append(_Block("\n".join(texts_), numbers, reader.topic))
            texts_, numbers = [], []

    for number, raw in enumerate(source.replace("\r\n", "\n").split("\n"), 1):
        line = _protect(raw)
        if line.lstrip().startswith("//"):
            continue
        category = _CATEGORY_RE.match(line)
        if category:
            close()
            reader.topic = _category_topic(_restore(category.group(1)), number, reader)
            continue
        if not line.strip():
            close()
            continue
        texts_.append(line)
        numbers.append(number)
    close()
    return blocks


def _category_topic(category: str, line: int, reader: _Reader) -> str | None:
    tag = topic_tag(category)
    if tag is not None or not category.strip():
        return tag
    # A category named only in Chinese has no letters for a tag: number it, and say so.
    if category not in reader.unnamed_topics:
        reader.unnamed_topics[category] = f"topic-{len(reader.unnamed_topics) + 1}"
        reader.result.notes.append(
            ImportProblem(
                line,
                str(
                    _l(
                        "category '%(category)s' has no letters for a topic tag: "
                        "its questions get the topic %(tag)s",
                        category=category,
                        tag=reader.unnamed_topics[category],
                    )
                ),
            )
        )
    return reader.unnamed_topics[category]


def _plain(text: str, fmt: str) -> str:
    """The text as plain text: Markdown rendered and HTML sanitised down to their words.
    An answer or feedback may name its own format (``=[html]...``)."""
    text = _restore(text)
    own = _FORMAT_RE.match(text)
    if own:
        fmt, text = own.group(1).lower(), text[own.end() :].strip()
    if fmt == "markdown":
        return clean_text(render_markdown(text)).strip()
    if fmt == "html":
        return clean_text(re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)).strip()
    return text


@dataclass
class _Answer:
    marker: str
    text: str
    weight: float | None
    feedback: str


def _split_answers(body: str) -> list[_Answer] | str:
    """The ``=``/``~`` answers of an answer block, or why they cannot be read."""
    if re.split(r"[=~]", body, maxsplit=1)[0].strip():
        return str(_l("text before the first = or ~ in the answers: start each answer with = or ~"))
    answers: list[_Answer] = []
    # "->" holds a "-" and ">" only, so matching pairs stay within one answer.
    for match in re.finditer(r"([=~])([^=~]*)", body):
        marker, rest = match.group(1), match.group(2).strip()
        weight = None
        weight_match = _WEIGHT_RE.match(rest)
        if weight_match:
            weight = float(weight_match.group(1))
            rest = rest[weight_match.end() :]
        text, _sep, feedback = rest.partition("#")
        answers.append(_Answer(marker, text, weight, feedback))
    return answers


def _range_problem(count: int, kind: str, low: int, high: int) -> str:
    return str(
        _l(
            "%(count)d answers: a %(type)s question needs %(low)d to %(high)d",
            count=count,
            type=kind,
            low=low,
            high=high,
        )
    )


@dataclass
class _Parsed:
    """One question's pieces, already in plain text."""

    prompt: str
    explanation: str
    fmt: str
    line: int
    # What the question loses on the way in, each said to the trainer.
    notes: list[str] = field(default_factory=list)


def _choice(parsed: _Parsed, answers: list[_Answer], language: str) -> dict | str:
    def correct(answer: _Answer) -> bool:
        return answer.weight > 0 if answer.weight is not None else answer.marker == "="

    if any(not _plain(a.text, parsed.fmt) for a in answers):
        return str(_l("an answer is empty: write text after each = or ~"))
    right = [a for a in answers if correct(a)]
    if not right:
        return str(_l("no answer is marked right: mark one with = or a positive %"))
    weighted = any(a.weight is not None for a in answers)
    # Moodle's rule: an answer with full credit makes it single choice; weights
    # that share 100 % between answers make it multiple choice.
    full = [a for a in right if a.weight is None or a.weight >= 100]
    qtype = "single" if full else "multiple"
    if qtype == "single":
        partial_ones = [a for a in right if a not in full]
        for answer in partial_ones:
            weight = format(answer.weight, "g")
            parsed.notes.append(
                str(
                    _l(
                        "the %(weight)s%% credit for '%(answer)s' is not kept: "
                        "a single-choice question scores the right answer only",
                        weight=weight,
                        answer=_plain(answer.text, parsed.fmt),
                    )
                )
            )
        if len(full) > 1:
            return str(_l("more than one answer has full credit: keep one = answer"))
        right = full
    low, high = _SINGLE_RANGE if qtype == "single" else _MULTIPLE_RANGE
    if not low <= len(answers) <= high:
        return _range_problem(len(answers), f"{qtype} choice", low, high)
    fields: dict[str, object] = {
        "options": [
            {
                "id": chr(ord("a") + index),
                "text": texts(_plain(answer.text, parsed.fmt), language),
                "correct": True if answer in right else None,
                "feedback": (
                    texts(_plain(answer.feedback, parsed.fmt), language)
                    if _plain(answer.feedback, parsed.fmt)
                    else None
                ),
            }
            for index, answer in enumerate(answers)
        ]
    }
    if qtype == "multiple":
        # Weights mean Moodle's partial credit; the nearest rule here is "partial"
        # (each wrong pick costs what a right one earns). Without weights, all or nothing.
        fields["scoring"] = "partial" if weighted else "all_or_nothing"
    return bank_question(qtype, parsed.prompt, language, parsed.explanation, **fields)


def _matching(parsed: _Parsed, answers: list[_Answer], language: str) -> dict | str:
    pairs, distractors = [], []
    for answer in answers:
        stem, arrow, match = answer.text.partition("->")
        if not arrow or answer.marker != "=":
            return str(_l("every matching answer is written = item -> its answer"))
        stem, match = _plain(stem, parsed.fmt), _plain(match, parsed.fmt)
        if not match:
            return str(_l("a matching answer is empty: write text after ->"))
        if stem:
            pairs.append((stem, match))
        else:
            distractors.append(match)
    low, high = _MATCHING_RANGE
    if not low <= len(pairs) <= high:
        return _range_problem(len(pairs), "matching", low, high)
    if len(distractors) > _MAX_DISTRACTORS:
        return str(
            _l(
                "%(count)d extra answers: a matching question takes at most %(max)d",
                count=len(distractors),
                max=_MAX_DISTRACTORS,
            )
        )
    return bank_question(
        "matching",
        parsed.prompt,
        language,
        parsed.explanation,
        scoring="partial",
        pairs=[
            {
                "id": chr(ord("a") + n),
                "text": texts(stem, language),
                "match": texts(match, language),
            }
            for n, (stem, match) in enumerate(pairs)
        ],
        distractors=[
            {"id": f"x{n + 1}", "text": texts(text, language)} for n, text in enumerate(distractors)
        ],
    )


def _number_answer(text: str) -> dict[str, str] | None:
    """One numerical answer: ``value``, ``value:tolerance`` or ``min..max``."""
    text = text.strip()
    if ".." in text:
        low_text, _sep, high_text = text.partition("..")
        low, high = parse_number(low_text), parse_number(high_text)
        if low is None or high is None or low > high:
            return None
        return {"min": format_number(low), "max": format_number(high)}
    value_text, _sep, tolerance_text = text.partition(":")
    value = parse_number(value_text)
    tolerance = parse_number(tolerance_text) if tolerance_text.strip() else Decimal(0)
    if value is None or tolerance is None or tolerance < 0:
        return None
    answer = {"value": format_number(value)}
    if tolerance:
        answer["tolerance"] = format_number(tolerance)
    return answer


def _numerical(parsed: _Parsed, body: str, language: str) -> dict | str:
    body = body.strip()[1:].strip()
    if "~" in body:
        # "~#feedback" is shown for any other number; there is no such field here.
        body = body.split("~", 1)[0].strip()
        parsed.notes.append(str(_l("the feedback for any other number (~) is not kept")))
    entries: list[tuple[str, float | None, str]] = []
    if body.startswith("="):
        for match in re.finditer(r"=([^=]*)", body):
            rest = match.group(1).strip()
            weight = None
            weight_match = _WEIGHT_RE.match(rest)
            if weight_match:
                weight = float(weight_match.group(1))
                rest = rest[weight_match.end() :]
            number, _sep, feedback = rest.partition("#")
            entries.append((number, weight, feedback))
    else:
        number, _sep, feedback = body.partition("#")
        entries.append((number, None, feedback))
    answers = []
    for number, weight, feedback in entries:
        answer: dict[str, object] | None = _number_answer(_restore(number))
        if answer is None:
            return str(
                _l(
                    "'%(text)s' is not a number, number:tolerance or min..max",
                    text=_restore(number),
                )
            )
        credit = 100 if weight is None else round(weight)
        if credit <= 0:
            parsed.notes.append(
                str(_l("the 0%% answer '%(answer)s' is not kept", answer=_restore(number)))
            )
            continue
        answer["credit"] = min(credit, 100)
        if _plain(feedback, parsed.fmt):
            answer["feedback"] = texts(_plain(feedback, parsed.fmt), language)
        answers.append(answer)
    if not 1 <= len(answers) <= _MAX_NUMBER_ANSWERS:
        return _range_problem(len(answers), "numerical", 1, _MAX_NUMBER_ANSWERS)
    if not any(answer["credit"] == 100 for answer in answers):
        return str(_l("no answer gets full marks: give the right number 100 %"))
    return bank_question(
        "numerical", parsed.prompt, language, parsed.explanation, answers=answers, unit=None
    )


def _short_answer(parsed: _Parsed, answers: list[_Answer], language: str) -> dict | str:
    accepted = []
    for answer in answers:
        text = _plain(answer.text, parsed.fmt)
        if not text:
            return str(_l("an answer is empty: write text after each = or ~"))
        credit = 100 if answer.weight is None else round(answer.weight)
        if credit <= 0:
            parsed.notes.append(str(_l("the 0%% answer '%(answer)s' is not kept", answer=text)))
            continue
        entry: dict[str, object] = {"text": text, "credit": min(credit, 100)}
        if _plain(answer.feedback, parsed.fmt):
            entry["feedback"] = texts(_plain(answer.feedback, parsed.fmt), language)
        accepted.append(entry)
    if not 1 <= len(accepted) <= _MAX_SHORT_ANSWERS:
        return _range_problem(len(accepted), "short-answer", 1, _MAX_SHORT_ANSWERS)
    if not any(entry["credit"] == 100 for entry in accepted):
        return str(_l("no answer gets full marks: give the right answer 100 %"))
    return bank_question(
        "short_answer",
        parsed.prompt,
        language,
        parsed.explanation,
        answers=accepted,
        chinese_variants=None,
    )


def _true_false(parsed: _Parsed, match: re.Match[str], language: str) -> dict:
    answer = match.group(1).upper() in ("T", "TRUE")
    # {T#shown when wrong#shown when right}: a true/false has one explanation, so
    # the general feedback, else the right-answer feedback then the wrong one.
    feedback = [_plain(part, parsed.fmt) for part in (match.group(2) or "").split("#")[1:]]
    when_wrong = feedback[0] if feedback else ""
    when_right = feedback[1] if len(feedback) > 1 else ""
    explanation = parsed.explanation or "\n".join(text for text in (when_right, when_wrong) if text)
    return bank_question("true_false", parsed.prompt, language, explanation, answer=answer)


def _question(block: _Block, reader: _Reader) -> ImportedQuestion | ImportProblem:
    text = block.text.strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            return ImportProblem(block.lines[0], str(_l("the title is not closed: end it with ::")))
        title = _restore(text[2:end])
        text = text[end + 2 :]
    fmt_match = _FORMAT_RE.match(text)
    fmt = fmt_match.group(1).lower() if fmt_match else "moodle"
    text = _FORMAT_RE.sub("", text, count=1)
    offset = block.text.find(text[:20]) if text else 0
    start = text.find("{")
    if start < 0:
        return ImportProblem(
            block.lines[0],
            str(_l("a description (text with no answers in braces { }) asks nothing to import")),
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
    prompt = _plain(before, fmt) + (" _____ " + _plain(after, fmt) if after.strip() else "")
    line = block.line_at(offset + start)
    if not prompt.strip():
        return ImportProblem(block.lines[0], str(_l("the question has no text")))
    explanation = ""
    if "####" in body:
        body, _sep, general = body.partition("####")
        explanation = _plain(general, fmt)
    parsed = _Parsed(prompt.strip(), explanation, fmt, line)
    stripped = body.strip()
    language = reader.language
    question: dict | str
    if not stripped:
        return ImportProblem(
            line,
            str(_l("essay questions need a person to mark them and cannot be imported")),
        )
    true_false = _TRUE_FALSE_RE.match(stripped)
    if stripped.startswith("#"):
        question = _numerical(parsed, stripped, language)
    elif true_false:
        question = _true_false(parsed, true_false, language)
    else:
        answers = _split_answers(stripped)
        if isinstance(answers, str):
            return ImportProblem(line, answers)
        if any("->" in answer.text for answer in answers):
            question = _matching(parsed, answers, language)
        elif all(answer.marker == "=" for answer in answers):
            question = _short_answer(parsed, answers, language)
        else:
            question = _choice(parsed, answers, language)
    if isinstance(question, str):
        return ImportProblem(line, question)
    reader.result.notes.extend(ImportProblem(line, note) for note in parsed.notes)
    question["topic"] = block.topic
    named = readable_id(title, reader.taken) if title else None
    if named is not None:
        question["id"] = named
    return ImportedQuestion(block.lines[0], question, title)


def parse_gift(source: str, language: str) -> ImportResult:
    """Questions and line-numbered problems of a GIFT file written in ``language``."""
    reader = _Reader(language)
    for block in _blocks(source, reader):
        found = _question(block, reader)
        if isinstance(found, ImportedQuestion):
            reader.result.questions.append(found)
        else:
            reader.result.problems.append(found)
    return reader.result

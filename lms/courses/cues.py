"""Answer cues in a course: patterns that let a learner guess the right answer
without knowing it. They are warnings for the author, never errors: the right
option notably the longest, one position right much more often than chance
across the course, true/false answers skewed one way, and a lesson check that
is nearly the same question as one of the quiz bank. The messages are in the
reader's language (the CLI's is the deployment's default).
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lms.courses.specs import CourseSpec
from lms.i18n import _l

__all__ = ["CueWarning", "answer_cues"]

#: The right option is "notably" the longest when it is this much longer than every other.
LONGEST_RATIO = 1.4
#: ... and at least this many characters longer (short options vary a lot).
LONGEST_MARGIN = 6
#: Fewer questions than this say nothing about a position or true/false skew.
MIN_QUESTIONS = 6
#: A true/false skew: one answer in at least this share of the questions.
TRUE_FALSE_SHARE = 0.75
#: Prompts at least this similar (difflib ratio) are near-duplicates.
NEAR_DUPLICATE = 0.85


@dataclass(frozen=True)
class CueWarning:
    """One answer cue: the file it is in, what it is about and what to do."""

    path: Path
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: warning: {self.subject}: {self.message}"


_LONGEST = _l(
    "the right option is much longer than the others: learners can pick it by its length; "
    "make the options about as long"
)


def _text(value: Mapping[str, str] | None) -> str:
    # Chinese is the language every course is written in first.
    value = value or {}
    return str(value.get("zh_CN") or value.get("en") or "").strip()


def _longest_is_right(options: list[Mapping[str, Any]], right_key: str) -> bool:
    right = [len(_text(o["text"])) for o in options if o.get(right_key)]
    others = [len(_text(o["text"])) for o in options if not o.get(right_key)]
    if len(right) != 1 or not others:
        return False
    return right[0] >= LONGEST_RATIO * max(others) and right[0] - max(others) >= LONGEST_MARGIN


def _questions(course: CourseSpec) -> Iterable[tuple[Path, Mapping[str, Any]]]:
    """Every question of the course (checks, bank, scenario parts) with its file."""
    for lesson in course.lessons:
        path = course.source_path / f"{lesson.slug}.md"
        for question in lesson.check:
            yield path, question
            for part in question.get("parts") or ():
                yield path, part
    bank = course.source_path / "questions.yaml"
    for question in course.quiz.questions:
        yield bank, question
        for part in question.get("parts") or ():
            yield bank, part


def _longest_options(course: CourseSpec) -> list[CueWarning]:
    warnings = []
    for lesson in course.lessons:
        options = list(lesson.decision.get("options") or [])
        if _longest_is_right(options, "best"):
            warnings.append(
                CueWarning(
                    course.source_path / f"{lesson.slug}.md",
                    str(_l("decision of lesson '%(id)s'", id=lesson.id)),
                    str(
                        _l(
                            "the best option is much longer than the others: learners can "
                            "pick it by its length; make the options about as long"
                        )
                    ),
                )
            )
    for path, question in _questions(course):
        if question.get("type") == "single" and _longest_is_right(
            list(question.get("options") or []), "correct"
        ):
            warnings.append(
                CueWarning(
                    path,
                    str(_l("question '%(id)s'", id=question["id"])),
                    str(_LONGEST),
                )
            )
    return warnings


def _position_skew(course: CourseSpec) -> list[CueWarning]:
    right_at: Counter[int] = Counter()
    expected: Counter[int] = Counter()
    count = 0
    for _path, question in _questions(course):
        options = list(question.get("options") or [])
        if question.get("type") != "single" or not options:
            continue
        count += 1
        for position, option in enumerate(options):
            expected[position] += 1 / len(options)
            if option.get("correct"):
                right_at[position] += 1
    if count < MIN_QUESTIONS:
        return []
    warnings = []
    for position, seen in sorted(right_at.items()):
        chance = expected[position]
        # Two standard deviations above chance and clearly more than it.
        if seen >= 1.5 * chance and seen - chance >= 2 * math.sqrt(chance) + 1:
            letter = chr(ord("a") + position)
            warnings.append(
                CueWarning(
                    course.source_path,
                    str(_l("course '%(id)s'", id=course.id)),
                    str(
                        _l(
                            "the right answer is option %(number)d (%(letter)s) in %(seen)d of "
                            "%(count)d single-choice questions, where chance gives about "
                            "%(chance)d: move the right answers around",
                            number=position + 1,
                            letter=letter,
                            seen=seen,
                            count=count,
                            chance=round(chance),
                        )
                    ),
                )
            )
    return warnings


def _true_false_skew(course: CourseSpec) -> list[CueWarning]:
    answers = [
        bool(question.get("answer"))
        for _path, question in _questions(course)
        if question.get("type") == "true_false"
    ]
    if len(answers) < MIN_QUESTIONS:
        return []
    falses = answers.count(False)
    for word, seen in (("false", falses), ("true", len(answers) - falses)):
        if seen / len(answers) >= TRUE_FALSE_SHARE:
            return [
                CueWarning(
                    course.source_path,
                    str(_l("course '%(id)s'", id=course.id)),
                    str(
                        _l(
                            "true/false answers are '%(word)s' in %(seen)d of %(count)d "
                            "questions: learners can guess; balance true and false statements",
                            word=word,
                            seen=seen,
                            count=len(answers),
                        )
                    ),
                )
            ]
    return []


def _near_duplicates(course: CourseSpec) -> list[CueWarning]:
    warnings = []
    bank = [(q["id"], _text(q.get("prompt"))) for q in course.quiz.questions]
    for lesson in course.lessons:
        for check in lesson.check:
            prompt = _text(check.get("prompt"))
            for bank_id, bank_prompt in bank:
                if not prompt or not bank_prompt:
                    continue
                if difflib.SequenceMatcher(None, prompt, bank_prompt).ratio() >= NEAR_DUPLICATE:
                    warnings.append(
                        CueWarning(
                            course.source_path / f"{lesson.slug}.md",
                            str(_l("question '%(id)s'", id=check["id"])),
                            str(
                                _l(
                                    "nearly the same as quiz question '%(id)s': the quiz then "
                                    "tests memory of the lesson; ask it another way",
                                    id=bank_id,
                                )
                            ),
                        )
                    )
    return warnings


def answer_cues(course: CourseSpec) -> list[CueWarning]:
    """Every answer cue of one course, as warnings for its author."""
    return [
        *_longest_options(course),
        *_position_skew(course),
        *_true_false_skew(course),
        *_near_duplicates(course),
    ]

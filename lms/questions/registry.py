"""The question-type registry: ``QUESTION_TYPES``, ``register``, ``get_type`` and
the functions views, attempts and reports call, each of which hands the spec
to its type.

Question specs are the dicts produced by the content loader (see
content/README.md). Each type is a ``QuestionType`` registered here so that the
loader, the studio, the export, the player, the quiz and the reports never
branch on the type name themselves. Nothing here imports Flask or SQLAlchemy,
so the rules can be tested and reused (e.g. for re-grading after a content fix)
without an app.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from lms.questions.base import (
    FormFields,
    OptionOrder,
    QuestionType,
    QuizResult,
    Score,
    Spec,
)
from lms.questions.choice import MultipleChoice, SingleChoice, TrueFalse
from lms.questions.matching import Matching
from lms.questions.numerical import Numerical
from lms.questions.ordering import Ordering
from lms.questions.scenario import Scenario
from lms.questions.short_answer import ShortAnswer


def get_type(name: str) -> QuestionType:
    """Return the registered question type called ``name``."""
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown question type {name!r}") from None


def register(qtype: QuestionType) -> QuestionType:
    """Add a question type to the registry (a new name only) and return it."""
    if not qtype.name or qtype.name in QUESTION_TYPES:
        raise ValueError(f"question type {qtype.name!r} is unnamed or already registered")
    QUESTION_TYPES[qtype.name] = qtype
    return qtype


def unregister(name: str) -> None:
    """Remove a question type from the registry (tests that add one clean up so)."""
    QUESTION_TYPES.pop(name, None)


def type_names() -> tuple[str, ...]:
    """Every registered type, in registration order: what a quiz bank may hold."""
    return tuple(QUESTION_TYPES)


def part_type_names() -> tuple[str, ...]:
    """The types a lesson check or a scenario part may be."""
    return tuple(name for name, qtype in QUESTION_TYPES.items() if qtype.is_part)


def all_file_keys() -> tuple[str, ...]:
    """Every type-specific file key of any registered type, sorted."""
    return tuple(sorted({key for qtype in QUESTION_TYPES.values() for key in qtype.file_keys}))


# get_type reads this dict when called, so the scenario can be handed it here.
QUESTION_TYPES: dict[str, QuestionType] = {
    qtype.name: qtype
    for qtype in (
        SingleChoice(),
        MultipleChoice(),
        TrueFalse(),
        Ordering(),
        Scenario(get_type),
        Matching(),
        Numerical(),
        ShortAnswer(),
    )
}


def normalise_answer(spec: Spec, raw_answer: Any) -> Any:
    """Validate a raw answer for ``spec``; raises ``InvalidAnswer`` on tampering."""
    return get_type(spec["type"]).normalise_answer(spec, raw_answer)


def grade(spec: Spec, raw_answer: Any) -> Score:
    """Validate and grade one answer; raises ``InvalidAnswer`` on tampering."""
    return get_type(spec["type"]).grade(spec, raw_answer)


def option_ids(spec: Spec) -> OptionOrder:
    """Return the ids an attempt shuffles (a dict per part for a scenario)."""
    return get_type(spec["type"]).option_ids(spec)


def shuffled_option_order(spec: Spec, rng: random.Random | None = None) -> OptionOrder:
    """Return a random option order for an attempt; ordering items never in key order."""
    return get_type(spec["type"]).shuffled_order(spec, rng or random.SystemRandom())


def presented_option_order(
    spec: Spec, shuffle: bool, rng: random.Random | None = None
) -> OptionOrder:
    """Return the option order a new attempt shows; ordering items are always shuffled."""
    return get_type(spec["type"]).presented_order(spec, rng or random.SystemRandom(), shuffle)


def answer_from_form(spec: Spec, fields: FormFields, name: str) -> Any:
    """Decode a question's raw answer from form fields named after ``name``."""
    return get_type(spec["type"]).from_form(spec, fields, name)


def chosen_ids(spec: Spec, answer: Any) -> list[str]:
    """Return the ids a normalised answer picked (for item analysis option counts)."""
    return get_type(spec["type"]).chosen_ids(spec, answer)


def learner_view(spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
    """Return what a learner may see before grading (no key, no feedback)."""
    return get_type(spec["type"]).learner_view(spec, option_order)


def review_view(
    spec: Spec, answer: Any, score: Score, mode: str, option_order: OptionOrder | None = None
) -> dict[str, Any]:
    """Return what a learner may see after grading under review ``mode``."""
    return get_type(spec["type"]).review_view(spec, answer, score, mode, option_order)


def grade_quiz(questions: Sequence[tuple[Spec, Any]], pass_mark: int) -> QuizResult:
    """Grade a quiz attempt (one point per question); raises ``InvalidAnswer`` on tampering."""
    if not 0 <= pass_mark <= 100:
        raise ValueError(f"pass_mark must be within 0..100, got {pass_mark!r}")
    scores: list[Score] = []
    critical_failed: list[str] = []
    by_topic: dict[str | None, tuple[float, int]] = {}
    for spec, raw_answer in questions:
        score = grade(spec, raw_answer)
        scores.append(score)
        if spec.get("critical") and not score.correct:
            critical_failed.append(spec["id"])
        topic = spec.get("topic")
        got, out_of = by_topic.get(topic, (0.0, 0))
        by_topic[topic] = (round(got + score.points, 4), out_of + 1)
    max_points = len(scores)
    points = round(sum(score.points for score in scores), 4)
    score_percent = round(points / max_points * 100, 2) if max_points else 0.0
    return QuizResult(
        score_percent=score_percent,
        points=points,
        max_points=max_points,
        # An empty quiz proves nothing, so it never passes.
        passed=bool(max_points) and score_percent >= pass_mark and not critical_failed,
        critical_failed=tuple(critical_failed),
        by_topic=by_topic,
        per_question=tuple(scores),
    )

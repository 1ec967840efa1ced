"""The order a learner sees a lesson's decision options and check options in:
shuffled, so the file's order (where the best option often comes first) gives
nothing away, and stable for that learner and lesson, so a resumed lesson and
an offline replay show the same order on any server process. The ids a page
shows are the learner's tokens (``lms.questions.tokens``), read back on the way
in. Pure Python."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from lms.assessments.grading import learner_view, presented_option_order
from lms.questions.tokens import AnswerTokens

__all__ = ["check_views", "decision_choice", "decision_options", "learner_rng", "lesson_context"]

#: The scope of a decision's option tokens.
DECISION_SCOPE = "decision"


def lesson_context(course_key: str, lesson_key: str, step: str) -> str:
    """What a lesson step's answer tokens are made for.

    The lesson's key rather than its version: an answer queued offline still
    reads after a correction is published, when its options are the same."""
    return f"lesson:{course_key}:{lesson_key}:{step}"


def learner_rng(profile_id: int, lesson_key: str) -> random.Random:
    """A generator seeded by learner and lesson: the same sequence every time."""
    # A string seed is hashed with SHA-512, not Python's per-process hash.
    return random.Random(f"lms-lesson-order:{profile_id}:{lesson_key}")  # noqa: S311 - an order, not a secret


def decision_options(
    options: Sequence[Mapping[str, Any]], profile_id: int, lesson_key: str, tokens: AnswerTokens
) -> list[Mapping[str, Any]]:
    """The decision's options in this learner's order, each id a token."""
    shuffled = list(options)
    learner_rng(profile_id, f"{lesson_key}:decision").shuffle(shuffled)
    return [{**option, "id": tokens.token(DECISION_SCOPE, option["id"])} for option in shuffled]


def decision_choice(
    options: Sequence[Mapping[str, Any]], choice: str | None, tokens: AnswerTokens
) -> str | None:
    """The option id a posted token names; "" for a token no page of this learner showed."""
    if choice is None:
        return None
    by_token = {tokens.token(DECISION_SCOPE, option["id"]): option["id"] for option in options}
    return by_token.get(choice, "")


def check_views(
    checks: Sequence[Mapping[str, Any]], profile_id: int, lesson_key: str, tokens: AnswerTokens
) -> list[dict[str, Any]]:
    """What the learner sees of each check question: options in this learner's order, as tokens."""
    rng = learner_rng(profile_id, f"{lesson_key}:check")
    views = []
    for question in checks:
        order = presented_option_order(question, True, rng)
        views.append(learner_view(tokens.question(question), tokens.order(question, order)))
    return views

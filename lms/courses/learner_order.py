"""The order a learner sees a lesson's decision options and check options in:
shuffled, so the file's order (where the best option often comes first) gives
nothing away, and stable for that learner and lesson, so a resumed lesson and
an offline replay show the same order on any server process. Pure Python."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from lms.assessments.grading import learner_view, presented_option_order

__all__ = ["check_views", "decision_options", "learner_rng"]


def learner_rng(profile_id: int, lesson_key: str) -> random.Random:
    """A generator seeded by learner and lesson: the same sequence every time."""
    # A string seed is hashed with SHA-512, not Python's per-process hash.
    return random.Random(f"lms-lesson-order:{profile_id}:{lesson_key}")  # noqa: S311 - an order, not a secret


def decision_options(
    options: Sequence[Mapping[str, Any]], profile_id: int, lesson_key: str
) -> list[Mapping[str, Any]]:
    """The decision's options in this learner's order."""
    shuffled = list(options)
    learner_rng(profile_id, f"{lesson_key}:decision").shuffle(shuffled)
    return shuffled


def check_views(
    checks: Sequence[Mapping[str, Any]], profile_id: int, lesson_key: str
) -> list[dict[str, Any]]:
    """What the learner sees of each check question, its options in this learner's order."""
    rng = learner_rng(profile_id, f"{lesson_key}:check")
    return [
        learner_view(question, presented_option_order(question, True, rng)) for question in checks
    ]

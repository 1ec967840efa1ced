"""How the courses domain reacts to other domains' events: quiz questions a
learner missed come back in their spaced review."""

from __future__ import annotations

from typing import Any

from lms.assessments.models import Attempt
from lms.courses.review import queue_missed_question
from lms.signals import attempt_graded


def queue_missed_quiz_questions(sender: Any, attempt: Attempt | None = None, **_extra: Any) -> None:
    """Every quiz question answered wrongly goes into the learner's review queue."""
    if attempt is None:
        return
    course_key = (attempt.course_key or "quiz")[:64]
    for question in attempt.questions:
        if question.correct:
            continue
        spec = dict(question.question_version.spec)
        spec.setdefault("id", question.question_key)
        queue_missed_question(attempt.profile_id, spec, "quiz", course_key)


def connect() -> None:
    """Listen to the signals; called once per app from ``LMS.init_app``.

    Connecting again is harmless: blinker keeps one connection per receiver.
    """
    attempt_graded.connect(queue_missed_quiz_questions)

"""How interop reacts to the domains: each event's xAPI statements join the
outbox in the event's own transaction (the receivers add rows, never commit)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from lms import signals
from lms.db import utcnow
from lms.interop import xapi
from lms.interop.outbox import enabled, enqueue


def on_lesson_completed(sender: Any, profile: Any, lesson_version: Any, **extra: Any) -> None:
    if not enabled():
        return
    course_version = lesson_version.course_version
    course_key = course_version.course.key
    enqueue(
        xapi.statement(
            f"lesson-completed:{profile.id}:{course_key}:{lesson_version.key}",
            profile.id,
            "completed",
            xapi.activity(
                "lesson", f"courses/{course_key}/lessons/{lesson_version.key}", lesson_version.title
            ),
            utcnow(),
            xapi.context(course_key, course_version.organisation_id),
            {"completion": True},
        )
    )


def on_lesson_experienced(
    sender: Any, profile: Any, lesson_version: Any, step: str = "", **extra: Any
) -> None:
    # One statement per learner and lesson: the first step shown is the
    # experience; later views of the same lesson are the same event again.
    if not enabled():
        return
    course_version = lesson_version.course_version
    course_key = course_version.course.key
    enqueue(
        xapi.statement(
            f"lesson-experienced:{profile.id}:{course_key}:{lesson_version.key}",
            profile.id,
            "experienced",
            xapi.activity(
                "lesson", f"courses/{course_key}/lessons/{lesson_version.key}", lesson_version.title
            ),
            utcnow(),
            xapi.context(course_key, course_version.organisation_id, {"step": step}),
        )
    )


def on_session_attended(sender: Any, attendance: Any, **extra: Any) -> None:
    if not enabled():
        return
    training = attendance.session
    enqueue(
        xapi.statement(
            f"session-attended:{attendance.session_id}:{attendance.profile_id}",
            attendance.profile_id,
            "attended",
            xapi.activity("session", f"sessions/{training.id}", {"zh_CN": training.title}),
            attendance.created_at or utcnow(),
            xapi.context(
                training.course_key,
                training.organisation_id,
                {"check-in-method": str(attendance.method)},
            ),
            {"completion": True},
        )
    )


def on_attempt_graded(sender: Any, attempt: Any, **extra: Any) -> None:
    if not enabled():
        return
    course_version = attempt.course_version
    organisation_id = course_version.organisation_id
    at = attempt.graded_at or utcnow()
    quiz_path = f"courses/{attempt.course_key}/quizzes/{attempt.quiz_key}"
    for question in attempt.questions:
        if question.answered_at is None:
            continue
        result: dict[str, Any] = {"completion": True}
        if question.correct is not None:
            result["success"] = bool(question.correct)
        enqueue(
            xapi.statement(
                f"question-answered:{attempt.id}:{question.question_key}",
                attempt.profile_id,
                "answered",
                xapi.activity("question", f"{quiz_path}/questions/{question.question_key}"),
                question.answered_at,
                xapi.context(attempt.course_key, organisation_id, {"attempt": attempt.number}),
                result,
            )
        )
    enqueue(
        xapi.statement(
            f"attempt-graded:{attempt.id}",
            attempt.profile_id,
            "passed" if attempt.passed else "failed",
            xapi.activity("assessment", quiz_path, course_version.quiz_title),
            at,
            xapi.context(attempt.course_key, organisation_id, {"attempt": attempt.number}),
            xapi.scaled_result(attempt.score_percent, bool(attempt.passed)),
        )
    )


def on_level_reached(sender: Any, achievement: Any, **extra: Any) -> None:
    if not enabled():
        return
    enqueue(
        xapi.statement(
            f"level-reached:{achievement.id}",
            achievement.profile_id,
            "mastered",
            xapi.activity("level", f"levels/{achievement.track_key}/{achievement.level}"),
            achievement.reached_at or utcnow(),
            xapi.context(extra={"track": achievement.track_key, "level": achievement.level}),
            {"completion": True, "success": True},
        )
    )


def on_certificate_issued(sender: Any, certificate: Any, **extra: Any) -> None:
    if not enabled():
        return
    issued = datetime.combine(certificate.issued_on, time(), tzinfo=UTC)
    enqueue(
        xapi.statement(
            f"certificate-issued:{certificate.number}",
            certificate.profile_id,
            "earned",
            xapi.activity("certificate", f"certificates/{certificate.number}", certificate.title),
            issued,
            xapi.context(
                certificate.course_key,
                certificate.organisation_id,
                {"certificate-kind": str(certificate.kind)},
            ),
            {"completion": True, "success": True},
        )
    )


def connect() -> None:
    """Connect the receivers (called once by ``LMS.init_app``)."""
    signals.lesson_completed.connect(on_lesson_completed, weak=False)
    signals.attempt_graded.connect(on_attempt_graded, weak=False)
    signals.level_reached.connect(on_level_reached, weak=False)
    signals.certificate_issued.connect(on_certificate_issued, weak=False)
    signals.lesson_experienced.connect(on_lesson_experienced, weak=False)
    signals.session_attended.connect(on_session_attended, weak=False)

"""Fixtures of the levels tests: the shipped courses and tracks, and a way to
give a learner graded attempts and finished lessons by writing the rows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms.assessments.models import Attempt, AttemptQuestion, AttemptStatus
from lms.courses.models import Course, LessonProgress, QuestionVersion
from lms.db import utcnow
from lms.levels.services import import_levels
from lms.state import get_session
from tests.conftest import CONTENT_DIR, _dispose, build_test_app


@pytest.fixture
def app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The standalone app with the shipped courses and skill-level tracks published."""
    application = build_test_app(database_backend, tmp_path, with_content=True)
    with application.app_context():
        report = import_levels(CONTENT_DIR)
        assert report.ok, [str(error) for error in report.errors]
        get_session().commit()
    yield application
    _dispose(application)


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped content that a test may edit."""
    target = tmp_path / "content-copy"
    shutil.copytree(CONTENT_DIR, target)
    return target


def critical_keys(course_key: str) -> list[str]:
    """The critical question keys of a published course."""
    course = get_session().scalar(select(Course).where(Course.key == course_key))
    return [
        quiz_question.question.key
        for quiz_question in course.current_version.quiz_questions
        if quiz_question.question.spec.get("critical")
    ]


def add_attempt(
    profile_id: int,
    course_key: str,
    score: float,
    passed: bool = True,
    correct: list[str] | None = None,
    wrong: list[str] | None = None,
    graded: bool = True,
) -> Attempt:
    """A graded (or unfinished) attempt written straight into the assessments tables."""
    session = get_session()
    course = session.scalar(select(Course).where(Course.key == course_key))
    version = course.current_version
    number = (
        session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.profile_id == profile_id, Attempt.quiz_key == version.quiz_key)
        )
        or 0
    ) + 1
    now = utcnow()
    attempt = Attempt(
        profile_id=profile_id,
        course_version_id=version.id,
        course_key=course_key,
        quiz_key=version.quiz_key,
        number=number,
        status=AttemptStatus.GRADED if graded else AttemptStatus.IN_PROGRESS,
        started_at=now - timedelta(minutes=10),
        submitted_at=now if graded else None,
        graded_at=now if graded else None,
        score_percent=score if graded else None,
        passed=passed if graded else None,
        policy=dict(version.quiz_policy),
        review_mode="explanations",
    )
    by_key = {qq.question.key: qq.question for qq in version.quiz_questions}
    answers = [(key, True) for key in correct or []] + [(key, False) for key in wrong or []]
    for position, (key, right) in enumerate(answers, start=1):
        question: QuestionVersion = by_key[key]
        attempt.questions.append(
            AttemptQuestion(
                position=position,
                question_version_id=question.id,
                question_key=key,
                option_order=[],
                points=1.0 if right else 0.0,
                correct=right if graded else None,
            )
        )
    session.add(attempt)
    session.flush()
    return attempt


def complete_lessons(profile_id: int, course_key: str, count: int | None = None) -> list[str]:
    """Mark the first ``count`` lessons of a course finished, as the lesson player would."""
    session = get_session()
    course = session.scalar(select(Course).where(Course.key == course_key))
    lessons = course.current_version.lessons[:count]
    now = utcnow()
    for lesson in lessons:
        session.add(
            LessonProgress(
                profile_id=profile_id,
                course_key=course_key,
                lesson_key=lesson.key,
                lesson_version_id=lesson.id,
                step="check",
                steps_done=["situation", "decision", "outcome", "rule", "check"],
                started_at=now,
                updated_at=now,
                completed_at=now,
            )
        )
    session.flush()
    return [lesson.key for lesson in lessons]


def pass_level_5(profile_id: int) -> None:
    """Everything the shipped online-delivery-worker L5 asks for: both quizzes passed with
    every critical question right, every legal-safety lesson and one logistics lesson."""
    for course_key in ("legal-safety", "logistics"):
        add_attempt(profile_id, course_key, 90, correct=critical_keys(course_key))
    complete_lessons(profile_id, "legal-safety")
    complete_lessons(profile_id, "logistics", 1)


def invite_link(trainer_client: Any, cohort_id: int, days: int = 14, max_uses: int = 50) -> str:
    """Make an invitation as the logged-in trainer; return the path of its join link."""
    import re

    from tests.conftest import post_form

    response = post_form(
        trainer_client,
        f"/staff/cohorts/{cohort_id}/invites",
        {"days": days, "max_uses": max_uses},
    )
    assert response.status_code == 302, response.status_code
    sheet = trainer_client.get(response.headers["Location"]).get_data(as_text=True)
    found = re.search(r'href="(?:https?://[^/"]+)?(/join/[^"]+)"', sheet)
    assert found, "the invitation sheet shows no join link"
    return found.group(1)


def accept(app: Any, learner: Any, link: str) -> Any:
    """The learner logs in on their own phone and accepts the invitation."""
    from tests.conftest import log_in, post_form

    client = app.test_client()
    log_in(client, learner.phone)
    return post_form(client, link, {})

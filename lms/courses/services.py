"""Publishing course content and reading the published catalogue."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lms.accounts.access import STAFF_ROLES
from lms.accounts.models import Profile
from lms.accounts.services import publishing_organisation
from lms.content.errors import ContentError
from lms.content.schema import LANGUAGES
from lms.courses.loader import load_content
from lms.courses.models import (
    Area,
    Course,
    CourseStatus,
    CourseVersion,
    LessonVersion,
    QuestionVersion,
    QuizQuestion,
)
from lms.courses.published import attach_current_versions
from lms.courses.specs import CourseSpec
from lms.state import get_session, request_memo


class ImportStatus(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass(frozen=True)
class CourseImport:
    key: str
    status: ImportStatus
    version: int | None = None


@dataclass
class ImportReport:
    courses: list[CourseImport] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def spec_hash(data: Any) -> str:
    """SHA-256 of a canonical JSON form, so equal content hashes equally."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _question_version(spec: dict[str, Any]) -> QuestionVersion:
    session = get_session()
    digest = spec_hash(spec)
    found = session.scalar(
        select(QuestionVersion).where(
            QuestionVersion.key == spec["id"], QuestionVersion.content_hash == digest
        )
    )
    if found is None:
        found = QuestionVersion(key=spec["id"], content_hash=digest, spec=spec)
        session.add(found)
    return found


def publish_course(spec: CourseSpec, organisation_id: int | None = None) -> CourseImport:
    """Publish a validated course as a new version, or do nothing if unchanged.

    Without ``organisation_id`` the course is shipped content, owned by the
    deployment's publishing organisation.
    """
    session = get_session()
    shipped = organisation_id is None
    if organisation_id is None:
        organisation_id = publishing_organisation().id
    course = session.scalar(select(Course).where(Course.key == spec.id))
    created = course is None
    if course is None:
        course = Course(
            key=spec.id, area=Area(spec.area), organisation_id=organisation_id, shipped=shipped
        )
        session.add(course)
        session.flush()
    elif course.current_version and course.current_version.content_hash == spec.content_hash:
        return CourseImport(spec.id, ImportStatus.UNCHANGED, course.current_version.number)
    last = session.scalar(
        select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)
    )
    quiz = spec.quiz
    version = CourseVersion(
        course_id=course.id,
        number=(last or 0) + 1,
        content_hash=spec.content_hash,
        title=dict(spec.title),
        summary=dict(spec.summary),
        occupations=list(spec.occupations),
        level=spec.level,
        languages=None if spec.languages == LANGUAGES else list(spec.languages),
        quiz_key=quiz.id,
        quiz_title=dict(quiz.title),
        quiz_policy={
            "draw": quiz.draw,
            "draw_by_tag": dict(quiz.draw_by_tag),
            "pass_mark": quiz.pass_mark,
            "shuffle_questions": quiz.shuffle_questions,
            "shuffle_options": quiz.shuffle_options,
            "max_attempts": quiz.max_attempts,
            "cooldown_minutes": quiz.cooldown_minutes,
            "time_limit_minutes": quiz.time_limit_minutes,
            "review": quiz.review,
        },
        source=str(spec.source_path)[:255],
        organisation_id=course.organisation_id,
    )
    for lesson in spec.lessons:
        version.lessons.append(
            LessonVersion(
                key=lesson.id,
                position=lesson.position,
                slug=lesson.slug,
                content_hash=lesson.content_hash,
                title=dict(lesson.title),
                minutes=lesson.minutes,
                tags=list(lesson.tags),
                decision=lesson.decision,
                rule_source=dict(lesson.rule_source),
                situation_html=dict(lesson.situation_html),
                outcome_html=dict(lesson.outcome_html),
                rule_html=dict(lesson.rule_html),
                checks=list(lesson.check),
            )
        )
    for position, question in enumerate(quiz.questions, start=1):
        version.quiz_questions.append(
            QuizQuestion(question=_question_version(question), position=position)
        )
    session.add(version)
    session.flush()
    course.current_version = version
    course.status = CourseStatus.PUBLISHED
    session.flush()
    status = ImportStatus.CREATED if created else ImportStatus.UPDATED
    return CourseImport(spec.id, status, version.number)


def _errors_of(spec: CourseSpec, errors: Iterable[ContentError]) -> list[ContentError]:
    folder = Path(spec.source_path).resolve()
    found = []
    for error in errors:
        try:
            Path(error.path).resolve().relative_to(folder)
        except ValueError:
            continue
        found.append(error)
    return found


def import_content(root: Path) -> ImportReport:
    """Validate content under ``root`` and publish every course that has no error.

    Each course goes in its own savepoint: a course with an error is rejected
    whole and leaves nothing behind; the caller commits.
    """
    specs, errors = load_content(root)
    report = ImportReport(errors=list(errors))
    session = get_session()
    for spec in specs:
        if _errors_of(spec, errors):
            report.courses.append(CourseImport(spec.id, ImportStatus.REJECTED))
            continue
        with session.begin_nested():
            report.courses.append(publish_course(spec))
    return report


def staff_may_read_course(profile: Profile | None, course: Course) -> bool:
    """Staff read (and report on) shipped courses and their organisation's own."""
    if profile is None or not profile.has_role(*STAFF_ROLES):
        return False
    return course.shipped or course.organisation_id == profile.organisation_id


def _published_courses() -> list[Course]:
    courses = list(
        get_session().scalars(
            select(Course)
            .where(Course.status == CourseStatus.PUBLISHED, Course.current_version_id.is_not(None))
            .order_by(Course.area, Course.key)
        )
    )
    attach_current_versions(courses)
    return courses


def published_courses() -> list[Course]:
    """Every published course with its current version, in area order.

    One query per request, however many places of a page ask (home and its
    level panel); the versions' lessons and quiz banks come from the process.
    """
    return list(request_memo("published_courses", _published_courses))


def course_by_key(key: str) -> Course | None:
    """A published course by its stable id (its current version read from the process)."""
    course = get_session().scalar(
        select(Course).where(Course.key == key, Course.status == CourseStatus.PUBLISHED)
    )
    if course is not None:
        attach_current_versions([course])
    return course


def lesson_in(version: CourseVersion, lesson_key: str) -> LessonVersion | None:
    """A lesson of a course version by its stable id."""
    return next((lesson for lesson in version.lessons if lesson.key == lesson_key), None)

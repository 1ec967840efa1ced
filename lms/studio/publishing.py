"""Checking and publishing a draft, archiving and restoring a course, exporting its files.

A draft is checked exactly as its files would be: it is written as a content
folder and read back by the course loader, and every error is tied to the
draft field that caused it.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lms.accounts.models import Profile
from lms.courses.cues import answer_cues
from lms.courses.loader import ContentErrors, CourseSpec, load_course
from lms.courses.models import (
    Area,
    Course,
    CourseStatus,
    CourseVersion,
    LessonVersion,
    QuestionVersion,
    QuizQuestion,
)
from lms.courses.services import CourseImport, publish_course
from lms.i18n import _l, gettext
from lms.state import get_session
from lms.studio.drafts import check_revision, course_data
from lms.studio.errors import Problem, StudioError, problem_text
from lms.studio.export import ExportedCourse, draft_files, write_folder
from lms.studio.models import Draft, VersionSource
from lms.studio.scope import authoring_organisation, own_course, visible_course

__all__ = [
    "archive_course",
    "check_draft",
    "draft_cues",
    "export_course",
    "field_problems",
    "problems_by_page",
    "publish_draft",
    "restore_course",
]


def _problems(draft: Draft, exported: ExportedCourse) -> tuple[CourseSpec | None, list[Problem]]:
    with tempfile.TemporaryDirectory(prefix="lms-studio-") as folder:
        root = write_folder(exported, Path(folder) / draft.course_key)
        try:
            spec = load_course(root)
        except ContentErrors as errors:
            problems = [
                Problem(
                    exported.field_at(Path(error.path).name, error.line) or "course", error.message
                )
                for error in errors.errors
            ]
            return None, problems
    return spec, _clashes(draft, spec)


def _clashes(draft: Draft, spec: CourseSpec) -> list[Problem]:
    """Lesson and question ids another course already uses."""
    session = get_session()
    problems: list[Problem] = []
    other = select(Course.id).where(Course.key != draft.course_key)
    lesson_keys = {lesson.id: index for index, lesson in enumerate(spec.lessons)}
    for key in session.scalars(
        select(LessonVersion.key)
        .join(CourseVersion, CourseVersion.id == LessonVersion.course_version_id)
        .where(CourseVersion.course_id.in_(other), LessonVersion.key.in_(list(lesson_keys)))
        .distinct()
    ):
        problems.append(
            Problem(
                f"lessons.{lesson_keys[key]}.front.id",
                str(_l("id '%(id)s' is used by another course: choose another id", id=key)),
            )
        )
    question_keys = {question["id"]: index for index, question in enumerate(spec.quiz.questions)}
    for key in session.scalars(
        select(QuestionVersion.key)
        .join(QuizQuestion, QuizQuestion.question_version_id == QuestionVersion.id)
        .join(CourseVersion, CourseVersion.id == QuizQuestion.course_version_id)
        .where(CourseVersion.course_id.in_(other), QuestionVersion.key.in_(list(question_keys)))
        .distinct()
    ):
        problems.append(
            Problem(
                f"questions.{question_keys[key]}.id",
                str(_l("id '%(id)s' is used by another course: choose another id", id=key)),
            )
        )
    return problems


def draft_cues(draft: Draft) -> list[str]:
    """The answer cues of a valid draft (warnings, as ``content check`` prints them)."""
    spec, problems = _problems(draft, draft_files(draft.data))
    if spec is None or problems:
        return []
    return [f"{warning.subject}: {warning.message}" for warning in answer_cues(spec)]


def check_draft(draft: Draft) -> list[Problem]:
    """Validate the draft exactly as `flask lms content check` would; store the problems."""
    _spec, problems = _problems(draft, draft_files(draft.data))
    draft.problems = [problem.as_dict() for problem in problems]
    get_session().flush()
    return problems


def publish_draft(
    draft: Draft, revision: int, profile: Profile
) -> tuple[CourseImport | None, list[Problem]]:
    """Validate and publish a draft as a new course version; the draft is then gone.

    With problems nothing is published: they are stored on the draft, each with
    the field it belongs to.
    """
    check_revision(draft, revision)
    organisation_id = authoring_organisation(profile)
    session = get_session()
    course = session.scalar(select(Course).where(Course.key == draft.course_key))
    if course is not None and (course.shipped or course.organisation_id != organisation_id):
        raise StudioError(_l("A course with this id exists already: choose another id."), 409)
    spec, problems = _problems(draft, draft_files(draft.data))
    if spec is None or problems:
        draft.problems = [problem.as_dict() for problem in problems]
        session.flush()
        return None, problems
    result = publish_course(spec, organisation_id=organisation_id)
    course = session.scalar(select(Course).where(Course.key == draft.course_key))
    assert course is not None  # noqa: S101 - publish_course has just created or found it
    if course.current_version_id is not None and not session.scalar(
        select(VersionSource.id).where(VersionSource.course_version_id == course.current_version_id)
    ):
        session.add(
            VersionSource(
                course_version_id=course.current_version_id,
                data=copy.deepcopy(draft.data),
                draft_id=draft.id,
            )
        )
    course.status = CourseStatus.PUBLISHED
    # publish_course sets the area only when it creates the course.
    course.area = Area(spec.area)
    session.delete(draft)
    session.flush()
    return result, []


def archive_course(profile: Profile, key: str) -> Course:
    """Take an own course off the catalogue; learners' records stay."""
    course = own_course(profile, key)
    course.status = CourseStatus.ARCHIVED
    get_session().flush()
    return course


def restore_course(profile: Profile, key: str) -> Course:
    """Put an archived own course back in the catalogue."""
    course = own_course(profile, key)
    if course.current_version_id is None:
        raise StudioError(_l("This course has no published version."), 400)
    course.status = CourseStatus.PUBLISHED
    get_session().flush()
    return course


def export_course(key: str, profile: Profile | None = None, draft: bool = False) -> ExportedCourse:
    """The files of a course: its draft when asked, else its current version.

    Without a profile (the CLI) every course is reachable.
    """
    session = get_session()
    if draft:
        query = select(Draft).where(Draft.course_key == key)
        if profile is not None:
            query = query.where(Draft.organisation_id == profile.organisation_id)
        found = session.scalar(query)
        if found is None:
            raise StudioError(_l("This draft does not exist."), 404)
        return draft_files(found.data)
    course = (
        visible_course(profile, key)
        if profile is not None
        else session.scalar(select(Course).where(Course.key == key))
    )
    if course is None:
        raise StudioError(_l("This course does not exist."), 404)
    return draft_files(course_data(course))


def _shown(problem: dict[str, Any]) -> str:
    """A stored problem in the language of the page being rendered."""
    return problem_text(problem, gettext)


def problems_by_page(problems: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """Problems grouped by the studio page that edits their field, in the page's language."""
    pages: dict[str, list[dict[str, str]]] = {}
    for stored in problems:
        problem = {"path": stored["path"], "message": _shown(stored)}
        parts = problem["path"].split(".")
        if parts[0] in ("lessons", "questions") and len(parts) > 1 and parts[1].isdigit():
            page = f"{parts[0]}.{parts[1]}"
        elif parts[0] in ("lessons", "questions"):
            page = "course" if parts[0] == "lessons" else "questions"
        else:
            page = "course"
        pages.setdefault(page, []).append(problem)
    return pages


def field_problems(draft: Draft, prefix: str) -> dict[str, list[str]]:
    """The draft's problems on one page, keyed by form field name."""
    errors: dict[str, list[str]] = {}
    for problem in draft.problems or []:
        path = problem["path"]
        if path == prefix.rstrip("."):
            errors.setdefault("", []).append(_shown(problem))
        elif path.startswith(prefix):
            errors.setdefault(path[len(prefix) :], []).append(_shown(problem))
    return errors

"""Course and cohort reports for trainers: what a report holds and how a page is put
together; the SQL that counts it is in ``report_queries`` and ``item_queries``.

Who is counted: for a cohort report, the cohort's members; for a course report,
the learners in the organisation's cohorts. Only learners who accepted an
invitation and are still in, and only what they did since joining: a trainer
never sees a learner outside that set, nor what they did before or after.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Subquery, or_, select

from lms.accounts.access import can_view_cohort, membership_windows
from lms.accounts.models import Cohort, Profile
from lms.accounts.services import mask_phone
from lms.assessments.item_analysis import ItemStats, item_stats_csv
from lms.assessments.item_queries import count_items
from lms.courses.models import Course
from lms.i18n import _, _l, localised
from lms.state import allow_report_memory, get_session
from lms.studio import report_queries
from lms.studio.errors import StudioError
from lms.studio.scope import visible_course
from lms.web import local_time

__all__ = [
    "PAGE_SIZE",
    "CourseReport",
    "ReportScope",
    "build_report",
    "cohort_report",
    "cohort_scope",
    "course_report",
    "course_scope",
    "report_cohorts",
    "report_courses",
    "report_csv",
]

PAGE_SIZE = 50
TABLES = ("learners", "lessons", "items")
# Spreadsheets run a cell starting with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class LearnerRow:
    """One learner's progress in the course."""

    profile_id: int
    name: str
    masked_phone: str
    lessons_done: int
    lessons_total: int
    started: bool
    completed: bool
    attempts: int
    best_score: float | None
    passed: bool | None
    last_active: datetime | None


@dataclass(frozen=True)
class LessonRow:
    """One lesson: how many finished it and the median active time."""

    key: str
    title: dict[str, str]
    started: int
    completed: int
    median_seconds: int | None


@dataclass
class CourseReport:
    """Everything one report page shows."""

    course: Course
    cohort: Cohort | None
    enrolled: int
    started: int
    completed: int
    graded: int
    passed: int
    lessons: list[LessonRow]
    learners: list[LearnerRow]
    page: int
    pages: int
    items: list[ItemStats] = field(default_factory=list)
    item_prompts: dict[str, dict[str, str]] = field(default_factory=dict)
    attempts: int = 0

    @property
    def pass_rate(self) -> float | None:
        """Share of learners with a graded attempt who passed, in percent."""
        return round(100 * self.passed / self.graded, 1) if self.graded else None


def report_courses(profile: Profile) -> list[Course]:
    """The courses a trainer may report on: their organisation's and the shipped ones."""
    scope = Course.shipped.is_(True)
    if profile.organisation_id is not None:
        scope = or_(scope, Course.organisation_id == profile.organisation_id)
    return list(get_session().scalars(select(Course).where(scope).order_by(Course.key)))


def report_cohorts(profile: Profile) -> list[Cohort]:
    """The cohorts of the trainer's organisation."""
    if profile.organisation_id is None:
        return []
    return list(
        get_session().scalars(
            select(Cohort)
            .where(Cohort.organisation_id == profile.organisation_id)
            .order_by(Cohort.name)
        )
    )


def _course(profile: Profile, key: str) -> Course:
    course = visible_course(profile, key)
    if course is None or course.current_version is None:
        raise StudioError(_l("This course does not exist."), 404)
    return course


def _population(profile: Profile, cohort: Cohort | None) -> Subquery:
    """Who this report counts and since when: learners who joined the organisation's
    cohorts (or this cohort) and are still in; only what they did since joining."""
    organisation_id = cohort.organisation_id if cohort is not None else profile.organisation_id
    return membership_windows(organisation_id or -1, cohort.id if cohort is not None else None)


@dataclass(frozen=True)
class ReportScope:
    """What one report covers: a course with a current version, and who is counted."""

    course: Course
    cohort: Cohort | None
    windows: Subquery
    lesson_keys: tuple[str, ...]


def _scope(profile: Profile, course: Course, cohort: Cohort | None) -> ReportScope:
    version = course.current_version
    assert version is not None  # noqa: S101 - _course refuses a course without a version
    return ReportScope(
        course=course,
        cohort=cohort,
        windows=_population(profile, cohort),
        lesson_keys=tuple(lesson.key for lesson in version.lessons),
    )


def course_scope(profile: Profile, key: str, cohort_id: int | None = None) -> ReportScope:
    """The course a trainer asks a report of, over their organisation (or one of its cohorts)."""
    course = _course(profile, key)
    cohort = None
    if cohort_id is not None:
        cohort = get_session().get(Cohort, cohort_id)
        if cohort is None or cohort.organisation_id != profile.organisation_id:
            raise StudioError(_l("This cohort does not exist."), 404)
    return _scope(profile, course, cohort)


def cohort_scope(profile: Profile, cohort_id: int, key: str | None) -> ReportScope:
    """A cohort's report on one course (the first course when none is named)."""
    cohort = get_session().get(Cohort, cohort_id)
    if cohort is None or not can_view_cohort(profile, cohort):
        raise StudioError(_l("This cohort does not exist."), 404)
    if not key:
        courses = [course for course in report_courses(profile) if course.current_version]
        if not courses:
            raise StudioError(_l("This course does not exist."), 404)
        key = courses[0].key
    return _scope(profile, _course(profile, key), cohort)


def course_report(
    profile: Profile, key: str, cohort_id: int | None = None, page: int | None = 1
) -> CourseReport:
    """A course's report over the trainer's learners; ``page`` None gives every learner."""
    return build_report(course_scope(profile, key, cohort_id), page)


def cohort_report(
    profile: Profile, cohort_id: int, key: str | None, page: int | None = 1
) -> CourseReport:
    """A cohort's report on one course (the first course when none is named)."""
    return build_report(cohort_scope(profile, cohort_id, key), page)


def _learner_row(row: Row[Any], lessons_total: int) -> LearnerRow:
    touched = [when for when in (row.touched, row.last_attempt) if when is not None]
    return LearnerRow(
        profile_id=row.profile_id,
        name=row.name,
        masked_phone=mask_phone(row.phone),
        lessons_done=row.done,
        lessons_total=lessons_total,
        started=row.touched is not None or row.attempts > 0,
        completed=bool(lessons_total) and row.done == lessons_total,
        attempts=row.attempts,
        best_score=row.best_score,
        passed=row.passes > 0 if row.graded else None,
        last_active=max(touched, default=None),
    )


def _lesson_rows(scope: ReportScope) -> list[LessonRow]:
    version = scope.course.current_version
    assert version is not None  # noqa: S101 - a scope's course has a version
    counts = report_queries.lesson_counts(scope.windows, scope.course.key)
    medians = report_queries.median_seconds(scope.windows, scope.course.key)
    return [
        LessonRow(
            key=lesson.key,
            title=dict(lesson.title),
            started=counts.get(lesson.key, (0, 0))[0],
            completed=counts.get(lesson.key, (0, 0))[1],
            median_seconds=medians.get(lesson.key),
        )
        for lesson in version.lessons
    ]


def build_report(scope: ReportScope, page: int | None) -> CourseReport:
    """One page of a report (every learner with ``page`` None): a fixed number of
    statements, whatever the number of learners and attempts."""
    allow_report_memory()
    course, windows, keys = scope.course, scope.windows, scope.lesson_keys
    enrolled, started, completed, graded, passed = report_queries.summary(windows, course.key, keys)
    pages = max(1, -(-enrolled // PAGE_SIZE))
    current = 1 if page is None else min(max(page, 1), pages)
    found = report_queries.learner_page(
        windows,
        course.key,
        keys,
        offset=(current - 1) * PAGE_SIZE,
        limit=None if page is None else PAGE_SIZE,
    )
    items = count_items(windows, course.key)
    return CourseReport(
        course=course,
        cohort=scope.cohort,
        enrolled=enrolled,
        started=started,
        completed=completed,
        graded=graded,
        passed=passed,
        lessons=_lesson_rows(scope),
        learners=[_learner_row(row, len(keys)) for row in found],
        page=current,
        pages=pages,
        items=items.stats,
        item_prompts={key: spec.get("prompt") or {} for key, spec in items.latest_specs.items()},
        attempts=items.attempts,
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_text(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()


def report_csv(scope: ReportScope, table: str, locale: str) -> Iterator[str]:
    """One table of a report as CSV text in pieces, in the user's language, every cell
    safe to open in a spreadsheet; learners are told apart by a masked mobile number.

    An unknown table is refused at once, before anything is sent; the learners
    come from the database a batch at a time while the response goes out."""
    if table == "learners":
        # Words now, in the request's language; plain values only: the rows are
        # read after the view has returned, while the response goes out.
        header = [
            _("Learner"),
            _("Mobile (masked)"),
            _("Lessons done"),
            _("Lessons in the course"),
            _("Started"),
            _("Finished"),
            _("Quiz attempts"),
            _("Best score, percent"),
            _("Passed"),
            _("Last active"),
        ]
        words = (_("yes"), _("no"))
        return _learners_csv(scope.windows, scope.course.key, scope.lesson_keys, header, words)
    if table == "lessons":
        header = [
            _("Lesson id"),
            _("Title"),
            _("Started"),
            _("Finished"),
            _("Median time (seconds)"),
        ]
        rows = [
            (
                lesson.key,
                localised(lesson.title, locale),
                lesson.started,
                lesson.completed,
                lesson.median_seconds if lesson.median_seconds is not None else "",
            )
            for lesson in _lesson_rows(scope)
        ]
        return iter([_csv_text([header, *rows])])
    if table == "items":
        items = count_items(scope.windows, scope.course.key)
        titles = {
            key: localised(spec.get("prompt") or {}, locale)
            for key, spec in items.latest_specs.items()
        }
        return iter([item_stats_csv(items.stats, titles)])
    raise StudioError(_l("This page does not exist."), 404)


def _learners_csv(
    windows: Subquery,
    course_key: str,
    lesson_keys: tuple[str, ...],
    header: list[str],
    words: tuple[str, str],
) -> Iterator[str]:
    def yes_no(value: bool | None) -> str:
        return "" if value is None else words[0] if value else words[1]

    yield _csv_text([header])
    total = len(lesson_keys)
    for batch in report_queries.learner_stream(windows, course_key, lesson_keys):
        rows = (_learner_row(found, total) for found in batch)
        yield _csv_text(
            (
                row.name,
                row.masked_phone,
                row.lessons_done,
                row.lessons_total,
                yes_no(row.started),
                yes_no(row.completed),
                row.attempts,
                "" if row.best_score is None else f"{row.best_score:.1f}",
                yes_no(row.passed),
                local_time(row.last_active),
            )
            for row in rows
        )

"""Course and cohort reports for trainers: every query of the studio's reports lives here.

Who is counted: for a cohort report, the cohort's members; for a course report,
the learners in the organisation's cohorts plus, for the organisation's own
courses, everyone who took that course. A trainer never sees a learner
outside that set.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from lms.accounts.access import can_view_cohort
from lms.accounts.models import Cohort, CohortMember, Profile, Role
from lms.assessments.item_analysis import ItemStats, analyse_items, item_stats_csv
from lms.assessments.models import Attempt, AttemptStatus
from lms.assessments.services import item_responses
from lms.courses.models import Course, LessonProgress, StepEvent
from lms.i18n import _l
from lms.state import get_session
from lms.studio.errors import StudioError
from lms.studio.scope import visible_course

__all__ = [
    "PAGE_SIZE",
    "CourseReport",
    "cohort_report",
    "course_report",
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


def _population(profile: Profile, course: Course, cohort: Cohort | None) -> Select[Any]:
    """The profile ids this report may count."""
    if cohort is not None:
        return select(CohortMember.profile_id).where(
            CohortMember.cohort_id == cohort.id, CohortMember.left_at.is_(None)
        )
    organisation_id = profile.organisation_id
    ids = select(CohortMember.profile_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
    ids = ids.where(
        Cohort.organisation_id == (organisation_id or -1), CohortMember.left_at.is_(None)
    )
    if (
        organisation_id is not None
        and not course.shipped
        and course.organisation_id == organisation_id
    ):
        took = select(LessonProgress.profile_id).where(LessonProgress.course_key == course.key)
        attempted = select(Attempt.profile_id).where(Attempt.course_key == course.key)
        ids = ids.union(took, attempted)
    return ids


def course_report(
    profile: Profile, key: str, cohort_id: int | None = None, page: int | None = 1
) -> CourseReport:
    """A course's report over the trainer's learners; ``page`` None gives every learner."""
    course = _course(profile, key)
    cohort = None
    if cohort_id is not None:
        cohort = get_session().get(Cohort, cohort_id)
        if cohort is None or cohort.organisation_id != profile.organisation_id:
            raise StudioError(_l("This cohort does not exist."), 404)
    return _report(profile, course, cohort, page)


def cohort_report(
    profile: Profile, cohort_id: int, key: str | None, page: int | None = 1
) -> CourseReport:
    """A cohort's report on one course (the first course when none is named)."""
    cohort = get_session().get(Cohort, cohort_id)
    if cohort is None or not can_view_cohort(profile, cohort):
        raise StudioError(_l("This cohort does not exist."), 404)
    if not key:
        courses = [course for course in report_courses(profile) if course.current_version]
        if not courses:
            raise StudioError(_l("This course does not exist."), 404)
        key = courses[0].key
    return _report(profile, _course(profile, key), cohort, page)


def _report(
    profile: Profile, course: Course, cohort: Cohort | None, page: int | None
) -> CourseReport:
    session = get_session()
    version = course.current_version
    assert version is not None  # noqa: S101 - _course refuses a course without a version
    population = _population(profile, course, cohort)
    learners = list(
        session.scalars(
            select(Profile)
            .where(Profile.id.in_(population), Profile.role == Role.LEARNER)
            .order_by(Profile.display_name, Profile.id)
        )
    )
    ids = [learner.id for learner in learners]
    lesson_keys = [lesson.key for lesson in version.lessons]

    progress = list(
        session.scalars(
            select(LessonProgress).where(
                LessonProgress.course_key == course.key, LessonProgress.profile_id.in_(ids)
            )
        )
    )
    done: dict[int, set[str]] = {}
    touched: dict[int, datetime] = {}
    for row in progress:
        if row.completed_at is not None and row.lesson_key in lesson_keys:
            done.setdefault(row.profile_id, set()).add(row.lesson_key)
        last = touched.get(row.profile_id)
        if last is None or row.updated_at > last:
            touched[row.profile_id] = row.updated_at

    attempts = list(
        session.scalars(
            select(Attempt)
            .where(Attempt.course_key == course.key, Attempt.profile_id.in_(ids))
            .options(selectinload(Attempt.questions))
            .order_by(Attempt.id)
        )
    )
    by_learner: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_learner.setdefault(attempt.profile_id, []).append(attempt)

    seconds = session.execute(
        select(StepEvent.lesson_key, StepEvent.profile_id, func.sum(StepEvent.active_seconds))
        .where(StepEvent.course_key == course.key, StepEvent.profile_id.in_(ids))
        .group_by(StepEvent.lesson_key, StepEvent.profile_id)
    ).all()
    times: dict[str, list[int]] = {}
    for lesson_key, _profile_id, total in seconds:
        if total:
            times.setdefault(lesson_key, []).append(int(total))

    rows: list[LearnerRow] = []
    for learner in learners:
        mine = by_learner.get(learner.id, [])
        graded = [a for a in mine if a.status == AttemptStatus.GRADED]
        scores = [a.score_percent for a in graded if a.score_percent is not None]
        finished = len(done.get(learner.id, set()))
        rows.append(
            LearnerRow(
                profile_id=learner.id,
                name=learner.display_name,
                lessons_done=finished,
                lessons_total=len(lesson_keys),
                started=learner.id in touched or bool(mine),
                completed=bool(lesson_keys) and finished == len(lesson_keys),
                attempts=len(mine),
                best_score=max(scores) if scores else None,
                passed=any(a.passed for a in graded) if graded else None,
                last_active=max(
                    ([touched[learner.id]] if learner.id in touched else [])
                    + [a.graded_at or a.started_at for a in mine],
                    default=None,
                ),
            )
        )

    lessons = []
    for lesson in version.lessons:
        started = {row.profile_id for row in progress if row.lesson_key == lesson.key}
        finished = {
            row.profile_id
            for row in progress
            if row.lesson_key == lesson.key and row.completed_at is not None
        }
        spent = times.get(lesson.key)
        lessons.append(
            LessonRow(
                key=lesson.key,
                title=dict(lesson.title),
                started=len(started),
                completed=len(finished),
                median_seconds=int(statistics.median(spent)) if spent else None,
            )
        )

    graded_attempts = [a for a in attempts if a.status == AttemptStatus.GRADED]
    prompts: dict[str, dict[str, str]] = {}
    for attempt in graded_attempts:
        for question in attempt.questions:
            prompts[question.question_key] = question.spec.get("prompt") or {}

    total = len(rows)
    pages = max(1, -(-total // PAGE_SIZE))
    shown = rows
    current = 1
    if page is not None:
        current = min(max(page, 1), pages)
        shown = rows[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]
    return CourseReport(
        course=course,
        cohort=cohort,
        enrolled=total,
        started=sum(1 for row in rows if row.started),
        completed=sum(1 for row in rows if row.completed),
        graded=sum(1 for row in rows if row.passed is not None),
        passed=sum(1 for row in rows if row.passed),
        lessons=lessons,
        learners=shown,
        page=current,
        pages=pages,
        items=analyse_items(item_responses(graded_attempts)),
        item_prompts=prompts,
        attempts=len(graded_attempts),
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _en(texts: dict[str, str]) -> str:
    return texts.get("zh_CN") or texts.get("en") or ""


def report_csv(report: CourseReport, table: str) -> str:
    """One table of a report as CSV, with every cell safe to open in a spreadsheet."""
    if table == "items":
        titles = {key: _en(prompt) for key, prompt in report.item_prompts.items()}
        return item_stats_csv(report.items, titles)
    out = io.StringIO()
    writer = csv.writer(out)
    if table == "learners":
        writer.writerow(
            [
                "learner",
                "lessons_done",
                "lessons_total",
                "started",
                "completed",
                "attempts",
                "best_score",
                "passed",
                "last_active",
            ]
        )
        for row in report.learners:
            writer.writerow(
                [
                    _cell(value)
                    for value in (
                        row.name,
                        row.lessons_done,
                        row.lessons_total,
                        "yes" if row.started else "no",
                        "yes" if row.completed else "no",
                        row.attempts,
                        "" if row.best_score is None else f"{row.best_score:.1f}",
                        "" if row.passed is None else ("yes" if row.passed else "no"),
                        row.last_active.isoformat() if row.last_active else "",
                    )
                ]
            )
    elif table == "lessons":
        writer.writerow(["lesson_id", "title", "started", "completed", "median_seconds"])
        for lesson in report.lessons:
            writer.writerow(
                [
                    _cell(value)
                    for value in (
                        lesson.key,
                        _en(lesson.title),
                        lesson.started,
                        lesson.completed,
                        lesson.median_seconds if lesson.median_seconds is not None else "",
                    )
                ]
            )
    else:
        raise StudioError(_l("This page does not exist."), 404)
    return out.getvalue()

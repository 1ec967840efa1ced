"""Course and cohort reports for trainers: every query of the studio's reports lives here.

Who is counted: for a cohort report, the cohort's members; for a course report,
the learners in the organisation's cohorts. Only learners who accepted an
invitation and are still in, and only what they did since joining: a trainer
never sees a learner outside that set, nor what they did before or after.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, Subquery, cast, func, or_, select
from sqlalchemy.orm import selectinload

from lms.accounts.access import can_view_cohort, membership_windows
from lms.accounts.models import Cohort, Profile, Role, User
from lms.accounts.services import mask_phone
from lms.assessments.item_analysis import ItemStats, analyse_items, item_stats_csv
from lms.assessments.models import Attempt, AttemptStatus
from lms.assessments.services import item_responses
from lms.courses.models import Course, LessonProgress, StepEvent
from lms.i18n import _, _l, localised
from lms.state import get_session
from lms.studio.errors import StudioError
from lms.studio.scope import visible_course
from lms.web import local_time

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
    windows = _population(profile, cohort)
    found = session.execute(
        select(Profile, User.phone)
        .join(windows, windows.c.profile_id == Profile.id)
        # user_ref is a host's id in plugin mode, not always a number: compare as text.
        .outerjoin(User, cast(User.id, String(64)) == Profile.user_ref)
        .where(Profile.role == Role.LEARNER)
        .order_by(Profile.display_name, Profile.id)
    ).all()
    learners = [learner for learner, _phone in found]
    phones = {learner.id: mask_phone(phone) for learner, phone in found}
    lesson_keys = [lesson.key for lesson in version.lessons]

    progress = list(
        session.scalars(
            select(LessonProgress)
            .join(windows, windows.c.profile_id == LessonProgress.profile_id)
            .where(
                LessonProgress.course_key == course.key,
                LessonProgress.updated_at >= windows.c.since,
            )
        )
    )
    since = dict(session.execute(select(windows.c.profile_id, windows.c.since)).all())
    done: dict[int, set[str]] = {}
    touched: dict[int, datetime] = {}
    for row in progress:
        if (
            row.completed_at is not None
            and row.completed_at >= since[row.profile_id]
            and row.lesson_key in lesson_keys
        ):
            done.setdefault(row.profile_id, set()).add(row.lesson_key)
        last = touched.get(row.profile_id)
        if last is None or row.updated_at > last:
            touched[row.profile_id] = row.updated_at

    attempts = list(
        session.scalars(
            select(Attempt)
            .join(windows, windows.c.profile_id == Attempt.profile_id)
            .where(Attempt.course_key == course.key, Attempt.started_at >= windows.c.since)
            .options(selectinload(Attempt.questions))
            .order_by(Attempt.id)
        )
    )
    by_learner: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_learner.setdefault(attempt.profile_id, []).append(attempt)

    seconds = session.execute(
        select(StepEvent.lesson_key, StepEvent.profile_id, func.sum(StepEvent.active_seconds))
        .join(windows, windows.c.profile_id == StepEvent.profile_id)
        .where(StepEvent.course_key == course.key, StepEvent.occurred_at >= windows.c.since)
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
                masked_phone=phones[learner.id],
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


def report_csv(report: CourseReport, table: str, locale: str) -> str:
    """One table of a report as CSV in the user's language, every cell safe to open
    in a spreadsheet; learners are told apart by a masked mobile number."""
    if table == "items":
        titles = {key: localised(prompt, locale) for key, prompt in report.item_prompts.items()}
        return item_stats_csv(report.items, titles)
    out = io.StringIO()
    writer = csv.writer(out)

    def yes_no(value: bool | None) -> str:
        return "" if value is None else (_("yes") if value else _("no"))

    if table == "learners":
        writer.writerow(
            [
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
        )
        for row in report.learners:
            writer.writerow(
                [
                    _cell(value)
                    for value in (
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
                ]
            )
    elif table == "lessons":
        writer.writerow(
            [_("Lesson id"), _("Title"), _("Started"), _("Finished"), _("Median time (seconds)")]
        )
        for lesson in report.lessons:
            writer.writerow(
                [
                    _cell(value)
                    for value in (
                        lesson.key,
                        localised(lesson.title, locale),
                        lesson.started,
                        lesson.completed,
                        lesson.median_seconds if lesson.median_seconds is not None else "",
                    )
                ]
            )
    else:
        raise StudioError(_l("This page does not exist."), 404)
    return out.getvalue()

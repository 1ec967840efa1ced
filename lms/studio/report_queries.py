"""The SQL behind the studio's course and cohort reports: every figure is an aggregate.

Each function takes ``windows`` (``membership_windows``: who is counted and
since when) and returns rows, so a report page runs the same few statements
however many learners and attempts it covers, and the learners table is paged
by the database. Who counts is the rule of ``reports``: only what a learner
did since joining, while still a member.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    Subquery,
    and_,
    case,
    cast,
    distinct,
    false,
    func,
    or_,
    select,
)

from lms.accounts.models import Profile, Role, User
from lms.assessments.models import Attempt, AttemptStatus
from lms.courses.models import LessonProgress, StepEvent
from lms.state import allow_report_memory, get_session

__all__ = [
    "CSV_BATCH",
    "learner_page",
    "learner_stream",
    "lesson_counts",
    "median_seconds",
    "summary",
]

#: Learners fetched from the database at a time while a CSV streams out.
CSV_BATCH = 500


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _progress(windows: Subquery, course_key: str, lesson_keys: Sequence[str]) -> Subquery:
    """Per learner: lessons of the current version finished since joining, last touch."""
    done = and_(
        LessonProgress.completed_at.is_not(None),
        LessonProgress.completed_at >= windows.c.since,
        LessonProgress.lesson_key.in_(lesson_keys),
    )
    return (
        select(
            LessonProgress.profile_id.label("profile_id"),
            func.count(distinct(case((done, LessonProgress.lesson_key)))).label("done"),
            func.max(LessonProgress.updated_at).label("touched"),
        )
        .join(windows, windows.c.profile_id == LessonProgress.profile_id)
        .where(
            LessonProgress.course_key == course_key,
            LessonProgress.updated_at >= windows.c.since,
        )
        .group_by(LessonProgress.profile_id)
        .subquery("progress")
    )


def _attempts(windows: Subquery, course_key: str) -> Subquery:
    """Per learner: attempts started since joining, the best graded score, passes."""
    graded = Attempt.status == AttemptStatus.GRADED
    return (
        select(
            Attempt.profile_id.label("profile_id"),
            func.count().label("attempts"),
            func.max(case((graded, Attempt.score_percent))).label("best_score"),
            _count_where(graded).label("graded"),
            _count_where(and_(graded, Attempt.passed.is_(True))).label("passes"),
            func.max(func.coalesce(Attempt.graded_at, Attempt.started_at)).label("last_attempt"),
        )
        .join(windows, windows.c.profile_id == Attempt.profile_id)
        .where(Attempt.course_key == course_key, Attempt.started_at >= windows.c.since)
        .group_by(Attempt.profile_id)
        .subquery("attempts")
    )


def _learners(
    windows: Subquery, course_key: str, lesson_keys: Sequence[str], *, phones: bool
) -> Select[Any]:
    progress = _progress(windows, course_key, lesson_keys)
    attempts = _attempts(windows, course_key)
    columns: list[Any] = [
        Profile.id.label("profile_id"),
        Profile.display_name.label("name"),
        func.coalesce(progress.c.done, 0).label("done"),
        progress.c.touched,
        func.coalesce(attempts.c.attempts, 0).label("attempts"),
        attempts.c.best_score,
        func.coalesce(attempts.c.graded, 0).label("graded"),
        func.coalesce(attempts.c.passes, 0).label("passes"),
        attempts.c.last_attempt,
    ]
    if phones:
        columns.append(User.phone)
    query = (
        select(*columns)
        .select_from(Profile)
        .join(windows, windows.c.profile_id == Profile.id)
        .outerjoin(progress, progress.c.profile_id == Profile.id)
        .outerjoin(attempts, attempts.c.profile_id == Profile.id)
        .where(Profile.role == Role.LEARNER)
    )
    if phones:
        # user_ref is a host's id in plugin mode, not always a number: compare as text.
        query = query.outerjoin(User, cast(User.id, String(64)) == Profile.user_ref)
    return query


def summary(
    windows: Subquery, course_key: str, lesson_keys: Sequence[str]
) -> tuple[int, int, int, int, int]:
    """Learners enrolled, started, completed, with a graded attempt, passed: one statement."""
    learners = _learners(windows, course_key, lesson_keys, phones=False).subquery("learners")
    started = or_(learners.c.touched.is_not(None), learners.c.attempts > 0)
    completed = learners.c.done == len(lesson_keys) if lesson_keys else false()
    enrolled, began, finished, graded, passed = (
        get_session()
        .execute(
            select(
                func.count(),
                _count_where(started),
                _count_where(completed),
                _count_where(learners.c.graded > 0),
                _count_where(learners.c.passes > 0),
            )
        )
        .one()
    )
    # SUM over no rows is NULL.
    return int(enrolled), int(began or 0), int(finished or 0), int(graded or 0), int(passed or 0)


def _in_report_order(query: Select[Any]) -> Select[Any]:
    return query.order_by(Profile.display_name, Profile.id)


def learner_page(
    windows: Subquery,
    course_key: str,
    lesson_keys: Sequence[str],
    offset: int,
    limit: int | None,
) -> list[Row[Any]]:
    """One page of the learners table (every learner with ``limit`` None), by name."""
    allow_report_memory()
    query = _in_report_order(_learners(windows, course_key, lesson_keys, phones=True))
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return list(get_session().execute(query))


def learner_stream(
    windows: Subquery, course_key: str, lesson_keys: Sequence[str]
) -> Iterator[list[Row[Any]]]:
    """Every learner of the table, by name, in batches fetched as they are read."""
    allow_report_memory()
    query = _in_report_order(_learners(windows, course_key, lesson_keys, phones=True))
    result = get_session().execute(query.execution_options(yield_per=CSV_BATCH))
    yield from result.partitions()


def lesson_counts(windows: Subquery, course_key: str) -> dict[str, tuple[int, int]]:
    """Per lesson key: members who opened it since joining, and those of them who finished it."""
    rows = get_session().execute(
        select(
            LessonProgress.lesson_key,
            func.count(distinct(LessonProgress.profile_id)),
            func.count(
                distinct(
                    case((LessonProgress.completed_at.is_not(None), LessonProgress.profile_id))
                )
            ),
        )
        .join(windows, windows.c.profile_id == LessonProgress.profile_id)
        .where(
            LessonProgress.course_key == course_key,
            LessonProgress.updated_at >= windows.c.since,
        )
        .group_by(LessonProgress.lesson_key)
    )
    return {key: (int(started), int(finished)) for key, started, finished in rows}


def median_seconds(windows: Subquery, course_key: str) -> dict[str, int]:
    """Per lesson key: the median over members of their active seconds in it (whole seconds)."""
    spent = (
        select(
            StepEvent.lesson_key.label("lesson_key"),
            func.sum(StepEvent.active_seconds).label("total"),
        )
        .join(windows, windows.c.profile_id == StepEvent.profile_id)
        .where(StepEvent.course_key == course_key, StepEvent.occurred_at >= windows.c.since)
        .group_by(StepEvent.lesson_key, StepEvent.profile_id)
        # A learner with no active time at all in a lesson does not pull its median down.
        .having(func.sum(StepEvent.active_seconds) != 0)
        .subquery("spent")
    )
    session = get_session()
    if session.get_bind().dialect.name == "postgresql":
        query = select(
            spent.c.lesson_key, func.percentile_cont(0.5).within_group(spent.c.total)
        ).group_by(spent.c.lesson_key)
    else:
        # SQLite has no percentile_cont: the middle row, or the mean of the two
        # middle rows, of each lesson's totals in order.
        ranked = select(
            spent.c.lesson_key,
            spent.c.total,
            func.row_number()
            .over(partition_by=spent.c.lesson_key, order_by=spent.c.total)
            .label("position"),
            func.count().over(partition_by=spent.c.lesson_key).label("learners"),
        ).subquery("ranked")
        middle = or_(
            ranked.c.position == (ranked.c.learners + 1) // 2,
            ranked.c.position == (ranked.c.learners + 2) // 2,
        )
        query = (
            select(ranked.c.lesson_key, func.avg(ranked.c.total))
            .where(middle)
            .group_by(ranked.c.lesson_key)
        )
    return {key: int(value) for key, value in session.execute(query)}

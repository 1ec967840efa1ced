"""A learner's progress through lessons: steps done, answers, active time, resume.

Everything a learner does in a lesson arrives as one *event* with a key the
client made before sending. Recording an event is idempotent: the same key
twice is one record, so a retried form, a lost response or an offline queue
replayed hours later never counts twice.

Active time is measured on the server from the learner's own events: the gap
between two consecutive events in the same lesson is credited to the later
event's step, unless the gap is longer than ``IDLE_LIMIT`` (the phone went
back into a pocket), which credits nothing. An event's time is the client's
clock (offline events arrive late), bounded by what the server knows: never
later than its clock, never before the learner joined, never before their
previous event, and never before the server last heard from them (an offline
event happened after the phone lost its connection). A lesson is credited at
most ``LESSON_TIME_CEILING`` times its planned minutes. So the hours can never
exceed the real time that passed, whatever a client claims.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Integer, and_, bindparam, func, select, union
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.assessments.grading import InvalidAnswer, grade
from lms.courses.client_keys import valid_client_key
from lms.courses.models import (
    Course,
    CourseVersion,
    LessonProgress,
    LessonVersion,
    StepEvent,
    StepEventKind,
)
from lms.courses.review import queue_missed_question
from lms.db import utcnow
from lms.i18n import _l
from lms.signals import lesson_completed, lesson_experienced
from lms.state import get_session

STEPS: tuple[str, ...] = ("situation", "decision", "outcome", "rule", "check")
READING_STEPS = frozenset({"situation", "outcome", "rule"})
#: A gap between two events longer than this is idle time and is not counted.
IDLE_LIMIT = timedelta(minutes=3)
#: How far back an offline event's own clock is believed.
OFFLINE_HORIZON = timedelta(days=30)
#: A lesson counts at most this many times its planned minutes of training time.
LESSON_TIME_CEILING = 3


class ProgressError(Exception):
    """An event the rules refuse; ``message`` is shown to the learner."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class EventInput:
    """One learner event as parsed from a form or the sync queue."""

    key: str
    step: str
    kind: StepEventKind
    choice: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


@dataclass(frozen=True)
class EventResult:
    """What recording an event did."""

    duplicate: bool
    step: str
    completed: bool


@dataclass(frozen=True)
class LessonState:
    """A learner's state in one lesson, as the course page shows it."""

    step: str | None
    done: bool
    seconds: int

    @property
    def started(self) -> bool:
        return self.step is not None

    @property
    def opening_step(self) -> str:
        """Where the lesson opens: the step left off at, or the start once done."""
        return self.step if self.step in STEPS and not self.done else STEPS[0]


@dataclass(frozen=True)
class CourseProgress:
    """A learner's progress in one course."""

    lessons_done: int
    lessons_total: int
    minutes_left: int
    seconds: int

    @property
    def percent(self) -> int:
        if not self.lessons_total:
            return 0
        return round(100 * self.lessons_done / self.lessons_total)


def next_step(step: str) -> str | None:
    """The step after ``step``, or None after the last one."""
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def _progress(profile_id: int, lesson_key: str) -> LessonProgress | None:
    return get_session().scalar(
        select(LessonProgress).where(
            LessonProgress.profile_id == profile_id, LessonProgress.lesson_key == lesson_key
        )
    )


def _progress_for_update(
    profile: Profile, course: Course, lesson: LessonVersion, now: datetime
) -> LessonProgress:
    session = get_session()
    progress = _progress(profile.id, lesson.key)
    if progress is not None:
        return progress
    progress = LessonProgress(
        profile_id=profile.id,
        course_key=course.key,
        lesson_key=lesson.key,
        lesson_version_id=lesson.id,
        step=STEPS[0],
        steps_done=[],
        started_at=now,
        updated_at=now,
    )
    try:
        # Added inside the savepoint, so a failed insert leaves with it; added
        # before, it would stay pending and the next query's autoflush would
        # insert it again and fail the whole transaction (PostgreSQL, two
        # first steps of one lesson at once).
        with session.begin_nested():
            session.add(progress)
            session.flush()
    except IntegrityError:
        # The same learner on two devices at once: the other request made it.
        progress = _progress(profile.id, lesson.key)
        assert progress is not None  # noqa: S101 - the constraint just proved it exists
    return progress


def _last_event(profile_id: int) -> StepEvent | None:
    return get_session().scalar(
        select(StepEvent)
        .where(StepEvent.profile_id == profile_id)
        .order_by(StepEvent.occurred_at.desc(), StepEvent.id.desc())
        .limit(1)
    )


def _event_time(
    profile: Profile, previous: StepEvent | None, claimed: datetime | None, now: datetime
) -> datetime:
    """When an event happened: the client's clock, within what the server knows
    (see the module's docstring)."""
    floor = max(profile.created_at, now - OFFLINE_HORIZON)
    if previous is not None:
        floor = max(floor, previous.occurred_at)
        if previous.recorded_at < now:
            # Sent in an earlier request: the server heard from the learner then.
            floor = max(floor, previous.recorded_at)
    return now if claimed is None else min(max(claimed, floor), now)


def _credited_seconds(
    profile: Profile, previous: StepEvent | None, lesson: LessonVersion, at: datetime
) -> int:
    if previous is None or previous.lesson_key != lesson.key:
        # Only time while this lesson is open counts.
        return 0
    gap = at - previous.occurred_at
    if gap > IDLE_LIMIT:
        return 0
    credited = int(gap.total_seconds())
    if not credited:
        return 0
    so_far = get_session().scalar(
        select(func.coalesce(func.sum(StepEvent.active_seconds), 0)).where(
            StepEvent.profile_id == profile.id, StepEvent.lesson_key == lesson.key
        )
    )
    ceiling = LESSON_TIME_CEILING * max(1, lesson.minutes) * 60
    return max(0, min(credited, ceiling - int(so_far or 0)))


def _replayed(profile_id: int, lesson: LessonVersion, first: StepEvent) -> EventResult:
    """The result of an event sent again: what was true when it was first recorded,
    so a replay hears what the first copy heard about the lesson's completion."""
    progress = _progress(profile_id, lesson.key)
    completed_at = progress.completed_at if progress else None
    return EventResult(
        duplicate=True,
        step=progress.step if progress else STEPS[0],
        completed=completed_at is not None and completed_at <= first.recorded_at,
    )


def _duplicate(profile_id: int, key: str) -> StepEvent | None:
    return get_session().scalar(
        select(StepEvent)
        .where(StepEvent.profile_id == profile_id, StepEvent.client_key == key)
        .limit(1)
    )


def _graded_answers(
    lesson: LessonVersion, answers: dict[str, Any]
) -> list[tuple[dict[str, Any], Any, Any]]:
    checks = {question["id"]: question for question in lesson.checks}
    unknown = [key for key in answers if key not in checks]
    if unknown:
        raise ProgressError(_l("That question is not part of this lesson."))
    graded = []
    for question in lesson.checks:
        if question["id"] not in answers:
            continue
        try:
            score = grade(question, answers[question["id"]])
        except InvalidAnswer:
            raise ProgressError(_l("That answer does not belong to this question.")) from None
        graded.append((question, answers[question["id"]], score))
    if len(graded) != len(lesson.checks):
        raise ProgressError(_l("Answer every question, then check."))
    return graded


def record_event(
    profile: Profile,
    course: Course,
    lesson: LessonVersion,
    event: EventInput,
    now: datetime | None = None,
) -> EventResult:
    """Record one learner event exactly once and move the learner's progress on.

    Raises ``ProgressError`` for an event that could not come from the page
    (an unknown step, option or question). Sends ``lesson_completed`` the first
    time every step of the lesson is done; the caller commits.
    """
    now = now or utcnow()
    if not valid_client_key(event.key):
        raise ProgressError(_l("This answer could not be saved. Reload the page and try again."))
    if event.step not in STEPS:
        raise ProgressError(_l("This step does not exist."))
    existing = _duplicate(profile.id, event.key)
    if existing is not None:
        return _replayed(profile.id, lesson, existing)
    rows = _rows_for(lesson, event)
    session = get_session()
    previous = _last_event(profile.id)
    at = _event_time(profile, previous, event.at, now)
    credited = _credited_seconds(profile, previous, lesson, at)
    try:
        # The rows are added inside the savepoint so that, if it fails, they
        # leave the session with it; added before it, they would stay pending
        # and the next query's autoflush would insert them again, failing the
        # whole transaction (PostgreSQL, the same key arriving twice at once).
        with session.begin_nested():
            for index, (suffix, kind, question_key, answer, correct, points) in enumerate(rows):
                session.add(
                    StepEvent(
                        profile_id=profile.id,
                        client_key=event.key + suffix,
                        course_key=course.key,
                        lesson_key=lesson.key,
                        lesson_version_id=lesson.id,
                        step=event.step,
                        kind=kind,
                        question_key=question_key,
                        answer=answer,
                        correct=correct,
                        points=points,
                        occurred_at=at,
                        recorded_at=now,
                        active_seconds=credited if index == 0 else 0,
                    )
                )
            session.flush()
    except IntegrityError:
        # The same key arrived twice at the same moment: the other one counts,
        # and it has committed (that is what made this insert fail).
        existing = _duplicate(profile.id, event.key)
        if existing is None:
            raise
        return _replayed(profile.id, lesson, existing)
    if event.kind == StepEventKind.VIEW:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        lesson_experienced.send(app, profile=profile, lesson_version=lesson, step=event.step)
        progress = _progress(profile.id, lesson.key)
        return EventResult(
            False,
            progress.step if progress else event.step,
            bool(progress and progress.completed_at),
        )
    return _advance(profile, course, lesson, event, now, rows)


def _rows_for(
    lesson: LessonVersion, event: EventInput
) -> list[tuple[str, StepEventKind, str | None, dict[str, Any] | None, bool | None, float | None]]:
    """The event rows to store: one per answered question, else one."""
    if event.kind == StepEventKind.VIEW:
        return [("", event.kind, None, None, None, None)]
    if event.kind == StepEventKind.DONE:
        if event.step not in READING_STEPS:
            raise ProgressError(_l("This step is finished by answering it."))
        return [("", event.kind, None, None, None, None)]
    if event.kind == StepEventKind.DECISION:
        if event.step != "decision":
            raise ProgressError(_l("This step does not exist."))
        options = {option["id"]: option for option in lesson.decision["options"]}
        if event.choice not in options:
            raise ProgressError(_l("That option is not part of this decision."))
        best = bool(options[event.choice].get("best"))
        return [("", event.kind, "decision", {"value": event.choice}, best, None)]
    if event.kind == StepEventKind.ANSWER:
        if event.step != "check":
            raise ProgressError(_l("This step does not exist."))
        rows = []
        for position, (question, raw, score) in enumerate(_graded_answers(lesson, event.answers)):
            # One row per question, each with its own derived key, so the
            # submission stays idempotent as a whole.
            suffix = "" if position == 0 else f".{position}"
            rows.append(
                (suffix, event.kind, question["id"], {"value": raw}, score.correct, score.points)
            )
        return rows
    raise ProgressError(_l("This step does not exist."))


def _advance(
    profile: Profile,
    course: Course,
    lesson: LessonVersion,
    event: EventInput,
    now: datetime,
    rows: list[Any],
) -> EventResult:
    progress = _progress_for_update(profile, course, lesson, now)
    done = set(progress.steps_done or [])
    done.add(event.step)
    # A fresh list: JSON columns only notice a new value, not a changed one.
    progress.steps_done = [step for step in STEPS if step in done]
    progress.lesson_version_id = lesson.id
    progress.course_key = course.key
    progress.updated_at = now
    progress.step = next((step for step in STEPS if step not in done), STEPS[-1])
    completed_now = progress.completed_at is None and done >= set(STEPS)
    if completed_now:
        progress.completed_at = now
    get_session().flush()
    if event.kind == StepEventKind.ANSWER:
        for _suffix, _kind, question_key, _answer, correct, _points in rows:
            if not correct:
                spec = next(q for q in lesson.checks if q["id"] == question_key)
                queue_missed_question(profile.id, spec, "lesson", lesson.key, now=now)
    if completed_now:
        lesson_completed.send(
            current_app._get_current_object(), profile=profile, lesson_version=lesson
        )
    return EventResult(False, progress.step, progress.completed_at is not None)


def lesson_progress(profile_id: int, lesson_key: str) -> LessonProgress | None:
    """The learner's progress record in one lesson, if they started it."""
    return _progress(profile_id, lesson_key)


def latest_decision(profile_id: int, lesson_key: str) -> str | None:
    """The option the learner last chose in a lesson's decision."""
    event = get_session().scalar(
        select(StepEvent)
        .where(
            StepEvent.profile_id == profile_id,
            StepEvent.lesson_key == lesson_key,
            StepEvent.kind == StepEventKind.DECISION,
        )
        .order_by(StepEvent.occurred_at.desc(), StepEvent.id.desc())
        .limit(1)
    )
    return event.answer["value"] if event is not None and event.answer else None


def latest_answers(profile_id: int, lesson_key: str) -> dict[str, StepEvent]:
    """The learner's latest answer to each check question of a lesson."""
    events = get_session().scalars(
        select(StepEvent)
        .where(
            StepEvent.profile_id == profile_id,
            StepEvent.lesson_key == lesson_key,
            StepEvent.kind == StepEventKind.ANSWER,
        )
        .order_by(StepEvent.occurred_at, StepEvent.id)
    )
    return {event.question_key: event for event in events if event.question_key}


def completed_lesson_keys(profile_id: int) -> set[str]:
    """Stable keys of every lesson the learner has finished."""
    keys = get_session().scalars(
        select(LessonProgress.lesson_key).where(
            LessonProgress.profile_id == profile_id, LessonProgress.completed_at.is_not(None)
        )
    )
    return set(keys)


def training_seconds(profile_id: int, lesson_keys: Iterable[str] | None = None) -> int:
    """Active seconds the learner spent in lessons (all, or only these lessons)."""
    query = select(func.coalesce(func.sum(StepEvent.active_seconds), 0)).where(
        StepEvent.profile_id == profile_id
    )
    if lesson_keys is not None:
        keys = list(lesson_keys)
        if not keys:
            return 0
        query = query.where(StepEvent.lesson_key.in_(keys))
    return int(get_session().scalar(query) or 0)


def seconds_by_step(profile_id: int, lesson_key: str) -> dict[str, int]:
    """Active seconds per step of one lesson."""
    rows = get_session().execute(
        select(StepEvent.step, func.sum(StepEvent.active_seconds))
        .where(StepEvent.profile_id == profile_id, StepEvent.lesson_key == lesson_key)
        .group_by(StepEvent.step)
    )
    return {step: int(seconds or 0) for step, seconds in rows}


@dataclass(frozen=True)
class LearnerLessons:
    """Every lesson a learner has touched: its progress record (if any) and active seconds."""

    records: dict[str, LessonProgress]
    seconds: dict[str, int]

    def state(self, lesson_key: str) -> LessonState:
        record = self.records.get(lesson_key)
        return LessonState(
            step=record.step if record else None,
            done=bool(record and record.completed_at),
            seconds=self.seconds.get(lesson_key, 0),
        )

    @property
    def total_seconds(self) -> int:
        return sum(self.seconds.values())

    @property
    def done_keys(self) -> set[str]:
        return {key for key, record in self.records.items() if record.completed_at}


def _learner_lessons_statement(only_some: bool) -> Any:
    profile_id = bindparam("profile_id", type_=Integer)
    progress = select(LessonProgress.lesson_key).where(LessonProgress.profile_id == profile_id)
    events = select(StepEvent.lesson_key).where(StepEvent.profile_id == profile_id)
    if only_some:
        keys = bindparam("keys", expanding=True)
        progress = progress.where(LessonProgress.lesson_key.in_(keys))
        events = events.where(StepEvent.lesson_key.in_(keys))
    touched = union(progress, events).subquery()
    seconds = (
        events.add_columns(func.sum(StepEvent.active_seconds).label("seconds"))
        .group_by(StepEvent.lesson_key)
        .subquery()
    )
    return (
        select(touched.c.lesson_key, LessonProgress, seconds.c.seconds)
        .outerjoin(
            LessonProgress,
            and_(
                LessonProgress.profile_id == profile_id,
                LessonProgress.lesson_key == touched.c.lesson_key,
            ),
        )
        .outerjoin(seconds, seconds.c.lesson_key == touched.c.lesson_key)
    )


#: Built once per process (all lessons, some lessons): requests only bind values.
_LEARNER_LESSONS = {only_some: _learner_lessons_statement(only_some) for only_some in (False, True)}


def learner_lessons(profile_id: int, lesson_keys: Iterable[str] | None = None) -> LearnerLessons:
    """The learner's lessons (all, or only these) in one query: progress rows and
    the active seconds of each lesson's events, joined on the lesson key."""
    params: dict[str, Any] = {"profile_id": profile_id}
    if lesson_keys is not None:
        params["keys"] = list(lesson_keys)
        if not params["keys"]:
            return LearnerLessons({}, {})
    rows = get_session().execute(_LEARNER_LESSONS[lesson_keys is not None], params)
    records: dict[str, LessonProgress] = {}
    spent: dict[str, int] = {}
    for key, record, total in rows:
        if record is not None:
            records[key] = record
        if total:
            spent[key] = int(total)
    return LearnerLessons(records, spent)


def lesson_states(
    profile_id: int, version: CourseVersion, lessons: LearnerLessons | None = None
) -> dict[str, LessonState]:
    """Each lesson of a course version: not started, at which step, or done."""
    keys = [lesson.key for lesson in version.lessons]
    found = lessons if lessons is not None else learner_lessons(profile_id, keys)
    return {key: found.state(key) for key in keys}


def course_progress(
    profile_id: int | None,
    version: CourseVersion,
    lessons: LearnerLessons | None = None,
    states: dict[str, LessonState] | None = None,
) -> CourseProgress:
    """Lessons done, minutes left and active time of a learner in one course."""
    total = len(version.lessons)
    if profile_id is None:
        return CourseProgress(0, total, version.total_minutes, 0)
    states = states if states is not None else lesson_states(profile_id, version, lessons)
    done = [lesson for lesson in version.lessons if states[lesson.key].done]
    left = sum(lesson.minutes for lesson in version.lessons if not states[lesson.key].done)
    return CourseProgress(len(done), total, left, sum(state.seconds for state in states.values()))


def minutes_of(seconds: int) -> int:
    """Whole minutes for display, rounding any started minute up."""
    return math.ceil(seconds / 60)

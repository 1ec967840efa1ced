"""A live case session: the trainer steps through a case lesson on the big screen
(situation, decision, outcome, rule, each check question) and the riders who
checked in answer the decision and the questions on their phones.

Everything lives in the database (``LiveCase``, ``LiveAnswer``), so any app
process can serve any screen or phone. Each change raises the case's
``version``; after the view commits it, ``publish`` sends the whole new state
on the case's Redis channel, where every open event stream (in every process)
picks it up. A state is never a difference: a phone that missed ten events
catches up with the next one it gets.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.access import STAFF_ROLES
from lms.accounts.models import Profile
from lms.courses.models import LessonVersion, StepEventKind
from lms.courses.progress import EventInput, ProgressError, record_event
from lms.courses.services import course_by_key, lesson_in
from lms.db import utcnow
from lms.i18n import _l, gettext_in, languages, localised
from lms.redis_client import key_prefix, redis_client
from lms.sessions.check_in import attended_ids
from lms.sessions.models import LiveAnswer, LiveCase, LiveState, TrainingSession
from lms.sessions.services import SessionError, managed_session, visible_session
from lms.state import get_session

#: Check question types a rider can answer with one tap per option.
LIVE_TYPES = ("single", "multiple", "true_false")
ACTIONS = ("reveal", "next", "end")
#: The headings of the steps, translated with ``gettext_in`` for each language.
HEADINGS = {
    "situation": "The case",
    "decision": "Your decision",
    "outcome": "What happened",
    "rule": "The rule",
    "check": "Quick check",
}
TRUE_FALSE = (("true", "True"), ("false", "False"))


@dataclass(frozen=True)
class LiveOption:
    """One option riders may pick; ``note`` is what the screen shows once revealed."""

    id: str
    text: dict[str, str]
    best: bool
    note: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LiveStep:
    """One step on the big screen: a reading step, the decision or one check."""

    kind: str
    options: tuple[LiveOption, ...] = ()
    multiple: bool = False
    question: dict[str, Any] | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.options)


def _check_step(question: dict[str, Any]) -> LiveStep:
    kind = question.get("type")
    if kind == "true_false":
        options = tuple(
            LiveOption(
                value,
                {code: gettext_in(code, label) for code in languages()},
                bool(question.get("answer")) == (value == "true"),
            )
            for value, label in TRUE_FALSE
        )
    elif kind in LIVE_TYPES:
        options = tuple(
            LiveOption(
                option["id"],
                dict(option.get("text") or {}),
                bool(option.get("correct")),
                dict(option.get("feedback") or {}),
            )
            for option in question.get("options", ())
        )
    else:
        # Matching, ordering, numbers...: shown on the screen, answered in the lesson.
        options = ()
    return LiveStep("check", options, kind == "multiple", question)


def live_steps(lesson: LessonVersion) -> list[LiveStep]:
    """The steps of a case lesson on the big screen, in order."""
    decision = LiveStep(
        "decision",
        tuple(
            LiveOption(
                option["id"],
                dict(option.get("text") or {}),
                bool(option.get("best")),
                dict(option.get("consequence") or {}),
            )
            for option in (lesson.decision or {}).get("options", ())
        ),
    )
    steps = [LiveStep("situation"), decision, LiveStep("outcome"), LiveStep("rule")]
    steps.extend(_check_step(question) for question in lesson.checks or ())
    return steps


# ------------------------------------------------------------------ queries


def live_case_of(session_id: int) -> LiveCase | None:
    """The session's live case, if the trainer started one."""
    return get_session().scalar(select(LiveCase).where(LiveCase.session_id == session_id))


def live_version(session_id: int) -> int:
    """The version of the session's live case (0 before it starts): one cheap read."""
    version = get_session().scalar(
        select(LiveCase.version).where(LiveCase.session_id == session_id)
    )
    return int(version or 0)


def live_lessons(training: TrainingSession) -> list[LessonVersion]:
    """The lessons of the session's linked course, which the trainer may run live."""
    course = course_by_key(training.course_key) if training.course_key else None
    if course is None or course.current_version is None:
        return []
    return list(course.current_version.lessons)


def _lesson(live: LiveCase) -> LessonVersion:
    lesson = get_session().get(LessonVersion, live.lesson_version_id or 0)
    if lesson is None:
        raise SessionError(409, _l("This live case's lesson is no longer published."))
    return lesson


def live_viewer(profile: Profile, session_id: int) -> tuple[TrainingSession, bool]:
    """The session and whether the person runs it: its organisation's staff, or a
    rider who checked in to it; anyone else is refused."""
    if profile.has_role(*STAFF_ROLES):
        return managed_session(profile, session_id), True
    training = visible_session(profile, session_id)
    if profile.id not in attended_ids(training):
        raise SessionError(
            403,
            _l("Check in to the session first: scan the QR code on the trainer's screen."),
        )
    return training, False


def _counts(live: LiveCase, step_no: int) -> tuple[Counter[str], int]:
    rows = get_session().scalars(
        select(LiveAnswer.options).where(
            LiveAnswer.live_case_id == live.id, LiveAnswer.step_no == step_no
        )
    )
    counts: Counter[str] = Counter()
    riders = 0
    for options in rows:
        riders += 1
        counts.update(set(options or ()))
    return counts, riders


def _state_in(
    live: LiveCase, lesson: LessonVersion, steps: list[LiveStep], locale: str, counted: Any
) -> dict[str, Any]:
    counts, riders = counted
    step = steps[live.step_no]
    text = ""
    html = ""
    explanation = ""
    if step.kind == "situation":
        html = localised(lesson.situation_html, locale)
    elif step.kind == "outcome":
        html = localised(lesson.outcome_html, locale)
    elif step.kind == "rule":
        html = localised(lesson.rule_html, locale)
        text = localised(lesson.rule_source, locale)
    elif step.kind == "decision":
        text = localised((lesson.decision or {}).get("prompt"), locale)
    elif step.question is not None:
        text = localised(step.question.get("prompt"), locale)
        if live.revealed:
            explanation = localised(step.question.get("explanation"), locale)
    options = []
    for option in step.options:
        shown: dict[str, Any] = {
            "id": option.id,
            "text": localised(option.text, locale),
            "count": counts.get(option.id, 0),
        }
        if live.revealed:
            shown["best"] = option.best
            shown["note"] = localised(option.note, locale)
        options.append(shown)
    return {
        "version": live.version,
        "state": live.state.value,
        "lesson": localised(lesson.title, locale),
        "step": live.step_no,
        "steps": len(steps),
        "kind": step.kind,
        "heading": gettext_in(locale, HEADINGS[step.kind]),
        "html": html,
        "text": text,
        "explanation": explanation,
        "answerable": step.answerable and not live.revealed and live.state == LiveState.OPEN,
        "multiple": step.multiple,
        "revealed": live.revealed,
        "options": options,
        "answers": riders,
    }


def _waiting(locale: str) -> dict[str, Any]:
    return {
        "version": 0,
        "state": "waiting",
        "heading": gettext_in(locale, "The trainer has not started the live case yet."),
        "options": [],
    }


def shared_states(session_id: int) -> dict[str, dict[str, Any]]:
    """The live case's whole state in every language, with the counts: what is
    published, and what each stream cuts down for its viewer."""
    live = live_case_of(session_id)
    if live is None:
        return {code: _waiting(code) for code in languages()}
    lesson = _lesson(live)
    steps = live_steps(lesson)
    counted = _counts(live, live.step_no)
    return {code: _state_in(live, lesson, steps, code, counted) for code in languages()}


def for_viewer(state: dict[str, Any], is_trainer: bool) -> dict[str, Any]:
    """What one viewer may see: riders see no counts before the outcome is
    revealed, so the room's answers cannot sway theirs."""
    if is_trainer or state.get("revealed") or not state.get("options"):
        return state
    return {
        **state,
        "options": [
            {key: value for key, value in option.items() if key != "count"}
            for option in state["options"]
        ],
    }


def my_answers(session_id: int, profile_id: int) -> dict[str, list[str]]:
    """The rider's own answers in the session's live case, by step number."""
    live = live_case_of(session_id)
    if live is None:
        return {}
    rows = get_session().execute(
        select(LiveAnswer.step_no, LiveAnswer.options).where(
            LiveAnswer.live_case_id == live.id, LiveAnswer.profile_id == profile_id
        )
    )
    return {str(step_no): list(options or ()) for step_no, options in rows}


def viewer_state(session_id: int, profile_id: int, is_trainer: bool, locale: str) -> dict[str, Any]:
    """The state one viewer sees now, with the rider's own answers."""
    state = for_viewer(shared_states(session_id)[locale], is_trainer)
    if not is_trainer:
        state = {**state, "mine": my_answers(session_id, profile_id)}
    return state


# ------------------------------------------------------------------ publishing


def channel(session_id: int) -> str:
    """The Redis channel the session's live case is published on."""
    return f"{key_prefix()}:live:{session_id}"


def publish(session_id: int) -> None:
    """Send the committed state to every stream, in every process (with Redis).

    Called after the commit: a stream must never show what a failed commit
    undid. Without Redis the streams poll the database instead. A Redis that
    does not answer costs the change nothing: the streams' own database check
    catches them up within a keep-alive interval.
    """
    client = redis_client()
    if client is None:
        return
    payload = json.dumps(shared_states(session_id), ensure_ascii=False)
    try:
        client.publish(channel(session_id), payload)
    except Exception:  # any Redis failure: the streams poll the database
        current_app.logger.warning("live case %s: Redis publish failed", session_id)


# ------------------------------------------------------------------ changes


def _locked_case(session_id: int) -> LiveCase:
    # FOR UPDATE on PostgreSQL (SQLite locks the database for the request's
    # transaction): the trainer's moves and the riders' answers of one case
    # queue up here, so an answer never lands on a step that just passed.
    live = get_session().scalar(
        select(LiveCase)
        .where(LiveCase.session_id == session_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if live is None:
        raise SessionError(404, _l("No live case is running in this session."))
    return live


def start_live_case(trainer: Profile, session_id: int, lesson_key: str) -> LiveCase:
    """Start the live case of one of the session's course's lessons, at its first step."""
    training = managed_session(trainer, session_id)
    course = course_by_key(training.course_key) if training.course_key else None
    if course is None or course.current_version is None:
        raise SessionError(400, _l("Link a published course to the session to run a live case."))
    lesson = lesson_in(course.current_version, lesson_key)
    if lesson is None:
        raise SessionError(400, _l("Choose a lesson of the session's course."))
    if live_case_of(training.id) is not None:
        raise SessionError(409, _l("This session already has a live case."))
    session = get_session()
    live = LiveCase(
        session_id=training.id,
        course_key=course.key,
        lesson_key=lesson.key,
        lesson_version_id=lesson.id,
    )
    try:
        with session.begin_nested():
            session.add(live)
            session.flush()
    except IntegrityError:
        raise SessionError(409, _l("This session already has a live case.")) from None
    return live


def move_live_case(
    trainer: Profile, session_id: int, action: str, at: int, now: datetime | None = None
) -> LiveCase:
    """Reveal the current step's outcome, go to the next step, or end the case.

    ``at`` is the step the trainer's screen showed: a second click on a stale
    screen is refused instead of skipping a step.
    """
    training = managed_session(trainer, session_id)
    if action not in ACTIONS:
        raise SessionError(400, _l("Choose reveal, next step or end."))
    live = _locked_case(training.id)
    if live.state == LiveState.CLOSED:
        raise SessionError(409, _l("This live case has ended."))
    if at != live.step_no:
        raise SessionError(
            409, _l("The live case has already moved on: the screen now shows where it is.")
        )
    steps = live_steps(_lesson(live))
    if action == "reveal":
        if not steps[live.step_no].answerable or live.revealed:
            raise SessionError(409, _l("There is nothing to reveal at this step."))
        live.revealed = True
    elif action == "next":
        if live.step_no + 1 >= len(steps):
            raise SessionError(409, _l("This is the last step: end the live case."))
        live.step_no += 1
        live.revealed = False
    else:
        live.state = LiveState.CLOSED
    live.version += 1
    live.updated_at = now or utcnow()
    get_session().flush()
    return live


def _chosen(step: LiveStep, chosen: list[str]) -> list[str]:
    picked = sorted(set(chosen))
    known = {option.id for option in step.options}
    if not picked or set(picked) - known or (not step.multiple and len(picked) != 1):
        raise SessionError(400, _l("Choose one of the options on your screen."))
    return picked


def answer_step(
    rider: Profile, session_id: int, step_no: int, chosen: list[str], now: datetime | None = None
) -> bool:
    """Record the rider's answer to the step on the screen, once.

    Returns False when the same answer was already recorded (a phone that
    resent it after losing its connection); another answer to an answered
    step, or any answer to a step that passed, is refused.
    """
    training, is_trainer = live_viewer(rider, session_id)
    if is_trainer:
        raise SessionError(403, _l("Only the riders in the room answer."))
    live = _locked_case(training.id)
    if live.state == LiveState.CLOSED:
        raise SessionError(409, _l("This live case has ended."))
    lesson = _lesson(live)
    steps = live_steps(lesson)
    if not 0 <= step_no < len(steps):
        raise SessionError(400, _l("This step does not exist."))
    if step_no < live.step_no or (step_no == live.step_no and live.revealed):
        raise SessionError(409, _l("This step has passed: answer the one on the screen now."))
    if step_no > live.step_no:
        raise SessionError(409, _l("This step has not started yet."))
    step = steps[step_no]
    if not step.answerable:
        raise SessionError(400, _l("This step takes no answer."))
    picked = _chosen(step, chosen)
    session = get_session()
    existing = session.scalar(
        select(LiveAnswer).where(
            LiveAnswer.live_case_id == live.id,
            LiveAnswer.step_no == step_no,
            LiveAnswer.profile_id == rider.id,
        )
    )
    if existing is not None:
        if sorted(existing.options) == picked:
            return False
        raise SessionError(409, _l("You have already answered this step: each answer counts once."))
    now = now or utcnow()
    try:
        with session.begin_nested():
            session.add(
                LiveAnswer(
                    live_case_id=live.id,
                    step_no=step_no,
                    profile_id=rider.id,
                    options=picked,
                    answered_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        raise SessionError(
            409, _l("You have already answered this step: each answer counts once.")
        ) from None
    live.version += 1
    live.updated_at = now
    session.flush()
    _record_progress(rider, live, lesson, steps, step_no, now)
    return True


def _record_progress(
    rider: Profile,
    live: LiveCase,
    lesson: LessonVersion,
    steps: list[LiveStep],
    step_no: int,
    now: datetime,
) -> None:
    """The live answers become the rider's lesson progress, through the same
    idempotent events the lesson player records (keys made from the case)."""
    course = course_by_key(live.course_key)
    if course is None:
        return
    answers = {
        row.step_no: list(row.options)
        for row in get_session().scalars(
            select(LiveAnswer).where(
                LiveAnswer.live_case_id == live.id, LiveAnswer.profile_id == rider.id
            )
        )
    }
    events: list[EventInput] = []
    key = f"live-{live.id}"
    if steps[step_no].kind == "decision":
        # The rider read the case in the room before choosing.
        events.append(EventInput(f"{key}-situation", "situation", StepEventKind.DONE))
        events.append(
            EventInput(
                f"{key}-decision", "decision", StepEventKind.DECISION, choice=answers[step_no][0]
            )
        )
    else:
        checks = [(number, step) for number, step in enumerate(steps) if step.kind == "check"]
        if not all(step.answerable and number in answers for number, step in checks):
            return
        given = {
            step.question["id"]: (answers[number] if step.multiple else answers[number][0])
            for number, step in checks
            if step.question is not None
        }
        events.append(EventInput(f"{key}-outcome", "outcome", StepEventKind.DONE))
        events.append(EventInput(f"{key}-rule", "rule", StepEventKind.DONE))
        events.append(EventInput(f"{key}-check", "check", StepEventKind.ANSWER, answers=given))
    try:
        for event in events:
            record_event(rider, course, lesson, event, now=now)
    except ProgressError as error:
        raise SessionError(400, error.message) from None

"""Starting, answering, submitting and analysing quiz attempts.

Every rule of the quiz policy lives here: attempt limits, cooldowns, time
limits, the draw, one grading per attempt. Functions take models and plain
values, flush, send signals and return; the caller commits. ``now`` and
``rng`` can be passed in so the rules can be tested without waiting.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms import signals
from lms.accounts.access import membership_windows
from lms.accounts.models import Profile
from lms.assessments import grading
from lms.assessments.grading import InvalidAnswer, Score
from lms.assessments.item_analysis import ItemStats
from lms.assessments.item_queries import count_items
from lms.assessments.models import Attempt, AttemptQuestion, AttemptStatus
from lms.courses.models import Course, CourseVersion, QuestionVersion, QuizQuestion
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session

DEFAULT_POLICY: dict[str, Any] = {
    "draw": 10,
    "draw_by_tag": {},
    "pass_mark": 80,
    "shuffle_questions": True,
    "shuffle_options": True,
    "max_attempts": 0,
    "cooldown_minutes": 0,
    "time_limit_minutes": None,
    "review": "explanations",
}


class AttemptError(Exception):
    """A request the quiz rules refuse; ``message`` is shown, ``status`` is the HTTP code."""

    def __init__(self, message: Any, status: int = 409) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


class LateSave(Exception):
    """An autosave whose sequence number is not above the stored one's: it changes nothing."""

    def __init__(self, stored_seq: int) -> None:
        super().__init__(f"a save numbered {stored_seq} or higher is already stored")
        self.stored_seq = stored_seq


@dataclass(frozen=True)
class QuizStatus:
    """What a learner may do with a course's quiz right now."""

    policy: dict[str, Any]
    attempts: list[Attempt]
    open_attempt: Attempt | None
    attempts_used: int
    attempts_left: int | None
    cooldown_until: datetime | None
    refusal: Any = None
    refusal_status: int = 403

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and self.refusal is None


@dataclass(frozen=True)
class ItemReport:
    """Item analysis of one course's quiz, with the texts needed to show it."""

    stats: list[ItemStats]
    attempts: int
    prompts: dict[str, dict[str, str]] = field(default_factory=dict)
    option_texts: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def quiz_policy(version: CourseVersion) -> dict[str, Any]:
    """The version's quiz policy with every key present."""
    return {**DEFAULT_POLICY, **(version.quiz_policy or {})}


def attempts_of(profile: Profile, quiz_key: str) -> list[Attempt]:
    """A learner's attempts at one quiz, newest first."""
    return list(
        get_session().scalars(
            select(Attempt)
            .where(Attempt.profile_id == profile.id, Attempt.quiz_key == quiz_key)
            .order_by(Attempt.number.desc())
        )
    )


def quiz_status(profile: Profile, course: Course, now: datetime | None = None) -> QuizStatus:
    """Attempts used, an open attempt, and why a new attempt is refused (if it is)."""
    version = _current_version(course)
    now = now or utcnow()
    policy = quiz_policy(version)
    attempts = attempts_of(profile, version.quiz_key)
    open_attempt = next((a for a in attempts if a.status == AttemptStatus.IN_PROGRESS), None)
    used = len(attempts)
    limit = int(policy["max_attempts"] or 0)
    left = max(0, limit - used) if limit else None
    graded = [a for a in attempts if a.graded_at is not None]
    cooldown = int(policy["cooldown_minutes"] or 0)
    last_graded = max((a.graded_at for a in graded if a.graded_at), default=None)
    cooldown_until = last_graded + timedelta(minutes=cooldown) if cooldown and last_graded else None
    if cooldown_until is not None and cooldown_until <= now:
        cooldown_until = None
    refusal, refusal_status = None, 403
    if limit and used >= limit:
        refusal = _l("You have used all %(count)d attempts at this quiz.", count=limit)
    elif cooldown_until is not None:
        minutes = -(-int((cooldown_until - now).total_seconds()) // 60)
        refusal = _l("You can try again in %(minutes)d minutes.", minutes=max(1, minutes))
        refusal_status = 409
    return QuizStatus(
        policy=policy,
        attempts=attempts,
        open_attempt=open_attempt,
        attempts_used=used,
        attempts_left=left,
        cooldown_until=cooldown_until,
        refusal=refusal,
        refusal_status=refusal_status,
    )


def start_attempt(
    profile: Profile,
    course: Course,
    *,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> Attempt:
    """Open a new attempt with a fresh draw, or return the learner's open one."""
    now = now or utcnow()
    version = _current_version(course)
    status = quiz_status(profile, course, now)
    if status.open_attempt is not None:
        if status.open_attempt.accepts_answers(now):
            return status.open_attempt
        # Time ran out while the learner was away: grade what was saved, then
        # apply the rules to a new attempt as if they had submitted.
        submit_attempt(status.open_attempt, now=now)
        status = quiz_status(profile, course, now)
    if status.refusal is not None:
        raise AttemptError(status.refusal, status.refusal_status)
    policy = status.policy
    rng = rng or random.SystemRandom()
    drawn = draw_questions(version, policy, rng)
    if not drawn:
        raise AttemptError(_l("This quiz has no questions yet."), 404)
    limit = policy["time_limit_minutes"]
    attempt = Attempt(
        profile_id=profile.id,
        course_version_id=version.id,
        course_key=course.key,
        quiz_key=version.quiz_key,
        number=max((a.number for a in status.attempts), default=0) + 1,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline=now + timedelta(minutes=int(limit)) if limit else None,
        critical_failed=[],
        by_topic={},
        policy=policy,
        review_mode=str(policy["review"]),
    )
    for position, question in enumerate(drawn, start=1):
        attempt.questions.append(
            AttemptQuestion(
                position=position,
                question_version_id=question.id,
                question_version=question,
                question_key=question.key,
                option_order=grading.presented_option_order(
                    question.spec, bool(policy["shuffle_options"]), rng
                ),
            )
        )
    session = get_session()
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        # Another tab opened this attempt number a moment ago: use that one.
        existing = session.scalar(
            select(Attempt)
            .where(
                Attempt.profile_id == profile.id,
                Attempt.quiz_key == version.quiz_key,
                Attempt.status == AttemptStatus.IN_PROGRESS,
            )
            .execution_options(populate_existing=True)
        )
        if existing is None:
            raise AttemptError(_l("Another attempt was just started. Reload the page.")) from None
        return existing
    return attempt


def draw_questions(
    version: CourseVersion, policy: dict[str, Any], rng: random.Random
) -> list[QuestionVersion]:
    """Draw the attempt's questions: the tag minimums first, the rest from the whole bank."""
    bank: list[QuizQuestion] = list(version.quiz_questions)
    size = min(int(policy["draw"] or len(bank)), len(bank))
    # Every critical (safety) question in every attempt: passing, and a skill
    # level, need each of them answered right, so none may be left to chance.
    critical = [q for q in bank if q.question.spec.get("critical")]
    chosen: list[QuizQuestion] = rng.sample(critical, min(len(critical), size))
    for tag, count in sorted((policy.get("draw_by_tag") or {}).items()):
        have = sum(1 for q in chosen if q.question.spec.get("topic") == tag)
        pool = [q for q in bank if q.question.spec.get("topic") == tag and q not in chosen]
        wanted = max(0, int(count) - have)
        chosen.extend(rng.sample(pool, min(wanted, len(pool), size - len(chosen))))
    rest = [q for q in bank if q not in chosen]
    chosen.extend(rng.sample(rest, size - len(chosen)))
    if policy["shuffle_questions"]:
        rng.shuffle(chosen)
    else:
        chosen.sort(key=lambda q: q.position)
    return [q.question for q in chosen]


def find_question(attempt: Attempt, position_or_key: int | str) -> AttemptQuestion:
    """The attempt's question at a position (int) or with a question key (str)."""
    for question in attempt.questions:
        if position_or_key in (question.position, question.question_key):
            return question
    raise AttemptError(_l("This question is not part of your attempt."), 404)


def save_answer(
    attempt: Attempt,
    question_position_or_key: int | str,
    raw: Any,
    *,
    now: datetime | None = None,
    seq: int | None = None,
) -> AttemptQuestion:
    """Validate and store one answer; saving the same answer again changes nothing.

    With ``seq`` (autosave's per-question sequence number) the highest number
    wins: a save whose number is not above the stored one arrived late, changes
    nothing and raises ``LateSave`` (a repeat of the stored save is no change).
    """
    now = now or utcnow()
    _lock(attempt)
    if attempt.is_graded:
        raise AttemptError(_l("This attempt has already been submitted."), 409)
    if not attempt.accepts_answers(now):
        raise AttemptError(_l("Time is up: answers can no longer be changed."), 409)
    question = find_question(attempt, question_position_or_key)
    try:
        answer = grading.normalise_answer(question.spec, raw)
    except InvalidAnswer as error:
        raise AttemptError(_l("This answer does not fit the question."), 400) from error
    if seq is not None:
        # The attempt's lock serialises saves: read what the last one stored.
        get_session().refresh(question)
        if question.answer_seq is not None and seq <= question.answer_seq:
            if seq == question.answer_seq and answer == question.answer:
                return question
            raise LateSave(question.answer_seq)
        question.answer_seq = seq
    if answer != question.answer:
        question.answer = answer
        question.answered_at = now if answer is not None else None
    get_session().flush()
    return question


def save_answers(
    attempt: Attempt, answers: dict[int, Any], *, now: datetime | None = None
) -> list[AttemptQuestion]:
    """Save several answers (position -> raw) together; any refusal saves none."""
    # Validate everything before writing, so a tampered field leaves no trace.
    for position in answers:
        find_question(attempt, position)
    return [save_answer(attempt, pos, raw, now=now) for pos, raw in sorted(answers.items())]


def submit_attempt(attempt: Attempt, *, now: datetime | None = None) -> Attempt:
    """Grade an open attempt exactly once and send ``attempt_graded``; the caller commits."""
    now = now or utcnow()
    session = get_session()
    # The guarded UPDATE is the one place that decides who grades: on
    # PostgreSQL it takes the row lock, so a concurrent submit waits, then
    # finds the status changed and updates nothing.
    claimed = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=AttemptStatus.GRADED, submitted_at=now, graded_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.refresh(attempt)
        raise AttemptError(_l("This attempt has already been submitted."), 409)
    session.refresh(attempt)
    # Read the answers again: another request may have saved one since we loaded them.
    questions = list(
        session.scalars(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .order_by(AttemptQuestion.position)
            .execution_options(populate_existing=True)
        )
    )
    cutoff = attempt.deadline
    graded_answers = [(question.spec, _answer_by(question, cutoff)) for question in questions]
    result = grading.grade_quiz(graded_answers, int(attempt.policy["pass_mark"]))
    for question, score in zip(questions, result.per_question, strict=True):
        question.points = score.points
        question.correct = score.correct
        question.score = score.as_dict()
    attempt.score_percent = result.score_percent
    attempt.points = result.points
    attempt.max_points = result.max_points
    attempt.passed = result.passed
    attempt.critical_failed = list(result.critical_failed)
    attempt.by_topic = {
        topic or "": [got, out_of] for topic, (got, out_of) in result.by_topic.items()
    }
    session.flush()
    signals.attempt_graded.send(current_app._get_current_object(), attempt=attempt)
    return attempt


def _answer_by(question: AttemptQuestion, cutoff: datetime | None) -> Any:
    # Saving is refused after the deadline; this also ignores anything that got
    # in another way, so a late submission is graded on the deadline's state.
    if cutoff is not None and question.answered_at is not None and question.answered_at > cutoff:
        return None
    return question.answer


def review(attempt: Attempt) -> list[dict[str, Any]]:
    """Each graded question as the attempt's review mode allows the learner to see it."""
    if not attempt.is_graded:
        raise AttemptError(_l("This attempt has not been submitted yet."), 409)
    views = []
    for question in attempt.questions:
        score = (
            Score.from_dict(question.score)
            if question.score
            else grading.grade(question.spec, question.answer)
        )
        view = grading.review_view(
            question.spec, question.answer, score, attempt.review_mode, question.option_order
        )
        view["position"] = question.position
        views.append(view)
    return views


def time_left(attempt: Attempt, now: datetime | None = None) -> timedelta | None:
    """Time left before the deadline (never negative), or ``None`` without a time limit."""
    if attempt.deadline is None:
        return None
    return max(timedelta(0), attempt.deadline - (now or utcnow()))


def item_analysis_for(course_key: str, organisation_id: int) -> ItemReport:
    """Item statistics of a course's quiz over the organisation's cohorts' learners,
    counted by the database over the attempts they started while members."""
    counts = count_items(membership_windows(organisation_id), course_key)
    # Versions of a question share its key; the newest wording names it.
    prompts = {key: spec.get("prompt") or {} for key, spec in counts.newest_specs.items()}
    option_texts = {key: _option_texts(spec) for key, spec in counts.newest_specs.items()}
    return ItemReport(counts.stats, counts.attempts, prompts, option_texts)


def _option_texts(spec: dict[str, Any], prefix: str = "") -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    for option in spec.get("options") or ():
        texts[prefix + option["id"]] = option.get("text") or {}
    for part in spec.get("parts") or ():
        texts.update(_option_texts(part, f"{part['id']}:"))
    return texts


def _current_version(course: Course) -> CourseVersion:
    if course.current_version is None:
        raise AttemptError(_l("This course has no quiz yet."), 404)
    return course.current_version


def _lock(attempt: Attempt) -> None:
    # FOR UPDATE on PostgreSQL (SQLite locks the whole database on write anyway):
    # a save waits for a submission under way and then sees it graded.
    get_session().execute(
        select(Attempt)
        .where(Attempt.id == attempt.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )

"""Spaced review: questions a learner got wrong come back after ~1 day, ~1 week
and ~1 month. A miss starts the schedule again; a right answer at the last
stage retires the question.

Quiz misses arrive through the ``attempt_graded`` signal (see
``lms.courses.receivers``), so the assessments never import this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.assessments.grading import InvalidAnswer, Score, grade, normalise_answer
from lms.courses.client_keys import valid_client_key
from lms.courses.models import ReviewAnswer, ReviewItem
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session

#: Wait before each stage: after a miss, then after each right answer.
INTERVALS: tuple[timedelta, ...] = (timedelta(days=1), timedelta(days=7), timedelta(days=30))
#: What one review question takes a rider, for "about M minutes".
SECONDS_PER_QUESTION = 30


class ReviewError(Exception):
    """A review answer the rules refuse; ``message`` is shown to the learner."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ReviewQueue:
    """How many questions are due now, and about how long they take."""

    count: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.count * SECONDS_PER_QUESTION / 60)) if self.count else 0


@dataclass(frozen=True)
class ReviewOutcome:
    """The result of one review answer."""

    item: ReviewItem
    answer: Any
    score: Score
    duplicate: bool


def _item(profile_id: int, question_key: str) -> ReviewItem | None:
    return get_session().scalar(
        select(ReviewItem).where(
            ReviewItem.profile_id == profile_id, ReviewItem.question_key == question_key
        )
    )


def queue_missed_question(
    profile_id: int,
    spec: dict[str, Any],
    source: str,
    source_key: str,
    now: datetime | None = None,
) -> ReviewItem:
    """Put a wrongly answered question (back) at the start of the review schedule."""
    now = now or utcnow()
    session = get_session()
    item = _item(profile_id, spec["id"])
    if item is None:
        item = ReviewItem(
            profile_id=profile_id,
            question_key=spec["id"],
            source=source,
            source_key=source_key,
            spec=dict(spec),
            stage=0,
            due_at=now + INTERVALS[0],
            misses=1,
            created_at=now,
        )
        session.add(item)
        try:
            with session.begin_nested():
                session.flush()
            return item
        except IntegrityError:
            item = _item(profile_id, spec["id"])
            assert item is not None  # noqa: S101 - the constraint just proved it exists
    _reset(item, now)
    item.spec = dict(spec)
    item.source, item.source_key = source, source_key
    session.flush()
    return item


def _reset(item: ReviewItem, now: datetime) -> None:
    item.stage = 0
    item.due_at = now + INTERVALS[0]
    item.misses += 1
    item.retired_at = None


def _due(profile_id: int, now: datetime) -> Any:
    return select(ReviewItem).where(
        ReviewItem.profile_id == profile_id,
        ReviewItem.retired_at.is_(None),
        ReviewItem.due_at <= now,
    )


def review_queue(profile_id: int, now: datetime | None = None) -> ReviewQueue:
    """The questions due for review now."""
    query = _due(profile_id, now or utcnow()).with_only_columns(func.count(ReviewItem.id))
    return ReviewQueue(count=int(get_session().scalar(query) or 0))


def next_review_item(profile_id: int, now: datetime | None = None) -> ReviewItem | None:
    """The most overdue question, or None when nothing is due."""
    query = _due(profile_id, now or utcnow()).order_by(ReviewItem.due_at, ReviewItem.id).limit(1)
    return get_session().scalar(query)


def review_item(profile_id: int, item_id: int) -> ReviewItem | None:
    """One of the learner's own review items (never another learner's)."""
    item = get_session().get(ReviewItem, item_id)
    return item if item is not None and item.profile_id == profile_id else None


def last_review_answer(profile_id: int, item_id: int) -> ReviewAnswer | None:
    """The learner's latest answer to one review item."""
    return get_session().scalar(
        select(ReviewAnswer)
        .where(ReviewAnswer.profile_id == profile_id, ReviewAnswer.item_id == item_id)
        .order_by(ReviewAnswer.answered_at.desc(), ReviewAnswer.id.desc())
        .limit(1)
    )


def answer_review(
    profile: Profile,
    item: ReviewItem,
    raw_answer: Any,
    client_key: str,
    now: datetime | None = None,
) -> ReviewOutcome:
    """Grade a review answer once per client key and move the item along its schedule."""
    now = now or utcnow()
    session = get_session()
    if item.profile_id != profile.id:
        raise ReviewError(_l("This question is not in your review list."))
    if not valid_client_key(client_key):
        raise ReviewError(_l("This answer could not be saved. Reload the page and try again."))
    previous = session.scalar(
        select(ReviewAnswer).where(
            ReviewAnswer.profile_id == profile.id, ReviewAnswer.client_key == client_key
        )
    )
    if previous is not None:
        stored = previous.answer["value"] if previous.answer else None
        return ReviewOutcome(item, stored, grade(item.spec, stored), duplicate=True)
    try:
        unanswered = normalise_answer(item.spec, raw_answer) is None
        score = grade(item.spec, raw_answer)
    except InvalidAnswer:
        raise ReviewError(_l("That answer does not belong to this question.")) from None
    if unanswered:
        raise ReviewError(_l("Choose an answer, then check."))
    session.add(
        ReviewAnswer(
            profile_id=profile.id,
            client_key=client_key,
            item_id=item.id,
            answer={"value": raw_answer},
            correct=score.correct,
            stage_before=item.stage,
            answered_at=now,
        )
    )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return ReviewOutcome(item, raw_answer, score, duplicate=True)
    if score.correct:
        advance(item, now)
    else:
        _reset(item, now)
    session.flush()
    return ReviewOutcome(item, raw_answer, score, duplicate=False)


def advance(item: ReviewItem, now: datetime) -> None:
    """A right answer: wait for the next, longer interval, or retire after the last."""
    if item.stage + 1 >= len(INTERVALS):
        item.retired_at = now
        return
    item.stage += 1
    item.due_at = now + INTERVALS[item.stage]

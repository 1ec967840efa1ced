"""Item analysis counted by the database: a fixed handful of statements per course.

``item_analysis.analyse_items`` defines the figures over plain records; this
module has the database count the same things (answers and full marks per
question, over all graded attempts and over the upper and lower 27 %, and the
options picked) so a report's cost follows the number of questions, not of
attempts. Only the distinct answers of each question version come back, and
each is decoded into option ids once, however many learners gave it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, Subquery, and_, case, cast, func, select

from lms.assessments import grading
from lms.assessments.item_analysis import FULL_MARKS, ItemStats, group_size, item_stats
from lms.assessments.models import Attempt, AttemptQuestion, AttemptStatus
from lms.courses.models import QuestionVersion
from lms.state import allow_report_memory, get_session

__all__ = ["ItemCounts", "count_items", "graded_scope"]


@dataclass(frozen=True)
class ItemCounts:
    """Item statistics of one course's graded attempts, with the wording to show them."""

    attempts: int
    stats: list[ItemStats]
    #: Question key -> spec of the version the newest attempt showed.
    latest_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Question key -> spec of its newest version among the attempts.
    newest_specs: dict[str, dict[str, Any]] = field(default_factory=dict)


def graded_scope(windows: Subquery, course_key: str) -> Subquery:
    """Graded attempts at a course's quiz started while their learner was a member
    (``windows`` as ``membership_windows`` gives them): columns ``id`` and ``score``."""
    return (
        select(
            Attempt.id.label("id"),
            func.coalesce(Attempt.score_percent, 0.0).label("score"),
        )
        .join(windows, windows.c.profile_id == Attempt.profile_id)
        .where(
            Attempt.course_key == course_key,
            Attempt.status == AttemptStatus.GRADED,
            Attempt.started_at >= windows.c.since,
        )
        .subquery("graded")
    )


def _id_as_text(column: Any) -> ColumnElement[str]:
    # analyse_items breaks score ties by the id as text ("10" before "9"); on
    # PostgreSQL the "C" collation compares text the way Python does.
    text = cast(column, String(20))
    if get_session().get_bind().dialect.name == "postgresql":
        return text.collate("C")
    return text


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def count_items(windows: Subquery, course_key: str) -> ItemCounts:
    """Item statistics over ``graded_scope(windows, course_key)``: four statements."""
    allow_report_memory()
    session = get_session()
    scope = graded_scope(windows, course_key)
    attempts = session.scalar(select(func.count()).select_from(scope)) or 0
    size = group_size(attempts)
    ranked = select(
        scope.c.id,
        func.row_number()
        .over(order_by=(scope.c.score.desc(), _id_as_text(scope.c.id)))
        .label("rank"),
    ).subquery("ranked")
    full = func.coalesce(AttemptQuestion.points, 0.0) >= FULL_MARKS
    upper = ranked.c.rank <= size
    lower = ranked.c.rank > attempts - size
    tallies = session.execute(
        select(
            AttemptQuestion.question_key,
            func.count(),
            _count_where(full),
            _count_where(upper),
            _count_where(and_(upper, full)),
            _count_where(lower),
            _count_where(and_(lower, full)),
        )
        .join(ranked, ranked.c.id == AttemptQuestion.attempt_id)
        .group_by(AttemptQuestion.question_key)
    ).all()

    answers = session.execute(
        select(
            AttemptQuestion.question_key,
            AttemptQuestion.question_version_id,
            AttemptQuestion.answer,
            func.count(),
            func.max(AttemptQuestion.attempt_id),
        )
        .join(scope, scope.c.id == AttemptQuestion.attempt_id)
        .group_by(
            AttemptQuestion.question_key,
            AttemptQuestion.question_version_id,
            AttemptQuestion.answer,
        )
    ).all()
    specs: dict[int, dict[str, Any]] = dict(
        session.execute(
            select(QuestionVersion.id, QuestionVersion.spec).where(
                QuestionVersion.id.in_(
                    select(AttemptQuestion.question_version_id)
                    .join(scope, scope.c.id == AttemptQuestion.attempt_id)
                    .distinct()
                )
            )
        ).all()
    )

    chosen: dict[str, Counter[str]] = {}
    latest: dict[str, tuple[int, int]] = {}
    newest: dict[str, int] = {}
    for key, version_id, answer, count, last_attempt in answers:
        picked = chosen.setdefault(key, Counter())
        for option in grading.chosen_ids(specs[version_id], answer):
            picked[option] += count
        if key not in latest or last_attempt > latest[key][0]:
            latest[key] = (last_attempt, version_id)
        newest[key] = max(newest.get(key, version_id), version_id)

    stats = [
        item_stats(
            key,
            attempts=attempts,
            whole=(int(answered), int(right)),
            upper=(int(top), int(top_right)),
            lower=(int(bottom), int(bottom_right)),
            option_counts=chosen.get(key, Counter()),
        )
        for key, answered, right, top, top_right, bottom, bottom_right in sorted(
            tallies, key=lambda row: row[0]
        )
    ]
    return ItemCounts(
        attempts=attempts,
        stats=stats,
        latest_specs={key: specs[version_id] for key, (_last, version_id) in latest.items()},
        newest_specs={key: specs[version_id] for key, version_id in newest.items()},
    )

"""Quiz attempts: which question versions a learner saw, in which order, and the result.

Other domains read these rows (skill levels, certificates, spaced review), so
the column names are part of the plugin's contract: ``profile_id``,
``course_key``, ``course_version_id``, ``quiz_key``, ``passed``,
``score_percent``, ``graded_at`` and, per question, ``question_key``,
``points``, ``correct`` and ``question_version.spec``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.courses.models import CourseVersion, QuestionVersion
from lms.db import Base, JSONType, enum_values, utcnow

# An answer or an option order may be a list, a dict, a string or a boolean;
# an unanswered question is SQL NULL rather than JSON null so it can be queried.
AnyJSON = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class AttemptStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    GRADED = "graded"


class Attempt(Base):
    """One sitting of a course's quiz by one learner."""

    __tablename__ = "lms_attempt"
    # Two tabs starting at once both try number N+1: the second insert fails,
    # so a learner never holds two attempts with the same number.
    __table_args__ = (UniqueConstraint("profile_id", "quiz_key", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("lms_course_version.id", ondelete="RESTRICT"), index=True
    )
    course_key: Mapped[str] = mapped_column(String(64), index=True)
    quiz_key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int]
    status: Mapped[AttemptStatus] = mapped_column(
        Enum(AttemptStatus, values_callable=enum_values, native_enum=False, length=16),
        default=AttemptStatus.IN_PROGRESS,
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    graded_at: Mapped[datetime | None]
    score_percent: Mapped[float | None]
    points: Mapped[float | None]
    max_points: Mapped[int | None]
    passed: Mapped[bool | None]
    critical_failed: Mapped[list[Any]] = mapped_column(default=list)
    # topic -> [points, questions]; a question without a topic counts under "".
    by_topic: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The policy as it was when the attempt started, so a later content
    # update cannot change the rules of an attempt under way.
    policy: Mapped[dict[str, Any]] = mapped_column(JSONType)
    review_mode: Mapped[str] = mapped_column(String(16))

    questions: Mapped[list[AttemptQuestion]] = relationship(
        order_by="AttemptQuestion.position",
        cascade="all, delete-orphan",
        back_populates="attempt",
    )
    course_version: Mapped[CourseVersion] = relationship()

    @property
    def is_graded(self) -> bool:
        return self.status == AttemptStatus.GRADED

    def accepts_answers(self, now: datetime) -> bool:
        """Whether answers may still be saved at ``now``."""
        return not self.is_graded and (self.deadline is None or now <= self.deadline)


class AttemptQuestion(Base):
    """A question exactly as one attempt showed it, with the learner's answer."""

    __tablename__ = "lms_attempt_question"
    # Named here: the convention only uses the first column, which both share.
    __table_args__ = (
        UniqueConstraint("attempt_id", "position", name="uq_lms_attempt_question_position"),
        UniqueConstraint("attempt_id", "question_key", name="uq_lms_attempt_question_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("lms_attempt.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_version_id: Mapped[int] = mapped_column(
        ForeignKey("lms_question_version.id", ondelete="RESTRICT"), index=True
    )
    question_key: Mapped[str] = mapped_column(String(64), index=True)
    # A list of ids, or part id -> list for a scenario: what the learner saw.
    option_order: Mapped[Any] = mapped_column(AnyJSON)
    answer: Mapped[Any] = mapped_column(AnyJSON, nullable=True)
    answered_at: Mapped[datetime | None]
    # The autosave sequence number of the stored answer: a save carrying a
    # lower one arrived late and is ignored (quick taps cannot undo each other).
    answer_seq: Mapped[int | None]
    points: Mapped[float | None]
    correct: Mapped[bool | None]
    # grading.Score.as_dict(): keeps the per-part scores of a scenario.
    score: Mapped[dict[str, Any] | None]

    attempt: Mapped[Attempt] = relationship(back_populates="questions")
    question_version: Mapped[QuestionVersion] = relationship(lazy="joined")

    @property
    def spec(self) -> dict[str, Any]:
        return self.question_version.spec

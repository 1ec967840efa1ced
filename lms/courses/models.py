"""Published course versions: what learners see, frozen once published.

A course keeps its stable id (the ``key`` written in the content files) across
versions. Each import that changes anything publishes a new ``CourseVersion``
with its own lessons and quiz questions; learner records point at the version
they saw, so an update never rewrites history.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, JSONType, enum_values, utcnow


class Area(enum.StrEnum):
    LEGAL_SAFETY = "legal-safety"
    ECOMMERCE = "ecommerce"
    LOGISTICS = "logistics"


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Course(Base):
    """A course by its stable id; its content lives in its versions."""

    __tablename__ = "lms_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    area: Mapped[Area] = mapped_column(
        Enum(Area, values_callable=enum_values, native_enum=False, length=32)
    )
    status: Mapped[CourseStatus] = mapped_column(
        Enum(CourseStatus, values_callable=enum_values, native_enum=False, length=16),
        default=CourseStatus.PUBLISHED,
    )
    #: the organisation that owns the course: its author, or the publishing
    #: organisation for shipped and file-imported courses
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="RESTRICT"), index=True
    )
    #: imported from content files: read-only in the studio, readable by every trainer
    shipped: Mapped[bool] = mapped_column(default=False)
    # No foreign key: course and version would point at each other, a cycle
    # that migrations cannot create in one step. publish_course keeps it right.
    current_version_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    current_version: Mapped[CourseVersion | None] = relationship(
        primaryjoin="foreign(Course.current_version_id) == CourseVersion.id",
        post_update=True,
        viewonly=False,
    )


class CourseVersion(Base):
    """One published state of a course."""

    __tablename__ = "lms_course_version"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("lms_course.id", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]
    occupations: Mapped[list[Any]]
    level: Mapped[int]
    # The languages the version is published in; None means every language.
    languages: Mapped[list[Any] | None]
    quiz_key: Mapped[str] = mapped_column(String(64))
    quiz_title: Mapped[dict[str, Any]]
    quiz_policy: Mapped[dict[str, Any]]
    source: Mapped[str] = mapped_column(String(255), default="")
    #: the organisation that published this version
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="RESTRICT"), index=True
    )
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(foreign_keys=[course_id])
    lessons: Mapped[list[LessonVersion]] = relationship(
        order_by="LessonVersion.position", cascade="all, delete-orphan"
    )
    quiz_questions: Mapped[list[QuizQuestion]] = relationship(
        order_by="QuizQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)

    def published_in(self, locale: str) -> bool:
        """Whether the version is written in ``locale`` (else readers see another language)."""
        return self.languages is None or locale in self.languages


class LessonVersion(Base):
    """A lesson as published in one course version."""

    __tablename__ = "lms_lesson_version"
    __table_args__ = (UniqueConstraint("course_version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("lms_course_version.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(64), index=True)
    position: Mapped[int]
    slug: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[dict[str, Any]]
    minutes: Mapped[int]
    tags: Mapped[list[Any]]
    decision: Mapped[dict[str, Any]]
    rule_source: Mapped[dict[str, Any]]
    situation_html: Mapped[dict[str, Any]]
    outcome_html: Mapped[dict[str, Any]]
    rule_html: Mapped[dict[str, Any]]
    checks: Mapped[list[Any]]

    course_version: Mapped[CourseVersion] = relationship(back_populates="lessons")


class QuestionVersion(Base):
    """One wording of a question; unchanged questions are shared across versions."""

    __tablename__ = "lms_question_version"
    __table_args__ = (UniqueConstraint("key", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizQuestion(Base):
    """A question in the bank of one course version's quiz."""

    __tablename__ = "lms_quiz_question"
    __table_args__ = (UniqueConstraint("course_version_id", "question_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("lms_course_version.id", ondelete="CASCADE"), index=True
    )
    question_version_id: Mapped[int] = mapped_column(
        ForeignKey("lms_question_version.id", ondelete="RESTRICT")
    )
    position: Mapped[int]

    question: Mapped[QuestionVersion] = relationship(lazy="joined")


# --- Learner state -----------------------------------------------------------
# Keyed by profile and the lesson's stable key (plus the version the learner
# saw), so a re-published course keeps every learner's progress and hours.


class StepEventKind(enum.StrEnum):
    VIEW = "view"  # a step was shown (player.js reports it; starts the clock)
    DONE = "done"  # a reading step was finished with "Next"
    DECISION = "decision"  # an option of the decision was chosen
    ANSWER = "answer"  # a check question was answered and graded


class LessonProgress(Base):
    """Where one learner is in one lesson: the step to resume at, and when done."""

    __tablename__ = "lms_lesson_progress"
    __table_args__ = (UniqueConstraint("profile_id", "lesson_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    course_key: Mapped[str] = mapped_column(String(64))
    lesson_key: Mapped[str] = mapped_column(String(64))
    lesson_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_lesson_version.id", ondelete="SET NULL"), index=True
    )
    step: Mapped[str] = mapped_column(String(16))
    steps_done: Mapped[list[Any]]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class StepEvent(Base):
    """One thing a learner did in a lesson, recorded once per client key.

    ``client_key`` is made by the page (or player.js) before sending, so a
    retried or replayed request finds its first record instead of a second.
    ``active_seconds`` is the time credited to this step: the gap since the
    learner's previous event in the same lesson, unless that gap was idle.
    """

    __tablename__ = "lms_step_event"
    __table_args__ = (
        UniqueConstraint("profile_id", "client_key"),
        # The learner's latest event is looked up on every save (active time).
        Index("ix_lms_step_event_profile_id_occurred_at", "profile_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    client_key: Mapped[str] = mapped_column(String(80))
    course_key: Mapped[str] = mapped_column(String(64))
    lesson_key: Mapped[str] = mapped_column(String(64), index=True)
    lesson_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_lesson_version.id", ondelete="SET NULL")
    )
    step: Mapped[str] = mapped_column(String(16))
    kind: Mapped[StepEventKind] = mapped_column(
        Enum(StepEventKind, values_callable=enum_values, native_enum=False, length=16)
    )
    question_key: Mapped[str | None] = mapped_column(String(64))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    correct: Mapped[bool | None]
    points: Mapped[float | None]
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    active_seconds: Mapped[int] = mapped_column(default=0)


class ReviewItem(Base):
    """A question the learner got wrong, coming back after ~1 day, ~1 week, ~1 month."""

    __tablename__ = "lms_review_item"
    __table_args__ = (UniqueConstraint("profile_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    question_key: Mapped[str] = mapped_column(String(64))
    # Where it was missed: "lesson" (a check) or "quiz", and the lesson or course key.
    source: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]]
    stage: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    misses: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class ReviewAnswer(Base):
    """One answer given on the review page, recorded once per client key."""

    __tablename__ = "lms_review_answer"
    __table_args__ = (UniqueConstraint("profile_id", "client_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    client_key: Mapped[str] = mapped_column(String(80))
    item_id: Mapped[int] = mapped_column(ForeignKey("lms_review_item.id", ondelete="CASCADE"))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    correct: Mapped[bool]
    stage_before: Mapped[int]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttendedTraining(Base):
    """Training time a learner earned in person (a session at a station), credited
    alongside the time spent in lessons.

    Written once per source (``session:<id>``): the unique constraint is the rule.
    ``seconds`` is what the hardening rules credit, never more than the session's length.
    """

    __tablename__ = "lms_attended_training"
    __table_args__ = (UniqueConstraint("profile_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    source_key: Mapped[str] = mapped_column(String(64))
    #: the course the session trained for, if any
    course_key: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    seconds: Mapped[int] = mapped_column(default=0)
    attended_at: Mapped[datetime]

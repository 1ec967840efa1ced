"""A needs survey of one organisation, its questions, and the riders' responses.

An anonymous survey stores no profile id with a response: who has answered is
kept apart, in ``SurveyAnswered``, as a keyed hash of the survey and the rider
(with no time and no link to the response), so "one response per rider" still
holds and nothing ties an answer back to a person.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, enum_values, utcnow


class SurveyStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    TEXT = "text"


class NeedGroup(enum.StrEnum):
    """The three groups of urgent needs riders named (see the surveys template)."""

    REST = "rest"
    POLICY = "policy"
    SKILLS = "skills"


class Survey(Base):
    """A short survey a trainer of an organisation puts to its riders."""

    __tablename__ = "lms_survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("lms_profile.id", ondelete="SET NULL"))
    title_zh: Mapped[str] = mapped_column(String(120))
    #: empty for a survey in Chinese only
    title_en: Mapped[str] = mapped_column(String(120), default="")
    anonymous: Mapped[bool] = mapped_column(default=True)
    #: the station it is about, or None: riders then say which station they use
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_station.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[SurveyStatus] = mapped_column(
        Enum(SurveyStatus, values_callable=enum_values, native_enum=False, length=16),
        default=SurveyStatus.OPEN,
    )
    #: the shipped template it was started from, if any
    template_key: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[SurveyQuestion]] = relationship(
        back_populates="survey", order_by="SurveyQuestion.position", cascade="all, delete-orphan"
    )

    def title(self, locale: str) -> str:
        """The title in ``locale``, the Chinese one when there is no English."""
        return (self.title_en if locale == "en" else "") or self.title_zh


class SurveyQuestion(Base):
    """One question; a choice question's options are ``[{"id", "zh", "en", "topics"}]``."""

    __tablename__ = "lms_survey_question"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("lms_survey.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(
        Enum(QuestionKind, values_callable=enum_values, native_enum=False, length=16)
    )
    text_zh: Mapped[str] = mapped_column(String(300))
    text_en: Mapped[str] = mapped_column(String(300), default="")
    #: the group of needs a choice question asks about, for the ranking of needs
    need_group: Mapped[str | None] = mapped_column(String(16))
    options: Mapped[list[Any]] = mapped_column(default=list)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def text(self, locale: str) -> str:
        return (self.text_en if locale == "en" else "") or self.text_zh


class SurveyResponse(Base):
    """One rider's answers to a survey; ``profile_id`` is None when it is anonymous."""

    __tablename__ = "lms_survey_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("lms_survey.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL"), index=True
    )
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_station.id", ondelete="SET NULL"), index=True
    )
    #: the day only for an anonymous response, so the time cannot single a rider out
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyAnswer(Base):
    """One answer: a chosen option (one row per option of a multiple choice), a
    rating, or a free text (sanitised, shown to the organisation's staff only)."""

    __tablename__ = "lms_survey_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("lms_survey_response.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("lms_survey_question.id", ondelete="CASCADE"), index=True
    )
    option_id: Mapped[str | None] = mapped_column(String(16))
    rating: Mapped[int | None]
    text: Mapped[str | None] = mapped_column(Text)


class SurveyAnswered(Base):
    """That a rider answered a survey, as a keyed hash only: once per rider, for
    named and anonymous surveys alike (the primary key is the rule)."""

    __tablename__ = "lms_survey_answered"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("lms_survey.id", ondelete="CASCADE"), primary_key=True
    )
    rider_hash: Mapped[str] = mapped_column(String(64), primary_key=True)

"""Stations (an organisation's places where riders rest, charge their phones and
come to training) and the training sessions held there or elsewhere, with their
bookings and waiting lists."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation, Profile
from lms.db import Base, enum_values, utcnow


class Facility(enum.StrEnum):
    """What a station offers a rider; a fixed set, so riders can compare stations."""

    DRINKING_WATER = "drinking_water"
    PHONE_CHARGING = "phone_charging"
    REST_AREA = "rest_area"
    MICROWAVE = "microwave"
    TOILETS = "toilets"


class Station(Base):
    """A place of one organisation, named in both languages."""

    __tablename__ = "lms_station"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    name_zh: Mapped[str] = mapped_column(String(80))
    #: empty when the station has no English name (pages then show the Chinese one)
    name_en: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(40), index=True)
    opening_hours: Mapped[str] = mapped_column(String(80))
    #: Facility values, in the order of the Facility enum
    facilities: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    def name(self, locale: str) -> str:
        """The station's name in ``locale``, the Chinese one when there is no English."""
        return (self.name_en if locale == "en" else "") or self.name_zh


class TrainingSession(Base):
    """A training a trainer holds at a time and place, for a number of riders."""

    __tablename__ = "lms_training_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    trainer_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(120))
    #: the station it is held at, or None when ``place`` says where
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_station.id", ondelete="SET NULL"), index=True
    )
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int]
    #: the published course it trains for, by its stable key
    course_key: Mapped[str | None] = mapped_column(String(64))
    #: the languages it is held in, e.g. ["zh_CN"]
    languages: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    trainer: Mapped[Profile | None] = relationship()
    station: Mapped[Station | None] = relationship()


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Booking(Base):
    """A rider's place in a session, or on its waiting list.

    One row per rider and session: cancelling keeps it (``cancelled``), signing
    up again reuses it at the back of the queue (``queued_at``).
    """

    __tablename__ = "lms_session_booking"
    __table_args__ = (UniqueConstraint("session_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_training_session.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(
        Enum(BookingStatus, values_callable=enum_values, native_enum=False, length=16)
    )
    #: when the rider joined the queue: the waiting list is promoted in this order
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TrainingSession] = relationship()
    profile: Mapped[Profile] = relationship()


class CheckInMethod(enum.StrEnum):
    QR = "qr"
    BY_HAND = "by_hand"


class Attendance(Base):
    """A rider checked in to a session, once: by its QR code, or by the trainer's
    hand with a reason (who and why are kept, the audit trail)."""

    __tablename__ = "lms_session_attendance"
    __table_args__ = (UniqueConstraint("session_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_training_session.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[CheckInMethod] = mapped_column(
        Enum(CheckInMethod, values_callable=enum_values, native_enum=False, length=16)
    )
    #: why the trainer checked the rider in by hand (empty for a QR check-in)
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TrainingSession] = relationship()
    profile: Mapped[Profile] = relationship(foreign_keys=[profile_id])


class LiveState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class LiveCase(Base):
    """A case lesson the trainer steps through on the big screen while the riders
    in the room answer on their phones.

    The state lives here, not in a process: every app process reads the same
    row, and ``version`` goes up with every change (a step, a reveal, an
    answer), so a phone that reconnects says which version it last saw.
    """

    __tablename__ = "lms_live_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("lms_training_session.id", ondelete="CASCADE"), unique=True
    )
    course_key: Mapped[str] = mapped_column(String(64))
    lesson_key: Mapped[str] = mapped_column(String(64))
    #: the published lesson version shown, so a re-published course never changes
    #: the steps of a live case under way
    lesson_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_lesson_version.id", ondelete="SET NULL")
    )
    #: index into the live steps (situation, decision, outcome, rule, each check)
    step_no: Mapped[int] = mapped_column(default=0)
    #: the current decision's or question's outcome is on the screen: answers closed
    revealed: Mapped[bool] = mapped_column(default=False)
    state: Mapped[LiveState] = mapped_column(
        Enum(LiveState, values_callable=enum_values, native_enum=False, length=16),
        default=LiveState.OPEN,
    )
    version: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TrainingSession] = relationship()


class LiveAnswer(Base):
    """A rider's answer to one step of a live case: once per rider and step."""

    __tablename__ = "lms_live_answer"
    __table_args__ = (UniqueConstraint("live_case_id", "step_no", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    live_case_id: Mapped[int] = mapped_column(
        ForeignKey("lms_live_case.id", ondelete="CASCADE"), index=True
    )
    step_no: Mapped[int]
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    #: the option ids chosen (one, or several for a multiple-choice question)
    options: Mapped[list[Any]] = mapped_column(default=list)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

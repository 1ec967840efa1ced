"""Skill-level tracks as published, the levels learners reached and trainers' sign-offs.

Tracks are versioned like courses: every app server reads the same definition
from the database, and a level reached keeps the requirements it was reached
under in its evidence, so a later content change never takes it away.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation, Profile
from lms.db import Base, enum_values, utcnow


class LevelTrack(Base):
    """A track by its stable id; its definition lives in its versions."""

    __tablename__ = "lms_level_track"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    # False once the track is gone from levels.yaml: levels reached stay on record.
    active: Mapped[bool] = mapped_column(default=True)
    # No foreign key, as for Course: track and version would point at each other.
    current_version_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    current_version: Mapped[LevelTrackVersion | None] = relationship(
        primaryjoin="foreign(LevelTrack.current_version_id) == LevelTrackVersion.id",
        post_update=True,
        viewonly=False,
    )


class LevelTrackVersion(Base):
    """One published definition of a track (``TrackSpec.as_dict()``)."""

    __tablename__ = "lms_level_track_version"
    __table_args__ = (UniqueConstraint("track_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("lms_level_track.id", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    track: Mapped[LevelTrack] = relationship(foreign_keys=[track_id])


class LevelAchievement(Base):
    """A level a learner reached: recorded once, with the evidence of that moment."""

    __tablename__ = "lms_level_achievement"
    # The rule is "exactly once": two qualifying events at the same moment
    # both try to insert, the database keeps one.
    __table_args__ = (UniqueConstraint("profile_id", "track_key", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    track_key: Mapped[str] = mapped_column(String(64))
    level: Mapped[int]
    track_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_level_track_version.id", ondelete="SET NULL")
    )
    reached_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Which attempts, lessons and sign-offs met which requirement, and the
    # level definition (title, requirements) as it was.
    evidence: Mapped[dict[str, Any]]

    profile: Mapped[Profile] = relationship()

    @property
    def title(self) -> dict[str, str]:
        return dict(self.evidence.get("level", {}).get("title") or {})


class SignOffResult(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - a sign-off result, not a password
    NOT_YET = "not_yet"


class SignOff(Base):
    """A trainer's judgement of a practical skill, attributable and never edited."""

    __tablename__ = "lms_sign_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    track_key: Mapped[str] = mapped_column(String(64))
    level: Mapped[int]
    requirement_key: Mapped[str] = mapped_column(String(140))
    trainer_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL"), index=True
    )
    # The trainer's organisation at the time: who vouched, even if they move on.
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="RESTRICT"), index=True
    )
    trainer_name: Mapped[str] = mapped_column(String(40))
    result: Mapped[SignOffResult] = mapped_column(
        Enum(SignOffResult, values_callable=enum_values, native_enum=False, length=16)
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    learner: Mapped[Profile] = relationship(foreign_keys=[profile_id])
    trainer: Mapped[Profile | None] = relationship(foreign_keys=[trainer_id])
    organisation: Mapped[Organisation] = relationship()

"""The LTI 1.3 tool's records: the platforms that launch us, the tool's own key,
the short-lived login state, who a platform's user is here, and the scores
waiting for a platform's gradebook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, utcnow


class LtiToolKey(Base):
    """The tool's RSA key pair, generated once and shared by every app process.

    ``slot`` is unique, so two processes generating the first key at once keep
    one of them (the other's insert fails and it reads the winner's).
    """

    __tablename__ = "lms_lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot: Mapped[str] = mapped_column(String(16), unique=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiPlatform(Base):
    """A platform (Moodle, Canvas, Open edX...) registered by an organisation's admin."""

    __tablename__ = "lms_lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    key_set_url: Mapped[str] = mapped_column(String(500))
    auth_login_url: Mapped[str] = mapped_column(String(500))
    auth_token_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="LtiDeployment.id"
    )


class LtiDeployment(Base):
    """One deployment id the platform launches us with."""

    __tablename__ = "lms_lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lms_lti_platform.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255))

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiStoredValue(Base):
    """pylti1p3's launch data storage in the database: the OIDC state, the
    nonce and the launch data, seen by every process and consumed once."""

    __tablename__ = "lms_lti_stored_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    value: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiUser(Base):
    """A platform's user as a learner profile here: by issuer and subject only."""

    __tablename__ = "lms_lti_user"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lms_lti_platform.id", ondelete="CASCADE"), index=True
    )
    sub: Mapped[str] = mapped_column(String(255))
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiContext(Base):
    """A platform's course (its context) as a cohort of the platform's organisation."""

    __tablename__ = "lms_lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lms_lti_platform.id", ondelete="CASCADE"), index=True
    )
    context_id: Mapped[str] = mapped_column(String(255))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("lms_cohort.id", ondelete="CASCADE"))


class LtiLaunchSession(Base):
    """A browser signed in by a launch (often inside the platform's iframe)."""

    __tablename__ = "lms_lti_launch_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lms_lti_platform.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class LtiLineItem(Base):
    """Where a learner's quiz score goes: the line item of the launch's resource link."""

    __tablename__ = "lms_lti_line_item"
    __table_args__ = (UniqueConstraint("platform_id", "profile_id", "course_key", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(
        ForeignKey("lms_lti_platform.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    course_key: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiScore(Base):
    """One graded attempt's score waiting for (or done with) the platform's gradebook."""

    __tablename__ = "lms_lti_score"
    __table_args__ = (UniqueConstraint("line_item_id", "attempt_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(
        ForeignKey("lms_lti_line_item.id", ondelete="CASCADE"), index=True
    )
    attempt_id: Mapped[int]
    score: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))

    line_item: Mapped[LtiLineItem] = relationship()

"""What an employer organisation holds: hiring codes, the certificates learners
shared with it, its audit trail, its daily bulk-check budget and its API keys."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation, Profile
from lms.db import Base, enum_values, utcnow


class HiringCode(Base):
    """A code (and link) an employer gives out, e.g. printed at the hiring desk.

    A learner who types it chooses which certificates to share; the code itself
    grants the employer nothing.
    """

    __tablename__ = "lms_hiring_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    #: the short code typed on a phone, stored normalised (upper case)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: the opaque part of the share link
    token: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class CertificateShare(Base):
    """One certificate a learner shares with one employer organisation.

    Withdrawing keeps the row with ``withdrawn_at``: the employer sees nothing of
    it from then on; sharing again reopens it. ``last_state`` is the status the
    employer was last told about, so a change is noticed exactly once.
    """

    __tablename__ = "lms_certificate_share"
    __table_args__ = (UniqueConstraint("organisation_id", "certificate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("lms_certificate.id", ondelete="CASCADE"), index=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    hiring_code_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_hiring_code.id", ondelete="SET NULL")
    )
    #: the learner ticked "show my mobile number"
    show_phone: Mapped[bool] = mapped_column(default=False)
    #: the learner ticked "show my (masked) ID number"
    show_id_number: Mapped[bool] = mapped_column(default=False)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    last_state: Mapped[str] = mapped_column(String(16))
    state_changed_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    profile: Mapped[Profile] = relationship()


class ShareAction(enum.StrEnum):
    SHARED = "shared"
    WITHDRAWN = "withdrawn"
    CHANGED = "changed"


class ShareEvent(Base):
    """Audit log of sharing: who shared or withdrew which certificate with whom, when."""

    __tablename__ = "lms_share_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    share_id: Mapped[int] = mapped_column(
        ForeignKey("lms_certificate_share.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[ShareAction] = mapped_column(
        Enum(ShareAction, values_callable=enum_values, native_enum=False, length=16)
    )
    #: the profile who acted; None for the system (a status change noticed)
    actor_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    detail: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class DashboardVisit(Base):
    """When an employer's person last looked at the dashboard: what changed since is marked."""

    __tablename__ = "lms_dashboard_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), unique=True
    )
    visited_at: Mapped[datetime] = mapped_column(default=utcnow)


class BulkCheckUsage(Base):
    """Rows an employer organisation checked in bulk on one day (its daily budget)."""

    __tablename__ = "lms_bulk_check_usage"
    __table_args__ = (UniqueConstraint("organisation_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date]
    rows: Mapped[int] = mapped_column(default=0)


class ApiScope(enum.StrEnum):
    """What a key may do; verifying numbers is the only thing for now."""

    VERIFY = "verify"


class ApiKey(Base):
    """A key an HR system sends as ``Authorization: Bearer``; only its SHA-256 is kept."""

    __tablename__ = "lms_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(80))
    scope: Mapped[ApiScope] = mapped_column(
        Enum(ApiScope, values_callable=enum_values, native_enum=False, length=16)
    )
    #: the first characters of the key, shown so people can tell keys apart
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class BulkCheck(Base):
    """One uploaded file's answers, kept so its table can be shown and downloaded.

    ``results`` holds only what a verifier may learn (names masked unless the
    name given matches).
    """

    __tablename__ = "lms_bulk_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    filename: Mapped[str] = mapped_column(String(200))
    results: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

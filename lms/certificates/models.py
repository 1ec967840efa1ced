"""Issued certificates and their audit trail."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from lms.db import Base, enum_values, utcnow


class CertificateKind(enum.StrEnum):
    TRAINING = "training"
    LEVEL = "level"


class CertificateStatus(enum.StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class RevocationCategory(enum.StrEnum):
    """Why a certificate was revoked, as every verifier sees it.

    The admin's own words go only into the audit log: a free-text reason shown
    to anyone could name the holder's misconduct or carry anything at all.
    """

    ISSUED_IN_ERROR = "issued_in_error"
    NAME_CORRECTED = "name_corrected"
    OBTAINED_BY_FRAUD = "obtained_by_fraud"
    OTHER = "other"


class CertificateAction(enum.StrEnum):
    ISSUED = "issued"
    REVOKED = "revoked"
    REISSUED = "reissued"
    RENDERED = "rendered"
    SHARED = "shared"
    SHARE_WITHDRAWN = "share_withdrawn"


class Certificate(Base):
    """One certificate as issued: the facts, its signed token and its PDF bytes.

    ``achievement_key`` is unique, so each achievement of a person is certified
    exactly once however many triggers race; a re-issue gives the new
    certificate the key and parks the old one's key under its own number.
    """

    __tablename__ = "lms_certificate"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_index"),
        # The job runner's work list: only the certificates still without their PDF.
        Index(
            "ix_lms_certificate_pdf_pending",
            "pdf_next_attempt_at",
            postgresql_where=text("pdf_sha256 IS NULL"),
            sqlite_where=text("pdf_sha256 IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: compact form (``LMS`` + 14 symbols), see ``numbers.py``
    number: Mapped[str] = mapped_column(String(24), unique=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[CertificateKind] = mapped_column(
        Enum(CertificateKind, values_callable=enum_values, native_enum=False, length=16)
    )
    achievement_key: Mapped[str] = mapped_column(String(200), unique=True)
    holder_name: Mapped[str] = mapped_column(String(80))
    masked_id_number: Mapped[str | None] = mapped_column(String(32))
    #: occupation or track key and its bilingual title at issue time
    track_key: Mapped[str | None] = mapped_column(String(64))
    track_title: Mapped[dict[str, Any]]
    course_key: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[int | None]
    #: the course or level title at issue time, bilingual
    title: Mapped[dict[str, Any]]
    hours: Mapped[float] = mapped_column(default=0.0)
    evidence: Mapped[dict[str, Any]]
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    issuer_name: Mapped[str] = mapped_column(String(200))
    #: the organisation whose admins may manage this certificate: the owner of
    #: the course, or the publishing organisation for shipped content and levels
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="RESTRICT"), index=True
    )
    key_id: Mapped[str] = mapped_column(String(64))
    #: the signed VC-JWT (an OpenBadgeCredential); ``v1.`` tokens before issue 17
    token: Mapped[str] = mapped_column(Text)
    #: the certificate's entry in its organisation's revocation status list
    status_list_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_certificate_status_list.id", ondelete="RESTRICT")
    )
    status_index: Mapped[int | None]
    status: Mapped[CertificateStatus] = mapped_column(
        Enum(CertificateStatus, values_callable=enum_values, native_enum=False, length=16),
        default=CertificateStatus.VALID,
    )
    revoked_at: Mapped[datetime | None]
    revocation_category: Mapped[RevocationCategory | None] = mapped_column(
        Enum(RevocationCategory, values_callable=enum_values, native_enum=False, length=32)
    )
    superseded_by: Mapped[str | None] = mapped_column(String(24))
    # Deferred: lists and lookups never load the PDF bytes.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    #: the job runner's record (see ``rendering.py``): a certificate without
    #: ``pdf_sha256`` is itself the job, so nothing is lost if Redis is down
    pdf_rendered_at: Mapped[datetime | None]
    pdf_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    pdf_error: Mapped[str | None] = mapped_column(String(500))
    #: None: due now; after a failure, when the next try is due
    pdf_next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateEvent(Base):
    """Audit log: who issued, revoked or re-issued which certificate, when and why."""

    __tablename__ = "lms_certificate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("lms_certificate.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[CertificateAction] = mapped_column(
        Enum(CertificateAction, values_callable=enum_values, native_enum=False, length=16)
    )
    #: the profile who acted; None for the system (an automatic issue)
    actor_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    detail: Mapped[dict[str, Any]]
    #: the certificate's organisation: whose admins may read this entry
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class CertificateStatusList(Base):
    """One organisation's W3C Bitstring Status List of revoked certificates.

    ``next_index`` hands out entries with one guarded ``UPDATE``, so concurrent
    issues never share an index; ``credential`` is the signed list as served,
    rebuilt on every revocation (and on a key rotation).
    """

    __tablename__ = "lms_certificate_status_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="RESTRICT"), unique=True
    )
    next_index: Mapped[int] = mapped_column(default=0)
    #: entries in the bitstring: the specification's minimum, grown in whole steps
    size: Mapped[int] = mapped_column(default=131072)
    revision: Mapped[int] = mapped_column(default=0)
    credential: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateDesign(Base):
    """An organisation's own look for its certificates: logo, seal, signatory, accent.

    The images are kept as re-encoded PNG bytes in the database, so every app
    server renders the same certificate without a shared disk.
    """

    __tablename__ = "lms_certificate_design"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), unique=True
    )
    logo_png: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    seal_png: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    signatory_name: Mapped[str] = mapped_column(String(80), default="")
    signatory_title: Mapped[str] = mapped_column(String(120), default="")
    #: ``#rrggbb``
    accent: Mapped[str] = mapped_column(String(7), default="#7a5a16")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CertificateShareLink(Base):
    """A public link the holder made to show a certificate in chat apps (``/s/<key>``).

    Its key is random, not derived from the certificate like the printed QR's, so
    withdrawing it ends that link without touching the paper. A certificate has
    at most one link in use (the partial unique index); withdrawing keeps the
    row, so the old key answers "withdrawn" rather than "never existed".
    (``lms_certificate_share`` is the employers' share, hence ``_link``.)
    """

    __tablename__ = "lms_certificate_share_link"
    __table_args__ = (
        Index(
            "uq_lms_certificate_share_link_active",
            "certificate_id",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("lms_certificate.id", ondelete="CASCADE"), index=True
    )
    #: ``secrets.token_urlsafe``: 128 random bits in 22 URL-safe characters
    key: Mapped[str] = mapped_column(String(43), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    #: page views, shown to the holder (the preview image is not counted)
    view_count: Mapped[int] = mapped_column(default=0)

"""People, their roles and the organisations they belong to."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, enum_values, utcnow


class Role(enum.StrEnum):
    LEARNER = "learner"
    TRAINER = "trainer"
    EMPLOYER = "employer"
    #: an organisation's admin: acts only inside their organisation
    ADMIN = "admin"
    #: the deployment's operator: manages organisations and their admins, sees all
    PLATFORM_ADMIN = "platform_admin"


class OrganisationKind(enum.StrEnum):
    TRAINING_PROVIDER = "training-provider"
    PLATFORM = "platform"
    SERVICE_CENTRE = "service-centre"
    EMPLOYER = "employer"


class Organisation(Base):
    """A training provider, platform company, district service centre or employer."""

    __tablename__ = "lms_organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        Enum(OrganisationKind, values_callable=enum_values, native_enum=False, length=32)
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A login of the standalone app: mobile number and password.

    In plugin mode the host owns users and this table stays empty.
    """

    __tablename__ = "lms_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Flask-Login's protocol, spelled out instead of inheriting UserMixin's
    # class attributes onto a mapped class.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class Profile(Base):
    """What the LMS knows of a person, keyed by the host's (or our) user id."""

    __tablename__ = "lms_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    role: Mapped[Role] = mapped_column(
        Enum(Role, values_callable=enum_values, native_enum=False, length=16),
        default=Role.LEARNER,
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class LoginSession(Base):
    """One signed-in browser of a standalone user.

    The session cookie carries the token; the table holds only its SHA-256.
    Logging out, changing the password or "sign out everywhere" ends rows here,
    so a copied cookie stops working on every app process at once.
    """

    __tablename__ = "lms_login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Consecutive failed logins per phone number or client address.

    Kept in the database, not in process memory, so every app process sees the
    same count.
    """

    __tablename__ = "lms_login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Cohort(Base):
    """A group of learners kept by an organisation: a station, an employer, a class."""

    __tablename__ = "lms_cohort"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class CohortMember(Base):
    """A learner who accepted to join a cohort; a learner may be in cohorts of
    several organisations. A learner who left keeps the row with ``left_at``:
    the organisation sees nothing of them from then on."""

    __tablename__ = "lms_cohort_member"
    __table_args__ = (UniqueConstraint("cohort_id", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("lms_cohort.id", ondelete="CASCADE"))
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    #: the invitation the learner accepted
    invite_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_cohort_invite.id", ondelete="SET NULL")
    )

    cohort: Mapped[Cohort] = relationship()


class CohortInvite(Base):
    """An invitation to one cohort: a link (and its QR code) and a short join code.

    A trainer sets its expiry and use limit and can revoke it. With ``phone`` it
    is a trainer's pre-registration of one number: still only an invitation,
    which that learner sees after logging in and may accept.
    """

    __tablename__ = "lms_cohort_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("lms_cohort.id", ondelete="CASCADE"), index=True
    )
    #: the opaque part of the invite link
    token: Mapped[str] = mapped_column(String(64), unique=True)
    #: the short code typed on a phone, stored normalised (upper case)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    phone: Mapped[str | None] = mapped_column(String(11), index=True)
    expires_at: Mapped[datetime]
    max_uses: Mapped[int]
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    created_by: Mapped[Profile | None] = relationship()


class SmsCode(Base):
    """A sign-in code sent by SMS, or refused to a number with no account.

    A row is kept for every request, registered number or not, so the limits
    per number and per client address count the same either way and hold
    across app processes. Only a keyed SHA-256 of the code is stored.
    """

    __tablename__ = "lms_sms_code"
    __table_args__ = (UniqueConstraint("phone", "minute", name="uq_lms_sms_code_phone_minute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), index=True)
    #: None when the number has no account: no SMS went out and no code can match
    user_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    #: the client address that asked, for the per-address limit
    address: Mapped[str] = mapped_column(String(60), index=True)
    #: minutes since the epoch: two requests racing in one minute cannot both insert
    minute: Mapped[int]
    tries: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

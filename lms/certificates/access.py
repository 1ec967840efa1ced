"""Looking certificates up, and the one rule per action on a certificate.

Every certificate belongs to one organisation; views, exports and the CLI ask
these functions, never the role alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import abort
from sqlalchemy import ColumnElement, false, select, true

from lms.accounts.access import ADMIN_ROLES, is_admin_of, is_platform_admin
from lms.accounts.models import Profile
from lms.certificates import numbers
from lms.certificates.models import Certificate, CertificateEvent, CertificateShareLink
from lms.config import config_value
from lms.state import get_session


def certificate_by_number(compact: str) -> Certificate | None:
    """A certificate by its compact number."""
    return get_session().scalar(select(Certificate).where(Certificate.number == compact))


def certificate_or_404(number: str) -> Certificate:
    """The certificate a page's URL names, as typed (any spacing or case); 404 if none."""
    check = numbers.check_number(number)
    certificate = certificate_by_number(check.compact or "") if check.ok else None
    if certificate is None:
        abort(404)
    return certificate


def certificates_of(profile_id: int) -> list[Certificate]:
    """A person's certificates, newest first."""
    return list(
        get_session().scalars(
            select(Certificate)
            .where(Certificate.profile_id == profile_id)
            .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        )
    )


def _visible_scope(profile: Profile) -> ColumnElement[bool]:
    """The certificates a profile may list: all for the platform admin, else its organisation's."""
    if is_platform_admin(profile):
        return true()
    if not profile.has_role(*ADMIN_ROLES) or profile.organisation_id is None:
        return false()
    return Certificate.organisation_id == profile.organisation_id


def manageable_certificates(admin: Profile, limit: int = 200) -> list[Certificate]:
    """The certificates an admin may see on the admin pages, newest first."""
    query = (
        select(Certificate)
        .where(_visible_scope(admin))
        .order_by(Certificate.created_at.desc(), Certificate.id.desc())
    )
    return list(get_session().scalars(query.limit(limit)))


def can_manage_certificate(profile: Profile | None, certificate: Certificate) -> bool:
    """Revoke or re-issue: only admins of the certificate's organisation."""
    return is_admin_of(profile, certificate.organisation_id)


def can_view_certificate_record(profile: Profile | None, certificate: Certificate) -> bool:
    """The admin page and history: admins of its organisation and the platform admin."""
    return is_platform_admin(profile) or can_manage_certificate(profile, certificate)


def can_view_certificate(
    profile: Profile | None,
    certificate: Certificate,
    token: str | None = None,
    key: str | None = None,
) -> bool:
    """The PDF and credential: the holder, whoever may see its record, or a holder
    of the printed QR's key, of a share link in use (its key) or of the signed token."""
    if profile is not None and profile.id == certificate.profile_id:
        return True
    if can_view_certificate_record(profile, certificate):
        return True
    if is_share_key(certificate, key) or is_active_link_key(certificate, key):
        return True
    return bool(token) and token == certificate.token


#: what a share link's key looks like (``secrets.token_urlsafe``)
LINK_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,43}")

#: characters of the share key: 72 bits, unguessable, and the QR stays small
SHARE_KEY_LENGTH = 12


def share_key(certificate: Certificate) -> str:
    """The short key of the certificate's share link, derived from its signed token."""
    digest = hashlib.sha256(certificate.token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:SHARE_KEY_LENGTH]


def is_share_key(certificate: Certificate, key: str | None) -> bool:
    """True when ``key`` is this certificate's share key (compared in constant time)."""
    return bool(key) and hmac.compare_digest(share_key(certificate), str(key))


def is_active_link_key(certificate: Certificate, key: str | None) -> bool:
    """True when ``key`` is a share link of this certificate that was not withdrawn."""
    # Anything else (a NUL byte PostgreSQL refuses, a page of text) is no key of ours.
    if not LINK_KEY_SHAPE.fullmatch(key or ""):
        return False
    found = get_session().scalar(
        select(CertificateShareLink.id).where(
            CertificateShareLink.certificate_id == certificate.id,
            CertificateShareLink.key == key,
            CertificateShareLink.withdrawn_at.is_(None),
        )
    )
    return found is not None


def events_of(
    profile: Profile, certificate_ids: list[int] | None = None, limit: int = 200
) -> list[CertificateEvent]:
    """Audit events the profile may read, newest first (optionally of some certificates)."""
    query = select(CertificateEvent).order_by(
        CertificateEvent.created_at.desc(), CertificateEvent.id.desc()
    )
    if not is_platform_admin(profile):
        if not profile.has_role(*ADMIN_ROLES) or profile.organisation_id is None:
            return []
        query = query.where(CertificateEvent.organisation_id == profile.organisation_id)
    if certificate_ids is not None:
        query = query.where(CertificateEvent.certificate_id.in_(certificate_ids))
    return list(get_session().scalars(query.limit(limit)))


def audit_events(
    profile: Profile,
    since: date | None = None,
    until: date | None = None,
    actor_id: int | None = None,
    certificate_id: int | None = None,
    limit: int = 500,
) -> list[CertificateEvent]:
    """The audit entries the profile may read, filtered by day, actor and certificate."""
    query = select(CertificateEvent).order_by(
        CertificateEvent.created_at.desc(), CertificateEvent.id.desc()
    )
    if not is_platform_admin(profile):
        if not profile.has_role(*ADMIN_ROLES) or profile.organisation_id is None:
            return []
        query = query.where(CertificateEvent.organisation_id == profile.organisation_id)
    zone = ZoneInfo(config_value("LMS_TIME_ZONE"))
    if since is not None:
        start = datetime.combine(since, time.min, tzinfo=zone)
        query = query.where(CertificateEvent.created_at >= start)
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        query = query.where(CertificateEvent.created_at < end)
    if actor_id is not None:
        query = query.where(CertificateEvent.actor_profile_id == actor_id)
    if certificate_id is not None:
        query = query.where(CertificateEvent.certificate_id == certificate_id)
    return list(get_session().scalars(query.limit(limit)))


def profiles_by_id(ids: set[int]) -> dict[int, Profile]:
    """The profiles of some ids (audit actors), to show names instead of numbers."""
    if not ids:
        return {}
    return {p.id: p for p in get_session().scalars(select(Profile).where(Profile.id.in_(ids)))}


def certificates_by_id(ids: set[int]) -> dict[int, Certificate]:
    """The certificates of some ids."""
    if not ids:
        return {}
    found = get_session().scalars(select(Certificate).where(Certificate.id.in_(ids)))
    return {c.id: c for c in found}

"""Looking certificates up, and who may download or manage which."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import Profile, Role
from lms.certificates.models import Certificate, CertificateEvent
from lms.state import get_session


def certificate_by_number(compact: str) -> Certificate | None:
    """A certificate by its compact number."""
    return get_session().scalar(select(Certificate).where(Certificate.number == compact))


def certificates_of(profile_id: int) -> list[Certificate]:
    """A person's certificates, newest first."""
    return list(
        get_session().scalars(
            select(Certificate)
            .where(Certificate.profile_id == profile_id)
            .order_by(Certificate.created_at.desc(), Certificate.id.desc())
        )
    )


def manageable_certificates(admin: Profile, limit: int = 200) -> list[Certificate]:
    """The certificates an admin may manage, newest first."""
    query = select(Certificate).order_by(Certificate.created_at.desc(), Certificate.id.desc())
    if admin.organisation_id is not None:
        query = query.where(
            (Certificate.organisation_id == admin.organisation_id)
            | Certificate.organisation_id.is_(None)
        )
    return list(get_session().scalars(query.limit(limit)))


def can_manage(profile: Profile | None, certificate: Certificate) -> bool:
    """Admins of the issuing organisation (any admin if it names none)."""
    if profile is None or not profile.has_role(Role.ADMIN):
        return False
    return certificate.organisation_id is None or certificate.organisation_id == (
        profile.organisation_id
    )


def can_download(profile: Profile | None, certificate: Certificate, token: str | None) -> bool:
    """The holder, an admin of the issuer, or anyone holding the share link's token."""
    if profile is not None and profile.id == certificate.profile_id:
        return True
    if can_manage(profile, certificate):
        return True
    return bool(token) and token == certificate.token


def events_of(certificate_ids: list[int] | None = None, limit: int = 200) -> list[CertificateEvent]:
    """Audit events, newest first (optionally of some certificates)."""
    query = select(CertificateEvent).order_by(
        CertificateEvent.created_at.desc(), CertificateEvent.id.desc()
    )
    if certificate_ids is not None:
        query = query.where(CertificateEvent.certificate_id.in_(certificate_ids))
    return list(get_session().scalars(query.limit(limit)))

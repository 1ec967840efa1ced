"""The employers' rules: who acts for an employer, hiring codes, sharing with
consent and withdrawing, the dashboard's live statuses and the alerts.

Certificates are read only through the certificates' public functions
(``verification.shared_records``, ``access.certificates_of``); nothing here
queries their tables.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from lms import signals
from lms.accounts.models import OrganisationKind, Profile, Role, User
from lms.certificates import access as certificate_access
from lms.certificates.verification import Verification, VerificationState, shared_records
from lms.config import config_value
from lms.db import utcnow
from lms.employers.models import (
    CertificateShare,
    DashboardVisit,
    HiringCode,
    ShareAction,
    ShareEvent,
)
from lms.i18n import _l
from lms.state import get_session

#: no 0/O, 1/I/L: a code read off a desk and typed on a phone must not be misread
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
DAYS_MAX = 90
#: roles that act for an employer organisation (its first account is an employer)
EMPLOYER_ROLES = (Role.EMPLOYER, Role.ADMIN)
#: dashboard filter: certificates expiring within at most this many days
EXPIRY_WINDOW_MAX = 3650


class EmployerError(Exception):
    """A refused employer action, with its message in the user's language and a status."""

    def __init__(self, message: object, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


# ---------------------------------------------------------------- who acts for an employer


def is_employer(profile: Profile | None) -> bool:
    """A person of an employer organisation (never a learner, trainer or other admin)."""
    return (
        profile is not None
        and profile.has_role(*EMPLOYER_ROLES)
        and profile.organisation is not None
        and profile.organisation.kind == OrganisationKind.EMPLOYER
    )


def employer_organisation_id(profile: Profile | None) -> int:
    """The employer organisation the person acts for, else EmployerError 403."""
    if not is_employer(profile) or profile is None or profile.organisation_id is None:
        raise EmployerError(_l("Only an employer's accounts can use this page."), 403)
    return profile.organisation_id


# ---------------------------------------------------------------- hiring codes


def normalise_code(raw: str) -> str:
    """A typed hiring code as stored: full-width folded, spaces and dashes gone, upper case."""
    folded = unicodedata.normalize("NFKC", raw or "")
    return "".join(char for char in folded if char.isalnum()).upper()[:16]


def _new_code() -> str:
    session = get_session()
    for _attempt in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(HiringCode.id).where(HiringCode.code == code)) is None:
            return code
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH + 4))


def create_hiring_code(employer: Profile, days: int, now: datetime | None = None) -> HiringCode:
    """A new hiring code of the employer's organisation, valid for ``days`` days."""
    organisation_id = employer_organisation_id(employer)
    if not 1 <= days <= DAYS_MAX:
        raise EmployerError(_l("Choose a validity of 1 to %(count)d days.", count=DAYS_MAX))
    code = HiringCode(
        organisation_id=organisation_id,
        code=_new_code(),
        token=secrets.token_urlsafe(24),
        expires_at=(now or utcnow()) + timedelta(days=days),
        created_by_id=employer.id,
    )
    session = get_session()
    session.add(code)
    session.flush()
    return code


def hiring_codes(employer: Profile) -> list[HiringCode]:
    """The organisation's hiring codes, newest first."""
    organisation_id = employer_organisation_id(employer)
    return list(
        get_session().scalars(
            select(HiringCode)
            .where(HiringCode.organisation_id == organisation_id)
            .order_by(HiringCode.created_at.desc(), HiringCode.id.desc())
        )
    )


def revoke_hiring_code(employer: Profile, code_id: int) -> HiringCode:
    """Stop a hiring code from being used; shares made with it stay."""
    organisation_id = employer_organisation_id(employer)
    code = get_session().get(HiringCode, code_id)
    if code is None or code.organisation_id != organisation_id:
        raise EmployerError(_l("This hiring code does not exist."), 404)
    if code.revoked_at is None:
        code.revoked_at = utcnow()
        get_session().flush()
    return code


def _usable(code: HiringCode | None, now: datetime | None) -> HiringCode:
    if code is None:
        raise EmployerError(_l("No employer has this hiring code. Check it and try again."), 404)
    if code.revoked_at is not None or code.expires_at <= (now or utcnow()):
        raise EmployerError(
            _l("This hiring code has expired. Ask the employer for a new one."), 410
        )
    return code


def hiring_code_by_text(raw: str, now: datetime | None = None) -> HiringCode:
    """The usable hiring code a learner typed, else EmployerError (404 unknown, 410 expired)."""
    code = normalise_code(raw)
    if not code:
        raise EmployerError(_l("Type the hiring code the employer gave you."))
    found = get_session().scalar(select(HiringCode).where(HiringCode.code == code))
    return _usable(found, now)


def hiring_code_by_token(token: str, now: datetime | None = None) -> HiringCode:
    """The usable hiring code of a share link, else EmployerError."""
    found = get_session().scalar(select(HiringCode).where(HiringCode.token == (token or "")[:64]))
    return _usable(found, now)


# ---------------------------------------------------------------- sharing with consent


def _audit(
    share: CertificateShare, action: ShareAction, actor_id: int | None, **detail: object
) -> None:
    get_session().add(
        ShareEvent(
            share_id=share.id,
            organisation_id=share.organisation_id,
            action=action,
            actor_profile_id=actor_id,
            detail=dict(detail),
        )
    )


def share_certificates(
    learner: Profile,
    code: HiringCode,
    certificate_ids: Iterable[int],
    show_phone: bool = False,
    show_id_number: bool = False,
    now: datetime | None = None,
) -> list[CertificateShare]:
    """Share some of the learner's own certificates with the code's employer.

    All or nothing: a certificate that is not the learner's refuses the whole
    request. Sharing again updates what the learner ticked.
    """
    _usable(code, now)
    chosen = set(certificate_ids)
    if not chosen:
        raise EmployerError(_l("Choose at least one certificate to share."))
    own = {c.id: c for c in certificate_access.certificates_of(learner.id)}
    if not chosen <= set(own):
        raise EmployerError(_l("Choose certificates from your own list."), 404)
    session = get_session()
    records = shared_records(chosen)
    shares = []
    for certificate_id in sorted(chosen):
        share = session.scalar(
            select(CertificateShare).where(
                CertificateShare.organisation_id == code.organisation_id,
                CertificateShare.certificate_id == certificate_id,
            )
        )
        state = records[certificate_id].state.value
        if share is None:
            share = CertificateShare(
                organisation_id=code.organisation_id,
                certificate_id=certificate_id,
                profile_id=learner.id,
                last_state=state,
            )
            session.add(share)
        share.hiring_code_id = code.id
        share.show_phone = bool(show_phone)
        share.show_id_number = bool(show_id_number)
        share.shared_at = now or utcnow()
        share.withdrawn_at = None
        share.last_state = state
        share.state_changed_at = None
        session.flush()
        _audit(
            share,
            ShareAction.SHARED,
            learner.id,
            number=own[certificate_id].number,
            phone=share.show_phone,
            id_number=share.show_id_number,
        )
        shares.append(share)
    session.flush()
    return shares


def learner_shares(learner: Profile) -> list[CertificateShare]:
    """The learner's shares that are in force, newest first."""
    return list(
        get_session().scalars(
            select(CertificateShare)
            .where(
                CertificateShare.profile_id == learner.id, CertificateShare.withdrawn_at.is_(None)
            )
            .order_by(CertificateShare.shared_at.desc(), CertificateShare.id.desc())
        )
    )


def withdraw_share(learner: Profile, share_id: int) -> CertificateShare:
    """End a share: from this moment the employer sees nothing of that certificate."""
    share = get_session().get(CertificateShare, share_id)
    if share is None or share.profile_id != learner.id:
        raise EmployerError(_l("This share does not exist."), 404)
    if share.withdrawn_at is None:
        share.withdrawn_at = utcnow()
        _audit(share, ShareAction.WITHDRAWN, learner.id)
        get_session().flush()
    return share


def share_events(employer: Profile, limit: int = 200) -> list[ShareEvent]:
    """The organisation's sharing audit log, newest first."""
    organisation_id = employer_organisation_id(employer)
    return list(
        get_session().scalars(
            select(ShareEvent)
            .where(ShareEvent.organisation_id == organisation_id)
            .order_by(ShareEvent.created_at.desc(), ShareEvent.id.desc())
            .limit(limit)
        )
    )


def phone_of(profile: Profile) -> str | None:
    """The learner's mobile number (standalone accounts only; a host keeps its own)."""
    if not profile.user_ref.isdigit():
        return None
    user = get_session().get(User, int(profile.user_ref))
    return user.phone if user is not None else None


# ---------------------------------------------------------------- the dashboard


@dataclass(frozen=True)
class SharedCertificate:
    """One row of the employer's dashboard: only what the learner shared."""

    share: CertificateShare
    record: Verification
    phone: str | None
    id_number: str | None
    #: the status changed since this person's last visit
    changed: bool

    @property
    def state(self) -> VerificationState:
        return self.record.state


def local_today() -> dt.date:
    """Today in the deployment's time zone (LMS_TIME_ZONE)."""
    return datetime.now(ZoneInfo(config_value("LMS_TIME_ZONE"))).date()


def _notice_changes(
    shares: list[CertificateShare], records: dict[int, Verification], now: datetime
) -> None:
    """Compare each share's last known state with the certificate's; tell the host once."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for share in shares:
        record = records.get(share.certificate_id)
        if record is None:
            continue
        state = record.state.value
        if state == share.last_state:
            continue
        previous = share.last_state
        share.last_state = state
        share.state_changed_at = now
        _audit(share, ShareAction.CHANGED, None, previous=previous, state=state)
        signals.shared_certificate_changed.send(
            app,
            share=share,
            organisation_id=share.organisation_id,
            number=record.number,
            state=state,
            previous_state=previous,
        )
    get_session().flush()


def refresh_certificate_shares(certificate_id: int, now: datetime | None = None) -> None:
    """A certificate was revoked or superseded: note it on every share in force."""
    shares = list(
        get_session().scalars(
            select(CertificateShare).where(
                CertificateShare.certificate_id == certificate_id,
                CertificateShare.withdrawn_at.is_(None),
            )
        )
    )
    if shares:
        _notice_changes(shares, shared_records([certificate_id]), now or utcnow())


def _parse_status(status: str | None) -> VerificationState | None:
    if not status:
        return None
    try:
        chosen = VerificationState(status)
    except ValueError:
        raise EmployerError(_l("Choose a status from the list.")) from None
    if chosen not in DASHBOARD_STATES:
        raise EmployerError(_l("Choose a status from the list."))
    return chosen


DASHBOARD_STATES = (
    VerificationState.VALID,
    VerificationState.REVOKED,
    VerificationState.EXPIRED,
    VerificationState.SUPERSEDED,
)


def dashboard(
    employer: Profile,
    status: str | None = None,
    expiring_within: int | None = None,
    today: dt.date | None = None,
    now: datetime | None = None,
    mark_visit: bool = True,
) -> list[SharedCertificate]:
    """The certificates shared with the employer's organisation now, with live status.

    Filters: one status, or valid ones expiring within ``expiring_within`` days.
    Statuses that changed since the person's last visit are marked, and the
    visit is recorded (unless ``mark_visit`` is False, as for an export).
    """
    organisation_id = employer_organisation_id(employer)
    chosen = _parse_status(status)
    if expiring_within is not None and not 0 <= expiring_within <= EXPIRY_WINDOW_MAX:
        raise EmployerError(
            _l("Choose a number of days from 0 to %(count)d.", count=EXPIRY_WINDOW_MAX)
        )
    today = today or local_today()
    now = now or utcnow()
    session = get_session()
    shares = list(
        session.scalars(
            select(CertificateShare)
            .where(
                CertificateShare.organisation_id == organisation_id,
                CertificateShare.withdrawn_at.is_(None),
            )
            .order_by(CertificateShare.shared_at.desc(), CertificateShare.id.desc())
        )
    )
    records = shared_records([s.certificate_id for s in shares], today)
    _notice_changes(shares, records, now)
    visit = session.scalar(select(DashboardVisit).where(DashboardVisit.profile_id == employer.id))
    since = visit.visited_at if visit is not None else None
    rows = []
    for share in shares:
        record = records.get(share.certificate_id)
        if record is None or record.certificate is None:
            continue
        if chosen is not None and record.state is not chosen:
            continue
        expires_on = record.certificate.expires_on
        if expiring_within is not None and (
            record.state is not VerificationState.VALID
            or expires_on is None
            or (expires_on - today).days > expiring_within
        ):
            continue
        changed = share.state_changed_at is not None and (
            since is None or share.state_changed_at >= since
        )
        rows.append(
            SharedCertificate(
                share=share,
                record=record,
                phone=phone_of(share.profile) if share.show_phone else None,
                id_number=record.certificate.masked_id_number if share.show_id_number else None,
                changed=changed,
            )
        )
    if mark_visit:
        if visit is None:
            session.add(DashboardVisit(profile_id=employer.id, visited_at=now))
        else:
            # Strictly after: a change noticed in this very request stays marked once.
            visit.visited_at = now + timedelta(microseconds=1)
        session.flush()
    return rows


def preview_for(
    learner: Profile, certificate_id: int, show_phone: bool, show_id_number: bool
) -> SharedCertificate:
    """Exactly what an employer would see of one of the learner's certificates."""
    own = {c.id for c in certificate_access.certificates_of(learner.id)}
    if certificate_id not in own:
        raise EmployerError(_l("Choose certificates from your own list."), 404)
    record = shared_records([certificate_id])[certificate_id]
    preview = CertificateShare(
        organisation_id=0,
        certificate_id=certificate_id,
        profile_id=learner.id,
        show_phone=show_phone,
        show_id_number=show_id_number,
        last_state=record.state.value,
    )
    certificate = record.certificate
    return SharedCertificate(
        share=preview,
        record=record,
        phone=phone_of(learner) if show_phone else None,
        id_number=certificate.masked_id_number if show_id_number and certificate else None,
        changed=False,
    )

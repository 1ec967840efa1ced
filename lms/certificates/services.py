"""Issuing, revoking, re-issuing and verifying certificates.

Certificates are the issuing organisation's own training certificates
(培训合格证书, or a skill-level training certificate "对标" a national level);
nothing here produces the official 职业技能等级证书 title or numbering.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import signals
from lms.accounts.models import Profile, Role
from lms.certificates import keys, numbers, tokens
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateKind,
    CertificateStatus,
)
from lms.certificates.pdf import BILINGUAL_LABELS, CertificateDocument, render_pdf
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session, get_state

LOGGER = logging.getLogger(__name__)

#: 5 = 五级 ... 1 = 一级, as in content/levels.yaml. Printed only as "对标" (modelled on).
NATIONAL_LEVELS: dict[int, dict[str, str]] = {
    5: {"zh_CN": "五级/初级工", "en": "Level 5 / Junior worker"},
    4: {"zh_CN": "四级/中级工", "en": "Level 4 / Intermediate worker"},
    3: {"zh_CN": "三级/高级工", "en": "Level 3 / Senior worker"},
    2: {"zh_CN": "二级/技师", "en": "Level 2 / Technician"},
    1: {"zh_CN": "一级/高级技师", "en": "Level 1 / Senior technician"},
}
OCCUPATIONS: dict[str, dict[str, str]] = {
    "online-delivery-worker": {"zh_CN": "网约配送员", "en": "Online delivery worker"},
    "courier": {"zh_CN": "快递员", "en": "Courier"},
    "ride-hailing-driver": {"zh_CN": "网约车驾驶员", "en": "Ride-hailing driver"},
    "truck-driver": {"zh_CN": "货车司机", "en": "Truck driver"},
    "ecommerce-operator": {"zh_CN": "电子商务/互联网营销", "en": "E-commerce operator"},
}
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
TOKEN_OK = "valid"  # noqa: S105 - a verification outcome, not a secret
REASON_MAX = 500


class CertificateError(Exception):
    """A request the rules refuse; ``message`` is shown to the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


class VerificationState(enum.StrEnum):
    MALFORMED = "malformed"
    MISTYPED = "mistyped"
    NOT_FOUND = "not_found"
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


# ---------------------------------------------------------------- helpers


def _text(value: Any) -> dict[str, str]:
    """A bilingual text from a dict, a plain string or nothing."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items() if v}
    if value:
        return {"zh_CN": str(value), "en": str(value)}
    return {}


def _both(text: Mapping[str, str]) -> str:
    zh, en = text.get("zh_CN", ""), text.get("en", "")
    if zh and en and zh != en:
        return f"{zh} / {en}"
    return zh or en


def mask_name(name: str) -> str:
    """张*明 style: first and last character kept (Latin names: initials)."""
    name = name.strip()
    if " " in name:
        return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(raw: str | None) -> str | None:
    """An ID number with all but the first 3 and last 4 characters starred."""
    if not raw:
        return None
    cleaned = "".join(raw.split()).upper()
    if len(cleaned) < 8:
        return "*" * len(cleaned)
    return cleaned[:3] + "*" * (len(cleaned) - 7) + cleaned[-4:]


def _same_name(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split()).casefold()

    return bool(a.strip()) and fold(a) == fold(b)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def verify_url(compact_number: str) -> str:
    """Public verification URL of a certificate (printed and in the QR code)."""
    base = str(current_app.config.get("LMS_PUBLIC_URL") or "").rstrip("/")
    return f"{base}{get_state().url_prefix}/verify/{compact_number}"


def share_url(certificate: Certificate) -> str:
    """The verification URL with the signed token: shows the full record."""
    return f"{verify_url(certificate.number)}?t={certificate.token}"


def _level_text(level: int | None) -> dict[str, str]:
    national = NATIONAL_LEVELS.get(level or 0)
    if national is None:
        return {}
    return {
        "zh_CN": f"对标{national['zh_CN']}",
        "en": f"modelled on national {national['en']}",
    }


def _headings(kind: CertificateKind, level: int | None) -> tuple[str, str]:
    if kind is CertificateKind.LEVEL:
        text = _level_text(level)
        return (
            f"技能等级培训证书（{text.get('zh_CN', '')}）" if text else "技能等级培训证书",
            f"Skill-Level Training Certificate ({text['en']})"
            if text
            else "Skill-Level Training Certificate",
        )
    return "培训合格证书", "Certificate of Training"


def _token_fields(certificate: Certificate) -> dict[str, Any]:
    fields: dict[str, Any] = {
        tokens.FIELD_NUMBER: numbers.format_number(certificate.number),
        tokens.FIELD_HOLDER: certificate.holder_name,
        tokens.FIELD_KIND: certificate.kind.value,
        tokens.FIELD_ISSUED: certificate.issued_on.isoformat(),
        tokens.FIELD_EXPIRES: certificate.expires_on.isoformat()
        if certificate.expires_on
        else None,
        tokens.FIELD_ISSUER: certificate.issuer_name,
        tokens.FIELD_HOURS: certificate.hours,
        tokens.FIELD_VERIFY_URL: verify_url(certificate.number),
    }
    track = _both(certificate.track_title)
    if track:
        fields[tokens.FIELD_TRACK] = track
    if certificate.kind is CertificateKind.LEVEL:
        fields[tokens.FIELD_LEVEL] = _both(_level_text(certificate.level)) or str(certificate.level)
        fields[tokens.FIELD_COURSE] = _both(certificate.title)
    else:
        fields[tokens.FIELD_COURSE] = _both(certificate.title)
    return fields


def document_for(certificate: Certificate) -> CertificateDocument:
    """The printable values of a certificate."""
    heading_zh, heading_en = _headings(certificate.kind, certificate.level)
    rows: list[tuple[str, str]] = []
    if certificate.kind is CertificateKind.LEVEL:
        rows.append((BILINGUAL_LABELS["level"], _both(certificate.title)))
    else:
        rows.append((BILINGUAL_LABELS["course"], _both(certificate.title)))
    if certificate.track_title:
        rows.append((BILINGUAL_LABELS["occupation"], _both(certificate.track_title)))
    issued = certificate.issued_on
    hours = f"{certificate.hours:g}"
    return CertificateDocument(
        kind=certificate.kind.value,
        heading_zh=heading_zh,
        heading_en=heading_en,
        holder_name=certificate.holder_name,
        number=numbers.format_number(certificate.number),
        issued_on=issued.isoformat(),
        issued_on_zh=f"{issued.year}年{issued.month}月{issued.day}日",
        issuer_name=certificate.issuer_name,
        hours=hours,
        verify_url=verify_url(certificate.number),
        qr_url=share_url(certificate),
        key_id=certificate.key_id,
        rows=rows,
        masked_id_number=certificate.masked_id_number,
        expires_on=certificate.expires_on.isoformat() if certificate.expires_on else None,
    )


def _audit(
    certificate: Certificate,
    action: CertificateAction,
    actor_profile_id: int | None,
    **detail: Any,
) -> None:
    get_session().add(
        CertificateEvent(
            certificate_id=certificate.id,
            action=action,
            actor_profile_id=actor_profile_id,
            detail=detail,
        )
    )


# ---------------------------------------------------------------- issuing


def certificate_for_achievement(achievement_key: str) -> Certificate | None:
    """The certificate already issued for an achievement, if any."""
    return get_session().scalar(
        select(Certificate).where(Certificate.achievement_key == achievement_key)
    )


def render_certificate(certificate: Certificate) -> bytes:
    """Render and store the PDF once; later calls return the stored bytes."""
    if certificate.pdf is not None:
        return certificate.pdf
    data = render_pdf(document_for(certificate))
    certificate.pdf = data
    certificate.pdf_sha256 = hashlib.sha256(data).hexdigest()
    get_session().flush()
    return data


def issue_certificate(
    *,
    profile_id: int,
    kind: CertificateKind,
    achievement_key: str,
    title: Mapping[str, str] | str,
    hours: float,
    evidence: Mapping[str, Any],
    track_key: str | None = None,
    track_title: Mapping[str, str] | str | None = None,
    course_key: str | None = None,
    level: int | None = None,
    holder_name: str | None = None,
    id_number: str | None = None,
    organisation_id: int | None = None,
    issued_on: dt.date | None = None,
    render: bool = True,
    actor_profile_id: int | None = None,
) -> Certificate:
    """Issue the certificate of one achievement, exactly once.

    Idempotent: a second call for the same ``achievement_key`` (also from a
    concurrent transaction) returns the certificate issued first.
    """
    found = certificate_for_achievement(achievement_key)
    if found is not None:
        return found
    session = get_session()
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise CertificateError(_l("No such person."))
    issued = issued_on or dt.date.today()
    years = current_app.config.get("LMS_CERTIFICATE_VALID_YEARS")
    signing = keys.signing_key()
    for _attempt in range(3):
        certificate = Certificate(
            number=numbers.format_number(numbers.new_certificate_number()).replace("-", ""),
            profile_id=profile_id,
            kind=kind,
            achievement_key=achievement_key,
            holder_name=(holder_name or profile.display_name).strip(),
            masked_id_number=mask_id_number(id_number),
            track_key=track_key,
            track_title=_text(track_title),
            course_key=course_key,
            level=level,
            title=_text(title),
            hours=round(float(hours), 1),
            evidence=dict(evidence),
            issued_on=issued,
            expires_on=_add_years(issued, int(years)) if years else None,
            issuer_name=str(current_app.config.get("LMS_ISSUER_NAME") or ""),
            organisation_id=organisation_id,
            key_id=signing.kid,
            token="",
            status=CertificateStatus.VALID,
        )
        certificate.token = tokens.sign_certificate(
            _token_fields(certificate), signing.private_key, signing.kid
        )
        # A savepoint: losing the race to a concurrent trigger must not undo
        # the caller's own work (the graded attempt, the level reached).
        savepoint = session.begin_nested()
        try:
            session.add(certificate)
            session.flush()
        except IntegrityError:
            savepoint.rollback()
            found = certificate_for_achievement(achievement_key)
            if found is not None:
                return found
            continue  # the random number collided: draw another
        savepoint.commit()
        break
    else:
        raise RuntimeError("could not store a certificate after three attempts")
    _audit(certificate, CertificateAction.ISSUED, actor_profile_id, achievement=achievement_key)
    if render:
        try:
            render_certificate(certificate)
        except Exception:
            # The certificate stands without its PDF; the download or
            # `flask lms certificates render --all` renders it later.
            LOGGER.exception("rendering certificate %s failed", certificate.number)
    signals.certificate_issued.send(current_app._get_current_object(), certificate=certificate)  # type: ignore[attr-defined]
    return certificate


def revoke_certificate(certificate: Certificate, reason: str, actor_profile_id: int | None) -> None:
    """Revoke a valid certificate; the reason is required and shown to verifiers."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_l("Give the reason for revoking this certificate."))
    if len(reason) > REASON_MAX:
        raise CertificateError(_l("Keep the reason under %(count)d characters.", count=REASON_MAX))
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateError(_l("Only a valid certificate can be revoked."))
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = utcnow()
    certificate.revocation_reason = reason
    _audit(certificate, CertificateAction.REVOKED, actor_profile_id, reason=reason)
    get_session().flush()


def reissue_certificate(
    certificate: Certificate, new_holder_name: str, actor_profile_id: int | None
) -> Certificate:
    """Issue a corrected copy (e.g. the name); the old one becomes superseded."""
    name = (new_holder_name or "").strip()
    if not name or len(name) > 80:
        raise CertificateError(_l("Enter the holder's name as it should appear."))
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateError(_l("Only a valid certificate can be re-issued."))
    session = get_session()
    key = certificate.achievement_key
    # The achievement belongs to the new certificate from now on.
    certificate.achievement_key = f"{key}#superseded:{certificate.number}"
    certificate.status = CertificateStatus.SUPERSEDED
    session.flush()
    evidence = dict(certificate.evidence)
    evidence["reissue_of"] = certificate.number
    new = issue_certificate(
        profile_id=certificate.profile_id,
        kind=certificate.kind,
        achievement_key=key,
        title=certificate.title,
        hours=certificate.hours,
        evidence=evidence,
        track_key=certificate.track_key,
        track_title=certificate.track_title,
        course_key=certificate.course_key,
        level=certificate.level,
        holder_name=name,
        # Masking a masked number leaves it as it is.
        id_number=certificate.masked_id_number,
        organisation_id=certificate.organisation_id,
        actor_profile_id=actor_profile_id,
    )
    certificate.superseded_by = new.number
    _audit(
        certificate,
        CertificateAction.REISSUED,
        actor_profile_id,
        new_number=new.number,
        holder_name=name,
    )
    session.flush()
    return new


# ---------------------------------------------------------------- signal receivers


def _training_hours(profile_id: int, lesson_keys: list[str] | None, fallback_minutes: int) -> float:
    try:
        from lms.courses.progress import training_seconds
    except ImportError:
        return fallback_minutes / 60
    seconds = training_seconds(profile_id, lesson_keys=lesson_keys)
    return max(seconds, 0) / 3600 if seconds else fallback_minutes / 60


def issue_for_attempt(attempt: Any) -> Certificate | None:
    """Issue the training certificate of a passed course attempt (None if not passed)."""
    if not getattr(attempt, "passed", False):
        return None
    from lms.courses.models import Course, CourseVersion

    session = get_session()
    version = session.get(CourseVersion, attempt.course_version_id)
    if version is None:
        return None
    course = session.get(Course, version.course_id)
    occupations = list(version.occupations or [])
    track_key = occupations[0] if occupations else None
    track_title = {
        "zh_CN": "、".join(OCCUPATIONS.get(o, {}).get("zh_CN", o) for o in occupations),
        "en": ", ".join(OCCUPATIONS.get(o, {}).get("en", o) for o in occupations),
    }
    lesson_keys = [lesson.key for lesson in version.lessons]
    graded_at = getattr(attempt, "graded_at", None)
    return issue_certificate(
        profile_id=attempt.profile_id,
        kind=CertificateKind.TRAINING,
        achievement_key=f"course:{attempt.course_key}:profile:{attempt.profile_id}",
        title=version.title,
        hours=_training_hours(attempt.profile_id, lesson_keys, version.total_minutes),
        evidence={
            "attempt_id": getattr(attempt, "id", None),
            "course_version": version.number,
            "score_percent": getattr(attempt, "score_percent", None),
            "graded_at": graded_at.isoformat() if graded_at else None,
        },
        track_key=track_key,
        track_title=track_title if occupations else None,
        course_key=attempt.course_key,
        organisation_id=course.organisation_id if course else None,
    )


def _title_of(obj: Any, *names: str) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value:
            return getattr(value, "title", value)
    return None


def issue_for_level(achievement: Any) -> Certificate:
    """Issue the skill-level training certificate of a level reached."""
    level = int(achievement.level)
    evidence = dict(getattr(achievement, "evidence", None) or {})
    reached = getattr(achievement, "reached_at", None)
    if reached is not None:
        evidence.setdefault("reached_at", reached.isoformat())
    track_title = _title_of(achievement, "track_title", "track") or OCCUPATIONS.get(
        achievement.track_key
    )
    level_title = _title_of(achievement, "level_title", "title") or _level_text(level)
    hours = evidence.get("hours")
    if not isinstance(hours, int | float):
        hours = _training_hours(achievement.profile_id, None, 0)
    return issue_certificate(
        profile_id=achievement.profile_id,
        kind=CertificateKind.LEVEL,
        achievement_key=f"level:{achievement.track_key}:{level}:profile:{achievement.profile_id}",
        title=level_title,
        hours=float(hours),
        evidence=evidence,
        track_key=achievement.track_key,
        track_title=track_title,
        level=level,
        organisation_id=getattr(achievement, "organisation_id", None),
    )


def _on_attempt_graded(sender: Any, attempt: Any = None, **_extra: Any) -> None:
    if attempt is not None:
        issue_for_attempt(attempt)


def _on_level_reached(sender: Any, achievement: Any = None, **_extra: Any) -> None:
    if achievement is not None:
        issue_for_level(achievement)


def connect_signals() -> None:
    """Issue certificates when a course is passed or a level reached (idempotent)."""
    signals.attempt_graded.connect(_on_attempt_graded, weak=False)
    signals.level_reached.connect(_on_level_reached, weak=False)


# ---------------------------------------------------------------- reading, access


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


# ---------------------------------------------------------------- verification


@dataclass
class Verification:
    """What a verifier may learn about a typed number (with name or token)."""

    state: VerificationState
    number: str | None = None
    certificate: Certificate | None = None
    #: True when the name given matches or the token is genuine: show everything.
    full: bool = False
    name_given: bool = False
    name_matches: bool | None = None
    #: None: no token given; else "valid" or the token error's code
    token_status: str | None = None
    message_key: str | None = None

    @property
    def found(self) -> bool:
        return self.certificate is not None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (documented in openapi.yaml); masked unless ``full``."""
        data: dict[str, Any] = {
            "state": self.state.value,
            "number": self.number,
            "name_matches": self.name_matches,
            "token": self.token_status,
        }
        cert = self.certificate
        if cert is None:
            data["certificate"] = None
            return data
        data["certificate"] = {
            "number": numbers.format_number(cert.number),
            "kind": cert.kind.value,
            "status": cert.status.value,
            "holder_name": cert.holder_name if self.full else mask_name(cert.holder_name),
            "holder_name_masked": not self.full,
            "masked_id_number": cert.masked_id_number if self.full else None,
            "title": cert.title,
            "track": cert.track_title or None,
            "level": cert.level,
            "level_modelled_on": NATIONAL_LEVELS.get(cert.level or 0),
            "hours": cert.hours,
            "issued_on": cert.issued_on.isoformat(),
            "expires_on": cert.expires_on.isoformat() if cert.expires_on else None,
            "issuer": cert.issuer_name,
            "key_id": cert.key_id,
            "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
            "revocation_reason": cert.revocation_reason,
            "superseded_by": numbers.format_number(cert.superseded_by)
            if cert.superseded_by
            else None,
            "verify_url": verify_url(cert.number),
        }
        return data


def _state_of(certificate: Certificate, today: dt.date) -> VerificationState:
    if certificate.status is CertificateStatus.REVOKED:
        return VerificationState.REVOKED
    if certificate.status is CertificateStatus.SUPERSEDED:
        return VerificationState.SUPERSEDED
    if certificate.expires_on is not None and today > certificate.expires_on:
        return VerificationState.EXPIRED
    return VerificationState.VALID


def verify_certificate(
    number_text: str,
    holder_name: str | None = None,
    token: str | None = None,
    today: dt.date | None = None,
) -> Verification:
    """Check a typed number (mistypes caught before any lookup), then its status."""
    check = numbers.check_number(number_text or "")
    if not check.ok:
        state = (
            VerificationState.MISTYPED
            if check.status is numbers.NumberStatus.MISTYPED
            else VerificationState.MALFORMED
        )
        return Verification(state, message_key=check.message_key)
    certificate = certificate_by_number(check.compact or "")
    if certificate is None:
        return Verification(VerificationState.NOT_FOUND, number=check.number)
    result = Verification(
        _state_of(certificate, today or dt.date.today()),
        number=check.number,
        certificate=certificate,
    )
    if holder_name and holder_name.strip():
        result.name_given = True
        result.name_matches = _same_name(holder_name, certificate.holder_name)
    if token:
        result.token_status = _token_status(token, certificate)
    result.full = bool(result.name_matches) or result.token_status == TOKEN_OK
    return result


def _token_status(token: str, certificate: Certificate) -> str:
    try:
        fields = tokens.verify_token(token, keys.public_keys())
    except tokens.TokenError as error:
        return error.code
    # A genuine token of another certificate proves nothing about this one.
    if fields.get(tokens.FIELD_NUMBER) != numbers.format_number(certificate.number):
        return "other_certificate"
    if fields != _token_fields(certificate) and token != certificate.token:
        return "mismatch"
    return TOKEN_OK


@dataclass
class PdfCheck:
    """Outcome of checking an uploaded PDF against the issued ones."""

    matches: bool
    sha256: str
    verification: Verification | None = None


def looks_like_pdf(data: bytes) -> bool:
    """A PDF starts with ``%PDF-`` (within its first KB, as readers allow)."""
    return b"%PDF-" in data[:1024]


def check_uploaded_pdf(data: bytes) -> PdfCheck:
    """Whether the bytes are exactly a PDF we issued, and that certificate's status."""
    if not data:
        raise CertificateError(_l("Choose a PDF file to check."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise CertificateError(_l("The file is too large."))
    if not looks_like_pdf(data):
        raise CertificateError(_l("This file is not a PDF."))
    digest = hashlib.sha256(data).hexdigest()
    certificate = get_session().scalar(select(Certificate).where(Certificate.pdf_sha256 == digest))
    if certificate is None:
        return PdfCheck(False, digest)
    verification = Verification(
        _state_of(certificate, dt.date.today()),
        number=numbers.format_number(certificate.number),
        certificate=certificate,
        # Whoever holds the byte-identical PDF has seen the full record already.
        full=True,
    )
    return PdfCheck(True, digest, verification)

"""Issuing, revoking and re-issuing certificates, and what they say.

Certificates are the issuing organisation's own training certificates
(培训结业证书, or a training-level statement "对标" a national level's knowledge requirements);
nothing here produces the official 职业技能等级证书 title or numbering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import signals
from lms.accounts.models import Profile
from lms.accounts.services import publishing_organisation
from lms.certificates import credentials, keys, numbers, tokens
from lms.certificates.access import share_key
from lms.certificates.errors import CertificateError
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateDesign,
    CertificateEvent,
    CertificateKind,
    CertificateStatus,
    CertificateStatusList,
    RevocationCategory,
)
from lms.certificates.pdf import BILINGUAL_LABELS, CertificateDocument
from lms.config import config_value
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session, get_state

#: 5 = 五级 ... 1 = 一级, as in content/levels.yaml. Printed only as "对标" (modelled on).
NATIONAL_LEVELS: dict[int, dict[str, str]] = {
    5: {"zh_CN": "五级/初级工", "en": "Level 5 / Junior worker"},
    4: {"zh_CN": "四级/中级工", "en": "Level 4 / Intermediate worker"},
    3: {"zh_CN": "三级/高级工", "en": "Level 3 / Senior worker"},
    2: {"zh_CN": "二级/技师", "en": "Level 2 / Technician"},
    1: {"zh_CN": "一级/高级技师", "en": "Level 1 / Senior technician"},
}
NOTE_MAX = 500
#: what a verifier reads for each revocation category (lazy: one language per request)
REVOCATION_LABELS = {
    RevocationCategory.ISSUED_IN_ERROR: _l("Issued in error"),
    RevocationCategory.NAME_CORRECTED: _l("Name corrected: a new certificate was issued"),
    RevocationCategory.OBTAINED_BY_FRAUD: _l("Obtained by fraud"),
    RevocationCategory.OTHER: _l("Other reason"),
}
#: issue_certificate's default expiry: LMS_CERTIFICATE_VALID_YEARS from the issue date
EXPIRY_FROM_SETTINGS = "from settings"


# ---------------------------------------------------------------- what a certificate says


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


def mask_id_number(raw: str | None) -> str | None:
    """An ID number with all but the first 3 and last 4 characters starred."""
    if not raw:
        return None
    cleaned = "".join(raw.split()).upper()
    if len(cleaned) < 8:
        return "*" * len(cleaned)
    return cleaned[:3] + "*" * (len(cleaned) - 7) + cleaned[-4:]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def verify_url(compact_number: str) -> str:
    """Public verification URL of a certificate (printed and in the QR code)."""
    base = str(config_value("LMS_PUBLIC_URL") or "").rstrip("/")
    return f"{base}{get_state().url_prefix}/verify/{compact_number}"


def short_url(certificate: Certificate) -> str:
    """The share link and QR code: ``/c/<number>.<share key>``, short enough for paper."""
    return credentials.site_url(f"/c/{certificate.number}.{share_key(certificate)}")


def level_text(level: int | None) -> dict[str, str]:
    """The bilingual "modelled on national level N" text, empty for an unknown level."""
    national = NATIONAL_LEVELS.get(level or 0)
    if national is None:
        return {}
    return {
        "zh_CN": f"对标{national['zh_CN']}",
        "en": f"modelled on national {national['en']}",
    }


def _headings(kind: CertificateKind, level: int | None) -> tuple[str, str]:
    # Never 职业技能等级证书 nor a word of its official field set: the app certifies
    # training only (brief §1.6), so a level reads as a training-level statement.
    if kind is CertificateKind.LEVEL:
        national = NATIONAL_LEVELS.get(level or 0)
        if national is None:
            return "培训等级证明", "Training Level Statement"
        short = national["zh_CN"].split("/", 1)[0]
        return (
            f"培训等级证明（L{level}，对标{short}知识要求）",
            f"Training Level Statement (L{level}, modelled on the level-{level} knowledge "
            "requirements)",
        )
    return "培训结业证书", "Certificate of Training Completion"


def token_fields(certificate: Certificate) -> dict[str, Any]:
    """The fields the certificate's signed QR token carries."""
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
        fields[tokens.FIELD_LEVEL] = _both(level_text(certificate.level)) or str(certificate.level)
        fields[tokens.FIELD_COURSE] = _both(certificate.title)
    else:
        fields[tokens.FIELD_COURSE] = _both(certificate.title)
    return fields


def _lines(text: str) -> tuple[str, str]:
    """A "中文 / English" label split into its two languages."""
    zh, _sep, en = text.partition(" / ")
    return zh, en or zh


def credential_for(certificate: Certificate, status_list: CertificateStatusList) -> dict[str, Any]:
    """The certificate as an Open Badges 3.0 ``OpenBadgeCredential`` (VCDM 2.0 JSON)."""
    level = certificate.kind is CertificateKind.LEVEL
    heading_zh, heading_en = _headings(certificate.kind, certificate.level)
    criteria_zh, criteria_en = _lines(BILINGUAL_LABELS["completed_level" if level else "completed"])
    # The notice is its Chinese lines followed by as many English ones.
    notice = BILINGUAL_LABELS["notice"]
    notice_zh, notice_en = "".join(notice[: len(notice) // 2]), " ".join(notice[len(notice) // 2 :])
    title = _both(certificate.title)
    issuer = credentials.issuer_profile() | {"name": certificate.issuer_name}
    achievement_key = (
        f"level:{certificate.track_key}:{certificate.level}"
        if level
        else f"course:{certificate.course_key}"
    )
    achievement: dict[str, Any] = {
        "id": credentials.site_url(f"/achievements/{achievement_key}"),
        "type": ["Achievement"],
        "achievementType": "Certificate" if level else "CertificateOfCompletion",
        "name": title,
        "description": f"{heading_zh}：{title}。{notice_zh}\n\n{heading_en}: {title}. {notice_en}",
        "criteria": {"narrative": f"{criteria_zh}。\n\n{criteria_en.capitalize()}."},
        "creditsAvailable": certificate.hours,
        "inLanguage": "zh-CN",
        "creator": issuer,
    }
    if certificate.track_title:
        achievement["fieldOfStudy"] = _both(certificate.track_title)
    modelled_on = _both(level_text(certificate.level)) if level else ""
    if modelled_on:
        achievement["specialization"] = modelled_on
    list_url = credentials.status_list_url(status_list.id)
    credential: dict[str, Any] = {
        "@context": [credentials.VC_CONTEXT, credentials.OB_CONTEXT],
        "id": verify_url(certificate.number),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{heading_zh} / {heading_en}: {title}",
        "issuer": issuer,
        "validFrom": f"{certificate.issued_on.isoformat()}T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": certificate.holder_name,
                    "identityType": "name",
                    "hashed": False,
                }
            ],
            "achievement": achievement,
            "creditsEarned": certificate.hours,
        },
        "credentialStatus": {
            "id": f"{list_url}#{certificate.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": credentials.STATUS_PURPOSE,
            "statusListIndex": str(certificate.status_index),
            "statusListCredential": list_url,
        },
        "credentialSchema": [
            {"id": credentials.OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}
        ],
    }
    if certificate.expires_on is not None:
        # The expiry day itself is still valid.
        credential["validUntil"] = f"{certificate.expires_on.isoformat()}T23:59:59Z"
    return credential


def _secure(certificate: Certificate) -> None:
    """Give the certificate its status-list entry and its signed credential token."""
    status_list, index = credentials.allocate_status_entry(certificate.organisation_id)
    certificate.status_list_id = status_list.id
    certificate.status_index = index
    certificate.token = credentials.sign_credential(credential_for(certificate, status_list))


def ensure_credential(certificate: Certificate) -> str:
    """The certificate's VC-JWT; a certificate from before credentials gets one now.

    Its old ``v1.`` token keeps verifying: the verifier compares its fields.
    """
    if not tokens.is_jws(certificate.token):
        _secure(certificate)
        certificate.key_id = keys.signing_key().kid
        get_session().flush()
    return certificate.token


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
        qr_url=short_url(certificate),
        key_id=certificate.key_id,
        rows=rows,
        masked_id_number=certificate.masked_id_number,
        expires_on=certificate.expires_on.isoformat() if certificate.expires_on else None,
        credential=certificate.token if tokens.is_jws(certificate.token) else None,
        **design_values(certificate.organisation_id),
    )


def design_values(organisation_id: int) -> dict[str, Any]:
    """The organisation's design as CertificateDocument fields (none: the default look)."""
    design = get_session().scalar(
        select(CertificateDesign).where(CertificateDesign.organisation_id == organisation_id)
    )
    if design is None:
        return {}
    return {
        "accent": design.accent,
        "logo_png": design.logo_png,
        "seal_png": design.seal_png,
        "signatory_name": design.signatory_name,
        "signatory_title": design.signatory_title,
    }


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
            organisation_id=certificate.organisation_id,
        )
    )


# ---------------------------------------------------------------- issuing


def certificate_for_achievement(achievement_key: str) -> Certificate | None:
    """The certificate already issued for an achievement, if any."""
    return get_session().scalar(
        select(Certificate).where(Certificate.achievement_key == achievement_key)
    )


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
    expires_on: dt.date | None | str = EXPIRY_FROM_SETTINGS,
    actor_profile_id: int | None = None,
) -> Certificate:
    """Issue the certificate of one achievement, exactly once.

    Idempotent: a second call for the same ``achievement_key`` (also from a
    concurrent transaction) returns the certificate issued first; its PDF is
    rendered later by the job runner (``rendering.py``). Without
    ``organisation_id`` the publishing organisation issues it. ``expires_on``
    (None: never) overrides the expiry from ``LMS_CERTIFICATE_VALID_YEARS``.
    """
    found = certificate_for_achievement(achievement_key)
    if found is not None:
        return found
    session = get_session()
    profile = session.get(Profile, profile_id)
    if profile is None:
        raise CertificateError(_l("No such person."))
    issued = issued_on or dt.date.today()
    if isinstance(expires_on, dt.date) or expires_on is None:
        expiry = expires_on
    else:
        years = config_value("LMS_CERTIFICATE_VALID_YEARS")
        expiry = _add_years(issued, int(years)) if years else None
    signing = keys.signing_key()
    organisation = organisation_id or publishing_organisation().id
    status_list, status_index = credentials.allocate_status_entry(organisation)
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
            expires_on=expiry,
            issuer_name=str(config_value("LMS_ISSUER_NAME") or ""),
            organisation_id=organisation,
            key_id=signing.kid,
            token="",
            status=CertificateStatus.VALID,
            status_list_id=status_list.id,
            status_index=status_index,
        )
        certificate.token = credentials.sign_credential(credential_for(certificate, status_list))
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
    # Issued by hand: the evidence the admin gave goes into the audit log too.
    by_hand = {"evidence": evidence["evidence"]} if evidence.get("by_hand") else {}
    _audit(
        certificate,
        CertificateAction.ISSUED,
        actor_profile_id,
        achievement=achievement_key,
        **by_hand,
    )
    # Its PDF is rendered after the commit, off this request (``rendering.py``).
    signals.certificate_issued.send(current_app._get_current_object(), certificate=certificate)  # type: ignore[attr-defined]
    return certificate


def check_revocation(
    certificate: Certificate, category: str, note: str
) -> tuple[RevocationCategory, str]:
    """The public category and the cleaned private note if this certificate may be
    revoked with them, else CertificateError."""
    try:
        chosen = RevocationCategory(category)
    except ValueError:
        raise CertificateError(_l("Choose why this certificate is revoked.")) from None
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise CertificateError(_l("Keep the note under %(count)d characters.", count=NOTE_MAX))
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateError(_l("Only a valid certificate can be revoked."))
    return chosen, note


def revoke_certificate(
    certificate: Certificate, category: str, note: str, actor_profile_id: int | None
) -> None:
    """Revoke a valid certificate: the category is public, the note only in the audit log."""
    chosen, note = check_revocation(certificate, category, note)
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = utcnow()
    certificate.revocation_category = chosen
    _audit(
        certificate, CertificateAction.REVOKED, actor_profile_id, category=chosen.value, note=note
    )
    get_session().flush()
    if certificate.status_list_id is not None:
        credentials.refresh_status_list(certificate.status_list_id)
    signals.certificate_status_changed.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        certificate=certificate,
    )


def reissue_certificate(
    certificate: Certificate, new_holder_name: str, actor_profile_id: int | None
) -> Certificate:
    """Issue a corrected copy (e.g. the name); the old one becomes superseded.

    The copy keeps the original's dates: correcting a name must not renew a
    certificate, nor turn an expired one into one that never expires.
    """
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
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        actor_profile_id=actor_profile_id,
    )
    certificate.superseded_by = new.number
    if certificate.status_list_id is not None:
        credentials.refresh_status_list(certificate.status_list_id)
    _audit(
        certificate,
        CertificateAction.REISSUED,
        actor_profile_id,
        new_number=new.number,
        holder_name=name,
    )
    session.flush()
    signals.certificate_status_changed.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        certificate=certificate,
    )
    return new

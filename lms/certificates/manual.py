"""Certificates issued by hand: training done outside the app (an in-person
course, a session at a station), with its evidence recorded and audited.

The certificate is the same as one earned in the app: credential, signed PDF
and status list entry. An achievement is certified once: a person who already
has the course's certificate cannot get a second one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.accounts.access import is_admin_of, is_platform_admin
from lms.accounts.models import Profile
from lms.accounts.services import find_user_by_phone, normalise_phone
from lms.certificates.errors import CertificateError
from lms.certificates.issuing import certificate_for_achievement, issue_certificate
from lms.certificates.models import Certificate, CertificateKind, CertificateStatus
from lms.certificates.receivers import OCCUPATIONS
from lms.courses.models import Course, CourseStatus, CourseVersion
from lms.i18n import _l
from lms.state import get_session

EVIDENCE_MAX = 1000
HOURS_MAX = 1000.0


@dataclass(frozen=True)
class HandIssue:
    """What an admin typed: who, which course, what proves it, and optionally the hours."""

    phone: str
    course_key: str
    evidence: str
    hours: float | None = None


def courses_for(actor: Profile | None) -> list[Course]:
    """The published courses this actor may certify by hand (None: the CLI, every course)."""
    query = select(Course).where(Course.status == CourseStatus.PUBLISHED).order_by(Course.key)
    if actor is not None and not is_platform_admin(actor):
        query = query.where(Course.organisation_id == actor.organisation_id)
    return list(get_session().scalars(query))


def _person(phone_text: str) -> Profile:
    phone = normalise_phone(phone_text or "")
    user = find_user_by_phone(phone) if phone else None
    profile = (
        get_session().scalar(select(Profile).where(Profile.user_ref == user.get_id()))
        if user is not None
        else None
    )
    if profile is None:
        raise CertificateError(_l("Nobody has registered with this mobile number."))
    return profile


def issue_by_hand(request: HandIssue, actor: Profile | None) -> Certificate:
    """Issue a course certificate for training done outside the app.

    ``actor`` None is the command line (a server operator); an admin may
    certify only their organisation's courses (the platform admin any).
    """
    evidence = " ".join((request.evidence or "").split())
    if not evidence:
        raise CertificateError(_l("Describe the evidence: where and when the training was done."))
    if len(evidence) > EVIDENCE_MAX:
        raise CertificateError(
            _l("Keep the evidence under %(count)d characters.", count=EVIDENCE_MAX)
        )
    if request.hours is not None and not 0 < request.hours <= HOURS_MAX:
        raise CertificateError(_l("Enter the hours of training as a number from 0.1 to 1000."))
    course = get_session().scalar(
        select(Course).where(
            Course.key == (request.course_key or "").strip(),
            Course.status == CourseStatus.PUBLISHED,
        )
    )
    if course is None or course not in courses_for(actor):
        raise CertificateError(_l("Choose one of your published courses."))
    if actor is not None and not (
        is_platform_admin(actor) or is_admin_of(actor, course.organisation_id)
    ):
        raise CertificateError(_l("Choose one of your published courses."))
    version = get_session().get(CourseVersion, course.current_version_id or 0)
    if version is None:
        raise CertificateError(_l("Choose one of your published courses."))
    profile = _person(request.phone)
    key = f"course:{course.key}:profile:{profile.id}"
    found = certificate_for_achievement(key)
    if found is not None and found.status is CertificateStatus.VALID:
        raise CertificateError(_l("This person already has this course's certificate."))
    if found is not None:
        raise CertificateError(
            _l(
                "This person's certificate for this course was revoked or replaced: "
                "it cannot be issued again."
            )
        )
    occupations = list(version.occupations or [])
    return issue_certificate(
        profile_id=profile.id,
        kind=CertificateKind.TRAINING,
        achievement_key=key,
        title=version.title,
        hours=request.hours if request.hours is not None else version.total_minutes / 60,
        evidence={
            "by_hand": True,
            "evidence": evidence,
            "course_version": version.number,
            "issued_by": "command line" if actor is None else actor.id,
        },
        track_key=occupations[0] if occupations else None,
        track_title={
            "zh_CN": "、".join(OCCUPATIONS.get(o, {}).get("zh_CN", o) for o in occupations),
            "en": ", ".join(OCCUPATIONS.get(o, {}).get("en", o) for o in occupations),
        }
        if occupations
        else None,
        course_key=course.key,
        organisation_id=course.organisation_id,
        actor_profile_id=actor.id if actor is not None else None,
    )

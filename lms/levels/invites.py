"""Joining a cohort with consent: invitations (link, QR code, join code), accepting, leaving.

A learner belongs to an organisation only by accepting one of its cohort's
invitations. A trainer's pre-registered mobile number is an invitation too:
the learner sees it after logging in and decides; nothing of them is visible
before. No answer here tells whether a mobile number is registered.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from lms.accounts.models import Cohort, CohortInvite, CohortMember, Profile, Role, User
from lms.accounts.services import normalise_phone
from lms.db import utcnow
from lms.i18n import _l
from lms.levels.cohorts import LevelError, managed_cohort
from lms.state import get_session

#: no 0/O, 1/I/L: a code read off a wall and typed on a phone must not be misread
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
DAYS_MAX = 90
USES_MAX = 1000
PHONE_INVITE_DAYS = 30


@dataclass(frozen=True)
class Membership:
    """One cohort a learner joined, with who sees their records there."""

    member: CohortMember
    cohort: Cohort


def normalise_code(raw: str) -> str:
    """A typed join code as stored: full-width folded, spaces and dashes gone, upper case."""
    folded = unicodedata.normalize("NFKC", raw or "")
    return "".join(char for char in folded if char.isalnum()).upper()[:16]


def _new_code() -> str:
    session = get_session()
    for _attempt in range(10):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(CohortInvite.id).where(CohortInvite.code == code)) is None:
            return code
    # Ten clashes in a row means the space is crowded: a longer code has room.
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH + 2))


def create_invite(
    staff: Profile, cohort_id: int, days: int, max_uses: int, phone: str | None = None
) -> CohortInvite:
    """A new invitation to one of the staff member's cohorts."""
    cohort = managed_cohort(staff, cohort_id)
    if not 1 <= days <= DAYS_MAX:
        raise LevelError(_l("Choose a validity of 1 to %(count)d days.", count=DAYS_MAX))
    if not 1 <= max_uses <= USES_MAX:
        raise LevelError(_l("Choose a use limit of 1 to %(count)d.", count=USES_MAX))
    invite = CohortInvite(
        cohort_id=cohort.id,
        token=secrets.token_urlsafe(24),
        code=_new_code(),
        phone=phone,
        expires_at=utcnow() + timedelta(days=days),
        max_uses=max_uses,
        uses=0,
        created_by_id=staff.id,
    )
    session = get_session()
    session.add(invite)
    session.flush()
    return invite


def invite_phone(staff: Profile, cohort_id: int, raw_phone: str) -> CohortInvite:
    """Pre-register a mobile number: an invitation only that number's learner can accept.

    The answer is the same whether or not anyone has signed up with the number.
    """
    phone = normalise_phone((raw_phone or "")[:20])
    if phone is None:
        raise LevelError(_l("Enter an 11-digit mainland China mobile number."))
    return create_invite(staff, cohort_id, PHONE_INVITE_DAYS, 1, phone=phone)


def cohort_invites(cohort: Cohort) -> list[CohortInvite]:
    """The cohort's invitations, newest first."""
    return list(
        get_session().scalars(
            select(CohortInvite)
            .where(CohortInvite.cohort_id == cohort.id)
            .order_by(CohortInvite.created_at.desc(), CohortInvite.id.desc())
        )
    )


def invite_for_staff(staff: Profile, cohort_id: int, invite_id: int) -> CohortInvite:
    """An invitation of one of the staff member's cohorts, else LevelError 404."""
    cohort = managed_cohort(staff, cohort_id)
    invite = get_session().get(CohortInvite, invite_id)
    if invite is None or invite.cohort_id != cohort.id:
        raise LevelError(_l("This invitation does not exist."), 404)
    return invite


def revoke_invite(staff: Profile, cohort_id: int, invite_id: int) -> CohortInvite:
    """Stop an invitation from being accepted (members who joined stay)."""
    invite = invite_for_staff(staff, cohort_id, invite_id)
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        get_session().flush()
    return invite


def invite_problem(invite: CohortInvite, now: datetime | None = None) -> str | None:
    """Why this invitation cannot be accepted now, or None."""
    now = now or utcnow()
    if invite.revoked_at is not None:
        return _l("This invitation was withdrawn. Ask your trainer for a new one.")
    if invite.expires_at <= now:
        return _l("This invitation has expired. Ask your trainer for a new one.")
    if invite.uses >= invite.max_uses:
        return _l("This invitation has been used up. Ask your trainer for a new one.")
    return None


def invite_by_token(token: str) -> CohortInvite:
    """The invitation of a link, else LevelError 404."""
    invite = get_session().scalar(select(CohortInvite).where(CohortInvite.token == token[:64]))
    if invite is None:
        raise LevelError(
            _l("This invitation link is not valid. Check it or ask your trainer."), 404
        )
    return invite


def invite_by_code(raw: str) -> CohortInvite:
    """The invitation of a typed join code (spaces, full-width, lower case all fine)."""
    code = normalise_code(raw)
    invite = (
        get_session().scalar(select(CohortInvite).where(CohortInvite.code == code))
        if code
        else None
    )
    if invite is None:
        raise LevelError(_l("No invitation has this code. Check it and try again."), 404)
    return invite


def _phone_of(learner: Profile) -> str | None:
    user = get_session().get(User, int(learner.user_ref)) if learner.user_ref.isdigit() else None
    return user.phone if user is not None else None


def check_can_accept(learner: Profile, invite: CohortInvite, now: datetime | None = None) -> None:
    """Refuse with the reason when this learner cannot accept this invitation now."""
    if learner.role != Role.LEARNER:
        raise LevelError(_l("Only learner accounts join cohorts."), 403)
    problem = invite_problem(invite, now)
    if problem is not None:
        raise LevelError(problem, 410)
    if invite.phone is not None and invite.phone != _phone_of(learner):
        # Said like an unknown link: a guessed token reveals no number.
        raise LevelError(
            _l("This invitation link is not valid. Check it or ask your trainer."), 404
        )
    if active_membership(learner.id, invite.cohort_id) is not None:
        raise LevelError(_l("You are already in this cohort."), 409)


def active_membership(profile_id: int, cohort_id: int) -> CohortMember | None:
    """The learner's current membership of a cohort, if they are in it."""
    return get_session().scalar(
        select(CohortMember).where(
            CohortMember.cohort_id == cohort_id,
            CohortMember.profile_id == profile_id,
            CohortMember.left_at.is_(None),
        )
    )


def accept_invite(
    learner: Profile, invite: CohortInvite, now: datetime | None = None
) -> CohortMember:
    """Join the invitation's cohort, counting one use; exactly once, without locks."""
    now = now or utcnow()
    check_can_accept(learner, invite, now)
    session = get_session()
    # A guarded UPDATE: two learners taking the last use at once cannot both win.
    taken = session.execute(
        update(CohortInvite)
        .where(
            CohortInvite.id == invite.id,
            CohortInvite.uses < CohortInvite.max_uses,
            CohortInvite.revoked_at.is_(None),
            CohortInvite.expires_at > now,
        )
        .values(uses=CohortInvite.uses + 1)
    ).rowcount
    if not taken:
        session.refresh(invite)
        raise LevelError(
            invite_problem(invite, now)
            or _l("This invitation has been used up. Ask your trainer for a new one."),
            410,
        )
    member = session.scalar(
        select(CohortMember).where(
            CohortMember.cohort_id == invite.cohort_id, CohortMember.profile_id == learner.id
        )
    )
    if member is None:
        member = CohortMember(cohort_id=invite.cohort_id, profile_id=learner.id)
        session.add(member)
    # Rejoining starts a new membership: what happened while away stays unseen.
    member.joined_at = now
    member.left_at = None
    member.invite_id = invite.id
    session.flush()
    session.refresh(invite)
    return member


def leave_cohort(learner: Profile, cohort_id: int, now: datetime | None = None) -> CohortMember:
    """Leave a cohort: its organisation sees nothing new of the learner from now on."""
    member = active_membership(learner.id, cohort_id)
    if member is None:
        raise LevelError(_l("You are not in this cohort."), 404)
    member.left_at = now or utcnow()
    get_session().flush()
    return member


def memberships_of(learner: Profile) -> list[Membership]:
    """The cohorts a learner is in now, newest first."""
    rows = get_session().scalars(
        select(CohortMember)
        .where(CohortMember.profile_id == learner.id, CohortMember.left_at.is_(None))
        .order_by(CohortMember.joined_at.desc())
    )
    return [Membership(member, member.cohort) for member in rows]


def pending_invites(learner: Profile) -> list[CohortInvite]:
    """Invitations a trainer made for this learner's mobile number, still open."""
    phone = _phone_of(learner)
    if phone is None:
        return []
    now = utcnow()
    found = get_session().scalars(
        select(CohortInvite)
        .where(
            CohortInvite.phone == phone,
            CohortInvite.revoked_at.is_(None),
            CohortInvite.expires_at > now,
            CohortInvite.uses < CohortInvite.max_uses,
        )
        .order_by(CohortInvite.created_at.desc())
    )
    return [invite for invite in found if active_membership(learner.id, invite.cohort_id) is None]

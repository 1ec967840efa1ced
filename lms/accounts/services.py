"""Registering, authenticating and managing people."""

from __future__ import annotations

import re
import unicodedata

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import Organisation, OrganisationKind, Profile, Role, User
from lms.config import config_value
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
NAME_MAX = 40
# Per client address: generous, because a rider station shares one NAT address.


class AccountError(Exception):
    """A request the rules refuse; ``message`` is shown to the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class LoginThrottled(AccountError):
    """Too many wrong passwords in a row."""

    def __init__(self, minutes: int) -> None:
        super().__init__(
            _l("Too many wrong passwords. Try again in %(minutes)d minutes.", minutes=minutes)
        )
        self.minutes = minutes


def normalise_phone(raw: str) -> str | None:
    """A mainland China mobile number as 11 digits, or None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if PHONE_PATTERN.match(digits) else None


def mask_phone(phone: str | None) -> str:
    """A mobile number shown to staff to tell two learners apart: ``139****1234``."""
    if not phone or len(phone) < 8:
        return ""
    return phone[:3] + "****" + phone[-4:]


def is_valid_display_name(name: str) -> bool:
    """Chinese or Latin script, with the spaces, dots and hyphens names use."""
    if not name or len(name) > NAME_MAX:
        return False
    for char in name:
        if char in " ·.-'’":
            continue
        category = unicodedata.category(char)
        if category.startswith("L") and (
            "CJK" in unicodedata.name(char, "") or "LATIN" in unicodedata.name(char, "")
        ):
            continue
        return False
    return bool(name.strip(" ·.-'’"))


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < PASSWORD_MIN:
        return _l("Use at least %(count)d characters.", count=PASSWORD_MIN)
    if len(password) > PASSWORD_MAX:
        return _l("Use at most %(count)d characters.", count=PASSWORD_MAX)
    return None


#: werkzeug's scrypt at its full default cost (N=2**15, r=8, p=1).
HASH_METHOD = "scrypt"


def hash_password(password: str) -> str:
    """A salted scrypt hash (cheaper only in a test app that asks for it)."""
    method = HASH_METHOD
    if has_app_context() and current_app.testing:
        method = config_value("LMS_TESTING_PASSWORD_HASH") or method
    return generate_password_hash(password, method=method)


def find_user_by_phone(phone: str) -> User | None:
    """The standalone user with this (normalised) mobile number."""
    return get_session().scalar(select(User).where(User.phone == phone))


def register_learner(phone: str, password: str, display_name: str) -> Profile:
    """Create a learner account with its profile; the phone must be new."""
    return create_user(phone, password, display_name, Role.LEARNER)


def create_user(
    phone: str,
    password: str,
    display_name: str,
    role: Role,
    organisation: Organisation | None = None,
) -> Profile:
    """Create a standalone user of any role; staff roles need an organisation."""
    normalised = normalise_phone(phone)
    if normalised is None:
        raise AccountError(_l("Enter an 11-digit mainland China mobile number."), "phone")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    name = display_name.strip()
    if not is_valid_display_name(name):
        raise AccountError(
            _l("Use Chinese characters or Latin letters, at most %(count)d.", count=NAME_MAX),
            "display_name",
        )
    if role != Role.LEARNER and organisation is None:
        raise AccountError(_l("Trainers, employers and admins belong to an organisation."))
    if organisation is not None and (role == Role.EMPLOYER) != (
        organisation.kind == OrganisationKind.EMPLOYER
    ):
        raise AccountError(_l("Employer accounts, and only they, belong to an employer."))
    session = get_session()
    if find_user_by_phone(normalised) is not None:
        raise AccountError(_l("This mobile number is already registered. Log in instead."), "phone")
    user = User(phone=normalised, password_hash=hash_password(password))
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Two sign-ups with one number at the same moment: the second loses.
        raise AccountError(
            _l("This mobile number is already registered. Log in instead."), "phone"
        ) from None
    profile = Profile(
        user_ref=user.get_id(), display_name=name, role=role, organisation=organisation
    )
    session.add(profile)
    session.flush()
    return profile


def change_password(user: User, current: str, new: str) -> None:
    """Replace a password after checking the current one."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError(_l("Your current password is not right."), "current_password")
    problem = password_problem(new)
    if problem:
        raise AccountError(problem, "new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()


def profile_for(user_ref: str, default_name: str) -> tuple[Profile, bool]:
    """The profile of a user id and whether it was just created (plugin-mode hosts)."""
    session = get_session()
    profile = session.scalar(select(Profile).where(Profile.user_ref == user_ref))
    if profile is not None:
        return profile, False
    name = default_name.strip()[:NAME_MAX] or user_ref[:NAME_MAX]
    profile = Profile(user_ref=user_ref, display_name=name, role=Role.LEARNER)
    session.add(profile)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        profile = session.scalars(select(Profile).where(Profile.user_ref == user_ref)).one()
        return profile, False
    return profile, True


def grant_role(
    user_ref: str,
    role: Role,
    organisation: str | None = None,
    display_name: str | None = None,
    organisation_kind: OrganisationKind = OrganisationKind.TRAINING_PROVIDER,
) -> Profile:
    """Give the user with this id (the host's ``get_id()``, or an LMS user id) a role.

    The profile is created if the user has not opened the LMS yet; staff roles
    need an organisation, whose people they see.
    """
    user_ref = str(user_ref).strip()
    if not user_ref or len(user_ref) > 64:
        raise AccountError(_l("A user id has 1 to 64 characters."), "user_ref")
    if role != Role.LEARNER and not (organisation or "").strip():
        raise AccountError(_l("Staff roles need an organisation."), "organisation")
    profile, _created = profile_for(user_ref, display_name or user_ref)
    profile.role = role
    if organisation and organisation.strip():
        profile.organisation = get_or_create_organisation(organisation.strip(), organisation_kind)
    elif role == Role.LEARNER:
        profile.organisation = None
    get_session().flush()
    return profile


def publishing_organisation() -> Organisation:
    """The deployment's publishing organisation (named by config), created if new."""
    return get_or_create_organisation(
        config_value("LMS_PUBLISHING_ORGANISATION"), OrganisationKind.TRAINING_PROVIDER
    )


def get_or_create_organisation(name: str, kind: OrganisationKind) -> Organisation:
    """The organisation of this name, created if new."""
    session = get_session()
    organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        # No savepoint here: on SQLite a savepoint opened before any write is the
        # outermost transaction, and releasing it would commit the caller's work.
        organisation = Organisation(name=name, kind=kind)
        session.add(organisation)
        session.flush()
    return organisation

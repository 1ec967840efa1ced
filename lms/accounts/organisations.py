"""What the platform admin (the deployment's operator) does with organisations:
see them all with their admins, add an organisation with its first admin."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lms.accounts.models import Organisation, OrganisationKind, Profile, Role
from lms.accounts.services import (
    AccountError,
    create_user,
    find_user_by_phone,
    get_or_create_organisation,
    is_valid_display_name,
    normalise_phone,
    password_problem,
)
from lms.i18n import _l
from lms.state import get_session

ORGANISATION_NAME_MAX = 120


@dataclass(frozen=True)
class OrganisationRow:
    """One organisation with its admins and how many staff it has."""

    organisation: Organisation
    admins: list[Profile]
    staff: int


def all_organisations() -> list[OrganisationRow]:
    """Every organisation of the deployment with its admins."""
    session = get_session()
    people = list(
        session.scalars(
            select(Profile)
            .where(Profile.organisation_id.is_not(None))
            .order_by(Profile.display_name, Profile.id)
        )
    )
    rows = []
    for organisation in session.scalars(select(Organisation).order_by(Organisation.name)):
        mine = [p for p in people if p.organisation_id == organisation.id]
        admins = [p for p in mine if p.role in (Role.ADMIN, Role.PLATFORM_ADMIN)]
        rows.append(OrganisationRow(organisation, admins, len(mine)))
    return rows


def add_organisation_admin(
    name: str, kind: str, phone: str, display_name: str, password: str
) -> Profile:
    """An organisation (new or existing) and a new admin account in it.

    Employer organisations get an employer account: they see no learner.
    """
    clean = " ".join((name or "").split())
    if not clean or len(clean) > ORGANISATION_NAME_MAX:
        raise AccountError(
            _l("Give the organisation a name of at most %(count)d characters.", count=120),
            "name",
        )
    try:
        organisation_kind = OrganisationKind(kind)
    except ValueError:
        raise AccountError(_l("Choose the kind of organisation from the list."), "kind") from None
    # Everything about the person is checked before the organisation is written,
    # so a refused form leaves nothing behind.
    if normalise_phone(phone) is None:
        raise AccountError(_l("Enter an 11-digit mainland China mobile number."), "phone")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    if not is_valid_display_name((display_name or "").strip()):
        raise AccountError(
            _l("Use Chinese characters or Latin letters, at most %(count)d.", count=40),
            "display_name",
        )
    if find_user_by_phone(normalise_phone(phone) or "") is not None:
        raise AccountError(_l("This mobile number is already registered. Log in instead."), "phone")
    organisation = get_or_create_organisation(clean, organisation_kind)
    if organisation.kind != organisation_kind:
        raise AccountError(
            _l("An organisation of this name exists already as another kind."), "kind"
        )
    role = Role.EMPLOYER if organisation_kind == OrganisationKind.EMPLOYER else Role.ADMIN
    return create_user(phone, password, display_name, role, organisation)

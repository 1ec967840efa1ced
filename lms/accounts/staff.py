"""What trainers and admins see of people: always scoped to their organisation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from lms.accounts.models import Cohort, CohortMember, Profile
from lms.state import get_session

PAGE_SIZE = 50


@dataclass(frozen=True)
class PeoplePage:
    people: list[Profile]
    page: int
    pages: int
    total: int


def organisation_people(staff: Profile, page: int = 1) -> PeoplePage:
    """Staff of the organisation and learners in its cohorts, a page at a time."""
    if staff.organisation_id is None:
        return PeoplePage([], 1, 1, 0)
    in_cohort = (
        select(CohortMember.profile_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.organisation_id == staff.organisation_id, CohortMember.left_at.is_(None))
    )
    scope = or_(Profile.organisation_id == staff.organisation_id, Profile.id.in_(in_cohort))
    session = get_session()
    total = session.scalar(select(func.count()).select_from(Profile).where(scope)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    people = list(
        session.scalars(
            select(Profile)
            .where(scope)
            .order_by(Profile.role, Profile.display_name, Profile.id)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return PeoplePage(people, page, pages, total)

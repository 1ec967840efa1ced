"""Who is asking: the current person's profile and the role check every
protected view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g
from flask_login import current_user
from sqlalchemy import Select, Subquery, func, select

from lms.accounts.models import Cohort, CohortMember, Profile, Role
from lms.accounts.services import mask_phone, profile_for
from lms.config import config_value
from lms.state import get_session

View = TypeVar("View", bound=Callable[..., Any])


def current_profile() -> Profile | None:
    """The LMS profile of the logged-in user, or None for a visitor."""
    if "lms_profile" in g:
        return g.lms_profile
    profile = None
    if current_user and current_user.is_authenticated:
        if "lms_profile" in g:
            # Loading the user brought the profile along (builtin accounts).
            return g.lms_profile
        name_attr = config_value("LMS_HOST_USER_NAME_ATTR")
        default_name = str(getattr(current_user, name_attr, "") or current_user.get_id())
        profile, created = profile_for(str(current_user.get_id()), default_name)
        if created:
            # A host's user seen for the first time: keep the profile even on a GET.
            get_session().commit()
    g.lms_profile = profile
    return profile


def layout_context() -> dict[str, Any]:
    """What every page's layout shows of the person (their profile, or None), and the
    masking that tells two learners of one name apart on staff pages."""
    return {"current_profile": current_profile(), "mask_phone": mask_phone}


def require_profile() -> Profile:
    """The current profile; a visitor is sent to log in."""
    profile = current_profile()
    if profile is None:
        # Flask-Login's own response: a redirect to the login page (ours or the host's).
        abort(current_app.login_manager.unauthorized())
    return profile


def login_required(view: View) -> View:
    """Only for logged-in people; visitors are sent to log in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        require_profile()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(*roles: Role) -> Callable[[View], View]:
    """Only for these roles: a visitor is sent to log in, anyone else gets 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            profile = require_profile()
            if not profile.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


ADMIN_ROLES = (Role.ADMIN, Role.PLATFORM_ADMIN)
STAFF_ROLES = (Role.TRAINER, *ADMIN_ROLES)


def is_platform_admin(profile: Profile | None) -> bool:
    """The deployment's operator, who sees every organisation."""
    return profile is not None and profile.role == Role.PLATFORM_ADMIN


def is_staff_of(profile: Profile | None, organisation_id: int) -> bool:
    """A trainer or admin acting inside this organisation (never an employer or learner)."""
    return (
        profile is not None
        and profile.has_role(*STAFF_ROLES)
        and profile.organisation_id == organisation_id
    )


def is_admin_of(profile: Profile | None, organisation_id: int) -> bool:
    """An admin of this organisation (the platform admin is one of its own)."""
    return (
        profile is not None
        and profile.has_role(*ADMIN_ROLES)
        and profile.organisation_id == organisation_id
    )


def can_view_cohort(profile: Profile | None, cohort: Cohort) -> bool:
    """Staff of the cohort's organisation, and the platform admin."""
    return is_platform_admin(profile) or is_staff_of(profile, cohort.organisation_id)


def can_manage_cohort(profile: Profile | None, cohort: Cohort) -> bool:
    """Only staff of the cohort's organisation change it or sign its learners off."""
    return is_staff_of(profile, cohort.organisation_id)


def organisation_learner_ids(organisation_id: int) -> Select[tuple[int]]:
    """The ids of learners in the organisation's cohorts now (a subquery)."""
    return (
        select(CohortMember.profile_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.organisation_id == organisation_id, CohortMember.left_at.is_(None))
    )


def membership_windows(organisation_id: int, cohort_id: int | None = None) -> Subquery:
    """Learners in the organisation's cohorts now (or one cohort's) and since when.

    Columns ``profile_id`` and ``since``: reports count only what a learner did
    from ``since`` on, while they were a member; a learner who left is not in it.
    """
    query = (
        select(
            CohortMember.profile_id.label("profile_id"),
            func.min(CohortMember.joined_at).label("since"),
        )
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.organisation_id == organisation_id, CohortMember.left_at.is_(None))
        .group_by(CohortMember.profile_id)
    )
    if cohort_id is not None:
        query = query.where(CohortMember.cohort_id == cohort_id)
    return query.subquery()


def can_act_for_learner(profile: Profile | None, learner_id: int) -> bool:
    """Staff whose organisation's cohorts hold the learner: read their records, sign them off."""
    if profile is None or not profile.has_role(*STAFF_ROLES) or profile.organisation_id is None:
        return False
    found = get_session().scalar(
        organisation_learner_ids(profile.organisation_id)
        .where(CohortMember.profile_id == learner_id)
        .limit(1)
    )
    return found is not None

"""Who is asking: the current person's profile and the role check every
protected view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g
from flask_login import current_user

from lms.accounts.models import Profile, Role
from lms.accounts.services import profile_for
from lms.config import config_value
from lms.state import get_session

View = TypeVar("View", bound=Callable[..., Any])


def current_profile() -> Profile | None:
    """The LMS profile of the logged-in user, or None for a visitor."""
    if "lms_profile" in g:
        return g.lms_profile
    profile = None
    if current_user and current_user.is_authenticated:
        name_attr = config_value("LMS_HOST_USER_NAME_ATTR")
        default_name = str(getattr(current_user, name_attr, "") or current_user.get_id())
        profile, created = profile_for(str(current_user.get_id()), default_name)
        if created:
            # A host's user seen for the first time: keep the profile even on a GET.
            get_session().commit()
    g.lms_profile = profile
    return profile


def layout_context() -> dict[str, Any]:
    """What every page's layout shows of the person: their profile, or None."""
    return {"current_profile": current_profile()}


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


STAFF_ROLES = (Role.TRAINER, Role.ADMIN)

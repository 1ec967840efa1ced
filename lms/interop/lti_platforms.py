"""Registering platforms: an organisation's admin adds the platforms that may
launch the tool for their organisation, and sees only their own."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile, Role
from lms.i18n import _l
from lms.interop.lti_models import LtiDeployment, LtiPlatform
from lms.state import get_session

DEPLOYMENTS_MAX = 50
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class PlatformError(Exception):
    """A registration refused, with a message for the admin."""

    def __init__(self, message: object, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


def url_problem(url: str, allow_loopback_http: bool) -> object | None:
    """Why a platform's URL is refused (None when it is fine): HTTPS only, except
    a loopback address while debugging or testing."""
    parts = urlsplit(url.strip())
    if not parts.netloc or parts.scheme not in ("http", "https"):
        return _l("Enter a full address starting with https://.")
    if parts.scheme == "http" and not (
        allow_loopback_http and (parts.hostname or "") in LOOPBACK_HOSTS
    ):
        return _l("The platform's addresses must use https://.")
    return None


def parse_deployments(text: str) -> list[str]:
    """Deployment ids, one a line, without blanks or repeats, in order."""
    seen: list[str] = []
    for line in text.splitlines():
        value = line.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


@dataclass(frozen=True)
class PlatformDetails:
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    key_set_url: str
    auth_login_url: str
    auth_token_url: str


def _require_admin(admin: Profile) -> int:
    if not admin.has_role(Role.ADMIN, Role.PLATFORM_ADMIN) or admin.organisation_id is None:
        raise PlatformError(_l("You do not have access to this page."), 403)
    return admin.organisation_id


def organisation_platforms(admin: Profile) -> list[LtiPlatform]:
    """The platforms registered for the admin's organisation."""
    organisation_id = _require_admin(admin)
    return list(
        get_session().scalars(
            select(LtiPlatform)
            .where(LtiPlatform.organisation_id == organisation_id)
            .order_by(LtiPlatform.name, LtiPlatform.id)
        )
    )


def platform_of(admin: Profile, platform_id: int) -> LtiPlatform | None:
    """A platform of the admin's own organisation (None for anyone else's)."""
    organisation_id = _require_admin(admin)
    platform = get_session().get(LtiPlatform, platform_id)
    if platform is None or platform.organisation_id != organisation_id:
        return None
    return platform


def _apply(platform: LtiPlatform, details: PlatformDetails) -> None:
    platform.name = details.name.strip()
    platform.issuer = details.issuer.strip()
    platform.client_id = details.client_id.strip()
    platform.key_set_url = details.key_set_url.strip()
    platform.auth_login_url = details.auth_login_url.strip()
    platform.auth_token_url = details.auth_token_url.strip()
    wanted = list(details.deployment_ids)
    for deployment in list(platform.deployments):
        if deployment.deployment_id not in wanted:
            platform.deployments.remove(deployment)
    known = {deployment.deployment_id for deployment in platform.deployments}
    for value in wanted:
        if value not in known:
            platform.deployments.append(LtiDeployment(deployment_id=value))


def _flush_unique(new: LtiPlatform | None = None) -> None:
    # Added inside the savepoint, a refused row leaves the session with it (added
    # before, it would stay pending and the error page's first query would
    # insert it again).
    session = get_session()
    try:
        with session.begin_nested():
            if new is not None:
                session.add(new)
            session.flush()
    except IntegrityError:
        raise PlatformError(_l("This issuer and client ID are already registered."), 409) from None


def register_platform(admin: Profile, details: PlatformDetails) -> LtiPlatform:
    """Register a platform for the admin's organisation (the view commits)."""
    organisation_id = _require_admin(admin)
    platform = LtiPlatform(organisation_id=organisation_id)
    _apply(platform, details)
    _flush_unique(platform)
    return platform


def update_platform(admin: Profile, platform: LtiPlatform, details: PlatformDetails) -> None:
    """Change a registration of the admin's organisation (the view commits)."""
    if platform.organisation_id != _require_admin(admin):
        raise PlatformError(_l("This page does not exist."), 404)
    _apply(platform, details)
    _flush_unique()

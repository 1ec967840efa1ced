"""Pages of a launched session: who is asking (the launch's profile), and the
headers that let the registered platform, and only it, show them in a frame."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, request, session
from sqlalchemy import delete, select

from lms.accounts.login_sessions import LOGIN_SESSION_KEY
from lms.accounts.models import Profile
from lms.config import config_value
from lms.db import utcnow
from lms.i18n import SESSION_KEY as LANGUAGE_KEY
from lms.i18n import _
from lms.interop.lti_launch import token_hash
from lms.interop.lti_models import LtiLaunchSession, LtiPlatform
from lms.state import get_session
from lms.web import CONTENT_SECURITY_POLICY, error_response

#: Where the signed session cookie keeps the launched browser's token.
LTI_SESSION_KEY = "lms_lti"
#: Pages that change a password account, which a launched person does not have.
NEEDS_AN_ACCOUNT = frozenset({"lms.accounts.password", "lms.accounts.sign_out_everywhere"})


def origin(url: str) -> str | None:
    """``https://moodle.example.cn`` of a URL, or None when it has none."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def platform_origins(platform: LtiPlatform) -> list[str]:
    """The origins a platform frames us from: its issuer's and its login page's."""
    found = [origin(platform.issuer), origin(platform.auth_login_url)]
    return sorted({value for value in found if value})


def frame_policy(origins: list[str]) -> str:
    """Our Content-Security-Policy with the platform's origins as the only
    other frame ancestors (and form targets: a deep link posts back to it)."""
    allowed = " ".join(origins)
    parts = []
    for part in CONTENT_SECURITY_POLICY.split("; "):
        if part.startswith("frame-ancestors"):
            part = f"frame-ancestors 'self' {allowed}".strip()
        elif part.startswith("form-action"):
            part = f"form-action 'self' {allowed}".strip()
        parts.append(part)
    return "; ".join(parts)


def open_launched_session(token: str, platform: LtiPlatform, locale: str | None = None) -> None:
    """Make this browser the launched person's (a fresh session, nothing of a
    previous login kept, in the platform's language when we offer it) and let
    its cookie travel in the platform's iframe."""
    session.clear()
    session[LTI_SESSION_KEY] = token
    if locale in config_value("LMS_LANGUAGES"):
        session[LANGUAGE_KEY] = locale
    g.lms_frame_origins = platform_origins(platform)
    g.lms_cross_site_session = True


def _load_launched_person() -> Any:
    token = session.get(LTI_SESSION_KEY)
    if not isinstance(token, str) or not token:
        return None
    if session.get("_user_id") or session.get(LOGIN_SESSION_KEY):
        # Someone logged in (ours or the host's Flask-Login) after the launch,
        # which had cleared the session: that login is who is asking now.
        session.pop(LTI_SESSION_KEY, None)
        return None
    found = (
        get_session()
        .execute(
            select(Profile, LtiPlatform)
            .join(LtiLaunchSession, LtiLaunchSession.profile_id == Profile.id)
            .join(LtiPlatform, LtiPlatform.id == LtiLaunchSession.platform_id)
            .where(LtiLaunchSession.token_hash == token_hash(token))
            .where(LtiLaunchSession.expires_at > utcnow())
        )
        .first()
    )
    if found is None:
        session.pop(LTI_SESSION_KEY, None)
        return None
    profile, platform = found
    if request.endpoint == "lms.accounts.logout":
        # Logging out ends the launched session for every copy of the cookie.
        get_session().execute(
            delete(LtiLaunchSession).where(LtiLaunchSession.token_hash == token_hash(token))
        )
        session.pop(LTI_SESSION_KEY, None)
        return None
    g.lms_profile = profile
    g.lms_frame_origins = platform_origins(platform)
    g.lms_cross_site_session = True
    if request.endpoint in NEEDS_AN_ACCOUNT:
        return error_response(
            403, _("You came here from your training platform: manage your account there.")
        )
    return None


def _frame_headers(response: Response) -> Response:
    origins = g.get("lms_frame_origins")
    if origins:
        response.headers["Content-Security-Policy"] = frame_policy(origins)
        # frame-ancestors decides; X-Frame-Options cannot name another origin.
        response.headers.pop("X-Frame-Options", None)
    return response


def install_launched_sessions(parent: Blueprint) -> None:
    """Attach the launched-session hooks to the LMS blueprint.

    Called before the shared security headers are installed: Flask runs a
    blueprint's after-request functions last-registered first, so these
    headers replace the default ``frame-ancestors 'self'`` for launched pages.
    """
    parent.before_request(_load_launched_person)
    parent.after_request(_frame_headers)

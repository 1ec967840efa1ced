"""OIDC login initiation and the launch: pylti1p3 validates the platform's
signed id_token; here the state and nonce are consumed once, the platform's
user becomes a learner profile (by issuer and subject, never by name or
e-mail), the platform's course a cohort of its organisation, and an
instructor a trainer of that organisation only."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import request, url_for
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Cohort, CohortMember, Profile, Role
from lms.config import config_value
from lms.db import utcnow
from lms.i18n import _l
from lms.interop.lti_models import LtiContext, LtiLaunchSession, LtiLineItem, LtiPlatform, LtiUser
from lms.interop.lti_storage import (
    DatabaseCookieService,
    DatabaseLaunchStorage,
    DatabaseToolConf,
    platform_for,
)
from lms.state import get_session

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
#: LIS roles that make a launching person a trainer of the platform's organisation.
TRAINER_ROLES = ("#Instructor", "#ContentDeveloper", "#Administrator", "#TeachingAssistant")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
#: Seconds the OIDC state and nonce wait for the launch that follows the login.
STATE_SECONDS = 600
HTTP_TIMEOUT_SECONDS = 10
NAME_MAX = 40


class LaunchRefused(Exception):
    """A login or launch that cannot be accepted, with a message for the person."""

    def __init__(self, message: Any, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


class TimeoutSession(requests.Session):
    """pylti1p3's HTTP calls (key sets, tokens, scores) with a timeout: a
    platform that does not answer must not hold a worker or a request."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of ours under ``LMS_PUBLIC_URL`` (what platforms register)."""
    return str(config_value("LMS_PUBLIC_URL")).rstrip("/") + url_for(endpoint, **values)


def _adapter(data: dict[str, Any] | None = None) -> FlaskRequest:
    # No cookies and no Flask session: what a login or launch needs is in the
    # database (third-party iframes often drop cookies).
    return FlaskRequest(cookies={}, session={}, request_data=data, request_is_secure=True)


def login_redirect(params: dict[str, Any]) -> str:
    """Where to send the browser for the platform's OIDC authentication."""
    storage = DatabaseLaunchStorage()
    login = FlaskOIDCLogin(
        _adapter({key: str(value) for key, value in params.items()}),
        DatabaseToolConf(),
        cookie_service=DatabaseCookieService(storage),
        launch_data_storage=storage,
    )
    storage.purge_expired()
    login.set_launch_data_storage(storage)
    login.set_launch_data_lifetime(STATE_SECONDS)
    try:
        return login.get_redirect_object(public_url("lms.lti.launch")).get_redirect_url()
    except OIDCException as error:
        if "registration" in str(error).lower():
            raise LaunchRefused(_l("This platform is not registered with us."), 404) from error
        raise LaunchRefused(
            _l("The platform's login request is incomplete. Start again from the platform.")
        ) from error


class ConsumingMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch, with the OIDC state and the nonce used up by the first
    launch that presents them: a replayed id_token finds neither."""

    storage: DatabaseLaunchStorage

    def validate_state(self) -> ConsumingMessageLaunch:
        state = self._get_request_param("state")
        if not state or not self.storage.consume("cookie-" + state):
            raise LtiException("State not found")
        return self

    def validate_nonce(self) -> ConsumingMessageLaunch:
        nonce = self._get_jwt_body().get("nonce")
        if not nonce or not self.storage.consume(self._session_service._get_key("nonce", nonce)):
            raise LtiException("Invalid Nonce")
        return self


def _launch_object(storage: DatabaseLaunchStorage) -> ConsumingMessageLaunch:
    launch = ConsumingMessageLaunch(
        _adapter(),
        DatabaseToolConf(),
        cookie_service=DatabaseCookieService(storage),
        launch_data_storage=storage,
        requests_session=TimeoutSession(),
    )
    launch.storage = storage
    launch.set_launch_data_storage(storage)
    launch.set_public_key_caching(storage, cache_lifetime=600)
    launch.set_launch_data_lifetime(3600)
    return launch


def validate_launch() -> ConsumingMessageLaunch:
    """The current request's launch, validated (signature, issuer, audience,
    deployment, expiry, state, nonce); raises LaunchRefused."""
    if not request.form.get("id_token") or not request.form.get("state"):
        raise LaunchRefused(_l("This launch is incomplete. Start again from the platform."))
    launch = _launch_object(DatabaseLaunchStorage())
    try:
        launch.get_launch_data()
    except LtiException as error:
        text = str(error)
        if "Registration not found" in text or "Client id not registered" in text:
            raise LaunchRefused(_l("This platform is not registered with us."), 404) from error
        if "State not found" in text or "Nonce" in text:
            raise LaunchRefused(
                _l("This launch has expired or was already used. Start again from the platform.")
            ) from error
        if "expired" in text.lower():
            raise LaunchRefused(
                _l("This launch has expired or was already used. Start again from the platform.")
            ) from error
        if "deployment" in text.lower():
            raise LaunchRefused(_l("This deployment of the platform is not registered.")) from error
        raise LaunchRefused(
            _l("The platform's signature on this launch could not be verified.")
        ) from error
    except (ValueError, KeyError, TypeError) as error:
        raise LaunchRefused(_l("This launch could not be read.")) from error
    return launch


def cached_launch(launch_id: str) -> ConsumingMessageLaunch | None:
    """A launch validated earlier (a deep linking request), by its launch id."""
    storage = DatabaseLaunchStorage()
    try:
        launch = ConsumingMessageLaunch.from_cache(
            launch_id,
            _adapter(),
            DatabaseToolConf(),
            cookie_service=DatabaseCookieService(storage),
            launch_data_storage=storage,
        )
    except LtiException:
        return None
    launch.storage = storage
    return launch


@dataclass
class LaunchResult:
    platform: LtiPlatform
    profile: Profile
    sub: str
    session_token: str
    target: str | None
    locale: str | None


def _platform(body: dict[str, Any]) -> LtiPlatform:
    audience = body.get("aud")
    client_id = audience[0] if isinstance(audience, list) and audience else audience
    platform = platform_for(body.get("iss"), str(client_id) if client_id else None)
    if platform is None:
        raise LaunchRefused(_l("This platform is not registered with us."), 404)
    return platform


def _display_name(body: dict[str, Any]) -> str:
    name = body.get("name") or " ".join(
        part for part in (body.get("family_name"), body.get("given_name")) if part
    )
    return str(name or "").strip()[:NAME_MAX]


def profile_of(platform: LtiPlatform, sub: str, name: str) -> tuple[Profile, LtiUser]:
    """The learner profile of a platform's user, created on their first launch."""
    session = get_session()
    found = session.scalar(
        select(LtiUser).where(LtiUser.platform_id == platform.id, LtiUser.sub == sub)
    )
    if found is not None:
        return session.get(Profile, found.profile_id), found
    # The profile's key names no host user: "lti-" and a random id, so no
    # platform user can ever be taken for one of the host's.
    profile = Profile(
        user_ref=f"lti-{secrets.token_hex(16)}",
        display_name=name or platform.name[:NAME_MAX],
        role=Role.LEARNER,
    )
    session.add(profile)
    session.flush()
    link = LtiUser(platform_id=platform.id, sub=sub, profile_id=profile.id)
    session.add(link)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # The same user's two first launches at once: the other one's profile counts.
        session.delete(profile)
        link = session.scalars(
            select(LtiUser).where(LtiUser.platform_id == platform.id, LtiUser.sub == sub)
        ).one()
        return session.get(Profile, link.profile_id), link
    return profile, link


def _is_trainer(roles: Any) -> bool:
    return isinstance(roles, list) and any(
        isinstance(role, str) and role.endswith(TRAINER_ROLES) for role in roles
    )


def _apply_roles(profile: Profile, platform: LtiPlatform, roles: Any) -> None:
    # A platform speaks for its own organisation only, and never grants more
    # than trainer rights; a profile an admin raised higher keeps its role.
    if profile.role not in (Role.LEARNER, Role.TRAINER):
        return
    if _is_trainer(roles):
        profile.role = Role.TRAINER
        profile.organisation_id = platform.organisation_id
    else:
        profile.role = Role.LEARNER
        profile.organisation_id = None


def _join_context(platform: LtiPlatform, profile: Profile, context: Any) -> None:
    if not isinstance(context, dict) or not context.get("id"):
        return
    session = get_session()
    context_id = str(context["id"])[:255]
    link = session.scalar(
        select(LtiContext).where(
            LtiContext.platform_id == platform.id, LtiContext.context_id == context_id
        )
    )
    if link is None:
        title = str(context.get("title") or context.get("label") or context_id)
        cohort = Cohort(
            organisation_id=platform.organisation_id, name=f"{platform.name} · {title}"[:120]
        )
        session.add(cohort)
        session.flush()
        link = LtiContext(platform_id=platform.id, context_id=context_id, cohort_id=cohort.id)
        session.add(link)
        session.flush()
    member = session.scalar(
        select(CohortMember.id).where(
            CohortMember.cohort_id == link.cohort_id,
            CohortMember.profile_id == profile.id,
            CohortMember.left_at.is_(None),
        )
    )
    if member is None:
        session.add(CohortMember(cohort_id=link.cohort_id, profile_id=profile.id))
        session.flush()


def target_of(body: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """What the resource link opens: ("course"|"lesson"|"quiz", course key, lesson key).

    Read from the custom parameter ``lms_target`` (``course:KEY``,
    ``lesson:KEY/LESSON``, ``quiz:KEY``) that our deep links carry.
    """
    custom = body.get(CLAIM + "custom")
    raw = str(custom.get("lms_target") or "") if isinstance(custom, dict) else ""
    kind, _sep, rest = raw.partition(":")
    course_key, _slash, lesson_key = rest.partition("/")
    if kind not in ("course", "lesson", "quiz") or not KEY_PATTERN.match(course_key):
        return None
    if kind == "lesson":
        if not KEY_PATTERN.match(lesson_key):
            return None
        return kind, course_key, lesson_key
    return kind, course_key, None


def target_url(target: tuple[str, str, str | None] | None) -> str:
    """Our page for a launch's target (the home page without one)."""
    if target is None:
        return url_for("lms.courses.home")
    kind, course_key, lesson_key = target
    if kind == "lesson":
        return url_for("lms.courses.lesson", key=course_key, lesson_key=lesson_key)
    if kind == "quiz":
        return url_for("lms.assessments.quiz", course_key=course_key)
    return url_for("lms.courses.course", key=course_key)


def _line_item(
    platform: LtiPlatform, profile: Profile, sub: str, body: dict[str, Any], course_key: str
) -> None:
    endpoint = body.get(AGS_CLAIM)
    if not isinstance(endpoint, dict):
        return
    url = endpoint.get("lineitem")
    scopes = endpoint.get("scope") or []
    if not isinstance(url, str) or SCORE_SCOPE not in scopes:
        return
    if urlsplit(url).scheme not in ("http", "https") or len(url) > 500:
        return
    session = get_session()
    known = session.scalar(
        select(LtiLineItem.id).where(
            LtiLineItem.platform_id == platform.id,
            LtiLineItem.profile_id == profile.id,
            LtiLineItem.course_key == course_key,
            LtiLineItem.url == url,
        )
    )
    if known is None:
        session.add(
            LtiLineItem(
                platform_id=platform.id,
                profile_id=profile.id,
                course_key=course_key,
                url=url,
                sub=sub,
            )
        )
        session.flush()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_launch(launch: ConsumingMessageLaunch) -> LaunchResult:
    """Map a validated launch onto our people, cohorts and line items, and open
    the launched browser's session (the view commits)."""
    body = dict(launch.get_launch_data())
    platform = _platform(body)
    sub = str(body.get("sub") or "")
    if not sub or len(sub) > 255:
        raise LaunchRefused(_l("The platform did not say who is launching."))
    profile, _link = profile_of(platform, sub, _display_name(body))
    _apply_roles(profile, platform, body.get(CLAIM + "roles"))
    _join_context(platform, profile, body.get(CLAIM + "context"))
    target = target_of(body)
    if target is not None and not launch.is_deep_link_launch():
        _line_item(platform, profile, sub, body, target[1])
    token = secrets.token_urlsafe(32)
    hours = int(config_value("LMS_LTI_SESSION_HOURS"))
    get_session().add(
        LtiLaunchSession(
            token_hash=token_hash(token),
            platform_id=platform.id,
            profile_id=profile.id,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    get_session().flush()
    return LaunchResult(platform, profile, sub, token, target_url(target), _locale(body))


def _locale(body: dict[str, Any]) -> str | None:
    """Our language for the platform's ``launch_presentation.locale`` (``zh-CN``, ``en-US``)."""
    presentation = body.get(CLAIM + "launch_presentation")
    raw = str(presentation.get("locale") or "") if isinstance(presentation, dict) else ""
    code = raw.replace("_", "-").lower()
    if code.startswith("zh"):
        return "zh_CN"
    if code.startswith("en"):
        return "en"
    return None


def may_author(launch: ConsumingMessageLaunch) -> bool:
    """Whether the person of a deep linking launch may pick our content."""
    return _is_trainer(launch.get_launch_data().get(CLAIM + "roles"))

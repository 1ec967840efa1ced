"""What must be right before the LMS serves for real: a signing key, a public
URL, the Redis it was given, and an accounts set-up that cannot mix users.

``LMS.init_app`` raises :class:`StartupCheckFailed` with every problem at once
(outside debug and testing, when ``LMS_STARTUP_CHECKS`` is on), and
``flask lms doctor`` prints the same list on demand.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

from lms.config import config_value
from lms.state import HOST_ACCOUNTS, LMSState

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class StartupCheckFailed(RuntimeError):
    """A production setting is missing or wrong; the message names each one."""


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url_problem(app: Flask) -> str | None:
    """Why LMS_PUBLIC_URL cannot go on certificates, or None."""
    url = str(config_value("LMS_PUBLIC_URL", app) or "")
    parts = urlsplit(url)
    if not url or parts.scheme not in {"http", "https"} or not parts.hostname:
        return (
            "LMS_PUBLIC_URL is missing or not an http(s) URL: set it to the address "
            "employers open to verify a certificate, e.g. https://training.example.cn."
        )
    if _is_loopback(parts.hostname):
        return (
            f"LMS_PUBLIC_URL is {url}, a loopback address that would be signed into every "
            "certificate and its QR code: set it to the public address of the site."
        )
    return None


def signing_key_problem(app: Flask) -> str | None:
    """Why certificates could not be signed, or None."""
    from lms.certificates import tokens

    pem = config_value("LMS_SIGNING_KEY", app)
    key_file = config_value("LMS_SIGNING_KEY_FILE", app)
    if not pem and not key_file:
        return (
            "LMS_SIGNING_KEY (or LMS_SIGNING_KEY_FILE) is not set: certificates issued when "
            'a learner passes could not be signed. Create one with python -c "from '
            'lms.certificates.tokens import generate_key; print(generate_key()[0])" and '
            "give every app server the same key."
        )
    try:
        tokens.load_private_key(pem or Path(key_file).read_bytes())
    except (OSError, ValueError, TypeError) as error:
        source = "LMS_SIGNING_KEY" if pem else f"LMS_SIGNING_KEY_FILE ({key_file})"
        return f"{source} is not a readable Ed25519 PEM key: {error}"
    return None


def redis_problems(app: Flask) -> list[str]:
    """The configured Redis URLs that do not answer a ping."""
    problems = []
    for key in ("LMS_REDIS_URL", "LMS_RATELIMIT_STORAGE_URL"):
        url = config_value(key, app)
        if not url or not str(url).startswith(("redis://", "rediss://", "unix://")):
            continue
        try:
            import redis
        except ImportError:
            problems.append(f'{key} is set but redis is not installed: pip install "lms[redis]".')
            continue
        client = redis.Redis.from_url(str(url), socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        except redis.RedisError as error:
            problems.append(f"{key} ({url}) does not answer: {error}")
        finally:
            client.close()
    return problems


def accounts_problem(app: Flask, state: LMSState) -> str | None:
    """Why the LMS and the app's Flask-Login would disagree about whose user is logged in."""
    manager = getattr(app, "login_manager", None)
    if state.accounts == HOST_ACCOUNTS:
        if manager is None:
            return (
                'LMS_ACCOUNTS is "host" but the app has no Flask-Login LoginManager: '
                'set one up (LoginManager(app)) or use LMS_ACCOUNTS = "builtin".'
            )
        return None
    if manager is not state.login_manager:
        return (
            "The app installed its own Flask-Login LoginManager after the LMS set up its "
            'built-in accounts: set LMS_ACCOUNTS = "host" so the LMS uses your users '
            "(its sign-up and login would otherwise put LMS user ids in your session)."
        )
    return None


def csrf_exempt_views(app: Flask) -> list[str]:
    """Where Flask-WTF's CSRFProtect finds the LMS views that protect themselves."""
    return [
        f"{view.__module__}.{view.__name__}"
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("lms.") and getattr(view, "lms_csrf_exempt", False)
    ]


def csrf_problem(app: Flask) -> str | None:
    """Whether a host CSRFProtect set up after the LMS would refuse the offline sync."""
    csrf = app.extensions.get("csrf")
    if csrf is None:
        return None
    missing = [name for name in csrf_exempt_views(app) if name not in csrf._exempt_views]
    if missing:
        return (
            "Flask-WTF's CSRFProtect was set up after the LMS, so it refuses the LMS's "
            "offline sync: call csrf.init_app(app) before LMS.init_app(app), or "
            + ", ".join(f'csrf.exempt("{name}")' for name in missing)
            + "."
        )
    return None


def production_problems(app: Flask, state: LMSState, *, with_redis: bool = True) -> list[str]:
    """Every reason the LMS is not ready to serve for real, as sentences."""
    problems = [
        problem for problem in (signing_key_problem(app), public_url_problem(app)) if problem
    ]
    if with_redis:
        problems.extend(redis_problems(app))
    return problems


def request_time_problems(app: Flask, state: LMSState) -> list[str]:
    """What can only be checked once the host's factory has finished."""
    return [problem for problem in (accounts_problem(app, state), csrf_problem(app)) if problem]


def check_production_settings(app: Flask, state: LMSState) -> None:
    """Raise :class:`StartupCheckFailed` outside debug and testing if anything is wrong."""
    if app.debug or app.testing:
        return
    if not config_value("LMS_STARTUP_CHECKS", app):
        # A trial on one machine may print loopback links, but never silently.
        problem = public_url_problem(app)
        if problem:
            app.logger.warning("%s Certificates issued now keep that address.", problem)
        return
    problems = production_problems(app, state)
    if problems:
        raise StartupCheckFailed(
            "The LMS cannot start:\n- "
            + "\n- ".join(problems)
            + "\n(Run with --debug for local development, or see `flask lms doctor`.)"
        )

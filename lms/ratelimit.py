"""Per-client rate limits on public lookups, shared across app processes.

Flask-Limiter keeps the counters in the storage named by
``LMS_RATELIMIT_STORAGE_URL`` (else ``LMS_REDIS_URL``, else ``memory://``):
with Redis every process of the app counts against the same limit, so nobody
can enumerate certificate numbers by spreading requests over workers.

A view opts in with :func:`rate_limited`; :func:`init_rate_limits`, called once
from ``LMS.init_app`` after the blueprints are registered, wraps the marked
views with one limiter per app (so several apps in one process, as in tests,
never share counters by accident).

Config keys:

* ``LMS_RATELIMIT_STORAGE_URL``: e.g. ``redis://127.0.0.1:6379/2``.
* ``LMS_RATELIMIT_KEY_PREFIX``: namespace of the counters (default ``lms``).
* ``LMS_RATELIMIT_ENABLED``: default True.
* ``LMS_VERIFY_RATE_LIMIT``: limit of the certificate lookups, in
  Flask-Limiter's notation (default ``"20 per minute;200 per hour"``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, request
from flask_limiter import Limiter

from lms.config import config_value

View = TypeVar("View", bound=Callable[..., Any])

EXTENSION_KEY = "lms_limiter"
DEFAULT_STORAGE_URL = "memory://"
DEFAULT_VERIFY_LIMIT = "20 per minute;200 per hour"
#: limit name -> config key holding its rate and the default rate
LIMITS: dict[str, tuple[str, str]] = {
    "certificate-lookup": ("LMS_VERIFY_RATE_LIMIT", DEFAULT_VERIFY_LIMIT),
}


def rate_limited(
    name: str, exempt_when: Callable[[], bool] | None = None
) -> Callable[[View], View]:
    """Mark a view as counting against the named shared limit (see :data:`LIMITS`).

    ``exempt_when`` spares requests that look nothing up (an empty form).
    """
    if name not in LIMITS:
        raise KeyError(f"unknown rate limit {name!r}")

    def decorator(view: View) -> View:
        view.lms_rate_limit = name  # type: ignore[attr-defined]
        view.lms_rate_limit_exempt_when = exempt_when  # type: ignore[attr-defined]
        return view

    return decorator


def client_key() -> str:
    """Who is asking: the client address (behind a proxy, set up ProxyFix first)."""
    return request.remote_addr or "unknown"


def storage_url(config: dict[str, Any]) -> str:
    """The counters' storage: the rate-limit URL, else the shared Redis, else memory."""
    return str(
        config.get("LMS_RATELIMIT_STORAGE_URL")
        or config.get("LMS_REDIS_URL")
        or DEFAULT_STORAGE_URL
    )


def _rate(config_key: str, default: str) -> Callable[[], str]:
    return lambda: str(config_value(config_key) or default)


def init_rate_limits(app: Flask) -> Limiter | None:
    """Create this app's limiter and apply it to every view marked :func:`rate_limited`."""
    if EXTENSION_KEY in app.extensions:
        raise RuntimeError("LMS rate limits are already set up on this app.")
    if not config_value("LMS_RATELIMIT_ENABLED", app):
        # Off means no limiter at all: even a disabled one runs on every request.
        app.extensions[EXTENSION_KEY] = None
        return None
    limiter = Limiter(
        client_key,
        storage_uri=storage_url(app.config),
        key_prefix=str(config_value("LMS_RATELIMIT_KEY_PREFIX", app) or "lms"),
        enabled=True,
        strategy="fixed-window",
        headers_enabled=True,
        # Storage down: count per process rather than fail every lookup with a 500.
        swallow_errors=True,
        in_memory_fallback_enabled=True,
        default_limits=[],
        application_limits=[],
    )
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter
    for endpoint, view in list(app.view_functions.items()):
        name = getattr(view, "lms_rate_limit", None)
        if name is None:
            continue
        config_key, default = LIMITS[name]
        limit = limiter.shared_limit(
            _rate(config_key, default),
            scope=name,
            exempt_when=getattr(view, "lms_rate_limit_exempt_when", None),
        )
        app.view_functions[endpoint] = limit(view)
    return limiter

"""Per-client rate limits on public lookups, shared across app processes.

The ``limits`` library (Flask-Limiter's engine) keeps the counters in the storage named by
``LMS_RATELIMIT_STORAGE_URL`` (else ``LMS_REDIS_URL``, else ``memory://``):
with Redis every process of the app counts against the same limit, so nobody
can enumerate certificate numbers by spreading requests over workers.

A view opts in with :func:`rate_limited`; :func:`init_rate_limits`, called once
from ``LMS.init_app`` after the blueprints are registered, wraps the marked
LMS views (and only those: a host's routes and its ``RATELIMIT_*`` settings are
left alone) with one limiter per app (so several apps in one process, as in tests,
never share counters by accident).

Config keys:

* ``LMS_RATELIMIT_STORAGE_URL``: e.g. ``redis://127.0.0.1:6379/2``.
* ``LMS_RATELIMIT_KEY_PREFIX``: namespace of the counters (default ``lms``).
* ``LMS_RATELIMIT_ENABLED``: default True.
* ``LMS_VERIFY_RATE_LIMIT``: limit of the certificate lookups, in
  the ``limits`` notation (default ``"20 per minute;200 per hour"``).
* ``LMS_EMPLOYER_API_RATE_LIMIT``: calls per employer API key (default
  ``"60 per minute;2000 per day"``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, request
from limits import parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from lms.config import config_value

View = TypeVar("View", bound=Callable[..., Any])

EXTENSION_KEY = "lms_limiter"
DEFAULT_STORAGE_URL = "memory://"
DEFAULT_VERIFY_LIMIT = "20 per minute;200 per hour"
DEFAULT_EMPLOYER_API_LIMIT = "60 per minute;2000 per day"
#: The public certificate checks' shared limit (page, API, share links).
LOOKUP = "certificate-lookup"
#: limit name -> config key holding its rate and the default rate
LIMITS: dict[str, tuple[str, str]] = {
    LOOKUP: ("LMS_VERIFY_RATE_LIMIT", DEFAULT_VERIFY_LIMIT),
    "employer-api": ("LMS_EMPLOYER_API_RATE_LIMIT", DEFAULT_EMPLOYER_API_LIMIT),
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


class LMSLimiter:
    """One app's rate limits: counters in shared storage, checked only on LMS views.

    Built on the ``limits`` library rather than a Flask-Limiter instance, which
    would hook every request of the host app and read the host's ``RATELIMIT_*``
    settings.
    """

    def __init__(self, url: str, key_prefix: str) -> None:
        self.key_prefix = key_prefix
        options: dict[str, Any] = {}
        if url.startswith(("redis://", "rediss://")):
            # A Redis that does not answer must cost a lookup a moment, not hang it.
            options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
        self.storage = storage_from_string(url, **options)
        self.strategy = FixedWindowRateLimiter(self.storage)
        # Storage down: count per process rather than fail every lookup with a 500.
        self.fallback = FixedWindowRateLimiter(MemoryStorage())

    def hit(self, name: str, rate: str, key: str | None = None) -> int | None:
        """Count one request against the named limit; seconds to wait if it is used up.

        ``key`` says whose budget it is (e.g. an API key's id); by default the client address.
        """
        key = key or client_key()
        for item in parse_many(rate):
            try:
                allowed = self.strategy.hit(item, self.key_prefix, name, key)
                limiter = self.strategy
            except Exception:
                limiter = self.fallback
                allowed = limiter.hit(item, self.key_prefix, name, key)
            if not allowed:
                reset, _remaining = limiter.get_window_stats(item, self.key_prefix, name, key)
                return max(1, int(reset - time.time()) + 1)
        return None


def hit_limit(app: Flask, name: str, key: str) -> int | None:
    """Count one request of ``key`` against the named limit of ``app``; seconds to
    wait if it is used up, None if allowed (or rate limits are off)."""
    limiter: LMSLimiter | None = app.extensions.get(EXTENSION_KEY)
    if limiter is None:
        return None
    config_key, default = LIMITS[name]
    # Given the app, not the current one: the verification fast path counts
    # its replies outside any app context.
    return limiter.hit(name, str(config_value(config_key, app) or default), key)


def _limit(view: View, limiter: LMSLimiter, name: str) -> View:
    config_key, default = LIMITS[name]
    rate = _rate(config_key, default)
    exempt_when = getattr(view, "lms_rate_limit_exempt_when", None)

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        if exempt_when is None or not exempt_when():
            retry_after = limiter.hit(name, rate())
            if retry_after is not None:
                raise TooManyRequests(retry_after=retry_after)
        return view(*args, **kwargs)

    return limited  # type: ignore[return-value]


def init_rate_limits(app: Flask, endpoint_prefix: str = "lms.") -> LMSLimiter | None:
    """Create this app's limiter and apply it to every LMS view marked :func:`rate_limited`."""
    if EXTENSION_KEY in app.extensions:
        raise RuntimeError("LMS rate limits are already set up on this app.")
    if not config_value("LMS_RATELIMIT_ENABLED", app):
        app.extensions[EXTENSION_KEY] = None
        return None
    limiter = LMSLimiter(
        storage_url(app.config), str(config_value("LMS_RATELIMIT_KEY_PREFIX", app) or "lms")
    )
    app.extensions[EXTENSION_KEY] = limiter
    for endpoint, view in list(app.view_functions.items()):
        name = getattr(view, "lms_rate_limit", None)
        if name is None or not endpoint.startswith(endpoint_prefix):
            continue
        app.view_functions[endpoint] = _limit(view, limiter, name)
    return limiter

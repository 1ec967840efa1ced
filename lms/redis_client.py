"""The Redis connection of one app: one connection pool per app and process.

Shared state lives in Redis so that every app process sees the same thing; the
pool itself is per process (redis-py opens new connections after a fork).
Timeouts are short: Redis only ever speeds a request up or counts it, so a
Redis that does not answer must cost a request a fraction of a second, not
hang it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from lms.config import config_value

EXTENSION_KEY = "lms_redis"
TIMEOUT_SECONDS = 0.5


def redis_client(app: Flask | None = None) -> Any | None:
    """The app's Redis client, or None when ``LMS_REDIS_URL`` is not set."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    url = config_value("LMS_REDIS_URL", app)
    if not url:
        return None
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is not None and cached[0] == url:
        return cached[1]
    import redis

    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=TIMEOUT_SECONDS,
        socket_timeout=TIMEOUT_SECONDS,
        health_check_interval=30,
    )
    app.extensions[EXTENSION_KEY] = (url, client)
    return client


def key_prefix(app: Flask | None = None) -> str:
    """Namespace of every key the app writes, so several apps can share one Redis."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return str(config_value("LMS_REDIS_KEY_PREFIX", app) or "lms")

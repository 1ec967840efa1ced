"""Checking the services the app depends on."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from lms.config import config_value
from lms.redis_client import redis_client
from lms.state import get_session


def _timed(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> None:
    session = get_session()
    try:
        session.execute(text("SELECT 1"))
    finally:
        session.rollback()


def _redis() -> None:
    client = redis_client()
    if client is not None:
        client.ping()


def readiness() -> dict[str, dict[str, Any]]:
    """Each dependency with whether it answered and how fast."""
    checks = {"database": _timed(_database)}
    if config_value("LMS_REDIS_URL"):
        checks["redis"] = _timed(_redis)
    return checks

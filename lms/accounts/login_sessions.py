"""Signed-in browsers of standalone users, kept in the database so that a
session really ends: after logging out, changing the password or signing out
everywhere, a copy of the old cookie is refused by every app process."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app, g
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import String, cast, select, update

from lms.accounts.models import LoginSession, Profile, User
from lms.db import utcnow
from lms.state import get_session

#: Where the signed session cookie keeps this browser's token.
LOGIN_SESSION_KEY = "lms_login"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_login_session(user: User, now: datetime | None = None) -> str:
    """Record a new signed-in browser of ``user`` and return its token."""
    token = secrets.token_urlsafe(32)
    get_session().add(
        LoginSession(user_id=user.id, token_hash=_hash(token), created_at=now or utcnow())
    )
    get_session().flush()
    return token


def signed_in_user(user_id: int, token: object) -> User | None:
    """The user whose live login session ``token`` is, if it belongs to ``user_id``.

    The user's profile comes in the same query and is kept for the request
    (``current_profile``), so a signed-in page pays one statement for who is asking.
    """
    if not isinstance(token, str) or not token:
        return None
    row = (
        get_session()
        .execute(
            select(User, Profile)
            .join(LoginSession, LoginSession.user_id == User.id)
            .outerjoin(Profile, Profile.user_ref == cast(User.id, String))
            .where(
                User.id == user_id,
                LoginSession.token_hash == _hash(token),
                LoginSession.ended_at.is_(None),
            )
        )
        .first()
    )
    if row is None:
        return None
    user, profile = row
    if profile is not None:
        g.lms_profile = profile
    return user


def end_login_session(token: object, now: datetime | None = None) -> None:
    """End one browser's session (logging out)."""
    if isinstance(token, str) and token:
        get_session().execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None))
            .values(ended_at=now or utcnow())
        )


def end_login_sessions(user: User, keep: object = None, now: datetime | None = None) -> int:
    """End every session of ``user`` except the one whose token is ``keep``;
    returns how many ended."""
    statement = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if isinstance(keep, str) and keep:
        statement = statement.where(LoginSession.token_hash != _hash(keep))
    result = get_session().execute(statement.values(ended_at=now or utcnow()))
    return int(result.rowcount or 0)


#: The cookie that tells a browser where its owner signed in before.
KNOWN_DEVICE_COOKIE = "lms_device"
#: How long a browser stays known without signing in again.
KNOWN_DEVICE_DAYS = 400


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="lms-known-device")


def known_device_token(user: User) -> str:
    """A signed value saying this browser signed in as ``user``."""
    return _device_serializer().dumps(user.id)


def known_device_user_id(token: str | None) -> int | None:
    """The user a known-device cookie names, if it is ours and not too old."""
    if not token:
        return None
    try:
        user_id = _device_serializer().loads(token, max_age=KNOWN_DEVICE_DAYS * 86400)
    except BadData:
        return None
    return user_id if isinstance(user_id, int) else None

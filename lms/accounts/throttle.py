"""Login throttling that holds when guesses arrive in parallel, and that one
stranger cannot use to lock every rider out.

Each attempt takes its turn before its password is checked: a single
``UPDATE ... RETURNING`` adds one to the counter and says where it stands, so
twenty guesses sent at once count twenty and at most the allowed number of
them is ever checked. The view commits the turn before checking the password,
so the slow hash runs outside any write lock.

- Per mobile number: after ``LMS_LOGIN_MAX_FAILURES`` wrong passwords in a row
  the number waits ``LMS_LOGIN_LOCK_MINUTES``, except on a browser where its
  owner signed in before (a signed "known device" cookie): a stranger's
  guesses never lock the owner out of their own phone.
- Per client address: a station's shared Wi-Fi is one address for every rider
  there, so the address is never locked. After ``ADDRESS_FREE_FAILURES`` wrong
  passwords it is slowed down, waiting 1, 2, 4, ... up to 60 seconds between
  tries; the count fades after the lock window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from lms.accounts.models import LoginThrottle, User
from lms.accounts.services import (
    AccountError,
    LoginThrottled,
    find_user_by_phone,
    normalise_phone,
)
from lms.config import config_value
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session

#: Wrong passwords from one address before it is slowed down.
ADDRESS_FREE_FAILURES = 30
#: The longest an address waits between two tries.
ADDRESS_MAX_DELAY = timedelta(seconds=60)


class LoginSlowedDown(AccountError):
    """Many wrong passwords from this address: wait a few seconds."""

    def __init__(self, seconds: int) -> None:
        super().__init__(
            _l(
                "Many wrong passwords came from this network. Wait %(seconds)d seconds and "
                "try again.",
                seconds=seconds,
            )
        )
        self.seconds = seconds


@dataclass(frozen=True)
class LoginAttempt:
    """A counted attempt, waiting for its password to be checked."""

    phone: str
    phone_key: str | None
    phone_failures: int
    address_key: str | None
    address_failures: int


def _ensure_row(key: str) -> None:
    session = get_session()
    if session.scalar(select(LoginThrottle.id).where(LoginThrottle.key == key)) is not None:
        return
    try:
        with session.begin_nested():
            session.add(LoginThrottle(key=key, failures=0))
            session.flush()
    except IntegrityError:
        pass  # another attempt created it at the same moment


def _take_turn(key: str, now: datetime, fade_after: timedelta | None) -> int | None:
    """Count one attempt on ``key``; None while the key is waiting out a lock."""
    _ensure_row(key)
    counted = LoginThrottle.failures + 1
    if fade_after is not None:
        counted = case((LoginThrottle.updated_at < now - fade_after, 1), else_=counted)
    return (
        get_session()
        .execute(
            update(LoginThrottle)
            .where(
                LoginThrottle.key == key,
                or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
            )
            .values(failures=counted, updated_at=now)
            .returning(LoginThrottle.failures)
        )
        .scalar()
    )


def _locked_until(key: str) -> datetime | None:
    return get_session().scalar(select(LoginThrottle.locked_until).where(LoginThrottle.key == key))


def _lock(key: str, until: datetime, reset: bool) -> None:
    values: dict[str, object] = {"locked_until": until}
    if reset:
        values["failures"] = 0
    get_session().execute(update(LoginThrottle).where(LoginThrottle.key == key).values(**values))


def _lock_window() -> timedelta:
    return timedelta(minutes=config_value("LMS_LOGIN_LOCK_MINUTES"))


def reserve_login_attempt(
    phone: str,
    client_address: str | None,
    known_user_id: int | None = None,
    now: datetime | None = None,
) -> LoginAttempt:
    """Count this attempt before its password is checked; raise while it must wait.

    ``known_user_id`` is the user this browser signed in as before, if any.
    """
    now = now or utcnow()
    normalised = normalise_phone(phone) or (phone or "").strip()[:20]
    limit = config_value("LMS_LOGIN_MAX_FAILURES")
    phone_key = "phone:" + normalised
    if known_user_id is not None:
        user = find_user_by_phone(normalised)
        if user is not None and user.id == known_user_id:
            phone_key = None
    phone_failures = 0
    if phone_key is not None:
        taken = _take_turn(phone_key, now, fade_after=None)
        if taken is None or taken > limit:
            # Locked, or more guesses arrived together than are allowed.
            until = _locked_until(phone_key) or now + _lock_window()
            raise LoginThrottled(max(1, math.ceil((until - now).total_seconds() / 60)))
        phone_failures = taken
    address_key = "addr:" + client_address[:60] if client_address else None
    address_failures = 0
    if address_key is not None:
        taken = _take_turn(address_key, now, fade_after=_lock_window())
        if taken is None:
            until = _locked_until(address_key) or now
            raise LoginSlowedDown(max(1, math.ceil((until - now).total_seconds())))
        address_failures = taken
    return LoginAttempt(normalised, phone_key, phone_failures, address_key, address_failures)


def finish_login(attempt: LoginAttempt, password: str, now: datetime | None = None) -> User:
    """Check the password of a counted attempt; a wrong one stays counted."""
    now = now or utcnow()
    user = find_user_by_phone(attempt.phone)
    if user is not None and check_password_hash(user.password_hash, password):
        if attempt.phone_key is not None:
            get_session().execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == attempt.phone_key)
                .values(failures=0, locked_until=None)
            )
        if attempt.address_key is not None:
            # This try was no guess: it does not count against the address.
            get_session().execute(
                update(LoginThrottle)
                .where(LoginThrottle.key == attempt.address_key, LoginThrottle.failures > 0)
                .values(failures=LoginThrottle.failures - 1)
            )
        return user
    limit = config_value("LMS_LOGIN_MAX_FAILURES")
    if attempt.phone_key is not None and attempt.phone_failures >= limit:
        _lock(attempt.phone_key, now + _lock_window(), reset=True)
    extra = attempt.address_failures - ADDRESS_FREE_FAILURES
    if attempt.address_key is not None and extra >= 0:
        delay = min(timedelta(seconds=2 ** min(extra, 6)), ADDRESS_MAX_DELAY)
        _lock(attempt.address_key, now + delay, reset=False)
    raise AccountError(_l("Wrong mobile number or password."))

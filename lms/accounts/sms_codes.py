"""Signing in with a 6-digit code sent by SMS, for riders who forgot their
password or changed phones.

- A code lasts :data:`CODE_MINUTES` minutes and takes at most :data:`CODE_TRIES`
  tries; a new code ends the number's older ones.
- One code per number a minute, ``LMS_SMS_CODES_PER_NUMBER`` an hour, and
  ``LMS_SMS_CODES_PER_ADDRESS`` an hour per client address. The counts are rows
  of ``lms_sms_code``, so every app process sees the same.
- Nothing tells whether a number is registered: a number with no account gets
  a row (and the same answer, the same limits) but no SMS, and no code matches it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import SmsCode, User
from lms.accounts.services import (
    AccountError,
    find_user_by_phone,
    hash_password,
    normalise_phone,
    password_problem,
)
from lms.accounts.sms import SmsError, sms_sender
from lms.config import config_value
from lms.db import utcnow
from lms.i18n import _l, gettext_in, languages
from lms.state import get_session

log = logging.getLogger(__name__)

#: How long a code can be used.
CODE_MINUTES = 5
#: Wrong codes allowed before the code stops working.
CODE_TRIES = 5
#: The shortest wait between two codes for one number.
RESEND_AFTER = timedelta(minutes=1)
WINDOW = timedelta(hours=1)


class SmsCodeRefused(AccountError):
    """Asked too often: wait before asking again."""


def _hash(phone: str, code: str) -> str:
    # Keyed: six digits alone would fall to anyone who read the table.
    key = (current_app.secret_key or "").encode("utf-8")
    return hmac.new(key, f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _minute(now: datetime) -> int:
    return int(now.timestamp() // 60)


def _count(*conditions: object) -> int:
    return int(get_session().scalar(select(func.count(SmsCode.id)).where(*conditions)) or 0)


def request_code(phone: str, client_address: str | None, now: datetime | None = None) -> str:
    """Send a sign-in code to ``phone`` if it has an account; return the number.

    Raises :class:`AccountError` for a malformed number and
    :class:`SmsCodeRefused` when a limit is reached, whether or not the number
    is registered.
    """
    now = now or utcnow()
    normalised = normalise_phone(phone)
    if normalised is None:
        raise AccountError(_l("Enter an 11-digit mainland China mobile number."), "phone")
    address = (client_address or "unknown")[:60]
    since = now - WINDOW
    if _count(SmsCode.phone == normalised, SmsCode.created_at > now - RESEND_AFTER):
        raise SmsCodeRefused(_l("A code was sent a moment ago. Wait a minute before asking again."))
    if _count(SmsCode.phone == normalised, SmsCode.created_at > since) >= config_value(
        "LMS_SMS_CODES_PER_NUMBER"
    ) or _count(SmsCode.address == address, SmsCode.created_at > since) >= config_value(
        "LMS_SMS_CODES_PER_ADDRESS"
    ):
        raise SmsCodeRefused(_l("Too many codes were asked for. Try again in an hour."))
    user = find_user_by_phone(normalised)
    code = f"{secrets.randbelow(10**6):06d}"
    session = get_session()
    # Older codes of this number stop working.
    session.execute(
        update(SmsCode)
        .where(SmsCode.phone == normalised, SmsCode.used_at.is_(None))
        .values(used_at=now)
    )
    row = SmsCode(
        phone=normalised,
        user_id=user.id if user is not None else None,
        code_hash=_hash(normalised, code),
        address=address,
        minute=_minute(now),
        created_at=now,
        expires_at=now + timedelta(minutes=CODE_MINUTES),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another request for this number won the same minute.
        raise SmsCodeRefused(
            _l("A code was sent a moment ago. Wait a minute before asking again.")
        ) from None
    if user is not None:
        try:
            sms_sender().send(normalised, _message(code))
        except SmsError:
            # Answering differently would tell that the number is registered.
            log.exception("the SMS with a sign-in code could not be sent")
    return normalised


def _message(code: str) -> str:
    # The text goes out in the default language: a stranger's browser language
    # must not choose the language of the owner's SMS.
    return gettext_in(
        languages()[0],
        "Your sign-in code is %(code)s. It works for %(minutes)d minutes. "
        "Do not give it to anyone.",
        code=code,
        minutes=CODE_MINUTES,
    )


WRONG_CODE = _l("This code is wrong or no longer valid. Ask for a new code.")


def sign_in_with_code(
    phone: str, code: str, new_password: str | None = None, now: datetime | None = None
) -> User:
    """The user whose latest code for ``phone`` is ``code``; the code is then used up.

    Every try counts against the code, right or wrong. With ``new_password``
    the password is replaced as well.
    """
    now = now or utcnow()
    normalised = normalise_phone(phone or "")
    code = (code or "").strip()
    if new_password:
        problem = password_problem(new_password)
        if problem:
            raise AccountError(problem, "new_password")
    if normalised is None or len(code) != 6 or not code.isdigit():
        raise AccountError(WRONG_CODE, "code")
    session = get_session()
    current = session.scalar(
        select(SmsCode)
        .where(SmsCode.phone == normalised, SmsCode.used_at.is_(None), SmsCode.expires_at > now)
        .order_by(SmsCode.id.desc())
        .limit(1)
    )
    if current is None:
        raise AccountError(WRONG_CODE, "code")
    # One statement takes the try, so parallel guesses cannot pass the limit.
    taken = session.execute(
        update(SmsCode)
        .where(SmsCode.id == current.id, SmsCode.tries < CODE_TRIES, SmsCode.used_at.is_(None))
        .values(tries=SmsCode.tries + 1)
        .returning(SmsCode.tries)
    ).scalar()
    if taken is None:
        raise AccountError(WRONG_CODE, "code")
    matches = hmac.compare_digest(current.code_hash, _hash(normalised, code))
    if not matches or current.user_id is None:
        if taken >= CODE_TRIES:
            session.execute(update(SmsCode).where(SmsCode.id == current.id).values(used_at=now))
        raise AccountError(WRONG_CODE, "code")
    session.execute(update(SmsCode).where(SmsCode.id == current.id).values(used_at=now))
    user = session.get(User, current.user_id)
    if user is None:
        raise AccountError(WRONG_CODE, "code")
    if new_password:
        user.password_hash = hash_password(new_password)
        user.password_changed_at = now
    return user

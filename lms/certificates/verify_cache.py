"""Answers to public certificate checks, shared by every app process in Redis.

A QR code passed round a depot, or an employer checking a batch of new hires,
asks about the same few certificates again and again. Each answer (the page
or the JSON) is kept in Redis so repeats cost one Redis round trip instead of
a database transaction and a template.

One hash per certificate number holds its answers, one field per variant
(page or API, language, exact URL), plus a ``gen`` field. Revocation and every
other change of a certificate must show at once, so:

* a lookup reads ``gen`` and the variant in one HMGET, before the database;
* an answer is stored tagged with the ``gen`` its lookup read;
* committing a change to a certificate drops its hash and writes a new
  ``gen`` (after the commit), so an answer computed from the old row, even one
  stored a moment later by a slower request, never matches again;
* every answer also carries a deadline: at most ``LMS_VERIFY_CACHE_SECONDS``
  ahead and never past the moment the certificate expires.

No process keeps a copy of its own: the one HMGET per lookup is what makes
a revocation show on every process before the revoke request returns (the
generation is rewritten before the commit's response is sent), and it costs
far less than the database transaction and template it saves.

Only answers about a certificate that exists are kept (enumerating unused
numbers must not fill Redis), never an answer to a check by holder's name,
and a page only when it holds nothing of the visitor's own (see
:func:`page_lookup`). Without ``LMS_REDIS_URL``, or with
``LMS_VERIFY_CACHE_SECONDS`` at 0, nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from flask import Flask, current_app, has_app_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.certificates import numbers
from lms.certificates.models import Certificate
from lms.config import config_value
from lms.i18n import select_locale
from lms.redis_client import key_prefix, redis_client
from lms.web import page_is_personal

LOGGER = logging.getLogger(__name__)
GENERATION_FIELD = "gen"
#: session.info key: numbers of the certificates changed, and issued, in this transaction
CHANGED = "lms_changed_certificates"
DEFAULT_LAYOUT = "lms/layout.html"
RESTING_KEY = "lms_verify_cache_resting_until"
REST_SECONDS = 5
#: environ key set when the whole response may be replayed by the fast path in
#: front of Flask (see verify_fast_path): (hash key, generation, deadline)
SHAREABLE = "lms.verify.shareable"


@dataclass
class CachedLookup:
    """Where one answer lives, the generation seen, and the answer if fresh."""

    key: str
    field: str
    generation: bytes
    body: bytes | None
    #: a page (it must not carry anything of the visitor's), not an API answer
    is_page: bool = False


def _ttl_seconds() -> int:
    return max(0, int(config_value("LMS_VERIFY_CACHE_SECONDS") or 0))


def _client() -> Any | None:
    return redis_client() if _ttl_seconds() else None


def _reader() -> Any | None:
    """The client for lookups and stores; None for a few seconds after Redis failed.

    While Redis is away every check would otherwise wait for its timeout and
    log a warning. Invalidation never waits on this: it must always try.
    """
    if is_resting(current_app):
        return None
    return _client()


def is_resting(app: Flask) -> bool:
    """True for a few seconds after Redis failed: answer without the cache meanwhile."""
    return app.extensions.get(RESTING_KEY, 0.0) > time.monotonic()


def redis_failed(error: Exception, app: Flask | None = None) -> None:
    """Note that Redis failed: lookups go without the cache for ``REST_SECONDS``."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    LOGGER.warning(
        "verification cache unavailable (%s); answering from the database for %d s",
        type(error).__name__,
        REST_SECONDS,
    )
    app.extensions[RESTING_KEY] = time.monotonic() + REST_SECONDS


def _hash_key(compact_number: str) -> str:
    return f"{key_prefix()}:verify:{compact_number}"


def _lookup(number_text: str, variant: str, is_page: bool) -> CachedLookup | None:
    client = _reader()
    if client is None:
        return None
    check = numbers.check_number(number_text or "")
    if not check.ok or not check.compact:
        return None  # answered without the database anyway
    digest = hashlib.sha256(request.full_path.encode("utf-8")).hexdigest()[:32]
    key, field = _hash_key(check.compact), f"{variant}:{select_locale()}:{digest}"
    try:
        generation, stored = client.hmget(key, [GENERATION_FIELD, field])
    except Exception as error:  # Redis down: answer from the database
        redis_failed(error)
        return None
    generation = generation or b""
    return CachedLookup(key, field, generation, fresh_value(stored, generation), is_page)


def fresh_value(stored: bytes | None, generation: bytes) -> bytes | None:
    """What was stored after the tag and deadline, if it is of this generation and in time."""
    if not stored:
        return None
    try:
        tag, deadline_text, body = stored.split(b"\n", 2)
        deadline = float(deadline_text)
    except ValueError:
        return None
    if tag != generation or deadline <= time.time():
        return None
    return body


def page_lookup(number_text: str, name: str) -> CachedLookup | None:
    """The cache slot of this verification page, or None if it must not be shared.

    Shared only for an anonymous visitor of the LMS's own layout with no
    message waiting to be shown: a signed-in person's page names them.
    """
    if name.strip():
        return None
    state = current_app.extensions["lms"]
    if not state.owns_accounts or config_value("LMS_BASE_TEMPLATE") != DEFAULT_LAYOUT:
        return None
    if "_flashes" in session or not _visitor_is_anonymous():
        return None
    return _lookup(number_text, "page", is_page=True)


def _visitor_is_anonymous() -> bool:
    # Cheaper than Flask-Login's current_user, which loads the user: a visitor
    # has neither a user id in the session nor a remember-me cookie.
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return "_user_id" not in session and remember not in request.cookies


def api_lookup(number_text: str, name: str | None) -> CachedLookup | None:
    """The cache slot of this API answer, or None if it must not be shared."""
    if name and name.strip():
        return None
    return _lookup(number_text, "api", is_page=False)


def store(slot: CachedLookup, body: bytes, expires_on: dt.date | None) -> None:
    """Keep an answer about an existing certificate, unless the page turned personal."""
    client = _reader()
    if client is None:
        return
    if slot.is_page and (page_is_personal() or not current_user.is_anonymous):
        return
    seconds = _ttl_seconds()
    now = time.time()
    deadline = now + seconds
    if expires_on is not None:
        # _state_of calls a certificate expired from the day after expires_on.
        expiry = dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time.min)
        deadline = min(deadline, expiry.timestamp())
    if deadline <= now:
        return
    # The fast path in front of Flask may replay the whole response under the
    # same rules (see verify_fast_path).
    request.environ[SHAREABLE] = (slot.key, slot.generation, deadline)
    value = b"%s\n%.3f\n%s" % (slot.generation, deadline, body)
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.hset(slot.key, slot.field, value)
            pipe.expire(slot.key, seconds)
            pipe.execute()
    except Exception as error:  # the answer was served; keeping it is optional
        redis_failed(error)


def invalidate(compact_numbers: Iterable[str]) -> bool:
    """Forget every answer about these certificates; False if Redis refused."""
    wanted = sorted(set(compact_numbers))
    client = _client()
    if client is None or not wanted:
        return True
    seconds = _ttl_seconds()
    try:
        with client.pipeline(transaction=True) as pipe:
            for number in wanted:
                key = _hash_key(number)
                pipe.delete(key)
                pipe.hset(key, GENERATION_FIELD, secrets.token_hex(8))
                pipe.expire(key, seconds)
            pipe.execute()
    except Exception:
        # Stale answers now live until their deadline; say so loudly.
        LOGGER.exception(
            "could not clear cached verification answers of %s; they expire within %d s",
            ", ".join(wanted),
            seconds,
        )
        return False
    return True


# ------------------------------------------------- tracking changed certificates


def _is_lms_session(session: Session) -> bool:
    # The hooks are registered on the Session class, so they see every session
    # in the process: a host's other sessions and other apps' are none of ours.
    if not has_app_context():
        return False
    state = current_app.extensions.get("lms")
    if state is None:
        return False
    registry = state.db.session.registry
    return bool(registry.has() and registry() is session)


def _note_changed(session: Session, _flush_context: Any) -> None:
    if not _is_lms_session(session):
        return
    info = session.info.setdefault(CHANGED, {"changed": set(), "born": set()})
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Certificate) and obj.number:
            info["born" if obj in session.new else "changed"].add(obj.number)


def _invalidate_committed(session: Session) -> None:
    info = session.info.pop(CHANGED, None)
    # A certificate issued in this transaction was "not found" to everyone
    # before, and such answers are never kept: nothing to clear.
    stale = info["changed"] - info["born"] if info else set()
    if stale and has_app_context():
        invalidate(stale)


def _forget_rolled_back(session: Session, transaction: Any) -> None:
    # Runs after _invalidate_committed on commit; on rollback nothing changed.
    if transaction.parent is None:
        session.info.pop(CHANGED, None)


def track_certificate_changes() -> None:
    """Invalidate cached answers after any commit that changed a certificate."""
    hooks = (
        ("after_flush", _note_changed),
        ("after_commit", _invalidate_committed),
        ("after_transaction_end", _forget_rolled_back),
    )
    for name, hook in hooks:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)

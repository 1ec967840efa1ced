"""Repeated public checks answered before Flask: the whole response, from Redis.

The verification cache (:mod:`lms.certificates.verify_cache`) already spares a
repeated check the database and the template, but the request still goes
through Flask: the request context, the session, every hook, the response
object. For a QR code scanned all day at a depot that machinery costs more
than the answer. This WSGI layer sits directly in front of the app's own
``wsgi_app`` and, for a GET of the verification page or API by a visitor
without a session, replays the complete response the app gave the same
request before: one Redis HMGET, no Flask.

What it replays is only ever what the app itself marked shareable (the
verification cache's :func:`~lms.certificates.verify_cache.store` rules: an
existing certificate, no holder's name in the request, a page with nothing of
the visitor's), stored in the same per-certificate hash under the same
generation. So a revocation or any other change of a certificate, which drops
that hash and writes a new generation before its request returns, shows at
once here too; the answer's deadline never passes the certificate's expiry.

The rate limit on lookups still counts every replayed answer; a visitor over
it goes on to the app, which says so in their language. Anything this layer
does not recognise, and any Redis error, passes the request through unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from lms.certificates import numbers
from lms.certificates.verify_cache import (
    GENERATION_FIELD,
    SHAREABLE,
    fresh_value,
    is_resting,
    redis_failed,
)
from lms.config import config_value
from lms.ops.logs import REQUEST_ID_HEADER, request_id
from lms.ratelimit import LOOKUP, hit_limit
from lms.redis_client import TIMEOUT_SECONDS, key_prefix, redis_client
from lms.redis_wire import RedisWire, wire_for

#: The endpoints whose answers this layer replays, by view name.
ENDPOINTS = ("lms.certificates.verify", "lms.certificates.api_certificate")
#: Headers that belong to one response, never to a replay.
PER_RESPONSE_HEADERS = frozenset({"set-cookie", "x-request-id", "date", "server"})
CACHE_HEADER = "X-Cache"
FIELD_PREFIX = "wsgi:"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def install(app: Flask) -> None:
    """Put the layer directly in front of ``app``'s own request handling.

    It goes innermost, below any middleware the host already added (ProxyFix
    among them), so the client address the rate limit counts is the one the
    app itself sees; middleware added later wraps it like the rest of the app.
    """
    if not config_value("LMS_VERIFY_FAST_PATH", app):
        return
    holder: Any = app
    attribute = "wsgi_app"
    # Flask's own wsgi_app is a bound method; middleware keeps what it wraps in .app.
    while hasattr(getattr(holder, attribute), "app"):
        if isinstance(getattr(holder, attribute), VerifyFastPath):
            return
        holder, attribute = getattr(holder, attribute), "app"
    setattr(holder, attribute, VerifyFastPath(getattr(holder, attribute), app))


@dataclass(frozen=True)
class Settings:
    """What the layer needs of the app's settings, read at its first request."""

    enabled: bool
    seconds: int
    key_prefix: str
    #: the bare-socket reader, or None to read through redis-py
    wire: RedisWire | None


class VerifyFastPath:
    """WSGI middleware: replay shareable verification answers from Redis."""

    def __init__(self, app: WSGIApp, flask_app: Flask) -> None:
        self.app = app
        self.flask_app = flask_app
        self._prefixes: tuple[str, ...] | None = None
        self._known: Settings | None = None

    # ------------------------------------------------------------- routing

    def _verify_prefixes(self) -> tuple[str, ...]:
        """Path prefixes of the number-carrying verification routes (read once,
        when the app's URL map is complete)."""
        if self._prefixes is None:
            found = []
            for rule in self.flask_app.url_map.iter_rules():
                if rule.endpoint in ENDPOINTS and rule.rule.endswith("/<number>"):
                    found.append(rule.rule[: -len("<number>")])
            self._prefixes = tuple(found)
        return self._prefixes

    def _number_in(self, path: str) -> str | None:
        for prefix in self._verify_prefixes():
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                if rest and "/" not in rest:
                    return rest
        return None

    def _anonymous(self, environ: dict[str, Any]) -> bool:
        # A visitor with a session (a chosen language, a signed-in person)
        # may get a different page: only cookie-less visitors share answers.
        cookies = environ.get("HTTP_COOKIE", "")
        if not cookies:
            return True
        config = self.flask_app.config
        names = (
            config.get("SESSION_COOKIE_NAME", "session"),
            config.get("REMEMBER_COOKIE_NAME", "remember_token"),
        )
        present = {part.split("=", 1)[0].strip() for part in cookies.split(";")}
        return not any(name in present for name in names)

    # ------------------------------------------------------------- caching

    def _slot(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(hash key, field) of this request's shared answer, or None if it has none."""
        if environ.get("REQUEST_METHOD") != "GET" or not self._anonymous(environ):
            return None
        number = self._number_in(environ.get("PATH_INFO", ""))
        if number is None:
            return None
        check = numbers.check_number(number)
        if not check.ok or not check.compact:
            return None
        variant = "\n".join(
            (
                environ.get("PATH_INFO", ""),
                environ.get("QUERY_STRING", ""),
                environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            )
        )
        digest = hashlib.sha256(variant.encode("latin-1", "replace")).hexdigest()[:32]
        return f"{self._settings().key_prefix}:verify:{check.compact}", FIELD_PREFIX + digest

    def _settings(self) -> Settings:
        # Read once: an app's settings are fixed by the time it serves.
        if self._known is None:
            app = self.flask_app
            url = config_value("LMS_REDIS_URL", app) or ""
            seconds = int(config_value("LMS_VERIFY_CACHE_SECONDS", app) or 0)
            self._known = Settings(
                enabled=bool(url) and seconds > 0,
                seconds=seconds,
                key_prefix=key_prefix(app),
                wire=wire_for(url, TIMEOUT_SECONDS) if url else None,
            )
        return self._known

    def _enabled(self) -> bool:
        if not self._settings().enabled:
            return False
        return not is_resting(self.flask_app)

    def _within_rate_limit(self, environ: dict[str, Any]) -> bool:
        return hit_limit(self.flask_app, LOOKUP, environ.get("REMOTE_ADDR") or "unknown") is None

    def _replay(self, slot: tuple[str, str]) -> tuple[str, list[tuple[str, str]], bytes] | None:
        reader = self._settings().wire or redis_client(self.flask_app)
        try:
            generation, stored = reader.hmget(slot[0], [GENERATION_FIELD, slot[1]])
        except Exception as error:
            redis_failed(error, self.flask_app)
            return None
        # Stored as the verification cache stores an answer, with the status
        # line and headers before the body.
        response = fresh_value(stored, generation or b"")
        if response is None:
            return None
        try:
            head, body = response.split(b"\n", 1)
            status, headers = json.loads(head)
        except ValueError:
            return None
        return status, [tuple(pair) for pair in headers], body

    def _keep(
        self,
        slot: tuple[str, str],
        shareable: tuple[str, bytes, float],
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> None:
        key, generation, deadline = shareable
        if key != slot[0] or not status.startswith("200 "):
            return
        if any(name.lower() == "set-cookie" for name, _value in headers):
            return  # the app gave this visitor something of their own
        kept = [
            (name, value) for name, value in headers if name.lower() not in PER_RESPONSE_HEADERS
        ]
        head = json.dumps([status, kept], separators=(",", ":")).encode("utf-8")
        value = b"%s\n%.3f\n%s\n%s" % (generation, deadline, head, body)
        seconds = self._settings().seconds
        client = redis_client(self.flask_app)
        try:
            with client.pipeline(transaction=False) as pipe:
                pipe.hset(key, slot[1], value)
                pipe.expire(key, seconds)
                pipe.execute()
        except Exception as error:  # the answer was served; keeping it is optional
            redis_failed(error, self.flask_app)

    # ------------------------------------------------------------- WSGI

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        slot = self._slot(environ) if self._enabled() else None
        if slot is None:
            return self.app(environ, start_response)
        replay = self._replay(slot)
        if replay is not None and self._within_rate_limit(environ):
            status, headers, body = replay
            headers = [
                *headers,
                (REQUEST_ID_HEADER, request_id(environ.get("HTTP_X_REQUEST_ID", ""))),
                (CACHE_HEADER, "hit"),
            ]
            start_response(status, headers)
            return [body]
        return self._answer_and_keep(slot, environ, start_response)

    def _answer_and_keep(
        self, slot: tuple[str, str], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, *exc_info)

        result = self.app(environ, capture)
        shareable = environ.get(SHAREABLE)
        if shareable is None:
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        self._keep(slot, shareable, seen["status"], seen["headers"], body)
        return [body]

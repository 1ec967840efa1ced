"""Configuration keys of the LMS, their defaults and how they are read.

Every key starts with ``LMS_``. A host app sets them in ``app.config``; the
standalone app also reads them from environment variables of the same name.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, current_app

#: Placeholder secret that must never run outside debug or testing.
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - the value we refuse in production

DEFAULTS: dict[str, Any] = {
    #: SQLAlchemy URL of the database (standalone only; a host brings its own).
    #: Default: SQLite file ``lms.sqlite`` in the instance folder.
    "LMS_DATABASE_URL": None,
    #: Secret used to sign sessions and CSRF tokens (standalone only).
    "LMS_SECRET_KEY": None,
    #: URL prefix the plugin's pages are mounted under.
    "LMS_URL_PREFIX": "",
    #: Languages offered, the first is the default.
    "LMS_LANGUAGES": ("zh_CN", "en"),
    #: Consecutive wrong passwords allowed before logins are throttled.
    "LMS_LOGIN_MAX_FAILURES": 5,
    #: Minutes a throttled phone number (and client address) must wait.
    "LMS_LOGIN_LOCK_MINUTES": 15,
    #: Who sends sign-in codes by SMS: ``package.module:Name`` of a class with
    #: ``send(phone, text)``; the default only logs the message (development).
    "LMS_SMS_SENDER": "lms.accounts.sms:ConsoleSender",
    #: Sign-in codes one mobile number may ask for in an hour (one a minute at most).
    "LMS_SMS_CODES_PER_NUMBER": 5,
    #: Sign-in codes one client address may ask for in an hour (a station shares one).
    "LMS_SMS_CODES_PER_ADDRESS": 30,
    #: Template that ``lms/base.html`` extends; a host may point it at its own layout.
    "LMS_BASE_TEMPLATE": "lms/layout.html",
    #: Attribute of the host's user object that holds a display name (plugin mode).
    "LMS_HOST_USER_NAME_ATTR": "name",
    #: Folder of course content imported by ``flask lms content import``.
    "LMS_CONTENT_DIR": None,
    #: Folder of the plugin's Alembic migrations.
    "LMS_MIGRATIONS_DIR": None,
    #: Redis URL for shared state (rate limits) across processes; None = in-process.
    "LMS_REDIS_URL": None,
    #: Namespace of the keys the app writes in Redis.
    "LMS_REDIS_KEY_PREFIX": "lms",
    #: Seconds a public verification answer may be served from Redis (needs
    #: LMS_REDIS_URL; 0 = never). Changes to a certificate clear it at once.
    "LMS_VERIFY_CACHE_SECONDS": 300,
    #: Replay those cached public answers before Flask runs (no session, hooks
    #: or templates for a repeated check). Off if the host's own request hooks
    #: must see every verification request.
    "LMS_VERIFY_FAST_PATH": True,
    #: Memory each sort or hash of a report may use on PostgreSQL (work_mem,
    #: for the report's transaction only): reports stay linear in their data.
    "LMS_REPORT_WORK_MEM": "64MB",
    #: Name of the deployment's publishing organisation: it owns the shipped and
    #: file-imported courses and the certificates issued for them (created on import).
    "LMS_PUBLISHING_ORGANISATION": "LMS 培训中心",
    #: Time zone in which pages and CSV exports show times (stored times are UTC).
    "LMS_TIME_ZONE": "Asia/Shanghai",
    #: Minutes before a training session starts and after it ends during which
    #: riders may check in with its QR code.
    "LMS_CHECK_IN_GRACE_MINUTES": 15,
    #: Seconds a live case's event stream stays open before it closes and the
    #: browser reconnects (with Last-Event-ID), so no stream holds a worker for long.
    "LMS_LIVE_STREAM_SECONDS": 300,
    #: Seconds between the keep-alive comments a quiet live stream sends, so
    #: proxies and phone networks do not drop it.
    "LMS_LIVE_KEEPALIVE_SECONDS": 15,
    #: Seconds between database polls of a live stream when no Redis is
    #: configured (standalone, one process).
    "LMS_LIVE_POLL_SECONDS": 1.0,
    #: Name of the organisation that issues certificates.
    "LMS_ISSUER_NAME": "LMS 培训中心 / LMS Training Centre",
    #: Write one JSON object per log line, with the request id (production).
    "LMS_LOG_JSON": False,
    #: Log one line per request from the app (gunicorn's access log already does).
    "LMS_LOG_REQUESTS": False,
    #: Ed25519 certificate signing key, PKCS#8 PEM text (or use LMS_SIGNING_KEY_FILE).
    "LMS_SIGNING_KEY": None,
    #: Path to the PEM signing key. Without either, debug/testing/standalone generate
    #: <instance>/certificate-signing-key.pem once; production must set one, shared
    #: by every app server.
    "LMS_SIGNING_KEY_FILE": None,
    #: PEM file with the PDF signing key (PKCS#8), its X.509 certificate and the CA
    #: chain above it (the organisation's CA). Without it, debug/testing/standalone
    #: generate a local CA into <instance>/certificate-pdf-signing.pem once.
    "LMS_PDF_SIGNING_FILE": None,
    #: JWKS (dict, JSON text or file path) of retired public keys, still published
    #: so certificates signed before a key rotation keep verifying.
    "LMS_RETIRED_PUBLIC_KEYS": None,
    #: Largest logo or seal upload for the certificate design, in bytes.
    "LMS_CERTIFICATE_IMAGE_MAX_BYTES": 1024 * 1024,
    #: Longest side, in pixels, of an accepted logo or seal (checked before decoding).
    "LMS_CERTIFICATE_IMAGE_MAX_PIXELS": 4000,
    #: Years a certificate is valid; None = no expiry.
    "LMS_CERTIFICATE_VALID_YEARS": None,
    #: Rate-limit counter storage, e.g. redis://127.0.0.1:6379/2; None = LMS_REDIS_URL,
    #: else memory:// (one process only: fine for the standalone default).
    "LMS_RATELIMIT_STORAGE_URL": None,
    #: Namespace of the rate-limit counters.
    "LMS_RATELIMIT_KEY_PREFIX": "lms",
    #: Turn the rate limits off (e.g. for a load test of the verification page).
    "LMS_RATELIMIT_ENABLED": True,
    #: Per-client limit on certificate lookups (page, API and PDF check share it).
    "LMS_VERIFY_RATE_LIMIT": "20 per minute;200 per hour",
    #: Per-API-key limit on calls of POST /api/v1/verifications (up to 100 numbers each).
    "LMS_EMPLOYER_API_RATE_LIMIT": "60 per minute;2000 per day",
    #: Rows an employer organisation may check in bulk (file uploads) per day.
    "LMS_EMPLOYER_BULK_ROWS_PER_DAY": 5000,
    #: Password hash method (werkzeug syntax, e.g. ``scrypt:1024:8:1``) used instead
    #: of full-cost scrypt, and only while ``TESTING`` is on: test suites hash
    #: hundreds of passwords. Ignored everywhere else.
    "LMS_TESTING_PASSWORD_HASH": None,
    #: Public base URL used in links printed on certificates and QR codes. The
    #: loopback default suits a trial on one machine; outside debug and testing the
    #: start-up checks refuse it.
    "LMS_PUBLIC_URL": "http://127.0.0.1:5000",
    #: Who owns the accounts: ``"builtin"`` (the LMS's own mobile-number users) or
    #: ``"host"`` (the host's Flask-Login users; the LMS never registers, logs in or
    #: loads users). None = builtin, allowed only when the app has no LoginManager.
    "LMS_ACCOUNTS": None,
    #: Refuse to start outside debug and testing when a production setting is
    #: missing (signing key, public URL, a configured Redis that does not answer).
    #: The standalone app turns it off unless set, so ``make run`` works as a trial;
    #: ``flask lms doctor`` runs the same checks on demand.
    "LMS_STARTUP_CHECKS": True,
    #: Also serve the JWKS at the site root, ``/.well-known/jwks.json``, when the
    #: LMS is mounted under a prefix (it is always at ``<prefix>/.well-known/jwks.json``).
    "LMS_ROOT_JWKS": False,
    #: Base URL of the xAPI Learning Record Store (its ``/xAPI`` root, e.g.
    #: ``https://lrs.example.cn/xAPI``); None = no statements are recorded.
    "LMS_XAPI_ENDPOINT": None,
    #: Basic-auth key (user name) of the LRS; None = no Authorization header.
    "LMS_XAPI_KEY": None,
    #: Basic-auth secret (password) of the LRS.
    "LMS_XAPI_SECRET": None,
    #: Key of the HMAC that turns a profile id into the statements' opaque actor
    #: name; None = the app's secret key (changing it changes every actor name).
    "LMS_XAPI_ACTOR_KEY": None,
    #: Statements sent to the LRS in one POST by the outbox worker.
    "LMS_XAPI_BATCH_SIZE": 50,
    #: Seconds the worker waits for the LRS before counting a try as failed.
    "LMS_XAPI_TIMEOUT_SECONDS": 10,
    #: Hours a browser signed in by an LTI launch stays signed in.
    "LMS_LTI_SESSION_HOURS": 8,
    #: Scores sent to platforms' gradebooks in one round of the worker.
    "LMS_LTI_SCORE_BATCH_SIZE": 50,
}


def apply_defaults(config: dict[str, Any]) -> None:
    """Fill every missing ``LMS_`` key of a Flask config with its default."""
    for key, value in DEFAULTS.items():
        config.setdefault(key, value)


def config_from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Read the ``LMS_`` keys that are set in the environment (standalone app)."""
    found: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        if key not in environ:
            continue
        raw = environ[key]
        if isinstance(default, bool):
            found[key] = raw.lower() in {"1", "true", "yes", "on"}
        elif isinstance(default, int):
            found[key] = int(raw)
        elif isinstance(default, tuple):
            found[key] = tuple(part.strip() for part in raw.split(",") if part.strip())
        else:
            found[key] = raw
    return found


def config_value(key: str, app: Flask | None = None) -> Any:
    """An ``LMS_`` setting of ``app`` (default: the current app); unknown keys are a bug.

    Every module reads its settings through here, so a mistyped key fails
    loudly instead of reading None.
    """
    if key not in DEFAULTS:
        raise KeyError(f"unknown LMS setting {key!r}")
    config = (app or current_app).config
    return config.get(key, DEFAULTS[key])

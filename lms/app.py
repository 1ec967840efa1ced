"""The standalone app: just another host of the LMS extension."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from flask import Flask, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.config import (
    DEFAULT_SECRET_KEY,
    apply_defaults,
    config_from_environment,
    config_value,
)
from lms.extension import LMS
from lms.ops.logs import install_request_logging
from lms.sqlite_engine import configure_sqlite_engine


class InsecureSecretKey(RuntimeError):
    """The app would sign sessions with a missing or well-known key."""


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once.

    Flask builds a new serializer on every request, and building one
    serializes a test value: a tenth of the cost of a cached verification
    page. The keys it depends on are part of the cache key, so changing them
    (as tests do) still takes effect.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_cookie_samesite(self, app: Flask) -> str | None:
        # A session opened by an LTI launch lives in the platform's iframe, a
        # third-party context: browsers send it there only as SameSite=None;
        # Secure, which they accept over HTTPS only.
        if _cross_site_session():
            return "None"
        return super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if _cross_site_session() else super().get_cookie_secure(app)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (
            app.secret_key,
            tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()),
            self.salt,
            self.digest_method,
            self.key_derivation,
        )
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]


def _cross_site_session() -> bool:
    return bool(g.get("lms_cross_site_session")) and request.is_secure


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the standalone app from ``LMS_`` environment variables and ``config``."""
    app = Flask("lms", instance_relative_config=True)
    settings: dict[str, Any] = config_from_environment(os.environ)
    settings.update(config or {})
    # The standalone app is the one host whose accounts are the LMS's own, and a
    # trial on one machine (`make run`) needs no production settings;
    # deploy/lms.env.example turns the start-up checks on.
    settings.setdefault("LMS_ACCOUNTS", "builtin")
    settings.setdefault("LMS_STARTUP_CHECKS", False)
    app.config.update(settings)
    apply_defaults(app.config)
    _check_secret_key(app)
    app.config["SECRET_KEY"] = config_value("LMS_SECRET_KEY", app) or DEFAULT_SECRET_KEY
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    database_url = config_value("LMS_DATABASE_URL", app) or (
        "sqlite:///" + str(Path(app.instance_path) / "lms.sqlite")
    )
    app.config["LMS_DATABASE_URL"] = database_url
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    engine_options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("sqlite"):
        # Concurrent writers wait on the lock rather than fail at once.
        engine_options["connect_args"] = {"timeout": 10}
    elif database_url.startswith("postgresql"):
        # A database host that does not answer must fail the request, not hang it.
        engine_options["connect_args"] = {"connect_timeout": 5}
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options)
    # Flask ships these keys set to None, so setdefault would not change them.
    for key, value in {
        "SESSION_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    }.items():
        if app.config.get(key) is None:
            app.config[key] = value
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    # A site served over TLS never lets its cookies travel over plain HTTP,
    # where a station's open Wi-Fi could read them. (Flask ships these keys as
    # False, so only a setting of the host's own keeps them.)
    secure = str(config_value("LMS_PUBLIC_URL", app)).startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if key not in settings:
            app.config[key] = secure

    app.session_interface = SessionInterface()
    db = SQLAlchemy()
    db.init_app(app)
    _configure_sqlite(app, db)
    lms = LMS(db=db)
    lms.init_app(app)
    Migrate(app, db, directory=config_value("LMS_MIGRATIONS_DIR", app))
    _install_app_error_pages(app)
    install_request_logging(
        app,
        json_logs=config_value("LMS_LOG_JSON", app),
        log_requests=config_value("LMS_LOG_REQUESTS", app),
    )

    if config_value("LMS_URL_PREFIX", app):

        @app.route("/")
        def root() -> Any:
            return redirect(url_for("lms.courses.home"))

    return app


def _configure_sqlite(app: Flask, db: SQLAlchemy) -> None:
    # This app owns its engine; a host's engine is left as the host set it.
    with app.app_context():
        configure_sqlite_engine(db.engine)


#: ``flask lms`` commands that only read or write content files: they need no
#: secret key and no database, so a trainer can run them on any machine.
FILE_ONLY_COMMANDS: tuple[tuple[str, str], ...] = (
    ("content", "check"),
    ("bank", "import"),
    ("bank", "export"),
)


def running_file_only_command(argv: list[str] | None = None) -> bool:
    """Whether this process is the ``flask`` CLI running one of ``FILE_ONLY_COMMANDS``."""
    import click

    if click.get_current_context(silent=True) is None:
        return False
    words = list(sys.argv if argv is None else argv)
    # "lms" may also be the --app value, so look at every place it appears.
    return any(
        word == "lms" and tuple(words[index + 1 : index + 3]) in FILE_ONLY_COMMANDS
        for index, word in enumerate(words)
    )


def _check_secret_key(app: Flask) -> None:
    if app.debug or app.config.get("TESTING") or running_file_only_command():
        return
    key = config_value("LMS_SECRET_KEY", app)
    if not key or key == DEFAULT_SECRET_KEY or len(key) < 16:
        raise InsecureSecretKey(
            "LMS_SECRET_KEY is missing or is the development default. Set it to a long random "
            "value, e.g. export LMS_SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_hex(32))'), or run with --debug for local development."
        )


def _install_app_error_pages(app: Flask) -> None:
    from sqlalchemy.exc import DBAPIError

    from lms.accounts.access import layout_context
    from lms.web import database_unavailable, render_http_error, template_helpers

    # Pages outside the LMS blueprint (a 404 on an unknown path) use the same layout.
    app.context_processor(template_helpers)
    app.context_processor(layout_context)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return render_http_error(error)

    app.register_error_handler(DBAPIError, database_unavailable)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Any:
        app.logger.exception("unhandled error")
        app.extensions["lms"].db.session.rollback()
        return render_http_error(InternalServerError())

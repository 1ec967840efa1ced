"""The Flask extension that mounts the LMS into an app."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask
from flask_sqlalchemy import SQLAlchemy

from lms.config import apply_defaults, config_value
from lms.sqlite_engine import configure_sqlite_engine
from lms.state import LMSState

PACKAGE_DIR = Path(__file__).parent


class LMS:
    """Skills training and certification, mountable into any Flask app.

    ``LMS(app, db=host_db)`` or ``lms = LMS(db=host_db); lms.init_app(app,
    url_prefix="/training")``. Without a host login manager the LMS brings its
    own accounts (mobile number and password).
    """

    def __init__(self, app: Flask | None = None, *, db: SQLAlchemy | None = None) -> None:
        self.db = db
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, url_prefix: str | None = None) -> None:
        """Register the LMS blueprints, CLI, login and translations on ``app``."""
        if "lms" in app.extensions:
            raise RuntimeError("The LMS extension is already registered on this app.")
        apply_defaults(app.config)
        # The folders' defaults depend on where the package is installed.
        for key, folder in (("LMS_MIGRATIONS_DIR", "migrations"), ("LMS_CONTENT_DIR", "content")):
            if config_value(key, app) is None:
                app.config[key] = str(PACKAGE_DIR.parent / folder)
        db = self.db or app.extensions.get("sqlalchemy")
        if db is None:
            raise RuntimeError(
                "The LMS needs a Flask-SQLAlchemy instance: call LMS(app, db=db) "
                "after db.init_app(app)."
            )
        prefix = url_prefix if url_prefix is not None else config_value("LMS_URL_PREFIX", app)
        prefix = prefix.rstrip("/")
        owns_accounts = getattr(app, "login_manager", None) is None
        state = LMSState(db=db, url_prefix=prefix, owns_accounts=owns_accounts)
        app.extensions["lms"] = state

        import lms.models  # noqa: F401  (every table on the metadata before use)

        _configure_sqlite(app, db)
        _configure_babel(app)
        if owns_accounts:
            from lms.accounts.login import install_login

            install_login(app)
        app.register_blueprint(_build_blueprint(state), url_prefix=prefix or None)
        _connect_receivers()
        from lms.ratelimit import init_rate_limits

        init_rate_limits(app)

        from lms.cli import lms_cli

        app.cli.add_command(lms_cli)


def _build_blueprint(state: LMSState) -> Blueprint:
    # Views import models and services; importing them here keeps `import lms`
    # free of side effects and lets a host configure the app first.
    from lms.accounts.access import layout_context
    from lms.accounts.views import bp as accounts_bp
    from lms.assessments.views import bp as assessments_bp
    from lms.certificates.views import bp as certificates_bp
    from lms.courses.home import register_home_panel
    from lms.courses.views import bp as courses_bp
    from lms.levels.views import bp as levels_bp
    from lms.levels.views import level_home_panel
    from lms.ops.views import bp as ops_bp
    from lms.request_guards import install_request_guards
    from lms.studio.views import bp as studio_bp
    from lms.web import install_request_hooks

    parent = Blueprint(
        "lms",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/lms-static",
    )
    install_request_hooks(parent, state)
    install_request_guards(parent)
    register_home_panel(level_home_panel)
    parent.context_processor(layout_context)
    parent.register_blueprint(courses_bp)
    parent.register_blueprint(accounts_bp)
    parent.register_blueprint(assessments_bp)
    parent.register_blueprint(levels_bp)
    parent.register_blueprint(certificates_bp)
    parent.register_blueprint(studio_bp)
    parent.register_blueprint(ops_bp)
    return parent


def _connect_receivers() -> None:
    # Domains react to each other only through signals, and only once these
    # are connected: importing a module never connects anything. Quiz misses
    # reach the review queue, then a passed quiz's certificate is issued, then
    # levels are checked (whose certificates follow through level_reached).
    from lms.certificates import receivers as certificate_receivers
    from lms.courses import receivers as course_receivers
    from lms.levels import receivers as level_receivers

    course_receivers.connect()
    certificate_receivers.connect()
    level_receivers.connect()


def _configure_sqlite(app: Flask, db: SQLAlchemy) -> None:
    with app.app_context():
        configure_sqlite_engine(db.engine)


def _configure_babel(app: Flask) -> None:
    if "babel" in app.extensions:
        return
    from flask_babel import Babel

    from lms.i18n import select_locale

    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    Babel(app, locale_selector=select_locale)

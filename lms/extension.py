"""The Flask extension that mounts the LMS into an app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, request
from flask_sqlalchemy import SQLAlchemy

from lms.config import apply_defaults, config_value
from lms.ops.startup_checks import check_production_settings
from lms.state import BUILTIN_ACCOUNTS, HOST_ACCOUNTS, LMSState, watch_flushes

PACKAGE_DIR = Path(__file__).parent
#: checkout folder -> where the wheel puts it inside the package (see setup.py)
PACKAGED_FOLDERS = {"migrations": "migrations", "content": "shipped_content"}


class LMS:
    """Skills training and certification, mountable into any Flask app.

    ``LMS(app, db=host_db)`` or ``lms = LMS(db=host_db); lms.init_app(app,
    url_prefix="/training")``. ``LMS_ACCOUNTS`` says whose users learn: the
    host's (``"host"``: its Flask-Login users) or the LMS's own (``"builtin"``).
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
        # The folders' defaults depend on where the package is installed: inside
        # it in a wheel, beside it in a checkout.
        for key, folder in (("LMS_MIGRATIONS_DIR", "migrations"), ("LMS_CONTENT_DIR", "content")):
            if config_value(key, app) is None:
                app.config[key] = str(packaged_folder(folder))
        db = self.db or app.extensions.get("sqlalchemy")
        if db is None:
            raise RuntimeError(
                "The LMS needs a Flask-SQLAlchemy instance: call LMS(app, db=db) "
                "after db.init_app(app)."
            )
        prefix = url_prefix if url_prefix is not None else config_value("LMS_URL_PREFIX", app)
        prefix = prefix.rstrip("/")
        state = LMSState(db=db, url_prefix=prefix, accounts=_accounts_mode(app))
        check_production_settings(app, state)
        app.extensions["lms"] = state

        import lms.models  # noqa: F401  (every table on the metadata before use)

        _configure_babel(app, state)
        if state.owns_accounts:
            from lms.accounts.login import install_login

            state.login_manager = install_login(app)
        app.register_blueprint(_build_blueprint(state), url_prefix=prefix or None)
        _exempt_from_host_csrf(app)
        _refuse_mixed_accounts(app, state)
        _connect_receivers()
        watch_flushes()
        from lms.ratelimit import init_rate_limits

        init_rate_limits(app)
        from lms.certificates.verify_fast_path import install as install_verify_fast_path

        install_verify_fast_path(app)
        if prefix and config_value("LMS_ROOT_JWKS", app):
            from lms.certificates.views import jwks

            app.add_url_rule("/.well-known/jwks.json", "lms_root_jwks", jwks)

        from lms.cli import lms_cli

        app.cli.add_command(lms_cli)


def packaged_folder(name: str) -> Path:
    """A folder shipped with the package: ``lms/<name>`` in a wheel, else the checkout's."""
    inside = PACKAGE_DIR / PACKAGED_FOLDERS[name]
    return inside if inside.is_dir() else PACKAGE_DIR.parent / name


def _accounts_mode(app: Flask) -> str:
    chosen = config_value("LMS_ACCOUNTS", app)
    has_login_manager = getattr(app, "login_manager", None) is not None
    if chosen not in (None, BUILTIN_ACCOUNTS, HOST_ACCOUNTS):
        raise RuntimeError(f'LMS_ACCOUNTS must be "host" or "builtin", not {chosen!r}.')
    if has_login_manager and chosen != HOST_ACCOUNTS:
        raise RuntimeError(
            'This app has its own Flask-Login LoginManager: set LMS_ACCOUNTS = "host" so '
            "the LMS uses your users (the built-in accounts would share your session)."
        )
    return chosen or BUILTIN_ACCOUNTS


def _refuse_mixed_accounts(app: Flask, state: LMSState) -> None:
    # A host's factory may set up its LoginManager after the LMS; only a request
    # sees the finished app. Until the set-up holds, nothing is served: an LMS
    # login must never put an LMS user id where the host loads its own users.
    @app.before_request
    def check_accounts_once() -> None:
        if state.accounts_checked:
            return
        from lms.ops.startup_checks import StartupCheckFailed, request_time_problems

        problems = request_time_problems(app, state)
        if problems:
            raise StartupCheckFailed("The LMS refuses to serve:\n- " + "\n- ".join(problems))
        state.accounts_checked = True


def _exempt_from_host_csrf(app: Flask) -> None:
    # The offline sync protects itself (same-origin check, JSON only); a host's
    # global CSRFProtect would refuse it, so tell it with its own exemption.
    csrf = app.extensions.get("csrf")
    if csrf is None:
        return
    from lms.ops.startup_checks import csrf_exempt_views

    for name in csrf_exempt_views(app):
        csrf.exempt(name)


def _build_blueprint(state: LMSState) -> Blueprint:
    # Views import models and services; importing them here keeps `import lms`
    # free of side effects and lets a host configure the app first.
    from lms.accounts.access import layout_context
    from lms.accounts.views import bp as accounts_bp
    from lms.assessments.result_panels import register_result_panel
    from lms.assessments.views import bp as assessments_bp
    from lms.certificates import (
        admin_views,  # noqa: F401 (registers the admin routes on bp)
        share_views,  # noqa: F401 (registers the sharing routes on bp)
    )
    from lms.certificates.views import bp as certificates_bp
    from lms.certificates.views import certificate_result_panel
    from lms.courses import offline_views  # noqa: F401 (registers the offline routes on bp)
    from lms.courses.home import register_home_panel
    from lms.courses.views import bp as courses_bp
    from lms.employers.views import bp as employers_bp
    from lms.interop.lti_catalogue import register_catalogue
    from lms.interop.lti_frames import install_launched_sessions
    from lms.interop.lti_views import bp as lti_bp
    from lms.levels.views import bp as levels_bp
    from lms.levels.views import level_home_panel, level_result_panel
    from lms.ops.views import bp as ops_bp
    from lms.request_guards import install_request_guards
    from lms.sessions import (
        live_views,  # noqa: F401 (registers the live case routes on bp)
        report_views,  # noqa: F401 (registers the station reports on bp)
    )
    from lms.sessions.live_report import live_results_section
    from lms.sessions.reports import register_session_report_section
    from lms.sessions.views import bp as sessions_bp
    from lms.studio.views import bp as studio_bp
    from lms.surveys.views import bp as surveys_bp
    from lms.web import install_request_hooks

    parent = Blueprint(
        "lms",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/lms-static",
    )
    # Before the shared hooks: a launched session's frame headers replace theirs.
    install_launched_sessions(parent)
    install_request_hooks(parent, state)
    install_request_guards(parent)
    register_home_panel(level_home_panel)
    register_result_panel(certificate_result_panel)
    register_result_panel(level_result_panel)
    register_catalogue(_lti_catalogue)
    register_session_report_section(live_results_section)
    parent.context_processor(layout_context)
    parent.register_blueprint(courses_bp)
    parent.register_blueprint(accounts_bp)
    parent.register_blueprint(assessments_bp)
    parent.register_blueprint(levels_bp)
    parent.register_blueprint(certificates_bp)
    parent.register_blueprint(studio_bp)
    parent.register_blueprint(employers_bp)
    parent.register_blueprint(sessions_bp)
    parent.register_blueprint(surveys_bp)
    parent.register_blueprint(ops_bp)
    parent.register_blueprint(lti_bp)
    return parent


def _lti_catalogue() -> list[Any]:
    # The courses domain's published catalogue as LTI deep linking entries: the
    # composition root joins the two, so neither imports the other.
    from lms.courses.services import published_courses
    from lms.i18n import localised
    from lms.interop.lti_catalogue import CatalogueEntry
    from lms.web import current_locale

    locale = current_locale()
    entries = []
    for course in published_courses():
        version = course.current_version
        title = localised(version.title, locale)
        entries.append(CatalogueEntry("course", f"course:{course.key}", title, title))
        for lesson in version.lessons:
            entries.append(
                CatalogueEntry(
                    "lesson",
                    f"lesson:{course.key}/{lesson.key}",
                    localised(lesson.title, locale),
                    title,
                )
            )
        quiz_title = localised(version.quiz_title, locale) or title
        entries.append(CatalogueEntry("quiz", f"quiz:{course.key}", quiz_title, title))
    return entries


def _connect_receivers() -> None:
    # Domains react to each other only through signals, and only once these
    # are connected: importing a module never connects anything. Quiz misses
    # reach the review queue, then a passed quiz's certificate is issued, then
    # levels are checked (whose certificates follow through level_reached).
    from lms.certificates import receivers as certificate_receivers
    from lms.courses import receivers as course_receivers
    from lms.employers import receivers as employer_receivers
    from lms.interop import lti_grades
    from lms.interop import receivers as interop_receivers
    from lms.levels import receivers as level_receivers

    course_receivers.connect()
    certificate_receivers.connect()
    level_receivers.connect()
    employer_receivers.connect()
    interop_receivers.connect()
    lti_grades.connect()


def _configure_babel(app: Flask, state: LMSState) -> None:
    # The LMS translates with its own domain and chooses its own locale
    # (lms.i18n.lms_locale), so a host's Babel stays as the host set it. Without
    # one, Flask-Babel is installed for the LMS's forms, choosing a locale on LMS
    # pages only: the host's pages keep Flask-Babel's default.
    if "babel" in app.extensions:
        return
    from flask_babel import Babel

    from lms.i18n import lms_locale

    prefix = state.url_prefix

    def locale_for_lms_pages() -> str | None:
        if request.blueprint == "lms" or (request.blueprint or "").startswith("lms."):
            return lms_locale()
        if not prefix:
            return lms_locale()
        return None

    Babel(app, locale_selector=locale_for_lms_pages)

"""Flask-Login set-up for the standalone accounts (a host brings its own)."""

from __future__ import annotations

from flask import Flask, session
from flask_login import LoginManager

from lms.accounts.login_sessions import LOGIN_SESSION_KEY, signed_in_user
from lms.accounts.models import User
from lms.db import ID_MAX
from lms.i18n import lazy_gettext


def install_login(app: Flask) -> LoginManager:
    """Let Flask-Login load our users and send visitors to our login page."""
    manager = LoginManager()
    manager.login_view = "lms.accounts.login"
    manager.login_message = lazy_gettext("Log in to continue.")
    manager.login_message_category = "info"
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        # Only a browser whose login session is still live in the database:
        # the signed cookie alone outlives a logout when someone copied it.
        if not user_id.isdigit() or int(user_id) > ID_MAX:
            return None
        return signed_in_user(int(user_id), session.get(LOGIN_SESSION_KEY))

    manager.init_app(app)
    return manager

"""Flask-Login set-up for the standalone accounts (a host brings its own)."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from lms.accounts.models import User
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
        from lms.state import get_session

        if not user_id.isdigit():
            return None
        return get_session().get(User, int(user_id))

    manager.init_app(app)
    return manager

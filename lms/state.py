"""Where request code finds the LMS: its state on the current app and the
database session it works in.

The lowest layer of the package: it imports only Flask and SQLAlchemy, so
every domain can use it without importing the composition root
(``lms.extension``), which imports every domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import scoped_session

#: ``LMS_ACCOUNTS`` values: the LMS's own users, or the host's Flask-Login users.
BUILTIN_ACCOUNTS = "builtin"
HOST_ACCOUNTS = "host"


@dataclass
class LMSState:
    """What one app's LMS needs at request time, kept in ``app.extensions``."""

    db: SQLAlchemy
    url_prefix: str
    accounts: str
    #: the LoginManager the LMS installed (builtin accounts), to notice a second one
    login_manager: Any = None
    #: set once this process has seen the accounts set-up hold at a request
    accounts_checked: bool = False

    @property
    def owns_accounts(self) -> bool:
        """Whether the LMS registers, logs in and loads its own users."""
        return self.accounts == BUILTIN_ACCOUNTS


def get_state() -> LMSState:
    """The LMS state of the current app."""
    return current_app.extensions["lms"]


def get_session() -> scoped_session[Any]:
    """The database session the LMS works in (the host's in plugin mode)."""
    return current_app.extensions["lms"].db.session

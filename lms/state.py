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


@dataclass
class LMSState:
    """What one app's LMS needs at request time, kept in ``app.extensions``."""

    db: SQLAlchemy
    url_prefix: str
    owns_accounts: bool


def get_state() -> LMSState:
    """The LMS state of the current app."""
    return current_app.extensions["lms"]


def get_session() -> scoped_session[Any]:
    """The database session the LMS works in (the host's in plugin mode)."""
    return current_app.extensions["lms"].db.session

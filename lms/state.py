"""Where request code finds the LMS: its state on the current app and the
database session it works in.

The lowest layer of the package: it imports only Flask and SQLAlchemy, so
every domain can use it without importing the composition root
(``lms.extension``), which imports every domain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, has_app_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, text
from sqlalchemy.orm import Session, scoped_session

#: A PostgreSQL memory amount, e.g. 64MB (checked before it goes into SQL).
_WORK_MEM = re.compile(r"[1-9][0-9]{0,5}(kB|MB|GB)")

T = TypeVar("T")

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


#: ``g`` keys of the request's memos and of the flag set once it has written.
MEMO_KEY = "lms_memo"
WROTE_KEY = "lms_wrote"


def request_memo(name: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per request (app context), forgotten at the session's next flush.

    For reads a page repeats in several places (the published courses); a write
    in the same request drops the memo, so it never answers with what was there
    before the write.
    """
    memos = g.setdefault(MEMO_KEY, {})
    if name not in memos:
        memos[name] = compute()
    return memos[name]


def request_has_written() -> bool:
    """Whether the session has flushed a change during this request (app context)."""
    return bool(g.get(WROTE_KEY))


def _note_flush(_session: Any, _context: Any) -> None:
    if has_app_context():
        g.pop(MEMO_KEY, None)
        setattr(g, WROTE_KEY, True)


def watch_flushes() -> None:
    """Drop request memos at every flush of any session; called from ``LMS.init_app``."""
    if not event.contains(Session, "after_flush", _note_flush):
        event.listen(Session, "after_flush", _note_flush)


def allow_report_memory() -> None:
    """Let this transaction's sorts and hashes use ``LMS_REPORT_WORK_MEM`` (PostgreSQL).

    A report groups every answer of every attempt in scope; with PostgreSQL's
    default 4 MB those sorts spill to disk past a few thousand learners and the
    report grows faster than its data (17x the time for 10x the attempts).
    ``SET LOCAL`` ends with the transaction, so no other request inherits it.
    """
    from lms.config import config_value

    session = get_session()
    if session.get_bind().dialect.name != "postgresql":
        return
    amount = str(config_value("LMS_REPORT_WORK_MEM") or "")
    if not _WORK_MEM.fullmatch(amount):
        raise ValueError(f"LMS_REPORT_WORK_MEM must look like 64MB, not {amount!r}")
    session.execute(text(f"SET LOCAL work_mem = '{amount}'"))

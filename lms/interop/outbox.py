"""The durable xAPI outbox: rows added in the event's transaction, delivered
later by a worker, never from a learner's request."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from lms.config import config_value
from lms.db import utcnow
from lms.interop.models import XapiOutbox
from lms.interop.xapi import XAPI_VERSION
from lms.state import get_session

#: Seconds of the first retry; each failure doubles it, up to the maximum.
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
ERROR_LENGTH = 500
#: The dialects whose INSERT can skip a row whose unique id exists.
_INSERT_IGNORING_KNOWN = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def enabled() -> bool:
    return bool(config_value("LMS_XAPI_ENDPOINT"))


def enqueue(statement: dict[str, Any]) -> bool:
    """Add a statement to the outbox in the current transaction (no commit);
    True if it was queued now.

    Does nothing without ``LMS_XAPI_ENDPOINT`` or when the statement id is
    already queued (the same event seen twice). One INSERT that skips a
    known id: two requests recording the same event at once both succeed,
    where a look-up first would let the second fail on the unique id.
    """
    if not enabled():
        return False
    session = get_session()
    now = utcnow()
    values = {
        "statement_id": statement["id"],
        "statement": statement,
        "created_at": now,
        "next_attempt_at": now,
    }
    dialect = session.get_bind().dialect.name
    if dialect in _INSERT_IGNORING_KNOWN:
        insert = (
            _INSERT_IGNORING_KNOWN[dialect](XapiOutbox)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["statement_id"])
            # rowcount is not reported for this statement on every driver: the
            # returned id says whether the row went in.
            .returning(XapiOutbox.id)
        )
        return session.execute(insert).first() is not None
    # Any other database: look first (the two dialects above are the shipped ones).
    session.flush()
    known = session.scalar(select(XapiOutbox.id).where(XapiOutbox.statement_id == statement["id"]))
    if known is not None:
        return False
    session.add(XapiOutbox(**values))
    session.flush()
    return True


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failures (exponential)."""
    seconds = FIRST_RETRY_SECONDS * 2 ** max(0, min(attempts - 1, 20))
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.delivered + self.failed


class LRSError(Exception):
    """The LRS refused or could not be reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def post_statements(statements: list[dict[str, Any]]) -> None:
    """POST statements to ``<LMS_XAPI_ENDPOINT>/statements``; raises LRSError."""
    endpoint = str(config_value("LMS_XAPI_ENDPOINT")).rstrip("/")
    if not endpoint.startswith(("http://", "https://")):
        raise LRSError("LMS_XAPI_ENDPOINT must be an http:// or https:// URL.")
    body = json.dumps(statements, ensure_ascii=False).encode()
    url = endpoint + "/statements"
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - scheme checked
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Experience-API-Version", XAPI_VERSION)
    key = config_value("LMS_XAPI_KEY")
    if key:
        secret = config_value("LMS_XAPI_SECRET") or ""
        token = base64.b64encode(f"{key}:{secret}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    timeout = float(config_value("LMS_XAPI_TIMEOUT_SECONDS"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            response.read()
    except urllib.error.HTTPError as error:
        if error.code == 409:
            # An id the LRS already holds: this statement was delivered before.
            return
        detail = error.read()[:200].decode("utf-8", "replace")
        raise LRSError(f"HTTP {error.code}: {detail}", error.code) from error
    except (OSError, ValueError) as error:
        raise LRSError(f"{type(error).__name__}: {error}") from error


def _claim(batch_size: int, now: datetime) -> list[XapiOutbox]:
    session = get_session()
    query = (
        select(XapiOutbox)
        .where(XapiOutbox.delivered_at.is_(None), XapiOutbox.next_attempt_at <= now)
        .order_by(XapiOutbox.id)
        .limit(batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two workers never claim the same row: each skips the other's locked rows.
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def _failed(row: XapiOutbox, error: LRSError, now: datetime) -> None:
    row.attempts += 1
    row.last_error = str(error)[:ERROR_LENGTH]
    row.next_attempt_at = now + retry_delay(row.attempts)


def deliver_batch(batch_size: int | None = None, now: datetime | None = None) -> DeliveryReport:
    """Deliver one batch of due statements and commit; the rows stay locked
    (PostgreSQL) until the commit, so no other worker sends them."""
    session = get_session()
    now = now or utcnow()
    batch_size = batch_size or int(config_value("LMS_XAPI_BATCH_SIZE"))
    rows = _claim(batch_size, now)
    report = DeliveryReport()
    if not rows:
        session.rollback()
        return report
    try:
        post_statements([row.statement for row in rows])
    except LRSError as error:
        if error.status is None or error.status >= 500 or len(rows) == 1:
            for row in rows:
                _failed(row, error, now)
            report.failed = len(rows)
        else:
            # The LRS refused the batch: send each alone so one bad statement
            # does not hold the others back.
            for row in rows:
                try:
                    post_statements([row.statement])
                except LRSError as single_error:
                    _failed(row, single_error, now)
                    report.failed += 1
                else:
                    row.delivered_at = now
                    report.delivered += 1
    else:
        for row in rows:
            row.delivered_at = now
        report.delivered = len(rows)
    session.commit()
    return report


def deliver_due(batch_size: int | None = None, max_batches: int = 1000) -> DeliveryReport:
    """Deliver batches until none is due or a batch fails (the LRS is down)."""
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_batch(batch_size)
        total.delivered += report.delivered
        total.failed += report.failed
        if report.handled == 0 or report.failed:
            break
    return total


def pending_count() -> int:
    from sqlalchemy import func

    return get_session().scalar(
        select(func.count()).select_from(XapiOutbox).where(XapiOutbox.delivered_at.is_(None))
    )

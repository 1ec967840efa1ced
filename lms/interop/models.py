"""The xAPI outbox: statements waiting for (or done with) delivery to the LRS."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class XapiOutbox(Base):
    """One xAPI statement, written in the transaction of the event it records.

    ``statement_id`` is the statement's own stable id (a uuid5 of the event),
    so a retried delivery is recognised by the LRS and a replayed event never
    queues a second row.
    """

    __tablename__ = "lms_xapi_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    statement: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))

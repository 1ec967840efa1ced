"""Check-in to a session by a rotating QR code, or by the trainer's hand.

The code is an HMAC of the session id and the current 30-second slot, keyed with
the app's secret key: it cannot be forged, a photo of it stops working within a
minute (the current and the previous slot are accepted, for a slow phone), and
one session's code never opens another's.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.models import Profile
from lms.config import config_value
from lms.courses.attended import credited_seconds, record_attended_training
from lms.db import utcnow
from lms.i18n import _l
from lms.sessions.models import Attendance, Booking, BookingStatus, CheckInMethod, TrainingSession
from lms.sessions.services import SessionError, managed_session, visible_session
from lms.signals import session_attended
from lms.state import get_session

SLOT_SECONDS = 30
REASON_MAX = 200


def current_slot(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // SLOT_SECONDS)


def _signature(session_id: int, slot: int) -> str:
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    message = f"lms-check-in:{session_id}:{slot}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:24]


def check_in_code(session_id: int, slot: int | None = None) -> str:
    """The code the trainer's QR shows now, e.g. ``59215342.3f0c…``."""
    slot = current_slot() if slot is None else slot
    return f"{slot}.{_signature(session_id, slot)}"


def code_is_valid(session_id: int, code: str, now: float | None = None) -> bool:
    """True for this session's code of the current or the previous slot."""
    slot_text, _dot, signature = (code or "").partition(".")
    if not slot_text.isdigit() or len(slot_text) > 12:
        return False
    slot = int(slot_text)
    if current_slot(now) - slot not in (0, 1):
        return False
    return hmac.compare_digest(signature, _signature(session_id, slot))


def window_open(training: TrainingSession) -> bool:
    """Whether check-in is open: the session's time, with the grace either side."""
    grace = timedelta(minutes=int(config_value("LMS_CHECK_IN_GRACE_MINUTES")))
    return training.starts_at - grace <= utcnow() <= training.ends_at + grace


def _record(
    training: TrainingSession,
    profile_id: int,
    method: CheckInMethod,
    recorded_by: Profile | None,
    reason: str = "",
) -> Attendance:
    session = get_session()
    attendance = Attendance(
        session_id=training.id,
        profile_id=profile_id,
        method=method,
        reason=reason,
        recorded_by_id=recorded_by.id if recorded_by else None,
        created_at=utcnow(),
    )
    session.add(attendance)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # The unique constraint: a second scan (or two at once) records nothing.
        raise SessionError(409, _l("You are already checked in to this session.")) from None
    # The time counts as training before anyone hears of the check-in, so the
    # levels re-checked on the signal already see it.
    record_attended_training(
        profile_id,
        attended_source(training.id),
        training.title,
        credited_seconds(
            training.starts_at,
            training.ends_at,
            attendance.created_at,
            vouched=method == CheckInMethod.BY_HAND,
        ),
        attendance.created_at,
        course_key=training.course_key,
    )
    session_attended.send(current_app._get_current_object(), attendance=attendance)
    return attendance


def attended_source(session_id: int) -> str:
    """The key under which a session's attendance is credited as training time."""
    return f"session:{session_id}"


def _already(training: TrainingSession, profile_id: int) -> bool:
    return (
        get_session().scalar(
            select(Attendance.id).where(
                Attendance.session_id == training.id, Attendance.profile_id == profile_id
            )
        )
        is not None
    )


def check_in(rider: Profile, session_id: int, code: str) -> Attendance:
    """Record the rider at the session whose QR code they scanned."""
    training = visible_session(rider, session_id)
    if not window_open(training):
        raise SessionError(400, _l("Check-in is only open around the session's time."))
    if not code_is_valid(training.id, code):
        raise SessionError(
            400, _l("This code has expired or is not this session's. Scan the QR code again.")
        )
    if _already(training, rider.id):
        raise SessionError(409, _l("You are already checked in to this session."))
    return _record(training, rider.id, CheckInMethod.QR, rider)


def check_in_by_hand(trainer: Profile, session_id: int, profile_id: int, reason: str) -> Attendance:
    """The trainer records a signed-up rider (e.g. whose phone is flat), saying why."""
    training = managed_session(trainer, session_id)
    reason = reason.strip()
    if not reason:
        raise SessionError(400, _l("Say why you check this rider in by hand."))
    signed_up = get_session().scalar(
        select(Booking.id).where(
            Booking.session_id == training.id,
            Booking.profile_id == profile_id,
            Booking.status != BookingStatus.CANCELLED,
        )
    )
    if signed_up is None:
        raise SessionError(400, _l("Only riders signed up for the session can be checked in."))
    if _already(training, profile_id):
        raise SessionError(409, _l("This rider is already checked in."))
    return _record(training, profile_id, CheckInMethod.BY_HAND, trainer, reason[:REASON_MAX])


def attended_ids(training: TrainingSession) -> set[int]:
    return set(
        get_session().scalars(
            select(Attendance.profile_id).where(Attendance.session_id == training.id)
        )
    )


def my_sessions(
    profile: Profile,
) -> list[tuple[TrainingSession, Booking | None, Attendance | None]]:
    """The rider's record: every session signed up for or attended, newest first."""
    session = get_session()
    bookings = {
        b.session_id: b
        for b in session.scalars(select(Booking).where(Booking.profile_id == profile.id))
    }
    attendances = {
        a.session_id: a
        for a in session.scalars(select(Attendance).where(Attendance.profile_id == profile.id))
    }
    ids = set(bookings) | set(attendances)
    if not ids:
        return []
    trainings = session.scalars(
        select(TrainingSession)
        .where(TrainingSession.id.in_(ids))
        .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
    )
    return [(t, bookings.get(t.id), attendances.get(t.id)) for t in trainings]


@dataclass(frozen=True)
class ReportRow:
    name: str
    status: BookingStatus | None
    attendance: Attendance | None


@dataclass(frozen=True)
class SessionReport:
    """Who signed up for a session, who came, and who did not."""

    rows: list[ReportRow]
    signed_up: int
    attended: int
    #: signed up with a place but not checked in; None until the session is over
    no_shows: int | None


def session_report(training: TrainingSession) -> SessionReport:
    """Every rider signed up or checked in, with the session's figures."""
    session = get_session()
    bookings = {
        b.profile_id: b
        for b in session.scalars(
            select(Booking)
            .where(Booking.session_id == training.id, Booking.status != BookingStatus.CANCELLED)
            .options(selectinload(Booking.profile))
        )
    }
    attendances = {
        a.profile_id: a
        for a in session.scalars(
            select(Attendance)
            .where(Attendance.session_id == training.id)
            .options(selectinload(Attendance.profile))
        )
    }
    rows = []
    for profile_id in sorted(set(bookings) | set(attendances)):
        booking, attendance = bookings.get(profile_id), attendances.get(profile_id)
        profile = booking.profile if booking else attendance.profile  # type: ignore[union-attr]
        rows.append(
            ReportRow(profile.display_name, booking.status if booking else None, attendance)
        )
    booked = {p for p, b in bookings.items() if b.status == BookingStatus.BOOKED}
    over = training.ends_at < utcnow()
    return SessionReport(
        rows=rows,
        signed_up=len(booked),
        attended=len(attendances),
        no_shows=len(booked - set(attendances)) if over else None,
    )

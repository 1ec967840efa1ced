"""Reports of a station over a period: sessions held, sign-ups, attendance,
no-shows, the training hours credited and the needs its riders named in surveys.

Every figure is an SQL aggregate (grouped by session), never a loop over rows.
The figures name no rider, so they can be exported whatever a rider agreed to;
the per-session report with names is ``check_in.session_report``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, literal, select

from lms.accounts.access import STAFF_ROLES, is_staff_of
from lms.accounts.models import Profile
from lms.config import config_value
from lms.courses.models import AttendedTraining
from lms.db import utcnow
from lms.i18n import _l
from lms.sessions.models import Attendance, Booking, BookingStatus, Station, TrainingSession
from lms.sessions.services import SessionError
from lms.state import get_session
from lms.surveys.results import Need, top_needs

PERIOD_DAYS_MAX = 366
DEFAULT_DAYS = 30

#: Extra sections of a session's report page: each takes the session and returns
#: HTML (Markup) or "". The live case session registers its answer results per
#: question here, so this module never imports it.
_SESSION_REPORT_SECTIONS: list[Callable[[TrainingSession], Any]] = []


def register_session_report_section(section: Callable[[TrainingSession], Any]) -> None:
    """Add a section to every session's report page (once per callable)."""
    if section not in _SESSION_REPORT_SECTIONS:
        _SESSION_REPORT_SECTIONS.append(section)


def session_report_sections(training: TrainingSession) -> list[Any]:
    """The extra sections of one session's report, in registration order."""
    found = (section(training) for section in _SESSION_REPORT_SECTIONS)
    return [html for html in found if html]


@dataclass(frozen=True)
class Period:
    """Whole local days, first to last inclusive, as a UTC range [since, until)."""

    first: date
    last: date
    since: datetime
    until: datetime


def period(first: date | None, last: date | None) -> Period:
    """The report's period: the last 30 days by default, at most a year."""
    zone = ZoneInfo(config_value("LMS_TIME_ZONE"))
    today = utcnow().astimezone(zone).date()
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise SessionError(400, _l("The period must end on or after its first day."))
    if (last - first).days + 1 > PERIOD_DAYS_MAX:
        raise SessionError(
            400, _l("Choose a period of at most %(days)d days.", days=PERIOD_DAYS_MAX)
        )
    since = datetime.combine(first, time(), zone)
    until = datetime.combine(last + timedelta(days=1), time(), zone)
    return Period(first, last, since, until)


def station_for_staff(staff: Profile, station_id: int) -> Station:
    """A station of the trainer's or admin's own organisation: another's is not found."""
    if not staff.has_role(*STAFF_ROLES) or staff.organisation_id is None:
        raise SessionError(403, _l("Only an organisation's trainers see its reports."))
    station = get_session().get(Station, station_id)
    if station is None or not is_staff_of(staff, station.organisation_id):
        raise SessionError(404, _l("No such station."))
    return station


@dataclass(frozen=True)
class SessionFigures:
    """One session of the period: who signed up, came, stayed away, and the hours."""

    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    signed_up: int
    attended: int
    #: None until the session is over
    no_shows: int | None
    hours: float


@dataclass(frozen=True)
class StationReport:
    station: Station
    period: Period
    sessions: list[SessionFigures]
    needs: list[Need]

    @property
    def signed_up(self) -> int:
        return sum(row.signed_up for row in self.sessions)

    @property
    def attended(self) -> int:
        return sum(row.attended for row in self.sessions)

    @property
    def no_shows(self) -> int:
        return sum(row.no_shows or 0 for row in self.sessions)

    @property
    def hours(self) -> float:
        return round(sum(row.hours for row in self.sessions), 1)


def _count_by_session(model: Any, ids: Any, *where: Any) -> Any:
    return (
        select(model.session_id.label("session_id"), func.count().label("n"))
        .where(model.session_id.in_(ids), *where)
        .group_by(model.session_id)
        .subquery()
    )


def station_report(station: Station, span: Period) -> StationReport:
    """The station's sessions that started in the period, with their figures, and the
    needs its riders named in the organisation's surveys answered in the period."""
    in_period = (
        select(TrainingSession.id)
        .where(
            TrainingSession.station_id == station.id,
            TrainingSession.starts_at >= span.since,
            TrainingSession.starts_at < span.until,
        )
        .scalar_subquery()
    )
    booked = _count_by_session(Booking, in_period, Booking.status == BookingStatus.BOOKED)
    came = _count_by_session(Attendance, in_period)
    # Signed up with a place and never checked in.
    absent = (
        select(Booking.session_id.label("session_id"), func.count().label("n"))
        .outerjoin(
            Attendance,
            and_(
                Attendance.session_id == Booking.session_id,
                Attendance.profile_id == Booking.profile_id,
            ),
        )
        .where(
            Booking.session_id.in_(in_period),
            Booking.status == BookingStatus.BOOKED,
            Attendance.id.is_(None),
        )
        .group_by(Booking.session_id)
        .subquery()
    )
    source = literal("session:") + cast(TrainingSession.id, String)
    credited = (
        select(
            TrainingSession.id.label("session_id"),
            func.sum(AttendedTraining.seconds).label("seconds"),
        )
        .join(AttendedTraining, AttendedTraining.source_key == source)
        .where(TrainingSession.id.in_(in_period))
        .group_by(TrainingSession.id)
        .subquery()
    )
    rows = get_session().execute(
        select(
            TrainingSession.id,
            TrainingSession.title,
            TrainingSession.starts_at,
            TrainingSession.ends_at,
            func.coalesce(booked.c.n, 0),
            func.coalesce(came.c.n, 0),
            func.coalesce(absent.c.n, 0),
            func.coalesce(credited.c.seconds, 0),
        )
        .outerjoin(booked, booked.c.session_id == TrainingSession.id)
        .outerjoin(came, came.c.session_id == TrainingSession.id)
        .outerjoin(absent, absent.c.session_id == TrainingSession.id)
        .outerjoin(credited, credited.c.session_id == TrainingSession.id)
        .where(TrainingSession.id.in_(in_period))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    now = utcnow()
    sessions = [
        SessionFigures(
            session_id,
            title,
            starts_at,
            ends_at,
            int(signed_up),
            int(attended),
            int(no_shows) if ends_at < now else None,
            round(int(seconds) / 3600, 1),
        )
        for session_id, title, starts_at, ends_at, signed_up, attended, no_shows, seconds in rows
    ]
    needs = top_needs(
        station.organisation_id, station_id=station.id, since=span.since, until=span.until
    )
    return StationReport(station, span, sessions, needs)

"""Write operations and queries of stations and sessions: they flush, the view commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import selectinload

from lms.accounts.access import ADMIN_ROLES, STAFF_ROLES, is_admin_of, is_staff_of
from lms.accounts.models import Cohort, CohortMember, Profile
from lms.courses.services import course_by_key
from lms.db import utcnow
from lms.i18n import _l
from lms.sessions.models import Booking, BookingStatus, Facility, Station, TrainingSession
from lms.state import get_session


class StationError(Exception):
    """A refused station operation: the HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class StationDetails:
    """What a station's form says of it, already checked by the form."""

    name_zh: str
    name_en: str
    address: str
    district: str
    opening_hours: str
    facilities: Iterable[str]


def _ordered_facilities(values: Iterable[str]) -> list[str]:
    chosen = set(values)
    unknown = chosen - {facility.value for facility in Facility}
    if unknown:
        raise StationError(400, _l("Choose facilities from the list."))
    return [facility.value for facility in Facility if facility.value in chosen]


def _require_admin(profile: Profile) -> None:
    if not profile.has_role(*ADMIN_ROLES) or profile.organisation_id is None:
        raise StationError(403, _l("Only an organisation's admin manages its stations."))


def _apply(station: Station, details: StationDetails) -> None:
    station.name_zh = details.name_zh.strip()
    station.name_en = details.name_en.strip()
    station.address = details.address.strip()
    station.district = details.district.strip()
    station.opening_hours = details.opening_hours.strip()
    station.facilities = _ordered_facilities(details.facilities)


def create_station(admin: Profile, details: StationDetails) -> Station:
    """A new station of the admin's own organisation."""
    _require_admin(admin)
    station = Station(organisation_id=admin.organisation_id)
    _apply(station, details)
    session = get_session()
    session.add(station)
    session.flush()
    return station


def station_for_admin(admin: Profile, station_id: int) -> Station:
    """A station the admin may change: another organisation's is not found."""
    _require_admin(admin)
    station = get_session().get(Station, station_id)
    if station is None or not is_admin_of(admin, station.organisation_id):
        raise StationError(404, _l("No such station."))
    return station


def update_station(admin: Profile, station_id: int, details: StationDetails) -> Station:
    """Change a station of the admin's own organisation."""
    station = station_for_admin(admin, station_id)
    _apply(station, details)
    get_session().flush()
    return station


def organisation_stations(admin: Profile) -> list[Station]:
    """The admin's organisation's stations, by district then name."""
    _require_admin(admin)
    return list(
        get_session().scalars(
            select(Station)
            .where(Station.organisation_id == admin.organisation_id)
            .order_by(Station.district, Station.name_zh, Station.id)
        )
    )


def organisation_stations_of(staff: Profile) -> list[Station]:
    """The stations of a trainer's or admin's organisation, to hold a session at."""
    return list(
        get_session().scalars(
            select(Station)
            .where(Station.organisation_id == staff.organisation_id)
            .order_by(Station.district, Station.name_zh, Station.id)
        )
    )


def districts() -> list[str]:
    """Every district that has a station, for the riders' filter."""
    return list(
        get_session().scalars(select(Station.district).distinct().order_by(Station.district))
    )


def stations_by_district(district: str | None = None) -> list[tuple[str, list[Station]]]:
    """Every station (or one district's), grouped by district, for riders."""
    query = select(Station).order_by(Station.district, Station.name_zh, Station.id)
    if district:
        query = query.where(Station.district == district)
    stations = get_session().scalars(query)
    return [(name, list(group)) for name, group in groupby(stations, key=lambda s: s.district)]


# ------------------------------------------------------------------ sessions

SESSION_LANGUAGES = ("zh_CN", "en")
CAPACITY_MAX = 500


class SessionError(StationError):
    """A refused session operation: the HTTP status and a message for the person."""


@dataclass(frozen=True)
class SessionDetails:
    """What the scheduling form says of a session, already checked by the form."""

    title: str
    station_id: int | None
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    course_key: str | None
    languages: Iterable[str]


@dataclass(frozen=True)
class SignUp:
    """Where a rider stands after signing up or cancelling."""

    status: BookingStatus
    promoted_profile_id: int | None = None


def _require_trainer(profile: Profile) -> None:
    if not profile.has_role(*STAFF_ROLES) or profile.organisation_id is None:
        raise SessionError(403, _l("Only an organisation's trainers schedule sessions."))


def schedule_session(trainer: Profile, details: SessionDetails) -> TrainingSession:
    """A new session of the trainer's organisation, at one of its stations or a place."""
    _require_trainer(trainer)
    if details.ends_at <= details.starts_at:
        raise SessionError(400, _l("The session must end after it starts."))
    if not 1 <= details.capacity <= CAPACITY_MAX:
        raise SessionError(400, _l("Choose a capacity of 1 to %(max)d.", max=CAPACITY_MAX))
    session = get_session()
    if details.station_id is not None:
        station = session.get(Station, details.station_id)
        if station is None or station.organisation_id != trainer.organisation_id:
            raise SessionError(400, _l("Choose one of your organisation's stations."))
    elif not details.place.strip():
        raise SessionError(400, _l("Choose a station or say where the session is held."))
    if details.course_key and course_by_key(details.course_key) is None:
        raise SessionError(400, _l("Choose a published course."))
    languages = [code for code in SESSION_LANGUAGES if code in set(details.languages)]
    if not languages or set(details.languages) - set(SESSION_LANGUAGES):
        raise SessionError(400, _l("Choose the languages the session is held in."))
    training = TrainingSession(
        organisation_id=trainer.organisation_id,
        trainer_id=trainer.id,
        title=details.title.strip(),
        station_id=details.station_id,
        place=details.place.strip(),
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        capacity=details.capacity,
        course_key=details.course_key or None,
        languages=languages,
    )
    session.add(training)
    session.flush()
    return training


def joined_organisation_ids(profile: Profile) -> Select[tuple[int]]:
    """The organisations whose cohorts the rider joined (their staff's own one too)."""
    query = (
        select(Cohort.organisation_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.profile_id == profile.id)
    )
    if profile.organisation_id is not None:
        query = query.union(select(literal(profile.organisation_id)))
    return query


def upcoming_sessions(profile: Profile, station_id: int | None = None) -> list[TrainingSession]:
    """Sessions not yet over, of the organisations the person joined, soonest first."""
    query = (
        select(TrainingSession)
        .where(
            TrainingSession.organisation_id.in_(joined_organisation_ids(profile)),
            TrainingSession.ends_at > utcnow(),
        )
        .options(selectinload(TrainingSession.station))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    )
    if station_id is not None:
        query = query.where(TrainingSession.station_id == station_id)
    return list(get_session().scalars(query))


def upcoming_by_station(profile: Profile) -> dict[int, list[TrainingSession]]:
    """The person's upcoming sessions held at stations, by station id."""
    found: dict[int, list[TrainingSession]] = {}
    for training in upcoming_sessions(profile):
        if training.station_id is not None:
            found.setdefault(training.station_id, []).append(training)
    return found


def visible_session(profile: Profile, session_id: int) -> TrainingSession:
    """A session the person may see: another organisation's is not found."""
    training = get_session().get(TrainingSession, session_id)
    if training is None or training.organisation_id not in set(
        get_session().scalars(joined_organisation_ids(profile))
    ):
        raise SessionError(404, _l("No such session."))
    return training


def _locked(training: TrainingSession) -> None:
    # FOR UPDATE on PostgreSQL (SQLite takes the write lock when the request's
    # transaction begins): sign-ups and cancels of one session queue up here, so
    # two riders never take the last place together.
    get_session().execute(
        select(TrainingSession.id).where(TrainingSession.id == training.id).with_for_update()
    )


def _count_booked(training: TrainingSession) -> int:
    return (
        get_session().scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.session_id == training.id, Booking.status == BookingStatus.BOOKED)
        )
        or 0
    )


def bookings_of(profile: Profile) -> dict[int, Booking]:
    """The person's bookings, by session id (cancelled ones too)."""
    rows = get_session().scalars(select(Booking).where(Booking.profile_id == profile.id))
    return {booking.session_id: booking for booking in rows}


def places_taken(session_ids: Iterable[int]) -> dict[int, int]:
    """How many riders hold a place in each session."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = get_session().execute(
        select(Booking.session_id, func.count())
        .where(Booking.session_id.in_(ids), Booking.status == BookingStatus.BOOKED)
        .group_by(Booking.session_id)
    )
    return {session_id: count for session_id, count in rows}


def sign_up(rider: Profile, session_id: int) -> SignUp:
    """A place for the rider, or a place on the waiting list when the session is full."""
    training = visible_session(rider, session_id)
    if training.starts_at <= utcnow():
        raise SessionError(400, _l("This session has already started."))
    _locked(training)
    session = get_session()
    booking = session.scalar(
        select(Booking)
        .where(Booking.session_id == training.id, Booking.profile_id == rider.id)
        .execution_options(populate_existing=True)
    )
    if booking is not None and booking.status != BookingStatus.CANCELLED:
        raise SessionError(400, _l("You are already signed up for this session."))
    status = (
        BookingStatus.BOOKED
        if _count_booked(training) < training.capacity
        else BookingStatus.WAITING
    )
    if booking is None:
        booking = Booking(session_id=training.id, profile_id=rider.id, status=status)
        session.add(booking)
    else:
        booking.status = status
        booking.queued_at = utcnow()
    session.flush()
    return SignUp(status)


def cancel(rider: Profile, session_id: int) -> SignUp:
    """Give up a place (the first rider waiting takes it) or leave the waiting list."""
    training = visible_session(rider, session_id)
    _locked(training)
    session = get_session()
    booking = session.scalar(
        select(Booking)
        .where(Booking.session_id == training.id, Booking.profile_id == rider.id)
        .execution_options(populate_existing=True)
    )
    if booking is None or booking.status == BookingStatus.CANCELLED:
        raise SessionError(400, _l("You are not signed up for this session."))
    was_booked = booking.status == BookingStatus.BOOKED
    booking.status = BookingStatus.CANCELLED
    session.flush()
    promoted = None
    if was_booked and _count_booked(training) < training.capacity:
        first = session.scalar(
            select(Booking)
            .where(Booking.session_id == training.id, Booking.status == BookingStatus.WAITING)
            .order_by(Booking.queued_at, Booking.id)
            .limit(1)
        )
        if first is not None:
            first.status = BookingStatus.BOOKED
            promoted = first.profile_id
            session.flush()
    return SignUp(BookingStatus.CANCELLED, promoted)


def session_roster(training: TrainingSession) -> list[Booking]:
    """Everyone signed up or waiting, in queue order."""
    return list(
        get_session().scalars(
            select(Booking)
            .where(Booking.session_id == training.id, Booking.status != BookingStatus.CANCELLED)
            .options(selectinload(Booking.profile))
            .order_by(Booking.status, Booking.queued_at, Booking.id)
        )
    )


def organisation_sessions(trainer: Profile) -> list[TrainingSession]:
    """The trainer's organisation's sessions, newest first."""
    _require_trainer(trainer)
    return list(
        get_session().scalars(
            select(TrainingSession)
            .where(TrainingSession.organisation_id == trainer.organisation_id)
            .options(selectinload(TrainingSession.station))
            .order_by(TrainingSession.starts_at.desc(), TrainingSession.id.desc())
        )
    )


def managed_session(trainer: Profile, session_id: int) -> TrainingSession:
    """A session of the trainer's own organisation: another's is not found."""
    _require_trainer(trainer)
    training = get_session().get(TrainingSession, session_id)
    if training is None or not is_staff_of(trainer, training.organisation_id):
        raise SessionError(404, _l("No such session."))
    return training

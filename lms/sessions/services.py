"""Write operations and queries of stations: they flush, the view commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select

from lms.accounts.access import ADMIN_ROLES, is_admin_of
from lms.accounts.models import Profile
from lms.i18n import _l
from lms.sessions.models import Facility, Station
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

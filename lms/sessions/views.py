"""Pages of the sessions domain: an admin's stations, and the riders' station list."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from lms.accounts.access import ADMIN_ROLES, require_profile, role_required
from lms.i18n import _, lms_locale
from lms.sessions import services
from lms.sessions.forms import FACILITY_LABELS, StationForm
from lms.sessions.models import Station
from lms.sessions.services import StationDetails, StationError
from lms.state import get_session
from lms.web import error_response

bp = Blueprint("sessions", __name__)


def _refused(error: StationError) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


def _details(form: StationForm) -> StationDetails:
    return StationDetails(
        name_zh=form.name_zh.data or "",
        name_en=form.name_en.data or "",
        address=form.address.data or "",
        district=form.district.data or "",
        opening_hours=form.opening_hours.data or "",
        facilities=form.facilities.data or [],
    )


def _labels() -> dict[str, Any]:
    return {facility.value: label for facility, label in FACILITY_LABELS.items()}


@bp.route("/stations")
def stations() -> Any:
    """Every station by district, with what it offers a rider."""
    require_profile()
    district = (request.args.get("district") or "").strip()[:40] or None
    return render_template(
        "lms/sessions/stations.html",
        groups=services.stations_by_district(district),
        districts=services.districts(),
        district=district,
        facility_labels=_labels(),
        locale=lms_locale(),
    )


@bp.route("/stations/manage", methods=["GET", "POST"])
@role_required(*ADMIN_ROLES)
def manage_stations() -> Any:
    """The admin's organisation's stations and a form for a new one."""
    admin = require_profile()
    form = StationForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                station = services.create_station(admin, _details(form))
            except StationError as error:
                return _refused(error)
            get_session().commit()
            flash(_("Station %(name)s added.", name=station.name_zh), "success")
            return redirect(url_for(".manage_stations"))
        status = 400
    return (
        render_template(
            "lms/sessions/manage_stations.html",
            form=form,
            stations=services.organisation_stations(admin),
            facility_labels=_labels(),
        ),
        status,
    )


@bp.route("/stations/<int:station_id>/edit", methods=["GET", "POST"])
@role_required(*ADMIN_ROLES)
def edit_station(station_id: int) -> Any:
    """Change a station of the admin's own organisation."""
    admin = require_profile()
    try:
        station: Station = services.station_for_admin(admin, station_id)
    except StationError as error:
        return _refused(error)
    # A POST carries the whole form: a missing field is an error, never the old value.
    form = StationForm() if request.method == "POST" else StationForm(obj=station)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                services.update_station(admin, station_id, _details(form))
            except StationError as error:
                return _refused(error)
            get_session().commit()
            flash(_("Station saved."), "success")
            return redirect(url_for(".manage_stations"))
        status = 400
    return render_template("lms/sessions/edit_station.html", form=form, station=station), status

"""Pages of the sessions domain: an admin's stations, a trainer's sessions, and the
riders' stations and upcoming sessions with sign-up and waiting list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.accounts.access import ADMIN_ROLES, STAFF_ROLES, require_profile, role_required
from lms.accounts.models import Role
from lms.config import config_value
from lms.courses.attended import attended_by_source
from lms.courses.services import published_courses
from lms.i18n import _, _l, lms_locale, localised
from lms.sessions import check_in, live, services
from lms.sessions.forms import FACILITY_LABELS, LANGUAGE_LABELS, SessionForm, StationForm
from lms.sessions.models import BookingStatus, CheckInMethod, Station
from lms.sessions.reports import session_report_sections
from lms.sessions.services import SessionDetails, StationDetails, StationError
from lms.state import get_session
from lms.web import error_response, local_time

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
    profile = require_profile()
    district = (request.args.get("district") or "").strip()[:40] or None
    return render_template(
        "lms/sessions/stations.html",
        groups=services.stations_by_district(district),
        districts=services.districts(),
        district=district,
        facility_labels=_labels(),
        locale=lms_locale(),
        sessions_at=services.upcoming_by_station(profile),
        local_time=local_time,
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


# ------------------------------------------------------------------ sessions

STATUS_LABELS = {
    BookingStatus.BOOKED: _l("Signed up"),
    BookingStatus.WAITING: _l("On the waiting list"),
    BookingStatus.CANCELLED: _l("Cancelled"),
}


def _utc(moment: datetime) -> datetime:
    # The form's times are the deployment's local time.
    return moment.replace(tzinfo=ZoneInfo(config_value("LMS_TIME_ZONE"))).astimezone(UTC)


def _session_form(trainer: Any) -> SessionForm:
    form = SessionForm()
    locale = lms_locale()
    stations = services.organisation_stations_of(trainer)
    form.station_id.choices = [(0, _("Another place (below)"))] + [
        (station.id, station.name(locale)) for station in stations
    ]
    form.course_key.choices = [("", _("No course"))] + [
        (course.key, localised(course.current_version.title, locale))
        for course in published_courses()
        if course.current_version is not None
    ]
    return form


@bp.route("/sessions/manage", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def manage_sessions() -> Any:
    """The organisation's sessions, and a form to schedule one."""
    trainer = require_profile()
    form = _session_form(trainer)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            details = SessionDetails(
                title=form.title.data or "",
                station_id=form.station_id.data or None,
                place=form.place.data or "",
                starts_at=_utc(form.starts_at.data),
                ends_at=_utc(form.ends_at.data),
                capacity=form.capacity.data or 0,
                course_key=form.course_key.data or None,
                languages=form.languages.data or [],
            )
            try:
                training = services.schedule_session(trainer, details)
            except StationError as error:
                return _refused(error)
            get_session().commit()
            flash(_("Session %(title)s scheduled.", title=training.title), "success")
            return redirect(url_for(".manage_sessions"))
        status = 400
    sessions = services.organisation_sessions(trainer)
    return (
        render_template(
            "lms/sessions/manage_sessions.html",
            form=form,
            sessions=sessions,
            stations=services.organisation_stations_of(trainer),
            taken=services.places_taken(s.id for s in sessions),
            locale=lms_locale(),
            local_time=local_time,
        ),
        status,
    )


@bp.route("/sessions/manage/<int:session_id>")
@role_required(*STAFF_ROLES)
def session_roster(session_id: int) -> Any:
    """Who signed up for a session of the trainer's organisation, and who waits."""
    trainer = require_profile()
    try:
        training = services.managed_session(trainer, session_id)
    except StationError as error:
        return _refused(error)
    return render_template(
        "lms/sessions/roster.html",
        training=training,
        report=check_in.session_report(training),
        extra_sections=session_report_sections(training),
        status_labels=STATUS_LABELS,
        locale=lms_locale(),
        local_time=local_time,
    )


@bp.route("/sessions")
def upcoming() -> Any:
    """Upcoming sessions of the organisations the rider joined, with their places."""
    profile = require_profile()
    sessions = services.upcoming_sessions(profile)
    return render_template(
        "lms/sessions/upcoming.html",
        sessions=sessions,
        taken=services.places_taken(s.id for s in sessions),
        bookings=services.bookings_of(profile),
        status_labels=STATUS_LABELS,
        language_labels=LANGUAGE_LABELS,
        may_sign_up=profile.role == Role.LEARNER,
        locale=lms_locale(),
        local_time=local_time,
    )


def _rider() -> Any:
    profile = require_profile()
    if profile.role != Role.LEARNER:
        abort(403)
    return profile


@bp.route("/sessions/<int:session_id>/sign-up", methods=["POST"])
def sign_up(session_id: int) -> Any:
    """Take a place, or join the waiting list when the session is full."""
    rider = _rider()
    try:
        result = services.sign_up(rider, session_id)
    except StationError as error:
        return _refused(error)
    get_session().commit()
    if result.status == BookingStatus.BOOKED:
        flash(_("You are signed up."), "success")
    else:
        flash(_("The session is full: you are on the waiting list."), "success")
    return redirect(url_for(".upcoming"))


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
def cancel(session_id: int) -> Any:
    """Give up a place or leave the waiting list."""
    rider = _rider()
    try:
        services.cancel(rider, session_id)
    except StationError as error:
        return _refused(error)
    get_session().commit()
    flash(_("Your sign-up is cancelled."), "success")
    return redirect(url_for(".upcoming"))


# ------------------------------------------------------------------ check-in


def _check_in_url(session_id: int) -> str:
    return url_for(
        ".check_in_page",
        session_id=session_id,
        code=check_in.check_in_code(session_id),
        _external=True,
    )


@bp.route("/sessions/manage/<int:session_id>/check-in")
@role_required(*STAFF_ROLES)
def check_in_screen(session_id: int) -> Any:
    """The trainer's screen: a QR code that changes every 30 seconds, and the roster."""
    trainer = require_profile()
    try:
        training = services.managed_session(trainer, session_id)
    except StationError as error:
        return _refused(error)
    is_open = check_in.window_open(training)
    return render_template(
        "lms/sessions/check_in_screen.html",
        training=training,
        is_open=is_open,
        url=_check_in_url(training.id) if is_open else "",
        roster=services.session_roster(training),
        attended=check_in.attended_ids(training),
        status_labels=STATUS_LABELS,
        seconds=check_in.SLOT_SECONDS,
        local_time=local_time,
    )


@bp.route("/sessions/manage/<int:session_id>/qr.svg")
@role_required(*STAFF_ROLES)
def check_in_qr(session_id: int) -> Any:
    """The current QR code as an SVG image; its link is in the X-Check-In-URL header."""
    trainer = require_profile()
    try:
        training = services.managed_session(trainer, session_id)
    except StationError as error:
        return _refused(error)
    if not check_in.window_open(training):
        return error_response(409, _("Check-in is only open around the session's time."))
    url = _check_in_url(training.id)
    image = io.BytesIO()
    # A standalone SVG file (with its namespace), so the browser shows it as an image.
    segno.make(url, error="m").save(image, kind="svg", scale=8, border=2)
    response = Response(image.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Check-In-URL"] = url
    return response


@bp.route("/sessions/manage/<int:session_id>/check-in-by-hand", methods=["POST"])
@role_required(*STAFF_ROLES)
def check_in_by_hand(session_id: int) -> Any:
    """Check a signed-up rider in by hand, with a reason that is kept."""
    trainer = require_profile()
    profile_id = request.form.get("profile_id", "")
    if not profile_id.isdigit() or len(profile_id) > 12:
        try:
            services.managed_session(trainer, session_id)
        except StationError as error:
            return _refused(error)
        return error_response(400, _("Choose a rider from the list."))
    try:
        check_in.check_in_by_hand(
            trainer, session_id, int(profile_id), request.form.get("reason", "")
        )
    except StationError as error:
        return _refused(error)
    get_session().commit()
    flash(_("The rider is checked in."), "success")
    return redirect(url_for(".check_in_screen", session_id=session_id))


@bp.route("/sessions/<int:session_id>/check-in", methods=["GET", "POST"])
def check_in_page(session_id: int) -> Any:
    """Where a rider's scan of the QR code lands: one tap records the check-in."""
    rider = _rider()
    code = (request.values.get("code") or "")[:64]
    try:
        training = services.visible_session(rider, session_id)
        if request.method == "POST":
            check_in.check_in(rider, session_id, code)
    except StationError as error:
        return _refused(error)
    if request.method == "POST":
        get_session().commit()
        flash(_("You are checked in. Enjoy the session."), "success")
        if live.live_case_of(session_id) is not None:
            # Scanned while the live case runs: straight to the step on the screen.
            return redirect(url_for(".live_phone", session_id=session_id))
        return redirect(url_for(".my_sessions"))
    return render_template("lms/sessions/check_in.html", training=training, code=code)


@bp.route("/sessions/mine")
def my_sessions() -> Any:
    """The rider's record: sessions signed up for, and attended."""
    profile = require_profile()
    credited = attended_by_source(profile.id)
    return render_template(
        "lms/sessions/mine.html",
        rows=check_in.my_sessions(profile),
        credited=credited,
        source_of=check_in.attended_source,
        total_hours=round(sum(row.seconds for row in credited.values()) / 3600, 1),
        status_labels=STATUS_LABELS,
        local_time=local_time,
    )


# ------------------------------------------------------------------ reports


def _spreadsheet_safe(value: object) -> str:
    # A spreadsheet runs a cell that starts with these as a formula.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/sessions/manage/<int:session_id>/report.csv")
@role_required(*STAFF_ROLES)
def session_report_csv(session_id: int) -> Any:
    """The session's sign-ups and attendance as a CSV file for a spreadsheet."""
    trainer = require_profile()
    try:
        training = services.managed_session(trainer, session_id)
    except StationError as error:
        return _refused(error)
    report = check_in.session_report(training)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Rider"), _("Sign-up"), _("Attended"), _("Checked in"), _("How"), _("Reason")]
    )
    methods = {
        CheckInMethod.QR: _("QR code"),
        CheckInMethod.BY_HAND: _("By hand"),
    }
    for row in report.rows:
        attendance = row.attendance
        cells = [
            row.name,
            str(STATUS_LABELS[row.status]) if row.status else "",
            _("Yes") if attendance else _("No"),
            local_time(attendance.created_at) if attendance else "",
            methods[attendance.method] if attendance else "",
            attendance.reason if attendance else "",
        ]
        writer.writerow([_spreadsheet_safe(cell) for cell in cells])
    # A BOM so spreadsheet programs read the Chinese as UTF-8.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="session-{training.id}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""The station report pages, on the sessions blueprint: a station's sessions,
attendance, hours and top needs over a period, and the same as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, render_template, request

from lms.accounts.access import STAFF_ROLES, require_profile, role_required
from lms.i18n import _, lms_locale, localised
from lms.sessions import reports
from lms.sessions.services import StationError
from lms.sessions.views import _refused, _spreadsheet_safe, bp
from lms.web import error_response, local_time


def _day(name: str) -> date | None:
    """A date parameter (YYYY-MM-DD), None when absent; ValueError when malformed."""
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    if len(text) != 10:
        raise ValueError(text)
    return date.fromisoformat(text)


def _report(station_id: int) -> Any:
    staff = require_profile()
    try:
        station = reports.station_for_staff(staff, station_id)
    except StationError as error:
        return _refused(error)
    try:
        first, last = _day("from"), _day("to")
    except ValueError:
        return error_response(400, _("Give dates as YYYY-MM-DD."))
    try:
        span = reports.period(first, last)
    except StationError as error:
        return _refused(error)
    return reports.station_report(station, span)


@bp.route("/sessions/manage/stations/<int:station_id>/report")
@role_required(*STAFF_ROLES)
def station_report(station_id: int) -> Any:
    """A station over a period: sessions, attendance, hours and the needs riders named."""
    report = _report(station_id)
    if not isinstance(report, reports.StationReport):
        return report
    return render_template(
        "lms/sessions/station_report.html",
        report=report,
        locale=lms_locale(),
        localised=localised,
        local_time=local_time,
    )


@bp.route("/sessions/manage/stations/<int:station_id>/report.csv")
@role_required(*STAFF_ROLES)
def station_report_csv(station_id: int) -> Any:
    """The station report as CSV: figures only, no rider is named."""
    report = _report(station_id)
    if not isinstance(report, reports.StationReport):
        return report
    locale = lms_locale()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Session"),
            _("Starts"),
            _("Signed up"),
            _("Attended"),
            _("No-shows"),
            _("Training hours"),
        ]
    )
    for row in report.sessions:
        cells = [
            row.title,
            local_time(row.starts_at),
            row.signed_up,
            row.attended,
            "" if row.no_shows is None else row.no_shows,
            f"{row.hours:g}",
        ]
        writer.writerow([_spreadsheet_safe(cell) for cell in cells])
    writer.writerow(
        [_("All"), "", report.signed_up, report.attended, report.no_shows, f"{report.hours:g}"]
    )
    writer.writerow([])
    writer.writerow([_("Top needs"), _("Riders")])
    for need in report.needs:
        writer.writerow([_spreadsheet_safe(localised(need.label, locale)), need.count])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    name = f"station-{report.station.id}-{report.period.first}-{report.period.last}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

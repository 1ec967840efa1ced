"""Pages of the surveys domain: a trainer writes a survey (or starts from the
template), opens and closes it and reads its results; riders answer on their phones."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from lms.accounts.access import STAFF_ROLES, require_profile, role_required
from lms.accounts.models import Role
from lms.i18n import _, lms_locale, localised
from lms.sessions.services import organisation_stations_of
from lms.state import get_session
from lms.surveys import results, services
from lms.surveys.forms import KIND_LABELS, SurveyForm, TemplateForm
from lms.surveys.models import QuestionKind, SurveyStatus
from lms.surveys.services import SurveyDraft, SurveyError
from lms.web import error_response, local_time

bp = Blueprint("surveys", __name__)


def _refused(error: SurveyError) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


def _station_choices(trainer: Any) -> list[tuple[int, str]]:
    locale = lms_locale()
    return [(0, _("No station: riders say which one they use"))] + [
        (station.id, station.name(locale)) for station in organisation_stations_of(trainer)
    ]


def _group_labels() -> dict[str, str]:
    # Built per request so the labels are in the page's language.
    return {
        "rest": _("Rest and supplies"),
        "policy": _("Policy advice"),
        "skills": _("Skills"),
    }


@bp.route("/surveys/manage", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def manage() -> Any:
    """The organisation's surveys, a form to write one and the shipped template."""
    trainer = require_profile()
    form = SurveyForm()
    template_form = TemplateForm()
    choices = _station_choices(trainer)
    form.station_id.choices = template_form.template_station_id.choices = choices
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            draft = SurveyDraft(
                title_zh=form.title_zh.data or "",
                title_en=form.title_en.data or "",
                anonymous=bool(form.anonymous.data),
                station_id=form.station_id.data or None,
                questions=form.drafts(),
            )
            try:
                survey = services.create_survey(trainer, draft)
            except SurveyError as error:
                return _refused(error)
            get_session().commit()
            flash(_("Survey %(title)s is open for answers.", title=survey.title_zh), "success")
            return redirect(url_for(".results_page", survey_id=survey.id))
        status = 400
    return (
        render_template(
            "lms/surveys/manage.html",
            form=form,
            template_form=template_form,
            surveys=services.organisation_surveys(trainer),
            kind_labels=KIND_LABELS,
            locale=lms_locale(),
            local_time=local_time,
        ),
        status,
    )


@bp.route("/surveys/manage/from-template", methods=["POST"])
@role_required(*STAFF_ROLES)
def from_template() -> Any:
    """Open the shipped survey of the three groups of urgent needs."""
    trainer = require_profile()
    form = TemplateForm()
    form.template_station_id.choices = _station_choices(trainer)
    if not form.validate_on_submit():
        return error_response(400, _("The form has expired. Reload the page and try again."))
    try:
        survey = services.create_from_template(
            trainer, form.template_station_id.data or None, bool(form.template_anonymous.data)
        )
    except SurveyError as error:
        return _refused(error)
    get_session().commit()
    flash(_("Survey %(title)s is open for answers.", title=survey.title_zh), "success")
    return redirect(url_for(".results_page", survey_id=survey.id))


@bp.route("/surveys/manage/<int:survey_id>")
@role_required(*STAFF_ROLES)
def results_page(survey_id: int) -> Any:
    """A survey's results: per station, the needs ranked, what teaches each need."""
    trainer = require_profile()
    try:
        survey = services.managed_survey(trainer, survey_id)
    except SurveyError as error:
        return _refused(error)
    responses = results.response_counts(survey)
    stations = {station.id: station for station in organisation_stations_of(trainer)}
    return render_template(
        "lms/surveys/results.html",
        survey=survey,
        responses=responses,
        station_ids=sorted(responses, key=lambda key: (key is None, key or 0)),
        stations=stations,
        counts=results.option_counts(survey),
        ratings=results.rating_summary(survey),
        texts=results.free_texts(survey),
        needs=results.top_needs(survey.organisation_id, survey_id=survey.id),
        group_labels=_group_labels(),
        kinds=QuestionKind,
        locale=lms_locale(),
        localised=localised,
    )


@bp.route("/surveys/manage/<int:survey_id>/status", methods=["POST"])
@role_required(*STAFF_ROLES)
def change_status(survey_id: int) -> Any:
    """Close a survey to answers, or open it again."""
    trainer = require_profile()
    wanted = request.form.get("status", "")
    try:
        services.managed_survey(trainer, survey_id)
        if wanted not in {status.value for status in SurveyStatus}:
            return error_response(400, _("Choose to open or to close the survey."))
        services.set_status(trainer, survey_id, SurveyStatus(wanted))
    except SurveyError as error:
        return _refused(error)
    get_session().commit()
    flash(_("The survey is closed.") if wanted == "closed" else _("The survey is open."), "success")
    return redirect(url_for(".results_page", survey_id=survey_id))


def _spreadsheet_safe(value: object) -> str:
    # A spreadsheet runs a cell that starts with these as a formula.
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.route("/surveys/manage/<int:survey_id>/results.csv")
@role_required(*STAFF_ROLES)
def results_csv(survey_id: int) -> Any:
    """The survey's counts per option and station as CSV: figures only, no names and
    no free text, so it can be shared outside the organisation's staff."""
    trainer = require_profile()
    try:
        survey = services.managed_survey(trainer, survey_id)
    except SurveyError as error:
        return _refused(error)
    locale = lms_locale()
    stations = {station.id: station for station in organisation_stations_of(trainer)}
    counts = results.option_counts(survey)
    ratings = results.rating_summary(survey)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Question"), _("Answer"), _("Station"), _("Riders")])
    for question in survey.questions:
        if question.kind == QuestionKind.RATING:
            for station_id, (mean, count) in sorted(
                ratings.get(question.id, {}).items(), key=lambda item: item[0] or 0
            ):
                where = stations[station_id].name(locale) if station_id in stations else ""
                cells = [question.text(locale), _("Mean rating %(mean)s", mean=mean), where, count]
                writer.writerow([_spreadsheet_safe(cell) for cell in cells])
            continue
        for option in question.options:
            by_station = counts.get((question.id, option["id"]), {})
            for station_id, count in sorted(by_station.items(), key=lambda item: item[0] or 0):
                where = stations[station_id].name(locale) if station_id in stations else ""
                label = (option.get("en") if locale == "en" else "") or option["zh"]
                cells = [question.text(locale), label, where, count]
                writer.writerow([_spreadsheet_safe(cell) for cell in cells])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="survey-{survey.id}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------ riders


def _rider() -> Any:
    profile = require_profile()
    if profile.role != Role.LEARNER:
        abort(403)
    return profile


@bp.route("/surveys")
def open_surveys() -> Any:
    """The open surveys of the organisations the rider joined."""
    rider = require_profile()
    return render_template(
        "lms/surveys/list.html",
        surveys=services.open_surveys_for(rider),
        may_answer=rider.role == Role.LEARNER,
        locale=lms_locale(),
    )


def _given_answers() -> dict[int, list[str]] | None:
    """The form's answers by question id; None when a field name is not ours."""
    given: dict[int, list[str]] = {}
    for name in request.form:
        if name in ("csrf_token", "station_id"):
            continue
        number = name.removeprefix("q")
        if not name.startswith("q") or not number.isdigit() or len(number) > 12:
            return None
        given[int(number)] = [value[:2000] for value in request.form.getlist(name)]
    return given


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
def answer(survey_id: int) -> Any:
    """A rider answers a survey once, on their phone."""
    rider = _rider()
    try:
        survey = services.visible_survey(rider, survey_id)
    except SurveyError as error:
        return _refused(error)
    if request.method == "POST":
        given = _given_answers()
        station = request.form.get("station_id", "")
        if given is None or (station and (not station.isdigit() or len(station) > 12)):
            return error_response(400, _("Answer the questions of this survey only."))
        try:
            services.submit_response(rider, survey_id, given, int(station) if station else None)
        except SurveyError as error:
            return _refused(error)
        get_session().commit()
        flash(_("Thank you: your answers are in."), "success")
        return redirect(url_for(".open_surveys"))
    answered = services.has_answered(survey.id, rider.id)
    return render_template(
        "lms/surveys/answer.html",
        survey=survey,
        answered=answered,
        stations=services.answering_stations(survey),
        kinds=QuestionKind,
        locale=lms_locale(),
    )

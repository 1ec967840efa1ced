"""Pages of a live case session: the trainer's big screen with its buttons, the
riders' phone page, the JSON state (what live.js polls when EventSource is not
there) and the Server-Sent Events stream."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from lms.accounts.access import STAFF_ROLES, require_profile, role_required
from lms.i18n import _, lms_locale
from lms.sessions import live, services
from lms.sessions.live_stream import live_events, view_of
from lms.sessions.services import StationError
from lms.sessions.views import _refused, _rider, bp
from lms.state import get_session
from lms.web import error_response, wants_json

#: Longest step number or version a form or header may carry.
NUMBER_DIGITS = 6


def _number(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text.isdigit() or len(text) > NUMBER_DIGITS:
        return None
    return int(text)


def _labels() -> dict[str, str]:
    # The words live.js writes into the page, in the page's language.
    zh = lms_locale().startswith("zh")
    return {
        "step": _("Step %(n)d of %(total)d"),
        "answers": _("Answers") + ("：" if zh else ": "),
        "answered": _("Your answer is in. Wait for the trainer."),
        "ended": _("The live case has ended. The answers are saved."),
        "offline": _("Connection lost. Reconnecting…"),
        "not_sent": _("Your answer was not sent. Check your connection and send it again."),
    }


@bp.route("/sessions/manage/<int:session_id>/live")
@role_required(*STAFF_ROLES)
def live_screen(session_id: int) -> Any:
    """The big screen: the current step large, the answers counted as they arrive.
    Before the case starts, the choice of the session's course's lessons."""
    trainer = require_profile()
    try:
        training = services.managed_session(trainer, session_id)
        case = live.live_case_of(training.id)
        state = live.viewer_state(training.id, trainer.id, True, lms_locale()) if case else None
    except StationError as error:
        return _refused(error)
    return render_template(
        "lms/sessions/live_screen.html",
        training=training,
        case=case,
        state=state,
        lessons=live.live_lessons(training) if case is None else [],
        labels=_labels(),
    )


@bp.route("/sessions/manage/<int:session_id>/live/start", methods=["POST"])
@role_required(*STAFF_ROLES)
def start_live(session_id: int) -> Any:
    """Start the live case of the chosen lesson."""
    trainer = require_profile()
    lesson_key = (request.form.get("lesson_key") or "").strip()[:64]
    try:
        live.start_live_case(trainer, session_id, lesson_key)
    except StationError as error:
        return _refused(error)
    get_session().commit()
    live.publish(session_id)
    return redirect(url_for(".live_screen", session_id=session_id))


@bp.route("/sessions/manage/<int:session_id>/live/move", methods=["POST"])
@role_required(*STAFF_ROLES)
def move_live(session_id: int) -> Any:
    """Reveal the outcome, go to the next step, or end the case."""
    trainer = require_profile()
    at = _number(request.form.get("at"))
    if at is None:
        try:
            services.managed_session(trainer, session_id)
        except StationError as error:
            return _refused(error)
        return error_response(400, _("Reload the screen and try again."))
    try:
        case = live.move_live_case(trainer, session_id, request.form.get("action", ""), at)
    except StationError as error:
        return _refused(error)
    get_session().commit()
    live.publish(session_id)
    if case.state == live.LiveState.CLOSED:
        flash(_("The live case has ended. The answers are saved."), "success")
    return redirect(url_for(".live_screen", session_id=session_id))


@bp.route("/sessions/<int:session_id>/live")
def live_phone(session_id: int) -> Any:
    """The rider's phone: the step on the screen, and its options to answer."""
    rider = _rider()
    try:
        training, _trainer = live.live_viewer(rider, session_id)
        state = live.viewer_state(training.id, rider.id, False, lms_locale())
    except StationError as error:
        return _refused(error)
    return render_template(
        "lms/sessions/live_phone.html", training=training, state=state, labels=_labels()
    )


@bp.route("/sessions/<int:session_id>/live/answer", methods=["POST"])
def live_answer(session_id: int) -> Any:
    """Record the rider's answer to the step on the screen (once)."""
    rider = _rider()
    step_no = _number(request.form.get("step"))
    chosen = [value[:64] for value in request.form.getlist("option")[:20]]
    try:
        if step_no is None:
            live.live_viewer(rider, session_id)
            return error_response(400, _("Reload the page and answer again."))
        recorded = live.answer_step(rider, session_id, step_no, chosen)
    except StationError as error:
        return _refused(error)
    get_session().commit()
    if recorded:
        live.publish(session_id)
    if wants_json():
        state = live.viewer_state(session_id, rider.id, False, lms_locale())
        return jsonify(recorded=recorded, state=state)
    flash(_("Your answer is in."), "success")
    return redirect(url_for(".live_phone", session_id=session_id))


@bp.route("/sessions/<int:session_id>/live/state.json")
def live_state(session_id: int) -> Any:
    """The viewer's state now: for phones without EventSource, and after a reconnect."""
    profile = require_profile()
    try:
        training, is_trainer = live.live_viewer(profile, session_id)
        state = live.viewer_state(training.id, profile.id, is_trainer, lms_locale())
    except StationError as error:
        return _refused(error)
    response = jsonify(state)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sessions/<int:session_id>/live/events")
def live_stream(session_id: int) -> Any:
    """The Server-Sent Events stream of the live case (bounded: the browser reconnects)."""
    profile = require_profile()
    try:
        training, is_trainer = live.live_viewer(profile, session_id)
        if live.live_case_of(training.id) is None:
            # Nothing to stream yet: the page polls the JSON state until it starts.
            return error_response(404, _("No live case is running in this session."))
    except StationError as error:
        return _refused(error)
    last_seen = _number(request.headers.get("Last-Event-ID")) or 0
    locale = lms_locale()
    view = view_of(training.id, profile.id, is_trainer, locale)
    get_session().remove()
    body = stream_with_context(live_events(training.id, view, is_trainer, locale, last_seen))
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    # nginx passes each event on at once instead of buffering the stream.
    response.headers["X-Accel-Buffering"] = "no"
    return response

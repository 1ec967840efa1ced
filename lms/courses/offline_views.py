"""The offline side of the lesson player: the service worker, the web app
manifest, the offline page and the sync API that queued answers reach.
Registered on the courses blueprint."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from lms.accounts.access import current_profile
from lms.accounts.models import Profile
from lms.assessments.grading import InvalidAnswer
from lms.courses.learner_order import decision_choice
from lms.courses.models import LessonVersion, StepEventKind
from lms.courses.progress import EventInput, ProgressError, record_event
from lms.courses.services import course_by_key, lesson_in
from lms.courses.views import _answers_from_form, _step_tokens, bp
from lms.db import utcnow
from lms.i18n import _
from lms.questions.tokens import AnswerTokens
from lms.request_guards import takes_json
from lms.state import get_session, get_state
from lms.web import csrf_exempt, error_response, static_url

SYNC_BATCH_MAX = 200
STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "lms"

# --- Offline: service worker and sync ----------------------------------------


#: The files every learning page links: the service worker keeps them from its install on.
SHELL_ASSETS = ("lms/style.css", "lms/queue.js", "lms/player.js", "lms/quiz.js", "lms/icon.svg")


def _worker_config() -> dict[str, Any]:
    # The exact URLs pages link (with their ?v= hash): a cached copy under
    # another URL would not match, and a first visit would go offline unstyled.
    precache = [static_url(name) for name in SHELL_ASSETS]
    offline = url_for("lms.courses.offline")
    config: dict[str, Any] = {
        "precache": [*precache, offline],
        "offline": offline,
        "queue": static_url("lms/queue.js"),
        "sync": url_for("lms.courses.sync"),
    }
    digest = hashlib.sha256((STATIC_DIR / "sw.js").read_bytes())
    digest.update(json.dumps(config, sort_keys=True).encode())
    config["version"] = digest.hexdigest()[:12]
    return config


@bp.route("/sw.js")
def service_worker() -> Response:
    # Served from the LMS root, not /lms-static/, so its scope covers every LMS page.
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    body = source.replace("__CONFIG__", json.dumps(_worker_config()), 1)
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = (get_state().url_prefix or "") + "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it at the root whatever the page links; the SVG serves.
    response = Response((STATIC_DIR / "icon.svg").read_bytes(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    # What "add to home screen" needs: a name, the start page, icons.
    home = url_for("lms.courses.home")
    body = {
        "name": _("Skills training"),
        "short_name": _("Skills training"),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": static_url("lms/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("lms/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("lms/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.route("/offline")
def offline() -> Any:
    return render_template("lms/courses/offline.html")


def _cross_site_problem() -> str | None:
    """Why a sync request may not come from our own page, or None.

    The sync endpoint cannot use CSRF tokens (they expire after an hour and a
    queue may wait longer), so it asks for what a cross-site form cannot send:
    a custom header with a JSON body (that needs a CORS preflight, which we
    never grant), plus same-origin Fetch Metadata and Origin when present.
    """
    if request.headers.get("X-LMS-Sync") != "1":
        return "missing X-LMS-Sync header"
    if request.mimetype != "application/json":
        return "not JSON"
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site != "same-origin":
        return "cross-site fetch"
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return "foreign origin"
    return None


def _parse_time(raw: Any) -> datetime | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        return datetime.fromtimestamp(raw / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _pairs(fields: dict[str, list[str]]) -> Any:
    for name, values in fields.items():
        for value in values:
            yield str(name), value


def _token_answers(lesson: LessonVersion, raw: dict[Any, Any], tokens: AnswerTokens) -> Any:
    """Answers sent as JSON (question id -> answer in the page's tokens), in ids."""
    checks = {question["id"]: question for question in lesson.checks}
    answers: dict[Any, Any] = {}
    for question_id, value in raw.items():
        question = checks.get(question_id)
        if question is None:
            # Left for record_event, which refuses a question the lesson lacks.
            answers[question_id] = value
            continue
        try:
            answer = tokens.answer(question, value)
        except InvalidAnswer as error:
            raise ProgressError(_("This answer does not fit the question.")) from error
        if answer is not None:
            answers[question_id] = answer
    return answers


def _sync_one(profile: Profile, raw: Any, received_at: datetime) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {"key": None, "status": "rejected", "error": _("Not an event.")}
    key = raw.get("key")
    try:
        kind = StepEventKind(raw.get("kind"))
    except ValueError:
        return {"key": key, "status": "rejected", "error": _("This step does not exist.")}
    course = course_by_key(str(raw.get("course", "")))
    lesson = (
        lesson_in(course.current_version, str(raw.get("lesson", "")))
        if (course is not None and course.current_version is not None)
        else None
    )
    if course is None or lesson is None:
        return {"key": key, "status": "rejected", "error": _("This page does not exist.")}
    answers = raw.get("answers") or {}
    fields = raw.get("fields")
    tokens = _step_tokens(profile, course, lesson, "check")
    try:
        if isinstance(fields, dict) and all(
            isinstance(values, list) and all(isinstance(v, str) for v in values)
            for values in fields.values()
        ):
            # The page's own form fields, parsed exactly as a plain form post is.
            answers = _answers_from_form(lesson, MultiDict(list(_pairs(fields))), tokens)
        elif isinstance(answers, dict) and answers:
            answers = _token_answers(lesson, answers, tokens)
    except ProgressError as error:
        return {"key": key, "status": "rejected", "error": str(error.message)}
    choice = raw.get("choice")
    if not isinstance(answers, dict) or (choice is not None and not isinstance(choice, str)):
        return {"key": key, "status": "rejected", "error": _("This answer could not be saved.")}
    choice = decision_choice(
        lesson.decision["options"], choice, _step_tokens(profile, course, lesson, "decision")
    )
    event = EventInput(
        key=key if isinstance(key, str) else "",
        step=str(raw.get("step", "")),
        kind=kind,
        choice=choice,
        answers=answers,
        at=_parse_time(raw.get("at")),
    )
    db = get_session()
    try:
        with db.begin_nested():
            # One clock for the batch: its events arrived together.
            result = record_event(profile, course, lesson, event, now=received_at)
    except ProgressError as error:
        return {"key": key, "status": "rejected", "error": str(error.message)}
    # A replay (the phone never heard the first answer) gets that answer again:
    # saved, and whether the lesson was complete once this event counted.
    return {"key": key, "status": "saved", "completed": result.completed}


@bp.route("/api/sync", methods=["POST"])
@csrf_exempt
@takes_json()
def sync() -> Any:
    problem = _cross_site_problem()
    if problem is not None:
        current_app.logger.info("sync refused: %s", problem)
        return error_response(403, _("This request did not come from the learning page."))
    profile = current_profile()
    if profile is None:
        return error_response(401, _("Log in again to save your answers."))
    payload = request.get_json(silent=True)
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or len(events) > SYNC_BATCH_MAX:
        return error_response(400, _("The request could not be understood. Go back and try again."))
    owner = payload.get("profile")
    if owner is not None and owner != str(profile.id):
        # A shared phone: these were queued by someone else, who sends them when back.
        return error_response(409, _("These answers belong to another learner on this phone."))
    received_at = utcnow()
    results = [_sync_one(profile, raw, received_at) for raw in events]
    get_session().commit()
    return jsonify(results=results)

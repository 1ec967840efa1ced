"""The learner's pages: home, a course, the lesson player and review and the
offline sync API (the service worker, manifest and offline page are in
offline_views.py)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict

from lms.accounts.access import current_profile, login_required, require_profile
from lms.accounts.models import Profile, Role
from lms.assessments.grading import (
    InvalidAnswer,
    UnfinishedAnswer,
    grade,
    learner_view,
    review_view,
)
from lms.courses import review as reviews
from lms.courses.client_keys import new_client_key
from lms.courses.home import render_home_panels
from lms.courses.learner_order import (
    check_views,
    decision_choice,
    decision_options,
    lesson_context,
)
from lms.courses.models import Area, Course, LessonVersion, StepEventKind
from lms.courses.progress import (
    STEPS,
    EventInput,
    ProgressError,
    course_progress,
    latest_answers,
    latest_decision,
    learner_lessons,
    lesson_progress,
    lesson_states,
    minutes_of,
    next_step,
    record_event,
)
from lms.courses.resume import resume_point
from lms.courses.services import course_by_key, lesson_in, published_courses
from lms.db import utcnow
from lms.i18n import _
from lms.questions.tokens import AnswerTokens
from lms.request_guards import stored_id, takes_json
from lms.state import get_session
from lms.web import answer_tokens, csrf_exempt, error_response, safe_next

bp = Blueprint("courses", __name__)

#: A learning visit: "I have stopped" holds while the learner keeps going.
VISIT_SECONDS = 30 * 60
VISIT_KEY = "lms_stopped_at"


# --- Home and course ---------------------------------------------------------


@bp.route("/")
def home() -> Any:
    profile = current_profile()
    if profile is not None and profile.role is Role.EMPLOYER:
        # An employer's account has no courses to take: its home is its dashboard.
        return redirect(url_for("lms.employers.dashboard"))
    courses = published_courses()
    by_area = {area: [c for c in courses if c.area == area] for area in Area}
    context: dict[str, Any] = {"by_area": by_area, "progress": {}}
    if profile is not None:
        lessons = learner_lessons(profile.id)
        context["progress"] = {
            course.key: course_progress(profile.id, course.current_version, lessons)
            for course in courses
        }
        context["resume"] = resume_point(profile.id, lessons)
        context["queue"] = reviews.review_queue(profile.id)
        context["panels"] = render_home_panels(profile)
        context["seconds"] = lessons.total_seconds
    return render_template("lms/courses/home.html", **context)


def _published(key: str) -> Course:
    found = course_by_key(key)
    if found is None or found.current_version is None:
        abort(404)
    return found


@bp.route("/courses/<key>")
def course(key: str) -> Any:
    found = _published(key)
    version = found.current_version
    profile = current_profile()
    states = lesson_states(profile.id, version) if profile else {}
    summary = course_progress(profile.id if profile else None, version, states=states)
    cache_urls = [url_for("lms.courses.home")]
    upcoming = next((ln for ln in version.lessons if not _done(states.get(ln.key))), None)
    if profile is not None and upcoming is not None:
        # The lesson this learner opens next, so it opens without a network.
        cache_urls.append(url_for("lms.courses.lesson", key=found.key, lesson_key=upcoming.key))
        cache_urls += [_step_url(found, upcoming, s) for s in STEPS]
    return render_template(
        "lms/courses/course.html",
        course=found,
        version=version,
        states=states,
        summary=summary,
        minutes_of=minutes_of,
        cache_urls=cache_urls,
        steps=STEPS,
    )


def _done(state: Any) -> bool:
    return bool(state and state.done)


# --- The lesson player -------------------------------------------------------


def _lesson_or_404(key: str, lesson_key: str) -> tuple[Course, LessonVersion]:
    found = _published(key)
    lesson = lesson_in(found.current_version, lesson_key)
    if lesson is None:
        abort(404)
    return found, lesson


def _visit_confirmed() -> bool:
    stopped_at = session.get(VISIT_KEY)
    now = int(time.time())
    if not isinstance(stopped_at, int) or now - stopped_at > VISIT_SECONDS:
        return False
    session[VISIT_KEY] = now
    return True


def _ask_to_stop() -> Any:
    page = render_template("lms/courses/stopped.html", next_url=request.full_path)
    # The service worker must not keep this screen in place of the lesson.
    return page, 200, {"X-LMS-Cache": "no"}


def _step_url(course: Course, lesson: LessonVersion, step: str) -> str:
    # A lesson page links every step of two lessons: building the lesson's
    # address once and adding the query costs a fraction of a url_for each.
    memo = g.setdefault("_lms_lesson_urls", {})
    base = memo.get((course.key, lesson.key))
    if base is None:
        base = memo[(course.key, lesson.key)] = url_for(
            "lms.courses.lesson", key=course.key, lesson_key=lesson.key
        )
    return f"{base}?{urlencode({'step': step})}"


def _following_lesson(course: Course, lesson: LessonVersion) -> LessonVersion | None:
    lessons = course.current_version.lessons
    index = next(i for i, candidate in enumerate(lessons) if candidate.key == lesson.key)
    return lessons[index + 1] if index + 1 < len(lessons) else None


def _render_lesson(
    profile: Profile,
    course: Course,
    lesson: LessonVersion,
    step: str,
    error: str | None = None,
    status: int = 200,
) -> Any:
    index = STEPS.index(step)
    options = {option["id"]: option for option in lesson.decision["options"]}
    chosen_id = latest_decision(profile.id, lesson.key) if step == "decision" else None
    answers = latest_answers(profile.id, lesson.key) if step == "check" else {}
    reviewed = []
    if (
        step == "check"
        and not request.args.get("again")
        and all(question["id"] in answers for question in lesson.checks)
    ):
        for question in lesson.checks:
            raw = answers[question["id"]].answer["value"]
            reviewed.append(review_view(question, raw, grade(question, raw), "explanations"))
    following = _following_lesson(course, lesson)
    after = next_step(step)
    cache_urls = [_step_url(course, lesson, s) for s in STEPS]
    if following is not None:
        cache_urls += [_step_url(course, following, s) for s in STEPS]
    cache_urls.append(url_for("lms.courses.course", key=course.key))
    # The progress record and the active seconds in one query.
    mine = learner_lessons(profile.id, [lesson.key])
    progress = mine.records.get(lesson.key)
    return (
        render_template(
            "lms/courses/lesson.html",
            course=course,
            lesson=lesson,
            step=step,
            step_number=index + 1,
            steps=STEPS,
            next_step=after,
            next_url=_step_url(course, lesson, after) if after else None,
            chosen=options.get(chosen_id) if chosen_id else None,
            questions=check_views(
                lesson.checks,
                profile.id,
                lesson.key,
                _step_tokens(profile, course, lesson, "check"),
            ),
            decision_options=decision_options(
                lesson.decision["options"],
                profile.id,
                lesson.key,
                _step_tokens(profile, course, lesson, "decision"),
            ),
            reviewed=reviewed,
            next_lesson=following,
            next_lesson_url=_step_url(course, following, STEPS[0]) if following else None,
            event_key=new_client_key(),
            error=error,
            cache_urls=cache_urls,
            done=bool(progress and progress.completed_at),
            lesson_minutes=minutes_of(mine.seconds.get(lesson.key, 0)),
        ),
        status,
    )


@bp.route("/courses/<key>/lessons/<lesson_key>")
@login_required
def lesson(key: str, lesson_key: str) -> Any:
    profile = require_profile()
    found, lesson_version = _lesson_or_404(key, lesson_key)
    step = request.args.get("step")
    if step is None:
        progress = lesson_progress(profile.id, lesson_version.key)
        step = progress.step if progress and not progress.completed_at else STEPS[0]
        return redirect(_step_url(found, lesson_version, step))
    if step not in STEPS:
        abort(404)
    if not _visit_confirmed():
        return _ask_to_stop()
    return _render_lesson(profile, found, lesson_version, step)


def _step_tokens(
    profile: Profile, course: Course, lesson: LessonVersion, step: str
) -> AnswerTokens:
    """The tokens this learner's page of a lesson step names its options with."""
    return answer_tokens(profile.id, lesson_context(course.key, lesson.key, step))


def _answers_from_form(
    lesson: LessonVersion, form: MultiDict[str, str], tokens: AnswerTokens
) -> dict[str, Any]:
    """The answers of a lesson's checks, in ids; a field no page could send raises
    ``ProgressError``."""
    answers: dict[str, Any] = {}
    for question in lesson.checks:
        raw = _answer_from_form(question, f"q-{question['id']}", form, tokens)
        if raw not in (None, "", [], {}) and not (
            isinstance(raw, dict) and all(value in (None, "", []) for value in raw.values())
        ):
            answers[question["id"]] = raw
    return answers


_STEP_KIND = {
    "situation": StepEventKind.DONE,
    "decision": StepEventKind.DECISION,
    "outcome": StepEventKind.DONE,
    "rule": StepEventKind.DONE,
    "check": StepEventKind.ANSWER,
}


@bp.route("/courses/<key>/lessons/<lesson_key>", methods=["POST"])
@login_required
def save_step(key: str, lesson_key: str) -> Any:
    profile = require_profile()
    found, lesson_version = _lesson_or_404(key, lesson_key)
    step = request.form.get("step", "")
    if step not in STEPS:
        return error_response(400, _("This step does not exist."))
    try:
        answers = (
            _answers_from_form(
                lesson_version, request.form, _step_tokens(profile, found, lesson_version, step)
            )
            if step == "check"
            else {}
        )
    except ProgressError as error:
        return error_response(400, str(error.message))
    choice = decision_choice(
        lesson_version.decision["options"],
        request.form.get("choice"),
        _step_tokens(profile, found, lesson_version, "decision"),
    )
    event = EventInput(
        key=request.form.get("event_key", ""),
        step=step,
        kind=_STEP_KIND[step],
        choice=choice,
        answers=answers,
    )
    try:
        record_event(profile, found, lesson_version, event)
    except ProgressError as error:
        get_session().rollback()
        if step == "check" and event.answers is not None and _all_known(lesson_version, event):
            return _render_lesson(profile, found, lesson_version, step, str(error.message), 400)
        return error_response(400, str(error.message))
    get_session().commit()
    session[VISIT_KEY] = int(time.time())
    if step in ("decision", "check"):
        return redirect(_step_url(found, lesson_version, step), 303)
    return redirect(_step_url(found, lesson_version, next_step(step) or step), 303)


def _all_known(lesson: LessonVersion, event: EventInput) -> bool:
    # A missing answer is the learner's slip (show the form again); an unknown
    # one is tampering (a plain error page).
    known = {question["id"] for question in lesson.checks}
    return set(event.answers) <= known and len(event.answers) < len(known)


@bp.route("/stopped", methods=["POST"])
@login_required
def confirm_stopped() -> Any:
    session[VISIT_KEY] = int(time.time())
    return redirect(safe_next(request.form.get("next")), 303)


# --- Spaced review -----------------------------------------------------------


def _answer_from_form(
    spec: dict[str, Any], name: str, form: MultiDict[str, str], tokens: AnswerTokens
) -> Any:
    """A question's answer, decoded by its type from the learner's tokens; a half-done
    answer counts as none."""
    try:
        return tokens.from_form(spec, form.getlist, name)
    except UnfinishedAnswer:
        return None
    except InvalidAnswer as error:
        raise ProgressError(_("This answer does not fit the question.")) from error


def _review_tokens(profile: Profile, item_id: int) -> AnswerTokens:
    return answer_tokens(profile.id, f"review:{item_id}")


@bp.route("/review", methods=["GET", "POST"])
@login_required
def review() -> Any:
    profile = require_profile()
    if request.method == "POST":
        item_id = stored_id(request.form.get("item", type=int))
        item = reviews.review_item(profile.id, item_id) if item_id else None
        if item is None:
            return error_response(404, _("This question is not in your review list."))
        try:
            raw = _answer_from_form(
                item.spec, "answer", request.form, _review_tokens(profile, item.id)
            )
        except ProgressError as error:
            return error_response(400, str(error.message))
        try:
            reviews.answer_review(profile, item, raw, request.form.get("event_key", ""))
        except reviews.ReviewError as error:
            get_session().rollback()
            return error_response(400, str(error.message))
        get_session().commit()
        return redirect(url_for("lms.courses.review", answered=item.id), 303)
    if not _visit_confirmed():
        return _ask_to_stop()
    answered = stored_id(request.args.get("answered", type=int))
    result = None
    if answered:
        item = reviews.review_item(profile.id, answered)
        if item is None:
            abort(404)
        last = reviews.last_review_answer(profile.id, item.id)
        if last is not None:
            raw = last.answer["value"] if last.answer else None
            result = review_view(item.spec, raw, grade(item.spec, raw), "explanations")
    item = reviews.next_review_item(profile.id)
    return render_template(
        "lms/courses/review.html",
        result=result,
        item=item,
        question=(
            learner_view(_review_tokens(profile, item.id).question(item.spec)) if item else None
        ),
        queue=reviews.review_queue(profile.id),
        event_key=new_client_key(),
    )


# --- Offline sync: the queued answers of the lesson player ------------------

#: The most events one sync request may carry.
SYNC_BATCH_MAX = 200


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

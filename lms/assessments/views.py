"""Pages of the assessments domain: the quiz, an attempt, its result, item analysis."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.accounts.access import STAFF_ROLES, login_required, require_profile, role_required
from lms.assessments import grading
from lms.assessments.forms import (
    UNFINISHED,
    answer_from_fields,
    answer_from_json,
    answers_from_form,
    attempt_context,
)
from lms.assessments.item_analysis import MIN_RELIABLE_ANSWERS, item_stats_csv, too_few_answers
from lms.assessments.models import Attempt
from lms.assessments.result_panels import render_result_panels
from lms.assessments.services import (
    AttemptError,
    LateSave,
    item_analysis_for,
    quiz_status,
    review,
    save_answer,
    save_answers,
    start_attempt,
    submit_attempt,
    time_left,
)
from lms.assessments.topics import topic_name
from lms.courses.models import Course
from lms.courses.services import course_by_key, staff_may_read_course
from lms.db import utcnow
from lms.i18n import _, localised
from lms.questions.tokens import AnswerTokens
from lms.request_guards import takes_json
from lms.state import get_session
from lms.web import answer_tokens, current_locale, error_response

bp = Blueprint("assessments", __name__)

ITEMS_PAGE_SIZE = 20


def _course_or_404(course_key: str) -> Course:
    course = course_by_key(course_key)
    if course is None or course.current_version is None:
        abort(404)
    return course


def _attempt_tokens(attempt: Attempt) -> AnswerTokens:
    """The tokens the attempt's page names every option, item and part with."""
    return answer_tokens(attempt.profile_id, attempt_context(attempt))


def _own_attempt(attempt_id: int) -> Attempt | None:
    """The attempt if it belongs to the current learner; another's is as good as missing."""
    profile = require_profile()
    attempt = get_session().get(Attempt, attempt_id)
    if attempt is None or attempt.profile_id != profile.id:
        return None
    return attempt


def _refused(error: AttemptError) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


#: The largest autosave sequence number (the column is a 32-bit integer).
SEQ_MAX = 2**31 - 1


def _json_error(status: int, message: Any) -> Any:
    get_session().rollback()
    return jsonify(error=str(message), status=status), status


@bp.route("/courses/<course_key>/quiz")
@login_required
def quiz(course_key: str) -> Any:
    course = _course_or_404(course_key)
    version = course.current_version
    status = quiz_status(require_profile(), course)
    critical = sum(1 for q in version.quiz_questions if q.question.spec.get("critical"))
    return render_template(
        "lms/assessments/quiz.html",
        course=course,
        version=version,
        status=status,
        policy=status.policy,
        bank_size=len(version.quiz_questions),
        critical_count=critical,
    )


@bp.post("/courses/<course_key>/quiz/start")
@login_required
def start(course_key: str) -> Any:
    course = _course_or_404(course_key)
    try:
        attempt = start_attempt(require_profile(), course)
    except AttemptError as error:
        # A refusal writes nothing except, possibly, the grading of an attempt
        # whose time ran out; keep that, it happened whatever the refusal.
        get_session().commit()
        return error_response(error.status, str(error.message))
    get_session().commit()
    return redirect(url_for(".attempt", attempt_id=attempt.id), 303)


@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> Any:
    found = _own_attempt(attempt_id)
    if found is None:
        abort(404)
    if found.is_graded:
        return redirect(url_for(".result", attempt_id=found.id))
    now = utcnow()
    tokens = _attempt_tokens(found)
    questions = []
    for question in found.questions:
        view = grading.learner_view(
            tokens.question(question.spec), tokens.order(question.spec, question.option_order)
        )
        # The saved answer in the page's own tokens, to fill the inputs again.
        view["given"] = tokens.shown_answer(question.spec, question.answer)
        questions.append((question, view))
    left = time_left(found, now)
    return render_template(
        "lms/assessments/attempt.html",
        attempt=found,
        questions=questions,
        title=found.course_version.quiz_title,
        time_left_minutes=None if left is None else -(-int(left.total_seconds()) // 60),
        accepts_answers=found.accepts_answers(now),
    )


@bp.post("/attempts/<int:attempt_id>/save")
@login_required
def save(attempt_id: int) -> Any:
    found = _own_attempt(attempt_id)
    if found is None:
        abort(404)
    if found.is_graded:
        return error_response(409, _("This attempt has already been submitted."))
    now = utcnow()
    submitting = "submit" in request.form
    open_for_answers = found.accepts_answers(now)
    try:
        posted = answers_from_form(found, request.form, _attempt_tokens(found))
        if open_for_answers:
            save_answers(found, posted.answers, now=now)
        elif not submitting:
            raise AttemptError(_("Time is up: answers can no longer be changed."), 409)
        # After the deadline nothing more can be saved, so submit what was.
        if submitting and (not posted.unfinished or not open_for_answers):
            submit_attempt(found, now=now)
            get_session().commit()
            return redirect(url_for(".result", attempt_id=found.id), 303)
    except AttemptError as error:
        return _refused(error)
    get_session().commit()
    if posted.unfinished:
        flash(_("Give every step its own number, then save again."), "error")
        anchor = f"q{posted.unfinished[0]}"
    else:
        flash(_("Your answers are saved."), "success")
        saved = request.form.get("save", "")
        anchor = f"q{saved}" if saved.isdigit() else None
    return redirect(url_for(".attempt", attempt_id=found.id, _anchor=anchor), 303)


@bp.post("/attempts/<int:attempt_id>/answers/<int:position>")
@login_required
@takes_json(max_bytes=64 * 1024)
def autosave(attempt_id: int, position: int) -> Any:
    found = _own_attempt(attempt_id)
    if found is None:
        return _json_error(404, _("This page does not exist."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or ("answer" not in body and "fields" not in body):
        return _json_error(400, _("The request could not be understood."))
    seq = body.get("seq")
    if seq is not None and (
        isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq <= SEQ_MAX
    ):
        return _json_error(400, _("The request could not be understood."))
    try:
        if "fields" in body:
            # The question's own form fields, decoded by its type as a plain post is.
            raw = answer_from_fields(found, position, body["fields"], _attempt_tokens(found))
            if raw is UNFINISHED:
                return jsonify(saved=False, unfinished=True, position=position)
        else:
            raw = answer_from_json(found, position, body["answer"], _attempt_tokens(found))
        question = save_answer(found, position, raw, seq=seq)
    except LateSave as late:
        # A later save got there first: this one changed nothing.
        get_session().rollback()
        return jsonify(saved=False, stale=True, position=position, seq=late.stored_seq)
    except AttemptError as error:
        return _json_error(error.status, error.message)
    get_session().commit()
    answered_at = question.answered_at.isoformat() if question.answered_at else None
    reply = {"saved": True, "position": question.position, "answered_at": answered_at}
    if seq is not None:
        reply["seq"] = seq
    return jsonify(reply)


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int) -> Any:
    found = _own_attempt(attempt_id)
    if found is None:
        abort(404)
    try:
        submit_attempt(found)
    except AttemptError as error:
        return _refused(error)
    get_session().commit()
    return redirect(url_for(".result", attempt_id=found.id), 303)


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int) -> Any:
    found = _own_attempt(attempt_id)
    if found is None:
        abort(404)
    if not found.is_graded:
        return redirect(url_for(".attempt", attempt_id=found.id))
    prompts = {question.question_key: question.spec["prompt"] for question in found.questions}
    course = course_by_key(found.course_key)
    # After a fail: when the next attempt opens and how many remain.
    status = (
        quiz_status(require_profile(), course)
        if not found.passed and course is not None and course.current_version is not None
        else None
    )
    return render_template(
        "lms/assessments/result.html",
        attempt=found,
        title=found.course_version.quiz_title,
        course_key=found.course_key,
        reviews=review(found),
        critical_prompts=[prompts[key] for key in found.critical_failed if key in prompts],
        topics=sorted(found.by_topic.items()),
        topic_name=topic_name,
        status=status,
        panels=render_result_panels(require_profile(), found),
    )


def _staff_report(course_key: str) -> Any:
    course = _course_or_404(course_key)
    staff = require_profile()
    if not staff_may_read_course(staff, course) or staff.organisation_id is None:
        # Another organisation's own course does not exist for this trainer.
        abort(404)
    return course, item_analysis_for(course.key, staff.organisation_id)


@bp.route("/staff/courses/<course_key>/items")
@role_required(*STAFF_ROLES)
def items(course_key: str) -> Any:
    course, report = _staff_report(course_key)
    pages = max(1, -(-len(report.stats) // ITEMS_PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    start_at = (page - 1) * ITEMS_PAGE_SIZE
    return render_template(
        "lms/assessments/items.html",
        course=course,
        version=course.current_version,
        report=report,
        stats=report.stats[start_at : start_at + ITEMS_PAGE_SIZE],
        page=page,
        pages=pages,
        min_answers=MIN_RELIABLE_ANSWERS,
        too_few_answers=too_few_answers,
    )


@bp.route("/staff/courses/<course_key>/items.csv")
@role_required(*STAFF_ROLES)
def items_csv(course_key: str) -> Any:
    course, report = _staff_report(course_key)
    locale = current_locale()
    titles = {key: localised(prompt, locale) for key, prompt in report.prompts.items()}
    # The byte order mark makes Excel and WPS read the Chinese as UTF-8.
    body = "\ufeff" + item_stats_csv(report.stats, titles)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{course.key}-items.csv"'},
    )

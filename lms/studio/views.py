"""Pages of the trainer studio: author, preview, publish, export, import and report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from jinja2 import TemplateError
from werkzeug.routing import BuildError

from lms.accounts.access import STAFF_ROLES, require_profile, role_required
from lms.accounts.models import Profile
from lms.content.schema import (
    AREA_LABELS,
    AREAS,
    LANGUAGE_LABELS,
    LANGUAGES,
    LEVEL_LABELS,
    OCCUPATION_LABELS,
    OCCUPATIONS,
    REVIEW_MODES,
)
from lms.i18n import _
from lms.questions import registry
from lms.state import get_session
from lms.studio import drafts, publishing, reports
from lms.studio.bank_import import FORMATS, answer_key_view, parse_bank
from lms.studio.errors import StudioError
from lms.studio.export import course_zip, draft_files
from lms.studio.forms import (
    course_from_form,
    lesson_from_form,
    question_from_form,
    revision_from_form,
    unflatten,
)
from lms.studio.models import Draft
from lms.studio.preview import (
    PREVIEW_STEPS,
    player_context,
    preview_lesson,
    review_checks,
)
from lms.studio.publishing import field_problems, problems_by_page
from lms.studio.scope import (
    course_draft,
    draft_of,
    is_own_course,
    published_from_draft,
    studio_courses,
    visible_course,
)
from lms.web import current_locale

bp = Blueprint("studio", __name__, url_prefix="/studio")

MAX_IMPORT_BYTES = 1_000_000


def staff_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Trainers and admins only; a refused studio action becomes its message and status."""

    @role_required(*STAFF_ROLES)
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(require_profile(), *args, **kwargs)
        except StudioError as error:
            get_session().rollback()
            return render_template(
                "lms/studio/refused.html",
                status=error.status,
                message=error.message,
                back=_back_link(),
            ), error.status

    return wrapper


def _back_link() -> str:
    """Where "back" goes after a refused action: the studio page it came from."""
    referrer = request.referrer or ""
    studio_root = url_for("lms.studio.index")
    host = request.host_url.rstrip("/")
    path = referrer[len(host) :] if referrer.startswith(host) else ""
    return path if path.startswith(studio_root) else studio_root


def _common() -> dict[str, Any]:
    return {
        "languages": LANGUAGES,
        "areas": AREAS,
        "occupations": OCCUPATIONS,
        "review_modes": REVIEW_MODES,
        "question_types": registry.type_names(),
        "check_types": registry.part_type_names(),
        "part_types": registry.part_type_names(),
        "type_labels": {name: _(qtype.label) for name, qtype in registry.QUESTION_TYPES.items()},
        "area_labels": {key: _(label) for key, label in AREA_LABELS.items()},
        "occupation_labels": {key: _(label) for key, label in OCCUPATION_LABELS.items()},
        "language_labels": {key: _(label) for key, label in LANGUAGE_LABELS.items()},
        "level_labels": {key: _(label) for key, label in LEVEL_LABELS.items()},
        "type_fragments": {
            name: qtype.fragment_name for name, qtype in registry.QUESTION_TYPES.items()
        },
    }


# ------------------------------------------------------------------ courses


@bp.route("")
@staff_view
def index(profile: Profile) -> Any:
    rows = studio_courses(profile)
    return render_template("lms/studio/index.html", rows=rows, **_common())


@bp.post("/courses")
@staff_view
def create(profile: Profile) -> Any:
    raw = unflatten(request.form)
    title = {lang: str((raw.get("title") or {}).get(lang, "")).strip() for lang in LANGUAGES}
    draft = drafts.create_draft(
        profile, str(request.form.get("key", "")), title, str(request.form.get("area", ""))
    )
    get_session().commit()
    flash(_("Draft created. Add lessons and questions, then publish."), "success")
    return redirect(url_for("lms.studio.draft", draft_id=draft.id), 303)


@bp.route("/courses/<key>")
@staff_view
def course(profile: Profile, key: str) -> Any:
    found = visible_course(profile, key)
    if found is None:
        abort(404)
    return render_template(
        "lms/studio/course.html",
        course=found,
        versions=drafts.course_versions(found),
        draft=course_draft(profile, key),
        editable=is_own_course(profile, found),
        **_common(),
    )


@bp.post("/courses/<key>/edit")
@staff_view
def edit(profile: Profile, key: str) -> Any:
    draft = drafts.edit_course(profile, key)
    get_session().commit()
    return redirect(url_for("lms.studio.draft", draft_id=draft.id), 303)


@bp.post("/courses/<key>/copy")
@staff_view
def copy(profile: Profile, key: str) -> Any:
    draft = drafts.copy_course(profile, key, str(request.form.get("new_key", "")))
    get_session().commit()
    flash(_("Copied into a new draft with its own ids."), "success")
    return redirect(url_for("lms.studio.draft", draft_id=draft.id), 303)


@bp.post("/courses/<key>/archive")
@staff_view
def archive(profile: Profile, key: str) -> Any:
    publishing.archive_course(profile, key)
    get_session().commit()
    flash(_("The course is archived: learners no longer see it in the catalogue."), "success")
    return redirect(url_for("lms.studio.course", key=key), 303)


@bp.post("/courses/<key>/restore")
@staff_view
def restore(profile: Profile, key: str) -> Any:
    publishing.restore_course(profile, key)
    get_session().commit()
    flash(_("The course is published again."), "success")
    return redirect(url_for("lms.studio.course", key=key), 303)


def _zip_response(files: Any, name: str) -> Response:
    response = Response(course_zip(files, name), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


@bp.route("/courses/<key>/export.zip")
@staff_view
def export_course(profile: Profile, key: str) -> Any:
    return _zip_response(publishing.export_course(key, profile), key)


# ------------------------------------------------------------------- drafts


@bp.route("/drafts/<int:draft_id>")
@staff_view
def draft(profile: Profile, draft_id: int) -> Any:
    if get_session().get(Draft, draft_id) is None:
        # A draft is gone once published: its old address leads to the course.
        key = published_from_draft(profile, draft_id)
        if key is not None:
            return redirect(url_for("lms.studio.course", key=key), 301)
    found = draft_of(profile, draft_id)
    pages = problems_by_page(found.problems or [])
    return render_template(
        "lms/studio/draft.html",
        draft=found,
        data=found.data,
        course=found.data["course"],
        errors=field_problems(found, "course."),
        pages=pages,
        **_common(),
    )


@bp.post("/drafts/<int:draft_id>/course")
@staff_view
def save_course(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    drafts.update_course(
        found, revision_from_form(request.form), profile, course_from_form(request.form)
    )
    get_session().commit()
    flash(_("Saved."), "success")
    return redirect(url_for("lms.studio.draft", draft_id=draft_id), 303)


@bp.post("/drafts/<int:draft_id>/lessons")
@staff_view
def add_lesson(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    index = drafts.add_lesson(found, revision_from_form(request.form), profile)
    get_session().commit()
    return redirect(url_for("lms.studio.lesson", draft_id=draft_id, index=index), 303)


@bp.route("/drafts/<int:draft_id>/lessons/<int:index>", methods=["GET", "POST"])
@staff_view
def lesson(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    if request.method == "POST":
        drafts.update_lesson(
            found, revision_from_form(request.form), profile, index, lesson_from_form(request.form)
        )
        get_session().commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lms.studio.lesson", draft_id=draft_id, index=index), 303)
    lessons = found.data["lessons"]
    if not 0 <= index < len(lessons):
        abort(404)
    return render_template(
        "lms/studio/lesson.html",
        draft=found,
        index=index,
        lesson=lessons[index],
        errors=field_problems(found, f"lessons.{index}."),
        **_common(),
    )


@bp.post("/drafts/<int:draft_id>/lessons/<int:index>/move")
@staff_view
def move_lesson(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    offset = {"up": -1, "down": 1}.get(str(request.form.get("direction")))
    if offset is None:
        abort(400)
    drafts.move_lesson(found, revision_from_form(request.form), profile, index, offset)
    get_session().commit()
    return redirect(url_for("lms.studio.draft", draft_id=draft_id) + "#lessons", 303)


@bp.post("/drafts/<int:draft_id>/lessons/<int:index>/delete")
@staff_view
def delete_lesson(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    drafts.delete_lesson(found, revision_from_form(request.form), profile, index)
    get_session().commit()
    flash(_("Lesson deleted."), "success")
    return redirect(url_for("lms.studio.draft", draft_id=draft_id) + "#lessons", 303)


@bp.route("/drafts/<int:draft_id>/lessons/<int:index>/preview")
@staff_view
def preview(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    course, lesson_ = preview_lesson(found, index)
    return render_template(
        "lms/studio/preview.html", draft=found, index=index, course=course, lesson=lesson_
    )


@bp.route("/drafts/<int:draft_id>/lessons/<int:index>/frame", methods=["GET", "POST"])
@staff_view
def preview_frame(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    course, lesson_ = preview_lesson(found, index)
    frame = url_for("lms.studio.preview_frame", draft_id=draft_id, index=index)
    step = str(request.values.get("step", "situation"))
    if step not in PREVIEW_STEPS:
        abort(404)
    reviewed: list[dict[str, Any]] = []
    if request.method == "POST":
        # The player's forms post here in a preview: nothing is recorded.
        if step == "decision":
            choice = str(request.form.get("choice", ""))
            target = url_for(
                "lms.studio.preview_frame", draft_id=draft_id, index=index, step=step, choice=choice
            )
            return redirect(target, 303)
        if step != "check":
            following = PREVIEW_STEPS[min(PREVIEW_STEPS.index(step) + 1, len(PREVIEW_STEPS) - 1)]
            return redirect(f"{frame}?step={following}", 303)
        reviewed = review_checks(lesson_.checks, request.form)
    following_frame = url_for(
        "lms.studio.preview_frame", draft_id=draft_id, index=index + 1, step="situation"
    )
    choice = request.args.get("choice")
    context = player_context(course, lesson_, step, choice, frame, reviewed, following_frame)
    try:
        return render_template("lms/courses/lesson.html", **context)
    except (TemplateError, BuildError):
        # The player may need learner state a draft does not have; show the
        # same content in the studio's own phone-sized rendering instead.
        return render_template("lms/studio/preview_fallback.html", **context)


@bp.route("/drafts/<int:draft_id>/questions")
@staff_view
def questions(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    return render_template(
        "lms/studio/questions.html",
        draft=found,
        questions=found.data["questions"],
        errors=field_problems(found, ""),
        pages=problems_by_page(found.problems or []),
        **_common(),
    )


@bp.route("/drafts/<int:draft_id>/questions/new", methods=["GET", "POST"])
@staff_view
def add_question(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    if request.method == "POST":
        index = drafts.add_question(
            found,
            revision_from_form(request.form),
            profile,
            question_from_form(unflatten(request.form), "bank"),
        )
        get_session().commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lms.studio.question", draft_id=draft_id, index=index), 303)
    # A blank form only: the question is stored when the trainer saves it.
    blank = drafts.new_question(found, str(request.args.get("type") or "single")[:40])
    return render_template(
        "lms/studio/question.html",
        draft=found,
        index=None,
        question=blank,
        errors={},
        **_common(),
    )


@bp.route("/drafts/<int:draft_id>/questions/<int:index>", methods=["GET", "POST"])
@staff_view
def question(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    if request.method == "POST":
        drafts.update_question(
            found,
            revision_from_form(request.form),
            profile,
            index,
            question_from_form(unflatten(request.form), "bank"),
        )
        get_session().commit()
        flash(_("Saved."), "success")
        return redirect(url_for("lms.studio.question", draft_id=draft_id, index=index), 303)
    bank = found.data["questions"]
    if not 0 <= index < len(bank):
        abort(404)
    return render_template(
        "lms/studio/question.html",
        draft=found,
        index=index,
        question=bank[index],
        errors=field_problems(found, f"questions.{index}."),
        **_common(),
    )


@bp.post("/drafts/<int:draft_id>/questions/<int:index>/delete")
@staff_view
def delete_question(profile: Profile, draft_id: int, index: int) -> Any:
    found = draft_of(profile, draft_id)
    drafts.delete_question(found, revision_from_form(request.form), profile, index)
    get_session().commit()
    flash(_("Question deleted."), "success")
    return redirect(url_for("lms.studio.questions", draft_id=draft_id), 303)


def _import_source() -> str:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.stream.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            raise StudioError(_("The file is too large."), 413)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StudioError(
                _("The file is not UTF-8 text: save it as UTF-8 and upload it again.")
            ) from None
    return str(request.form.get("text", ""))[:MAX_IMPORT_BYTES]


@bp.route("/drafts/<int:draft_id>/import", methods=["GET", "POST"])
@staff_view
def import_bank(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    fmt = str(request.values.get("format", "gift"))
    language = str(request.values.get("language", "zh_CN"))
    if fmt not in FORMATS or language not in LANGUAGES:
        abort(400)
    source = _import_source() if request.method == "POST" else ""
    result = parse_bank(fmt, source, language) if source.strip() else None
    if request.method == "POST" and request.form.get("action") == "import" and result:
        count = drafts.import_questions(
            found,
            revision_from_form(request.form),
            profile,
            [item.question for item in result.questions],
        )
        get_session().commit()
        flash(
            _(
                "%(count)d questions imported. Write the missing translations before publishing.",
                count=count,
            ),
            "success",
        )
        return redirect(url_for("lms.studio.questions", draft_id=draft_id), 303)
    return render_template(
        "lms/studio/import.html",
        draft=found,
        fmt=fmt,
        language=language,
        source=source,
        result=result,
        keys=[answer_key_view(item.question) for item in result.questions] if result else [],
        formats=FORMATS,
        **_common(),
    )


@bp.post("/drafts/<int:draft_id>/check")
@staff_view
def check(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    problems = publishing.check_draft(found)
    get_session().commit()
    if problems:
        flash(_("%(count)d problems to fix before publishing.", count=len(problems)), "error")
    else:
        flash(_("No problems found: the draft is ready to publish."), "success")
        # Cues do not stop publishing; the trainer should still hear of them.
        for cue in publishing.draft_cues(found):
            flash(_("Hint: %(hint)s", hint=cue), "info")
    return redirect(url_for("lms.studio.draft", draft_id=draft_id), 303)


@bp.post("/drafts/<int:draft_id>/publish")
@staff_view
def publish(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    key = found.course_key
    result, problems = publishing.publish_draft(found, revision_from_form(request.form), profile)
    get_session().commit()
    if problems or result is None:
        flash(
            _(
                "Not published: %(count)d problems to fix, shown next to their fields.",
                count=len(problems),
            ),
            "error",
        )
        return redirect(url_for("lms.studio.draft", draft_id=draft_id), 303)
    flash(_("Published as version %(number)d.", number=result.version or 0), "success")
    return redirect(url_for("lms.studio.course", key=key), 303)


@bp.post("/drafts/<int:draft_id>/delete")
@staff_view
def delete_draft(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    drafts.delete_draft(profile, found, revision_from_form(request.form))
    get_session().commit()
    flash(_("Draft deleted."), "success")
    return redirect(url_for("lms.studio.index"), 303)


@bp.route("/drafts/<int:draft_id>/export.zip")
@staff_view
def export_draft(profile: Profile, draft_id: int) -> Any:
    found = draft_of(profile, draft_id)
    return _zip_response(draft_files(found.data), found.course_key)


# ------------------------------------------------------------------ reports


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.route("/reports")
@staff_view
def report_index(profile: Profile) -> Any:
    return render_template(
        "lms/studio/reports.html",
        courses=reports.report_courses(profile),
        cohorts=reports.report_cohorts(profile),
    )


@bp.route("/reports/courses/<key>")
@staff_view
def course_report(profile: Profile, key: str) -> Any:
    report = reports.course_report(profile, key, cohort_id=None, page=_page_number())
    return render_template("lms/studio/report.html", report=report)


@bp.route("/reports/cohorts/<int:cohort_id>")
@staff_view
def cohort_report(profile: Profile, cohort_id: int) -> Any:
    key = request.args.get("course")
    report = reports.cohort_report(profile, cohort_id, key, page=_page_number())
    return render_template("lms/studio/report.html", report=report)


@bp.route("/reports/courses/<key>/<table>.csv")
@staff_view
def course_report_csv(profile: Profile, key: str, table: str) -> Any:
    scope = reports.course_scope(profile, key)
    return _csv_response(reports.report_csv(scope, table, current_locale()), f"{key}-{table}.csv")


@bp.route("/reports/cohorts/<int:cohort_id>/<table>.csv")
@staff_view
def cohort_report_csv(profile: Profile, cohort_id: int, table: str) -> Any:
    scope = reports.cohort_scope(profile, cohort_id, request.args.get("course"))
    return _csv_response(
        reports.report_csv(scope, table, current_locale()), f"cohort-{cohort_id}-{table}.csv"
    )


def _csv_response(chunks: Iterator[str], name: str) -> Response:
    # Streamed: the learners table is read from the database while it is sent.
    response = Response(_sent_later(chunks), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _sent_later(chunks: Iterator[str]) -> Iterator[str]:
    """``chunks`` after a byte order mark (Excel and WPS then read the Chinese as
    UTF-8), run in an app context of their own: pushed once the mark is out and the
    server asks for more (the request's context is gone by then), popped when done,
    so a body read no further than its first piece holds no context or connection."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def body() -> Iterator[str]:
        yield "\ufeff"
        with app.app_context():
            yield from chunks

    return body()

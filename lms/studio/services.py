"""The trainer studio's rules: drafts, optimistic locking, validation and publishing.

Every function takes the acting staff profile and scopes what it reads and
changes to that person's organisation: shipped courses (no organisation) can be
read and copied, never changed; another organisation's courses and drafts do
not exist as far as this trainer is concerned.
"""

from __future__ import annotations

import copy
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import nh3
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.content.schema import AREAS, ID_RE, LANGUAGES, QUESTION_TYPES, SECTIONS
from lms.courses.loader import ContentErrors, CourseSpec, load_course
from lms.courses.markdown import render_markdown
from lms.courses.models import (
    Area,
    Course,
    CourseStatus,
    CourseVersion,
    LessonVersion,
    QuestionVersion,
    QuizQuestion,
)
from lms.courses.services import CourseImport, publish_course
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session
from lms.studio.export import (
    ExportedCourse,
    draft_files,
    version_to_draft,
    write_folder,
)
from lms.studio.models import Draft, VersionSource

__all__ = [
    "CourseRow",
    "Problem",
    "StaleDraft",
    "StudioError",
    "add_lesson",
    "add_question",
    "archive_course",
    "blank_question",
    "check_draft",
    "copy_course",
    "course_data",
    "create_draft",
    "delete_draft",
    "delete_lesson",
    "delete_question",
    "draft_of",
    "edit_course",
    "export_course",
    "import_questions",
    "move_lesson",
    "preview_lesson",
    "publish_draft",
    "restore_course",
    "studio_courses",
    "update_course",
    "update_lesson",
    "update_question",
    "visible_course",
]


class StudioError(Exception):
    """A studio action the rules refuse; ``message`` is shown to the trainer."""

    def __init__(self, message: Any, status: int = 400) -> None:
        super().__init__(str(message))
        self.message = message
        self.status = status


class StaleDraft(StudioError):
    """Someone saved the draft after this form was loaded."""

    def __init__(self) -> None:
        super().__init__(
            _l(
                "Someone else saved this draft after you opened it. Your changes were not "
                "saved: reload the page to see their version, then make your changes again."
            ),
            status=409,
        )


@dataclass(frozen=True)
class Problem:
    """A validation error tied to the draft field it belongs to (a dotted path)."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class CourseRow:
    """One line of the studio's course list."""

    key: str
    title: dict[str, str]
    status: str
    versions: int
    current_number: int | None
    course: Course | None
    draft: Draft | None
    editable: bool


# ------------------------------------------------------------------- scope


def _organisation(profile: Profile) -> int:
    if profile.organisation_id is None:
        raise StudioError(
            _l("Your account belongs to no organisation, so it cannot author courses."), 403
        )
    return profile.organisation_id


def visible_course(profile: Profile, key: str) -> Course | None:
    """A course this trainer may read: their organisation's or a shipped one."""
    scope = Course.organisation_id.is_(None)
    if profile.organisation_id is not None:
        scope = or_(scope, Course.organisation_id == profile.organisation_id)
    return get_session().scalar(select(Course).where(Course.key == key, scope))


def _own_course(profile: Profile, key: str) -> Course:
    course = visible_course(profile, key)
    if course is None:
        raise StudioError(_l("This course does not exist."), 404)
    if course.organisation_id is None or course.organisation_id != profile.organisation_id:
        raise StudioError(
            _l("Shipped courses are read-only here: copy the course into a draft to change it."),
            403,
        )
    return course


def draft_of(profile: Profile, draft_id: int) -> Draft:
    """A draft of this trainer's organisation, or a 404."""
    draft = get_session().get(Draft, draft_id)
    if draft is None or draft.organisation_id != profile.organisation_id:
        raise StudioError(_l("This draft does not exist."), 404)
    return draft


def studio_courses(profile: Profile) -> list[CourseRow]:
    """Every course the trainer may see, with its status, versions and draft."""
    session = get_session()
    scope = Course.organisation_id.is_(None)
    drafts: dict[str, Draft] = {}
    if profile.organisation_id is not None:
        scope = or_(scope, Course.organisation_id == profile.organisation_id)
        drafts = {
            draft.course_key: draft
            for draft in session.scalars(
                select(Draft).where(Draft.organisation_id == profile.organisation_id)
            )
        }
    counts = dict(
        session.execute(
            select(CourseVersion.course_id, func.count()).group_by(CourseVersion.course_id)
        ).all()
    )
    rows: list[CourseRow] = []
    for course in session.scalars(select(Course).where(scope).order_by(Course.key)):
        version = course.current_version
        draft = drafts.pop(course.key, None)
        rows.append(
            CourseRow(
                key=course.key,
                title=dict(version.title) if version else {},
                status=course.status.value,
                versions=counts.get(course.id, 0),
                current_number=version.number if version else None,
                course=course,
                draft=draft,
                editable=course.organisation_id is not None,
            )
        )
    for draft in drafts.values():
        rows.append(
            CourseRow(
                key=draft.course_key,
                title=dict(draft.data.get("course", {}).get("title") or {}),
                status=CourseStatus.DRAFT.value,
                versions=0,
                current_number=None,
                course=None,
                draft=draft,
                editable=True,
            )
        )
    return sorted(rows, key=lambda row: (not row.editable, row.key))


# ------------------------------------------------------------ draft making


def _blank_texts() -> dict[str, str]:
    return {lang: "" for lang in LANGUAGES}


def _check_new_key(key: str) -> None:
    if not ID_RE.match(key):
        raise StudioError(
            _l("Use 2-64 lowercase letters, digits and -, starting with a letter or digit.")
        )
    session = get_session()
    taken = session.scalar(select(Course.id).where(Course.key == key)) or session.scalar(
        select(Draft.id).where(Draft.course_key == key)
    )
    if taken:
        raise StudioError(_l("A course with this id exists already: choose another id."))


def new_course_data(key: str, title: dict[str, str], area: str) -> dict[str, Any]:
    """The data of an empty course: no lessons, an empty bank, a sensible quiz policy."""
    return {
        "course": {
            "id": key,
            "title": {lang: title.get(lang, "") for lang in LANGUAGES},
            "summary": _blank_texts(),
            "area": area,
            "occupations": [],
            "level": 5,
            "quiz": {
                "id": f"{key[:59]}-quiz",
                "title": _blank_texts(),
                "draw": 1,
                "draw_by_tag": {},
                "pass_mark": 80,
                "shuffle_questions": True,
                "shuffle_options": True,
                "max_attempts": 3,
                "cooldown_minutes": 30,
                "time_limit_minutes": None,
                "review": "explanations",
            },
        },
        "lessons": [],
        "questions": [],
    }


def create_draft(profile: Profile, key: str, title: dict[str, str], area: str) -> Draft:
    """Start a new course as a draft of the trainer's organisation."""
    organisation_id = _organisation(profile)
    key = key.strip()
    _check_new_key(key)
    if area not in AREAS:
        raise StudioError(_l("Choose an area from the list."))
    draft = Draft(
        course_key=key,
        organisation_id=organisation_id,
        data=_clean_data(new_course_data(key, title, area)),
        created_by_id=profile.id,
        updated_by_id=profile.id,
    )
    return _add_draft(draft)


def course_data(course: Course) -> dict[str, Any]:
    """Draft data of a course's current version: the studio's own source when it has one."""
    version = course.current_version
    if version is None:
        raise StudioError(_l("This course has no published version."), 404)
    source = get_session().scalar(
        select(VersionSource).where(VersionSource.course_version_id == version.id)
    )
    if source is not None:
        return copy.deepcopy(source.data)
    return version_to_draft(course.key, course.area.value, version)


def course_versions(course: Course) -> list[CourseVersion]:
    """Every published version of a course, newest first."""
    return list(
        get_session().scalars(
            select(CourseVersion)
            .where(CourseVersion.course_id == course.id)
            .order_by(CourseVersion.number.desc())
        )
    )


def edit_course(profile: Profile, key: str) -> Draft:
    """The draft of an own published course, made from its current version if needed."""
    course = _own_course(profile, key)
    session = get_session()
    existing = session.scalar(select(Draft).where(Draft.course_key == course.key))
    if existing is not None:
        return existing
    draft = Draft(
        course_key=course.key,
        organisation_id=_organisation(profile),
        course_id=course.id,
        base_version_id=course.current_version_id,
        data=course_data(course),
        created_by_id=profile.id,
        updated_by_id=profile.id,
    )
    return _add_draft(draft)


def _add_draft(draft: Draft) -> Draft:
    """Store a new draft; a second draft of the same course id is refused, not a crash."""
    session = get_session()
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
    except IntegrityError:
        raise StudioError(
            _l("A course with this id exists already: choose another id."), 409
        ) from None
    return draft


def _renamed(old: str, suffix: str) -> str:
    return f"{old[: 63 - len(suffix)]}-{suffix}"


def copy_course(profile: Profile, key: str, new_key: str) -> Draft:
    """A new draft with the content of a visible course under new ids."""
    organisation_id = _organisation(profile)
    course = visible_course(profile, key)
    if course is None:
        raise StudioError(_l("This course does not exist."), 404)
    new_key = new_key.strip()
    _check_new_key(new_key)
    data = course_data(course)
    # Lesson and question ids are unique across all courses: give the copy its own.
    suffix = hashlib.sha256(new_key.encode()).hexdigest()[:6]
    data["course"]["id"] = new_key
    data["course"]["quiz"]["id"] = _renamed(data["course"]["quiz"]["id"], suffix)
    for lesson in data["lessons"]:
        front = lesson["front"]
        front["id"] = _renamed(str(front.get("id", "lesson")), suffix)
        for check in front.get("check") or []:
            _rename_question(check, suffix)
    for question in data["questions"]:
        _rename_question(question, suffix)
    draft = Draft(
        course_key=new_key,
        organisation_id=organisation_id,
        data=data,
        created_by_id=profile.id,
        updated_by_id=profile.id,
    )
    return _add_draft(draft)


def _rename_question(question: dict[str, Any], suffix: str) -> None:
    question["id"] = _renamed(str(question.get("id", "q")), suffix)
    for part in question.get("parts") or []:
        part["id"] = _renamed(str(part.get("id", "p")), suffix)


def delete_draft(profile: Profile, draft: Draft, revision: int) -> None:
    """Throw a draft away; a published course keeps its versions."""
    _check_revision(draft, revision)
    get_session().delete(draft)
    get_session().flush()


# ------------------------------------------------------------------ saving


_DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template"}


def clean_text(text: str) -> str:
    """Plain authored text with any HTML tags removed (the pages escape the rest)."""
    for _round in range(3):
        cleaned = unescape(nh3.clean(text, tags=set(), clean_content_tags=_DROP_WITH_CONTENT))
        if cleaned == text:
            break
        text = cleaned
    return text


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    """Strip HTML from every plain-text field; Markdown sections are sanitised when rendered."""
    cleaned = {
        "course": _clean(data.get("course") or {}),
        "questions": _clean(data.get("questions") or []),
        "lessons": [],
    }
    for lesson in data.get("lessons") or []:
        cleaned["lessons"].append(
            {
                "slug": _clean(lesson.get("slug", "")),
                "front": _clean(lesson.get("front") or {}),
                "body": {
                    section: {
                        lang: str(((lesson.get("body") or {}).get(section) or {}).get(lang) or "")
                        for lang in LANGUAGES
                    }
                    for section in SECTIONS
                },
            }
        )
    return cleaned


def _check_revision(draft: Draft, revision: int) -> None:
    if revision != draft.revision:
        raise StaleDraft()


def _save(
    draft: Draft,
    revision: int,
    profile: Profile,
    change: Callable[[dict[str, Any]], Any],
    scope: str | None = None,
) -> Any:
    """Apply ``change`` to a copy of the draft data and store it, if nobody saved meanwhile.

    Problems found by the last check stay, except those inside ``scope`` (the
    part just saved); a change that moves things (``scope`` None) drops them all.
    """
    _check_revision(draft, revision)
    data = copy.deepcopy(draft.data)
    result = change(data)
    kept = []
    if scope is not None:
        kept = [
            problem
            for problem in draft.problems or []
            if problem["path"] != scope and not problem["path"].startswith(scope + ".")
        ]
    session = get_session()
    # The WHERE on the revision makes two saves racing each other safe: the
    # second matches no row, whatever the first one's transaction did.
    outcome = session.execute(
        update(Draft)
        .where(Draft.id == draft.id, Draft.revision == revision)
        .values(
            data=_clean_data(data),
            revision=revision + 1,
            problems=kept,
            updated_by_id=profile.id,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if outcome.rowcount != 1:
        raise StaleDraft()
    session.refresh(draft)
    return result


def update_course(draft: Draft, revision: int, profile: Profile, fields: dict[str, Any]) -> None:
    """Save the course fields and the quiz policy."""

    fields = dict(fields)

    def change(data: dict[str, Any]) -> None:
        course = data["course"]
        quiz = dict(course.get("quiz") or {})
        quiz.update(fields.pop("quiz", {}))
        fields.pop("id", None)
        course.update(fields)
        course["quiz"] = quiz

    _save(draft, revision, profile, change, scope="course")


def _lesson_index(data: dict[str, Any], index: int) -> int:
    if not 0 <= index < len(data["lessons"]):
        raise StudioError(_l("This lesson does not exist."), 404)
    return index


def blank_lesson(key: str, number: int, taken: set[str]) -> dict[str, Any]:
    """A new lesson with an unused id, two decision options and one check question."""
    base = f"{key[:50]}-l{number}"
    lesson_id = base
    while lesson_id in taken:
        number += 1
        lesson_id = f"{key[:50]}-l{number}"
    option = {"text": _blank_texts(), "consequence": _blank_texts()}
    return {
        "slug": f"{number:02d}-{lesson_id}",
        "front": {
            "id": lesson_id,
            "title": _blank_texts(),
            "minutes": 3,
            "tags": [],
            "decision": {
                "prompt": _blank_texts(),
                "options": [{"id": "a", **option, "best": True}, {"id": "b", **option}],
            },
            "rule_source": _blank_texts(),
            "check": [blank_question("single", f"{lesson_id}-c1", kind="check")],
        },
        "body": {section: _blank_texts() for section in SECTIONS},
    }


def _ids_in(data: dict[str, Any]) -> set[str]:
    ids = {str(data["course"].get("id")), str(data["course"].get("quiz", {}).get("id"))}
    for lesson in data["lessons"]:
        ids.add(str(lesson["front"].get("id")))
        for check in lesson["front"].get("check") or []:
            ids.add(str(check.get("id")))
    for question in data["questions"]:
        ids.add(str(question.get("id")))
        ids.update(str(part.get("id")) for part in question.get("parts") or [])
    return ids


def add_lesson(draft: Draft, revision: int, profile: Profile) -> int:
    """Append an empty lesson; returns its index."""

    def change(data: dict[str, Any]) -> int:
        taken = _ids_in(data) | {str(lesson.get("slug")) for lesson in data["lessons"]}
        data["lessons"].append(blank_lesson(draft.course_key, len(data["lessons"]) + 1, taken))
        return len(data["lessons"]) - 1

    return _save(draft, revision, profile, change)


def update_lesson(
    draft: Draft, revision: int, profile: Profile, index: int, lesson: dict[str, Any]
) -> None:
    """Replace one lesson's front matter and body; its file name stays."""

    def change(data: dict[str, Any]) -> None:
        found = data["lessons"][_lesson_index(data, index)]
        found["front"] = lesson["front"]
        found["body"] = lesson["body"]

    _save(draft, revision, profile, change, scope=f"lessons.{index}")


def move_lesson(draft: Draft, revision: int, profile: Profile, index: int, offset: int) -> None:
    """Move a lesson one place up (-1) or down (+1)."""

    def change(data: dict[str, Any]) -> None:
        lessons = data["lessons"]
        _lesson_index(data, index)
        target = index + offset
        if offset not in (-1, 1) or not 0 <= target < len(lessons):
            raise StudioError(_l("This lesson cannot move further."))
        lessons[index], lessons[target] = lessons[target], lessons[index]

    _save(draft, revision, profile, change)


def delete_lesson(draft: Draft, revision: int, profile: Profile, index: int) -> None:
    """Remove a lesson from the draft."""

    def change(data: dict[str, Any]) -> None:
        del data["lessons"][_lesson_index(data, index)]

    _save(draft, revision, profile, change)


def blank_question(qtype: str, question_id: str, kind: str = "bank") -> dict[str, Any]:
    """An empty question of a type, with the fields that type needs."""
    if qtype not in QUESTION_TYPES:
        raise StudioError(_l("Choose a question type from the list."))
    question: dict[str, Any] = {"id": question_id, "type": qtype}
    if kind == "bank":
        question["topic"] = None
        question["difficulty"] = 1
    question["prompt"] = _blank_texts()
    if qtype in ("single", "multiple"):
        count = 2 if qtype == "single" else 3
        question["options"] = [
            {"id": chr(ord("a") + n), "text": _blank_texts(), "correct": n == 0 or None}
            for n in range(count)
        ]
        if qtype == "multiple":
            question["options"][1]["correct"] = True
            question["scoring"] = "all_or_nothing"
    elif qtype == "true_false":
        question["answer"] = True
    elif qtype == "ordering":
        question["items"] = [{"id": chr(ord("a") + n), "text": _blank_texts()} for n in range(3)]
    elif qtype == "scenario":
        question["case"] = _blank_texts()
        question["scoring"] = "unit"
        question["parts"] = [
            blank_question("single", f"{question_id[:58]}-p{n}", kind="part") for n in (1, 2)
        ]
    question["explanation"] = _blank_texts()
    if kind != "part":
        question["rule"] = _blank_texts()
    return question


def _question_index(data: dict[str, Any], index: int) -> int:
    if not 0 <= index < len(data["questions"]):
        raise StudioError(_l("This question does not exist."), 404)
    return index


def _new_question_id(data: dict[str, Any], key: str) -> str:
    taken = _ids_in(data)
    number = len(data["questions"]) + 1
    while f"{key[:54]}-q{number}" in taken:
        number += 1
    return f"{key[:54]}-q{number}"


def add_question(draft: Draft, revision: int, profile: Profile, qtype: str) -> int:
    """Append an empty question of a type to the bank; returns its index."""

    def change(data: dict[str, Any]) -> int:
        data["questions"].append(blank_question(qtype, _new_question_id(data, draft.course_key)))
        return len(data["questions"]) - 1

    return _save(draft, revision, profile, change)


def update_question(
    draft: Draft, revision: int, profile: Profile, index: int, question: dict[str, Any]
) -> None:
    """Replace one question of the bank."""

    def change(data: dict[str, Any]) -> None:
        data["questions"][_question_index(data, index)] = question

    _save(draft, revision, profile, change, scope=f"questions.{index}")


def delete_question(draft: Draft, revision: int, profile: Profile, index: int) -> None:
    """Remove a question from the bank."""

    def change(data: dict[str, Any]) -> None:
        del data["questions"][_question_index(data, index)]

    _save(draft, revision, profile, change)


def import_questions(
    draft: Draft, revision: int, profile: Profile, questions: list[dict[str, Any]]
) -> int:
    """Add imported questions to the bank under fresh ids; returns how many."""

    def change(data: dict[str, Any]) -> int:
        for question in questions:
            added = copy.deepcopy(question)
            added["id"] = _new_question_id(data, draft.course_key)
            data["questions"].append(added)
        return len(questions)

    return _save(draft, revision, profile, change)


# ------------------------------------------------------- check and publish


def _problems(draft: Draft, exported: ExportedCourse) -> tuple[CourseSpec | None, list[Problem]]:
    with tempfile.TemporaryDirectory(prefix="lms-studio-") as folder:
        root = write_folder(exported, Path(folder) / draft.course_key)
        try:
            spec = load_course(root)
        except ContentErrors as errors:
            problems = [
                Problem(
                    exported.field_at(Path(error.path).name, error.line) or "course", error.message
                )
                for error in errors.errors
            ]
            return None, problems
    return spec, _clashes(draft, spec)


def _clashes(draft: Draft, spec: CourseSpec) -> list[Problem]:
    """Lesson and question ids another course already uses."""
    session = get_session()
    problems: list[Problem] = []
    other = select(Course.id).where(Course.key != draft.course_key)
    lesson_keys = {lesson.id: index for index, lesson in enumerate(spec.lessons)}
    for key in session.scalars(
        select(LessonVersion.key)
        .join(CourseVersion, CourseVersion.id == LessonVersion.course_version_id)
        .where(CourseVersion.course_id.in_(other), LessonVersion.key.in_(list(lesson_keys)))
        .distinct()
    ):
        problems.append(
            Problem(
                f"lessons.{lesson_keys[key]}.front.id",
                str(_l("id '%(id)s' is used by another course: choose another id", id=key)),
            )
        )
    question_keys = {question["id"]: index for index, question in enumerate(spec.quiz.questions)}
    for key in session.scalars(
        select(QuestionVersion.key)
        .join(QuizQuestion, QuizQuestion.question_version_id == QuestionVersion.id)
        .join(CourseVersion, CourseVersion.id == QuizQuestion.course_version_id)
        .where(CourseVersion.course_id.in_(other), QuestionVersion.key.in_(list(question_keys)))
        .distinct()
    ):
        problems.append(
            Problem(
                f"questions.{question_keys[key]}.id",
                str(_l("id '%(id)s' is used by another course: choose another id", id=key)),
            )
        )
    return problems


def check_draft(draft: Draft) -> list[Problem]:
    """Validate the draft exactly as `flask lms content check` would; store the problems."""
    _spec, problems = _problems(draft, draft_files(draft.data))
    draft.problems = [problem.as_dict() for problem in problems]
    get_session().flush()
    return problems


def publish_draft(
    draft: Draft, revision: int, profile: Profile
) -> tuple[CourseImport | None, list[Problem]]:
    """Validate and publish a draft as a new course version; the draft is then gone.

    With problems nothing is published: they are stored on the draft, each with
    the field it belongs to.
    """
    _check_revision(draft, revision)
    organisation_id = _organisation(profile)
    session = get_session()
    course = session.scalar(select(Course).where(Course.key == draft.course_key))
    if course is not None and course.organisation_id != organisation_id:
        raise StudioError(_l("A course with this id exists already: choose another id."), 409)
    spec, problems = _problems(draft, draft_files(draft.data))
    if spec is None or problems:
        draft.problems = [problem.as_dict() for problem in problems]
        session.flush()
        return None, problems
    result = publish_course(spec, organisation_id=organisation_id)
    course = session.scalar(select(Course).where(Course.key == draft.course_key))
    assert course is not None  # noqa: S101 - publish_course has just created or found it
    if course.current_version_id is not None and not session.scalar(
        select(VersionSource.id).where(VersionSource.course_version_id == course.current_version_id)
    ):
        session.add(
            VersionSource(
                course_version_id=course.current_version_id, data=copy.deepcopy(draft.data)
            )
        )
    course.status = CourseStatus.PUBLISHED
    # publish_course sets the area only when it creates the course.
    course.area = Area(spec.area)
    session.delete(draft)
    session.flush()
    return result, []


def archive_course(profile: Profile, key: str) -> Course:
    """Take an own course off the catalogue; learners' records stay."""
    course = _own_course(profile, key)
    course.status = CourseStatus.ARCHIVED
    get_session().flush()
    return course


def restore_course(profile: Profile, key: str) -> Course:
    """Put an archived own course back in the catalogue."""
    course = _own_course(profile, key)
    if course.current_version_id is None:
        raise StudioError(_l("This course has no published version."), 400)
    course.status = CourseStatus.PUBLISHED
    get_session().flush()
    return course


def export_course(key: str, profile: Profile | None = None, draft: bool = False) -> ExportedCourse:
    """The files of a course: its draft when asked, else its current version.

    Without a profile (the CLI) every course is reachable.
    """
    session = get_session()
    if draft:
        query = select(Draft).where(Draft.course_key == key)
        if profile is not None:
            query = query.where(Draft.organisation_id == profile.organisation_id)
        found = session.scalar(query)
        if found is None:
            raise StudioError(_l("This draft does not exist."), 404)
        return draft_files(found.data)
    course = (
        visible_course(profile, key)
        if profile is not None
        else session.scalar(select(Course).where(Course.key == key))
    )
    if course is None:
        raise StudioError(_l("This course does not exist."), 404)
    return draft_files(course_data(course))


# ----------------------------------------------------------------- preview


@dataclass(frozen=True)
class PreviewLesson:
    """A draft lesson with the attributes of a published ``LessonVersion``."""

    id: int
    key: str
    position: int
    slug: str
    title: dict[str, str]
    minutes: int
    tags: list[str]
    decision: dict[str, Any]
    rule_source: dict[str, str]
    situation_html: dict[str, str]
    outcome_html: dict[str, str]
    rule_html: dict[str, str]
    checks: list[dict[str, Any]]
    content_hash: str = ""


@dataclass(frozen=True)
class PreviewVersion:
    """A draft course with the attributes of a published ``CourseVersion``."""

    id: int
    number: int
    title: dict[str, str]
    summary: dict[str, str]
    occupations: list[str]
    level: int
    lessons: list[PreviewLesson]
    quiz_key: str
    quiz_title: dict[str, str]
    quiz_policy: dict[str, Any]

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass(frozen=True)
class PreviewCourse:
    """A draft course with the attributes of a published ``Course``."""

    id: int
    key: str
    area: str
    status: str
    current_version: PreviewVersion
    organisation_id: int | None = None


def _minutes(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _rendered(body: dict[str, Any], section: str) -> dict[str, str]:
    texts = body.get(section) or {}
    return {lang: render_markdown(str(texts.get(lang) or "")).strip() for lang in LANGUAGES}


def _normalised_question(question: dict[str, Any]) -> dict[str, Any]:
    normal = copy.deepcopy(question)
    for option in normal.get("options") or []:
        option["correct"] = bool(option.get("correct"))
        option.setdefault("feedback", None)
    for part in normal.get("parts") or []:
        for option in part.get("options") or []:
            option["correct"] = bool(option.get("correct"))
            option.setdefault("feedback", None)
    return normal


def preview_course(draft: Draft) -> PreviewCourse:
    """The draft as the learner pages' objects, Markdown rendered and sanitised."""
    data = draft.data
    course = data.get("course") or {}
    lessons = []
    for position, lesson in enumerate(data.get("lessons") or [], 1):
        front = lesson.get("front") or {}
        body = lesson.get("body") or {}
        decision = copy.deepcopy(front.get("decision") or {"prompt": {}, "options": []})
        for option in decision.get("options") or []:
            option["best"] = bool(option.get("best"))
        lessons.append(
            PreviewLesson(
                id=-position,
                key=str(front.get("id") or f"lesson-{position}"),
                position=position,
                slug=str(lesson.get("slug") or ""),
                title=front.get("title") or {},
                minutes=_minutes(front.get("minutes")),
                tags=list(front.get("tags") or []),
                decision=decision,
                rule_source=front.get("rule_source") or {},
                situation_html=_rendered(body, "situation"),
                outcome_html=_rendered(body, "outcome"),
                rule_html=_rendered(body, "rule"),
                checks=[_normalised_question(q) for q in front.get("check") or []],
            )
        )
    quiz = course.get("quiz") or {}
    version = PreviewVersion(
        id=-draft.id,
        number=0,
        title=course.get("title") or {},
        summary=course.get("summary") or {},
        occupations=list(course.get("occupations") or []),
        level=_minutes(course.get("level")),
        lessons=lessons,
        quiz_key=str(quiz.get("id") or ""),
        quiz_title=quiz.get("title") or {},
        quiz_policy={key: value for key, value in quiz.items() if key not in ("id", "title")},
    )
    return PreviewCourse(
        id=-draft.id,
        key=draft.course_key,
        area=str(course.get("area") or ""),
        status=CourseStatus.DRAFT.value,
        current_version=version,
        organisation_id=draft.organisation_id,
    )


def preview_lesson(draft: Draft, index: int) -> tuple[PreviewCourse, PreviewLesson]:
    """One draft lesson ready for the learner's lesson player."""
    course = preview_course(draft)
    lessons = course.current_version.lessons
    if not 0 <= index < len(lessons):
        raise StudioError(_l("This lesson does not exist."), 404)
    return course, lessons[index]


def problems_by_page(problems: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Problems grouped by the studio page that edits their field."""
    pages: dict[str, list[dict[str, str]]] = {}
    for problem in problems:
        parts = problem["path"].split(".")
        if parts[0] in ("lessons", "questions") and len(parts) > 1 and parts[1].isdigit():
            page = f"{parts[0]}.{parts[1]}"
        elif parts[0] in ("lessons", "questions"):
            page = "course" if parts[0] == "lessons" else "questions"
        else:
            page = "course"
        pages.setdefault(page, []).append(problem)
    return pages

"""Writing a draft: creating, copying and deleting it, and saving its course,
lessons and questions under an optimistic lock.

Each action takes the acting staff profile and changes only drafts of that
person's organisation (see ``lms.studio.scope``).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.content.schema import AREAS, ID_RE, LANGUAGES, SECTIONS
from lms.courses.models import Course, CourseVersion
from lms.db import utcnow
from lms.i18n import _l
from lms.questions import registry
from lms.state import get_session
from lms.studio.errors import StaleDraft, StudioError
from lms.studio.export import version_to_draft
from lms.studio.models import Draft, VersionSource
from lms.studio.sanitising import clean_draft_data
from lms.studio.scope import authoring_organisation, own_course, visible_course

__all__ = [
    "add_lesson",
    "add_question",
    "blank_lesson",
    "blank_question",
    "check_revision",
    "copy_course",
    "course_data",
    "course_versions",
    "create_draft",
    "delete_draft",
    "delete_lesson",
    "delete_question",
    "edit_course",
    "import_questions",
    "move_lesson",
    "new_course_data",
    "update_course",
    "update_lesson",
    "update_question",
]

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
    organisation_id = authoring_organisation(profile)
    key = key.strip()
    _check_new_key(key)
    if area not in AREAS:
        raise StudioError(_l("Choose an area from the list."))
    draft = Draft(
        course_key=key,
        organisation_id=organisation_id,
        data=clean_draft_data(new_course_data(key, title, area)),
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
    course = own_course(profile, key)
    session = get_session()
    existing = session.scalar(select(Draft).where(Draft.course_key == course.key))
    if existing is not None:
        return existing
    draft = Draft(
        course_key=course.key,
        organisation_id=authoring_organisation(profile),
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
    organisation_id = authoring_organisation(profile)
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
    check_revision(draft, revision)
    get_session().delete(draft)
    get_session().flush()


# ------------------------------------------------------------------ saving


def check_revision(draft: Draft, revision: int) -> None:
    """Refuse a change made to a form loaded before the draft's last save."""
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
    check_revision(draft, revision)
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
            data=clean_draft_data(data),
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
        # Every language is the default and is not stored, as in the files.
        if tuple(fields.get("languages") or LANGUAGES) == LANGUAGES:
            fields.pop("languages", None)
            course.pop("languages", None)
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
    if qtype not in registry.QUESTION_TYPES:
        raise StudioError(_l("Choose a question type from the list."))
    question: dict[str, Any] = {"id": question_id, "type": qtype}
    if kind == "bank":
        question["topic"] = None
        question["difficulty"] = 1
    question["prompt"] = _blank_texts()
    question |= registry.get_type(qtype).blank(
        question_id,
        _blank_texts,
        lambda part_type, part_id: blank_question(part_type, part_id, "part"),
    )
    question["explanation"] = _blank_texts()
    if kind != "part":
        question["rule"] = _blank_texts()
    return question


def _question_index(data: dict[str, Any], index: int) -> int:
    if not 0 <= index < len(data["questions"]):
        raise StudioError(_l("This question does not exist."), 404)
    return index


def new_question_id(data: dict[str, Any], key: str) -> str:
    """A question id no lesson or question of the draft uses yet."""
    taken = _ids_in(data)
    number = len(data["questions"]) + 1
    while f"{key[:54]}-q{number}" in taken:
        number += 1
    return f"{key[:54]}-q{number}"


def new_question(draft: Draft, qtype: str) -> dict[str, Any]:
    """An empty question of a type for the editor to fill in; nothing is stored."""
    return blank_question(qtype, new_question_id(draft.data, draft.course_key))


def add_question(draft: Draft, revision: int, profile: Profile, question: dict[str, Any]) -> int:
    """Append the question the trainer wrote in the editor to the bank; returns its index."""
    if question.get("type") not in registry.QUESTION_TYPES:
        raise StudioError(_l("Choose a question type from the list."))

    def change(data: dict[str, Any]) -> int:
        data["questions"].append(question)
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
            taken = _ids_in(data)
            # A readable id made from the file's question name is kept when free.
            named = str(added.get("id") or "")
            if not ID_RE.match(named) or named == "imported" or named in taken:
                added["id"] = new_question_id(data, draft.course_key)
            data["questions"].append(added)
        return len(questions)

    return _save(draft, revision, profile, change)

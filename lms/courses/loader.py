"""Load and validate course content files (see content/README.md) into frozen specs.

Pure Python on purpose: the Flask CLI (`flask lms content check/import`), the
trainer studio and the tests all call it without an app. Every error carries the
file and line and says how to fix it; all errors of a course are collected so a
trainer can fix a file in one pass.

This module reads the course level (``course.yaml`` and its quiz) and finds the
course folders; the lesson files and the questions have loaders of their own.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from lms.content.errors import ContentError, ContentErrors
from lms.content.fields import (
    bool_field,
    enum_field,
    id_field,
    int_field,
    seq_field,
    text_field,
)
from lms.content.messages import msg
from lms.content.reader import (
    YamlMapping,
    as_mapping,
    field_label,
    is_null,
    one_of,
    plural,
    publishing_in,
    quoted,
    read_yaml_mapping,
    scalar_word,
)
from lms.content.schema import (
    AREAS,
    COURSE_FILE,
    COURSE_KEYS,
    LANGUAGES,
    LESSON_NAME_RE,
    OCCUPATIONS,
    QUIZ_KEYS,
    REVIEW_MODES,
    TAG_RE,
)
from lms.courses.id_registry import CourseIds, IdRegistry
from lms.courses.lesson_loader import load_lesson
from lms.courses.question_loader import load_bank
from lms.courses.specs import CourseSpec, LessonSpec, QuizSpec, hash_content

__all__ = [
    "ContentError",
    "ContentErrors",
    "CourseSpec",
    "LessonSpec",
    "QuizSpec",
    "load_content",
    "load_course",
    "main",
]


def _quiz(
    m: YamlMapping, folder: Path, ids: CourseIds, errors: list[ContentError]
) -> dict[str, Any] | None:
    node = m.value("quiz")
    if node is None:
        m.missing("quiz", msg("add quiz with id, title, bank, draw, pass_mark and review"))
        return None
    q = as_mapping(m.doc, node, m.key_line("quiz"), msg("Quiz"), msg("Quiz"))
    if q is None:
        return None
    q.check_keys(QUIZ_KEYS)
    quiz_id = id_field(q)
    ids.add(q.doc, q, quiz_id)
    quiz: dict[str, Any] = {
        "id": quiz_id,
        "title": text_field(q, "title"),
        "draw": int_field(q, "draw", 1, None),
        "pass_mark": int_field(q, "pass_mark", 1, 100),
        "shuffle_questions": bool_field(q, "shuffle_questions"),
        "shuffle_options": bool_field(q, "shuffle_options"),
        "max_attempts": int_field(q, "max_attempts", 0, None),
        "cooldown_minutes": int_field(q, "cooldown_minutes", 0, None),
        "time_limit_minutes": None,
        "review": enum_field(q, "review", REVIEW_MODES, msg("review mode")),
    }
    limit_node = q.value("time_limit_minutes")
    if limit_node is not None and not is_null(limit_node):
        quiz["time_limit_minutes"] = int_field(q, "time_limit_minutes", 1, None)

    draw_by_tag: dict[str, int] = {}
    tag_lines: dict[str, int] = {}
    tag_node = q.value("draw_by_tag")
    if tag_node is not None and not is_null(tag_node):
        label = msg("Questions drawn per topic")
        tags = as_mapping(q.doc, tag_node, q.key_line("draw_by_tag"), label, label)
        for tag, (key_node, _value) in tags.fields.items() if tags else ():
            if not TAG_RE.match(tag):
                q.doc.error(
                    q.doc.line(key_node),
                    msg("invalid topic '%(tag)s': use a lowercase topic tag", tag=tag),
                )
                continue
            count = int_field(tags, tag, 1, None) if tags else None
            if count is not None:
                draw_by_tag[tag] = count
                tag_lines[tag] = q.doc.line(key_node)
    quiz["draw_by_tag"] = draw_by_tag

    questions: list[dict[str, Any]] | None = None
    bank_node = q.value("bank")
    if bank_node is None:
        q.missing("bank", msg("add bank: questions.yaml (the question file next to course.yaml)"))
    else:
        bank = scalar_word(bank_node)
        if not bank or not LESSON_NAME_RE.match(bank):
            q.doc.error(
                q.key_line("bank"),
                msg(
                    "invalid question file %(value)s: give the name of a file next to course.yaml",
                    value=quoted(bank_node),
                ),
            )
        elif not (folder / bank).is_file():
            q.doc.error(
                q.key_line("bank"),
                msg(
                    "question file '%(name)s' not found next to course.yaml: create it or fix "
                    "the name",
                    name=bank,
                ),
            )
        else:
            questions = load_bank(folder / bank, ids, errors)

    draw = quiz["draw"]
    if questions is not None and bank_node is not None:
        bank_name = scalar_word(bank_node)
        if draw is not None and draw > len(questions):
            q.doc.error(
                q.key_line("draw"),
                msg(
                    "%(field)s is %(draw)d, more than the %(count)d questions in %(bank)s: "
                    "lower it or add questions",
                    field=field_label("draw"),
                    draw=draw,
                    count=len(questions),
                    bank=bank_name,
                ),
            )
        if draw is not None and sum(draw_by_tag.values()) > draw:
            q.doc.error(
                q.key_line("draw_by_tag"),
                msg(
                    "%(field)s asks for %(asked)d questions, more than the %(draw)d drawn: "
                    "lower the counts or draw more",
                    field=field_label("draw_by_tag"),
                    asked=sum(draw_by_tag.values()),
                    draw=draw,
                ),
            )
        for tag, count in draw_by_tag.items():
            available = sum(1 for question in questions if question.get("topic") == tag)
            if available < count:
                q.doc.error(
                    tag_lines[tag],
                    msg(
                        "%(field)s asks for %(count)d questions on '%(tag)s' but %(bank)s has "
                        "%(available)d with that topic: add questions or lower the count",
                        field=field_label("draw_by_tag"),
                        count=count,
                        tag=tag,
                        bank=bank_name,
                        available=available,
                    ),
                )
    quiz["questions"] = questions or []
    return quiz


def _course_fields(
    folder: Path, errors: list[ContentError], ids: CourseIds
) -> tuple[dict[str, Any], list[LessonSpec], dict[str, Any] | None] | None:
    path = folder / COURSE_FILE
    if not path.is_file():
        errors.append(
            ContentError(path, 1, msg("course.yaml not found: every course folder needs one"))
        )
        return None
    m = read_yaml_mapping(
        path,
        errors,
        msg("add id, title, summary, area, occupations, level, lessons and quiz"),
        msg("the course"),
        "course.yaml",
    )
    if m is None:
        return None
    languages = _languages(m)
    with publishing_in(languages):
        return _course_body(folder, m, errors, ids, languages)


def _languages(m: YamlMapping) -> list[str]:
    """``languages``: the languages the course is published in (default: all)."""
    node = m.value("languages")
    if node is None:
        return list(LANGUAGES)
    nodes = seq_field(
        m,
        "languages",
        1,
        len(LANGUAGES),
        lambda n: msg(
            "%(field)s lists %(count)d: list one or more of %(choices)s",
            field=field_label("languages"),
            count=n,
            choices=one_of(LANGUAGES),
        ),
    )
    chosen: list[str] = []
    for item in nodes or []:
        word = scalar_word(item)
        if word not in LANGUAGES:
            shown = f"'{word}'" if word is not None else quoted(item)
            m.doc.error(
                m.doc.line(item),
                msg(
                    "unknown language %(value)s: use one of %(choices)s",
                    value=shown,
                    choices=one_of(LANGUAGES),
                ),
            )
        elif word not in chosen:
            chosen.append(word)
    return [lang for lang in LANGUAGES if lang in chosen] or list(LANGUAGES)


def _course_body(
    folder: Path, m: YamlMapping, errors: list[ContentError], ids: CourseIds, languages: list[str]
) -> tuple[dict[str, Any], list[LessonSpec], dict[str, Any] | None]:
    doc = m.doc
    m.check_keys(COURSE_KEYS)
    course_id = id_field(m)
    ids.add(doc, m, course_id)
    fields: dict[str, Any] = {
        "languages": languages,
        "id": course_id,
        "title": text_field(m, "title"),
        "summary": text_field(m, "summary"),
        "area": enum_field(m, "area", AREAS, msg("area")),
        "level": int_field(m, "level", 1, 5),
    }

    occupations: list[str] = []
    occupation_nodes = seq_field(
        m,
        "occupations",
        1,
        None,
        lambda n: msg(
            "%(field)s is empty: list one or more of %(choices)s",
            field=field_label("occupations"),
            choices=one_of(OCCUPATIONS),
        ),
    )
    if occupation_nodes is None and not m.has("occupations"):
        m.missing(
            "occupations", msg("list one or more of %(choices)s", choices=one_of(OCCUPATIONS))
        )
    for node in occupation_nodes or []:
        word = scalar_word(node)
        if word not in OCCUPATIONS:
            shown = f"'{word}'" if word is not None else quoted(node)
            doc.error(
                doc.line(node),
                msg(
                    "unknown occupation %(value)s: use one of %(choices)s",
                    value=shown,
                    choices=one_of(OCCUPATIONS),
                ),
            )
        elif word in occupations:
            doc.error(
                doc.line(node), msg("duplicate occupation '%(value)s': list it once", value=word)
            )
        else:
            occupations.append(word)
    fields["occupations"] = occupations

    lessons: list[LessonSpec] = []
    listed: set[str] = set()
    lesson_nodes = seq_field(
        m,
        "lessons",
        1,
        None,
        lambda n: msg(
            "%(field)s is empty: list the lesson files in order (names without .md)",
            field=field_label("lessons"),
        ),
    )
    if lesson_nodes is None and not m.has("lessons"):
        m.missing("lessons", msg("list the lesson files in order (names without .md)"))
    for node in lesson_nodes or []:
        name = scalar_word(node)
        line = doc.line(node)
        if name is None or not LESSON_NAME_RE.match(name):
            doc.error(
                line,
                msg(
                    "invalid lesson name %(value)s: give a file name in this folder, without .md",
                    value=quoted(node),
                ),
            )
            continue
        if name.endswith(".md"):
            doc.error(line, msg("write lesson names without .md: '%(name)s'", name=name[:-3]))
            listed.add(name[:-3])
            continue
        if name in listed:
            doc.error(
                line, msg("lesson '%(name)s' is listed twice: list each lesson once", name=name)
            )
            continue
        listed.add(name)
        if not (folder / f"{name}.md").is_file():
            doc.error(
                line,
                msg(
                    "lesson '%(name)s' has no file: create %(name)s.md next to course.yaml "
                    "or fix the name",
                    name=name,
                ),
            )
            continue
        lesson = load_lesson(folder, name, len(lessons) + 1, ids, errors)
        if lesson is not None:
            lessons.append(lesson)
    for md_file in sorted(folder.glob("*.md")):
        # A README next to the lessons is documentation for trainers, not a lesson.
        if md_file.stem not in listed and md_file.name.lower() != "readme.md":
            errors.append(
                ContentError(
                    md_file,
                    1,
                    msg(
                        "lesson file is not listed in course.yaml: add '- %(name)s' to "
                        "lessons or delete the file",
                        name=md_file.stem,
                    ),
                )
            )

    quiz = _quiz(m, folder, ids, errors)
    return fields, lessons, quiz


def _load_one(folder: Path) -> tuple[CourseSpec | None, list[ContentError], CourseIds]:
    """Validate one course; ids are returned for the cross-course check."""
    errors: list[ContentError] = []
    ids = CourseIds()
    loaded = _course_fields(folder, errors, ids)
    registry = IdRegistry()
    for use in ids.uses:
        registry.add(use, errors)
    if loaded is None or errors:
        return None, _sorted(errors), ids
    fields, lessons, quiz = loaded
    assert quiz is not None  # noqa: S101 - a missing quiz is an error, handled above
    quiz_spec = QuizSpec(
        id=quiz["id"],
        title=quiz["title"],
        draw=quiz["draw"],
        draw_by_tag=quiz["draw_by_tag"],
        pass_mark=quiz["pass_mark"],
        shuffle_questions=quiz["shuffle_questions"],
        shuffle_options=quiz["shuffle_options"],
        max_attempts=quiz["max_attempts"],
        cooldown_minutes=quiz["cooldown_minutes"],
        time_limit_minutes=quiz["time_limit_minutes"],
        review=quiz["review"],
        questions=tuple(quiz["questions"]),
    )
    # A course in every language hashes as before languages could be chosen,
    # so declaring nothing never makes a new version.
    shown = {key: value for key, value in fields.items() if key != "languages"}
    if tuple(fields["languages"]) != LANGUAGES:
        shown["languages"] = fields["languages"]
    hashed = {
        **shown,
        "lessons": [dataclasses.asdict(lesson) for lesson in lessons],
        "quiz": dataclasses.asdict(quiz_spec),
    }
    course = CourseSpec(
        id=fields["id"],
        title=fields["title"],
        summary=fields["summary"],
        area=fields["area"],
        occupations=tuple(fields["occupations"]),
        level=fields["level"],
        languages=tuple(fields["languages"]),
        lessons=tuple(lessons),
        quiz=quiz_spec,
        source_path=folder,
        content_hash=hash_content(hashed),
    )
    return course, [], ids


def _sorted(errors: list[ContentError]) -> list[ContentError]:
    return sorted(errors, key=lambda error: (str(error.path), error.line))


def load_course(folder: Path) -> CourseSpec:
    """Load and validate one course folder; raise ContentErrors with every problem found."""
    course, errors, _ids = _load_one(Path(folder))
    if course is None:
        raise ContentErrors(errors)
    return course


def _course_folders(root: Path) -> tuple[list[Path], list[ContentError]]:
    if not root.exists():
        return [], [
            ContentError(root, 1, msg("path not found: give the content folder or a course"))
        ]
    if root.is_file():
        if root.name == COURSE_FILE:
            return [root.parent], []
        return [], [ContentError(root, 1, msg("not a course: give a folder or a course.yaml"))]
    if (root / COURSE_FILE).is_file():
        return [root], []
    courses_dir = root / "courses" if (root / "courses").is_dir() else root
    folders: list[Path] = []
    errors: list[ContentError] = []
    for child in sorted(courses_dir.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        if (child / COURSE_FILE).is_file():
            folders.append(child)
        else:
            errors.append(
                ContentError(
                    child / COURSE_FILE,
                    1,
                    msg("course.yaml not found: add one or move this folder out of courses/"),
                )
            )
    if not folders and not errors:
        errors.append(
            ContentError(
                courses_dir,
                1,
                msg("no course found: each course is a folder with a course.yaml in it"),
            )
        )
    return folders, errors


def _load_many(roots: Iterable[Path]) -> tuple[list[CourseSpec], list[ContentError]]:
    folders: list[Path] = []
    errors: list[ContentError] = []
    for root in roots:
        found, root_errors = _course_folders(Path(root))
        errors.extend(root_errors)
        for folder in found:
            if folder.resolve() not in {seen.resolve() for seen in folders}:
                folders.append(folder)
    courses: list[CourseSpec] = []
    registry = IdRegistry()
    owner: dict[str, Path] = {}
    for folder in folders:
        course, course_errors, ids = _load_one(folder)
        cross: list[ContentError] = []
        for use in ids.uses:
            first_owner = owner.get(use.id)
            if first_owner is None:
                owner[use.id] = folder
                registry.add(use, cross)
            elif first_owner != folder:
                # Duplicates inside one course were already reported by _load_one.
                registry.add(use, cross)
        errors.extend(course_errors)
        errors.extend(cross)
        if course is not None and not cross:
            courses.append(course)
    return courses, _sorted(errors)


def load_content(root: Path) -> tuple[list[CourseSpec], list[ContentError]]:
    """Load every course under root (content/, courses/ or one course) with all errors.

    Only courses without errors are returned: a course with any error is rejected whole.
    """
    return _load_many([Path(root)])


def main(argv: Sequence[str] | None = None) -> int:
    """Check content folders from the command line; return 1 when there are errors."""
    args = list(sys.argv[1:] if argv is None else argv)
    roots = [Path(arg) for arg in args] or [Path(__file__).resolve().parents[2] / "content"]
    courses, errors = _load_many(roots)
    for error in errors:
        print(error)
    lessons = sum(len(course.lessons) for course in courses)
    questions = sum(len(course.quiz.questions) for course in courses)
    summary = (
        f"{plural(len(courses), 'course')}, {plural(lessons, 'lesson')}, "
        f"{plural(questions, 'question')}"
    )
    if errors:
        print(f"{plural(len(errors), 'error')}; valid: {summary}")
        return 1
    print(f"{summary}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Reading the studio's editor forms into draft data.

The editors are big nested forms whose field names are the dotted paths of
the draft data (``front.decision.options.1.text.en``), so an error found at
publish can be shown next to the field with the same name. What the trainer
typed is kept as typed (a number field holding "abc" stays "abc"): the
validator at publish reports it next to the field, as `content check` would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from lms.content.schema import LANGUAGES, OCCUPATIONS, SECTIONS
from lms.i18n import _l
from lms.questions import registry
from lms.studio.drafts import blank_question
from lms.studio.errors import StudioError

__all__ = [
    "course_from_form",
    "lesson_from_form",
    "question_from_form",
    "revision_from_form",
    "unflatten",
]

# Tampered indexes must not make the server build huge lists.
MAX_INDEX = 20
MAX_FIELD = 20_000
_INT_RE = re.compile(r"^-?\d{1,9}$")


def revision_from_form(form: Mapping[str, Any]) -> int:
    """The draft revision the form was loaded at."""
    raw = str(form.get("revision", ""))
    if not _INT_RE.match(raw):
        raise StudioError(_l("The form is missing its revision. Reload the page and try again."))
    return int(raw)


def unflatten(form: MultiDict[str, str], prefix: str = "") -> dict[str, Any]:
    """Nested dicts from dotted field names under ``prefix`` (digits stay string keys)."""
    tree: dict[str, Any] = {}
    for name in form:
        if prefix and not name.startswith(prefix):
            continue
        parts = name[len(prefix) :].split(".")
        if any(part.isdigit() and int(part) >= MAX_INDEX for part in parts):
            continue
        node = tree
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        values = form.getlist(name)
        node[parts[-1]] = (
            [value[:MAX_FIELD] for value in values]
            if len(values) > 1
            else (values[0][:MAX_FIELD] if values else "")
        )
    return tree


def _str(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip() if not isinstance(value, dict) else ""


def _texts(value: Any, markdown: bool = False) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    out = {}
    for lang in LANGUAGES:
        raw = value.get(lang, "")
        raw = raw[0] if isinstance(raw, list) else raw
        text = str(raw or "").replace("\r\n", "\n")
        out[lang] = text.strip("\n") if markdown else text.strip()
    return out


def _blank(texts: dict[str, str]) -> bool:
    return not any(texts.values())


def _int(value: Any) -> int | str | None:
    text = _str(value)
    if not text:
        return None
    return int(text) if _INT_RE.match(text) else text


def _indexed(value: Any) -> list[dict[str, Any]]:
    """The rows of a repeated group, in index order."""
    if not isinstance(value, dict):
        return []
    rows = [
        (int(key), row) for key, row in value.items() if key.isdigit() and isinstance(row, dict)
    ]
    return [row for _index, row in sorted(rows, key=lambda pair: pair[0])]


def _checked(value: Any) -> bool:
    return _str(value) in ("1", "on", "true", "yes")


def _rows(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The rows of a repeated group with their slot numbers, in index order."""
    if not isinstance(value, dict):
        return []
    rows = [
        (int(key), row) for key, row in value.items() if key.isdigit() and isinstance(row, dict)
    ]
    return sorted(rows, key=lambda pair: pair[0])


class _EditorFields:
    """The studio's way of reading the editor's fields, handed to each question type."""

    def texts(self, value: Any) -> dict[str, str]:
        """A text in every language."""
        return _texts(value)

    def word(self, value: Any) -> str:
        """One plain field, stripped."""
        return _str(value)

    def checked(self, value: Any) -> bool:
        """A ticked checkbox."""
        return _checked(value)

    def blank(self, texts: dict[str, str]) -> bool:
        """No text in any language."""
        return _blank(texts)

    def rows(self, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """Numbered sub-groups with their numbers."""
        return _rows(value)

    def parts(self, raw: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The scenario parts the trainer filled in."""
        return [
            question_from_form(row, "part")
            for row in _indexed(raw.get("parts"))
            if not _blank_question_row(row)
        ]


_EDITOR = _EditorFields()


def question_from_form(raw: dict[str, Any], kind: str = "bank") -> dict[str, Any]:
    """One question (bank, lesson check or scenario part) from its form fields."""
    qtype = _str(raw.get("type"))
    question: dict[str, Any] = {"id": _str(raw.get("id")), "type": qtype}
    if kind == "bank":
        question["topic"] = _str(raw.get("topic")) or None
        question["difficulty"] = _int(raw.get("difficulty"))
        question["critical"] = True if _checked(raw.get("critical")) else None
    question["prompt"] = _texts(raw.get("prompt"))
    if qtype in registry.QUESTION_TYPES:
        fresh = blank_question(qtype, question["id"] or "q", kind)
        question |= registry.get_type(qtype).from_editor(raw, _EDITOR, fresh)
    question["explanation"] = _texts(raw.get("explanation"))
    if kind != "part":
        rule = _texts(raw.get("rule"))
        question["rule"] = None if kind == "check" and _blank(rule) else rule
    return question


def _blank_question_row(row: dict[str, Any]) -> bool:
    """A spare slot the trainer left empty (no prompt, no options written)."""
    if not _blank(_texts(row.get("prompt"))):
        return False
    for option in _indexed(row.get("options")) + _indexed(row.get("items")):
        if not _blank(_texts(option.get("text"))):
            return False
    return True


def lesson_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """A lesson's front matter and Markdown body from the lesson editor."""
    raw = unflatten(form)
    front_raw = raw.get("front") if isinstance(raw.get("front"), dict) else {}
    decision_raw = front_raw.get("decision") if isinstance(front_raw.get("decision"), dict) else {}
    best = _str(decision_raw.get("best"))
    options = []
    for position, row in sorted(
        (
            (int(key), row)
            for key, row in (decision_raw.get("options") or {}).items()
            if key.isdigit() and isinstance(row, dict)
        ),
        key=lambda pair: pair[0],
    ):
        text, consequence = _texts(row.get("text")), _texts(row.get("consequence"))
        if _blank(text) and _blank(consequence):
            continue
        options.append(
            {
                "id": _str(row.get("id")),
                "text": text,
                "consequence": consequence,
                "best": True if best == str(position) else None,
            }
        )
    tags = [
        tag.strip() for tag in re.split(r"[,，\s]+", _str(front_raw.get("tags"))) if tag.strip()
    ]
    checks = [
        question_from_form(row, "check")
        for row in _indexed(front_raw.get("check"))
        if not _blank_question_row(row)
    ]
    front = {
        "id": _str(front_raw.get("id")),
        "title": _texts(front_raw.get("title")),
        "minutes": _int(front_raw.get("minutes")),
        "tags": tags,
        "decision": {"prompt": _texts(decision_raw.get("prompt")), "options": options},
        "rule_source": _texts(front_raw.get("rule_source")),
        "check": checks,
    }
    body_raw = raw.get("body") if isinstance(raw.get("body"), dict) else {}
    body = {section: _texts(body_raw.get(section), markdown=True) for section in SECTIONS}
    return {"front": front, "body": body}


def course_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The course fields and quiz policy from the course editor."""
    raw = unflatten(form)
    quiz_raw = raw.get("quiz") if isinstance(raw.get("quiz"), dict) else {}
    draw_by_tag: dict[str, Any] = {}
    for line in _str(quiz_raw.get("draw_by_tag")).splitlines() or []:
        tag, _sep, count = line.partition(":")
        if tag.strip():
            draw_by_tag[tag.strip()] = _int(count)
    occupations = form.getlist("occupations")
    quiz = {
        "id": _str(quiz_raw.get("id")),
        "title": _texts(quiz_raw.get("title")),
        "draw": _int(quiz_raw.get("draw")),
        "draw_by_tag": draw_by_tag,
        "pass_mark": _int(quiz_raw.get("pass_mark")),
        "shuffle_questions": _checked(quiz_raw.get("shuffle_questions")),
        "shuffle_options": _checked(quiz_raw.get("shuffle_options")),
        "max_attempts": _int(quiz_raw.get("max_attempts")),
        "cooldown_minutes": _int(quiz_raw.get("cooldown_minutes")),
        "time_limit_minutes": _int(quiz_raw.get("time_limit_minutes")),
        "review": _str(quiz_raw.get("review")),
    }
    return {
        "title": _texts(raw.get("title")),
        "summary": _texts(raw.get("summary")),
        "area": _str(raw.get("area")),
        "occupations": [item for item in OCCUPATIONS if item in occupations],
        # Nothing ticked cannot be published; keep every language rather than none.
        "languages": [lang for lang in LANGUAGES if lang in form.getlist("languages")]
        or list(LANGUAGES),
        "level": _int(raw.get("level")),
        "quiz": quiz,
    }

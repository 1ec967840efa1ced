"""Load and validate course content files (see content/README.md) into frozen specs.

Pure Python on purpose: the Flask CLI (`flask lms content check/import`), the
trainer studio and the tests all call it without an app. Every error carries the
file and line and says how to fix it; all errors of a course are collected so a
trainer can fix a file in one pass.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.courses.markdown import render_markdown

__all__ = [
    "AREAS",
    "LANGUAGES",
    "OCCUPATIONS",
    "QUESTION_TYPES",
    "REVIEW_MODES",
    "ContentError",
    "ContentErrors",
    "CourseSpec",
    "LessonSpec",
    "QuizSpec",
    "load_content",
    "load_course",
    "main",
]

LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
_LANGUAGE_NAMES = {"zh_CN": "Chinese", "en": "English"}
AREAS: tuple[str, ...] = ("legal-safety", "ecommerce", "logistics")
OCCUPATIONS: tuple[str, ...] = (
    "online-delivery-worker",
    "courier",
    "ride-hailing-driver",
    "truck-driver",
    "ecommerce-operator",
)
REVIEW_MODES: tuple[str, ...] = ("score", "answers", "explanations")
QUESTION_TYPES: tuple[str, ...] = ("single", "multiple", "true_false", "ordering", "scenario")
_PART_TYPES: tuple[str, ...] = ("single", "multiple", "true_false", "ordering")
_MULTIPLE_SCORING: tuple[str, ...] = ("all_or_nothing", "partial")
_SCENARIO_SCORING: tuple[str, ...] = ("unit", "per_part")
_SECTIONS: tuple[str, ...] = ("situation", "outcome", "rule")

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# Option and item ids are only unique inside their question, and the README's
# own examples are single letters, so the 2-character minimum does not apply.
_OPTION_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# A lesson name becomes a path; anything with a separator could escape the folder.
_LESSON_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_HEADING_RE = re.compile(r"^(\S+)\s*\[\s*([^\]]*?)\s*\]$")

_COURSE_KEYS = ("id", "title", "summary", "area", "occupations", "level", "lessons", "quiz")
_QUIZ_KEYS = (
    "id",
    "title",
    "bank",
    "draw",
    "draw_by_tag",
    "pass_mark",
    "shuffle_questions",
    "shuffle_options",
    "max_attempts",
    "cooldown_minutes",
    "time_limit_minutes",
    "review",
)
_LESSON_KEYS = ("id", "title", "minutes", "tags", "decision", "rule_source", "check")
_BANK_COMMON = ("id", "type", "topic", "difficulty", "critical", "prompt", "explanation", "rule")
_CHECK_COMMON = ("id", "type", "prompt", "explanation", "rule")
_PART_COMMON = ("id", "type", "prompt", "explanation")
_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options", "scoring"),
    "true_false": ("answer",),
    "ordering": ("items",),
    "scenario": ("case", "parts", "scoring"),
}
_ALL_TYPE_KEYS = tuple(sorted({key for keys in _TYPE_KEYS.values() for key in keys}))

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_NULL_TAG = "tag:yaml.org,2002:null"

_heading_parser = MarkdownIt("commonmark").enable("table")


# --------------------------------------------------------------------- results


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


@dataclass(frozen=True)
class ContentError:
    """One problem in a content file, with the 1-based line it was found on."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        """Return ``path:line: message`` with the path relative to the cwd when possible."""
        return f"{_display(self.path)}:{self.line}: {self.message}"


class ContentErrors(Exception):
    """Raised by ``load_course`` with every error found in the course."""

    def __init__(self, errors: Sequence[ContentError]) -> None:
        """Keep the errors as a list; the message is one error per line."""
        self.errors: list[ContentError] = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class QuizSpec:
    """A course's final quiz: the draw policy and the normalised question bank."""

    id: str
    title: dict[str, str]
    draw: int
    draw_by_tag: dict[str, int]
    pass_mark: int
    shuffle_questions: bool
    shuffle_options: bool
    max_attempts: int
    cooldown_minutes: int
    time_limit_minutes: int | None
    review: str
    questions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class LessonSpec:
    """One lesson: front matter fields plus the sanitised HTML of its body sections."""

    id: str
    position: int
    slug: str
    title: dict[str, str]
    minutes: int
    tags: tuple[str, ...]
    decision: dict[str, Any]
    rule_source: dict[str, str]
    situation_html: dict[str, str]
    outcome_html: dict[str, str]
    rule_html: dict[str, str]
    check: tuple[dict[str, Any], ...]
    content_hash: str


@dataclass(frozen=True)
class CourseSpec:
    """A validated course; ``content_hash`` covers its lessons and quiz."""

    id: str
    title: dict[str, str]
    summary: dict[str, str]
    area: str
    occupations: tuple[str, ...]
    level: int
    lessons: tuple[LessonSpec, ...]
    quiz: QuizSpec
    source_path: Path
    content_hash: str


def _hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ------------------------------------------------------------- YAML plumbing


class _Doc:
    """A YAML document being validated: where its errors go and how to number lines."""

    def __init__(self, path: Path, errors: list[ContentError], offset: int = 0) -> None:
        self.path = path
        self.errors = errors
        # Lines of YAML embedded in a file (lesson front matter) start below line 1.
        self.offset = offset
        # Per document, because SafeConstructor caches every node it builds.
        self.constructor = SafeConstructor()

    def line(self, node: Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def error(self, line: int, message: str) -> None:
        self.errors.append(ContentError(self.path, line, message))

    def scalar(self, node: ScalarNode) -> Any:
        """The Python value of an int/bool scalar, or None when it cannot be built."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, KeyError, yaml.YAMLError):
            # An explicit tag such as `!!int abc` resolves but cannot be constructed.
            return None


def quoted(node: Node) -> str:
    """How a bad value is quoted back in an error message (shared by every content loader)."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _NULL_TAG:
        return "nothing"
    if node.tag == _STR_TAG:
        return f"'{node.value}'"
    return str(node.value)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known key a mistyped one most likely meant, for "did you mean" hints."""
    by_lower = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[match[0]] if match else None


def _one_of(choices: Sequence[str]) -> str:
    return ", ".join(choices)


class _Map:
    """A YAML mapping with the line of the key that owns it and a label for messages."""

    def __init__(self, doc: _Doc, node: MappingNode, line: int, label: str) -> None:
        self.doc = doc
        self.line = line
        self.label = label
        self.fields: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                doc.error(doc.line(key_node), "a key must be a plain name: remove the brackets")
                continue
            key = str(key_node.value)
            if key in self.fields:
                first = doc.line(self.fields[key][0])
                doc.error(
                    doc.line(key_node),
                    f"duplicate key '{key}' (first at line {first}): keep only one",
                )
                continue
            self.fields[key] = (key_node, value_node)

    def check_keys(self, allowed: Sequence[str], elsewhere: dict[str, str] | None = None) -> None:
        """Report keys that are not allowed here, with a fix for each."""
        elsewhere = elsewhere or {}
        for key, (key_node, _) in self.fields.items():
            if key in allowed:
                continue
            line = self.doc.line(key_node)
            if key in elsewhere:
                self.doc.error(line, elsewhere[key])
                continue
            guess = closest(key, allowed)
            if guess is not None and guess not in self.fields:
                self.doc.error(line, f"unknown key '{key}': did you mean '{guess}'?")
            else:
                self.doc.error(
                    line, f"unknown key '{key}': remove it (allowed here: {_one_of(allowed)})"
                )

    def has(self, key: str) -> bool:
        return key in self.fields

    def value(self, key: str) -> Node | None:
        entry = self.fields.get(key)
        return entry[1] if entry else None

    def key_line(self, key: str) -> int:
        return self.doc.line(self.fields[key][0])

    def missing(self, key: str, fix: str) -> None:
        self.doc.error(self.line, f"{self.label} has no {key}: {fix}")


def _as_map(doc: _Doc, node: Node | None, line: int, label: str, what: str) -> _Map | None:
    if isinstance(node, MappingNode):
        return _Map(doc, node, line, label)
    got = "nothing" if node is None else quoted(node)
    doc.error(line, f"{what} must be a mapping of keys, got {got}: write one 'key: value' per line")
    return None


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG


def _text_value(doc: _Doc, node: Node, line: int, name: str) -> dict[str, str] | None:
    """Validate a bilingual text node found at ``line`` (the line of its key)."""
    if _is_null(node):
        doc.error(line, f"{name} is empty: add zh_CN and en under {name}")
        return None
    if isinstance(node, ScalarNode):
        doc.error(
            line,
            f"{name} must be written in both languages: put 'zh_CN: ...' and 'en: ...' "
            f"on their own lines under {name}",
        )
        return None
    if isinstance(node, SequenceNode):
        doc.error(line, f"{name} must be a mapping with zh_CN and en, not a list")
        return None
    assert isinstance(node, MappingNode)  # noqa: S101 - the three node kinds are exhaustive
    texts = _Map(doc, node, line, name)
    texts.check_keys(LANGUAGES)
    result: dict[str, str] = {}
    for lang in LANGUAGES:
        value = texts.value(lang)
        if value is None:
            doc.error(line, f"missing '{lang}' translation in {name}")
            continue
        lang_line = texts.key_line(lang)
        if not isinstance(value, ScalarNode):
            doc.error(
                lang_line,
                f"'{lang}' translation in {name} must be text, got {quoted(value)}",
            )
            continue
        # Any scalar is text here: `en: 15` or `en: no` mean the words, not a number or false.
        text = "" if value.tag == _NULL_TAG else str(value.value).strip()
        if not text:
            doc.error(
                lang_line,
                f"'{lang}' translation in {name} is empty: write the {_LANGUAGE_NAMES[lang]} text",
            )
            continue
        result[lang] = text
    return result if len(result) == len(LANGUAGES) else None


def _text(m: _Map, key: str, required: bool = True) -> dict[str, str] | None:
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, f"add {key} with zh_CN and en")
        return None
    return _text_value(m.doc, node, m.key_line(key), key)


def _int(m: _Map, key: str, low: int, high: int | None, required: bool = True) -> int | None:
    node = m.value(key)
    wanted = (
        f"a whole number from {low} to {high}"
        if high is not None
        else (f"a whole number, {low} or more")
    )
    if node is None:
        if required:
            m.missing(key, f"add {key}: {wanted}")
        return None
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) and node.tag == _INT_TAG else None
    if value is None or value < low or (high is not None and value > high):
        m.doc.error(m.key_line(key), f"{key} must be {wanted}, got {quoted(node)}")
        return None
    return int(value)


def _bool(m: _Map, key: str, required: bool = True, default: bool = False) -> bool:
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, f"add {key}: true or {key}: false")
        return default
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) and node.tag == _BOOL_TAG else None
    if isinstance(value, bool):
        return value
    m.doc.error(m.key_line(key), f"{key} must be true or false, got {quoted(node)}")
    return default


def _word(node: Node) -> str | None:
    """The plain text of a scalar used as a name (ids, enums), or None."""
    if isinstance(node, ScalarNode) and node.tag != _NULL_TAG:
        return str(node.value).strip()
    return None


def _enum(
    m: _Map, key: str, choices: Sequence[str], what: str, required: bool = True
) -> str | None:
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, f"add {key}: one of {_one_of(choices)}")
        return None
    word = _word(node)
    if word in choices:
        return word
    shown = f"'{word}'" if word is not None else quoted(node)
    m.doc.error(m.key_line(key), f"unknown {what} {shown}: use one of {_one_of(choices)}")
    return None


def _id(m: _Map, key: str = "id", pattern: re.Pattern[str] = _ID_RE) -> str | None:
    node = m.value(key)
    if node is None:
        m.missing(key, "add a stable id (lowercase letters, digits and -)")
        return None
    word = _word(node)
    if word is None or not pattern.match(word):
        rule = "2-64" if pattern is _ID_RE else "1-64"
        m.doc.error(
            m.key_line(key),
            f"invalid {key} {quoted(node)}: use {rule} lowercase letters, digits and -, "
            "starting with a letter or digit",
        )
        return None
    return word


def _seq(
    m: _Map, key: str, low: int, high: int | None, count_message: Callable[[int], str]
) -> list[Node] | None:
    """Return the items of a list field; errors for a non-list or a bad count."""
    node = m.value(key)
    if node is None:
        return None
    if not isinstance(node, SequenceNode):
        if _is_null(node):
            m.doc.error(m.key_line(key), count_message(0))
        else:
            m.doc.error(m.key_line(key), f"{key} must be a list ('- ' items), got {quoted(node)}")
        return None
    count = len(node.value)
    if count < low or (high is not None and count > high):
        m.doc.error(m.key_line(key), count_message(count))
    return list(node.value)


# --------------------------------------------------------------------- ids


@dataclass(frozen=True)
class _IdUse:
    id: str
    path: Path
    line: int


class _IdRegistry:
    """First use of every id; a second use is an error pointing at the first."""

    def __init__(self) -> None:
        self.first: dict[str, _IdUse] = {}

    def add(self, use: _IdUse, errors: list[ContentError]) -> None:
        first = self.first.get(use.id)
        if first is None:
            self.first[use.id] = use
            return
        errors.append(
            ContentError(
                use.path,
                use.line,
                f"duplicate id '{use.id}' (first used in {_display(first.path)}:{first.line})",
            )
        )


class _Ids:
    """Ids used by one course, in file order, for the course-wide and global checks."""

    def __init__(self) -> None:
        self.uses: list[_IdUse] = []

    def add(self, doc: _Doc, m: _Map, value: str | None) -> None:
        if value is not None:
            self.uses.append(_IdUse(value, doc.path, m.key_line("id")))


# ----------------------------------------------------------------- questions


def _options(m: _Map, label: str, low: int, high: int, qtype: str) -> list[dict[str, Any]]:
    nodes = _seq(
        m,
        "options",
        low,
        high,
        lambda n: f"{label} has {_plural(n, 'option')}: a {qtype} question needs {low} to {high}",
    )
    if nodes is None:
        if not m.has("options"):
            m.missing("options", f"add {low} to {high} options, each with id and text")
        return []
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, 1):
        option = _as_map(m.doc, node, m.doc.line(node), f"option {index}", f"option {index}")
        if option is None:
            continue
        option_id = _id(option, pattern=_OPTION_ID_RE) if option.has("id") else None
        if option_id is not None:
            option.label = f"option '{option_id}'"
        elif not option.has("id"):
            option.missing("id", "add id: a, b, c ... (unique within the question)")
        option.check_keys(("id", "text", "correct", "feedback"))
        if option_id is not None:
            if option_id in seen:
                m.doc.error(
                    option.key_line("id"),
                    f"duplicate option id '{option_id}' in {label}: give each option its own id",
                )
            seen.add(option_id)
        options.append(
            {
                "id": option_id,
                "text": _text(option, "text"),
                "correct": _bool(option, "correct", required=False),
                "feedback": _text(option, "feedback", required=False),
            }
        )
    return options


def _items(m: _Map, label: str) -> list[dict[str, Any]]:
    nodes = _seq(
        m,
        "items",
        3,
        7,
        lambda n: f"{label} has {_plural(n, 'item')}: an ordering question needs 3 to 7",
    )
    if nodes is None:
        if not m.has("items"):
            m.missing("items", "add 3 to 7 items, each with id and text, in the correct order")
        return []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, 1):
        item = _as_map(m.doc, node, m.doc.line(node), f"item {index}", f"item {index}")
        if item is None:
            continue
        item_id = _id(item, pattern=_OPTION_ID_RE) if item.has("id") else None
        if item_id is not None:
            item.label = f"item '{item_id}'"
        elif not item.has("id"):
            item.missing("id", "add id: a, b, c ... (unique within the question)")
        item.check_keys(("id", "text"))
        if item_id is not None:
            if item_id in seen:
                m.doc.error(
                    item.key_line("id"),
                    f"duplicate item id '{item_id}' in {label}: give each item its own id",
                )
            seen.add(item_id)
        items.append({"id": item_id, "text": _text(item, "text")})
    return items


def _question_keys(m: _Map, qtype: str | None, kind: str) -> None:
    common = {"bank": _BANK_COMMON, "check": _CHECK_COMMON, "part": _PART_COMMON}[kind]
    type_keys = _TYPE_KEYS.get(qtype or "", _ALL_TYPE_KEYS)
    allowed = tuple(common) + tuple(type_keys)
    elsewhere: dict[str, str] = {}
    if qtype in _TYPE_KEYS:
        for key in _ALL_TYPE_KEYS:
            if key not in type_keys:
                fix = "use answer: true or false" if qtype == "true_false" else "remove it"
                elsewhere[key] = f"key '{key}' is not used by a {qtype} question: {fix}"
    for key in _BANK_COMMON:
        if key in common:
            continue
        if kind == "check":
            elsewhere[key] = f"key '{key}' is not used in lesson checks: remove it"
        elif key == "difficulty":
            elsewhere[key] = "key 'difficulty' is not used in scenario parts: remove it"
        else:
            elsewhere[key] = (
                f"key '{key}' is not used in scenario parts: a part takes topic, critical "
                "and rule from its scenario; remove it"
            )
    m.check_keys(allowed, elsewhere)


def _question(
    doc: _Doc,
    node: Node,
    index: int,
    kind: str,
    ids: _Ids,
    parent: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Validate one question (``kind``: bank, check or part) into the grading shape."""
    noun = "part" if kind == "part" else "question"
    m = _as_map(doc, node, doc.line(node), f"{noun} {index}", f"{noun} {index}")
    if m is None:
        return None
    qid = _id(m) if m.has("id") else None
    if qid is not None:
        m.label = f"{noun} '{qid}'"
    elif not m.has("id"):
        m.missing("id", "add a stable id (lowercase letters, digits and -)")
    ids.add(doc, m, qid)
    label = m.label

    allowed_types = _PART_TYPES if kind == "part" else QUESTION_TYPES
    qtype: str | None = None
    type_node = m.value("type")
    if type_node is None:
        m.missing("type", f"add type: one of {_one_of(allowed_types)}")
    else:
        word = _word(type_node)
        if word in allowed_types:
            qtype = word
        elif kind == "part" and word == "scenario":
            doc.error(
                m.key_line("type"),
                f"part type 'scenario' is not allowed in a scenario: "
                f"use one of {_one_of(_PART_TYPES)}",
            )
        else:
            shown = f"'{word}'" if word is not None else quoted(type_node)
            doc.error(
                m.key_line("type"),
                f"unknown question type {shown}: use one of {_one_of(allowed_types)}",
            )
    _question_keys(m, qtype, kind)

    spec: dict[str, Any] = {"id": qid, "type": qtype}
    if kind == "bank":
        topic = None
        topic_node = m.value("topic")
        if topic_node is not None:
            topic = _word(topic_node)
            if topic is None or not _TAG_RE.match(topic):
                doc.error(
                    m.key_line("topic"),
                    f"invalid topic {quoted(topic_node)}: use one lowercase tag such as traffic",
                )
                topic = None
        spec["topic"] = topic
        spec["difficulty"] = _int(m, "difficulty", 1, 3, required=False)
        spec["critical"] = _bool(m, "critical", required=False)
    elif kind == "part":
        assert parent is not None  # noqa: S101 - parts are only read inside a scenario
        spec["topic"] = parent["topic"]
        spec["difficulty"] = None
        spec["critical"] = parent["critical"]
    else:
        spec["topic"] = None
        spec["difficulty"] = None
        spec["critical"] = False
    spec["prompt"] = _text(m, "prompt")
    spec["explanation"] = _text(m, "explanation")
    if kind == "part":
        spec["rule"] = parent["rule"] if parent is not None else None
    else:
        # Checks may leave out the rule: the lesson's own rule step states it.
        spec["rule"] = _text(m, "rule", required=kind == "bank")

    if qtype == "single":
        options = _options(m, label, 2, 6, "single")
        spec["options"] = options
        correct = sum(1 for option in options if option["correct"])
        if options and correct == 0:
            m.missing("correct option", "mark exactly one option with correct: true")
        elif correct > 1:
            doc.error(
                m.key_line("options"),
                f"{label} has {correct} correct options: a single question needs exactly one",
            )
    elif qtype == "multiple":
        options = _options(m, label, 3, 8, "multiple")
        spec["options"] = options
        spec["scoring"] = _enum(m, "scoring", _MULTIPLE_SCORING, "scoring")
        correct = sum(1 for option in options if option["correct"])
        if options and correct < 2:
            doc.error(
                m.key_line("options"),
                f"{label} has {correct} correct option{'s' if correct != 1 else ''}: "
                "a multiple question needs at least two (use type single for one)",
            )
    elif qtype == "true_false":
        answer_node = m.value("answer")
        if answer_node is None:
            m.missing("answer", "add answer: true or answer: false")
            spec["answer"] = None
        else:
            spec["answer"] = _bool(m, "answer")
    elif qtype == "ordering":
        spec["items"] = _items(m, label)
    elif qtype == "scenario":
        spec["case"] = _text(m, "case")
        spec["scoring"] = _enum(m, "scoring", _SCENARIO_SCORING, "scoring")
        part_nodes = _seq(
            m, "parts", 2, 4, lambda n: f"{label} has {_plural(n, 'part')}: a scenario needs 2 to 4"
        )
        if part_nodes is None and not m.has("parts"):
            m.missing("parts", "add 2 to 4 parts, each a question with id, type and prompt")
        parts = []
        for part_index, part_node in enumerate(part_nodes or [], 1):
            part = _question(doc, part_node, part_index, "part", ids, parent=spec)
            if part is not None:
                parts.append(part)
        spec["parts"] = parts
    return spec


# ------------------------------------------------------------- file reading


def _read_text(path: Path, errors: list[ContentError], empty_fix: str) -> str | None:
    """Read a UTF-8 file; BOM and CRLF are normalised so they never reach the hash."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(ContentError(path, 1, f"cannot read file ({exc.strerror})"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(
            ContentError(
                path,
                line,
                f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}): "
                "save it with UTF-8 encoding",
            )
        )
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        errors.append(ContentError(path, 1, f"file is empty: {empty_fix}"))
        return None
    return text


# libyaml's C parser when present: same safe rules and marks, several times faster.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(doc: _Doc, text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 if mark is not None else 1) + doc.offset
        problem = exc.problem or exc.context or "cannot parse"
        doc.error(
            line,
            f"YAML syntax error: {problem}: check the indentation and put text that "
            "contains ': ' or ' #' in quotes",
        )
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = (text[:position].count("\n") + 1 if position is not None else 1) + doc.offset
        doc.error(line, f"YAML error: {exc}: remove the character or fix the file")
    return None


# ------------------------------------------------------------------- lessons


def _decision(m: _Map) -> dict[str, Any]:
    node = m.value("decision")
    if node is None:
        m.missing("decision", "add decision with a prompt and 2 to 4 options")
        return {"prompt": None, "options": []}
    d = _as_map(m.doc, node, m.key_line("decision"), "decision", "decision")
    if d is None:
        return {"prompt": None, "options": []}
    d.check_keys(("prompt", "options"))
    prompt = _text(d, "prompt")
    nodes = _seq(
        d, "options", 2, 4, lambda n: f"decision has {_plural(n, 'option')}: give 2 to 4 options"
    )
    if nodes is None and not d.has("options"):
        d.missing("options", "add 2 to 4 options, each with id, text and consequence")
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    best: list[str] = []
    for index, option_node in enumerate(nodes or [], 1):
        o = _as_map(d.doc, option_node, d.doc.line(option_node), f"option {index}", "an option")
        if o is None:
            continue
        option_id = _id(o, pattern=_OPTION_ID_RE) if o.has("id") else None
        if option_id is not None:
            o.label = f"option '{option_id}'"
            if option_id in seen:
                o.doc.error(
                    o.key_line("id"),
                    f"duplicate option id '{option_id}' in decision: give each option its own id",
                )
            seen.add(option_id)
        elif not o.has("id"):
            o.missing("id", "add id: a, b, c ... (unique within the decision)")
        o.check_keys(("id", "text", "consequence", "best"))
        is_best = _bool(o, "best", required=False)
        if is_best:
            best.append(option_id or str(index))
        options.append(
            {
                "id": option_id,
                "text": _text(o, "text"),
                "consequence": _text(o, "consequence"),
                "best": is_best,
            }
        )
    if options and not best:
        d.missing("best option", "mark exactly one option with best: true")
    elif len(best) > 1:
        m.doc.error(
            d.key_line("options"),
            f"decision has {len(best)} best options ({', '.join(best)}): "
            "mark exactly one with best: true",
        )
    return {"prompt": prompt, "options": options}


def _sections(
    body: str, first_line: int, path: Path, errors: list[ContentError]
) -> dict[str, dict[str, str]]:
    """Split the body into its ``## step [lang]`` sections and render each to safe HTML."""
    lines = body.split("\n")
    tokens = _heading_parser.parse(body)
    headings = [
        (index, token)
        for index, token in enumerate(tokens)
        if token.type == "heading_open" and token.level == 0 and token.tag in ("h1", "h2")
    ]
    found: dict[tuple[str, str], tuple[int, str]] = {}

    def err(body_line: int, message: str) -> None:
        errors.append(ContentError(path, first_line + body_line, message))

    if headings:
        start = headings[0][1].map[0] if headings[0][1].map else 0
        preface = lines[:start]
    else:
        preface = lines
    for offset, text in enumerate(preface):
        if text.strip():
            err(
                offset,
                "text before the first section: put it under a heading such as '## situation [en]'",
            )
            break

    for position, (index, token) in enumerate(headings):
        start, end = token.map or (0, 1)
        title = tokens[index + 1].content.strip()
        next_start = (
            (headings[position + 1][1].map or (len(lines), 0))[0]
            if position + 1 < len(headings)
            else len(lines)
        )
        content = "\n".join(lines[end:next_start])
        if token.markup in ("=", "-"):
            err(
                start,
                f"'{title}' is underlined with {token.markup * 3}, which makes it a heading: "
                "leave a blank line before a --- rule, or use '## step [lang]' for a section",
            )
            continue
        if token.tag == "h1":
            err(start, f"heading '# {title}' is not allowed: use ### or deeper inside a section")
            continue
        match = _HEADING_RE.match(title)
        if match is None:
            err(
                start,
                f"heading '## {title}' is not a section: write '## situation [zh_CN]' "
                "(situation, outcome or rule; zh_CN or en), and use ### inside a section",
            )
            continue
        name, lang = match.group(1), match.group(2)
        bad = False
        if name in ("decision", "check"):
            err(
                start,
                f"section '{name}' does not belong in the body: {name} goes in the front matter",
            )
            bad = True
        elif name not in _SECTIONS:
            guess = closest(name, _SECTIONS)
            hint = f"did you mean '{guess}'? " if guess else ""
            err(start, f"unknown section '{name}': {hint}use situation, outcome or rule")
            bad = True
        if lang not in LANGUAGES:
            err(start, f"unknown language '{lang}' in section heading: use [zh_CN] or [en]")
            bad = True
        if bad:
            continue
        if (name, lang) in found:
            first = first_line + found[(name, lang)][0]
            err(
                start,
                f"duplicate section '{name} [{lang}]' (first at line {first}): merge them into one",
            )
            continue
        found[(name, lang)] = (start, content)
        if not content.strip():
            err(
                start,
                f"section '{name} [{lang}]' is empty: write the {name} in {_LANGUAGE_NAMES[lang]}",
            )

    html: dict[str, dict[str, str]] = {name: {} for name in _SECTIONS}
    for name in _SECTIONS:
        for lang in LANGUAGES:
            if (name, lang) not in found:
                err(0, f"missing section '## {name} [{lang}]': add it to the lesson body")
                continue
            start, content = found[(name, lang)]
            if not content.strip():
                continue
            rendered = render_markdown(content).strip()
            if not rendered:
                err(
                    start,
                    f"section '{name} [{lang}]' has nothing left once unsafe HTML is removed: "
                    "write it in Markdown",
                )
                continue
            html[name][lang] = rendered
    return html


def _load_lesson(
    folder: Path,
    name: str,
    position: int,
    ids: _Ids,
    errors: list[ContentError],
) -> LessonSpec | None:
    path = folder / f"{name}.md"
    text = _read_text(path, errors, "write the front matter and the six body sections")
    if text is None:
        return None
    lines = text.split("\n")
    if lines[0].strip() != "---":
        errors.append(
            ContentError(
                path,
                1,
                "lesson has no front matter: start the file with a '---' line, the lesson "
                "fields, and a closing '---' line",
            )
        )
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        errors.append(
            ContentError(
                path, 1, "front matter is not closed: add a '---' line after the lesson fields"
            )
        )
        return None
    doc = _Doc(path, errors, offset=1)
    before = len(errors)
    front = "\n".join(lines[1:closing])
    root = _compose(doc, front) if front.strip() else None
    if root is None:
        if len(errors) == before:
            doc.error(
                1, "front matter is empty: add id, title, minutes, decision, rule_source and check"
            )
        return None
    m = _as_map(doc, root, doc.line(root), "lesson", "the front matter")
    if m is None:
        return None
    m.check_keys(_LESSON_KEYS)
    lesson_id = _id(m)
    ids.add(doc, m, lesson_id)
    title = _text(m, "title")
    minutes = _int(m, "minutes", 2, 5)
    tags: list[str] = []
    tag_nodes = _seq(m, "tags", 0, None, lambda n: "tags must be a list")
    for tag_node in tag_nodes or []:
        tag = _word(tag_node)
        if tag is None or not _TAG_RE.match(tag):
            doc.error(
                doc.line(tag_node),
                f"invalid tag {quoted(tag_node)}: use lowercase tags such as traffic",
            )
        elif tag in tags:
            doc.error(doc.line(tag_node), f"duplicate tag '{tag}': list it once")
        else:
            tags.append(tag)
    decision = _decision(m)
    rule_source = _text(m, "rule_source")
    check_nodes = _seq(
        m, "check", 1, 2, lambda n: f"check has {_plural(n, 'question')}: give 1 or 2 questions"
    )
    if check_nodes is None and not m.has("check"):
        m.missing("check", "add 1 or 2 check questions")
    check = []
    for index, node in enumerate(check_nodes or [], 1):
        question = _question(doc, node, index, "check", ids)
        if question is not None:
            check.append(question)
    html = _sections("\n".join(lines[closing + 1 :]), closing + 2, path, errors)

    if len(errors) != before:
        return None
    content: dict[str, Any] = {
        "id": lesson_id,
        "slug": name,
        "title": title,
        "minutes": minutes,
        "tags": tags,
        "decision": decision,
        "rule_source": rule_source,
        "situation_html": html["situation"],
        "outcome_html": html["outcome"],
        "rule_html": html["rule"],
        "check": check,
    }
    # Position is left out: moving a lesson does not change what it says, and the
    # course hash already covers the order.
    return LessonSpec(
        id=lesson_id or "",
        position=position,
        slug=name,
        title=title or {},
        minutes=minutes or 0,
        tags=tuple(tags),
        decision=decision,
        rule_source=rule_source or {},
        situation_html=html["situation"],
        outcome_html=html["outcome"],
        rule_html=html["rule"],
        check=tuple(check),
        content_hash=_hash(content),
    )


# ---------------------------------------------------------------------- bank


def _load_bank(path: Path, ids: _Ids, errors: list[ContentError]) -> list[dict[str, Any]] | None:
    text = _read_text(path, errors, "add 'questions:' and a list of questions")
    if text is None:
        return None
    doc = _Doc(path, errors)
    root = _compose(doc, text)
    if root is None:
        return None
    m = _as_map(doc, root, doc.line(root), path.name, path.name)
    if m is None:
        return None
    m.check_keys(("questions",))
    if not m.has("questions"):
        m.missing("questions", "add 'questions:' and a list of questions under it")
        return None
    nodes = _seq(
        m,
        "questions",
        1,
        None,
        lambda n: "questions is empty: add at least as many questions as the quiz draws",
    )
    if nodes is None:
        return None
    questions = []
    for index, node in enumerate(nodes, 1):
        question = _question(doc, node, index, "bank", ids)
        questions.append(question if question is not None else {"id": None, "topic": None})
    return questions


# -------------------------------------------------------------------- course


def _quiz(m: _Map, folder: Path, ids: _Ids, errors: list[ContentError]) -> dict[str, Any] | None:
    node = m.value("quiz")
    if node is None:
        m.missing("quiz", "add quiz with id, title, bank, draw, pass_mark and review")
        return None
    q = _as_map(m.doc, node, m.key_line("quiz"), "quiz", "quiz")
    if q is None:
        return None
    q.check_keys(_QUIZ_KEYS)
    quiz_id = _id(q)
    ids.add(q.doc, q, quiz_id)
    quiz: dict[str, Any] = {
        "id": quiz_id,
        "title": _text(q, "title"),
        "draw": _int(q, "draw", 1, None),
        "pass_mark": _int(q, "pass_mark", 1, 100),
        "shuffle_questions": _bool(q, "shuffle_questions"),
        "shuffle_options": _bool(q, "shuffle_options"),
        "max_attempts": _int(q, "max_attempts", 0, None),
        "cooldown_minutes": _int(q, "cooldown_minutes", 0, None),
        "time_limit_minutes": None,
        "review": _enum(q, "review", REVIEW_MODES, "review mode"),
    }
    limit_node = q.value("time_limit_minutes")
    if limit_node is not None and not _is_null(limit_node):
        quiz["time_limit_minutes"] = _int(q, "time_limit_minutes", 1, None)

    draw_by_tag: dict[str, int] = {}
    tag_lines: dict[str, int] = {}
    tag_node = q.value("draw_by_tag")
    if tag_node is not None and not _is_null(tag_node):
        tags = _as_map(q.doc, tag_node, q.key_line("draw_by_tag"), "draw_by_tag", "draw_by_tag")
        for tag, (key_node, _value) in tags.fields.items() if tags else ():
            if not _TAG_RE.match(tag):
                q.doc.error(q.doc.line(key_node), f"invalid tag '{tag}': use a lowercase topic tag")
                continue
            count = _int(tags, tag, 1, None) if tags else None
            if count is not None:
                draw_by_tag[tag] = count
                tag_lines[tag] = q.doc.line(key_node)
    quiz["draw_by_tag"] = draw_by_tag

    questions: list[dict[str, Any]] | None = None
    bank_node = q.value("bank")
    if bank_node is None:
        q.missing("bank", "add bank: questions.yaml (the question file next to course.yaml)")
    else:
        bank = _word(bank_node)
        if not bank or not _LESSON_NAME_RE.match(bank):
            q.doc.error(
                q.key_line("bank"),
                f"invalid bank {quoted(bank_node)}: give the name of a file next to course.yaml",
            )
        elif not (folder / bank).is_file():
            q.doc.error(
                q.key_line("bank"),
                f"bank file '{bank}' not found next to course.yaml: create it or fix the name",
            )
        else:
            questions = _load_bank(folder / bank, ids, errors)

    draw = quiz["draw"]
    if questions is not None and bank_node is not None:
        bank_name = _word(bank_node)
        if draw is not None and draw > len(questions):
            q.doc.error(
                q.key_line("draw"),
                f"draw {draw} is more than the {len(questions)} questions in {bank_name}",
            )
        if draw is not None and sum(draw_by_tag.values()) > draw:
            q.doc.error(
                q.key_line("draw_by_tag"),
                f"draw_by_tag asks for {sum(draw_by_tag.values())} questions, more than "
                f"draw {draw}: lower the counts or raise draw",
            )
        for tag, count in draw_by_tag.items():
            available = sum(1 for question in questions if question.get("topic") == tag)
            if available < count:
                q.doc.error(
                    tag_lines[tag],
                    f"draw_by_tag asks for {count} '{tag}' questions but {bank_name} has "
                    f"{available} with topic: {tag}: add questions or lower the count",
                )
    quiz["questions"] = questions or []
    return quiz


def _course_fields(
    folder: Path, errors: list[ContentError], ids: _Ids
) -> tuple[dict[str, Any], list[LessonSpec], dict[str, Any] | None] | None:
    path = folder / "course.yaml"
    if not path.is_file():
        errors.append(ContentError(path, 1, "course.yaml not found: every course folder needs one"))
        return None
    text = _read_text(
        path, errors, "add id, title, summary, area, occupations, level, lessons and quiz"
    )
    if text is None:
        return None
    doc = _Doc(path, errors)
    root = _compose(doc, text)
    if root is None:
        return None
    m = _as_map(doc, root, doc.line(root), "course", "course.yaml")
    if m is None:
        return None
    m.check_keys(_COURSE_KEYS)
    course_id = _id(m)
    ids.add(doc, m, course_id)
    fields: dict[str, Any] = {
        "id": course_id,
        "title": _text(m, "title"),
        "summary": _text(m, "summary"),
        "area": _enum(m, "area", AREAS, "area"),
        "level": _int(m, "level", 1, 5),
    }

    occupations: list[str] = []
    occupation_nodes = _seq(
        m,
        "occupations",
        1,
        None,
        lambda n: f"occupations is empty: list one or more of {_one_of(OCCUPATIONS)}",
    )
    if occupation_nodes is None and not m.has("occupations"):
        m.missing("occupations", f"list one or more of {_one_of(OCCUPATIONS)}")
    for node in occupation_nodes or []:
        word = _word(node)
        if word not in OCCUPATIONS:
            shown = f"'{word}'" if word is not None else quoted(node)
            doc.error(
                doc.line(node), f"unknown occupation {shown}: use one of {_one_of(OCCUPATIONS)}"
            )
        elif word in occupations:
            doc.error(doc.line(node), f"duplicate occupation '{word}': list it once")
        else:
            occupations.append(word)
    fields["occupations"] = occupations

    lessons: list[LessonSpec] = []
    listed: set[str] = set()
    lesson_nodes = _seq(
        m,
        "lessons",
        1,
        None,
        lambda n: "lessons is empty: list the lesson files in order (names without .md)",
    )
    if lesson_nodes is None and not m.has("lessons"):
        m.missing("lessons", "list the lesson files in order (names without .md)")
    for node in lesson_nodes or []:
        name = _word(node)
        line = doc.line(node)
        if name is None or not _LESSON_NAME_RE.match(name):
            doc.error(
                line,
                f"invalid lesson name {quoted(node)}: give a file name in this folder, without .md",
            )
            continue
        if name.endswith(".md"):
            doc.error(line, f"write lesson names without .md: '{name[:-3]}'")
            listed.add(name[:-3])
            continue
        if name in listed:
            doc.error(line, f"lesson '{name}' is listed twice: list each lesson once")
            continue
        listed.add(name)
        if not (folder / f"{name}.md").is_file():
            doc.error(
                line,
                f"lesson '{name}' has no file: create {name}.md next to course.yaml "
                "or fix the name",
            )
            continue
        lesson = _load_lesson(folder, name, len(lessons) + 1, ids, errors)
        if lesson is not None:
            lessons.append(lesson)
    for md_file in sorted(folder.glob("*.md")):
        # A README next to the lessons is documentation for trainers, not a lesson.
        if md_file.stem not in listed and md_file.name.lower() != "readme.md":
            errors.append(
                ContentError(
                    md_file,
                    1,
                    f"lesson file is not listed in course.yaml: add '- {md_file.stem}' to "
                    "lessons or delete the file",
                )
            )

    quiz = _quiz(m, folder, ids, errors)
    return fields, lessons, quiz


def _load_one(folder: Path) -> tuple[CourseSpec | None, list[ContentError], _Ids]:
    """Validate one course; ids are returned for the cross-course check."""
    errors: list[ContentError] = []
    ids = _Ids()
    loaded = _course_fields(folder, errors, ids)
    registry = _IdRegistry()
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
    hashed = {
        **fields,
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
        lessons=tuple(lessons),
        quiz=quiz_spec,
        source_path=folder,
        content_hash=_hash(hashed),
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
        return [], [ContentError(root, 1, "path not found: give the content folder or a course")]
    if root.is_file():
        if root.name == "course.yaml":
            return [root.parent], []
        return [], [ContentError(root, 1, "not a course: give a folder or a course.yaml")]
    if (root / "course.yaml").is_file():
        return [root], []
    courses_dir = root / "courses" if (root / "courses").is_dir() else root
    folders: list[Path] = []
    errors: list[ContentError] = []
    for child in sorted(courses_dir.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        if (child / "course.yaml").is_file():
            folders.append(child)
        else:
            errors.append(
                ContentError(
                    child / "course.yaml",
                    1,
                    "course.yaml not found: add one or move this folder out of courses/",
                )
            )
    if not folders and not errors:
        errors.append(
            ContentError(
                courses_dir,
                1,
                "no course found: each course is a folder with a course.yaml in it",
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
    registry = _IdRegistry()
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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


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
        f"{_plural(len(courses), 'course')}, {_plural(lessons, 'lesson')}, "
        f"{_plural(questions, 'question')}"
    )
    if errors:
        print(f"{_plural(len(errors), 'error')}; valid: {summary}")
        return 1
    print(f"{summary}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Load the questions of a course: a lesson's checks and the quiz bank, with
the options, items and parts of each, into the plain dicts grading reads.

Every question kind shares one reader: ``kind`` is ``bank`` (a quiz question),
``check`` (a lesson check) or ``part`` (a part of a scenario), and decides which
keys are allowed and which fields come from the parent. Pure Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yaml.nodes import Node

from lms.content.errors import ContentError
from lms.content.reader import (
    YamlDocument,
    YamlMapping,
    as_mapping,
    bool_field,
    enum_field,
    id_field,
    int_field,
    one_of,
    plural,
    quoted,
    read_yaml_mapping,
    scalar_word,
    seq_field,
    text_field,
)
from lms.content.schema import (
    ALL_TYPE_KEYS,
    BANK_QUESTION_KEYS,
    CHECK_KEYS,
    MULTIPLE_SCORING,
    OPTION_ID_RE,
    PART_KEYS,
    PART_TYPES,
    QUESTION_TYPES,
    SCENARIO_SCORING,
    TAG_RE,
    TYPE_KEYS,
)
from lms.courses.id_registry import CourseIds

__all__ = ["load_bank", "load_question"]


def _options(m: YamlMapping, label: str, low: int, high: int, qtype: str) -> list[dict[str, Any]]:
    nodes = seq_field(
        m,
        "options",
        low,
        high,
        lambda n: f"{label} has {plural(n, 'option')}: a {qtype} question needs {low} to {high}",
    )
    if nodes is None:
        if not m.has("options"):
            m.missing("options", f"add {low} to {high} options, each with id and text")
        return []
    options: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, 1):
        option = as_mapping(m.doc, node, m.doc.line(node), f"option {index}", f"option {index}")
        if option is None:
            continue
        option_id = id_field(option, pattern=OPTION_ID_RE) if option.has("id") else None
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
                "text": text_field(option, "text"),
                "correct": bool_field(option, "correct", required=False),
                "feedback": text_field(option, "feedback", required=False),
            }
        )
    return options


def _items(m: YamlMapping, label: str) -> list[dict[str, Any]]:
    nodes = seq_field(
        m,
        "items",
        3,
        7,
        lambda n: f"{label} has {plural(n, 'item')}: an ordering question needs 3 to 7",
    )
    if nodes is None:
        if not m.has("items"):
            m.missing("items", "add 3 to 7 items, each with id and text, in the correct order")
        return []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, 1):
        item = as_mapping(m.doc, node, m.doc.line(node), f"item {index}", f"item {index}")
        if item is None:
            continue
        item_id = id_field(item, pattern=OPTION_ID_RE) if item.has("id") else None
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
        items.append({"id": item_id, "text": text_field(item, "text")})
    return items


def _question_keys(m: YamlMapping, qtype: str | None, kind: str) -> None:
    common = {"bank": BANK_QUESTION_KEYS, "check": CHECK_KEYS, "part": PART_KEYS}[kind]
    type_keys = TYPE_KEYS.get(qtype or "", ALL_TYPE_KEYS)
    allowed = tuple(common) + tuple(type_keys)
    elsewhere: dict[str, str] = {}
    if qtype in TYPE_KEYS:
        for key in ALL_TYPE_KEYS:
            if key not in type_keys:
                fix = "use answer: true or false" if qtype == "true_false" else "remove it"
                elsewhere[key] = f"key '{key}' is not used by a {qtype} question: {fix}"
    for key in BANK_QUESTION_KEYS:
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


def load_question(
    doc: YamlDocument,
    node: Node,
    index: int,
    kind: str,
    ids: CourseIds,
    parent: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Validate one question (``kind``: bank, check or part) into the grading shape."""
    noun = "part" if kind == "part" else "question"
    m = as_mapping(doc, node, doc.line(node), f"{noun} {index}", f"{noun} {index}")
    if m is None:
        return None
    qid = id_field(m) if m.has("id") else None
    if qid is not None:
        m.label = f"{noun} '{qid}'"
    elif not m.has("id"):
        m.missing("id", "add a stable id (lowercase letters, digits and -)")
    ids.add(doc, m, qid)
    label = m.label

    allowed_types = PART_TYPES if kind == "part" else QUESTION_TYPES
    qtype: str | None = None
    type_node = m.value("type")
    if type_node is None:
        m.missing("type", f"add type: one of {one_of(allowed_types)}")
    else:
        word = scalar_word(type_node)
        if word in allowed_types:
            qtype = word
        elif kind == "part" and word == "scenario":
            doc.error(
                m.key_line("type"),
                f"part type 'scenario' is not allowed in a scenario: "
                f"use one of {one_of(PART_TYPES)}",
            )
        else:
            shown = f"'{word}'" if word is not None else quoted(type_node)
            doc.error(
                m.key_line("type"),
                f"unknown question type {shown}: use one of {one_of(allowed_types)}",
            )
    _question_keys(m, qtype, kind)

    spec: dict[str, Any] = {"id": qid, "type": qtype}
    if kind == "bank":
        topic = None
        topic_node = m.value("topic")
        if topic_node is not None:
            topic = scalar_word(topic_node)
            if topic is None or not TAG_RE.match(topic):
                doc.error(
                    m.key_line("topic"),
                    f"invalid topic {quoted(topic_node)}: use one lowercase tag such as traffic",
                )
                topic = None
        spec["topic"] = topic
        spec["difficulty"] = int_field(m, "difficulty", 1, 3, required=False)
        spec["critical"] = bool_field(m, "critical", required=False)
    elif kind == "part":
        assert parent is not None  # noqa: S101 - parts are only read inside a scenario
        spec["topic"] = parent["topic"]
        spec["difficulty"] = None
        spec["critical"] = parent["critical"]
    else:
        spec["topic"] = None
        spec["difficulty"] = None
        spec["critical"] = False
    spec["prompt"] = text_field(m, "prompt")
    spec["explanation"] = text_field(m, "explanation")
    if kind == "part":
        spec["rule"] = parent["rule"] if parent is not None else None
    else:
        # Checks may leave out the rule: the lesson's own rule step states it.
        spec["rule"] = text_field(m, "rule", required=kind == "bank")

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
        spec["scoring"] = enum_field(m, "scoring", MULTIPLE_SCORING, "scoring")
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
            spec["answer"] = bool_field(m, "answer")
    elif qtype == "ordering":
        spec["items"] = _items(m, label)
    elif qtype == "scenario":
        spec["case"] = text_field(m, "case")
        spec["scoring"] = enum_field(m, "scoring", SCENARIO_SCORING, "scoring")
        part_nodes = seq_field(
            m, "parts", 2, 4, lambda n: f"{label} has {plural(n, 'part')}: a scenario needs 2 to 4"
        )
        if part_nodes is None and not m.has("parts"):
            m.missing("parts", "add 2 to 4 parts, each a question with id, type and prompt")
        parts = []
        for part_index, part_node in enumerate(part_nodes or [], 1):
            part = load_question(doc, part_node, part_index, "part", ids, parent=spec)
            if part is not None:
                parts.append(part)
        spec["parts"] = parts
    return spec


def load_bank(
    path: Path, ids: CourseIds, errors: list[ContentError]
) -> list[dict[str, Any]] | None:
    """Read a question bank file; None when it cannot be read or has no question list.

    A question too broken to read still counts, so the quiz's draw check adds no
    second error for it.
    """
    m = read_yaml_mapping(
        path, errors, "add 'questions:' and a list of questions", path.name, path.name
    )
    if m is None:
        return None
    doc = m.doc
    m.check_keys(("questions",))
    if not m.has("questions"):
        m.missing("questions", "add 'questions:' and a list of questions under it")
        return None
    nodes = seq_field(
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
        question = load_question(doc, node, index, "bank", ids)
        questions.append(question if question is not None else {"id": None, "topic": None})
    return questions

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
from lms.content.fields import (
    bool_field,
    id_field,
    int_field,
    seq_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlDocument,
    YamlMapping,
    as_mapping,
    field_label,
    one_of,
    quoted,
    read_yaml_mapping,
    scalar_word,
)
from lms.content.schema import BANK_QUESTION_KEYS, CHECK_KEYS, PART_KEYS, TAG_RE
from lms.courses.id_registry import CourseIds
from lms.questions import registry

__all__ = ["load_bank", "load_question"]


def _question_keys(m: YamlMapping, qtype: str | None, kind: str) -> None:
    common = {"bank": BANK_QUESTION_KEYS, "check": CHECK_KEYS, "part": PART_KEYS}[kind]
    all_keys = registry.all_file_keys()
    found = registry.QUESTION_TYPES.get(qtype or "")
    type_keys = found.file_keys if found is not None else all_keys
    allowed = tuple(common) + tuple(type_keys)
    elsewhere: dict[str, Message] = {}
    if found is not None:
        for key in all_keys:
            if key not in type_keys:
                elsewhere[key] = msg(
                    "key '%(key)s' is not used by a question of type %(type)s: %(fix)s",
                    key=key,
                    type=msg(found.label),
                    fix=msg(found.foreign_key_fix),
                )
    for key in BANK_QUESTION_KEYS:
        if key in common:
            continue
        if kind == "check":
            elsewhere[key] = msg("key '%(key)s' is not used in lesson checks: remove it", key=key)
        elif key == "difficulty":
            elsewhere[key] = msg("key 'difficulty' is not used in scenario parts: remove it")
        else:
            elsewhere[key] = msg(
                "key '%(key)s' is not used in scenario parts: a part takes topic, critical "
                "and rule from its scenario; remove it",
                key=key,
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
    numbered = (
        msg("part %(number)d", number=index)
        if kind == "part"
        else msg("question %(number)d", number=index)
    )
    m = as_mapping(doc, node, doc.line(node), numbered, numbered)
    if m is None:
        return None
    qid = id_field(m) if m.has("id") else None
    if qid is not None:
        m.label = (
            msg("part '%(id)s'", id=qid) if kind == "part" else msg("question '%(id)s'", id=qid)
        )
    elif not m.has("id"):
        m.missing("id", msg("add a stable id (lowercase letters, digits and -)"))
    ids.add(doc, m, qid)
    label = m.label

    part_types = registry.part_type_names()
    allowed_types = part_types if kind == "part" else registry.type_names()
    qtype: str | None = None
    type_node = m.value("type")
    if type_node is None:
        m.missing("type", msg("add type: one of %(choices)s", choices=one_of(allowed_types)))
    else:
        word = scalar_word(type_node)
        if word in allowed_types:
            qtype = word
        elif kind == "part" and word in registry.QUESTION_TYPES:
            doc.error(
                m.key_line("type"),
                msg(
                    "part type '%(type)s' is not allowed in a scenario: use one of %(choices)s",
                    type=word,
                    choices=one_of(part_types),
                ),
            )
        else:
            shown = f"'{word}'" if word is not None else quoted(type_node)
            doc.error(
                m.key_line("type"),
                msg(
                    "unknown question type %(value)s: use one of %(choices)s",
                    value=shown,
                    choices=one_of(allowed_types),
                ),
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
                    msg(
                        "invalid topic %(value)s: use one lowercase tag such as traffic",
                        value=quoted(topic_node),
                    ),
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

    if qtype is not None:

        def load_part(part_node: Node, part_index: int) -> dict[str, Any] | None:
            return load_question(doc, part_node, part_index, "part", ids, parent=spec)

        registry.get_type(qtype).load(m, spec, label, load_part)
    return spec


def load_bank(
    path: Path, ids: CourseIds, errors: list[ContentError]
) -> list[dict[str, Any]] | None:
    """Read a question bank file; None when it cannot be read or has no question list.

    A question too broken to read still counts, so the quiz's draw check adds no
    second error for it.
    """
    m = read_yaml_mapping(
        path, errors, msg("add 'questions:' and a list of questions"), path.name, path.name
    )
    if m is None:
        return None
    doc = m.doc
    m.check_keys(("questions",))
    if not m.has("questions"):
        m.missing("questions", msg("add 'questions:' and a list of questions under it"))
        return None
    nodes = seq_field(
        m,
        "questions",
        1,
        None,
        lambda n: msg(
            "%(field)s is empty: add at least as many questions as the quiz draws",
            field=field_label("questions"),
        ),
    )
    if nodes is None:
        return None
    questions = []
    for index, node in enumerate(nodes, 1):
        question = load_question(doc, node, index, "bank", ids)
        questions.append(question if question is not None else {"id": None, "topic": None})
    return questions

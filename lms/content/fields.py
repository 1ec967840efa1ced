"""Typed fields of a content file's YAML mapping: texts in every language,
numbers, yes/no, choices, ids and lists, each read with its line and worded
errors (see ``reader`` for the walking itself). Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import NamedTuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.content.messages import Message, msg
from lms.content.reader import (
    BOOL_TAG,
    INT_TAG,
    YamlDocument,
    YamlMapping,
    as_mapping,
    field_label,
    is_null,
    language_label,
    one_of,
    quoted,
    read_translations,
    required_languages,
    scalar_word,
)
from lms.content.schema import ID_RE, LANGUAGES

__all__ = [
    "EntryWording",
    "bool_field",
    "enum_field",
    "id_field",
    "identified_entries",
    "int_field",
    "seq_field",
    "text_field",
    "text_value",
]


def _languages_fix() -> Message:
    """How to write a text: in the course's languages, each on its own line."""
    if required_languages() == ("zh_CN",):
        return msg("put 'zh_CN: ...' on its own line under it")
    return msg("put 'zh_CN: ...' and 'en: ...' on their own lines under it")


def text_value(doc: YamlDocument, node: Node, line: int, name: str) -> dict[str, str] | None:
    """Validate a bilingual text node found at ``line`` (the line of its key)."""
    label = field_label(name)
    if is_null(node):
        doc.error(line, msg("%(field)s is empty: %(fix)s", field=label, fix=_languages_fix()))
        return None
    if isinstance(node, ScalarNode):
        doc.error(
            line,
            msg(
                "%(field)s must be written per language: %(fix)s",
                field=label,
                fix=_languages_fix(),
            ),
        )
        return None
    if isinstance(node, SequenceNode):
        doc.error(
            line,
            msg(
                "%(field)s must be a text per language, not a list: %(fix)s",
                field=label,
                fix=_languages_fix(),
            ),
        )
        return None
    assert isinstance(node, MappingNode)  # noqa: S101 - the three node kinds are exhaustive
    texts = YamlMapping(doc, node, line, label)
    texts.check_keys(LANGUAGES)
    return read_translations(
        texts,
        missing=lambda lang: msg(
            "%(field)s (%(language)s) is missing: add '%(lang)s: ...' under it",
            field=label,
            language=language_label(lang),
            lang=lang,
        ),
        not_text=lambda lang, value: msg(
            "%(field)s (%(language)s) must be text, got %(got)s",
            field=label,
            language=language_label(lang),
            got=quoted(value),
        ),
        empty=lambda lang: msg(
            "%(field)s (%(language)s) is empty: write the %(language)s text",
            field=label,
            language=language_label(lang),
        ),
    )


def text_field(m: YamlMapping, key: str, required: bool = True) -> dict[str, str] | None:
    """A bilingual text under ``key``; a missing one is an error when required."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, msg("add it in every language of the course"))
        return None
    return text_value(m.doc, node, m.key_line(key), key)


def int_field(
    m: YamlMapping, key: str, low: int, high: int | None, required: bool = True
) -> int | None:
    """A whole number under ``key`` from ``low`` to ``high`` (no upper bound when None)."""
    node = m.value(key)
    wanted = (
        msg("a whole number from %(low)d to %(high)d", low=low, high=high)
        if high is not None
        else msg("a whole number, %(low)d or more", low=low)
    )
    if node is None:
        if required:
            m.missing(key, msg("add %(key)s: %(wanted)s", key=key, wanted=wanted))
        return None
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) and node.tag == INT_TAG else None
    if value is None or value < low or (high is not None and value > high):
        m.doc.error(
            m.key_line(key),
            msg(
                "%(field)s must be %(wanted)s, got %(got)s",
                field=field_label(key),
                wanted=wanted,
                got=quoted(node),
            ),
        )
        return None
    return int(value)


def bool_field(m: YamlMapping, key: str, required: bool = True, default: bool = False) -> bool:
    """``true`` or ``false`` under ``key``; ``default`` when it is missing or bad."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, msg("add %(key)s: true or %(key)s: false", key=key))
        return default
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) and node.tag == BOOL_TAG else None
    if isinstance(value, bool):
        return value
    m.doc.error(
        m.key_line(key),
        msg(
            "%(field)s must be true or false, got %(got)s", field=field_label(key), got=quoted(node)
        ),
    )
    return default


def enum_field(
    m: YamlMapping, key: str, choices: Sequence[str], what: Message | str, required: bool = True
) -> str | None:
    """One of ``choices`` under ``key``; ``what`` names the kind of value in the error."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, msg("add %(key)s: one of %(choices)s", key=key, choices=one_of(choices)))
        return None
    word = scalar_word(node)
    if word in choices:
        return word
    shown = f"'{word}'" if word is not None else quoted(node)
    m.doc.error(
        m.key_line(key),
        msg(
            "unknown %(what)s %(value)s: use one of %(choices)s",
            what=what,
            value=shown,
            choices=one_of(choices),
        ),
    )
    return None


def id_field(m: YamlMapping, key: str = "id", pattern: re.Pattern[str] = ID_RE) -> str | None:
    """A stable id under ``key`` that matches ``pattern``."""
    node = m.value(key)
    if node is None:
        m.missing(key, msg("add a stable id (lowercase letters, digits and -)"))
        return None
    word = scalar_word(node)
    if word is None or not pattern.match(word):
        rule = "2-64" if pattern is ID_RE else "1-64"
        m.doc.error(
            m.key_line(key),
            msg(
                "invalid %(field)s %(value)s: use %(rule)s lowercase letters, digits and -, "
                "starting with a letter or digit",
                field=field_label(key),
                value=quoted(node),
                rule=rule,
            ),
        )
        return None
    return word


def seq_field(
    m: YamlMapping,
    key: str,
    low: int,
    high: int | None,
    count_message: Callable[[int], Message | str],
) -> list[Node] | None:
    """Return the items of a list field; errors for a non-list or a bad count."""
    node = m.value(key)
    if node is None:
        return None
    if not isinstance(node, SequenceNode):
        if is_null(node):
            m.doc.error(m.key_line(key), count_message(0))
        else:
            m.doc.error(
                m.key_line(key),
                msg(
                    "%(field)s must be a list ('- ' items), got %(got)s",
                    field=field_label(key),
                    got=quoted(node),
                ),
            )
        return None
    count = len(node.value)
    if count < low or (high is not None and count > high):
        m.doc.error(m.key_line(key), count_message(count))
    return list(node.value)


# ------------------------------------------------------------------ files


class EntryWording(NamedTuple):
    """How errors name the entries of a list with ids (an option, an item):
    whole sentences per noun, because a translation cannot splice the noun in."""

    numbered: Callable[[int], Message]
    named: Callable[[str], Message]
    duplicate: Callable[[str], Message]


def identified_entries(
    m: YamlMapping,
    nodes: Sequence[Node],
    keys: Sequence[str],
    id_pattern: re.Pattern[str],
    wording: EntryWording,
) -> list[tuple[YamlMapping, str | None]]:
    """Each mapping of a list whose entries carry an id unique in the list, with
    that id (None when it is missing or malformed: the error is reported)."""
    entries: list[tuple[YamlMapping, str | None]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, 1):
        numbered = wording.numbered(index)
        entry = as_mapping(m.doc, node, m.doc.line(node), numbered, numbered)
        if entry is None:
            continue
        entry_id = id_field(entry, pattern=id_pattern) if entry.has("id") else None
        if entry_id is not None:
            entry.label = wording.named(entry_id)
        elif not entry.has("id"):
            entry.missing("id", msg("add id: a, b, c ... (unique within the question)"))
        entry.check_keys(keys)
        if entry_id is not None:
            if entry_id in seen:
                m.doc.error(entry.key_line("id"), wording.duplicate(entry_id))
            seen.add(entry_id)
        entries.append((entry, entry_id))
    return entries

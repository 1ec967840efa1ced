"""Walk a content file's YAML with line marks and read typed values from it.

Shared by the course and the levels loaders: a value that is not what the
schema wants becomes a ``ContentError`` on the line of its key, worded with the
fix, and reading goes on so every problem of a file is found in one pass.
Pure Python.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.content.errors import ContentError
from lms.content.schema import ID_RE, LANGUAGE_NAMES, LANGUAGES

__all__ = [
    "BOOL_TAG",
    "INT_TAG",
    "NULL_TAG",
    "SAFE_LOADER",
    "STR_TAG",
    "YamlDocument",
    "YamlMapping",
    "YamlProblem",
    "as_mapping",
    "bool_field",
    "closest",
    "compose_yaml",
    "enum_field",
    "id_field",
    "int_field",
    "is_null",
    "one_of",
    "parse_yaml",
    "plural",
    "quoted",
    "read_file_text",
    "read_translations",
    "read_yaml_mapping",
    "scalar_word",
    "seq_field",
    "text_field",
    "text_value",
    "unknown_keys",
]

#: The tags the safe resolver gives plain scalars.
STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"

# libyaml's C parser when present: same safe rules and marks, several times faster.
SAFE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# ------------------------------------------------------------------ wording


def quoted(node: Node) -> str:
    """How a bad value is quoted back in an error message (shared by every content loader)."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == NULL_TAG:
        return "nothing"
    if node.tag == STR_TAG:
        return f"'{node.value}'"
    return str(node.value)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known key a mistyped one most likely meant, for "did you mean" hints."""
    by_lower = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[match[0]] if match else None


def one_of(choices: Sequence[str]) -> str:
    """The allowed values, as an error message lists them."""
    return ", ".join(choices)


def plural(count: int, word: str) -> str:
    """``1 option``, ``3 options``: a count with its noun."""
    return f"{count} {word}{'' if count == 1 else 's'}"


# ------------------------------------------------------------------ documents


class YamlDocument:
    """A YAML document being validated: where its errors go and how to number lines."""

    def __init__(self, path: Path, errors: list[ContentError], offset: int = 0) -> None:
        self.path = path
        self.errors = errors
        # Lines of YAML embedded in a file (lesson front matter) start below line 1.
        self.offset = offset
        # Per document, because SafeConstructor caches every node it builds.
        self.constructor = SafeConstructor()

    def line(self, node: Node) -> int:
        """The 1-based line of the file the node starts on."""
        return node.start_mark.line + 1 + self.offset

    def error(self, line: int, message: str) -> None:
        """Report a problem on a line of this document's file."""
        self.errors.append(ContentError(self.path, line, message))

    def scalar(self, node: ScalarNode) -> Any:
        """The Python value of an int/bool scalar, or None when it cannot be built."""
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, KeyError, yaml.YAMLError):
            # An explicit tag such as `!!int abc` resolves but cannot be constructed.
            return None


def unknown_keys(
    fields: Mapping[str, tuple[Node, Node]], allowed: Sequence[str]
) -> Iterator[tuple[str, Node, str | None]]:
    """Each key not allowed here, its key node, and the allowed key it likely meant.

    The guess is left out when that key is already present: suggesting it would
    only make a duplicate.
    """
    for key, (key_node, _value) in fields.items():
        if key in allowed:
            continue
        guess = closest(key, allowed)
        yield key, key_node, guess if guess is not None and guess not in fields else None


class YamlMapping:
    """A YAML mapping with the line of the key that owns it and a label for messages."""

    def __init__(self, doc: YamlDocument, node: MappingNode, line: int, label: str) -> None:
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
        for key, key_node, guess in unknown_keys(self.fields, allowed):
            line = self.doc.line(key_node)
            if key in elsewhere:
                self.doc.error(line, elsewhere[key])
            elif guess is not None:
                self.doc.error(line, f"unknown key '{key}': did you mean '{guess}'?")
            else:
                self.doc.error(
                    line, f"unknown key '{key}': remove it (allowed here: {one_of(allowed)})"
                )

    def has(self, key: str) -> bool:
        """Whether the key is written here."""
        return key in self.fields

    def value(self, key: str) -> Node | None:
        """The value node of a key, or None when the key is not written."""
        entry = self.fields.get(key)
        return entry[1] if entry else None

    def key_line(self, key: str) -> int:
        """The line of a key that is written here."""
        return self.doc.line(self.fields[key][0])

    def missing(self, key: str, fix: str) -> None:
        """Report a required key that is not written, on the line that owns the mapping."""
        self.doc.error(self.line, f"{self.label} has no {key}: {fix}")


def as_mapping(
    doc: YamlDocument,
    node: Node | None,
    line: int,
    label: str,
    what: str,
    fix: str = "write one 'key: value' per line",
) -> YamlMapping | None:
    """The node as a mapping, or None with an error when it is anything else."""
    if isinstance(node, MappingNode):
        return YamlMapping(doc, node, line, label)
    got = "nothing" if node is None else quoted(node)
    doc.error(line, f"{what} must be a mapping of keys, got {got}: {fix}")
    return None


# ------------------------------------------------------------------ values


def is_null(node: Node) -> bool:
    """Whether the node is an empty value (nothing, ``~`` or ``null``)."""
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def scalar_word(node: Node) -> str | None:
    """The plain text of a scalar used as a name (ids, enums), or None."""
    if isinstance(node, ScalarNode) and node.tag != NULL_TAG:
        return str(node.value).strip()
    return None


# The languages a course is published in: every text must be written in these,
# the others may be left empty. A context variable rather than a parameter so
# every reader of one course's files sees its course.yaml's choice.
_REQUIRED_LANGUAGES: ContextVar[tuple[str, ...]] = ContextVar(
    "required_languages", default=LANGUAGES
)


def required_languages() -> tuple[str, ...]:
    """The languages every text of the course being read must be written in."""
    return _REQUIRED_LANGUAGES.get()


@contextlib.contextmanager
def publishing_in(languages: Sequence[str]) -> Iterator[None]:
    """Read the texts of one course as published in ``languages`` only."""
    token = _REQUIRED_LANGUAGES.set(tuple(lang for lang in LANGUAGES if lang in languages))
    try:
        yield
    finally:
        _REQUIRED_LANGUAGES.reset(token)


def read_translations(
    texts: YamlMapping,
    *,
    missing: Callable[[str], str],
    not_text: Callable[[str, Node], str],
    empty: Callable[[str], str],
) -> dict[str, str] | None:
    """The text in every language of a bilingual mapping, or None when any is bad.

    Each loader words the three problems its own way: a language missing (on the
    line of the mapping's key), a value that is not text, or an empty one.
    """
    result: dict[str, str] = {}
    required = required_languages()
    for lang in LANGUAGES:
        value = texts.value(lang)
        if value is None:
            if lang in required:
                texts.doc.error(texts.line, missing(lang))
            else:
                result[lang] = ""
            continue
        lang_line = texts.key_line(lang)
        if not isinstance(value, ScalarNode):
            texts.doc.error(lang_line, not_text(lang, value))
            continue
        # Any scalar is text here: `en: 15` or `en: no` mean the words, not a number or false.
        text = "" if value.tag == NULL_TAG else str(value.value).strip()
        if not text and lang in required:
            texts.doc.error(lang_line, empty(lang))
            continue
        result[lang] = text
    return result if len(result) == len(LANGUAGES) else None


def text_value(doc: YamlDocument, node: Node, line: int, name: str) -> dict[str, str] | None:
    """Validate a bilingual text node found at ``line`` (the line of its key)."""
    if is_null(node):
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
    texts = YamlMapping(doc, node, line, name)
    texts.check_keys(LANGUAGES)
    return read_translations(
        texts,
        missing=lambda lang: f"missing '{lang}' translation in {name}",
        not_text=lambda lang, value: (
            f"'{lang}' translation in {name} must be text, got {quoted(value)}"
        ),
        empty=lambda lang: (
            f"'{lang}' translation in {name} is empty: write the {LANGUAGE_NAMES[lang]} text"
        ),
    )


def text_field(m: YamlMapping, key: str, required: bool = True) -> dict[str, str] | None:
    """A bilingual text under ``key``; a missing one is an error when required."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, f"add {key} with zh_CN and en")
        return None
    return text_value(m.doc, node, m.key_line(key), key)


def int_field(
    m: YamlMapping, key: str, low: int, high: int | None, required: bool = True
) -> int | None:
    """A whole number under ``key`` from ``low`` to ``high`` (no upper bound when None)."""
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
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) and node.tag == INT_TAG else None
    if value is None or value < low or (high is not None and value > high):
        m.doc.error(m.key_line(key), f"{key} must be {wanted}, got {quoted(node)}")
        return None
    return int(value)


def bool_field(m: YamlMapping, key: str, required: bool = True, default: bool = False) -> bool:
    """``true`` or ``false`` under ``key``; ``default`` when it is missing or bad."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, f"add {key}: true or {key}: false")
        return default
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) and node.tag == BOOL_TAG else None
    if isinstance(value, bool):
        return value
    m.doc.error(m.key_line(key), f"{key} must be true or false, got {quoted(node)}")
    return default


def enum_field(
    m: YamlMapping, key: str, choices: Sequence[str], what: str, required: bool = True
) -> str | None:
    """One of ``choices`` under ``key``; ``what`` names the kind of value in the error."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, f"add {key}: one of {one_of(choices)}")
        return None
    word = scalar_word(node)
    if word in choices:
        return word
    shown = f"'{word}'" if word is not None else quoted(node)
    m.doc.error(m.key_line(key), f"unknown {what} {shown}: use one of {one_of(choices)}")
    return None


def id_field(m: YamlMapping, key: str = "id", pattern: re.Pattern[str] = ID_RE) -> str | None:
    """A stable id under ``key`` that matches ``pattern``."""
    node = m.value(key)
    if node is None:
        m.missing(key, "add a stable id (lowercase letters, digits and -)")
        return None
    word = scalar_word(node)
    if word is None or not pattern.match(word):
        rule = "2-64" if pattern is ID_RE else "1-64"
        m.doc.error(
            m.key_line(key),
            f"invalid {key} {quoted(node)}: use {rule} lowercase letters, digits and -, "
            "starting with a letter or digit",
        )
        return None
    return word


def seq_field(
    m: YamlMapping, key: str, low: int, high: int | None, count_message: Callable[[int], str]
) -> list[Node] | None:
    """Return the items of a list field; errors for a non-list or a bad count."""
    node = m.value(key)
    if node is None:
        return None
    if not isinstance(node, SequenceNode):
        if is_null(node):
            m.doc.error(m.key_line(key), count_message(0))
        else:
            m.doc.error(m.key_line(key), f"{key} must be a list ('- ' items), got {quoted(node)}")
        return None
    count = len(node.value)
    if count < low or (high is not None and count > high):
        m.doc.error(m.key_line(key), count_message(count))
    return list(node.value)


# ------------------------------------------------------------------ files


def read_file_text(path: Path, errors: list[ContentError], empty_fix: str) -> str | None:
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


@dataclass(frozen=True)
class YamlProblem:
    """Why a text is not YAML: the 1-based line in the text and the parser's words.

    ``is_syntax`` tells a syntax error the parser placed with a mark from a
    stream it could not read at all (a control character, say).
    """

    line: int
    problem: str
    is_syntax: bool


def parse_yaml(text: str, loader: type[Any] = SAFE_LOADER) -> Node | YamlProblem | None:
    """The root node of a YAML text (None for no document) or what stops it parsing."""
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return YamlProblem(line, exc.problem or exc.context or "cannot parse", is_syntax=True)
    except yaml.YAMLError as exc:
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if position is not None else 1
        return YamlProblem(line, str(exc), is_syntax=False)


def compose_yaml(doc: YamlDocument, text: str) -> Node | None:
    """The root node of the document's text, or None with an error when it is not YAML."""
    parsed = parse_yaml(text)
    if not isinstance(parsed, YamlProblem):
        return parsed
    line = parsed.line + doc.offset
    if parsed.is_syntax:
        doc.error(
            line,
            f"YAML syntax error: {parsed.problem}: check the indentation and put text that "
            "contains ': ' or ' #' in quotes",
        )
    else:
        doc.error(line, f"YAML error: {parsed.problem}: remove the character or fix the file")
    return None


def read_yaml_mapping(
    path: Path, errors: list[ContentError], empty_fix: str, label: str, what: str
) -> YamlMapping | None:
    """The top-level mapping of a YAML file, or None when it cannot be read as one.

    A file that holds only comments is None with no error: the caller decides
    what its absence means.
    """
    text = read_file_text(path, errors, empty_fix)
    if text is None:
        return None
    doc = YamlDocument(path, errors)
    root = compose_yaml(doc, text)
    if root is None:
        return None
    return as_mapping(doc, root, doc.line(root), label, what)

"""Walk a content file's YAML with line marks and read typed values from it.

Shared by the course and the levels loaders: a value that is not what the
schema wants becomes a ``ContentError`` on the line of its key, worded with the
fix, and reading goes on so every problem of a file is found in one pass.
Pure Python.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.content.errors import ContentError
from lms.content.messages import Message, msg
from lms.content.schema import FIELD_LABELS, LANGUAGE_LABELS, LANGUAGES

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
    "closest",
    "compose_yaml",
    "field_label",
    "language_label",
    "is_null",
    "one_of",
    "parse_yaml",
    "plural",
    "quoted",
    "read_file_text",
    "read_translations",
    "read_yaml_mapping",
    "scalar_word",
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


def field_label(key: str) -> Message | str:
    """How a message names the field a key holds: its label, or the key when it has none."""
    label = FIELD_LABELS.get(key)
    return msg(label) if label is not None else key


def language_label(lang: str) -> Message:
    """How a message names a language."""
    return msg(LANGUAGE_LABELS[lang])


def quoted(node: Node) -> Message | str:
    """How a bad value is quoted back in an error message (shared by every content loader)."""
    if isinstance(node, MappingNode):
        return msg("a mapping")
    if isinstance(node, SequenceNode):
        return msg("a list")
    if node.tag == NULL_TAG:
        return msg("nothing")
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

    def error(self, line: int, message: Message | str) -> None:
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

    def __init__(
        self, doc: YamlDocument, node: MappingNode, line: int, label: Message | str
    ) -> None:
        self.doc = doc
        self.line = line
        self.label = label
        self.fields: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                doc.error(
                    doc.line(key_node), msg("a key must be a plain name: remove the brackets")
                )
                continue
            key = str(key_node.value)
            if key in self.fields:
                first = doc.line(self.fields[key][0])
                doc.error(
                    doc.line(key_node),
                    msg(
                        "duplicate key '%(key)s' (first at line %(first)d): keep only one",
                        key=key,
                        first=first,
                    ),
                )
                continue
            self.fields[key] = (key_node, value_node)

    def check_keys(
        self, allowed: Sequence[str], elsewhere: Mapping[str, Message | str] | None = None
    ) -> None:
        """Report keys that are not allowed here, with a fix for each."""
        elsewhere = elsewhere or {}
        for key, key_node, guess in unknown_keys(self.fields, allowed):
            line = self.doc.line(key_node)
            if key in elsewhere:
                self.doc.error(line, elsewhere[key])
            elif guess is not None:
                self.doc.error(
                    line,
                    msg("unknown key '%(key)s': did you mean '%(guess)s'?", key=key, guess=guess),
                )
            else:
                self.doc.error(
                    line,
                    msg(
                        "unknown key '%(key)s': remove it (allowed here: %(allowed)s)",
                        key=key,
                        allowed=one_of(allowed),
                    ),
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

    def missing(self, key: str, fix: Message | str) -> None:
        """Report a required key that is not written, on the line that owns the mapping."""
        self.doc.error(
            self.line,
            msg(
                "%(owner)s has no %(field)s: %(fix)s",
                owner=self.label,
                field=field_label(key),
                fix=fix,
            ),
        )


def as_mapping(
    doc: YamlDocument,
    node: Node | None,
    line: int,
    label: Message | str,
    what: Message | str,
    fix: Message | str | None = None,
) -> YamlMapping | None:
    """The node as a mapping, or None with an error when it is anything else."""
    if isinstance(node, MappingNode):
        return YamlMapping(doc, node, line, label)
    got = msg("nothing") if node is None else quoted(node)
    doc.error(
        line,
        msg(
            "%(what)s must be a mapping of keys, got %(got)s: %(fix)s",
            what=what,
            got=got,
            fix=fix if fix is not None else msg("write one 'key: value' per line"),
        ),
    )
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
    missing: Callable[[str], Message | str],
    not_text: Callable[[str, Node], Message | str],
    empty: Callable[[str], Message | str],
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


def read_file_text(path: Path, errors: list[ContentError], empty_fix: Message | str) -> str | None:
    """Read a UTF-8 file; BOM and CRLF are normalised so they never reach the hash."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(
            ContentError(path, 1, msg("cannot read file (%(reason)s)", reason=exc.strerror))
        )
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = f"{raw[exc.start]:02x}"
        errors.append(
            ContentError(
                path,
                line,
                msg(
                    "file is not valid UTF-8 (byte 0x%(byte)s): save it with UTF-8 encoding",
                    byte=byte,
                ),
            )
        )
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        errors.append(ContentError(path, 1, msg("file is empty: %(fix)s", fix=empty_fix)))
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
            msg(
                "YAML syntax error: %(problem)s: check the indentation and put text that "
                "contains ': ' or ' #' in quotes",
                problem=parsed.problem,
            ),
        )
    else:
        doc.error(
            line,
            msg(
                "YAML error: %(problem)s: remove the character or fix the file",
                problem=parsed.problem,
            ),
        )
    return None


def read_yaml_mapping(
    path: Path,
    errors: list[ContentError],
    empty_fix: Message | str,
    label: Message | str,
    what: Message | str,
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

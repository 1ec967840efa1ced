"""The shared YAML reader, worded for ``content/levels.yaml``: every message says
where it is, and every error is collected so the file is fixed in one pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lms.content.errors import ContentError
from lms.content.messages import Message, msg
from lms.content.reader import (
    INT_TAG,
    STR_TAG,
    YamlDocument,
    YamlMapping,
    as_mapping,
    one_of,
    quoted,
    read_translations,
    unknown_keys,
)
from lms.content.schema import LANGUAGES


class LevelsReader:
    """The shared content reader, worded for levels.yaml: each message says where it is."""

    def __init__(self, path: Path) -> None:
        self.errors: list[ContentError] = []
        self.doc = YamlDocument(path, self.errors)

    def error(self, node: Node | int, message: Message | str) -> None:
        line = node if isinstance(node, int) else self.doc.line(node)
        self.doc.error(line, message)

    def mapping(
        self, node: Node | None, line: int, what: Message | str
    ) -> dict[str, tuple[Node, Node]]:
        """The keys of a mapping node (first of any duplicate), or {} with an error."""
        found = as_mapping(self.doc, node, line, what, what, fix=msg("write 'key: value' lines"))
        return found.fields if found is not None else {}

    def check_keys(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        allowed: Sequence[str],
        where: Message | str,
    ) -> None:
        for key, key_node, guess in unknown_keys(fields, allowed):
            if guess is not None:
                self.error(
                    key_node,
                    msg(
                        "unknown key '%(key)s' in %(where)s: did you mean '%(guess)s'?",
                        key=key,
                        where=where,
                        guess=guess,
                    ),
                )
            else:
                self.error(
                    key_node,
                    msg(
                        "unknown key '%(key)s' in %(where)s: remove it (allowed: %(allowed)s)",
                        key=key,
                        where=where,
                        allowed=one_of(allowed),
                    ),
                )

    def text(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        line: int,
        where: Message | str,
        required: bool = True,
    ) -> dict[str, str] | None:
        """A bilingual text: a mapping with every language, none empty."""
        if key not in fields:
            if required:
                self.error(
                    line,
                    msg(
                        "%(where)s has no %(key)s: add %(key)s with zh_CN and en",
                        where=where,
                        key=key,
                    ),
                )
            return None
        key_node, node = fields[key]
        if not isinstance(node, MappingNode):
            self.error(
                key_node,
                msg(
                    "%(key)s in %(where)s must be written in both languages: put 'zh_CN: ...' "
                    "and 'en: ...' on their own lines under %(key)s",
                    key=key,
                    where=where,
                ),
            )
            return None
        texts = YamlMapping(self.doc, node, self.doc.line(key_node), key)
        self.check_keys(texts.fields, LANGUAGES, key)

        def empty(lang: str) -> Message:
            return msg(
                "'%(lang)s' translation in %(key)s of %(where)s is empty: write it",
                lang=lang,
                key=key,
                where=where,
            )

        # Unlike a course file, a value that is not text is reported as empty here.
        return read_translations(
            texts,
            missing=lambda lang: msg(
                "missing '%(lang)s' translation in %(key)s of %(where)s",
                lang=lang,
                key=key,
                where=where,
            ),
            not_text=lambda lang, _value: empty(lang),
            empty=empty,
        )

    def integer(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        line: int,
        where: Message | str,
        low: int,
        high: int,
    ) -> int | None:
        wanted = msg("a whole number from %(low)d to %(high)d", low=low, high=high)
        if key not in fields:
            self.error(
                line,
                msg(
                    "%(where)s has no %(key)s: add %(key)s: %(wanted)s",
                    where=where,
                    key=key,
                    wanted=wanted,
                ),
            )
            return None
        key_node, node = fields[key]
        # The digits as written, as this file has always been read: the course
        # loader's YAML 1.1 constructor would read 080 as octal, for one.
        value = int(node.value) if isinstance(node, ScalarNode) and node.tag == INT_TAG else None
        if value is None or not low <= value <= high:
            self.error(
                key_node,
                msg(
                    "%(key)s in %(where)s must be %(wanted)s, got %(got)s",
                    key=key,
                    where=where,
                    wanted=wanted,
                    got=quoted(node),
                ),
            )
            return None
        return value

    def word(
        self, fields: Mapping[str, tuple[Node, Node]], key: str, line: int, where: Message | str
    ) -> tuple[str, int] | None:
        """A plain scalar (an id, a url) and its line."""
        if key not in fields:
            self.error(line, msg("%(where)s has no %(key)s: add %(key)s", where=where, key=key))
            return None
        key_node, node = fields[key]
        if not isinstance(node, ScalarNode) or node.tag != STR_TAG or not str(node.value).strip():
            self.error(
                key_node,
                msg(
                    "%(key)s in %(where)s must be plain text, got %(got)s",
                    key=key,
                    where=where,
                    got=quoted(node),
                ),
            )
            return None
        return str(node.value).strip(), self.doc.line(key_node)

    def words(
        self,
        fields: Mapping[str, tuple[Node, Node]],
        key: str,
        line: int,
        where: Message | str,
        required: bool,
    ) -> list[tuple[str, int]] | None:
        """A list of plain scalars (course ids) with their lines."""
        if key not in fields:
            if required:
                self.error(
                    line,
                    msg(
                        "%(where)s has no %(key)s: add %(key)s: [course-id, ...]",
                        where=where,
                        key=key,
                    ),
                )
            return None
        key_node, node = fields[key]
        if not isinstance(node, SequenceNode) or not node.value:
            self.error(
                key_node,
                msg(
                    "%(key)s in %(where)s must be a list of course ids, e.g. [logistics]",
                    key=key,
                    where=where,
                ),
            )
            return None
        found: list[tuple[str, int]] = []
        for item in node.value:
            if not isinstance(item, ScalarNode) or item.tag != STR_TAG:
                self.error(
                    item,
                    msg(
                        "%(key)s in %(where)s must list course ids, got %(got)s",
                        key=key,
                        where=where,
                        got=quoted(item),
                    ),
                )
                continue
            found.append((str(item.value).strip(), self.doc.line(item)))
        return found

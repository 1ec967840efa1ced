"""Reading the lists and numbers the newer question types write in files, with
the same file:line errors as the rest of the loader. Pure Python."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from yaml.nodes import ScalarNode

from lms.content.fields import (
    id_field,
    seq_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
    as_mapping,
    field_label,
    is_null,
    quoted,
)
from lms.content.schema import N_, OPTION_ID_RE

#: How a message numbers, then names, an entry of each list.
ENTRY_NAMES: dict[str, tuple[str, str]] = {
    "pair": (N_("pair %(number)d"), N_("pair '%(id)s'")),
    "distractor": (N_("wrong match %(number)d"), N_("wrong match '%(id)s'")),
    "answer": (N_("answer %(number)d"), N_("answer '%(id)s'")),
}

#: Longest number a learner or author may write (digits, sign, point).
MAX_NUMBER_CHARS = 40


def read_entries(
    m: YamlMapping,
    key: str,
    low: int,
    high: int,
    noun: str,
    label: Message | str,
    keys: Sequence[str],
    with_id: bool = True,
    required: bool = True,
) -> list[tuple[YamlMapping, str | None]]:
    """The mappings of the list under ``key`` with their ids (unique within the question)."""
    nodes = seq_field(
        m,
        key,
        low,
        high,
        lambda n: msg(
            "%(owner)s has %(count)d under %(field)s: it needs %(low)d to %(high)d",
            owner=label,
            count=n,
            field=field_label(key),
            low=low,
            high=high,
        ),
    )
    if nodes is None:
        if required and not m.has(key):
            m.missing(
                key, msg("add %(key)s: %(low)d to %(high)d entries", key=key, low=low, high=high)
            )
        return []
    entries: list[tuple[YamlMapping, str | None]] = []
    seen: set[str] = set()
    for index, node in enumerate(nodes, 1):
        numbered = msg(ENTRY_NAMES[noun][0], number=index)
        entry = as_mapping(m.doc, node, m.doc.line(node), numbered, numbered)
        if entry is None:
            continue
        entry_id = None
        if with_id:
            entry_id = id_field(entry, pattern=OPTION_ID_RE) if entry.has("id") else None
            if entry_id is not None:
                entry.label = msg(ENTRY_NAMES[noun][1], id=entry_id)
            elif not entry.has("id"):
                entry.missing("id", msg("add id: a, b, c ... (unique within the question)"))
            if entry_id is not None:
                if entry_id in seen:
                    m.doc.error(
                        entry.key_line("id"),
                        msg(
                            "duplicate id '%(id)s' in %(owner)s: give each its own id",
                            id=entry_id,
                            owner=label,
                        ),
                    )
                seen.add(entry_id)
        entry.check_keys(tuple(keys))
        entries.append((entry, entry_id))
    return entries


def parse_number(text: str) -> Decimal | None:
    """A finite decimal number from text, or None (no exponents, no infinities)."""
    text = text.strip()
    if not text or len(text) > MAX_NUMBER_CHARS or any(c in text for c in "eEnN_"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def number_field(m: YamlMapping, key: str, required: bool = False) -> str | None:
    """A decimal number under ``key``, kept as its canonical text so specs stay exact."""
    node = m.value(key)
    if node is None:
        if required:
            m.missing(key, msg("add %(key)s: a number such as 12.5", key=key))
        return None
    value = (
        parse_number(str(node.value))
        if isinstance(node, ScalarNode) and not is_null(node)
        else None
    )
    if value is None:
        m.doc.error(
            m.key_line(key),
            msg(
                "%(field)s must be a number such as 12.5, got %(got)s",
                field=field_label(key),
                got=quoted(node),
            ),
        )
        return None
    return format_number(value)


def format_number(value: Decimal) -> str:
    """A decimal as plain text without a trailing ``.0`` or exponent."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def credit_field(m: YamlMapping) -> int:
    """``credit``: the percent an answer earns (1 to 100, default 100)."""
    node = m.value("credit")
    if node is None:
        return 100
    value = m.doc.scalar(node) if isinstance(node, ScalarNode) else None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        m.doc.error(
            m.key_line("credit"),
            msg(
                "%(field)s must be a whole percent from 1 to 100, got %(got)s",
                field=field_label("credit"),
                got=quoted(node),
            ),
        )
        return 100
    return value

"""Reading a question-bank file in one of the formats the studio imports."""

from __future__ import annotations

from collections.abc import Callable

from lms.studio.aiken import parse_aiken
from lms.studio.gift import parse_gift
from lms.studio.imported_questions import ImportResult

__all__ = ["FORMATS", "PARSERS", "parse_bank"]

#: Each format's parser, called with the file's text and the language it is written in.
PARSERS: dict[str, Callable[[str, str], ImportResult]] = {
    "gift": parse_gift,
    "aiken": parse_aiken,
}
FORMATS: tuple[str, ...] = tuple(PARSERS)


def parse_bank(fmt: str, text: str, language: str) -> ImportResult:
    """Read a GIFT or Aiken file; ``language`` is the language it is written in."""
    parser = PARSERS.get(fmt)
    if parser is None:
        raise ValueError(f"unknown format {fmt!r}")
    return parser(text, language)

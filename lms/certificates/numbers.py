"""Human-readable, typo-proof numbers for the LMS's own training certificates.

A number is ``LMS`` + 13 Crockford base32 characters (65 random bits) + one
Crockford mod-37 check symbol, shown as ``LMS-XXXX-XXXX-XXXX-XC``.

Why this shape:

* The ``LMS`` prefix and the 17/21-character lengths keep these numbers apart
  from the official 职业技能等级证书 numbers (22 characters, starting with Y or S),
  so nobody can mistake an LMS training certificate for a state-recognised one.
* Crockford base32 has no I, L, O or U in its data alphabet, so people who
  read a number off paper cannot confuse 1/I/L or 0/O; those aliases are
  accepted on input.
* The check value is the number modulo 37, a prime larger than the radix 32.
  A single substitution changes the value by ``d * 32**i`` with ``0 < |d| < 32``
  and an adjacent transposition by ``d * 31 * 32**i``; neither factor shares a
  divisor with 37, so both kinds of typo always change the check symbol.

Standard library only: this module must stay importable without Flask.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "CHECK_ALPHABET",
    "COMPACT_LENGTH",
    "DATA_ALPHABET",
    "DATA_LENGTH",
    "FORMATTED_LENGTH",
    "PREFIX",
    "MalformedNumber",
    "NumberCheck",
    "NumberStatus",
    "check_number",
    "check_symbol",
    "format_number",
    "new_certificate_number",
    "normalise_number",
]

PREFIX = "LMS"
DATA_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: The five extra symbols exist only so that every residue mod 37 has a symbol.
CHECK_ALPHABET = DATA_ALPHABET + "*~$=U"
DATA_LENGTH = 13
RANDOM_BITS = 5 * DATA_LENGTH
GROUPS = (4, 4, 4, 2)
COMPACT_LENGTH = len(PREFIX) + DATA_LENGTH + 1
FORMATTED_LENGTH = COMPACT_LENGTH + len(GROUPS)
#: Official 职业技能等级证书 numbers: never issue or accept these as ours.
OFFICIAL_LENGTH = 22
OFFICIAL_PREFIXES = ("Y", "S")

_CHECK_MODULUS = len(CHECK_ALPHABET)
_DATA_VALUES = {symbol: value for value, symbol in enumerate(DATA_ALPHABET)}
_CHECK_VALUES = {symbol: value for value, symbol in enumerate(CHECK_ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# People paste numbers from PDFs and chat apps, which bring typographic dashes
# and ideographic spaces; to a reader all of them are only separators.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")

KEY_OK = "certificates.number.ok"
KEY_EMPTY = "certificates.number.malformed.empty"
KEY_OFFICIAL = "certificates.number.malformed.official"
KEY_PREFIX = "certificates.number.malformed.prefix"
KEY_LENGTH = "certificates.number.malformed.length"
KEY_CHARACTER = "certificates.number.malformed.character"
KEY_MISTYPED = "certificates.number.mistyped"


class NumberStatus(StrEnum):
    """Outcome of checking a typed certificate number."""

    OK = "ok"
    MALFORMED = "malformed"
    MISTYPED = "mistyped"


@dataclass(frozen=True)
class NumberCheck:
    """Result of :func:`check_number`; ``number`` is the formatted form when ok."""

    status: NumberStatus
    message_key: str
    number: str | None = None

    @property
    def ok(self) -> bool:
        """True when the number is well formed and its check symbol matches."""
        return self.status is NumberStatus.OK

    @property
    def compact(self) -> str | None:
        """The canonical form without separators (for storage and lookup)."""
        return None if self.number is None else self.number.replace("-", "")


class MalformedNumber(ValueError):
    """Text that cannot be a certificate number (wrong prefix, length or symbols)."""

    def __init__(self, message: str, message_key: str) -> None:
        super().__init__(message)
        self.message_key = message_key


def _encode(value: int) -> str:
    digits = []
    for _ in range(DATA_LENGTH):
        value, digit = divmod(value, 32)
        digits.append(DATA_ALPHABET[digit])
    return "".join(reversed(digits))


def _decode(data: str) -> int:
    value = 0
    for symbol in data:
        value = value * 32 + _DATA_VALUES[symbol]
    return value


def check_symbol(data: str) -> str:
    """Crockford mod-37 check symbol of a canonical 13-symbol data part."""
    if len(data) != DATA_LENGTH or any(s not in _DATA_VALUES for s in data):
        raise ValueError(f"data part must be {DATA_LENGTH} Crockford base32 symbols")
    return CHECK_ALPHABET[_decode(data) % _CHECK_MODULUS]


def _format(compact: str) -> str:
    body = compact[len(PREFIX) :]
    groups = [PREFIX]
    start = 0
    for size in GROUPS:
        groups.append(body[start : start + size])
        start += size
    return "-".join(groups)


def new_certificate_number() -> str:
    """A fresh random certificate number in display form, e.g. LMS-7K2M-…-4Q."""
    data = _encode(secrets.randbits(RANDOM_BITS))
    return _format(PREFIX + data + check_symbol(data))


def normalise_number(text: str) -> str:
    """Canonical compact form of typed text (check symbol not verified).

    Uppercases, drops spaces and hyphens, maps O->0 and I/L->1 after the prefix,
    and raises :class:`MalformedNumber` for anything that cannot be a number.
    """
    if not isinstance(text, str):
        raise MalformedNumber("certificate number must be text", KEY_CHARACTER)
    # NFKC folds full-width letters and digits typed with a Chinese IME.
    cleaned = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    if not cleaned:
        raise MalformedNumber("certificate number is empty", KEY_EMPTY)
    if len(cleaned) == OFFICIAL_LENGTH and cleaned.startswith(OFFICIAL_PREFIXES):
        raise MalformedNumber(
            "this looks like an official 职业技能等级证书 number, not an LMS "
            "training certificate number",
            KEY_OFFICIAL,
        )
    if not cleaned.startswith(PREFIX):
        raise MalformedNumber(f"certificate number must start with {PREFIX}", KEY_PREFIX)
    # Aliases apply only after the prefix: the L of LMS is not a 1.
    body = cleaned[len(PREFIX) :].translate(_ALIASES)
    if len(body) != DATA_LENGTH + 1:
        raise MalformedNumber(
            f"certificate number must have {DATA_LENGTH + 1} symbols after "
            f"{PREFIX}, found {len(body)}",
            KEY_LENGTH,
        )
    data, check = body[:DATA_LENGTH], body[DATA_LENGTH]
    for position, symbol in enumerate(data, start=1):
        if symbol not in _DATA_VALUES:
            hint = " (U and *~$= may only be last)" if symbol in _CHECK_VALUES else ""
            raise MalformedNumber(
                f"symbol {symbol!r} at position {position} after {PREFIX} is not allowed{hint}",
                KEY_CHARACTER,
            )
    if check not in _CHECK_VALUES:
        raise MalformedNumber(f"check symbol {check!r} is not allowed", KEY_CHARACTER)
    return PREFIX + data + check


def check_number(text: str) -> NumberCheck:
    """Check typed text: ok (with formatted number), malformed or mistyped."""
    try:
        compact = normalise_number(text)
    except MalformedNumber as exc:
        return NumberCheck(NumberStatus.MALFORMED, exc.message_key)
    data = compact[len(PREFIX) : len(PREFIX) + DATA_LENGTH]
    if check_symbol(data) != compact[-1]:
        return NumberCheck(NumberStatus.MISTYPED, KEY_MISTYPED)
    return NumberCheck(NumberStatus.OK, KEY_OK, _format(compact))


def format_number(text: str) -> str:
    """Display form ``LMS-XXXX-XXXX-XXXX-XC`` of a valid number; ValueError if not."""
    result = check_number(text)
    if result.number is None:
        raise ValueError(f"not a valid certificate number ({result.message_key})")
    return result.number

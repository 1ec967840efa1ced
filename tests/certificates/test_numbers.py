"""Certificate numbers: format, normalisation, and a check symbol that catches
every single substitution and every adjacent transposition."""

from __future__ import annotations

import re
import string

import pytest

from lms.certificates import numbers as n
from lms.certificates.numbers import (
    CHECK_ALPHABET,
    DATA_ALPHABET,
    DATA_LENGTH,
    NumberStatus,
    check_number,
    check_symbol,
    new_certificate_number,
    normalise_number,
)

DISPLAY = re.compile(
    rf"LMS-[{DATA_ALPHABET}]{{4}}-[{DATA_ALPHABET}]{{4}}-[{DATA_ALPHABET}]{{4}}"
    rf"-[{DATA_ALPHABET}][{re.escape(CHECK_ALPHABET)}]"
)
# Everything a person could plausibly type in place of a symbol.
CANDIDATES = string.ascii_uppercase + string.digits + "*~$=!#%+"


def _compact(data: str) -> str:
    return "LMS" + data + check_symbol(data)


def _samples() -> list[str]:
    """A few random numbers plus the extremes of the data range."""
    fixed = ["0" * DATA_LENGTH, "Z" * DATA_LENGTH, "0123456789ABC", "ZYXWVTSRQPNMK"]
    randoms = [normalise_number(new_certificate_number()) for _ in range(6)]
    return [_compact(data) for data in fixed] + randoms


def _same_after_normalising(candidate: str, original: str) -> bool:
    return candidate == original or {"O": "0", "I": "1", "L": "1"}.get(candidate) == original


def test_alphabets_and_lengths() -> None:
    assert len(DATA_ALPHABET) == len(set(DATA_ALPHABET)) == 32
    assert len(CHECK_ALPHABET) == len(set(CHECK_ALPHABET)) == 37
    assert not set("ILOU") & set(DATA_ALPHABET)
    assert sum(n.GROUPS) == DATA_LENGTH + 1
    assert n.RANDOM_BITS == 65


def test_new_number_shape_and_check() -> None:
    for _ in range(200):
        number = new_certificate_number()
        assert DISPLAY.fullmatch(number), number
        assert len(number) == n.FORMATTED_LENGTH == 21
        result = check_number(number)
        assert result.ok and result.status is NumberStatus.OK
        assert result.number == number
        assert result.compact == number.replace("-", "")
        assert len(result.compact) == n.COMPACT_LENGTH == 17


def test_new_numbers_are_unique_and_use_all_65_bits() -> None:
    drawn = [normalise_number(new_certificate_number()) for _ in range(4000)]
    assert len(set(drawn)) == len(drawn)
    first_symbols = {number[3] for number in drawn}
    # The leading symbol carries the top 5 of the 65 bits: all 32 values occur.
    assert first_symbols == set(DATA_ALPHABET)
    top_bit_set = sum(number[3] >= "G" for number in drawn)  # value >= 16
    assert 1600 < top_bit_set < 2400


def test_numbers_never_look_official() -> None:
    """Official 职业技能等级证书 numbers: 22 characters starting with Y or S."""
    for _ in range(2000):
        number = new_certificate_number()
        for form in (number, number.replace("-", "")):
            assert len(form) != 22
            assert not re.match(r"[YS][0-9]", form)
            assert form.startswith("LMS")


@pytest.mark.parametrize(
    "official",
    ["Y" + "1" * 21, "S" + "0" * 21, "s2023110000" + "0" * 10 + "1", "Y-2023 1100 0000 0000 00001"],
)
def test_official_numbers_are_refused_with_their_own_key(official: str) -> None:
    result = check_number(official)
    assert result.status is NumberStatus.MALFORMED
    assert result.message_key == n.KEY_OFFICIAL
    assert result.number is None


def test_every_single_substitution_is_caught() -> None:
    for compact in _samples():
        for position, original in enumerate(compact):
            for candidate in CANDIDATES:
                if _same_after_normalising(candidate, original):
                    continue
                typo = compact[:position] + candidate + compact[position + 1 :]
                result = check_number(typo)
                assert not result.ok, (compact, position, candidate)
                in_data = 3 <= position < 3 + DATA_LENGTH
                if (in_data and candidate in DATA_ALPHABET) or (
                    position == len(compact) - 1 and candidate in CHECK_ALPHABET
                ):
                    # A well-formed typo: only the check symbol can catch it.
                    assert result.status is NumberStatus.MISTYPED, (compact, position)
                    assert result.message_key == n.KEY_MISTYPED


def test_alias_substitutions_are_not_typos() -> None:
    compact = _compact("0101010101010")
    typed = compact[:3] + compact[3:].replace("0", "O").replace("1", "I", 3).replace("1", "l")
    assert check_number(typed).compact == compact


def test_every_adjacent_transposition_is_caught() -> None:
    for compact in _samples():
        for position in range(len(compact) - 1):
            a, b = compact[position], compact[position + 1]
            if a == b:
                continue
            swapped = compact[:position] + b + a + compact[position + 2 :]
            result = check_number(swapped)
            assert not result.ok, (compact, position)
            # Still well formed (the check symbol did not move into the data)?
            if position >= 3 and (position + 1 < 3 + DATA_LENGTH or b in DATA_ALPHABET):
                assert result.status is NumberStatus.MISTYPED, (compact, position)


def test_transpositions_in_display_form_only_move_hyphens_or_are_caught() -> None:
    for compact in _samples():
        shown = n.format_number(compact)
        for position in range(len(shown) - 1):
            a, b = shown[position], shown[position + 1]
            if a == b:
                continue
            result = check_number(shown[:position] + b + a + shown[position + 2 :])
            if "-" in (a, b):
                assert result.number == shown  # grouping is not part of the number
            else:
                assert not result.ok, (shown, position)


def test_check_catches_typos_for_all_numbers_algebraically() -> None:
    """The check is linear mod 37, so these cover every number, not just samples.

    A substitution at place i adds d*32**i, a transposition of places i+1 and i
    adds d*31*32**i (0 < |d| < 32); neither may vanish mod 37.
    """
    for place in range(DATA_LENGTH):
        for delta in range(1, 32):
            assert (delta * 32**place) % 37 != 0
            assert (delta * 31 * 32**place) % 37 != 0


def test_swapping_last_data_symbol_with_check_symbol_is_caught_for_all_pairs() -> None:
    for last in DATA_ALPHABET:
        for check in DATA_ALPHABET:
            if last == check:
                continue
            # Find a data part ending in `last` whose check symbol is `check`.
            head = next(
                head
                for head in (n._encode(k)[1:] for k in range(40))
                if check_symbol(head + last) == check
            )
            compact = "LMS" + head + last + check
            assert check_number(compact).ok
            result = check_number("LMS" + head + check + last)
            assert result.status is NumberStatus.MISTYPED, (last, check)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("lms-0000-0000-0000-00", "LMS00000000000000"),
        ("  LMS 0000 0000 0000 00 ", "LMS00000000000000"),
        ("LMS—OOOO–oooo‐IiLl-l0", "LMS00000000111110"),
        ("ＬＭＳ－０００Ｏ－００００－００００－００", "LMS00000000000000"),  # full-width IME input
        ("LMS\u30000000\t0000\n0000 00", "LMS00000000000000"),
        ("LMS-0000-0000-0000-0U", "LMS0000000000000U"),  # U is fine as the check symbol
        ("LMS-0000-0000-0000-0*", "LMS0000000000000*"),
    ],
)
def test_normalise(typed: str, expected: str) -> None:
    assert normalise_number(typed) == expected


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", n.KEY_EMPTY),
        (" - - ", n.KEY_EMPTY),
        ("LMS", n.KEY_LENGTH),
        ("LMS-0000-0000-0000-0", n.KEY_LENGTH),
        ("LMS-0000-0000-0000-000", n.KEY_LENGTH),
        ("1MS-0000-0000-0000-00", n.KEY_PREFIX),
        ("ABC-0000-0000-0000-00", n.KEY_PREFIX),
        ("0000-0000-0000-00", n.KEY_PREFIX),
        ("LMS-U000-0000-0000-00", n.KEY_CHARACTER),  # U only as check symbol
        ("LMS-000*-0000-0000-00", n.KEY_CHARACTER),
        ("LMS-0000-0000-0000-$0", n.KEY_CHARACTER),
        ("LMS-0000-0000-0000-0!", n.KEY_CHARACTER),
        ("LMS-ÄÄÄÄ-0000-0000-00", n.KEY_CHARACTER),
        ("LMS-0000-0000-0000-0\x00", n.KEY_CHARACTER),
    ],
)
def test_malformed(typed: str, key: str) -> None:
    result = check_number(typed)
    assert result.status is NumberStatus.MALFORMED
    assert result.message_key == key
    assert not result.ok and result.number is None and result.compact is None
    with pytest.raises(n.MalformedNumber) as caught:
        normalise_number(typed)
    assert caught.value.message_key == key


@pytest.mark.parametrize("value", [None, 12345, b"LMS00000000000000"])
def test_non_text_is_malformed_not_a_crash(value: object) -> None:
    assert check_number(value).status is NumberStatus.MALFORMED  # type: ignore[arg-type]


def test_mistyped_result() -> None:
    compact = _compact("0000000000000")
    wrong = compact[:-1] + ("1" if compact[-1] != "1" else "2")
    result = check_number(wrong)
    assert result.status is NumberStatus.MISTYPED
    assert result.message_key == n.KEY_MISTYPED
    assert result.number is None


def test_message_keys_are_distinct() -> None:
    keys = [
        n.KEY_OK,
        n.KEY_EMPTY,
        n.KEY_OFFICIAL,
        n.KEY_PREFIX,
        n.KEY_LENGTH,
        n.KEY_CHARACTER,
        n.KEY_MISTYPED,
    ]
    assert len(set(keys)) == len(keys)


def test_result_is_frozen() -> None:
    result = check_number(new_certificate_number())
    with pytest.raises(AttributeError):
        result.status = NumberStatus.MISTYPED  # type: ignore[misc]


def test_format_number() -> None:
    number = new_certificate_number()
    assert n.format_number(number.lower().replace("-", " ")) == number
    with pytest.raises(ValueError, match="mistyped"):
        n.format_number(number[:-1] + ("0" if number[-1] != "0" else "1"))


def test_check_symbol_rejects_bad_data() -> None:
    for bad in ("", "0" * 12, "0" * 14, "U" + "0" * 12, "o" * 13):
        with pytest.raises(ValueError):
            check_symbol(bad)

"""Item analysis of lms.assessments.item_analysis checked against hand-computed numbers."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from lms.assessments.item_analysis import (
    CSV_HEADER,
    ItemStats,
    analyse_items,
    group_size,
    item_stats_csv,
)

# Ten graded attempts, best first. N = 10, so each group has n = round(0.27 * 10)
# = round(2.7) = 3 attempts: upper = A01, A02, A03 and lower = A08, A09, A10.
TOTALS = {
    "A01": 95.0,
    "A02": 90.0,
    "A03": 85.0,
    "A04": 80.0,
    "A05": 70.0,
    "A06": 60.0,
    "A07": 50.0,
    "A08": 40.0,
    "A09": 30.0,
    "A10": 20.0,
}
# question -> attempt -> (points, chosen); an attempt missing here did not draw it.
ITEMS: dict[str, dict[str, tuple[float, list[str]]]] = {
    # Full marks in A01-A06 and A08: 7 of 10.
    "q-good": {
        a: ((1.0, ["a"]) if a in {"A01", "A02", "A03", "A04", "A05", "A06", "A08"} else (0.0, [w]))
        for a, w in zip(TOTALS, "xxxxxxbxcb", strict=True)
    },
    # Full marks only in A04, A05, A06, A09, A10; A01 has partial credit, which is
    # not "fully correct" and must not count.
    "q-bad": {
        a: (
            (1.0, ["a", "b"])
            if a in {"A04", "A05", "A06", "A09", "A10"}
            else ((0.5, ["a"]) if a == "A01" else (0.0, ["c"]))
        )
        for a in TOTALS
    },
    "q-easy": {a: (1.0, ["b"]) for a in TOTALS},
    "q-hard": {a: ((1.0, ["d"]) if a == "A05" else (0.0, ["a"])) for a in TOTALS},
    # Drawn in 3 attempts only: A01 (upper, right), A05 (middle, wrong), A09 (lower, wrong).
    "q-rare": {"A01": (1.0, ["a"]), "A05": (0.0, ["b"]), "A09": (0.0, ["b"])},
    # Drawn once, in a middle attempt: neither group has it.
    "q-once": {"A05": (1.0, ["a"])},
}


def responses() -> list[dict[str, Any]]:
    return [
        {
            "attempt_id": attempt,
            "total_score": total,
            "items": {
                qid: {"points": by_attempt[attempt][0], "chosen": by_attempt[attempt][1]}
                for qid, by_attempt in ITEMS.items()
                if attempt in by_attempt
            },
        }
        for attempt, total in TOTALS.items()
    ]


def by_id(stats: list[ItemStats]) -> dict[str, ItemStats]:
    return {item.question_id: item for item in stats}


def test_group_size() -> None:
    # round(0.27 * N), at least 1
    assert [group_size(n) for n in (1, 2, 5, 6, 10, 100)] == [1, 1, 1, 2, 3, 27]


def test_hand_computed_example() -> None:
    stats = by_id(analyse_items(responses()))
    assert list(stats) == sorted(ITEMS)

    good = stats["q-good"]
    # difficulty = 7 / 10 = 0.7
    # p_upper = A01, A02, A03 all right = 3/3 = 1; p_lower = A08 right, A09, A10 wrong = 1/3
    # D = 1 - 1/3 = 0.6667
    assert (good.answered, good.difficulty, good.discrimination) == (10, 0.7, 0.6667)
    assert (good.p_upper, good.p_lower) == (1.0, 0.3333)
    assert good.option_counts == {"a": 7, "b": 2, "c": 1}
    assert good.flags == []

    bad = stats["q-bad"]
    # difficulty = 5 / 10 = 0.5 (A01's 0.5 points is not full marks)
    # p_upper = 0/3 = 0; p_lower = A09, A10 right, A08 wrong = 2/3; D = 0 - 2/3 = -0.6667
    assert (bad.answered, bad.difficulty, bad.discrimination) == (10, 0.5, -0.6667)
    # a picked in 5 full-mark attempts + A01 = 6; b in the 5 full-mark ones; c in the other 4
    assert bad.option_counts == {"a": 6, "b": 5, "c": 4}
    # p_upper 0 < 0.5 with 3 upper responses; D < 0
    assert bad.flags == ["strong-learners-miss", "negative-discrimination"]

    easy = stats["q-easy"]
    # difficulty = 10/10 = 1 > 0.95 with 10 answers; D = 1 - 1 = 0
    assert (easy.difficulty, easy.discrimination, easy.flags) == (1.0, 0.0, ["too-easy"])

    hard = stats["q-hard"]
    # difficulty = 1/10 = 0.1 < 0.2 (only A05, a middle attempt); D = 0/3 - 0/3 = 0
    assert (hard.difficulty, hard.discrimination) == (0.1, 0.0)
    assert hard.flags == ["strong-learners-miss", "too-hard"]
    assert hard.option_counts == {"a": 9, "d": 1}

    rare = stats["q-rare"]
    # difficulty = 1/3 = 0.3333; upper group holds only A01 (right): p_upper = 1/1;
    # lower group holds only A09 (wrong): p_lower = 0/1; D = 1 - 0 = 1.
    # Only 1 upper response (< 3) and answered 3 (< 10): no flags.
    assert (rare.answered, rare.difficulty, rare.discrimination) == (3, 0.3333, 1.0)
    assert (rare.upper_answered, rare.lower_answered) == (1, 1)
    assert rare.flags == []

    once = stats["q-once"]
    # Neither group drew it, so there is nothing to compare.
    assert (once.answered, once.difficulty, once.discrimination) == (1, 1.0, None)
    assert (once.p_upper, once.p_lower) == (None, None)


def test_input_order_does_not_matter() -> None:
    shuffled = responses()
    random.Random(3).shuffle(shuffled)
    assert analyse_items(shuffled) == analyse_items(responses())
    assert analyse_items(iter(responses())) == analyse_items(responses())


def test_discrimination_needs_two_attempts() -> None:
    one = [{"attempt_id": 1, "total_score": 100.0, "items": {"q": {"points": 1.0, "chosen": []}}}]
    assert analyse_items(one)[0].discrimination is None
    # N = 2: n = max(1, round(0.54)) = 1, so upper = the 100 attempt, lower = the 0 one.
    two = [
        *one,
        {"attempt_id": 2, "total_score": 0.0, "items": {"q": {"points": 0.0, "chosen": ["b"]}}},
    ]
    (item,) = analyse_items(two)
    assert (item.difficulty, item.discrimination) == (0.5, 1.0)
    assert item.option_counts == {"b": 1}
    assert analyse_items([]) == []


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_output() -> None:
    stats = analyse_items(responses())
    rows = read_csv(item_stats_csv(stats, {"q-good": "Red lights", "q-bad": 'Helmets, "rules"'}))
    assert tuple(rows[0]) == CSV_HEADER
    table = {row[0]: row for row in rows[1:]}
    assert table["q-good"] == ["q-good", "Red lights", "10", "0.7000", "0.6667", "", "a=7;b=2;c=1"]
    # Commas and quotes in titles survive the round trip.
    assert table["q-bad"][1] == 'Helmets, "rules"'
    # A negative D is escaped like any other cell starting with "-".
    assert table["q-bad"][4:6] == ["'-0.6667", "strong-learners-miss;negative-discrimination"]
    assert table["q-once"][1:5] == ["", "1", "1.0000", ""]


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("http://evil")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)", "\t=1+1"],
)
def test_csv_escapes_formulas(title: str) -> None:
    stats = analyse_items(responses())
    rows = read_csv(item_stats_csv(stats, {"q-good": title}))
    cell = {row[0]: row for row in rows[1:]}["q-good"][1]
    assert cell == "'" + title


def test_csv_escapes_option_ids_too() -> None:
    record = {
        "attempt_id": 1,
        "total_score": 1.0,
        "items": {"q": {"points": 0.0, "chosen": ["=x"]}},
    }
    rows = read_csv(item_stats_csv(analyse_items([record]), {"q": "safe title"}))
    assert rows[1][1] == "safe title"
    assert rows[1][6] == "'=x=1"

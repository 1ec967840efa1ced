"""Classical item analysis of graded quiz attempts: plain data in, plain data out.

Trainers use it to find questions that are broken (strong learners miss them,
weak learners get them right), trivial or impossible. The input is one record
per graded attempt::

    {"attempt_id": 7, "total_score": 80.0,
     "items": {"ls-q-speed": {"points": 1.0, "chosen": ["a"]}}}
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Kelley's 27 %: the group size that best separates strong from weak learners
# for a normally distributed total score.
GROUP_SHARE = 0.27
CSV_HEADER: tuple[str, ...] = (
    "question_id",
    "title",
    "answered",
    "difficulty",
    "discrimination",
    "flags",
    "option_counts",
)
# Spreadsheets run cells starting with these as formulas; tab and CR are added
# because some spreadsheets strip them before looking at the first character.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Below this many answers a share right or a discrimination index moves a lot
#: with each new attempt (one learner changes it by several points), so the page
#: warns that the figures do not mean much yet. 30 is the usual rule of thumb.
MIN_RELIABLE_ANSWERS = 30


def too_few_answers(answered: int) -> bool:
    """Whether ``answered`` attempts are too few for difficulty and discrimination to mean much."""
    return answered < MIN_RELIABLE_ANSWERS


# Points are stored rounded to 4 places, so compare with a tolerance below that.
FULL_MARKS = 1.0 - 1e-6


@dataclass(frozen=True)
class ItemStats:
    """Statistics of one question over a set of graded attempts."""

    question_id: str
    answered: int
    difficulty: float
    discrimination: float | None
    option_counts: dict[str, int] = field(hash=False)
    flags: list[str] = field(hash=False)
    p_upper: float | None = None
    p_lower: float | None = None
    upper_answered: int = 0
    lower_answered: int = 0


def _full_marks(item: Mapping[str, Any]) -> bool:
    return float(item["points"]) >= FULL_MARKS


def group_size(attempts: int) -> int:
    """Return the size of the upper and of the lower group for ``attempts`` attempts."""
    return max(1, round(GROUP_SHARE * attempts))


def analyse_items(responses: Iterable[Mapping[str, Any]]) -> list[ItemStats]:
    """Compute difficulty, upper-lower discrimination, option counts and flags per question."""
    # Ties on total score are broken by attempt id so the groups, and so D, do
    # not depend on the order the database happened to return rows in.
    attempts = sorted(
        responses,
        key=lambda record: (-float(record["total_score"]), str(record["attempt_id"])),
    )
    n = group_size(len(attempts))
    upper = attempts[:n]
    lower = attempts[-n:]

    question_ids = sorted({qid for record in attempts for qid in record["items"]})
    stats = []
    for qid in question_ids:
        items = [record["items"][qid] for record in attempts if qid in record["items"]]
        upper_items = [record["items"][qid] for record in upper if qid in record["items"]]
        lower_items = [record["items"][qid] for record in lower if qid in record["items"]]
        counts = Counter(option for item in items for option in item.get("chosen") or ())
        stats.append(
            item_stats(
                qid,
                attempts=len(attempts),
                whole=_tally(items),
                upper=_tally(upper_items),
                lower=_tally(lower_items),
                option_counts=counts,
            )
        )
    return stats


def _tally(items: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    return len(items), sum(1 for item in items if _full_marks(item))


def _share(tally: tuple[int, int]) -> float | None:
    answered, right = tally
    return right / answered if answered else None


def item_stats(
    question_id: str,
    *,
    attempts: int,
    whole: tuple[int, int],
    upper: tuple[int, int],
    lower: tuple[int, int],
    option_counts: Mapping[str, int],
) -> ItemStats:
    """One question's figures from its counts: ``(answered, right)`` over all ``attempts``,
    over the upper and over the lower group (the database can count these)."""
    answered = whole[0]
    difficulty = _share(whole) or 0.0
    p_upper = _share(upper)
    p_lower = _share(lower)
    discrimination = None
    # With one attempt the same record is both groups, and a group without
    # this question gives no comparison: D would be meaningless either way.
    if attempts >= 2 and answered >= 2 and p_upper is not None and p_lower is not None:
        discrimination = round(p_upper - p_lower, 4)

    flags = []
    if p_upper is not None and upper[0] >= 3 and p_upper < 0.5:
        flags.append("strong-learners-miss")
    if discrimination is not None and discrimination < 0:
        flags.append("negative-discrimination")
    if answered >= 10 and difficulty > 0.95:
        flags.append("too-easy")
    if answered >= 10 and difficulty < 0.2:
        flags.append("too-hard")

    return ItemStats(
        question_id=question_id,
        answered=answered,
        difficulty=round(difficulty, 4),
        discrimination=discrimination,
        option_counts=dict(sorted(option_counts.items())),
        flags=flags,
        p_upper=None if p_upper is None else round(p_upper, 4),
        p_lower=None if p_lower is None else round(p_lower, 4),
        upper_answered=upper[0],
        lower_answered=lower[0],
    )


def _cell(value: str) -> str:
    """Neutralise a cell that a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def item_stats_csv(stats: Iterable[ItemStats], titles: Mapping[str, str]) -> str:
    """Return the item statistics as CSV text, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for item in stats:
        counts = ";".join(f"{option}={count}" for option, count in item.option_counts.items())
        row = [
            item.question_id,
            titles.get(item.question_id, ""),
            str(item.answered),
            f"{item.difficulty:.4f}",
            "" if item.discrimination is None else f"{item.discrimination:.4f}",
            ";".join(item.flags),
            counts,
        ]
        # Every cell is escaped, numbers included: a negative D becomes '-0.3333,
        # which spreadsheets still show as -0.3333, and no cell is ever trusted.
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()

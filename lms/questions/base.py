"""The vocabulary every question type shares: spec and answer aliases, the
answer errors, ``Score`` and ``QuizResult``, the ``QuestionType`` base class and
the small helpers its subclasses build views with.

A type owns everything about itself: its file keys and how they are read and
validated, its blank for the studio, its file shape for export, its template
fragments, how a posted form becomes an answer, grading and review. Plain data
in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, Protocol

from lms.content.messages import Message
from lms.content.reader import YamlMapping
from lms.content.schema import REVIEW_MODES

Spec = Mapping[str, Any]
# A flat list for questions with options/items, a dict part_id -> list for a
# scenario, so one attempt column can hold the exact order the learner saw.
OptionOrder = list[str] | dict[str, list[str]]
# Reads every value a submitted form holds under one field name (a
# ``MultiDict.getlist``), so form decoding stays free of Flask.
FormFields = Callable[[str], list[str]]
# Reads one part of a scenario from its YAML node and position (1-based).
PartLoader = Callable[[Any, int], "dict[str, Any] | None"]
# Returns an empty text in every language (the studio's blank fields).
BlankTexts = Callable[[], dict[str, str]]
# Returns a blank question of a type (name, id) as a scenario part.
BlankPart = Callable[[str, str], dict[str, Any]]
# Copies a text mapping into the file shape (every language, "" when missing).
FileTexts = Callable[["Mapping[str, Any] | None"], "dict[str, str] | None"]
# Returns a scenario part back in the file shape.
PartToFile = Callable[[Mapping[str, Any]], dict[str, Any]]
# Writes a text mapping in one language (a plain string as it is), escaped for GIFT.
GiftText = Callable[["Mapping[str, str] | str | None"], str]
# Renames one id a learner sees, (scope, id) -> new id: an option id to its
# per-attempt token, or back. The scope names the question (or scenario part)
# and, where a type has two sets of ids, which set.
Rename = Callable[[str, str], str]


class EditorFields(Protocol):
    """How the studio's question editor reads its unflattened form fields."""

    def texts(self, value: Any) -> dict[str, str]:
        """A text in every language from a ``{lang: text}`` field group."""
        ...

    def word(self, value: Any) -> str:
        """One plain field, stripped ("" when absent)."""
        ...

    def checked(self, value: Any) -> bool:
        """A ticked checkbox."""
        ...

    def blank(self, texts: dict[str, str]) -> bool:
        """True when no language has any text."""
        ...

    def rows(self, value: Any) -> list[tuple[int, dict[str, Any]]]:
        """The numbered sub-groups (``options.0``, ``options.1``) with their numbers, in order."""
        ...

    def parts(self, raw: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The scenario parts the trainer filled in, each read as a question."""
        ...


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs; it is translated where it is shown."""
    return message


class InvalidAnswer(ValueError):
    """Raised when a submitted answer could not have come from the rendered question."""

    def __init__(self, message: str) -> None:
        """Keep the message on the instance so views can show or log it."""
        super().__init__(message)
        self.message = message


class UnfinishedAnswer(InvalidAnswer):
    """An answer a learner left half done (an ordering with gaps or repeats), not tampering."""


@dataclass(frozen=True)
class Score:
    """The result of grading one question (or one scenario part)."""

    points: float
    correct: bool
    parts: tuple[Score, ...] = ()

    def __post_init__(self) -> None:
        """Reject scores that break the 0..1 range or the correct == full marks rule."""
        if not 0.0 <= self.points <= 1.0:
            raise ValueError(f"points must be within 0..1, got {self.points!r}")
        if self.correct != (self.points == 1.0):
            raise ValueError("correct must be True exactly when points == 1")

    @classmethod
    def from_fraction(cls, value: Fraction, parts: Iterable[Score] = ()) -> Score:
        """Build a score from an exact fraction, rounding points to 4 places."""
        points = round(float(value), 4)
        return cls(points=points, correct=points == 1.0, parts=tuple(parts))

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (for storing on an attempt)."""
        return {
            "points": self.points,
            "correct": self.correct,
            "parts": [part.as_dict() for part in self.parts],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Score:
        """Rebuild a score stored with ``as_dict``."""
        return cls(
            points=float(data["points"]),
            correct=bool(data["correct"]),
            parts=tuple(cls.from_dict(part) for part in data.get("parts") or ()),
        )


@dataclass(frozen=True)
class QuizResult:
    """The result of grading a whole quiz attempt."""

    score_percent: float
    points: float
    max_points: int
    passed: bool
    critical_failed: tuple[str, ...]
    # hash=False: a dict cannot be hashed, and the result stays usable in sets.
    by_topic: dict[str | None, tuple[float, int]] = field(hash=False)
    per_question: tuple[Score, ...]


def _text(value: Mapping[str, str] | None) -> dict[str, str] | None:
    # Copy so a view handed to a template can never mutate the cached spec.
    return dict(value) if value is not None else None


def _reorder(
    entries: Sequence[Mapping[str, Any]], order: Sequence[str] | None, what: str
) -> list[Mapping[str, Any]]:
    """Return ``entries`` in ``order`` (ids); ``None`` keeps the spec order."""
    if order is None:
        return list(entries)
    by_id = {entry["id"]: entry for entry in entries}
    if len(order) != len(by_id) or set(order) != set(by_id):
        # A stored order that no longer matches the spec is a caller or data
        # bug, not learner tampering, hence ValueError rather than InvalidAnswer.
        raise ValueError(f"{what} order {list(order)!r} is not a permutation of {list(by_id)!r}")
    return [by_id[entry_id] for entry_id in order]


def _flat_order(option_order: OptionOrder | None) -> list[str] | None:
    if option_order is not None and not isinstance(option_order, list | tuple):
        raise ValueError("this question type takes a list as option order")
    return None if option_order is None else list(option_order)


def _check_mode(mode: str) -> None:
    if mode not in REVIEW_MODES:
        raise ValueError(f"review mode must be one of {REVIEW_MODES}, got {mode!r}")


def _id_list(raw: Any, what: str) -> list[str] | None:
    """Validate a list of ids from a form/JSON; ``None`` when unanswered."""
    if raw is None:
        return None
    # A bare string is iterable too; treating "ab" as ["a", "b"] would hide tampering.
    if isinstance(raw, str | bytes) or not isinstance(raw, list | tuple | set | frozenset):
        raise InvalidAnswer(f"{what} must be a list of ids, got {type(raw).__name__}")
    ids = list(raw)
    if not all(isinstance(item, str) for item in ids):
        raise InvalidAnswer(f"{what} must contain only string ids")
    if len(set(ids)) != len(ids):
        raise InvalidAnswer(f"{what} contains duplicate ids")
    return ids or None


class QuestionType:
    """Base class of a question type; subclasses are registered in ``QUESTION_TYPES``."""

    name: ClassVar[str] = ""
    #: The English name trainers see; templates translate it.
    label: ClassVar[str] = ""
    #: Whether the type may be a lesson check or a scenario part.
    is_part: ClassVar[bool] = True
    #: Keys of the file shape beyond the common ones, in the order export writes them.
    file_keys: ClassVar[tuple[str, ...]] = ()
    #: Keys that export writes before the prompt.
    leading_keys: ClassVar[tuple[str, ...]] = ()
    #: What the loader tells an author to do with another type's key.
    foreign_key_fix: ClassVar[str] = N_("remove it")
    #: The stem of the type's templates under ``lms/questions/``:
    #: ``<fragment>_input.html``, ``<fragment>_review.html``, ``<fragment>_editor.html``.
    fragment: ClassVar[str] = ""

    @property
    def fragment_name(self) -> str:
        """The template stem, the type's name unless it reuses another's fragments."""
        return self.fragment or self.name

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read and validate the type's own keys from a file into ``spec``."""

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """The type's own fields of an empty question in the studio."""
        return {}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The type's own fields of a spec in the file shape (``None`` values are dropped)."""
        return {}

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The type's own fields from the studio editor; ``fresh`` is the type's blank."""
        return {}

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """The answers of the spec in GIFT (what goes between the braces), or ``None``
        when GIFT has no form for the type."""
        return None

    def gift_losses(self, spec: Spec) -> list[str]:
        """What ``to_gift`` cannot keep of this spec (English, marked for translation)."""
        return []

    def normalise_answer(self, spec: Spec, raw: Any) -> Any:
        """Validate a raw answer and return its canonical form (``None`` = unanswered)."""
        raise NotImplementedError

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        """Exact score of an already normalised answer."""
        raise NotImplementedError

    def grade(self, spec: Spec, answer: Any) -> Score:
        """Grade an answer; it is normalised again so unvalidated input can never score."""
        return Score.from_fraction(self._fraction(spec, self.normalise_answer(spec, answer)))

    def option_ids(self, spec: Spec) -> OptionOrder:
        """Return the ids an attempt may shuffle, in spec order."""
        return []

    def shuffled_order(self, spec: Spec, rng: random.Random) -> OptionOrder:
        """Return a random order of ``option_ids`` for a new attempt."""
        ids = list(self.option_ids(spec))
        rng.shuffle(ids)
        return ids

    def presented_order(self, spec: Spec, rng: random.Random, shuffle: bool) -> OptionOrder:
        """Return the order a new attempt shows: shuffled, or spec order when not shuffling."""
        return self.shuffled_order(spec, rng) if shuffle else list(self.option_ids(spec))

    def from_form(self, spec: Spec, fields: FormFields, name: str) -> Any:
        """Decode the raw answer of a posted form field (one value), ``None`` if blank."""
        values = [value for value in fields(name) if value != ""]
        if not values:
            return None
        if len(values) > 1:
            raise InvalidAnswer(f"question {spec['id']!r} takes one answer, got {len(values)}")
        return values[0]

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return what a normalised answer picked, as ids for option counts."""
        return []

    def rename_ids(self, spec: Spec, rename: Rename, scope: str) -> dict[str, Any]:
        """A copy of ``spec`` whose ids a learner sees (options, items, parts) are renamed."""
        return dict(spec)

    def rename_order(
        self, spec: Spec, order: OptionOrder | None, rename: Rename, scope: str
    ) -> Any:
        """``order`` (of ``spec``, the question before renaming) with its ids renamed."""
        return None if order is None else [rename(scope, entry) for entry in _flat_order(order)]

    def rename_answer(self, spec: Spec, answer: Any, rename: Rename, scope: str) -> Any:
        """A normalised answer to ``spec`` (the question before renaming) with its ids renamed."""
        return answer

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """Return what a learner may see before grading: texts only, never the key."""
        return {
            "id": spec["id"],
            "type": self.name,
            "fragment": self.fragment_name,
            "prompt": _text(spec["prompt"]),
        }

    def review_view(
        self,
        spec: Spec,
        answer: Any,
        score: Score,
        mode: str,
        option_order: OptionOrder | None = None,
    ) -> dict[str, Any]:
        """Return what a learner may see after grading, as allowed by ``mode``."""
        _check_mode(mode)
        if mode == "score":
            view = QuestionType.learner_view(self, spec, None)
        else:
            view = self.learner_view(spec, option_order)
        view["points"] = score.points
        if mode != "score":
            view["correct"] = score.correct
            self._add_answers(view, spec, self.normalise_answer(spec, answer))
        if mode == "explanations":
            view["explanation"] = _text(spec.get("explanation"))
            view["rule"] = _text(spec.get("rule"))
        return view

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        """Add the key and the learner's choice to a review view (mode answers+)."""
        raise NotImplementedError


def gift_percent(value: Fraction | float) -> str:
    """A GIFT weight such as ``%50%`` or ``%33.33333%`` (5 decimals, trailing zeros cut)."""
    text = f"{float(value):.5f}".rstrip("0").rstrip(".")
    return f"%{text}%"


def gift_feedback(feedback: Mapping[str, str] | None, text: GiftText) -> str:
    """``#feedback`` when there is feedback in the language, else nothing."""
    written = text(feedback)
    return f"#{written}" if written else ""

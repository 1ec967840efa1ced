"""Grading rules for every question type: plain data in, plain data out.

Question specs are the dicts produced by the content loader (see
content/README.md). Each type is a ``QuestionType`` registered in
``QUESTION_TYPES`` so that views, attempts and reports never branch on the type
name themselves. Nothing here imports Flask or SQLAlchemy, so the rules can be
tested and reused (e.g. for re-grading after a content fix) without an app.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

Spec = Mapping[str, Any]
# A flat list for questions with options/items, a dict part_id -> list for a
# scenario, so one attempt column can hold the exact order the learner saw.
OptionOrder = list[str] | dict[str, list[str]]
# Reads every value a submitted form holds under one field name (a
# ``MultiDict.getlist``), so form decoding stays free of Flask.
FormFields = Callable[[str], list[str]]

REVIEW_MODES: tuple[str, ...] = ("score", "answers", "explanations")
_SCENARIO_PART_TYPES = frozenset({"single", "multiple", "true_false", "ordering"})


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

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """Return what a learner may see before grading: texts only, never the key."""
        return {"id": spec["id"], "type": self.name, "prompt": _text(spec["prompt"])}

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


class _ChoiceType(QuestionType):
    """Shared behaviour of single and multiple choice."""

    def option_ids(self, spec: Spec) -> list[str]:
        """Return the option ids in spec order."""
        return [option["id"] for option in spec["options"]]

    def _correct_ids(self, spec: Spec) -> set[str]:
        return {option["id"] for option in spec["options"] if option.get("correct")}

    def _check_ids(self, spec: Spec, ids: Iterable[str]) -> None:
        known = set(self.option_ids(spec))
        foreign = [option_id for option_id in ids if option_id not in known]
        if foreign:
            raise InvalidAnswer(
                f"option {foreign[0]!r} is not an option of question {spec['id']!r}"
            )

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """Return prompt and option texts in the given order, without correctness."""
        view = super().learner_view(spec, option_order)
        options = _reorder(spec["options"], _flat_order(option_order), "option")
        view["options"] = [
            {"id": option["id"], "text": _text(option["text"])} for option in options
        ]
        return view

    def review_view(
        self,
        spec: Spec,
        answer: Any,
        score: Score,
        mode: str,
        option_order: OptionOrder | None = None,
    ) -> dict[str, Any]:
        """Return the review; feedback per option is added only in explanations mode."""
        view = super().review_view(spec, answer, score, mode, option_order)
        if mode == "explanations":
            feedback = {option["id"]: option.get("feedback") for option in spec["options"]}
            for option in view["options"]:
                option["feedback"] = _text(feedback[option["id"]])
        return view

    def _chosen_set(self, answer: Any) -> set[str]:
        raise NotImplementedError

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        correct = self._correct_ids(spec)
        chosen = self._chosen_set(answer)
        for option in view["options"]:
            option["correct"] = option["id"] in correct
            option["chosen"] = option["id"] in chosen
        view["chosen"] = answer


class SingleChoice(_ChoiceType):
    """Pick one option; 1 for the correct one, else 0."""

    name = "single"

    def normalise_answer(self, spec: Spec, raw: Any) -> str | None:
        """Return the chosen option id, or ``None`` when nothing was picked."""
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise InvalidAnswer(
                f"a single-choice answer must be one option id, got {type(raw).__name__}"
            )
        self._check_ids(spec, [raw])
        return raw

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        return (
            Fraction(1) if answer is not None and answer in self._correct_ids(spec) else Fraction(0)
        )

    def _chosen_set(self, answer: Any) -> set[str]:
        return {answer} if answer is not None else set()

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return the picked option id (none when unanswered)."""
        return [answer] if answer is not None else []


class MultipleChoice(_ChoiceType):
    """Pick every right option; all-or-nothing or partial credit."""

    name = "multiple"

    def normalise_answer(self, spec: Spec, raw: Any) -> list[str] | None:
        """Return the chosen ids sorted (the choice is a set), or ``None`` when none."""
        ids = _id_list(raw, "a multiple-choice answer")
        if ids is None:
            return None
        self._check_ids(spec, ids)
        return sorted(ids)

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        correct = self._correct_ids(spec)
        if not correct:
            raise ValueError(f"question {spec['id']!r} has no correct option")
        chosen = set(answer or ())
        if spec.get("scoring", "all_or_nothing") != "partial":
            return Fraction(1) if chosen == correct else Fraction(0)
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        return max(Fraction(0), Fraction(right - wrong, len(correct)))

    def _chosen_set(self, answer: Any) -> set[str]:
        return set(answer or ())

    def from_form(self, spec: Spec, fields: FormFields, name: str) -> list[str] | None:
        """Decode ticked checkboxes; the blank value is the page's "question shown" marker."""
        values = [value for value in fields(name) if value != ""]
        return values or None

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return every ticked option id."""
        return list(answer or [])

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        super()._add_answers(view, spec, answer)
        view["chosen"] = list(answer or [])


class TrueFalse(QuestionType):
    """Say whether a statement is true; 1 or 0."""

    name = "true_false"
    _FORM_VALUES: ClassVar[dict[str, bool]] = {"true": True, "false": False}

    def normalise_answer(self, spec: Spec, raw: Any) -> bool | None:
        """Return ``True``/``False`` (forms may send "true"/"false"), ``None`` if unanswered."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in self._FORM_VALUES:
            return self._FORM_VALUES[raw.strip().lower()]
        raise InvalidAnswer(f"a true/false answer must be true or false, got {raw!r}")

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        return Fraction(1) if answer is not None and answer == bool(spec["answer"]) else Fraction(0)

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return ``["true"]`` or ``["false"]`` (none when unanswered)."""
        return [] if answer is None else ["true" if answer else "false"]

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        view["answer"] = bool(spec["answer"])
        view["chosen"] = answer


class Ordering(QuestionType):
    """Put items in order; 1 only for the exact order."""

    name = "ordering"

    def option_ids(self, spec: Spec) -> list[str]:
        """Return the item ids in the correct (spec) order."""
        return [item["id"] for item in spec["items"]]

    def shuffled_order(self, spec: Spec, rng: random.Random) -> list[str]:
        """Return a random item order that is never the correct order (when possible)."""
        key = self.option_ids(spec)
        order = list(key)
        if len(set(key)) < 2:
            return order
        # Rejection sampling keeps every non-key permutation equally likely;
        # with at least 2 items each try succeeds with probability >= 1/2.
        while order == key:
            rng.shuffle(order)
        return order

    def presented_order(self, spec: Spec, rng: random.Random, shuffle: bool) -> list[str]:
        """Always shuffle: items are written in the key order, so showing them so gives it away."""
        return self.shuffled_order(spec, rng)

    def from_form(self, spec: Spec, fields: FormFields, name: str) -> list[str] | None:
        """Decode one numbered select per item (``<name>@<item id>``) into an order."""
        key = self.option_ids(spec)
        numbers: dict[str, int] = {}
        for item_id in key:
            values = [value for value in fields(f"{name}@{item_id}") if value != ""]
            if len(values) > 1:
                raise InvalidAnswer(f"item {item_id!r} was given more than one place")
            if not values:
                continue
            try:
                number = int(values[0])
            except ValueError:
                raise InvalidAnswer(f"place {values[0]!r} is not a number") from None
            if not 1 <= number <= len(key):
                raise InvalidAnswer(f"place {number} is outside 1..{len(key)}")
            numbers[item_id] = number
        if not numbers:
            return None
        if len(numbers) != len(key) or len(set(numbers.values())) != len(key):
            raise UnfinishedAnswer("give every step its own number")
        return sorted(numbers, key=numbers.__getitem__)

    def normalise_answer(self, spec: Spec, raw: Any) -> list[str] | None:
        """Return the item ids in the learner's order, or ``None`` when unanswered."""
        if isinstance(raw, set | frozenset):
            raise InvalidAnswer("an ordering answer must be a list, not a set")
        ids = _id_list(raw, "an ordering answer")
        if ids is None:
            return None
        key = self.option_ids(spec)
        unknown = [item_id for item_id in ids if item_id not in key]
        if unknown:
            raise InvalidAnswer(f"item {unknown[0]!r} is not an item of question {spec['id']!r}")
        if len(ids) != len(key):
            raise InvalidAnswer("an ordering answer must place every item exactly once")
        return ids

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        return Fraction(1) if answer == self.option_ids(spec) else Fraction(0)

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """Return the items in the given (shuffled) order; choosing it is the caller's job."""
        view = super().learner_view(spec, option_order)
        items = _reorder(spec["items"], _flat_order(option_order), "item")
        view["items"] = [{"id": item["id"], "text": _text(item["text"])} for item in items]
        return view

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        view["correct_order"] = self.option_ids(spec)
        view["chosen"] = answer


class Scenario(QuestionType):
    """A case with 2-4 parts, graded as a unit or as the mean of its parts."""

    name = "scenario"

    def _parts(self, spec: Spec) -> list[tuple[Spec, QuestionType]]:
        parts = []
        for part in spec["parts"]:
            if part["type"] not in _SCENARIO_PART_TYPES:
                raise ValueError(f"scenario {spec['id']!r} has a part of type {part['type']!r}")
            parts.append((part, get_type(part["type"])))
        if not parts:
            raise ValueError(f"scenario {spec['id']!r} has no parts")
        return parts

    def option_ids(self, spec: Spec) -> dict[str, list[str]]:
        """Return part_id -> that part's option/item ids (empty for true/false parts)."""
        return {part["id"]: list(qtype.option_ids(part)) for part, qtype in self._parts(spec)}

    def shuffled_order(self, spec: Spec, rng: random.Random) -> dict[str, list[str]]:
        """Return part_id -> a random order for that part."""
        return {
            part["id"]: list(qtype.shuffled_order(part, rng)) for part, qtype in self._parts(spec)
        }

    def presented_order(
        self, spec: Spec, rng: random.Random, shuffle: bool
    ) -> dict[str, list[str]]:
        """Return part_id -> the order that part shows."""
        return {
            part["id"]: list(qtype.presented_order(part, rng, shuffle))
            for part, qtype in self._parts(spec)
        }

    def from_form(self, spec: Spec, fields: FormFields, name: str) -> dict[str, Any] | None:
        """Decode every part from ``<name>.<part id>``; ``None`` when no part is answered."""
        answer = {
            part["id"]: qtype.from_form(part, fields, f"{name}.{part['id']}")
            for part, qtype in self._parts(spec)
        }
        return answer if any(value is not None for value in answer.values()) else None

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return ``<part id>:<id>`` for what each part picked."""
        answer = answer or {}
        return [
            f"{part['id']}:{chosen}"
            for part, qtype in self._parts(spec)
            for chosen in qtype.chosen_ids(part, answer.get(part["id"]))
        ]

    def normalise_answer(self, spec: Spec, raw: Any) -> dict[str, Any] | None:
        """Return part_id -> normalised part answer for every part, or ``None`` if empty."""
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise InvalidAnswer(
                f"a scenario answer must map part ids to answers, got {type(raw).__name__}"
            )
        parts = self._parts(spec)
        known = {part["id"] for part, _ in parts}
        unknown = [key for key in raw if key not in known]
        if unknown:
            raise InvalidAnswer(f"{unknown[0]!r} is not a part of scenario {spec['id']!r}")
        answer = {
            part["id"]: qtype.normalise_answer(part, raw.get(part["id"])) for part, qtype in parts
        }
        return answer if any(value is not None for value in answer.values()) else None

    def _part_fractions(self, spec: Spec, answer: Any) -> list[Fraction]:
        answer = answer or {}
        return [qtype._fraction(part, answer.get(part["id"])) for part, qtype in self._parts(spec)]

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        fractions = self._part_fractions(spec, answer)
        if spec.get("scoring", "unit") == "per_part":
            return sum(fractions, Fraction(0)) / len(fractions)
        return Fraction(1) if all(value == 1 for value in fractions) else Fraction(0)

    def grade(self, spec: Spec, answer: Any) -> Score:
        """Grade every part and combine them by the scenario's scoring rule."""
        normalised = self.normalise_answer(spec, answer)
        parts = [Score.from_fraction(value) for value in self._part_fractions(spec, normalised)]
        return Score.from_fraction(self._fraction(spec, normalised), parts)

    def _part_orders(self, spec: Spec, option_order: OptionOrder | None) -> dict[str, list[str]]:
        if option_order is None:
            return {}
        if not isinstance(option_order, Mapping):
            raise ValueError("a scenario option order must map part ids to orders")
        known = {part["id"] for part in spec["parts"]}
        unknown = [key for key in option_order if key not in known]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a part of scenario {spec['id']!r}")
        return dict(option_order)

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """Return case and parts; ``option_order`` maps part_id -> that part's order."""
        view = super().learner_view(spec, option_order)
        view["case"] = _text(spec["case"])
        orders = self._part_orders(spec, option_order)
        view["parts"] = [
            qtype.learner_view(part, orders.get(part["id"])) for part, qtype in self._parts(spec)
        ]
        return view

    def review_view(
        self,
        spec: Spec,
        answer: Any,
        score: Score,
        mode: str,
        option_order: OptionOrder | None = None,
    ) -> dict[str, Any]:
        """Return the review with one nested review per part."""
        _check_mode(mode)
        normalised = self.normalise_answer(spec, answer) or {}
        parts = self._parts(spec)
        part_scores = list(score.parts)
        if len(part_scores) != len(parts):
            # A score stored without parts is still reviewable: regrade each part.
            part_scores = [qtype.grade(part, normalised.get(part["id"])) for part, qtype in parts]
        orders = self._part_orders(spec, option_order)
        view: dict[str, Any] = {
            "id": spec["id"],
            "type": self.name,
            "prompt": _text(spec["prompt"]),
            "case": _text(spec["case"]),
            "points": score.points,
            "parts": [
                qtype.review_view(
                    part, normalised.get(part["id"]), part_score, mode, orders.get(part["id"])
                )
                for (part, qtype), part_score in zip(parts, part_scores, strict=True)
            ],
        }
        if mode != "score":
            view["correct"] = score.correct
        if mode == "explanations":
            view["explanation"] = _text(spec.get("explanation"))
            view["rule"] = _text(spec.get("rule"))
        return view


def _flat_order(option_order: OptionOrder | None) -> list[str] | None:
    if option_order is not None and not isinstance(option_order, list | tuple):
        raise ValueError("this question type takes a list as option order")
    return None if option_order is None else list(option_order)


QUESTION_TYPES: dict[str, QuestionType] = {
    qtype.name: qtype
    for qtype in (SingleChoice(), MultipleChoice(), TrueFalse(), Ordering(), Scenario())
}


def get_type(name: str) -> QuestionType:
    """Return the registered question type called ``name``."""
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        raise ValueError(f"unknown question type {name!r}") from None


def normalise_answer(spec: Spec, raw_answer: Any) -> Any:
    """Validate a raw answer for ``spec``; raises ``InvalidAnswer`` on tampering."""
    return get_type(spec["type"]).normalise_answer(spec, raw_answer)


def grade(spec: Spec, raw_answer: Any) -> Score:
    """Validate and grade one answer; raises ``InvalidAnswer`` on tampering."""
    return get_type(spec["type"]).grade(spec, raw_answer)


def option_ids(spec: Spec) -> OptionOrder:
    """Return the ids an attempt shuffles (a dict per part for a scenario)."""
    return get_type(spec["type"]).option_ids(spec)


def shuffled_option_order(spec: Spec, rng: random.Random | None = None) -> OptionOrder:
    """Return a random option order for an attempt; ordering items never in key order."""
    return get_type(spec["type"]).shuffled_order(spec, rng or random.SystemRandom())


def presented_option_order(
    spec: Spec, shuffle: bool, rng: random.Random | None = None
) -> OptionOrder:
    """Return the option order a new attempt shows; ordering items are always shuffled."""
    return get_type(spec["type"]).presented_order(spec, rng or random.SystemRandom(), shuffle)


def answer_from_form(spec: Spec, fields: FormFields, name: str) -> Any:
    """Decode a question's raw answer from form fields named after ``name``."""
    return get_type(spec["type"]).from_form(spec, fields, name)


def chosen_ids(spec: Spec, answer: Any) -> list[str]:
    """Return the ids a normalised answer picked (for item analysis option counts)."""
    return get_type(spec["type"]).chosen_ids(spec, answer)


def learner_view(spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
    """Return what a learner may see before grading (no key, no feedback)."""
    return get_type(spec["type"]).learner_view(spec, option_order)


def review_view(
    spec: Spec, answer: Any, score: Score, mode: str, option_order: OptionOrder | None = None
) -> dict[str, Any]:
    """Return what a learner may see after grading under review ``mode``."""
    return get_type(spec["type"]).review_view(spec, answer, score, mode, option_order)


def grade_quiz(questions: Sequence[tuple[Spec, Any]], pass_mark: int) -> QuizResult:
    """Grade a quiz attempt (one point per question); raises ``InvalidAnswer`` on tampering."""
    if not 0 <= pass_mark <= 100:
        raise ValueError(f"pass_mark must be within 0..100, got {pass_mark!r}")
    scores: list[Score] = []
    critical_failed: list[str] = []
    by_topic: dict[str | None, tuple[float, int]] = {}
    for spec, raw_answer in questions:
        score = grade(spec, raw_answer)
        scores.append(score)
        if spec.get("critical") and not score.correct:
            critical_failed.append(spec["id"])
        topic = spec.get("topic")
        got, out_of = by_topic.get(topic, (0.0, 0))
        by_topic[topic] = (round(got + score.points, 4), out_of + 1)
    max_points = len(scores)
    points = round(sum(score.points for score in scores), 4)
    score_percent = round(points / max_points * 100, 2) if max_points else 0.0
    return QuizResult(
        score_percent=score_percent,
        points=points,
        max_points=max_points,
        # An empty quiz proves nothing, so it never passes.
        passed=bool(max_points) and score_percent >= pass_mark and not critical_failed,
        critical_failed=tuple(critical_failed),
        by_topic=by_topic,
        per_question=tuple(scores),
    )

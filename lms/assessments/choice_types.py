"""The question types a learner answers by picking: single and multiple choice,
true/false and ordering. They are also the parts a scenario is made of.

Plain data in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from fractions import Fraction
from typing import Any, ClassVar

from lms.assessments.question_type import (
    FormFields,
    InvalidAnswer,
    OptionOrder,
    QuestionType,
    Score,
    Spec,
    UnfinishedAnswer,
    _flat_order,
    _id_list,
    _reorder,
    _text,
)


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

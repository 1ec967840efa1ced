"""The scenario question type: a case with parts of the simpler types, graded as
a unit or as the mean of its parts.

It is handed a lookup for its part types when built, so it never imports the
registry that holds it. Plain data in, plain data out: nothing here imports
Flask or SQLAlchemy.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from lms.content.fields import (
    enum_field,
    seq_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
)
from lms.content.schema import SCENARIO_SCORING
from lms.questions.base import (
    N_,
    BlankPart,
    BlankTexts,
    EditorFields,
    FileTexts,
    FormFields,
    InvalidAnswer,
    OptionOrder,
    PartLoader,
    PartToFile,
    QuestionType,
    Rename,
    Score,
    Spec,
    _check_mode,
    _text,
)

# Returns the registered question type of a given name (``grading.get_type``).
PartTypeLookup = Callable[[str], QuestionType]


class Scenario(QuestionType):
    """A case with 2-4 parts, graded as a unit or as the mean of its parts."""

    name = "scenario"
    label = N_("Scenario")
    is_part = False
    file_keys = ("case", "parts", "scoring")
    leading_keys = ("scoring",)

    def __init__(self, part_type: PartTypeLookup) -> None:
        """Keep the lookup that finds each part's type by name."""
        # A lookup rather than a copy of the types, so a part uses whatever type
        # the registry holds at grading time, as the registry's own callers do.
        self._part_type = part_type

    def _parts(self, spec: Spec) -> list[tuple[Spec, QuestionType]]:
        parts = []
        for part in spec["parts"]:
            if not self._part_type(part["type"]).is_part:
                raise ValueError(f"scenario {spec['id']!r} has a part of type {part['type']!r}")
            parts.append((part, self._part_type(part["type"])))
        if not parts:
            raise ValueError(f"scenario {spec['id']!r} has no parts")
        return parts

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read the case, the scoring rule and 2 to 4 parts."""
        spec["case"] = text_field(m, "case")
        spec["scoring"] = enum_field(m, "scoring", SCENARIO_SCORING, msg("scoring"))
        part_nodes = seq_field(
            m,
            "parts",
            2,
            4,
            lambda n: msg(
                "%(owner)s has %(count)d parts: a scenario needs 2 to 4", owner=label, count=n
            ),
        )
        if part_nodes is None and not m.has("parts"):
            m.missing("parts", msg("add 2 to 4 parts, each a question with id, type and prompt"))
        parts = []
        for part_index, part_node in enumerate(part_nodes or [], 1):
            part = load_part(part_node, part_index)
            if part is not None:
                parts.append(part)
        spec["parts"] = parts

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """An empty case and two single-choice parts."""
        return {
            "case": texts(),
            "scoring": "unit",
            "parts": [blank_part("single", f"{question_id[:58]}-p{n}") for n in (1, 2)],
        }

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The scoring rule, the case and the parts."""
        return {
            "scoring": spec.get("scoring"),
            "case": texts(spec.get("case")),
            "parts": [part_to_file(part) for part in spec.get("parts") or []],
        }

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The case, the scoring rule and the parts the trainer filled in."""
        return {
            "case": editor.texts(raw.get("case")),
            "scoring": editor.word(raw.get("scoring")) or "unit",
            "parts": editor.parts(raw) if "parts" in raw else fresh["parts"],
        }

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

    def rename_ids(self, spec: Spec, rename: Rename, scope: str) -> dict[str, Any]:
        """Every part renamed, and each part's own ids renamed within the part."""
        parts = [
            {
                **qtype.rename_ids(part, rename, f"{scope}#{number}"),
                "id": rename(scope, part["id"]),
            }
            for number, (part, qtype) in enumerate(self._parts(spec), 1)
        ]
        return {**spec, "parts": parts}

    def rename_order(
        self, spec: Spec, order: OptionOrder | None, rename: Rename, scope: str
    ) -> Any:
        """Each part's order renamed, under the part's new name."""
        orders = self._part_orders(spec, order)
        if order is None:
            return None
        return {
            rename(scope, part["id"]): qtype.rename_order(
                part, orders.get(part["id"]), rename, f"{scope}#{number}"
            )
            for number, (part, qtype) in enumerate(self._parts(spec), 1)
            if part["id"] in orders
        }

    def rename_answer(self, spec: Spec, answer: Any, rename: Rename, scope: str) -> Any:
        """Each part's answer renamed, under the part's new name."""
        if answer is None:
            return None
        return {
            rename(scope, part["id"]): qtype.rename_answer(
                part, answer.get(part["id"]), rename, f"{scope}#{number}"
            )
            for number, (part, qtype) in enumerate(self._parts(spec), 1)
            if part["id"] in answer
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
            "fragment": self.fragment_name,
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

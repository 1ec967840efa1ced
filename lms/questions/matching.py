"""The matching question type: pair each stem (a package type, a complaint)
with its answer (a handling rule, a response); extra answers that match no
stem make guessing harder. Partial credit per right pair, or all or nothing.

Plain data in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from lms.content.fields import (
    enum_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
)
from lms.content.schema import MULTIPLE_SCORING
from lms.questions.base import (
    N_,
    BlankPart,
    BlankTexts,
    EditorFields,
    FileTexts,
    FormFields,
    GiftText,
    InvalidAnswer,
    OptionOrder,
    PartLoader,
    PartToFile,
    QuestionType,
    Rename,
    Spec,
    _flat_order,
    _reorder,
    _text,
)
from lms.questions.file_fields import read_entries


class Matching(QuestionType):
    """Match each stem to one answer; a point share per right pair or all or nothing."""

    name = "matching"
    label = N_("Matching")
    file_keys = ("pairs", "distractors", "scoring")
    leading_keys = ("scoring",)

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read 2 to 8 pairs (stem and match) and up to 4 distractor answers."""
        pairs = []
        for entry, entry_id in read_entries(
            m, "pairs", 2, 8, "pair", label, ("id", "text", "match")
        ):
            pairs.append(
                {
                    "id": entry_id,
                    "text": text_field(entry, "text"),
                    "match": text_field(entry, "match"),
                }
            )
        distractors = []
        for entry, entry_id in read_entries(
            m, "distractors", 0, 4, "distractor", label, ("id", "text"), required=False
        ):
            if entry_id is not None and entry_id in {pair["id"] for pair in pairs}:
                m.doc.error(
                    entry.key_line("id"),
                    msg(
                        "wrong match id '%(id)s' is also a pair id in %(owner)s: "
                        "give it its own id",
                        id=entry_id,
                        owner=label,
                    ),
                )
            distractors.append({"id": entry_id, "text": text_field(entry, "text")})
        spec["pairs"] = pairs
        spec["distractors"] = distractors
        spec["scoring"] = (
            enum_field(m, "scoring", MULTIPLE_SCORING, msg("scoring"), required=False) or "partial"
        )

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """Two empty pairs, no distractors, partial credit."""
        return {
            "scoring": "partial",
            "pairs": [
                {"id": chr(ord("a") + n), "text": texts(), "match": texts()} for n in range(2)
            ],
            "distractors": [],
        }

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """Scoring, pairs and distractors (left out when there are none)."""
        return {
            "scoring": spec.get("scoring"),
            "pairs": [
                {
                    "id": pair.get("id"),
                    "text": texts(pair.get("text")),
                    "match": texts(pair.get("match")),
                }
                for pair in spec.get("pairs") or []
            ],
            "distractors": [
                {"id": extra.get("id"), "text": texts(extra.get("text"))}
                for extra in spec.get("distractors") or []
            ]
            or None,
        }

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The pairs and distractors the trainer wrote; empty slots are dropped."""
        pairs = [
            {
                "id": editor.word(row.get("id")),
                "text": editor.texts(row.get("text")),
                "match": editor.texts(row.get("match")),
            }
            for _n, row in editor.rows(raw.get("pairs"))
            if not (
                editor.blank(editor.texts(row.get("text")))
                and editor.blank(editor.texts(row.get("match")))
            )
        ]
        distractors = [
            {"id": editor.word(row.get("id")), "text": editor.texts(row.get("text"))}
            for _n, row in editor.rows(raw.get("distractors"))
            if not editor.blank(editor.texts(row.get("text")))
        ]
        return {
            "scoring": editor.word(raw.get("scoring")) or "partial",
            "pairs": pairs if "pairs" in raw else fresh["pairs"],
            "distractors": distractors,
        }

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """``=item -> answer`` per pair, ``= -> answer`` per distractor."""
        pairs = [f"={text(pair['text'])} -> {text(pair['match'])}" for pair in spec["pairs"]]
        extras = [f"= -> {text(extra['text'])}" for extra in spec.get("distractors") or []]
        return " ".join(pairs + extras)

    def _stems(self, spec: Spec) -> list[str]:
        return [pair["id"] for pair in spec["pairs"]]

    def _matches(self, spec: Spec) -> dict[str, str]:
        # Stem id -> the id of its answer: the pair's own id in a file, its own
        # token once renamed, so a stem's token never names its answer.
        return {pair["id"]: pair.get("match_id", pair["id"]) for pair in spec["pairs"]}

    def option_ids(self, spec: Spec) -> list[str]:
        """The answer ids (each pair's match, then the distractors), the order shuffled."""
        matches = list(self._matches(spec).values())
        return matches + [extra["id"] for extra in spec.get("distractors") or []]

    def rename_ids(self, spec: Spec, rename: Rename, scope: str) -> dict[str, Any]:
        """Stems and answers renamed apart: a stem and its answer get unrelated names."""
        pairs = [
            {
                **pair,
                "id": rename(f"{scope}:stem", pair["id"]),
                "match_id": rename(f"{scope}:answer", pair.get("match_id", pair["id"])),
            }
            for pair in spec["pairs"]
        ]
        extras = [
            {**extra, "id": rename(f"{scope}:answer", extra["id"])}
            for extra in spec.get("distractors") or []
        ]
        return {**spec, "pairs": pairs, "distractors": extras}

    def rename_order(
        self, spec: Spec, order: OptionOrder | None, rename: Rename, scope: str
    ) -> Any:
        """The answers' order renamed."""
        return super().rename_order(spec, order, rename, f"{scope}:answer")

    def rename_answer(self, spec: Spec, answer: Any, rename: Rename, scope: str) -> Any:
        """Each stem and its chosen answer renamed."""
        if answer is None:
            return None
        renamed = {
            rename(f"{scope}:stem", stem): rename(f"{scope}:answer", chosen)
            for stem, chosen in answer.items()
        }
        return dict(sorted(renamed.items()))

    def shuffled_order(self, spec: Spec, rng: random.Random) -> list[str]:
        """A random answer order, never the stems' own order (that would give it away)."""
        key = self.option_ids(spec)
        order = list(key)
        while len(order) > 1 and order == key:
            rng.shuffle(order)
        return order

    def presented_order(self, spec: Spec, rng: random.Random, shuffle: bool) -> list[str]:
        """Always shuffled: answers are written beside their stems."""
        return self.shuffled_order(spec, rng)

    def from_form(self, spec: Spec, fields: FormFields, name: str) -> dict[str, str] | None:
        """One select per stem (``<name>@<stem id>``); unanswered stems are left out."""
        answer: dict[str, str] = {}
        for stem in self._stems(spec):
            values = [value for value in fields(f"{name}@{stem}") if value != ""]
            if len(values) > 1:
                raise InvalidAnswer(f"stem {stem!r} was given more than one answer")
            if values:
                answer[stem] = values[0]
        return answer or None

    def normalise_answer(self, spec: Spec, raw: Any) -> dict[str, str] | None:
        """Return stem id -> answer id for the stems answered, ``None`` if none is."""
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            raise InvalidAnswer(
                f"a matching answer must map stems to answers, got {type(raw).__name__}"
            )
        stems = set(self._stems(spec))
        answers = set(self.option_ids(spec))
        normalised: dict[str, str] = {}
        for stem, chosen in raw.items():
            if stem not in stems:
                raise InvalidAnswer(f"{stem!r} is not a stem of question {spec['id']!r}")
            if chosen is None or chosen == "":
                continue
            if not isinstance(chosen, str) or chosen not in answers:
                raise InvalidAnswer(f"{chosen!r} is not an answer of question {spec['id']!r}")
            normalised[stem] = chosen
        return dict(sorted(normalised.items())) or None

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        matches = self._matches(spec)
        stems = list(matches)
        answer = answer or {}
        right = sum(1 for stem in stems if answer.get(stem) == matches[stem])
        if spec.get("scoring", "partial") == "all_or_nothing":
            return Fraction(1) if right == len(stems) else Fraction(0)
        return Fraction(right, len(stems))

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """``<stem>:<answer>`` for each pair the learner made."""
        return [f"{stem}:{chosen}" for stem, chosen in (answer or {}).items()]

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """Stems in file order and answers in the given (shuffled) order."""
        view = super().learner_view(spec, option_order)
        view["stems"] = [{"id": pair["id"], "text": _text(pair["text"])} for pair in spec["pairs"]]
        matches = self._matches(spec)
        answers = [
            {"id": matches[pair["id"]], "text": pair["match"]} for pair in spec["pairs"]
        ] + list(spec.get("distractors") or [])
        view["answers"] = [
            {"id": entry["id"], "text": _text(entry["text"])}
            for entry in _reorder(answers, _flat_order(option_order), "answer")
        ]
        return view

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        answer = answer or {}
        matches = self._matches(spec)
        texts = {entry["id"]: entry["text"] for entry in view["answers"]}
        view["rows"] = [
            {
                "text": stem["text"],
                "chosen": texts.get(answer.get(stem["id"], "")),
                "match": texts[matches[stem["id"]]],
                "correct": answer.get(stem["id"]) == matches[stem["id"]],
            }
            for stem in view["stems"]
        ]
        view["chosen"] = answer

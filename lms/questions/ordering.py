"""The ordering question type: put items in their order. Also a scenario part.

Plain data in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from lms.content.fields import (
    EntryWording,
    identified_entries,
    seq_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
)
from lms.content.schema import OPTION_ID_RE
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
    Spec,
    UnfinishedAnswer,
    _flat_order,
    _id_list,
    _reorder,
    _text,
)


def read_items(
    m: YamlMapping, label: Message | str, low: int = 3, high: int = 7
) -> list[dict[str, Any]]:
    """The ``items`` list of an ordering question file, each with id and text."""
    nodes = seq_field(
        m,
        "items",
        low,
        high,
        lambda n: msg(
            "%(owner)s has %(count)d items: an ordering question needs %(low)d to %(high)d",
            owner=label,
            count=n,
            low=low,
            high=high,
        ),
    )
    if nodes is None:
        if not m.has("items"):
            m.missing(
                "items",
                msg(
                    "add %(low)d to %(high)d items, each with id and text, in the correct order",
                    low=low,
                    high=high,
                ),
            )
        return []
    wording = EntryWording(
        numbered=lambda number: msg("item %(number)d", number=number),
        named=lambda item_id: msg("item '%(id)s'", id=item_id),
        duplicate=lambda item_id: msg(
            "duplicate item id '%(id)s' in %(owner)s: give each item its own id",
            id=item_id,
            owner=label,
        ),
    )
    items = [
        {"id": item_id, "text": text_field(item, "text")}
        for item, item_id in identified_entries(m, nodes, ("id", "text"), OPTION_ID_RE, wording)
    ]
    return items


class Ordering(QuestionType):
    """Put items in order; 1 only for the exact order."""

    name = "ordering"
    label = N_("Ordering")
    file_keys = ("items",)

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read 3 to 7 items in the correct order."""
        spec["items"] = read_items(m, label)

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """Three empty steps."""
        return {"items": [{"id": chr(ord("a") + n), "text": texts()} for n in range(3)]}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The items in the correct order."""
        return {
            "items": [
                {"id": item.get("id"), "text": texts(item.get("text"))}
                for item in spec.get("items") or []
            ]
        }

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The steps the trainer wrote, in order; empty slots are dropped."""
        if "items" not in raw:
            return {"items": fresh["items"]}
        return {
            "items": [
                {"id": editor.word(row.get("id")), "text": editor.texts(row.get("text"))}
                for _position, row in editor.rows(raw.get("items"))
                if not editor.blank(editor.texts(row.get("text")))
            ]
        }

    def option_ids(self, spec: Spec) -> list[str]:
        """Return the item ids in the correct (spec) order."""
        return [item["id"] for item in spec["items"]]

    def rename_ids(self, spec: Spec, rename: Rename, scope: str) -> dict[str, Any]:
        """The spec with every item id renamed (a token says nothing of its place)."""
        return {
            **spec,
            "items": [{**item, "id": rename(scope, item["id"])} for item in spec["items"]],
        }

    def rename_answer(self, spec: Spec, answer: Any, rename: Rename, scope: str) -> Any:
        """The learner's order, each item renamed."""
        return None if answer is None else [rename(scope, entry) for entry in answer]

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

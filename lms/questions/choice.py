"""The question types a learner answers by picking: single and multiple choice
and true/false (ordering has its own module). They are also scenario parts.

Plain data in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, ClassVar

from lms.content.fields import (
    EntryWording,
    bool_field,
    enum_field,
    identified_entries,
    seq_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
)
from lms.content.schema import MULTIPLE_SCORING, OPTION_ID_RE
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
    Score,
    Spec,
    _flat_order,
    _id_list,
    _reorder,
    _text,
    gift_feedback,
    gift_percent,
)

#: How a message names each choice type (the types' own labels below).
CHOICE_LABELS = {"single": N_("Single choice"), "multiple": N_("Multiple choice")}


def read_options(
    m: YamlMapping, label: Message | str, low: int, high: int, qtype: str
) -> list[dict[str, Any]]:
    """The ``options`` list of a choice question file, each with id, text, correct, feedback."""
    nodes = seq_field(
        m,
        "options",
        low,
        high,
        lambda n: msg(
            "%(owner)s has %(count)d options: a question of type %(type)s needs %(low)d to "
            "%(high)d",
            owner=label,
            count=n,
            type=msg(CHOICE_LABELS.get(qtype, qtype)),
            low=low,
            high=high,
        ),
    )
    if nodes is None:
        if not m.has("options"):
            m.missing(
                "options",
                msg("add %(low)d to %(high)d options, each with id and text", low=low, high=high),
            )
        return []
    wording = EntryWording(
        numbered=lambda number: msg("option %(number)d", number=number),
        named=lambda option_id: msg("option '%(id)s'", id=option_id),
        duplicate=lambda option_id: msg(
            "duplicate option id '%(id)s' in %(owner)s: give each option its own id",
            id=option_id,
            owner=label,
        ),
    )
    keys = ("id", "text", "correct", "feedback")
    options = [
        {
            "id": option_id,
            "text": text_field(option, "text"),
            "correct": bool_field(option, "correct", required=False),
            "feedback": text_field(option, "feedback", required=False),
        }
        for option, option_id in identified_entries(m, nodes, keys, OPTION_ID_RE, wording)
    ]
    return options


def options_to_file(spec: Spec, texts: FileTexts) -> list[dict[str, Any]]:
    """A choice question's options in the file shape."""
    return [
        {
            "id": option.get("id"),
            "text": texts(option.get("text")),
            "correct": True if option.get("correct") else None,
            "feedback": texts(option.get("feedback")),
        }
        for option in spec.get("options") or []
    ]


def options_from_editor(
    raw: Mapping[str, Any], editor: EditorFields, one_correct: bool
) -> list[dict[str, Any]]:
    """The options of a choice question from the editor; blank slots are dropped."""
    options = []
    chosen = editor.word(raw.get("correct"))
    for position, row in editor.rows(raw.get("options")):
        text = editor.texts(row.get("text"))
        feedback = editor.texts(row.get("feedback"))
        if editor.blank(text) and editor.blank(feedback):
            continue
        correct = chosen == str(position) if one_correct else editor.checked(row.get("correct"))
        options.append(
            {
                "id": editor.word(row.get("id")),
                "text": text,
                "correct": True if correct else None,
                "feedback": None if editor.blank(feedback) else feedback,
            }
        )
    return options


def blank_options(count: int, texts: BlankTexts, correct: Iterable[int]) -> list[dict[str, Any]]:
    """``count`` empty options a, b, c ...; those at ``correct`` marked right."""
    right = set(correct)
    return [
        {"id": chr(ord("a") + n), "text": texts(), "correct": True if n in right else None}
        for n in range(count)
    ]


class _ChoiceType(QuestionType):
    """Shared behaviour of single and multiple choice."""

    file_keys = ("options",)
    low: ClassVar[int] = 2
    high: ClassVar[int] = 6

    def option_ids(self, spec: Spec) -> list[str]:
        """Return the option ids in spec order."""
        return [option["id"] for option in spec["options"]]

    def _correct_ids(self, spec: Spec) -> set[str]:
        return {option["id"] for option in spec["options"] if option.get("correct")}

    def rename_ids(self, spec: Spec, rename: Rename, scope: str) -> dict[str, Any]:
        """The spec with every option id renamed."""
        options = [{**option, "id": rename(scope, option["id"])} for option in spec["options"]]
        return {**spec, "options": options}

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
    label = N_("Single choice")

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read 2 to 6 options, exactly one of them correct."""
        options = read_options(m, label, self.low, self.high, self.name)
        spec["options"] = options
        correct = sum(1 for option in options if option["correct"])
        if options and correct == 0:
            m.missing("correct", msg("mark exactly one option with correct: true"))
        elif correct > 1:
            m.doc.error(
                m.key_line("options"),
                msg(
                    "%(owner)s has %(count)d correct options: a single choice question needs "
                    "exactly one",
                    owner=label,
                    count=correct,
                ),
            )

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """Two empty options, the first marked right."""
        return {"options": blank_options(2, texts, [0])}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The options."""
        return {"options": options_to_file(spec, texts)}

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The options, the right one picked by a radio button."""
        if "options" not in raw:
            return {"options": fresh["options"]}
        return {"options": options_from_editor(raw, editor, one_correct=True)}

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """``=right ~wrong``, each with its ``#feedback``."""
        return " ".join(
            ("=" if option.get("correct") else "~")
            + text(option["text"])
            + gift_feedback(option.get("feedback"), text)
            for option in spec["options"]
        )

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

    def rename_answer(self, spec: Spec, answer: Any, rename: Rename, scope: str) -> Any:
        """The picked option renamed."""
        return None if answer is None else rename(scope, answer)

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return the picked option id (none when unanswered)."""
        return [answer] if answer is not None else []


class MultipleChoice(_ChoiceType):
    """Pick every right option; all-or-nothing or partial credit."""

    name = "multiple"
    label = N_("Multiple choice")
    file_keys = ("options", "scoring")
    leading_keys = ("scoring",)
    low = 3
    high = 8

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read 3 to 8 options, at least two correct, and the scoring rule."""
        options = read_options(m, label, self.low, self.high, self.name)
        spec["options"] = options
        spec["scoring"] = enum_field(m, "scoring", MULTIPLE_SCORING, msg("scoring"))
        correct = sum(1 for option in options if option["correct"])
        if options and correct < 2:
            m.doc.error(
                m.key_line("options"),
                msg(
                    "%(owner)s has too few correct options (%(count)d): a multiple choice "
                    "question needs at least two (use type single for one)",
                    owner=label,
                    count=correct,
                ),
            )

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """Three empty options, the first two marked right; all-or-nothing scoring."""
        return {"options": blank_options(3, texts, [0, 1]), "scoring": "all_or_nothing"}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The scoring rule and the options."""
        return {"scoring": spec.get("scoring"), "options": options_to_file(spec, texts)}

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The options, each ticked right or not, and the scoring rule."""
        options = (
            options_from_editor(raw, editor, one_correct=False)
            if "options" in raw
            else fresh["options"]
        )
        return {"options": options, "scoring": editor.word(raw.get("scoring")) or "all_or_nothing"}

    def gift_losses(self, spec: Spec) -> list[str]:
        """All-or-nothing has no GIFT form: the weights give partial credit."""
        if spec.get("scoring") == "all_or_nothing":
            return [N_("all-or-nothing scoring is written as weights (partial credit)")]
        return []

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """Weighted answers: each right one an equal share, each wrong one minus that share."""
        right = sum(1 for option in spec["options"] if option.get("correct"))
        share = Fraction(100, right)
        return " ".join(
            "~"
            + gift_percent(share if option.get("correct") else -share)
            + text(option["text"])
            + gift_feedback(option.get("feedback"), text)
            for option in spec["options"]
        )

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

    def rename_answer(self, spec: Spec, answer: Any, rename: Rename, scope: str) -> Any:
        """Every ticked option renamed, sorted again (the choice is a set)."""
        return None if answer is None else sorted(rename(scope, entry) for entry in answer)

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
    label = N_("True or false")
    file_keys = ("answer",)
    foreign_key_fix = N_("use answer: true or false")
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

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read ``answer: true`` or ``answer: false``."""
        if m.value("answer") is None:
            m.missing("answer", msg("add answer: true or answer: false"))
            spec["answer"] = None
        else:
            spec["answer"] = bool_field(m, "answer")

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """A true statement."""
        return {"answer": True}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The answer."""
        return {"answer": spec.get("answer")}

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The answer radio (true unless false was picked)."""
        return {"answer": editor.word(raw.get("answer")) != "false"}

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """``T`` or ``F``."""
        return "T" if spec["answer"] else "F"

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        return Fraction(1) if answer is not None and answer == bool(spec["answer"]) else Fraction(0)

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """Return ``["true"]`` or ``["false"]`` (none when unanswered)."""
        return [] if answer is None else ["true" if answer else "false"]

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        view["answer"] = bool(spec["answer"])
        view["chosen"] = answer

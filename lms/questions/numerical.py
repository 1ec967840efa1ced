"""The numerical question type: a number typed by the learner (volumetric
weight, a fee, a conversion rate), right when it equals an accepted value,
lies within its tolerance or inside a range; each accepted answer gives its
own credit, and an optional unit is shown beside the input.

Plain data in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from lms.content.fields import (
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
    field_label,
)
from lms.questions.base import (
    N_,
    BlankPart,
    BlankTexts,
    EditorFields,
    FileTexts,
    GiftText,
    InvalidAnswer,
    OptionOrder,
    PartLoader,
    PartToFile,
    QuestionType,
    Spec,
    _text,
    gift_feedback,
)
from lms.questions.file_fields import (
    MAX_NUMBER_CHARS,
    credit_field,
    format_number,
    number_field,
    parse_number,
    read_entries,
)


def learner_number(text: str, unit: Mapping[str, str] | None) -> Decimal | None:
    """The number in what a learner typed: full-width digits, a unit after it and
    thousands separators are allowed; None when it is not a number."""
    text = unicodedata.normalize("NFKC", text).strip()
    for word in sorted((unit or {}).values(), key=len, reverse=True):
        word = unicodedata.normalize("NFKC", word).strip()
        if word and text.casefold().endswith(word.casefold()):
            text = text[: -len(word)].strip()
            break
    # "1,250" is a thousands separator; "12,5" (a decimal comma) is read as 12.5.
    if text.count(",") == 1 and "." not in text and len(text.split(",")[1]) != 3:
        text = text.replace(",", ".")
    return parse_number(text.replace(",", "").replace(" ", ""))


def answer_matches(answer: Mapping[str, Any], value: Decimal) -> bool:
    """Whether ``value`` is accepted by one answer (exact, tolerance or range)."""
    if answer.get("min") is not None:
        return Decimal(answer["min"]) <= value <= Decimal(answer["max"])
    tolerance = Decimal(answer.get("tolerance") or "0")
    return abs(value - Decimal(answer["value"])) <= tolerance


class Numerical(QuestionType):
    """Type a number; the best matching accepted answer gives the credit."""

    name = "numerical"
    label = N_("Numerical")
    file_keys = ("answers", "unit")

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read 1 to 6 accepted answers (value with optional tolerance, or min and max)."""
        answers = []
        for entry, _entry_id in read_entries(
            m,
            "answers",
            1,
            6,
            "answer",
            label,
            ("value", "tolerance", "min", "max", "credit", "feedback"),
            with_id=False,
        ):
            answer: dict[str, Any] = {"credit": credit_field(entry)}
            if entry.has("min") or entry.has("max"):
                if entry.has("value") or entry.has("tolerance"):
                    entry.doc.error(
                        entry.line,
                        msg(
                            "%(owner)s has both a range and a value: write either min and max, "
                            "or value (with an optional tolerance)",
                            owner=entry.label,
                        ),
                    )
                low = number_field(entry, "min", required=True)
                high = number_field(entry, "max", required=True)
                if low is not None and high is not None and Decimal(low) > Decimal(high):
                    entry.doc.error(
                        entry.key_line("min"),
                        msg(
                            "the lowest value %(low)s is above the highest %(high)s: swap them",
                            low=low,
                            high=high,
                        ),
                    )
                answer |= {"min": low, "max": high}
            else:
                answer["value"] = number_field(entry, "value", required=True)
                tolerance = number_field(entry, "tolerance")
                if tolerance is not None and Decimal(tolerance) < 0:
                    entry.doc.error(
                        entry.key_line("tolerance"),
                        msg(
                            "%(field)s must be 0 or more, got %(got)s",
                            field=field_label("tolerance"),
                            got=tolerance,
                        ),
                    )
                answer["tolerance"] = tolerance
            answer["feedback"] = text_field(entry, "feedback", required=False)
            answers.append(answer)
        if answers and not any(answer["credit"] == 100 for answer in answers):
            m.doc.error(
                m.key_line("answers"),
                msg(
                    "%(owner)s has no answer with credit 100: give the right answer full credit",
                    owner=label,
                ),
            )
        spec["answers"] = answers
        spec["unit"] = text_field(m, "unit", required=False)

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """One exact answer of 0, full credit, no unit."""
        return {"answers": [{"value": "0", "tolerance": None, "credit": 100}], "unit": None}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The accepted answers and the unit."""
        answers = []
        for answer in spec.get("answers") or []:
            out = {
                key: answer.get(key)
                for key in ("value", "tolerance", "min", "max")
                if answer.get(key) is not None
            }
            if answer.get("credit", 100) != 100:
                out["credit"] = answer["credit"]
            if answer.get("feedback"):
                out["feedback"] = texts(answer["feedback"])
            answers.append(out)
        unit = spec.get("unit")
        return {"answers": answers, "unit": texts(unit) if unit else None}

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The answers the trainer filled in (a value or a min and max) and the unit."""
        if "answers" not in raw:
            return {"answers": fresh["answers"], "unit": fresh["unit"]}
        answers = []
        for _n, row in editor.rows(raw.get("answers")):
            fields = {
                key: editor.word(row.get(key)) or None
                for key in ("value", "tolerance", "min", "max")
            }
            if not any(fields.values()):
                continue
            credit = editor.word(row.get("credit"))
            answer: dict[str, Any] = {
                key: value for key, value in fields.items() if value is not None
            }
            answer["credit"] = int(credit) if credit.isdigit() else (credit or 100)
            answers.append(answer)
        unit = editor.texts(raw.get("unit"))
        return {"answers": answers, "unit": None if editor.blank(unit) else unit}

    def gift_losses(self, spec: Spec) -> list[str]:
        """GIFT has no unit."""
        return [N_("GIFT has no unit field: the unit is not written")] if spec.get("unit") else []

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """``#=%credit%value:tolerance`` or ``#=%credit%min..max`` per answer (GIFT has no unit)."""
        written = []
        for answer in spec["answers"]:
            if answer.get("min") is not None:
                number = f"{answer['min']}..{answer['max']}"
            else:
                number = f"{answer['value']}:{answer.get('tolerance') or '0'}"
            written.append(
                f"=%{answer.get('credit', 100)}%{number}"
                + gift_feedback(answer.get("feedback"), text)
            )
        return "#" + " ".join(written)

    def normalise_answer(self, spec: Spec, raw: Any) -> str | None:
        """Return the typed text, trimmed; a text that is not a number is kept (and wrong)."""
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidAnswer(f"a number answer must be text, got {type(raw).__name__}")
        text = str(raw).strip()
        if len(text) > MAX_NUMBER_CHARS * 2:
            raise InvalidAnswer("a number answer is too long")
        return text or None

    def best_answer(self, spec: Spec, answer: Any) -> Mapping[str, Any] | None:
        """The accepted answer with the most credit that the typed number matches."""
        if answer is None:
            return None
        value = learner_number(answer, spec.get("unit"))
        if value is None:
            return None
        matching = [entry for entry in spec["answers"] if answer_matches(entry, value)]
        return max(matching, key=lambda entry: entry.get("credit", 100), default=None)

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        best = self.best_answer(spec, answer)
        return Fraction(best.get("credit", 100), 100) if best is not None else Fraction(0)

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """The typed number in canonical form (``not-a-number`` when it is none)."""
        if answer is None:
            return []
        value = learner_number(answer, spec.get("unit"))
        return [format_number(value) if value is not None else "not-a-number"]

    def learner_view(self, spec: Spec, option_order: OptionOrder | None = None) -> dict[str, Any]:
        """The prompt and the unit shown beside the input."""
        view = super().learner_view(spec, option_order)
        view["unit"] = _text(spec.get("unit"))
        return view

    def review_view(
        self,
        spec: Spec,
        answer: Any,
        score: Any,
        mode: str,
        option_order: OptionOrder | None = None,
    ) -> dict[str, Any]:
        """The review; the matched answer's feedback only in explanations mode."""
        view = super().review_view(spec, answer, score, mode, option_order)
        if mode == "explanations":
            best = self.best_answer(spec, self.normalise_answer(spec, answer))
            view["feedback"] = _text(best.get("feedback")) if best is not None else None
        return view

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        view["chosen"] = answer
        full = [entry for entry in spec["answers"] if entry.get("credit", 100) == 100]
        view["accepted"] = [
            f"{entry['min']} – {entry['max']}"
            if entry.get("min") is not None
            else (
                f"{entry['value']} ± {entry['tolerance']}"
                if entry.get("tolerance") not in (None, "0")
                else entry["value"]
            )
            for entry in full
        ]

"""The short-answer question type: the learner types a word or a short phrase,
compared with the accepted answers after normalising full-width and
half-width forms, spaces, letter case and punctuation; optionally traditional
and simplified Chinese count as the same (with OpenCC).

Plain data in, plain data out: nothing here imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from yaml.nodes import ScalarNode

from lms.content.fields import (
    bool_field,
    text_field,
)
from lms.content.messages import Message, msg
from lms.content.reader import (
    YamlMapping,
    is_null,
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
from lms.questions.file_fields import credit_field, read_entries

#: Longest answer a learner may type.
MAX_ANSWER_CHARS = 200


@functools.cache
def _to_simplified() -> Callable[[str], str] | None:
    """OpenCC's traditional-to-simplified converter, or None when it is not installed."""
    try:
        import opencc
    except ImportError:
        return None
    return opencc.OpenCC("t2s").convert


def variants_available() -> bool:
    """Whether traditional/simplified equivalence can be checked here."""
    return _to_simplified() is not None


def normalise_text(text: str, chinese_variants: bool = False) -> str:
    """Text as compared: NFKC (full-width to half-width), case-folded, without
    spaces or punctuation; traditional characters made simplified if asked."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(
        char
        for char in text
        if not char.isspace() and not unicodedata.category(char).startswith("P")
    )
    if chinese_variants:
        convert = _to_simplified()
        if convert is not None:
            text = convert(text)
    return text


class ShortAnswer(QuestionType):
    """Type a short answer; the best accepted answer it equals gives the credit."""

    name = "short_answer"
    label = N_("Short answer")
    file_keys = ("answers", "chinese_variants")

    def load(
        self, m: YamlMapping, spec: dict[str, Any], label: Message | str, load_part: PartLoader
    ) -> None:
        """Read 1 to 10 accepted answers (plain text with a credit) and the variants flag."""
        answers = []
        for entry, _entry_id in read_entries(
            m, "answers", 1, 10, "answer", label, ("text", "credit", "feedback"), with_id=False
        ):
            node = entry.value("text")
            text = (
                str(node.value).strip()
                if isinstance(node, ScalarNode) and not is_null(node)
                else ""
            )
            if node is None:
                entry.missing("text", msg("add text: an answer the learner may type"))
            elif not text or not normalise_text(text):
                entry.doc.error(
                    entry.key_line("text"),
                    msg(
                        "the text of %(owner)s is empty once spaces and punctuation are "
                        "removed: write the words a learner would type",
                        owner=entry.label,
                    ),
                )
            answers.append(
                {
                    "text": text,
                    "credit": credit_field(entry),
                    "feedback": text_field(entry, "feedback", required=False),
                }
            )
        if answers and not any(answer["credit"] == 100 for answer in answers):
            m.doc.error(
                m.key_line("answers"),
                msg(
                    "%(owner)s has no answer with credit 100: give the right answer full credit",
                    owner=label,
                ),
            )
        variants = bool_field(m, "chinese_variants", required=False)
        if variants and not variants_available():
            m.doc.error(
                m.key_line("chinese_variants"),
                msg(
                    "chinese_variants needs the opencc package, which is not installed here: "
                    "install it or remove chinese_variants"
                ),
            )
        spec["answers"] = answers
        spec["chinese_variants"] = variants

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        """One empty accepted answer with full credit."""
        return {"answers": [{"text": "", "credit": 100}], "chinese_variants": False}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        """The accepted answers and, when set, the variants flag."""
        answers = []
        for answer in spec.get("answers") or []:
            out: dict[str, Any] = {"text": answer.get("text")}
            if answer.get("credit", 100) != 100:
                out["credit"] = answer["credit"]
            if answer.get("feedback"):
                out["feedback"] = texts(answer["feedback"])
            answers.append(out)
        return {
            "answers": answers,
            "chinese_variants": True if spec.get("chinese_variants") else None,
        }

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The accepted answers the trainer wrote and the variants box."""
        if "answers" not in raw:
            return {"answers": fresh["answers"], "chinese_variants": False}
        answers = []
        for _n, row in editor.rows(raw.get("answers")):
            text = editor.word(row.get("text"))
            if not text:
                continue
            credit = editor.word(row.get("credit"))
            answers.append(
                {"text": text, "credit": int(credit) if credit.isdigit() else (credit or 100)}
            )
        return {
            "answers": answers,
            "chinese_variants": True if editor.checked(raw.get("chinese_variants")) else None,
        }

    def gift_losses(self, spec: Spec) -> list[str]:
        """GIFT cannot say that traditional and simplified characters are the same."""
        if spec.get("chinese_variants"):
            return [N_("GIFT cannot say that traditional and simplified characters are the same")]
        return []

    def to_gift(self, spec: Spec, text: GiftText) -> str | None:
        """``=%credit%answer`` per accepted answer (the variants flag has no GIFT form)."""
        return " ".join(
            f"=%{answer.get('credit', 100)}%{text(answer['text'])}"
            + gift_feedback(answer.get("feedback"), text)
            for answer in spec["answers"]
        )

    def normalise_answer(self, spec: Spec, raw: Any) -> str | None:
        """Return the typed text, trimmed, or ``None`` when nothing was typed."""
        if raw is None:
            return None
        if not isinstance(raw, str):
            raise InvalidAnswer(f"a short answer must be text, got {type(raw).__name__}")
        if len(raw) > MAX_ANSWER_CHARS:
            raise InvalidAnswer("a short answer is too long")
        return raw.strip() or None

    def best_answer(self, spec: Spec, answer: Any) -> Mapping[str, Any] | None:
        """The accepted answer with the most credit that the typed text equals."""
        if answer is None:
            return None
        variants = bool(spec.get("chinese_variants"))
        typed = normalise_text(answer, variants)
        matching = [
            entry
            for entry in spec["answers"]
            if typed and normalise_text(entry["text"], variants) == typed
        ]
        return max(matching, key=lambda entry: entry.get("credit", 100), default=None)

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        best = self.best_answer(spec, answer)
        return Fraction(best.get("credit", 100), 100) if best is not None else Fraction(0)

    def chosen_ids(self, spec: Spec, answer: Any) -> list[str]:
        """The typed text as compared (so 顺丰 and ＳＦ-like spellings count together)."""
        if answer is None:
            return []
        return [normalise_text(answer, bool(spec.get("chinese_variants")))]

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
        view["accepted"] = [
            entry["text"] for entry in spec["answers"] if entry.get("credit", 100) == 100
        ]

"""Writing a question bank as Moodle GIFT or Aiken text, so a bank goes to
Moodle and back: each type writes its own GIFT answers (``to_gift``); what a
format cannot hold is listed, never dropped without a word. Pure Python."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lms.i18n import _l, gettext
from lms.questions import registry

__all__ = ["EXPORTERS", "ExportedBank", "export_aiken", "export_gift"]

_GIFT_SPECIAL = "\\~=#{}:"


@dataclass
class ExportedBank:
    """The text of an exported bank and what it had to leave out or change, by question id."""

    text: str
    skipped: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)


def gift_escape(text: str) -> str:
    """Text with GIFT's special characters escaped and line breaks as ``\\n``."""
    for char in _GIFT_SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n").strip()


def _in_language(language: str) -> Callable[[Mapping[str, str] | str | None], str]:
    def text(value: Mapping[str, str] | str | None) -> str:
        if value is None:
            return ""
        written = value if isinstance(value, str) else value.get(language) or ""
        return gift_escape(written)

    return text


def export_gift(questions: Sequence[Mapping[str, Any]], language: str) -> ExportedBank:
    """The bank as GIFT in ``language``: ``$CATEGORY`` per topic, ``::id::`` per question."""
    text = _in_language(language)
    out: list[str] = []
    exported = ExportedBank("")
    topic: str | None = None
    for spec in questions:
        qtype = registry.QUESTION_TYPES.get(str(spec.get("type")))
        answers = qtype.to_gift(spec, text) if qtype is not None else None
        if answers is None:
            exported.skipped.append(
                (str(spec.get("id")), str(_l("GIFT has no form for this question type")))
            )
            continue
        if spec.get("topic") != topic and spec.get("topic"):
            topic = spec["topic"]
            out.append(f"$CATEGORY: $course$/{topic}\n")
        exported.changed.extend(
            (str(spec.get("id")), gettext(message)) for message in qtype.gift_losses(spec)
        )
        general = text(spec.get("explanation"))
        feedback = f"\n  ####{general}" if general else ""
        out.append(
            f"::{spec.get('id')}::{text(spec.get('prompt'))} {{\n  {answers}{feedback}\n}}\n"
        )
    exported.text = "\n".join(out)
    return exported


def export_aiken(questions: Sequence[Mapping[str, Any]], language: str) -> ExportedBank:
    """The single-choice questions as Aiken in ``language``; Aiken holds no other type."""
    out: list[str] = []
    exported = ExportedBank("")
    for spec in questions:
        options = spec.get("options") or []
        if spec.get("type") != "single" or len(options) > 26:
            exported.skipped.append(
                (str(spec.get("id")), str(_l("Aiken holds only single-choice questions")))
            )
            continue
        lines = [" ".join(str((spec.get("prompt") or {}).get(language) or "").split())]
        answer = "A"
        for index, option in enumerate(options):
            letter = chr(ord("A") + index)
            lines.append(f"{letter}. {' '.join(str(option['text'].get(language) or '').split())}")
            if option.get("correct"):
                answer = letter
        lines.append(f"ANSWER: {answer}")
        out.append("\n".join(lines) + "\n")
    exported.text = "\n".join(out)
    return exported


#: Each format's writer, called with the bank's questions and the language to write.
EXPORTERS: dict[str, Callable[[Sequence[Mapping[str, Any]], str], ExportedBank]] = {
    "gift": export_gift,
    "aiken": export_aiken,
}

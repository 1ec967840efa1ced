"""The right answer to a question spec, for tests that must pass a quiz."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lms.assessments.grading import normalise_answer
from lms.assessments.models import Attempt
from lms.questions.tokens import AnswerTokens
from lms.state import get_session


def correct_answer(spec: dict[str, Any]) -> Any:
    """The answer that scores full marks, in the shape grading expects."""
    kind = spec["type"]
    if kind == "single":
        return next(option["id"] for option in spec["options"] if option["correct"])
    if kind == "multiple":
        return [option["id"] for option in spec["options"] if option["correct"]]
    if kind == "true_false":
        return spec["answer"]
    if kind == "ordering":
        return [item["id"] for item in spec["items"]]
    if kind == "scenario":
        return {part["id"]: correct_answer(part) for part in spec["parts"]}
    if kind == "matching":
        return {pair["id"]: pair["id"] for pair in spec["pairs"]}
    raise ValueError(f"unknown question type {kind}")


def answer_tokens(app: Flask, profile_id: int, context: str) -> AnswerTokens:
    """The tokens a learner's page names options with, as the server computes them."""
    secret = app.secret_key
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    return AnswerTokens(key, profile_id, context)


def attempt_tokens(app: Flask, attempt_id: int) -> AnswerTokens:
    """The tokens of an attempt's page."""
    with app.app_context():
        profile_id = get_session().get(Attempt, attempt_id).profile_id
    return answer_tokens(app, profile_id, f"attempt:{attempt_id}")


def lesson_tokens(
    app: Flask, profile_id: int, course_key: str, lesson_key: str, step: str = "check"
) -> AnswerTokens:
    """The tokens of a lesson step's page (``check`` or ``decision``)."""
    return answer_tokens(app, profile_id, f"lesson:{course_key}:{lesson_key}:{step}")


def page_answer(tokens: AnswerTokens, spec: dict[str, Any], answer: Any) -> Any:
    """An answer in ids as the learner's page sends it as JSON: in tokens."""
    return tokens.shown_answer(spec, normalise_answer(spec, answer))


def page_fields(
    tokens: AnswerTokens, spec: dict[str, Any], answer: Any, name: str
) -> dict[str, list[str]]:
    """The form fields the learner's page posts for an answer given in ids."""
    return _fields(tokens.question(spec), page_answer(tokens, spec, answer), name)


def _fields(shown: dict[str, Any], answer: Any, name: str) -> dict[str, list[str]]:
    kind = shown["type"]
    if answer is None:
        return {}
    if kind == "multiple":
        return {name: list(answer)}
    if kind == "true_false":
        return {name: ["true" if answer else "false"]}
    if kind == "ordering":
        return {f"{name}@{item}": [str(place)] for place, item in enumerate(answer, 1)}
    if kind == "matching":
        return {f"{name}@{stem}": [chosen] for stem, chosen in answer.items()}
    if kind == "scenario":
        fields: dict[str, list[str]] = {}
        for part in shown["parts"]:
            fields.update(_fields(part, answer.get(part["id"]), f"{name}.{part['id']}"))
        return fields
    return {name: [str(answer)]}

"""Reading the attempt page's plain HTML form into raw answers.

The page names its inputs after the question's position: ``q3`` (a choice or
true/false, plus a blank hidden marker so an emptied question is still sent),
``q3@<item>`` (the numbered select of an ordering item) and ``q3.<part>`` (a
scenario part, named the same way inside). How each type reads its fields is
the question type's own business. Every option, item and part is named by its
per-attempt token (``lms.questions.tokens``), never by the content's own id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from lms.assessments.grading import InvalidAnswer, UnfinishedAnswer
from lms.assessments.models import Attempt
from lms.assessments.services import AttemptError
from lms.i18n import _l
from lms.questions.tokens import AnswerTokens

QUESTION_FIELD = re.compile(r"^q(\d{1,6})(?:[.@]|$)")


@dataclass
class PostedAnswers:
    """Raw answers by position, and the positions a learner left half done."""

    answers: dict[int, Any] = field(default_factory=dict)
    unfinished: list[int] = field(default_factory=list)


def field_name(position: int) -> str:
    """The form name of a question's answer."""
    return f"q{position}"


def attempt_context(attempt: Attempt) -> str:
    """What an attempt's answer tokens are made for: the attempt itself."""
    return f"attempt:{attempt.id}"


def answers_from_form(
    attempt: Attempt, form: MultiDict[str, str], tokens: AnswerTokens
) -> PostedAnswers:
    """Decode every question the form sent (named in ``tokens``); a tampered field
    raises ``AttemptError``."""
    positions = sorted({int(m.group(1)) for name in form if (m := QUESTION_FIELD.match(name))})
    by_position = {question.position: question for question in attempt.questions}
    posted = PostedAnswers()
    for position in positions:
        question = by_position.get(position)
        if question is None:
            raise AttemptError(_l("This question is not part of your attempt."), 404)
        try:
            posted.answers[position] = tokens.from_form(
                question.spec, form.getlist, field_name(position)
            )
        except UnfinishedAnswer:
            posted.unfinished.append(position)
        except InvalidAnswer as error:
            raise AttemptError(_l("This answer does not fit the question."), 400) from error
    return posted


#: What ``answer_from_fields`` returns for a half-done answer (nothing to save yet).
UNFINISHED = object()


def _question_at(attempt: Attempt, position: int) -> Any:
    question = next((q for q in attempt.questions if q.position == position), None)
    if question is None:
        raise AttemptError(_l("This question is not part of your attempt."), 404)
    return question


def answer_from_json(attempt: Attempt, position: int, raw: Any, tokens: AnswerTokens) -> Any:
    """One question's answer sent as JSON in the page's tokens, in ids."""
    question = _question_at(attempt, position)
    try:
        return tokens.answer(question.spec, raw)
    except InvalidAnswer as error:
        raise AttemptError(_l("This answer does not fit the question."), 400) from error


def answer_from_fields(attempt: Attempt, position: int, fields: Any, tokens: AnswerTokens) -> Any:
    """Decode one question's posted fields (``{name: [values]}``, as autosave sends them)."""
    question = _question_at(attempt, position)
    if not isinstance(fields, dict) or not all(
        isinstance(values, list) and all(isinstance(value, str) for value in values)
        for values in fields.values()
    ):
        raise AttemptError(_l("The request could not be understood."), 400)
    form = MultiDict([(str(name), value) for name, values in fields.items() for value in values])
    try:
        return tokens.from_form(question.spec, form.getlist, field_name(position))
    except UnfinishedAnswer:
        return UNFINISHED
    except InvalidAnswer as error:
        raise AttemptError(_l("This answer does not fit the question."), 400) from error

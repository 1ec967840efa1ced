"""Answer tokens with plain data: every type's ids renamed on the way out and
read back on the way in, without an app."""

from __future__ import annotations

import random

import pytest

from lms.assessments.grading import InvalidAnswer, grade, learner_view, presented_option_order
from lms.questions.tokens import TOKEN_LENGTH, AnswerTokens
from tests.answers import correct_answer, page_fields
from tests.assessments.conftest import mixed_bank
from tests.questions.test_new_types import matching

BANK = [*mixed_bank(), matching()]


def tokens(learner: int = 1, context: str = "attempt:1") -> AnswerTokens:
    return AnswerTokens(b"a test secret", learner, context)


@pytest.mark.parametrize("spec", BANK, ids=lambda spec: spec["type"])
def test_the_right_answer_read_back_from_the_page_scores_full_marks(spec):
    page = tokens()
    fields = page_fields(page, spec, correct_answer(spec), "q1")
    answer = page.from_form(spec, lambda name: fields.get(name, []), "q1")
    assert grade(spec, answer).correct


@pytest.mark.parametrize("spec", BANK, ids=lambda spec: spec["type"])
def test_the_view_holds_tokens_in_the_shuffled_order(spec):
    page = tokens()
    order = presented_option_order(spec, True, random.Random(3))
    view = learner_view(page.question(spec), page.order(spec, order))
    plain = learner_view(spec, order)
    assert [entry.get("text") for entry in view.get("options", view.get("items", []))] == [
        entry.get("text") for entry in plain.get("options", plain.get("items", []))
    ]
    for key in ("options", "items", "stems", "answers", "parts"):
        for entry in view.get(key) or []:
            assert len(entry["id"]) == TOKEN_LENGTH
            assert entry["id"] not in {e["id"] for e in plain.get(key) or []}


def test_tokens_differ_per_learner_and_per_context():
    made = {
        tokens(learner, context).token("q", "a")
        for learner in (1, 2)
        for context in ("attempt:1", "attempt:2", "lesson:c:l:check")
    }
    assert len(made) == 6
    assert tokens().token("q", "a") == tokens().token("q", "a")


def test_content_ids_and_foreign_tokens_are_no_answer():
    spec = mixed_bank()[0]
    page = tokens()
    with pytest.raises(InvalidAnswer):
        page.answer(spec, "a")
    with pytest.raises(InvalidAnswer):
        page.answer(spec, tokens(learner=2).token(spec["id"], "a"))
    assert page.answer(spec, page.token(spec["id"], "a")) == "a"


def test_a_saved_answer_is_shown_again_in_tokens():
    spec = matching()
    page = tokens()
    shown = page.shown_answer(spec, {"glass": "x"})
    assert shown == {page.token("q-match:stem", "glass"): page.token("q-match:answer", "x")}
    assert page.answer(spec, shown) == {"glass": "x"}

"""Tampered forms and requests: a clear 4xx, and nothing changes."""

from __future__ import annotations

import pytest

from lms.assessments.models import Attempt, AttemptStatus
from lms.state import get_session
from tests.answers import attempt_tokens
from tests.assessments.conftest import autosave, client_for, positions, single, start, stored
from tests.conftest import csrf_token_for, post_form


def answers(app, attempt_id: int) -> list:
    return [q.answer for q in stored(app, attempt_id).questions]


@pytest.fixture
def open_attempt(app, quizzes, learner):
    """A learner's client and the id of their open attempt at the mixed quiz."""
    key = quizzes.make(max_attempts=1)
    client = client_for(app, learner)
    return client, start(client, key), key


def test_an_option_id_from_another_question_is_refused(app, open_attempt):
    client, attempt_id, _ = open_attempt
    where = positions(app, attempt_id)
    single_at, case_at = where["mx-single"], where["mx-case"]
    # "d" exists in the multiple-choice question, not in the single-choice one.
    form = {f"q{case_at}.mx-case-p1": "a", f"q{single_at}": "d", "save": "1"}
    response = post_form(client, f"/attempts/{attempt_id}/save", form)
    assert response.status_code == 400
    assert "does not fit the question" in response.get_data(as_text=True)
    assert answers(app, attempt_id) == [None] * 5
    assert autosave(client, attempt_id, single_at, {"answer": "d"}).status_code == 400


def test_an_item_number_outside_the_list_is_refused(app, open_attempt):
    client, attempt_id, _ = open_attempt
    order = positions(app, attempt_id)["mx-order"]
    tk = attempt_tokens(app, attempt_id).token
    one, two, three = (tk("mx-order", item) for item in ("one", "two", "three"))
    form = {f"q{order}@{one}": "1", f"q{order}@{two}": "2", f"q{order}@{three}": "7"}
    assert post_form(client, f"/attempts/{attempt_id}/save", form).status_code == 400
    assert answers(app, attempt_id) == [None] * 5


def test_a_question_not_in_the_attempt_is_refused(app, open_attempt):
    client, attempt_id, _ = open_attempt
    response = post_form(client, f"/attempts/{attempt_id}/save", {"q1": "", "q9": "a"})
    assert response.status_code == 404
    assert "not part of your attempt" in response.get_data(as_text=True)
    missing = autosave(client, attempt_id, 9, {"answer": "a"})
    assert missing.status_code == 404
    assert missing.get_json()["error"]
    assert answers(app, attempt_id) == [None] * 5


def test_a_scenario_part_from_elsewhere_is_refused(app, open_attempt):
    client, attempt_id, _ = open_attempt
    case_at = positions(app, attempt_id)["mx-case"]
    body = {"answer": {"mx-case-p1": "a", "other-part": "b"}}
    assert autosave(client, attempt_id, case_at, body).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        None,
        "not json",
        [1, 2],
        {"no-answer": "a"},
        {"answer": {"a": 1}},
        {"answer": 7},
        {"answer": ["a", "a"]},
    ],
)
def test_garbage_json_is_refused(app, open_attempt, body):
    client, attempt_id, _ = open_attempt
    single_at = positions(app, attempt_id)["mx-single"]
    if body == "not json":
        response = client.post(
            f"/attempts/{attempt_id}/answers/{single_at}",
            data="{not json",
            content_type="application/json",
            headers={"X-CSRFToken": csrf_token_for(client)},
        )
    else:
        response = autosave(client, attempt_id, single_at, body)
    assert response.status_code == 400
    assert response.is_json
    assert answers(app, attempt_id) == [None] * 5


def test_autosave_without_the_csrf_header_is_refused(app, open_attempt):
    client, attempt_id, _ = open_attempt
    response = client.post(f"/attempts/{attempt_id}/answers/1", json={"answer": None})
    assert response.status_code == 400


def test_another_learners_attempt_is_out_of_reach(app, open_attempt, people):
    _, attempt_id, _ = open_attempt
    intruder = client_for(app, people.make(name="学员乙"))
    assert intruder.get(f"/attempts/{attempt_id}").status_code == 404
    assert intruder.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert post_form(intruder, f"/attempts/{attempt_id}/save", {"q1": ""}).status_code == 404
    assert autosave(intruder, attempt_id, 1, {"answer": None}).status_code == 404
    assert post_form(intruder, f"/attempts/{attempt_id}/submit", {}).status_code == 404
    attempt = stored(app, attempt_id)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    assert answers(app, attempt_id) == [None] * 5


def test_submitting_twice_gives_one_result(app, open_attempt):
    client, attempt_id, _ = open_attempt
    assert post_form(client, f"/attempts/{attempt_id}/submit", {}).status_code == 303
    graded_at = stored(app, attempt_id).graded_at
    again = post_form(client, f"/attempts/{attempt_id}/submit", {})
    assert again.status_code == 409
    assert "already been submitted" in again.get_data(as_text=True)
    by_form = post_form(client, f"/attempts/{attempt_id}/save", {"submit": "1"})
    assert by_form.status_code == 409
    assert stored(app, attempt_id).graded_at == graded_at


def test_answers_after_grading_are_refused(app, open_attempt):
    client, attempt_id, _ = open_attempt
    post_form(client, f"/attempts/{attempt_id}/submit", {})
    single_at = positions(app, attempt_id)["mx-single"]
    right = attempt_tokens(app, attempt_id).token("mx-single", "a")
    assert autosave(client, attempt_id, single_at, {"answer": right}).status_code == 409
    form = {f"q{single_at}": right, "save": "1"}
    assert post_form(client, f"/attempts/{attempt_id}/save", form).status_code == 409
    assert answers(app, attempt_id) == [None] * 5


def test_a_start_after_the_last_attempt_is_refused(app, open_attempt):
    client, attempt_id, key = open_attempt
    post_form(client, f"/attempts/{attempt_id}/submit", {})
    response = post_form(client, f"/courses/{key}/quiz/start", {})
    assert response.status_code == 403
    assert "used all 1 attempts" in response.get_data(as_text=True)
    with app.app_context():
        assert get_session().query(Attempt).count() == 1


def test_a_start_needs_the_csrf_token(app, quizzes, learner):
    key = quizzes.make([single("c-1")])
    client = client_for(app, learner)
    assert client.post(f"/courses/{key}/quiz/start").status_code == 400
    with app.app_context():
        assert get_session().query(Attempt).count() == 0

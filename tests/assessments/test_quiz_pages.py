"""The quiz pages as a learner uses them: policy, attempt form, autosave, result and review."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lms.assessments.models import Attempt, AttemptStatus
from lms.state import get_session
from lms.web import local_time
from tests.answers import attempt_tokens
from tests.assessments.conftest import (
    age_attempt,
    autosave,
    client_for,
    mixed_bank,
    positions,
    single,
    start,
    stored,
)
from tests.conftest import People, post_form


def spec_texts(spec: dict[str, Any], *keys: str) -> list[str]:
    """Every text under ``keys`` anywhere in a spec, in both languages."""
    found: list[str] = []
    if isinstance(spec, dict):
        for name, value in spec.items():
            if name in keys and isinstance(value, dict):
                found.extend(v for v in value.values() if v)
            else:
                found.extend(spec_texts(value, *keys))
    elif isinstance(spec, list):
        for value in spec:
            found.extend(spec_texts(value, *keys))
    return found


# --- the quiz page ---------------------------------------------------------------------------


def test_quiz_page_explains_the_policy_and_offers_a_start(app, quizzes, learner):
    key = quizzes.make(max_attempts=3, cooldown_minutes=30, time_limit_minutes=20, pass_mark=80)
    client = client_for(app, learner)
    page = client.get(f"/courses/{key}/quiz").get_data(as_text=True)
    assert "5 questions, drawn at random for each attempt." in page
    assert "You pass with 80% or more." in page
    assert "Safety questions must all be answered right to pass" in page
    assert "You have 20 minutes once you start." in page
    assert "You may try 3 times." in page
    assert "Between attempts you wait 30 minutes." in page
    assert "Start attempt 1" in page
    assert "3 attempts left." in page


def test_quiz_page_says_why_no_attempt_is_possible(app, quizzes, learner):
    key = quizzes.make(max_attempts=1)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    post_form(client, f"/attempts/{attempt_id}/submit", {})
    page = client.get(f"/courses/{key}/quiz").get_data(as_text=True)
    assert "You have used all 1 attempts at this quiz." in page
    assert "Start attempt" not in page
    assert f"/attempts/{attempt_id}/result" in page
    assert "Not passed" in page


def test_quiz_page_shows_the_cooldown(app, quizzes, learner):
    key = quizzes.make(max_attempts=0, cooldown_minutes=30)
    client = client_for(app, learner)
    post_form(client, f"/attempts/{start(client, key)}/submit", {})
    page = client.get(f"/courses/{key}/quiz").get_data(as_text=True)
    assert "You can try again in 30 minutes." in page
    refused = post_form(client, f"/courses/{key}/quiz/start", {})
    assert refused.status_code == 409


def test_quiz_page_needs_a_login(client, quizzes):
    key = quizzes.make()
    assert client.get(f"/courses/{key}/quiz").status_code == 302
    assert client.get("/courses/no-such-course/quiz").status_code == 302


def test_unknown_course_is_404(app, learner):
    assert client_for(app, learner).get("/courses/nope/quiz").status_code == 404


# --- the attempt page ------------------------------------------------------------------------


def test_attempt_page_shows_every_question_with_inputs(app, quizzes, learner):
    key = quizzes.make(time_limit_minutes=20)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    where = positions(app, attempt_id)
    tk = attempt_tokens(app, attempt_id).token
    order, case = f"q{where['mx-order']}@{tk('mx-order', 'two')}", where["mx-case"]
    assert page.count('class="question"') == 5
    assert f'type="radio" name="q{where["mx-single"]}" value="{tk("mx-single", "a")}"' in page
    assert (
        f'type="checkbox" name="q{where["mx-multiple"]}" value="{tk("mx-multiple", "d")}"' in page
    )
    assert f'name="q{where["mx-tf"]}" value="false"' in page
    assert f'<select id="{order}" name="{order}"' in page
    assert f'name="q{case}.{tk("mx-case", "mx-case-p2")}" value="true"' in page
    assert "Case of mx-case" in page
    assert 'name="save" value="1"' in page
    assert 'name="submit"' in page
    assert "About 20 minutes left." in page


def test_starting_twice_continues_the_same_attempt(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    assert start(client, key) == start(client, key)
    assert "Continue your attempt" in client.get(f"/courses/{key}/quiz").get_data(as_text=True)


def test_no_correct_answer_marker_reaches_the_learner_before_grading(app, quizzes, learner):
    bank = mixed_bank()
    key = quizzes.make(bank)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    secrets = [
        text for spec in bank for text in spec_texts(spec, "explanation", "rule", "feedback")
    ]
    assert secrets

    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "correct" not in page.lower()
    for text in secrets:
        assert text not in page
    saved = autosave(client, attempt_id, 1, {"answer": None})
    body = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert set(saved.get_json()) == {"saved", "position", "answered_at"}
    assert "correct" not in body.lower()
    # An ordering question's items are never shown in the key order.
    order = positions(app, attempt_id)["mx-order"]
    shown = re.findall(rf'name="q{order}@(\w+)"', page)
    tk = attempt_tokens(app, attempt_id).token
    assert sorted(shown) == sorted(tk("mx-order", item) for item in ("one", "two", "three"))
    assert shown != [tk("mx-order", item) for item in ("one", "two", "three")]


def test_no_marker_in_the_shipped_quizzes(content_app):
    learner = People(content_app).make()
    client = client_for(content_app, learner)
    attempt_id = start(client, "legal-safety")
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    with content_app.app_context():
        attempt = get_session().get(Attempt, attempt_id)
        specs = [q.spec for q in attempt.questions]
        topics = [spec["topic"] for spec in specs]
    assert len(specs) == 10
    for tag, count in {"traffic": 2, "accident": 2, "injury": 1, "labour": 1, "scams": 1}.items():
        assert topics.count(tag) >= count
    assert not re.search(r"""["' ]correct["'=:]|data-correct|class="[^"]*\bcorrect""", page)
    for spec in specs:
        for text in spec_texts(spec, "explanation", "rule", "feedback"):
            assert text not in page


# --- saving answers --------------------------------------------------------------------------


def test_autosave_is_idempotent(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    position = positions(app, attempt_id)["mx-multiple"]
    tk = attempt_tokens(app, attempt_id).token
    first = autosave(
        client, attempt_id, position, {"answer": [tk("mx-multiple", "b"), tk("mx-multiple", "a")]}
    )
    second = autosave(
        client, attempt_id, position, {"answer": [tk("mx-multiple", "a"), tk("mx-multiple", "b")]}
    )
    assert first.status_code == second.status_code == 200
    assert first.get_json()["saved"] is True
    assert first.get_json()["answered_at"] == second.get_json()["answered_at"]
    attempt = stored(app, attempt_id)
    assert attempt.questions[position - 1].answer == ["a", "b"]


def test_a_save_that_arrives_after_a_later_one_changes_nothing(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    position = positions(app, attempt_id)["mx-multiple"]
    tk = attempt_tokens(app, attempt_id).token

    def ticked(*ids: str) -> list[str]:
        return [tk("mx-multiple", option) for option in ids]

    # Three quick taps: a, a+b, a+b+c; the network delivers the third before the second.
    for seq, answer in ((1, ["a"]), (3, ["a", "b", "c"])):
        saved = autosave(client, attempt_id, position, {"answer": ticked(*answer), "seq": seq})
        assert saved.get_json() | {"answered_at": None} == {
            "saved": True,
            "position": position,
            "seq": seq,
            "answered_at": None,
        }
    late = autosave(client, attempt_id, position, {"answer": ticked("a", "b"), "seq": 2})
    assert late.status_code == 200
    assert late.get_json() == {"saved": False, "stale": True, "position": position, "seq": 3}
    # The same number again is late too: only a higher one replaces the answer.
    again = autosave(client, attempt_id, position, {"answer": ticked("b"), "seq": 3})
    assert again.get_json()["stale"] is True
    question = stored(app, attempt_id).questions[position - 1]
    assert (question.answer, question.answer_seq) == (["a", "b", "c"], 3)
    newer = autosave(client, attempt_id, position, {"answer": ticked("b"), "seq": 4})
    assert newer.get_json()["saved"] is True
    assert stored(app, attempt_id).questions[position - 1].answer == ["b"]


def test_the_attempt_page_gives_quiz_js_the_stored_sequence_number(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    position = positions(app, attempt_id)["mx-multiple"]
    answer = [attempt_tokens(app, attempt_id).token("mx-multiple", "a")]
    autosave(client, attempt_id, position, {"answer": answer, "seq": 7})
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # After a reload the next tap must carry a higher number than the one stored.
    assert f'data-name="q{position}"' in page
    box = page.split(f'id="q{position}"', 1)[1].split(">", 1)[0]
    assert 'data-seq="7"' in box


@pytest.mark.parametrize("seq", [0, -1, True, "2", 1.5, 2**31])
def test_a_sequence_number_no_page_sends_is_refused(app, quizzes, learner, seq):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    position = positions(app, attempt_id)["mx-multiple"]
    refused = autosave(client, attempt_id, position, {"answer": ["a"], "seq": seq})
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "The request could not be understood."
    assert stored(app, attempt_id).questions[position - 1].answer is None


def test_plain_form_saves_every_answer_and_returns_to_the_question(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    where = positions(app, attempt_id)
    s, m, tf, o, c = (
        where[k] for k in ("mx-single", "mx-multiple", "mx-tf", "mx-order", "mx-case")
    )
    tk = attempt_tokens(app, attempt_id).token
    p1, p2 = tk("mx-case", "mx-case-p1"), tk("mx-case", "mx-case-p2")
    form = {
        f"q{s}": ["", tk("mx-single", "b")],
        f"q{m}": ["", tk("mx-multiple", "a"), tk("mx-multiple", "c")],
        f"q{tf}": ["", "false"],
        f"q{o}": "",
        f"q{o}@{tk('mx-order', 'one')}": "1",
        f"q{o}@{tk('mx-order', 'two')}": "3",
        f"q{o}@{tk('mx-order', 'three')}": "2",
        f"q{c}": "",
        f"q{c}.{p1}": tk("mx-case#1", "c"),
        f"q{c}.{p2}": "true",
        "save": str(tf),
    }
    response = post_form(client, f"/attempts/{attempt_id}/save", form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}#q{tf}")
    answers = {q.question_key: q.answer for q in stored(app, attempt_id).questions}
    assert answers == {
        "mx-single": "b",
        "mx-multiple": ["a", "c"],
        "mx-tf": False,
        "mx-order": ["one", "three", "two"],
        "mx-case": {"mx-case-p1": "c", "mx-case-p2": True},
    }
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'name="q{s}" value="{tk("mx-single", "b")}" checked' in page
    assert f'name="q{m}" value="{tk("mx-multiple", "c")}" checked' in page
    assert f'name="q{tf}" value="false" checked' in page
    assert '<option value="3" selected>' in page
    assert f'name="q{c}.{p1}" value="{tk("mx-case#1", "c")}" checked' in page

    # Unticking every box and saving again clears the answer.
    post_form(client, f"/attempts/{attempt_id}/save", {f"q{m}": "", "save": str(m)})
    answers = {q.question_key: q.answer for q in stored(app, attempt_id).questions}
    assert answers["mx-multiple"] is None
    assert answers["mx-single"] == "b"


def test_a_half_numbered_ordering_is_not_saved_but_the_rest_is(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    where = positions(app, attempt_id)
    o, s = where["mx-order"], where["mx-single"]
    tk = attempt_tokens(app, attempt_id).token
    form = {
        f"q{o}@{tk('mx-order', 'one')}": "1",
        f"q{o}@{tk('mx-order', 'two')}": "1",
        f"q{o}@{tk('mx-order', 'three')}": "",
        f"q{s}": tk("mx-single", "a"),
        "submit": "1",
    }
    response = post_form(client, f"/attempts/{attempt_id}/save", form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#q{o}")
    attempt = stored(app, attempt_id)
    assert attempt.status == AttemptStatus.IN_PROGRESS
    answers = {q.question_key: q.answer for q in attempt.questions}
    assert answers["mx-order"] is None
    assert answers["mx-single"] == "a"
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Give every step its own number" in page


def test_submit_button_saves_then_grades(app, quizzes, learner):
    key = quizzes.make([single("only")], pass_mark=100)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    right = attempt_tokens(app, attempt_id).token("only", "a")
    response = post_form(client, f"/attempts/{attempt_id}/save", {"q1": right, "submit": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/result")
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Your score: 100%" in page
    assert "You passed." in page
    # The attempt page of a graded attempt leads to its result.
    assert client.get(f"/attempts/{attempt_id}").status_code == 302


def test_late_form_submission_is_graded_with_what_was_saved_by_the_deadline(app, quizzes, learner):
    key = quizzes.make([single("t-1"), single("t-2")], time_limit_minutes=10, pass_mark=50)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    tokens = attempt_tokens(app, attempt_id)
    first, second = (stored(app, attempt_id).questions[n].question_key for n in (0, 1))
    autosave(client, attempt_id, 1, {"answer": tokens.token(first, "a")})
    age_attempt(app, attempt_id, 11)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert "Time is up" in page
    late = autosave(client, attempt_id, 2, {"answer": tokens.token(second, "a")})
    assert late.status_code == 409
    response = post_form(
        client, f"/attempts/{attempt_id}/save", {"q2": tokens.token(second, "a"), "submit": "1"}
    )
    assert response.status_code == 303
    attempt = stored(app, attempt_id)
    assert attempt.score_percent == 50.0
    assert [q.answer for q in attempt.questions] == ["a", None]


def test_saving_after_the_deadline_without_submitting_is_refused(app, quizzes, learner):
    key = quizzes.make([single("t-1")], time_limit_minutes=10)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    age_attempt(app, attempt_id, 11)
    right = attempt_tokens(app, attempt_id).token("t-1", "a")
    response = post_form(client, f"/attempts/{attempt_id}/save", {"q1": right, "save": "1"})
    assert response.status_code == 409
    assert stored(app, attempt_id).questions[0].answer is None


# --- the result and its review ---------------------------------------------------------------


def graded_result(app, quizzes, learner, review: str) -> str:
    key = quizzes.make(review=review, pass_mark=50)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    where = positions(app, attempt_id)
    wrong = attempt_tokens(app, attempt_id).token("mx-single", "b")
    post_form(
        client,
        f"/attempts/{attempt_id}/save",
        {f"q{where['mx-single']}": wrong, f"q{where['mx-tf']}": "true", "submit": "1"},
    )
    return client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def test_review_mode_score_shows_only_points(app, quizzes, learner):
    page = graded_result(app, quizzes, learner, "score")
    assert "Your score: 20%" in page
    assert "You did not pass this time." in page
    assert "Safety questions you missed" in page
    assert "Prompt of mx-single" in page
    assert "Points: 0 of 1" in page
    assert "Right answer" not in page
    assert "Explanation of" not in page
    assert "Feedback" not in page


def test_review_mode_answers_shows_the_key_but_not_why(app, quizzes, learner):
    page = graded_result(app, quizzes, learner, "answers")
    assert "Right answer" in page
    assert "Your answer" in page
    assert "Right order" in page
    assert "Explanation of" not in page
    assert "Feedback" not in page
    assert "Rule of" not in page


def test_review_mode_explanations_shows_why(app, quizzes, learner):
    page = graded_result(app, quizzes, learner, "explanations")
    assert "Right answer" in page
    assert "Explanation of mx-single" in page
    assert "Rule of mx-single" in page
    assert "Feedback b of mx-single" in page
    assert "Explanation of mx-case-p1" in page


def test_result_shows_the_topic_breakdown(app, quizzes, learner):
    page = graded_result(app, quizzes, learner, "score")
    # Topic tags are content keys: the learner reads their names.
    assert re.search(r"<td>Traffic rules</td><td>1 / 3</td>", page)
    assert re.search(r"<td>Crashes and accidents</td><td>0 / 2</td>", page)
    assert "<td>traffic</td>" not in page


def test_topic_names_are_translated(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    attempt_id = start(client, key)
    post_form(client, f"/attempts/{attempt_id}/submit", {})
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "<td>交通规则</td>" in page


def failed_result(app, quizzes, learner, **policy):
    key = quizzes.make(**policy)
    client = client_for(app, learner)
    attempt_id = start(client, key)
    post_form(client, f"/attempts/{attempt_id}/submit", {})
    return client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def test_a_fail_says_when_the_next_attempt_opens_and_how_many_remain(app, quizzes, learner):
    page = failed_result(app, quizzes, learner, max_attempts=3, cooldown_minutes=30)
    found = re.search(r"Your next attempt opens at (\d{4}-\d\d-\d\d \d\d:\d\d)\.", page)
    assert found, page
    with app.app_context():
        attempt = get_session().scalars(select(Attempt)).one()
        assert found.group(1) == local_time(attempt.graded_at + timedelta(minutes=30))
    assert "2 attempts left." in page


def test_a_fail_with_no_wait_says_try_again_now(app, quizzes, learner):
    page = failed_result(app, quizzes, learner, max_attempts=0, cooldown_minutes=0)
    assert "You can try again now." in page
    assert "attempts left" not in page and "attempt left" not in page


def test_a_fail_on_the_last_attempt_says_none_remain(app, quizzes, learner):
    page = failed_result(app, quizzes, learner, max_attempts=1)
    assert "You have used all your attempts at this quiz." in page
    assert "You can try again now." not in page


def test_result_is_in_the_learners_language(app, quizzes, learner):
    key = quizzes.make([single("zh-1")])
    client = client_for(app, learner)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    attempt_id = start(client, key)
    post_form(client, f"/attempts/{attempt_id}/submit", {})
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "中文：Prompt of zh-1" in page
    assert "中文：Explanation of zh-1" in page


def test_result_of_an_open_attempt_leads_back_to_it(app, quizzes, learner):
    key = quizzes.make()
    client = client_for(app, learner)
    attempt_id = start(client, key)
    response = client.get(f"/attempts/{attempt_id}/result")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}")


@pytest.mark.parametrize("path", ["/attempts/1", "/attempts/1/result"])
def test_attempt_pages_need_a_login(client, path):
    assert client.get(path).status_code == 302

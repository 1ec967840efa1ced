"""No answer key in the page: the ids a learner picks from (options, items,
matching stems and answers, scenario parts, a decision's options) reach the
page only as per-learner, per-context tokens, so the content's own ids (where
the right answer is often ``a`` and items are written in order) tell nothing,
and an answer written with them is refused without changing anything."""

from __future__ import annotations

import re
import uuid
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.courses.models import StepEvent
from lms.state import get_session
from tests.answers import attempt_tokens, correct_answer, lesson_tokens, page_fields
from tests.assessments.conftest import (
    Quizzes,
    autosave,
    client_for,
    mixed_bank,
    positions,
    stored,
)
from tests.conftest import People, post_form
from tests.courses.conftest import COURSE, LESSON, LESSON_URL
from tests.questions.test_new_types import matching

SYNC_HEADERS = {"X-LMS-Sync": "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
NAMING_ATTRIBUTES = ("name", "value", "id", "for", "data-name", "data-consequence")


class _Names(HTMLParser):
    """Every value of an attribute that names or identifies an input."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.values.extend(value or "" for name, value in attrs if name in NAMING_ATTRIBUTES)


def names_in(page: str) -> list[str]:
    """The attribute values of the page that name inputs, split at ``@`` and ``.``."""
    parser = _Names()
    parser.feed(page)
    return [piece for value in parser.values for piece in re.split(r"[@.]", value)]


def content_ids(spec: dict[str, Any]) -> set[str]:
    """The ids a question's file gives its options, items, pairs and parts."""
    found: set[str] = set()
    for key in ("options", "items", "pairs", "distractors", "parts"):
        for entry in spec.get(key) or []:
            found.add(entry["id"])
            if key == "parts":
                found |= content_ids(entry)
    return found


def leaked(page: str, specs: list[dict[str, Any]]) -> set[str]:
    """The content ids that appear as an input's name or value on the page."""
    ids = set().union(*(content_ids(spec) for spec in specs))
    return ids & set(names_in(page))


@pytest.fixture
def quiz(app):
    """A learner's client and open attempt at a quiz of every picking type."""
    bank = [*mixed_bank(), matching()]
    key = Quizzes(app).make(bank)
    learner = People(app).make()
    client = client_for(app, learner)
    response = post_form(client, f"/courses/{key}/quiz/start", {})
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return client, attempt_id, bank


def test_the_attempt_page_names_no_option_item_stem_or_part_by_its_content_id(app, quiz):
    client, attempt_id, bank = quiz
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    tokens = attempt_tokens(app, attempt_id)

    assert leaked(page, bank) == set()
    # What the page does name them by: the attempt's tokens.
    shown = set(names_in(page))
    assert tokens.token("mx-single", "a") in shown
    assert tokens.token("mx-order", "one") in shown
    assert tokens.token("mx-case", "mx-case-p1") in shown
    assert tokens.token("q-match:stem", "glass") in shown
    assert tokens.token("q-match:answer", "glass") in shown
    # A matching stem and its answer have unrelated tokens.
    assert tokens.token("q-match:stem", "glass") != tokens.token("q-match:answer", "glass")


def test_another_attempt_of_the_same_learner_gets_other_tokens(app, quiz):
    _client, attempt_id, _bank = quiz
    first = attempt_tokens(app, attempt_id)
    other = lesson_tokens(app, 1, "test-course", "x")
    assert first.token("mx-single", "a") != other.token("mx-single", "a")


def test_answers_written_with_the_content_ids_are_refused_and_change_nothing(app, quiz):
    client, attempt_id, _bank = quiz
    where = positions(app, attempt_id)
    single_at, order_at, match_at = where["mx-single"], where["mx-order"], where["q-match"]

    by_form = post_form(
        client, f"/attempts/{attempt_id}/save", {f"q{single_at}": "a", "save": str(single_at)}
    )
    assert by_form.status_code == 400
    assert "This answer does not fit the question." in by_form.get_data(as_text=True)
    by_json = autosave(client, attempt_id, single_at, {"answer": "a"})
    assert by_json.status_code == 400
    assert by_json.get_json()["error"] == "This answer does not fit the question."
    ordered = autosave(client, attempt_id, order_at, {"answer": ["one", "two", "three"]})
    assert ordered.status_code == 400
    paired = autosave(client, attempt_id, match_at, {"answer": {"glass": "glass"}})
    assert paired.status_code == 400
    # Ordering fields named after the content's item ids are no answer at all.
    post_form(
        client,
        f"/attempts/{attempt_id}/save",
        {f"q{order_at}@one": "1", f"q{order_at}@two": "2", f"q{order_at}@three": "3"},
    )
    assert [q.answer for q in stored(app, attempt_id).questions] == [None] * 6


def test_a_token_from_another_question_or_made_up_is_a_clear_400(app, quiz):
    client, attempt_id, _bank = quiz
    tokens = attempt_tokens(app, attempt_id)
    where = positions(app, attempt_id)
    foreign = tokens.token("mx-multiple", "a")
    for raw in (foreign, "zzzzzzzzzz", "a" * 5000, "\x00"):
        response = autosave(client, attempt_id, where["mx-single"], {"answer": raw})
        assert response.status_code == 400, raw
    response = autosave(client, attempt_id, where["mx-case"], {"answer": {"mx-case-p1": "a"}})
    assert response.status_code == 400
    assert [q.answer for q in stored(app, attempt_id).questions] == [None] * 6


def test_answering_from_the_page_scores_what_the_learner_chose(app, quiz):
    client, attempt_id, bank = quiz
    tokens = attempt_tokens(app, attempt_id)
    where = positions(app, attempt_id)
    form: dict[str, Any] = {"submit": "1"}
    for spec in bank:
        form.update(page_fields(tokens, spec, correct_answer(spec), f"q{where[spec['id']]}"))
    response = post_form(client, f"/attempts/{attempt_id}/save", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    attempt = stored(app, attempt_id)
    assert attempt.score_percent == 100.0
    answers = {q.question_key: q.answer for q in attempt.questions}
    # Stored in the content's ids, so reviews and item analysis read them as before.
    assert answers["mx-single"] == "a"
    assert answers["mx-order"] == ["one", "two", "three"]
    assert answers["q-match"] == {"fish": "fish", "glass": "glass", "phone": "phone"}
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Your score: 100%" in result


# --- the lesson player -----------------------------------------------------------------------


@pytest.fixture
def lesson_learner(content_app):
    person = People(content_app).make()
    client = client_for(content_app, person)
    post_form(client, "/stopped", {"next": "/"})
    return person, client


def _lesson():
    from lms.courses.services import course_by_key, lesson_in

    return lesson_in(course_by_key(COURSE).current_version, LESSON)


def test_the_lesson_check_and_decision_name_nothing_by_its_content_id(content_app, lesson_learner):
    person, client = lesson_learner
    check = client.get(f"{LESSON_URL}?step=check").get_data(as_text=True)
    decision = client.get(f"{LESSON_URL}?step=decision").get_data(as_text=True)
    with content_app.app_context():
        lesson = _lesson()
        checks, options = list(lesson.checks), list(lesson.decision["options"])
    assert leaked(check, checks) == set()
    option_ids = {option["id"] for option in options}
    assert option_ids & set(names_in(decision)) == set()
    tokens = lesson_tokens(content_app, person.profile_id, COURSE, LESSON, "decision")
    assert {tokens.token("decision", o) for o in option_ids} <= set(names_in(decision))


def _events(app, profile_id: int) -> int:
    with app.app_context():
        return get_session().scalar(
            select(func.count(StepEvent.id)).where(StepEvent.profile_id == profile_id)
        )


def test_a_lesson_answered_with_the_content_ids_is_refused(content_app, lesson_learner):
    person, client = lesson_learner
    with content_app.app_context():
        checks = list(_lesson().checks)
        best = next(o["id"] for o in _lesson().decision["options"] if o.get("best"))
    raw = {f"q-{spec['id']}": _raw_value(spec) for spec in checks}
    answered = post_form(
        client, LESSON_URL, {"step": "check", "event_key": uuid.uuid4().hex, **raw}
    )
    assert answered.status_code == 400
    decided = post_form(
        client, LESSON_URL, {"step": "decision", "event_key": uuid.uuid4().hex, "choice": best}
    )
    assert decided.status_code == 400
    assert "That option is not part of this decision." in decided.get_data(as_text=True)
    synced = client.post(
        "/api/sync",
        json={
            "events": [
                {
                    "key": uuid.uuid4().hex,
                    "course": COURSE,
                    "lesson": LESSON,
                    "step": "check",
                    "kind": "answer",
                    "answers": {spec["id"]: correct_answer(spec) for spec in checks},
                },
                {
                    "key": uuid.uuid4().hex,
                    "course": COURSE,
                    "lesson": LESSON,
                    "step": "decision",
                    "kind": "decision",
                    "choice": best,
                },
            ]
        },
        headers=SYNC_HEADERS,
    )
    assert synced.status_code == 200
    assert [r["status"] for r in synced.get_json()["results"]] == ["rejected", "rejected"]
    assert _events(content_app, person.profile_id) == 0


def _raw_value(spec: dict[str, Any]) -> Any:
    answer = correct_answer(spec)
    if spec["type"] == "true_false":
        # True/false has no ids to hide; answer another question with ids.
        return "true" if answer else "false"
    return answer


def test_an_offline_answer_in_tokens_is_read_back_on_sync(content_app, lesson_learner):
    person, client = lesson_learner
    tokens = lesson_tokens(content_app, person.profile_id, COURSE, LESSON)
    with content_app.app_context():
        checks = list(_lesson().checks)
    fields: dict[str, list[str]] = {}
    for spec in checks:
        fields.update(page_fields(tokens, spec, correct_answer(spec), f"q-{spec['id']}"))
    event = {
        "key": uuid.uuid4().hex,
        "course": COURSE,
        "lesson": LESSON,
        "step": "check",
        "kind": "answer",
        "fields": fields,
    }
    synced = client.post("/api/sync", json={"events": [event]}, headers=SYNC_HEADERS)
    assert synced.get_json()["results"][0]["status"] == "saved", synced.get_json()
    with content_app.app_context():
        rows = (
            get_session()
            .scalars(select(StepEvent).where(StepEvent.profile_id == person.profile_id))
            .all()
        )
        assert {row.question_key: row.correct for row in rows} == {
            spec["id"]: True for spec in checks
        }

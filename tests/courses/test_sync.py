"""The offline sync endpoint: safe from other sites, glad of a late replay."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from lms.courses.models import StepEvent
from lms.state import get_session
from tests.courses.conftest import COURSE, LESSON, LESSON_URL

SYNC = "/api/sync"
GOOD_HEADERS = {"X-LMS-Sync": "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


def event(key="offline-key-0001", step="decision", kind="decision", **extra):
    return {"key": key, "course": COURSE, "lesson": LESSON, "step": step, "kind": kind, **extra}


def pick(learner, option_id):
    """The token the learner's decision page shows for ``option_id``."""
    return learner.tokens("decision").token("decision", option_id)


def stored(app, profile_id):
    with app.app_context():
        return get_session().scalar(
            select(func.count(StepEvent.id)).where(StepEvent.profile_id == profile_id)
        )


def test_a_queued_answer_is_saved(content_app, learner):
    response = learner.client.post(
        SYNC,
        json={"events": [event(choice=pick(learner, "c"), at=int(time.time() * 1000))]},
        headers=GOOD_HEADERS,
    )
    assert response.status_code == 200
    assert response.get_json()["results"] == [
        {"key": "offline-key-0001", "status": "saved", "completed": False}
    ]
    assert "You chose" in learner.page(f"{LESSON_URL}?step=decision").text


def test_a_replay_hours_later_is_accepted_and_recorded_once(content_app, learner):
    hours_ago = int((time.time() - 5 * 3600) * 1000)
    batch = {
        "events": [
            event(choice=pick(learner, "c"), at=hours_ago),
            event("offline-key-0002", "situation", "done"),
        ]
    }
    first = learner.client.post(SYNC, json=batch, headers=GOOD_HEADERS)
    # The response was lost; the phone sends the same queue again much later,
    # long after any CSRF token would have expired.
    replay = learner.client.post(SYNC, json=batch, headers=GOOD_HEADERS)
    assert [r["status"] for r in first.get_json()["results"]] == ["saved", "saved"]
    # The replay hears exactly what the lost first answer said.
    assert replay.get_json() == first.get_json()
    assert stored(content_app, learner.profile_id) == 2


def test_one_bad_event_does_not_block_the_rest(content_app, learner):
    batch = {"events": [event(choice="nope"), "junk", event("offline-key-0003", "rule", "done")]}
    response = learner.client.post(SYNC, json=batch, headers=GOOD_HEADERS)
    statuses = [r["status"] for r in response.get_json()["results"]]
    assert statuses == ["rejected", "rejected", "saved"]
    assert stored(content_app, learner.profile_id) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no custom header: what a cross-site form would send
        {"X-LMS-Sync": "1", "Origin": "https://evil.example"},
        {"X-LMS-Sync": "1", "Sec-Fetch-Site": "cross-site"},
        {"X-LMS-Sync": "1", "Sec-Fetch-Site": "same-site"},
        {"X-LMS-Sync": "1", "Origin": "null"},
    ],
)
def test_cross_site_requests_are_refused(content_app, learner, headers):
    response = learner.client.post(
        SYNC, json={"events": [event(choice=pick(learner, "c"))]}, headers=headers
    )
    assert response.status_code == 403
    assert response.get_json()["error"]
    assert stored(content_app, learner.profile_id) == 0


def test_a_form_encoded_post_is_refused(content_app, learner):
    response = learner.client.post(
        SYNC, data={"events": "x"}, headers={"X-LMS-Sync": "1", "Origin": "http://localhost"}
    )
    assert response.status_code == 403
    assert stored(content_app, learner.profile_id) == 0


def test_a_visitor_cannot_sync(content_app):
    response = content_app.test_client().post(
        SYNC, json={"events": [event(choice="c")]}, headers=GOOD_HEADERS
    )
    assert response.status_code == 401


def test_a_malformed_batch_is_a_400(learner):
    response = learner.client.post(SYNC, json={"events": "nope"}, headers=GOOD_HEADERS)
    assert response.status_code == 400


def test_an_unknown_lesson_is_rejected(content_app, learner):
    response = learner.client.post(
        SYNC,
        json={"events": [event(lesson="nope", choice=pick(learner, "c"))]},
        headers=GOOD_HEADERS,
    )
    assert response.get_json()["results"][0]["status"] == "rejected"
    assert stored(content_app, learner.profile_id) == 0


def test_check_answers_sync_and_complete_the_lesson(content_app, learner):
    batch = [
        event("offline-key-0010", "situation", "done"),
        event("offline-key-0011", "decision", "decision", choice=pick(learner, "c")),
        event("offline-key-0012", "outcome", "done"),
        event("offline-key-0013", "rule", "done"),
        event(
            "offline-key-0014",
            "check",
            "answer",
            answers={
                "ls-helmet-c1": "true",
                "ls-helmet-c2": learner.tokens("check").token("ls-helmet-c2", "b"),
            },
        ),
    ]
    response = learner.client.post(SYNC, json={"events": batch}, headers=GOOD_HEADERS)
    assert response.get_json()["results"][-1]["completed"] is True
    assert "1 of 9 lessons done" in learner.page(f"/courses/{COURSE}").text


def test_check_answers_sync_as_the_forms_own_fields(content_app, learner):
    # player.js sends the check form's fields; the server parses them like a plain post
    batch = [
        event(
            "field-key-0001",
            "check",
            "answer",
            fields=learner.page_fields(
                "check", {"q-ls-helmet-c1": ["true"], "q-ls-helmet-c2": ["b"]}
            ),
        ),
    ]
    response = learner.client.post(SYNC, json={"events": batch}, headers=GOOD_HEADERS)
    assert response.get_json()["results"][0]["status"] == "saved"


def test_malformed_fields_are_rejected_not_crashed(content_app, learner):
    batch = [event("field-key-0002", "check", "answer", fields={"q-ls-helmet-c1": "false"})]
    response = learner.client.post(SYNC, json={"events": batch}, headers=GOOD_HEADERS)
    assert response.status_code == 200
    assert response.get_json()["results"][0]["status"] == "rejected"


def test_answers_queued_by_another_learner_on_the_phone_are_refused(content_app, learners):
    first, second = learners(), learners()
    batch = {"profile": str(first.profile_id), "events": [event(choice=pick(first, "c"))]}
    refused = second.client.post(SYNC, json=batch, headers=GOOD_HEADERS)
    assert refused.status_code == 409
    # In the learner's language, whichever the session carries.
    assert refused.get_json()["error"] in (
        "These answers belong to another learner on this phone.",
        "这些答案属于这部手机上的另一位学员。",
    )
    assert stored(content_app, second.profile_id) == stored(content_app, first.profile_id) == 0
    accepted = first.client.post(SYNC, json=batch, headers=GOOD_HEADERS)
    assert accepted.status_code == 200
    assert stored(content_app, first.profile_id) == 1

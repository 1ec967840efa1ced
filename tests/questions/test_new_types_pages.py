"""Matching, numerical and short-answer questions in the studio, as lesson
checks (a plain post and offline sync), in a quiz and in item analysis."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from lms.assessments.services import item_analysis_for
from lms.courses.models import Course
from lms.state import get_session
from tests.answers import attempt_tokens, lesson_tokens
from tests.assessments.conftest import positions, put_in_cohort, start
from tests.conftest import People, csrf_token_for, log_in, post_form
from tests.questions.test_new_types import matching, numerical, short_answer
from tests.studio.conftest import editor_form, make_draft

SYNC_HEADERS = {"X-LMS-Sync": "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
ORGANISATION = "甲培训中心"


def as_check(spec: dict[str, Any], qid: str) -> dict[str, Any]:
    return {**copy.deepcopy(spec), "id": qid}


def as_bank(spec: dict[str, Any], qid: str) -> dict[str, Any]:
    rule = {"zh_CN": "规则", "en": "The rule"}
    return {**copy.deepcopy(spec), "id": qid, "topic": "handling", "difficulty": 1, "rule": rule}


def new_type_draft(course_data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(course_data)
    # A lesson has at most two checks: numerical in lesson 1, short answer in 2.
    data["lessons"][0]["front"]["check"] = [
        as_check(matching(), "acme-safety-l1-m"),
        as_check(numerical(), "acme-safety-l1-n"),
    ]
    data["lessons"][1]["front"]["check"] = [
        as_check(matching(), "acme-safety-l2-m"),
        as_check(short_answer(), "acme-safety-l2-s"),
    ]
    data["questions"] = [
        as_bank(matching(), "acme-safety-m"),
        as_bank(numerical(), "acme-safety-n"),
        as_bank(short_answer(), "acme-safety-s"),
    ]
    data["course"]["quiz"]["draw"] = 3
    return data


def learner_client(app, trainer_org: str = ORGANISATION):
    person = People(app).make(name="王小明", phone="13987654322")
    put_in_cohort(app, person, trainer_org)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, person.phone)
    client.lms_profile_id = person.profile_id
    return client


def test_the_studio_editor_keeps_each_new_type_when_saved_unchanged(
    content_app, trainer, course_data
):
    data = new_type_draft(course_data)
    draft_id = make_draft(content_app, trainer.person, data)
    for index in range(3):
        url = f"/studio/drafts/{draft_id}/questions/{index}"
        saved = trainer.submit(url)
        assert saved.status_code == 303, saved.text
    with content_app.app_context():
        from lms.studio.models import Draft

        stored = get_session().get(Draft, draft_id).data["questions"]
    assert [q["pairs"] for q in stored[:1]] == [data["questions"][0]["pairs"]]
    assert [a.get("value") or a.get("min") for a in stored[1]["answers"]] == ["10", "9", "60"]
    assert [a["text"] for a in stored[2]["answers"]] == ["易碎品", "Fragile", "小心"]
    assert stored[2]["answers"][2]["credit"] == 50


def test_new_types_publish_and_work_in_lessons_sync_quiz_and_item_analysis(
    content_app, trainer, course_data
):
    draft_id = make_draft(content_app, trainer.person, new_type_draft(course_data))
    page = trainer.get(f"/studio/drafts/{draft_id}")
    published = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.status_code == 303, published.text
    client = learner_client(content_app)

    # Lesson 1 by a plain form post: the player's own inputs.
    post_form(client, "/stopped", {"next": "/"})
    lesson_url = "/courses/acme-safety/lessons/acme-safety-l1"
    check = client.get(f"{lesson_url}?step=check").text
    tokens = lesson_tokens(content_app, client.lms_profile_id, "acme-safety", "acme-safety-l1")
    stem = lambda qid, pair: f"q-{qid}@{tokens.token(f'{qid}:stem', pair)}"  # noqa: E731
    match = lambda qid, pair: tokens.token(f"{qid}:answer", pair)  # noqa: E731
    m1 = "acme-safety-l1-m"
    assert f'name="{stem(m1, "glass")}"' in check
    assert 'inputmode="decimal"' in check and "(kg)" in check
    answered = post_form(
        client,
        lesson_url,
        {
            "step": "check",
            "event_key": uuid.uuid4().hex,
            stem(m1, "glass"): match(m1, "glass"),
            stem(m1, "fish"): match(m1, "fish"),
            stem(m1, "phone"): match(m1, "phone"),
            "q-acme-safety-l1-n": "１０ kg",
        },
    )
    assert answered.status_code == 303, answered.text
    reviewed = client.get(answered.headers["Location"]).text
    assert reviewed.count("✓ Right") == 2

    # Lesson 2 offline: player.js queues the form's own fields and replays them.
    tokens = lesson_tokens(content_app, client.lms_profile_id, "acme-safety", "acme-safety-l2")
    m2 = "acme-safety-l2-m"
    fields = {
        stem(m2, "glass"): [match(m2, "glass")],
        stem(m2, "fish"): [match(m2, "x")],
        stem(m2, "phone"): [match(m2, "phone")],
        "q-acme-safety-l2-s": ["ＦＲＡＧＩＬＥ"],
    }
    event = {
        "key": "offline-new-types-1",
        "course": "acme-safety",
        "lesson": "acme-safety-l2",
        "step": "check",
        "kind": "answer",
        "fields": fields,
        "at": int(time.time() * 1000),
    }
    synced = client.post("/api/sync", json={"events": [event]}, headers=SYNC_HEADERS)
    assert synced.get_json()["results"][0]["status"] == "saved", synced.get_json()

    # The quiz by a plain form: every answer decoded by its type.
    attempt_id = start(client, "acme-safety")
    where = positions(content_app, attempt_id)
    m, n, s = (where[f"acme-safety-{k}"] for k in "mns")
    tk = attempt_tokens(content_app, attempt_id).token
    qm = "acme-safety-m"
    submitted = client.post(
        f"/attempts/{attempt_id}/save",
        data={
            "csrf_token": csrf_token_for(client),
            f"q{m}@{tk(qm + ':stem', 'glass')}": tk(qm + ":answer", "glass"),
            f"q{m}@{tk(qm + ':stem', 'fish')}": tk(qm + ":answer", "x"),
            f"q{m}@{tk(qm + ':stem', 'phone')}": tk(qm + ":answer", "phone"),
            f"q{n}": "60",
            f"q{s}": "fragile",
            "submit": "1",
        },
    )
    assert submitted.status_code == 303, submitted.text
    result = client.get(f"/attempts/{attempt_id}/result").text
    assert "Points: 0.6667 of 1" in result
    assert "Points: 0.2 of 1" in result
    assert "易碎品 / Fragile" in result

    with content_app.app_context():
        course = get_session().query(Course).filter_by(key="acme-safety").one()
        report = item_analysis_for("acme-safety", course.organisation_id)
        counts = {stat.question_id: stat.option_counts for stat in report.stats}
    assert counts["acme-safety-m"] == {"fish:x": 1, "glass:glass": 1, "phone:phone": 1}
    assert counts["acme-safety-n"] == {"60": 1}
    assert counts["acme-safety-s"] == {"fragile": 1}

"""Spaced review: missed questions come back after a day, a week and a month."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import select

from lms.accounts.models import Profile
from lms.courses.models import ReviewAnswer, ReviewItem
from lms.courses.review import (
    INTERVALS,
    answer_review,
    next_review_item,
    queue_missed_question,
    review_queue,
)
from lms.db import utcnow
from lms.signals import attempt_graded
from lms.state import get_session
from tests.answers import answer_tokens, correct_answer, page_fields
from tests.courses.conftest import WRONG

SPEC = {
    "id": "ls-q-demo",
    "type": "single",
    "prompt": {"zh_CN": "红灯怎么办？", "en": "What do you do at a red light?"},
    "options": [
        {"id": "a", "text": {"zh_CN": "停", "en": "Stop"}, "correct": True},
        {"id": "b", "text": {"zh_CN": "走", "en": "Go"}},
    ],
    "explanation": {"zh_CN": "红灯停。", "en": "Red means stop."},
    "rule": {"zh_CN": "交规", "en": "Traffic law"},
}


def item_of(profile_id):
    return get_session().scalar(select(ReviewItem).where(ReviewItem.profile_id == profile_id))


def test_a_missed_question_comes_back_after_a_day_a_week_and_a_month(content_app, learner):
    start = utcnow()
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        queue_missed_question(profile.id, SPEC, "lesson", "ls-helmet", now=start)
        assert review_queue(profile.id, now=start).count == 0
        day = start + INTERVALS[0]
        assert review_queue(profile.id, now=day).count == 1
        item = next_review_item(profile.id, now=day)
        answer_review(profile, item, "a", "review-key-0001", now=day)
        assert (item.stage, item.due_at) == (1, day + timedelta(days=7))
        week = day + INTERVALS[1]
        answer_review(profile, item, "a", "review-key-0002", now=week)
        assert (item.stage, item.due_at) == (2, week + timedelta(days=30))
        month = week + INTERVALS[2]
        answer_review(profile, item, "a", "review-key-0003", now=month)
        assert item.retired_at == month
        assert review_queue(profile.id, now=month + timedelta(days=365)).count == 0


def test_a_miss_starts_the_schedule_again(content_app, learner):
    start = utcnow()
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        item = queue_missed_question(profile.id, SPEC, "lesson", "ls-helmet", now=start)
        answer_review(profile, item, "a", "review-key-0001", now=start + INTERVALS[0])
        later = start + INTERVALS[0] + INTERVALS[1]
        answer_review(profile, item, "b", "review-key-0002", now=later)
        assert (item.stage, item.due_at, item.misses) == (0, later + INTERVALS[0], 2)


def test_the_same_review_answer_twice_counts_once(content_app, learner):
    start = utcnow()
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        item = queue_missed_question(profile.id, SPEC, "lesson", "ls-helmet", now=start)
        day = start + INTERVALS[0]
        answer_review(profile, item, "a", "review-key-0001", now=day)
        again = answer_review(profile, item, "a", "review-key-0001", now=day)
        assert again.duplicate and item.stage == 1
        answers = get_session().scalars(select(ReviewAnswer)).all()
        assert len(answers) == 1


def test_wrong_lesson_checks_join_the_review_queue(content_app, learner):
    learner.save("check", **WRONG)
    with content_app.app_context():
        keys = set(
            get_session().scalars(
                select(ReviewItem.question_key).where(ReviewItem.profile_id == learner.profile_id)
            )
        )
    assert keys == {"ls-helmet-c1", "ls-helmet-c2"}


def test_wrong_quiz_questions_join_the_review_queue_through_the_signal(content_app, learner):
    attempt = SimpleNamespace(
        profile_id=learner.profile_id,
        course_key="legal-safety",
        questions=[
            SimpleNamespace(
                question_key="ls-q-demo", correct=False, question_version=SimpleNamespace(spec=SPEC)
            ),
            SimpleNamespace(
                question_key="ls-q-right",
                correct=True,
                question_version=SimpleNamespace(spec={**SPEC, "id": "ls-q-right"}),
            ),
        ],
    )
    with content_app.test_request_context():
        attempt_graded.send(current_app._get_current_object(), attempt=attempt)
        get_session().commit()
        item = item_of(learner.profile_id)
        assert (item.question_key, item.source, item.source_key) == (
            "ls-q-demo",
            "quiz",
            "legal-safety",
        )


def test_home_shows_the_queue_and_the_review_page_works_like_the_check(content_app, learner):
    with content_app.app_context():
        item = queue_missed_question(
            learner.profile_id, SPEC, "lesson", "ls-helmet", now=utcnow() - timedelta(days=2)
        )
        get_session().commit()
        item_id = item.id
    home = learner.page("/")
    assert "1 question to review, about 1 min" in home.text
    page = learner.page("/review")
    assert "What do you do at a red light?" in page.text
    key = re.search(r'name="event_key" value="(\w+)"', page.text).group(1)
    answered = learner.client.post(
        "/review",
        data={
            "item": item_id,
            "answer": review_tokens(content_app, learner, item_id).token("ls-q-demo", "b"),
            "event_key": key,
            "csrf_token": learner.csrf(),
        },
        headers={"Accept-Language": "en"},
    )
    assert answered.status_code == 303
    result = learner.page(answered.headers["Location"])
    assert "Not right" in result.text and "Red means stop." in result.text


def test_another_learners_review_item_is_refused(content_app, learners):
    owner, other = learners(), learners(name="李四")
    with content_app.app_context():
        item = queue_missed_question(
            owner.profile_id, SPEC, "lesson", "ls-helmet", now=utcnow() - timedelta(days=2)
        )
        get_session().commit()
        item_id, due = item.id, item.due_at
    response = other.client.post(
        "/review",
        data={
            "item": item_id,
            "answer": "a",
            "event_key": "stolen-key-01",
            "csrf_token": other.csrf(),
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 404
    other.stop()
    assert other.page(f"/review?answered={item_id}").status_code == 404
    with content_app.app_context():
        item = get_session().get(ReviewItem, item_id)
        assert (item.stage, item.due_at) == (0, due)


def _bank_question(kind):
    from lms.courses.models import QuestionVersion

    specs = get_session().scalars(select(QuestionVersion.spec)).all()
    return next(spec for spec in specs if spec["type"] == kind)


def review_tokens(app, learner, item_id):
    return answer_tokens(app, learner.profile_id, f"review:{item_id}")


def _post_review(learner, item_id, spec, answer):
    page = learner.page("/review")
    key = re.search(r'name="event_key" value="(\w+)"', page.text).group(1)
    tokens = review_tokens(learner.client.application, learner, item_id)
    fields = page_fields(tokens, spec, answer, "answer")
    data = {"item": item_id, "event_key": key, "csrf_token": learner.csrf(), **fields}
    response = learner.client.post("/review", data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 303, response.text
    return learner.page(response.headers["Location"])


def test_ordering_and_scenario_questions_can_be_reviewed(content_app, learner):
    with content_app.app_context():
        ordering, scenario = _bank_question("ordering"), _bank_question("scenario")
        past = utcnow() - timedelta(days=3)
        first = queue_missed_question(learner.profile_id, ordering, "quiz", "x", now=past)
        second = queue_missed_question(learner.profile_id, scenario, "quiz", "x", now=past)
        get_session().commit()
        ids = first.id, second.id
    result = _post_review(learner, ids[0], ordering, correct_answer(ordering))
    assert "✓ Right" in result.text
    result = _post_review(learner, ids[1], scenario, correct_answer(scenario))
    assert "✓ Right" in result.text
    with content_app.app_context():
        assert [get_session().get(ReviewItem, i).stage for i in ids] == [1, 1]

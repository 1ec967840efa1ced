"""Training hours that a client cannot forge: time is credited only from
events the server can bound, and certificates print those hours."""

from __future__ import annotations

import time
from datetime import timedelta

from lms.accounts.models import Profile
from lms.courses.progress import LESSON_TIME_CEILING, training_seconds
from lms.courses.services import course_by_key, lesson_in
from lms.state import get_session
from tests.courses.conftest import COURSE, LESSON

SYNC = "/api/sync"
HEADERS = {"X-LMS-Sync": "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
STEPS = ("situation", "decision", "outcome", "rule", "check")


def forged_batch(count: int, newest_ms: int, spacing_s: int = 170) -> dict:
    """``count`` view events claiming to be ``spacing_s`` apart, going back in time."""
    events = []
    for index in range(count):
        events.append(
            {
                "key": f"forged-view-{index:04d}",
                "course": COURSE,
                "lesson": LESSON,
                "step": STEPS[index % len(STEPS)],
                "kind": "view",
                "at": newest_ms - (count - index) * spacing_s * 1000,
            }
        )
    return {"events": events}


def test_two_hundred_backdated_views_a_minute_after_joining_credit_at_most_that_minute(
    content_app, learner
):
    started = time.monotonic()
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        profile.created_at = profile.created_at - timedelta(seconds=60)
        get_session().commit()

    for start in range(0, 200, 50):
        batch = forged_batch(200, int(time.time() * 1000))
        batch["events"] = batch["events"][start : start + 50]
        response = learner.client.post(SYNC, json=batch, headers=HEADERS)
        assert response.status_code == 200

    with content_app.app_context():
        credited = training_seconds(learner.profile_id)
    # The minute, plus however long this test itself took on a busy machine.
    assert credited <= 60 + (time.monotonic() - started) + 1


def test_a_dormant_account_cannot_backfill_the_days_it_was_away(content_app, learner):
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        profile.created_at = profile.created_at - timedelta(days=20)
        get_session().commit()
    now_ms = int(time.time() * 1000)
    first = learner.client.post(
        SYNC,
        json={
            "events": [
                {
                    "key": "real-view-0001",
                    "course": COURSE,
                    "lesson": LESSON,
                    "step": "situation",
                    "kind": "view",
                    "at": now_ms,
                }
            ]
        },
        headers=HEADERS,
    )
    assert first.status_code == 200

    response = learner.client.post(SYNC, json=forged_batch(100, now_ms), headers=HEADERS)

    assert response.status_code == 200
    with content_app.app_context():
        assert training_seconds(learner.profile_id) <= 5


def test_a_lesson_never_counts_more_than_its_ceiling(content_app, learner):
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        profile.created_at = profile.created_at - timedelta(days=2)
        get_session().commit()
        lesson = lesson_in(course_by_key(COURSE).current_version, LESSON)
        ceiling = LESSON_TIME_CEILING * lesson.minutes * 60
    # A genuinely slow rider, offline for a day, one step every 170 s.
    batch = forged_batch(200, int(time.time() * 1000) - 3600_000)

    response = learner.client.post(SYNC, json=batch, headers=HEADERS)

    assert response.status_code == 200
    with content_app.app_context():
        assert training_seconds(learner.profile_id) == ceiling

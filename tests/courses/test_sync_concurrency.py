"""The same offline batch arriving many times at once (a phone retrying on a
flaky connection): every copy gets the same answer as the first, the server
stores each event once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.courses.models import LessonProgress, StepEvent
from lms.state import get_session
from tests.answers import lesson_tokens
from tests.conftest import (
    People,
    _dispose,
    build_concurrent_app,
    csrf_token_for,
    log_in,
    post_form,
)
from tests.courses.conftest import COURSE, LESSON

COPIES = 10
SYNC = "/api/sync"
HEADERS = {"X-LMS-Sync": "1", "Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


@pytest.fixture
def busy_app(database_backend: dict[str, Any], tmp_path: Path):
    """The app with enough database connections for every copy at once."""
    application = build_concurrent_app(database_backend, tmp_path, COPIES, with_content=True)
    yield application
    _dispose(application)


def test_ten_copies_of_one_batch_at_once_all_get_the_first_answer_and_are_stored_once(busy_app):
    learner = People(busy_app).make()
    signed_in = busy_app.test_client()
    log_in(signed_in, learner.phone)
    post_form(signed_in, "/stopped", {"next": "/"})
    cookie = signed_in.get_cookie("session")
    now = int(time.time() * 1000)
    batch = {
        "events": [
            {
                "key": "burst-key-0001",
                "course": COURSE,
                "lesson": LESSON,
                "step": "situation",
                "kind": "done",
                "at": now - 60_000,
            },
            {
                "key": "burst-key-0002",
                "course": COURSE,
                "lesson": LESSON,
                "step": "decision",
                "kind": "decision",
                "choice": lesson_tokens(
                    busy_app, learner.profile_id, COURSE, LESSON, "decision"
                ).token("decision", "c"),
                "at": now - 30_000,
            },
        ]
    }
    barrier = threading.Barrier(COPIES)

    def send(_index: int) -> tuple[int, Any]:
        client = busy_app.test_client()
        client.set_cookie("session", cookie.value)
        barrier.wait()
        response = client.post(SYNC, json=batch, headers=HEADERS)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(COPIES) as pool:
        answers = list(pool.map(send, range(COPIES)))

    assert [status for status, _ in answers] == [200] * COPIES
    # Every copy hears the first answer, whichever copy gave it.
    bodies = [body for _status, body in answers]
    assert bodies == [bodies[0]] * COPIES
    assert bodies[0] == {
        "results": [
            {"key": "burst-key-0001", "status": "saved", "completed": False},
            {"key": "burst-key-0002", "status": "saved", "completed": False},
        ]
    }
    with busy_app.app_context():
        session = get_session()
        keys = session.scalars(
            select(StepEvent.client_key).where(StepEvent.profile_id == learner.profile_id)
        ).all()
        progress = session.scalar(
            select(func.count(LessonProgress.id)).where(
                LessonProgress.profile_id == learner.profile_id
            )
        )
    assert sorted(keys) == ["burst-key-0001", "burst-key-0002"]
    assert progress == 1


def test_ten_lesson_step_saves_at_once_are_all_stored_and_none_is_refused(busy_app):
    # Regression: deferred SQLite transactions that upgraded to writes answered
    # "database is locked" (503) to a few concurrent lesson-step saves.
    learner = People(busy_app).make()
    signed_in = busy_app.test_client()
    log_in(signed_in, learner.phone)
    post_form(signed_in, "/stopped", {"next": "/"})
    cookie = signed_in.get_cookie("session")
    token = csrf_token_for(signed_in)
    barrier = threading.Barrier(COPIES)

    def save(index: int) -> int:
        client = busy_app.test_client()
        client.set_cookie("session", cookie.value)
        barrier.wait()
        response = client.post(
            f"/courses/{COURSE}/lessons/{LESSON}",
            data={"csrf_token": token, "step": "situation", "event_key": f"step-key-{index:04d}"},
        )
        return response.status_code

    with ThreadPoolExecutor(COPIES) as pool:
        statuses = list(pool.map(save, range(COPIES)))

    assert statuses == [303] * COPIES
    with busy_app.app_context():
        keys = (
            get_session()
            .scalars(select(StepEvent.client_key).where(StepEvent.profile_id == learner.profile_id))
            .all()
        )
    assert sorted(keys) == [f"step-key-{index:04d}" for index in range(COPIES)]

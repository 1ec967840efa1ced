"""Many submissions or starts at the same moment, against a real PostgreSQL server.

SQLite serialises every write, so only PostgreSQL shows whether the row lock
really makes one submission win.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms.assessments.models import Attempt, AttemptStatus
from lms.assessments.services import AttemptError, save_answer, start_attempt, submit_attempt
from lms.signals import attempt_graded
from lms.state import get_session
from tests.assessments.conftest import Quizzes, client_for, course_of, profile_of
from tests.conftest import POSTGRES_URL, People, _dispose, build_test_app, csrf_token_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="LMS_TEST_DATABASE_URL is not set"),
]

THREADS = 20


@pytest.fixture
def pg_app(database_backend: dict[str, Any], tmp_path: Path):
    """The app with a connection pool big enough for every thread at once."""
    options = {"pool_size": THREADS + 5, "max_overflow": 5, "pool_pre_ping": True}
    application = build_test_app(
        database_backend, tmp_path, with_content=False, SQLALCHEMY_ENGINE_OPTIONS=options
    )
    yield application
    _dispose(application)


def run_together(work) -> list[Any]:
    """Run ``work(index, barrier)`` in THREADS threads that start together."""
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda index: work(index, barrier), range(THREADS)))


def open_attempt(app: Flask) -> tuple[int, Any]:
    learner = People(app).make()
    key = Quizzes(app).make()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        save_answer(attempt, "mx-single", "a")
        get_session().commit()
        return attempt.id, learner


def test_twenty_simultaneous_submissions_grade_once(pg_app):
    attempt_id, _ = open_attempt(pg_app)
    graded: list[int] = []

    def listener(sender: Any, attempt: Attempt) -> None:
        graded.append(attempt.id)

    def submit(index: int, barrier: threading.Barrier) -> str:
        with pg_app.app_context():
            session = get_session()
            attempt = session.get(Attempt, attempt_id)
            _ = list(attempt.questions)
            barrier.wait()
            try:
                submit_attempt(attempt)
                session.commit()
                return "graded"
            except AttemptError as error:
                session.rollback()
                return f"refused {error.status}"
            finally:
                session.remove()

    with attempt_graded.connected_to(listener):
        outcomes = run_together(submit)

    assert outcomes.count("graded") == 1
    assert outcomes.count("refused 409") == THREADS - 1
    assert graded == [attempt_id]
    with pg_app.app_context():
        attempt = get_session().get(Attempt, attempt_id)
        assert attempt.status == AttemptStatus.GRADED
        assert attempt.score_percent == 20.0
        assert [q.points for q in attempt.questions].count(None) == 0


def test_twenty_simultaneous_submit_requests_give_one_result(pg_app):
    attempt_id, learner = open_attempt(pg_app)
    clients = []
    for _ in range(THREADS):
        client = client_for(pg_app, learner)
        clients.append((client, csrf_token_for(client)))

    def post(index: int, barrier: threading.Barrier) -> int:
        client, token = clients[index]
        barrier.wait()
        return client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token}).status_code

    statuses = run_together(post)
    assert statuses.count(303) == 1
    assert statuses.count(409) == THREADS - 1
    with pg_app.app_context():
        graded_at = (
            get_session().scalars(select(Attempt.graded_at).where(Attempt.id == attempt_id)).all()
        )
        assert len(graded_at) == 1 and graded_at[0] is not None


def test_twenty_simultaneous_starts_open_one_attempt(pg_app):
    learner = People(pg_app).make()
    key = Quizzes(pg_app).make()

    def begin(index: int, barrier: threading.Barrier) -> int:
        with pg_app.app_context():
            session = get_session()
            profile, course = profile_of(learner), course_of(key)
            barrier.wait()
            try:
                attempt = start_attempt(profile, course)
                session.commit()
                return attempt.id
            finally:
                session.remove()

    ids = run_together(begin)
    assert len(set(ids)) == 1
    with pg_app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Attempt)) == 1

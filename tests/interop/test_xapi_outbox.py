"""xAPI statements join the outbox in the event's transaction, and the worker
delivers them with back-off. The LRS here is a minimal conforming endpoint
(fallback: a stdlib HTTP server that stores POSTed statements by id and answers
409 for a known id), not Ralph."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms import signals
from lms.accounts.models import Profile
from lms.courses.client_keys import new_client_key
from lms.courses.models import Course, StepEventKind
from lms.courses.progress import STEPS, EventInput, record_event
from lms.db import utcnow
from lms.interop.models import XapiOutbox
from lms.interop.outbox import deliver_batch, deliver_due, enqueue, retry_delay
from lms.sessions.models import Attendance, CheckInMethod, TrainingSession
from lms.state import get_session
from tests.certificates.conftest import finish_lessons
from tests.conftest import People, _dispose, build_test_app
from tests.levels.conftest import add_attempt, critical_keys


class FakeLRS(BaseHTTPRequestHandler):
    """The statements resource of an LRS: POST an array, 200 with the ids."""

    store: dict[str, dict[str, Any]]
    posts: list[list[str]]
    failing: bool = False

    def do_POST(self) -> None:
        server = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if server.failing or self.path != "/xAPI/statements":  # type: ignore[attr-defined]
            self.send_response(503)
            self.end_headers()
            return
        assert self.headers["X-Experience-API-Version"] == "1.0.3"
        ids = [statement["id"] for statement in body]
        server.posts.append(ids)  # type: ignore[attr-defined]
        if any(i in server.store for i in ids):  # type: ignore[attr-defined]
            self.send_response(409)
            self.end_headers()
            return
        for statement in body:
            server.store[statement["id"]] = statement  # type: ignore[attr-defined]
        payload = json.dumps(ids).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def lrs() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLRS)
    server.store = {}  # type: ignore[attr-defined]
    server.posts = []  # type: ignore[attr-defined]
    server.failing = False  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def xapi_app(database_backend: dict[str, Any], tmp_path: Path, lrs: Any) -> Iterator[Flask]:
    application = build_test_app(
        database_backend,
        tmp_path,
        with_content=True,
        LMS_XAPI_ENDPOINT=f"http://127.0.0.1:{lrs.server_address[1]}/xAPI",
        LMS_PUBLIC_URL="https://lms.example.cn",
    )
    yield application
    _dispose(application)


def _rows() -> list[XapiOutbox]:
    return list(get_session().scalars(select(XapiOutbox).order_by(XapiOutbox.id)))


def _journey(app: Flask, people: Any) -> Any:
    learner = people.make()
    with app.test_request_context():
        session = get_session()
        course = session.scalar(select(Course).where(Course.key == "legal-safety"))
        lesson = course.current_version.lessons[0]
        profile = session.get(Profile, learner.profile_id)
        # The lesson player reports its first step shown: the lesson is experienced.
        view = EventInput(new_client_key(), STEPS[0], StepEventKind.VIEW)
        record_event(profile, course, lesson, view)
        record_event(profile, course, lesson, EventInput(new_client_key(), STEPS[1], view.kind))
        # A course certificate needs every lesson finished as well as the quiz.
        finish_lessons(learner.profile_id, "legal-safety")
        signals.lesson_completed.send(app, profile=profile, lesson_version=lesson)
        attempt = add_attempt(
            learner.profile_id, "legal-safety", 90, correct=critical_keys("legal-safety")
        )
        for question in attempt.questions:
            question.answered_at = utcnow()
        signals.attempt_graded.send(app, attempt=attempt)
        training = TrainingSession(
            organisation_id=course.current_version.organisation_id,
            title="夜间安全实操课",
            starts_at=utcnow() - timedelta(minutes=5),
            ends_at=utcnow() + timedelta(hours=1),
            capacity=10,
            course_key="legal-safety",
        )
        session.add(training)
        session.flush()
        attendance = Attendance(
            session_id=training.id, profile_id=profile.id, method=CheckInMethod.QR
        )
        session.add(attendance)
        session.flush()
        signals.session_attended.send(app, attendance=attendance)
        session.commit()
    return learner


def test_a_journey_queues_stable_statements_in_the_event_transaction(xapi_app, lrs):
    from tests.conftest import People

    learner = _journey(xapi_app, People(xapi_app))
    with xapi_app.app_context():
        rows = _rows()
        verbs = [row.statement["verb"]["id"].rsplit("/", 1)[1] for row in rows]
        assert verbs[:2] == ["experienced", "completed"]
        assert "answered" in verbs and "passed" in verbs and "earned" in verbs
        # Two steps shown, one lesson experienced; the check-in is attended.
        assert verbs.count("experienced") == 1 and verbs[-1] == "attended"
        attended = rows[-1].statement
        assert attended["object"]["id"].rsplit("/", 2)[1] == "sessions"
        assert attended["verb"]["id"] == "http://adlnet.gov/expapi/verbs/attended"
        assert attended["context"]["contextActivities"]["parent"][0]["id"].endswith(
            "/xapi/courses/legal-safety"
        )
        for row in rows:
            statement = row.statement
            assert statement["id"] == row.statement_id
            account = statement["actor"]["account"]
            assert account["homePage"] == "https://lms.example.cn"
            assert learner.phone not in json.dumps(statement, ensure_ascii=False)
            assert statement["object"]["id"].startswith("https://lms.example.cn/xapi/")
        passed = next(r.statement for r in rows if r.statement["verb"]["id"].endswith("passed"))
        assert passed["result"]["score"]["scaled"] == 0.9
        assert passed["result"]["success"] is True
        assert passed["context"]["contextActivities"]["parent"][0]["id"].endswith(
            "/xapi/courses/legal-safety"
        )
        assert any(k.endswith("/organisation") for k in passed["context"]["extensions"])
        assert len({row.statement["actor"]["account"]["name"] for row in rows}) == 1


def test_a_rolled_back_event_leaves_no_statement(xapi_app):
    from tests.conftest import People

    learner = People(xapi_app).make()
    with xapi_app.test_request_context():
        attempt = add_attempt(learner.profile_id, "legal-safety", 40, passed=False)
        signals.attempt_graded.send(xapi_app, attempt=attempt)
        assert [row.statement_id for row in _rows()]  # inside the transaction
        get_session().rollback()
        assert _rows() == []


def test_the_same_event_twice_queues_one_statement(xapi_app):
    from tests.conftest import People

    learner = People(xapi_app).make()
    with xapi_app.test_request_context():
        attempt = add_attempt(learner.profile_id, "legal-safety", 40, passed=False)
        signals.attempt_graded.send(xapi_app, attempt=attempt)
        get_session().commit()
        signals.attempt_graded.send(xapi_app, attempt=attempt)
        get_session().commit()
        rows = _rows()
        assert [row.statement["verb"]["id"].rsplit("/", 1)[1] for row in rows] == ["failed"]


def test_two_requests_queueing_the_same_statement_at_once_both_succeed(xapi_app):
    """Two phones replaying the same offline event together: the second insert
    waits for the first transaction and then skips the known id. A look-up
    before the insert would see nothing and fail on the unique id."""
    statement = {"id": "8c1e7c1a-0000-4000-8000-000000000001", "verb": {"id": "x/experienced"}}
    first_queued = threading.Event()
    outcome: dict[str, Any] = {}

    def second_request() -> None:
        with xapi_app.test_request_context():
            first_queued.wait(10)
            try:
                outcome["queued"] = enqueue(statement)
                get_session().commit()
            except Exception as error:
                outcome["error"] = error

    with xapi_app.test_request_context():
        assert enqueue(statement) is True
        second = threading.Thread(target=second_request)
        second.start()
        first_queued.set()
        second.join(0.5)  # the second is now waiting on the first's row
        get_session().commit()
        second.join(20)
        assert outcome == {"queued": False}
        assert [row.statement_id for row in _rows()] == [statement["id"]]


def test_without_an_endpoint_nothing_is_queued(database_backend, tmp_path):
    from tests.conftest import People

    application = build_test_app(database_backend, tmp_path, with_content=True)
    try:
        learner = People(application).make()
        with application.test_request_context():
            attempt = add_attempt(learner.profile_id, "legal-safety", 40, passed=False)
            signals.attempt_graded.send(application, attempt=attempt)
            get_session().commit()
            assert _rows() == []
    finally:
        _dispose(application)


def test_the_worker_delivers_each_statement_once_and_backs_off_while_the_lrs_is_down(xapi_app, lrs):
    from tests.conftest import People

    _journey(xapi_app, People(xapi_app))
    with xapi_app.app_context():
        queued = {row.statement_id for row in _rows()}
        lrs.failing = True
        report = deliver_batch(batch_size=3)
        assert (report.delivered, report.failed) == (0, 3)
        failed = [row for row in _rows() if row.attempts]
        assert len(failed) == 3
        assert all(row.next_attempt_at > utcnow() for row in failed)
        assert all("503" in row.last_error for row in failed)
        lrs.failing = False
        report = deliver_due(batch_size=2)
        assert report.delivered == len(queued) - 3
        assert deliver_due().handled == 0
        later = utcnow() + timedelta(hours=2)
        assert deliver_batch(now=later).delivered == 3
        assert set(lrs.store) == queued
        sent = [i for post in lrs.posts for i in post]
        assert sorted(sent) == sorted(queued)
        assert all(row.delivered_at is not None for row in _rows())


def test_a_statement_the_lrs_already_holds_counts_as_delivered(xapi_app, lrs):
    from tests.conftest import People

    _journey(xapi_app, People(xapi_app))
    with xapi_app.app_context():
        first = _rows()[0]
        lrs.store[first.statement_id] = first.statement
        assert deliver_batch(batch_size=1).delivered == 1
        assert get_session().get(XapiOutbox, first.id).delivered_at is not None


def test_the_back_off_doubles_up_to_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30) == timedelta(hours=1)


def test_the_cli_delivers_once(xapi_app, lrs):
    from tests.conftest import People

    _journey(xapi_app, People(xapi_app))
    result = xapi_app.test_cli_runner().invoke(args=["lms", "outbox", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "failed 0" in result.output
    with xapi_app.app_context():
        assert len(lrs.store) == len(_rows())
    status = xapi_app.test_cli_runner().invoke(args=["lms", "outbox", "status"])
    assert "pending 0" in status.output


def test_a_second_worker_skips_the_rows_another_has_claimed(xapi_app, lrs):
    with xapi_app.app_context():
        engine = get_session().get_bind()
        if engine.dialect.name != "postgresql":
            pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite runs one worker")
    _journey(xapi_app, People(xapi_app))
    with xapi_app.app_context():
        engine = get_session().get_bind()
        total = len(_rows())
        get_session().rollback()
        with engine.connect() as other:
            locked = other.execute(
                select(XapiOutbox.id).order_by(XapiOutbox.id).limit(2).with_for_update()
            ).all()
            report = deliver_batch(batch_size=1000)
            assert report.delivered == total - len(locked)
            assert {i for post in lrs.posts for i in post}.isdisjoint(
                {get_session().get(XapiOutbox, row.id).statement_id for row in locked}
            )
            other.rollback()
        assert deliver_batch().delivered == len(locked)

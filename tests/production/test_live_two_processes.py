"""A live case across two app processes on PostgreSQL and Redis: the trainer's
screen (its page, its buttons and its event stream) on process A, the stream
process's shape (gunicorn's gevent workers, deploy/gunicorn-stream.conf.py);
twenty riders answering on process B (the gthread app server). Each answer
reaches the screen's stream through Redis publish/subscribe; the time from
sending an answer to the screen's event is printed (median of 20), never
asserted."""

from __future__ import annotations

import json
import re
import statistics
import threading
import time
import uuid
from datetime import timedelta

import pytest
import requests

from lms.accounts.models import Cohort, CohortMember, OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.db import utcnow
from lms.sessions.models import Attendance, CheckInMethod, TrainingSession
from lms.state import get_session
from tests.conftest import PASSWORD, make_app
from tests.production.conftest import server_environment, start_server

pytestmark = pytest.mark.postgres

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RIDERS = 20
DECISION = 1
OPTIONS = ("a", "b", "c")


@pytest.fixture(scope="module")
def live_servers(production_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("live")
    env = server_environment(
        production_database,
        redis_db=2,
        LMS_REDIS_KEY_PREFIX=f"live-{uuid.uuid4().hex[:6]}",
        LMS_RATELIMIT_ENABLED="false",
        LMS_LIVE_KEEPALIVE_SECONDS="5",
    )
    screen = start_server(env, folder / "a.log", config="deploy/gunicorn-stream.conf.py")
    riders = start_server(env, folder / "b.log")
    yield screen.url, riders.url, production_database
    screen.stop()
    riders.stop()


def make_room(database_url: str) -> tuple[int, str, list[str]]:
    app = make_app(database_url)
    with app.app_context():
        session = get_session()
        organisation = get_or_create_organisation("双进程驿站", OrganisationKind.PLATFORM)
        trainer_phone = "13700000061"
        create_user(trainer_phone, PASSWORD, "双进程培训师", Role.TRAINER, organisation)
        cohort = Cohort(organisation_id=organisation.id, name="双进程班")
        session.add(cohort)
        now = utcnow()
        training = TrainingSession(
            organisation_id=organisation.id,
            title="双进程现场案例",
            place="望京街 10 号",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
            capacity=50,
            course_key="legal-safety",
            languages=["zh_CN"],
        )
        session.add(training)
        session.flush()
        phones = []
        for number in range(RIDERS):
            phone = f"139{61000000 + number:08d}"
            rider = create_user(phone, PASSWORD, "骑手", Role.LEARNER)
            session.add(CohortMember(cohort_id=cohort.id, profile_id=rider.id))
            session.add(
                Attendance(session_id=training.id, profile_id=rider.id, method=CheckInMethod.QR)
            )
            phones.append(phone)
        session.commit()
        session_id = training.id
        session.remove()
        app.extensions["lms"].db.engine.dispose()
    return session_id, trainer_phone, phones


def logged_in(base: str, phone: str) -> requests.Session:
    browser = requests.Session()
    token = CSRF.search(browser.get(f"{base}/login", timeout=30).text).group(1)
    reply = browser.post(
        f"{base}/login",
        data={"csrf_token": token, "phone": phone, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert reply.status_code == 302, reply.text[:300]
    return browser


class Stream:
    """An EventSource's view of the stream: each event's state and when it came."""

    def __init__(self, browser: requests.Session, url: str) -> None:
        self.response = browser.get(url, stream=True, timeout=60)
        assert self.response.status_code == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.response.encoding = "utf-8"
        self.events: list[tuple[float, dict]] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        data = []
        try:
            for line in self.response.iter_lines(chunk_size=None, decode_unicode=True):
                if line.startswith("data: "):
                    data.append(line[6:])
                elif not line and data:
                    state = json.loads("\n".join(data))
                    data = []
                    with self.changed:
                        self.events.append((time.perf_counter(), state))
                        self.changed.notify_all()
        except (requests.RequestException, AttributeError, ValueError):
            return  # closed by the test

    def wait_for(self, test, timeout: float = 20.0) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for arrived, state in self.events:
                    if test(state):
                        return arrived, state
                left = deadline - time.monotonic()
                assert left > 0, f"no such event; last: {self.events[-1:]}"
                self.changed.wait(left)

    def close(self) -> None:
        self.response.close()


def test_answers_on_one_process_reach_the_screen_on_the_other(live_servers):
    screen_url, riders_url, database_url = live_servers
    session_id, trainer_phone, phones = make_room(database_url)
    trainer = logged_in(screen_url, trainer_phone)
    page = f"{screen_url}/sessions/manage/{session_id}/live"
    token = CSRF.search(trainer.get(page, timeout=30).text).group(1)
    started = trainer.post(
        f"{page}/start", data={"csrf_token": token, "lesson_key": "ls-red-light"}, timeout=30
    )
    assert started.status_code == 200 and 'data-role="screen"' in started.text
    stream = Stream(trainer, f"{screen_url}/sessions/{session_id}/live/events")
    riders = [logged_in(riders_url, phone) for phone in phones]
    # A phone opened before the trainer moves on (its stream on process B).
    phone_stream = Stream(riders[0], f"{riders_url}/sessions/{session_id}/live/events")
    try:
        stream.wait_for(lambda state: state["step"] == 0)
        moved = trainer.post(
            f"{page}/move",
            data={"csrf_token": token, "action": "next", "at": "0"},
            timeout=30,
        )
        assert moved.status_code == 200
        stream.wait_for(lambda state: state["step"] == DECISION)
        # The move made on A reached the phone's stream on B.
        phone_stream.wait_for(lambda state: state["step"] == DECISION)

        latencies = []
        for number, rider in enumerate(riders):
            form = rider.get(f"{riders_url}/sessions/{session_id}/live", timeout=30).text
            rider_token = CSRF.search(form).group(1)
            sent = time.perf_counter()
            reply = rider.post(
                f"{riders_url}/sessions/{session_id}/live/answer",
                data={
                    "csrf_token": rider_token,
                    "step": str(DECISION),
                    "option": OPTIONS[number % 3],
                },
                headers={"Accept": "application/json"},
                timeout=30,
            )
            assert reply.status_code == 200 and reply.json()["recorded"] is True, reply.text
            arrived, _state = stream.wait_for(
                lambda state, n=number + 1: state.get("answers", 0) >= n
            )
            latencies.append(arrived - sent)

        _arrived, last = stream.wait_for(lambda state: state.get("answers") == RIDERS)
        counts = {option["id"]: option["count"] for option in last["options"]}
        assert counts == {"a": 7, "b": 7, "c": 6}
        # Riders see no counts before the reveal.
        _arrived, seen = phone_stream.wait_for(lambda state: state.get("answers") == RIDERS)
        assert all("count" not in option for option in seen["options"])
        # A phone reconnecting with the version it saw last gets the current state at once.
        again = Stream(riders[1], f"{riders_url}/sessions/{session_id}/live/events")
        try:
            _arrived, caught_up = again.wait_for(lambda state: True)
            assert caught_up["step"] == DECISION and caught_up["mine"] == {str(DECISION): ["b"]}
        finally:
            again.close()
    finally:
        stream.close()
        phone_stream.close()
    median_ms = statistics.median(latencies) * 1000
    print(
        f"live case, answer on process B -> screen stream on process A: median "
        f"{median_ms:.1f} ms over {len(latencies)} answers "
        f"(min {min(latencies) * 1000:.1f}, max {max(latencies) * 1000:.1f})"
    )

"""Open live case streams held during the rider ramp of ``make loadtest``.

``seed_live_case`` gives the seeded learners a running session with a live
case they checked in to; ``StreamHolder`` keeps ``count`` EventSource-like
connections open to the stream server (each reconnects with Last-Event-ID
when the server closes it, as a browser does) and counts what arrives, while
``Changes`` moves the case on once a second the way answers do: a version
bump and the app's own publish on Redis, so every stream gets real events.
"""

from __future__ import annotations

import http.client
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from lms.accounts.models import Cohort, CohortMember, OrganisationKind, Profile
from lms.accounts.services import get_or_create_organisation
from lms.courses.services import course_by_key, lesson_in
from lms.db import utcnow
from lms.sessions.live import publish
from lms.sessions.models import Attendance, CheckInMethod, LiveCase, TrainingSession
from lms.state import get_session


def seed_live_case(profile_ids: list[int]) -> int:
    """A running session with a live case, the riders checked in; its id."""
    session = get_session()
    organisation = get_or_create_organisation("压测驿站", OrganisationKind.PLATFORM)
    now = utcnow()
    training = TrainingSession(
        organisation_id=organisation.id,
        title="压测现场案例",
        place="望京街 10 号",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=3),
        capacity=len(profile_ids) or 1,
        course_key="legal-safety",
        languages=["zh_CN"],
    )
    cohort = Cohort(organisation_id=organisation.id, name="压测班")
    session.add_all([training, cohort])
    session.flush()
    # Riders see (and check in to) the sessions of the organisations they joined.
    session.add_all(
        CohortMember(cohort_id=cohort.id, profile_id=profile_id) for profile_id in profile_ids
    )
    course = course_by_key("legal-safety")
    lesson = lesson_in(course.current_version, "ls-red-light")  # type: ignore[union-attr]
    session.add(
        LiveCase(
            session_id=training.id,
            course_key="legal-safety",
            lesson_key=lesson.key,  # type: ignore[union-attr]
            lesson_version_id=lesson.id,  # type: ignore[union-attr]
            step_no=1,
        )
    )
    session.add_all(
        Attendance(session_id=training.id, profile_id=profile_id, method=CheckInMethod.QR)
        for profile_id in profile_ids
    )
    session.commit()
    return training.id


def learner_ids(count: int) -> list[int]:
    """The first ``count`` seeded learners, in the order of their cookies."""
    return list(get_session().scalars(select(Profile.id).order_by(Profile.id).limit(count)))


class StreamHolder:
    """``len(cookies)`` open streams, each on its own thread, reconnecting when closed."""

    def __init__(self, port: int, path: str, cookies: list[str]) -> None:
        self.port, self.path = port, path
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.open = 0
        self.events = 0
        self.keepalives = 0
        self.reconnects = 0
        self.errors = 0
        self.threads = [
            threading.Thread(target=self._hold, args=(cookie,), daemon=True) for cookie in cookies
        ]

    def start(self) -> None:
        # A room fills up over a minute or so, not in one instant.
        for thread in self.threads:
            thread.start()
            time.sleep(0.05)

    def _count(self, name: str, step: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + step)

    def _hold(self, cookie: str) -> None:
        last = ""
        first = True
        while not self.stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            headers = {"Cookie": f"session={cookie}", "Accept": "text/event-stream"}
            if last:
                headers["Last-Event-ID"] = last
            try:
                connection.request("GET", self.path, headers=headers)
                response = connection.getresponse()
                if response.status != 200:
                    self._count("errors")
                    time.sleep(1)
                    continue
                if not first:
                    self._count("reconnects")
                first = False
                self._count("open")
                try:
                    while not self.stop.is_set():
                        line = response.readline()
                        if not line:
                            break
                        if line.startswith(b"id: "):
                            last = line[4:].strip().decode()
                            self._count("events")
                        elif line.startswith(b": "):
                            self._count("keepalives")
                finally:
                    self._count("open", -1)
            except OSError:
                self._count("errors")
                time.sleep(1)
            finally:
                connection.close()

    def close(self) -> None:
        self.stop.set()


class Changes:
    """Moves the live case on every ``seconds``: what the riders' answers do."""

    def __init__(self, app: Any, session_id: int, seconds: float = 1.0) -> None:
        self.app, self.session_id, self.seconds = app, session_id, seconds
        self.stop = threading.Event()
        self.published = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(self.seconds):
            with self.app.app_context():
                session = get_session()
                session.execute(
                    update(LiveCase)
                    .where(LiveCase.session_id == self.session_id)
                    .values(version=LiveCase.version + 1)
                )
                session.commit()
                publish(self.session_id)
                session.remove()
            self.published += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)

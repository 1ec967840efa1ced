"""Riders between orders: lesson steps, quiz answers and employers verifying.

Traffic mix (by request): 70% lesson pages and step saves, 20% quiz autosaves
and submissions, 10% certificate verifications, each user pausing like a rider
reading a step on the phone. ``loadtest/run.py`` drives it; the shape ramps
users in stages and stops once the p95 of a stage passes the target.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from pathlib import Path

from locust import FastHttpUser, HttpUser, LoadTestShape, between, events, task

COOKIES = open(os.environ["LOAD_COOKIES"], encoding="ascii").read().split()
CERTIFICATE = os.environ["LOAD_CERTIFICATE"]
STAGE_SECONDS = int(os.environ.get("LOAD_STAGE_SECONDS", "20"))
USERS_STEP = int(os.environ.get("LOAD_USERS_STEP", "400"))
MAX_USERS = int(os.environ.get("LOAD_MAX_USERS", "8000"))
TARGET_P95_MS = float(os.environ.get("LOAD_TARGET_P95_MS", "1000"))
RESULTS = os.environ.get("LOAD_RESULTS", "loadtest-results.json")
MODE = os.environ.get("LOAD_MODE", "riders")
THROUGHPUT_PATH = os.environ.get("LOAD_THROUGHPUT_PATH", "/hello")
CONTENT = Path(__file__).resolve().parent.parent / "content" / "courses"


def lesson_ids(course: str) -> list[str]:
    """The course's lesson ids, read from its files so the mix follows the content."""
    found = []
    for lesson in sorted((CONTENT / course).glob("*.md")):
        match = re.search(r"^id:\s*(\S+)", lesson.read_text(encoding="utf-8"), re.MULTILINE)
        if match:
            found.append(match.group(1))
    return found


LESSONS = {course: lesson_ids(course) for course in ("legal-safety", "logistics")}
STEPS = ["situation", "decision", "outcome", "rule", "check"]
# The steps a rider finishes by reading ("done"); the decision and check steps
# are finished by answering, which the quiz tasks stand for.
READING_STEPS = ["situation", "outcome", "rule"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RADIO = re.compile(r'type="radio" name="q(\d+)" value="([^"]+)"')
_cookie_numbers = itertools.count()
_samples: list[tuple[float, float, int]] = []  # (time, ms, users)


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception, **kwargs):
    runner = kwargs.get("context", {}).get("runner")
    users = runner.user_count if runner else 0
    _samples.append((time.time(), response_time, users))


class Rider(HttpUser):
    """A logged-in learner on a phone, between orders."""

    wait_time = between(10, 30)

    def on_start(self) -> None:
        cookie = COOKIES[next(_cookie_numbers) % len(COOKIES)]
        # host-only, like the cookie the server sets, so its updates replace this one
        self.client.cookies.set("session", cookie, domain="127.0.0.1", path="/")
        self.attempt_url: str | None = None
        self.answers: list[tuple[str, str]] = []
        self.token: str | None = None
        self._change_course()
        self.step_kind = "done"

    def _change_course(self) -> None:
        # The lesson always from the course: another course's lesson is a 404.
        self.course = random.choice(list(LESSONS))
        self.lesson = random.choice(LESSONS[self.course])

    @task(35)
    def view_step(self) -> None:
        step = random.choice(STEPS)
        self.client.get(
            f"/courses/{self.course}/lessons/{self.lesson}?step={step}",
            name="lesson page",
            context={"runner": self.environment.runner},
        )

    @task(35)
    def save_step(self) -> None:
        # As the player does: a step is saved once when shown and once when done.
        self.step_kind = "view" if self.step_kind == "done" else "done"
        event = {
            "key": uuid.uuid4().hex,
            "kind": self.step_kind,
            "course": self.course,
            "lesson": self.lesson,
            "step": random.choice(READING_STEPS),
            "at": int(time.time() * 1000),
        }
        self.client.post(
            "/api/sync",
            data=json.dumps({"events": [event]}),
            headers={"Content-Type": "application/json", "X-LMS-Sync": "1"},
            name="step save",
            context={"runner": self.environment.runner},
        )

    @task(17)
    def answer_quiz(self) -> None:
        if self.attempt_url is None:
            self._start_attempt()
            return
        if not self.answers:
            self._submit()
            return
        position, value = self.answers.pop()
        self.client.post(
            f"{self.attempt_url}/answers/{position}",
            json={"answer": value},
            headers={"X-CSRFToken": self.token or ""},
            name="quiz autosave",
            context={"runner": self.environment.runner},
        )

    @task(3)
    def quiz_page(self) -> None:
        self.client.get(
            f"/courses/{self.course}/quiz",
            name="quiz page",
            context={"runner": self.environment.runner},
        )

    @task(10)
    def verify(self) -> None:
        self.client.get(
            f"/verify/{CERTIFICATE}",
            name="verify certificate",
            context={"runner": self.environment.runner},
        )

    def _start_attempt(self) -> None:
        page = self.client.get(
            f"/courses/{self.course}/quiz",
            name="quiz page",
            context={"runner": self.environment.runner},
        )
        token = CSRF.search(page.text or "")
        if not token:
            return
        with self.client.post(
            f"/courses/{self.course}/quiz/start",
            data={"csrf_token": token.group(1)},
            name="quiz start",
            context={"runner": self.environment.runner},
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                # Attempts used up or a waiting time to sit out: the app's
                # right answer to this rider, not a failed request.
                response.success()
        if "/attempts/" not in response.url:
            self._change_course()  # attempts used up: another course
            return
        self.attempt_url = response.url.split("?")[0].split("#")[0]
        self.token = (CSRF.search(response.text) or [None, None])[1]
        seen: dict[str, str] = {}
        for position, value in RADIO.findall(response.text):
            seen.setdefault(position, value)
        self.answers = list(seen.items())

    def _submit(self) -> None:
        self.client.post(
            f"{self.attempt_url}/submit",
            data={"csrf_token": self.token or ""},
            name="quiz submit",
            context={"runner": self.environment.runner},
        )
        self.attempt_url = None


class BusyRider(Rider):
    """The rider mix without pauses, for the with/without xAPI comparison: the
    app's core is the limit, so requests/s measures what a request costs."""

    wait_time = between(0, 0)


class Throughput(FastHttpUser):
    """Back-to-back requests to one path, for the throughput comparison.

    FastHttpUser: the plain HttpUser tops out near 1,300 requests a second on
    one core, below what the hello-world app serves, so it would measure the
    client, not the app.
    """

    wait_time = between(0, 0)

    @task
    def hit(self) -> None:
        self.client.get(THROUGHPUT_PATH, name="throughput")


if MODE == "riders":

    class Ramp(LoadTestShape):
        """Add users in stages; stop when a stage's p95 passes the target."""

        stage_results: list[dict] = []

        def tick(self):
            elapsed = self.get_run_time()
            stage = int(elapsed // STAGE_SECONDS)
            if stage > 0 and len(self.stage_results) < stage:
                start = self._stage_start + STAGE_SECONDS / 2
                end = self._stage_start + STAGE_SECONDS
                times = sorted(ms for t, ms, _ in _samples if start <= t < end)
                users = (stage) * USERS_STEP
                p95 = times[int(0.95 * (len(times) - 1))] if times else 0.0
                self.stage_results.append(
                    {
                        "users": users,
                        "p95_ms": p95,
                        "requests": len(times),
                        "requests_per_s": len(times) / (end - start),
                    }
                )
                with open(RESULTS, "w", encoding="utf-8") as handle:
                    json.dump(self.stage_results, handle)
                self._stage_start = time.time()
                if p95 > TARGET_P95_MS or users >= MAX_USERS:
                    return None
            if stage == 0 and not hasattr(self, "_stage_start"):
                self._stage_start = time.time()
            users = (stage + 1) * USERS_STEP
            return users, max(1, USERS_STEP / 5)

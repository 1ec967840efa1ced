"""Two gunicorn processes share nothing but PostgreSQL and Redis: a learner's
whole journey and an employer's rate limit hold while requests alternate."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from lms.questions.tokens import AnswerTokens
from tests.answers import correct_answer, page_answer
from tests.production.conftest import PROJECT_DIR, SECRET, server_environment, start_server

pytestmark = pytest.mark.postgres

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# what level 5 of the delivery track asks for (content/levels.yaml)
LEVEL_FIVE_COURSES = ("legal-safety", "logistics")
# The check symbol can be one of *~$=U as well as a letter or digit.
NUMBER = re.compile(r"/certificates/(LMS[0-9A-Z*~$=]+)/pdf")


class Alternating:
    """A browser whose every request goes to the other server."""

    def __init__(self, servers: list[str]) -> None:
        self.session = requests.Session()
        self.servers = itertools.cycle(servers)
        self.used: list[str] = []

    def request(self, method: str, path: str, **kwargs):
        base = next(self.servers)
        self.used.append(base)
        kwargs.setdefault("timeout", 30)
        response = self.session.request(method, base + path, **kwargs)
        assert response.status_code < 500, (method, path, response.status_code, response.text[:500])
        return response

    def token(self, path: str) -> str:
        return CSRF.search(self.request("GET", path).text).group(1)


@pytest.fixture(scope="module")
def two_servers(production_database, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two")
    signing_key = folder / "signing.pem"
    from lms.certificates.tokens import generate_key

    signing_key.write_text(generate_key()[0], encoding="ascii")
    env = server_environment(
        production_database,
        redis_db=15,
        LMS_SIGNING_KEY_FILE=str(signing_key),
        LMS_RATELIMIT_KEY_PREFIX=f"two-{uuid.uuid4().hex[:6]}",
        LMS_VERIFY_RATE_LIMIT="20 per minute",
        # Its own job queues: another run on this Redis db must not take its jobs.
        LMS_REDIS_KEY_PREFIX=f"two-{uuid.uuid4().hex[:6]}",
    )
    first = start_server(env, folder / "a.log")
    second = start_server(env, folder / "b.log")
    yield [first.url, second.url], production_database, env
    first.stop()
    second.stop()


def tokens_for(profile_id: int, context: str) -> AnswerTokens:
    """The tokens the servers' pages name options with (they share ``SECRET``)."""
    return AnswerTokens(SECRET.encode(), profile_id, context)


def profile_of(engine, phone: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.text(
                "SELECT p.id FROM lms_profile p JOIN lms_user u "
                "ON p.user_ref = CAST(u.id AS VARCHAR) WHERE u.phone = :phone"
            ),
            {"phone": phone},
        ).scalar_one()


def lesson_events(engine, course: str, profile_id: int) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT l.key, l.decision, l.checks FROM lms_lesson_version l "
                "JOIN lms_course c ON c.current_version_id = l.course_version_id "
                "WHERE c.key = :course ORDER BY l.position"
            ),
            {"course": course},
        ).all()
    events = []
    for key, decision, checks in rows:
        decision = decision if isinstance(decision, dict) else json.loads(decision)
        checks = checks if isinstance(checks, list) else json.loads(checks)
        best = next(o["id"] for o in decision["options"] if o.get("best"))
        choice = tokens_for(profile_id, f"lesson:{course}:{key}:decision").token("decision", best)
        check = tokens_for(profile_id, f"lesson:{course}:{key}:check")
        answers = {q["id"]: page_answer(check, q, correct_answer(q)) for q in checks}
        for step, kind, extra in (
            ("situation", "done", {}),
            ("decision", "decision", {"choice": choice}),
            ("outcome", "done", {}),
            ("rule", "done", {}),
            ("check", "answer", {"answers": answers}),
        ):
            events.append(
                {
                    "key": uuid.uuid4().hex,
                    "course": course,
                    "lesson": key,
                    "step": step,
                    "kind": kind,
                    **extra,
                }
            )
    return events


def pass_quiz(browser: Alternating, engine, course: str, profile_id: int) -> None:
    """Start on one process, answer on both, submit on one."""
    response = browser.request(
        "POST",
        f"/courses/{course}/quiz/start",
        data={"csrf_token": browser.token(f"/courses/{course}/quiz")},
    )
    attempt_id = int(re.search(r"/attempts/(\d+)", response.url).group(1))
    token = CSRF.search(response.text).group(1)
    with engine.connect() as connection:
        questions = connection.execute(
            sa.text(
                "SELECT aq.position, q.spec FROM lms_attempt_question aq "
                "JOIN lms_question_version q ON q.id = aq.question_version_id "
                "WHERE aq.attempt_id = :id ORDER BY aq.position"
            ),
            {"id": attempt_id},
        ).all()
    for position, spec in questions:
        spec = spec if isinstance(spec, dict) else json.loads(spec)
        saved = browser.request(
            "POST",
            f"/attempts/{attempt_id}/answers/{position}",
            json={
                "answer": page_answer(
                    tokens_for(profile_id, f"attempt:{attempt_id}"), spec, correct_answer(spec)
                )
            },
            headers={"X-CSRFToken": token},
        )
        assert saved.json()["saved"] is True
    result = browser.request("POST", f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert f"/attempts/{attempt_id}/result" in result.url


def test_a_learner_journey_across_two_processes(two_servers):
    servers, database_url, env = two_servers
    engine = sa.create_engine(database_url)
    browser = Alternating(servers)
    phone = "13712345678"

    # sign up: the form comes from one process, the post goes to the other
    response = browser.request(
        "POST",
        "/register",
        data={
            "csrf_token": browser.token("/register"),
            "phone": phone,
            "display_name": "双进程骑手",
            "password": "long-enough-1",
            "confirm": "long-enough-1",
        },
        allow_redirects=False,
    )
    assert response.status_code == 302
    assert "双进程骑手" in browser.request("GET", "/").text

    # every lesson of the level's courses, every step saved through the sync endpoint
    browser.request("POST", "/stopped", data={"csrf_token": browser.token("/"), "next": "/"})
    profile_id = profile_of(engine, phone)
    for course in LEVEL_FIVE_COURSES:
        for event in lesson_events(engine, course, profile_id):
            reply = browser.request(
                "POST",
                "/api/sync",
                data=json.dumps({"events": [event]}),
                headers={"Content-Type": "application/json", "X-LMS-Sync": "1"},
            ).json()
            assert reply["results"][0]["status"] == "saved", reply
    page = browser.request("GET", "/courses/legal-safety/lessons/ls-red-light?step=situation")
    assert page.status_code == 200

    for course in LEVEL_FIVE_COURSES:
        pass_quiz(browser, engine, course, profile_id)

    # the level and its certificate
    with engine.connect() as connection:
        levels = connection.execute(
            sa.text("SELECT track_key, level FROM lms_level_achievement")
        ).all()
    assert ("online-delivery-worker", 5) in [tuple(row) for row in levels]
    # No request renders a PDF: the job runner does, in a process of its own.
    assert "正在生成" in browser.request("GET", "/certificates").text
    subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "lms", "certificates", "worker", "--burst"],
        env=env,
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
        timeout=300,
    )
    mine = browser.request("GET", "/certificates").text
    numbers = sorted(set(NUMBER.findall(mine)))
    assert numbers, "no certificate listed"
    first = browser.request("GET", f"/certificates/{numbers[0]}/pdf")
    second = browser.request("GET", f"/certificates/{numbers[0]}/pdf")
    assert first.content.startswith(b"%PDF")
    assert first.content == second.content
    assert set(browser.used) == set(servers)
    engine.dispose()

    # an employer checking numbers is limited across both processes together
    employer = Alternating(servers)
    statuses = []
    for _ in range(24):
        statuses.append(employer.request("GET", f"/verify/{numbers[0]}").status_code)
        time.sleep(0.02)
    assert statuses[:20] == [200] * 20
    assert 429 in statuses[20:]

"""The live case: the trainer of the session's organisation steps through a case
lesson, the riders who checked in answer once per step, the screen counts them;
a passed step, a rider not checked in, another organisation's trainer and
tampered ids are refused with a clear message and change nothing; the answers
become the riders' lesson progress; the stream carries the whole state with the
version as its id."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.courses.models import LessonProgress
from lms.db import utcnow
from lms.sessions.models import Attendance, CheckInMethod, LiveAnswer, LiveCase
from lms.state import get_session
from tests.conftest import People, csrf_token_for
from tests.sessions.test_sessions import ORGANISATION, member_of, schedule, signed_in

LESSON = "ls-red-light"
# ls-red-light on the screen: situation, decision (a, b, c), outcome, rule,
# check 1 (single choice, a is right), check 2 (true/false, false is right).
DECISION, CHECK_ONE, CHECK_TWO = 1, 4, 5


class Room:
    """A running session of the legal-safety course with its trainer and riders."""

    def __init__(self, app, riders: int = 2, checked_in: int = 2) -> None:
        self.app = app
        people = People(app)
        self.trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
        now = utcnow()
        self.session_id = schedule(
            app,
            self.trainer,
            starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=1),
            course_key="legal-safety",
        )
        self.riders = []
        for number in range(riders):
            person = people.make(Role.LEARNER, name="骑手" + "甲乙丙丁戊己庚辛壬癸"[number])
            member_of(app, person, self.trainer.organisation_id)
            if number < checked_in:
                with app.app_context():
                    get_session().add(
                        Attendance(
                            session_id=self.session_id,
                            profile_id=person.profile_id,
                            method=CheckInMethod.QR,
                        )
                    )
                    get_session().commit()
            self.riders.append(person)
        self.staff = signed_in(app, self.trainer)
        self.phones = [signed_in(app, rider) for rider in self.riders]
        self.people = people

    def post(self, client, path: str, data: dict, json_reply: bool = False):
        headers = {"Accept": "application/json"} if json_reply else {}
        token = csrf_token_for(client)
        return client.post(path, data={"csrf_token": token, **data}, headers=headers)

    def start(self):
        return self.post(
            self.staff, f"/sessions/manage/{self.session_id}/live/start", {"lesson_key": LESSON}
        )

    def move(self, action: str, at: int):
        return self.post(
            self.staff,
            f"/sessions/manage/{self.session_id}/live/move",
            {"action": action, "at": str(at)},
        )

    def go_to(self, step: int) -> None:
        current = self.state(self.staff)["step"]
        for at in range(current, step):
            assert self.move("next", at).status_code == 302

    def answer(self, index: int, step: int, *options: str):
        return self.post(
            self.phones[index],
            f"/sessions/{self.session_id}/live/answer",
            {"step": str(step), "option": list(options)},
            json_reply=True,
        )

    def state(self, client) -> dict:
        response = client.get(f"/sessions/{self.session_id}/live/state.json")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def answers(self) -> int:
        with self.app.app_context():
            return get_session().scalar(select(func.count()).select_from(LiveAnswer))


def counts(state: dict) -> dict[str, int]:
    return {option["id"]: option["count"] for option in state["options"]}


def test_the_screen_counts_each_riders_answer_once(content_app):
    room = Room(content_app)
    assert room.start().status_code == 302
    screen = room.staff.get(f"/sessions/manage/{room.session_id}/live").get_data(as_text=True)
    assert "lms/live.js" in screen and 'data-role="screen"' in screen
    assert room.state(room.staff)["kind"] == "situation"
    room.go_to(DECISION)

    first = room.answer(0, DECISION, "b")
    assert first.status_code == 200 and first.get_json()["recorded"] is True
    assert room.answer(1, DECISION, "a").status_code == 200
    # The same answer sent again (a phone that lost the reply) counts once ...
    again = room.answer(0, DECISION, "b")
    assert again.status_code == 200 and again.get_json()["recorded"] is False
    # ... and another answer to an answered step is refused.
    changed = room.answer(0, DECISION, "c")
    assert changed.status_code == 409 and "只计一次" in changed.get_json()["error"]

    screen_state = room.state(room.staff)
    assert counts(screen_state) == {"a": 1, "b": 1, "c": 0}
    assert screen_state["answers"] == 2 and screen_state["answerable"] is True
    phone_state = room.state(room.phones[0])
    assert all("count" not in option for option in phone_state["options"])
    assert phone_state["mine"] == {str(DECISION): ["b"]}
    assert "best" not in json.dumps(phone_state["options"])

    assert room.move("reveal", DECISION).status_code == 302
    revealed = room.state(room.phones[1])
    assert revealed["revealed"] is True and revealed["answerable"] is False
    assert {o["id"]: o["best"] for o in revealed["options"]} == {"a": False, "b": True, "c": False}
    assert counts(revealed) == {"a": 1, "b": 1, "c": 0}
    assert room.answers() == 2


def test_an_answer_to_a_step_that_has_passed_is_refused_and_changes_nothing(content_app):
    room = Room(content_app)
    room.start()
    room.go_to(DECISION)
    assert room.answer(0, DECISION, "b").status_code == 200
    room.go_to(DECISION + 1)
    version = room.state(room.staff)["version"]

    late = room.answer(1, DECISION, "a")
    assert late.status_code == 409 and "已经过去" in late.get_json()["error"]
    early = room.answer(1, CHECK_ONE, "a")
    assert early.status_code == 409 and "还没有开始" in early.get_json()["error"]
    reading = room.answer(1, DECISION + 1, "a")
    assert reading.status_code == 400
    assert room.answers() == 1 and room.state(room.staff)["version"] == version
    # A stale screen's second click does not skip a step.
    assert room.move("next", DECISION).status_code == 409
    assert room.state(room.staff)["step"] == DECISION + 1


def test_a_rider_who_did_not_check_in_is_refused_with_a_clear_message(content_app):
    room = Room(content_app, riders=3, checked_in=2)
    room.start()
    room.go_to(DECISION)
    outsider = room.phones[2]
    page = outsider.get(f"/sessions/{room.session_id}/live")
    assert page.status_code == 403 and "先签到" in page.get_data(as_text=True)
    assert outsider.get(f"/sessions/{room.session_id}/live/state.json").status_code == 403
    assert outsider.get(f"/sessions/{room.session_id}/live/events").status_code == 403
    refused = room.answer(2, DECISION, "b")
    assert refused.status_code == 403 and "先签到" in refused.get_json()["error"]
    assert room.answers() == 0


def test_another_organisations_trainer_cannot_see_or_run_the_case(content_app):
    room = Room(content_app)
    room.start()
    other = room.people.make(Role.TRAINER, organisation="乙站")
    stranger = signed_in(content_app, other)
    base = f"/sessions/manage/{room.session_id}/live"
    assert stranger.get(base).status_code == 404
    assert stranger.get(f"/sessions/{room.session_id}/live/state.json").status_code == 404
    token = csrf_token_for(stranger)
    moved = stranger.post(f"{base}/move", data={"csrf_token": token, "action": "next", "at": "0"})
    assert moved.status_code == 404
    assert room.state(room.staff)["step"] == 0
    # A rider of the other organisation does not learn the session exists.
    rider = room.people.make(Role.LEARNER, name="外人")
    member_of(content_app, rider, other.organisation_id)
    assert signed_in(content_app, rider).get(f"/sessions/{room.session_id}/live").status_code == 404


def test_tampered_ids_and_options_are_refused(content_app):
    room = Room(content_app)
    assert (
        room.post(room.staff, f"/sessions/manage/{room.session_id}/live/start", {}).status_code
        == 400
    )
    assert (
        room.post(
            room.staff, f"/sessions/manage/{room.session_id}/live/start", {"lesson_key": "nope"}
        ).status_code
        == 400
    )
    room.start()
    assert room.start().status_code == 409
    room.go_to(DECISION)
    assert room.answer(0, DECISION, "zz").status_code == 400
    assert room.answer(0, DECISION, "a", "b").status_code == 400
    assert room.answer(0, DECISION).status_code == 400
    assert room.answer(0, 99, "a").status_code == 400
    bad_step = room.post(
        room.phones[0], f"/sessions/{room.session_id}/live/answer", {"step": "x", "option": "a"}
    )
    assert bad_step.status_code == 400
    assert room.phones[0].get("/sessions/999999/live").status_code == 404
    assert room.staff.get("/sessions/manage/999999/live").status_code == 404
    assert room.move("jump", DECISION).status_code == 400
    assert (
        room.post(
            room.staff,
            f"/sessions/manage/{room.session_id}/live/move",
            {"action": "next", "at": "x"},
        ).status_code
        == 400
    )
    assert room.answers() == 0


def test_the_answers_given_live_are_the_riders_lesson_progress(content_app):
    room = Room(content_app)
    room.start()
    room.go_to(DECISION)
    room.answer(0, DECISION, "b")
    room.answer(1, DECISION, "a")
    room.go_to(CHECK_ONE)
    room.answer(0, CHECK_ONE, "a")
    room.go_to(CHECK_TWO)
    room.answer(0, CHECK_TWO, "false")
    assert room.move("end", CHECK_TWO).status_code == 302
    assert room.answer(1, CHECK_TWO, "true").status_code == 409
    with content_app.app_context():
        progress = {
            row.profile_id: row
            for row in get_session().scalars(
                select(LessonProgress).where(LessonProgress.lesson_key == LESSON)
            )
        }
    done = progress[room.riders[0].profile_id]
    assert done.completed_at is not None
    assert done.steps_done == ["situation", "decision", "outcome", "rule", "check"]
    partial = progress[room.riders[1].profile_id]
    assert partial.completed_at is None and partial.steps_done == ["situation", "decision"]


def test_the_stream_sends_the_whole_state_with_its_version_as_the_id(content_app):
    content_app.config.update(LMS_LIVE_STREAM_SECONDS=1, LMS_LIVE_POLL_SECONDS=0.2)
    room = Room(content_app)
    url = f"/sessions/{room.session_id}/live/events"
    # Before the case starts there is nothing to stream: the page polls the state.
    assert room.phones[0].get(url).status_code == 404
    assert room.state(room.phones[0])["state"] == "waiting"
    room.start()
    room.go_to(DECISION)
    version = room.state(room.staff)["version"]

    response = room.phones[0].get(url)
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    assert text.startswith("retry: ")
    assert f"id: {version}\n" in text
    data = json.loads(text.split("data: ", 1)[1].split("\n", 1)[0])
    assert data["step"] == DECISION and data["kind"] == "decision" and data["mine"] == {}
    # A browser that reconnects having seen this version gets no repeat.
    quiet = room.phones[0].get(url, headers={"Last-Event-ID": str(version)})
    assert "data: " not in quiet.get_data(as_text=True)


REDIS_URL = os.environ.get("LMS_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def test_each_change_is_published_whole_on_the_cases_redis_channel(content_app):
    import redis

    client = redis.Redis.from_url(f"{REDIS_URL}/2", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis unreachable: {error}")
    content_app.config.update(LMS_REDIS_URL=f"{REDIS_URL}/2", LMS_REDIS_KEY_PREFIX="livetest")
    room = Room(content_app)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(f"livetest:live:{room.session_id}")
    try:
        room.start()
        room.go_to(DECISION)
        room.answer(0, DECISION, "c")
        messages = []
        for _attempt in range(50):
            message = pubsub.get_message(timeout=0.2)
            if message:
                messages.append(json.loads(message["data"]))
            if len(messages) == 3:
                break
    finally:
        pubsub.close()
    assert [m["zh_CN"]["version"] for m in messages] == [1, 2, 3]
    last = messages[-1]
    assert last["zh_CN"]["step"] == DECISION and counts(last["zh_CN"])["c"] == 1
    assert last["en"]["heading"] == "Your decision" and last["zh_CN"]["heading"] == "你的选择"
    with content_app.app_context():
        assert get_session().scalar(select(LiveCase.version)) == 3


def test_the_chinese_live_pages_use_full_width_punctuation(content_app):
    from tests.courses.test_chinese_punctuation import glued

    room = Room(content_app)
    chinese = {"Accept-Language": "zh-CN"}
    start_page = room.staff.get(f"/sessions/manage/{room.session_id}/live", headers=chinese)
    assert "开始现场案例" in start_page.get_data(as_text=True)
    room.start()
    pages = {}
    for step in range(DECISION, CHECK_TWO + 1):
        room.go_to(step)
        if step in (DECISION, CHECK_ONE):
            room.answer(0, step, "a")
            room.move("reveal", step)
        pages[f"screen {step}"] = room.staff.get(
            f"/sessions/manage/{room.session_id}/live", headers=chinese
        )
        pages[f"phone {step}"] = room.phones[0].get(
            f"/sessions/{room.session_id}/live", headers=chinese
        )
    pages["mine"] = room.phones[0].get("/sessions/mine", headers=chinese)
    problems = {}
    for name, page in pages.items():
        assert page.status_code == 200, name
        if glued(page.get_data(as_text=True)):
            problems[name] = glued(page.get_data(as_text=True))
    assert problems == {}
    assert "现场案例" in pages["mine"].get_data(as_text=True)


PARALLEL = 6


@pytest.fixture
def busy_content_app(database_backend, tmp_path):
    from tests.conftest import _dispose, build_concurrent_app

    application = build_concurrent_app(database_backend, tmp_path, PARALLEL + 1, with_content=True)
    yield application
    _dispose(application)


def test_answers_racing_the_trainers_next_step_count_once_and_only_on_their_step(
    busy_content_app,
):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    room = Room(busy_content_app, riders=PARALLEL, checked_in=PARALLEL)
    room.start()
    room.go_to(DECISION)
    # The first rider taps on two phones at once, with two answers.
    tokens = [csrf_token_for(phone) for phone in room.phones]
    second_phone = signed_in(busy_content_app, room.riders[0])
    second_token = csrf_token_for(second_phone)
    staff_token = csrf_token_for(room.staff)
    barrier = threading.Barrier(PARALLEL + 2)
    answer_url = f"/sessions/{room.session_id}/live/answer"

    def send(index: int) -> int:
        client, token = (
            (second_phone, second_token)
            if index == PARALLEL
            else (room.phones[index], tokens[index])
        )
        option = "c" if index == PARALLEL else "ab"[index % 2]
        barrier.wait()
        return client.post(
            answer_url,
            data={"csrf_token": token, "step": str(DECISION), "option": option},
            headers={"Accept": "application/json"},
        ).status_code

    def move() -> int:
        barrier.wait()
        return room.staff.post(
            f"/sessions/manage/{room.session_id}/live/move",
            data={"csrf_token": staff_token, "action": "next", "at": str(DECISION)},
        ).status_code

    with ThreadPoolExecutor(PARALLEL + 2) as pool:
        moved = pool.submit(move)
        codes = list(pool.map(send, range(PARALLEL + 1)))
    assert moved.result() == 302
    assert set(codes) <= {200, 409}
    with busy_content_app.app_context():
        rows = list(get_session().scalars(select(LiveAnswer)))
        version = get_session().scalar(select(LiveCase.version))
    assert all(row.step_no == DECISION for row in rows)
    # One answer per rider, however many phones; each recorded one raised the version.
    assert len({row.profile_id for row in rows}) == len(rows)
    assert len(rows) <= codes.count(200)
    # started at 1, one version per "next" (DECISION + 1 of them) and per answer
    assert version == 1 + DECISION + 1 + len(rows)


def test_a_rider_who_checks_in_while_the_case_runs_lands_on_the_live_page(content_app):
    from tests.sessions.test_check_in import code_on_screen

    room = Room(content_app, riders=3, checked_in=2)
    room.start()
    code = code_on_screen(room.staff, room.session_id)
    late = room.post(room.phones[2], f"/sessions/{room.session_id}/check-in", {"code": code})
    assert late.status_code == 302
    assert late.headers["Location"].endswith(f"/sessions/{room.session_id}/live")
    assert room.phones[2].get(late.headers["Location"]).status_code == 200

"""Sessions: a trainer schedules one; riders of the organisation (and only they) see
it, sign up or cancel; a full session has a waiting list promoted in order, and
parallel sign-ups never over-book it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lms.accounts.models import Cohort, CohortMember, Role
from lms.db import utcnow
from lms.sessions.models import Booking, BookingStatus, TrainingSession
from lms.state import get_session
from tests.conftest import People, _dispose, build_concurrent_app, csrf_token_for, log_in, post_form

ORGANISATION = "甲站"


def signed_in(app, person):
    client = app.test_client()
    assert log_in(client, person.phone).status_code == 302
    return client


def member_of(app, person, organisation_id: int) -> None:
    """The rider joins a cohort of the organisation."""
    with app.app_context():
        session = get_session()
        cohort = session.scalar(select(Cohort).where(Cohort.organisation_id == organisation_id))
        if cohort is None:
            cohort = Cohort(organisation_id=organisation_id, name="一班")
            session.add(cohort)
            session.flush()
        session.add(CohortMember(cohort_id=cohort.id, profile_id=person.profile_id))
        session.commit()


def schedule(app, trainer, capacity: int = 2, **overrides: Any) -> int:
    with app.app_context():
        session = get_session()
        values: dict[str, Any] = {
            "organisation_id": trainer.organisation_id,
            "trainer_id": trainer.profile_id,
            "title": "夜间骑行安全",
            "place": "望京街 10 号",
            "starts_at": utcnow() + timedelta(days=1),
            "ends_at": utcnow() + timedelta(days=1, hours=2),
            "capacity": capacity,
            "languages": ["zh_CN"],
        }
        training = TrainingSession(**{**values, **overrides})
        session.add(training)
        session.commit()
        return training.id


def statuses(app, session_id: int) -> dict[int, BookingStatus]:
    with app.app_context():
        rows = get_session().scalars(select(Booking).where(Booking.session_id == session_id))
        return {booking.profile_id: booking.status for booking in rows}


def test_a_trainer_schedules_a_session_riders_of_the_organisation_see_it(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    staff = signed_in(app, trainer)
    form = {
        "title": "电动车安全",
        "station_id": "0",
        "place": "望京街 10 号",
        "starts_at": "2099-05-01T19:00",
        "ends_at": "2099-05-01T21:00",
        "capacity": "12",
        "course_key": "",
        "languages": ["zh_CN", "en"],
    }

    assert post_form(staff, "/sessions/manage", form).status_code == 302

    with app.app_context():
        (training,) = get_session().scalars(select(TrainingSession))
        # 19:00 in Beijing is 11:00 UTC.
        assert training.starts_at.hour == 11 and training.capacity == 12
        assert training.languages == ["zh_CN", "en"]
    joined = people.make(Role.LEARNER)
    member_of(app, joined, trainer.organisation_id)
    stranger = signed_in(app, people.make(Role.LEARNER))
    rider = signed_in(app, joined)
    assert "电动车安全" in rider.get("/sessions").get_data(as_text=True)
    assert "电动车安全" not in stranger.get("/sessions").get_data(as_text=True)
    assert post_form(stranger, f"/sessions/{training.id}/sign-up", {}).status_code == 404
    assert post_form(rider, f"/sessions/{training.id}/sign-up", {}).status_code == 302
    assert "已报名" in rider.get("/sessions").get_data(as_text=True)


def test_bad_session_forms_are_refused_with_a_message_and_change_nothing(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    staff = signed_in(app, trainer)
    form = {
        "title": "电动车安全",
        "station_id": "0",
        "place": "望京街 10 号",
        "starts_at": "2099-05-01T19:00",
        "ends_at": "2099-05-01T18:00",
        "capacity": "12",
        "languages": ["zh_CN"],
    }

    backwards = post_form(staff, "/sessions/manage", form)
    nowhere = post_form(
        staff, "/sessions/manage", {**form, "place": "", "ends_at": "2099-05-01T21:00"}
    )
    other_station = post_form(
        staff, "/sessions/manage", {**form, "station_id": "99999", "ends_at": "2099-05-01T21:00"}
    )
    no_places = post_form(
        staff, "/sessions/manage", {**form, "capacity": "0", "ends_at": "2099-05-01T21:00"}
    )

    assert backwards.status_code == 400 and "结束时间" in backwards.get_data(as_text=True)
    assert nowhere.status_code == 400 and "地点" in nowhere.get_data(as_text=True)
    assert other_station.status_code == 400 and "站点" in other_station.get_data(as_text=True)
    assert no_places.status_code == 400
    with app.app_context():
        assert list(get_session().scalars(select(TrainingSession))) == []


def test_a_full_session_has_a_waiting_list_promoted_in_order(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    session_id = schedule(app, trainer, capacity=2)
    riders = [people.make(Role.LEARNER) for _ in range(4)]
    clients = []
    for rider in riders:
        member_of(app, rider, trainer.organisation_id)
        client = signed_in(app, rider)
        assert post_form(client, f"/sessions/{session_id}/sign-up", {}).status_code == 302
        clients.append(client)
    first, second, third, fourth = (rider.profile_id for rider in riders)
    assert statuses(app, session_id) == {
        first: BookingStatus.BOOKED,
        second: BookingStatus.BOOKED,
        third: BookingStatus.WAITING,
        fourth: BookingStatus.WAITING,
    }
    twice = post_form(clients[0], f"/sessions/{session_id}/sign-up", {})
    assert twice.status_code == 400 and "已经报名" in twice.get_data(as_text=True)

    assert post_form(clients[1], f"/sessions/{session_id}/cancel", {}).status_code == 302

    after = statuses(app, session_id)
    assert after[second] == BookingStatus.CANCELLED
    assert after[third] == BookingStatus.BOOKED and after[fourth] == BookingStatus.WAITING
    # Leaving the waiting list frees no place and promotes nobody.
    assert post_form(clients[3], f"/sessions/{session_id}/cancel", {}).status_code == 302
    assert statuses(app, session_id)[fourth] == BookingStatus.CANCELLED
    roster = signed_in(app, trainer).get(f"/sessions/manage/{session_id}")
    assert roster.status_code == 200 and roster.get_data(as_text=True).count("<td>已报名</td>") == 2
    other = signed_in(app, people.make(Role.TRAINER, organisation="乙公司"))
    assert other.get(f"/sessions/manage/{session_id}").status_code == 404


RIDERS = 8
CAPACITY = 3


@pytest.fixture
def busy_app(database_backend: dict[str, Any], tmp_path: Path):
    application = build_concurrent_app(database_backend, tmp_path, RIDERS, with_content=False)
    yield application
    _dispose(application)


def test_parallel_sign_ups_never_over_book_a_session(busy_app):
    people = People(busy_app)
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    session_id = schedule(busy_app, trainer, capacity=CAPACITY)
    clients = []
    for _ in range(RIDERS):
        rider = people.make(Role.LEARNER)
        member_of(busy_app, rider, trainer.organisation_id)
        client = signed_in(busy_app, rider)
        clients.append((client, csrf_token_for(client)))
    barrier = threading.Barrier(RIDERS)

    def sign_up(index: int) -> int:
        client, token = clients[index]
        barrier.wait()
        return client.post(
            f"/sessions/{session_id}/sign-up", data={"csrf_token": token}
        ).status_code

    with ThreadPoolExecutor(RIDERS) as pool:
        codes = list(pool.map(sign_up, range(RIDERS)))

    assert codes == [302] * RIDERS
    found = list(statuses(busy_app, session_id).values())
    assert found.count(BookingStatus.BOOKED) == CAPACITY
    assert found.count(BookingStatus.WAITING) == RIDERS - CAPACITY

"""A session's check-in in a real browser on a 360 px phone: the trainer's screen
shows the rotating QR code, the rider opens its link and checks in, and "My
sessions" shows it; the new pages have no axe violations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.accounts.models import Cohort, CohortMember, OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.db import utcnow
from lms.sessions.models import Booking, BookingStatus, Station, TrainingSession
from lms.state import get_session
from tests.browser.support import PASSWORD, PHONE, axe_violations, horizontal_overflow, log_in

pytestmark = pytest.mark.browser


def make_running_session(app) -> int:
    with app.app_context():
        session = get_session()
        organisation = get_or_create_organisation("朝阳骑手驿站", OrganisationKind.PLATFORM)
        trainer = create_user("13700000001", PASSWORD, "Li Trainer", Role.TRAINER, organisation)
        rider = create_user("13900000777", PASSWORD, "Zhang Rider", Role.LEARNER)
        cohort = Cohort(organisation_id=organisation.id, name="Morning shift")
        station = Station(
            organisation_id=organisation.id,
            name_zh="望京驿站",
            name_en="Wangjing Station",
            address="望京街 10 号",
            district="朝阳区",
            opening_hours="08:00–22:00",
            facilities=["drinking_water", "phone_charging"],
        )
        session.add_all([cohort, station])
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, profile_id=rider.id))
        now = utcnow()
        training = TrainingSession(
            organisation_id=organisation.id,
            trainer_id=trainer.id,
            title="Night riding safety",
            station_id=station.id,
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=1),
            capacity=10,
            languages=["zh_CN"],
        )
        session.add(training)
        session.flush()
        session.add(
            Booking(session_id=training.id, profile_id=rider.id, status=BookingStatus.BOOKED)
        )
        session.commit()
        return training.id


def test_a_rider_checks_in_by_the_trainers_rotating_qr_code(live_server, new_page):
    base = live_server.url
    session_id = make_running_session(live_server.app)
    trainer = new_page(viewport=PHONE)
    log_in(trainer, base, "13700000001")

    trainer.goto(f"{base}/sessions/manage/{session_id}/check-in")
    qr = trainer.locator("#check-in-qr")
    qr.wait_for()
    trainer.wait_for_function("() => document.getElementById('check-in-qr').naturalWidth > 0")
    link = qr.get_attribute("data-check-in-url")
    assert link and f"/sessions/{session_id}/check-in?code=" in link
    assert axe_violations(trainer) == []
    assert horizontal_overflow(trainer) <= 0

    rider = new_page(viewport=PHONE)
    log_in(rider, base, "13900000777")
    rider.goto(link)
    assert axe_violations(rider) == []
    rider.click("main form button.primary")
    rider.wait_for_url(f"{base}/sessions/mine")
    rider.get_by_role("cell", name="Night riding safety").wait_for()
    assert axe_violations(rider) == []
    assert horizontal_overflow(rider) <= 0
    for page in ("/sessions", "/stations"):
        rider.goto(f"{base}{page}")
        rider.get_by_text("Night riding safety").first.wait_for()
        assert axe_violations(rider) == [], page
        assert horizontal_overflow(rider) <= 0, page

    trainer.goto(f"{base}/sessions/manage/{session_id}")
    assert trainer.locator("dl.figures dd").nth(1).inner_text() == "1"
    assert axe_violations(trainer) == []

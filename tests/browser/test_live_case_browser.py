"""A live case in real browsers: the trainer's big screen and two riders' phones
at 360 px, three contexts. Both riders check in by the rotating QR code (its
link read from the screen's data attribute), the trainer steps through a case
lesson, the screen's counts match the riders' answers, one rider goes offline
and back and catches up to the current step, and both riders' records show
their attendance and its hours. The new pages have no axe violations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.accounts.models import Cohort, CohortMember, OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.db import utcnow
from lms.sessions.models import Booking, BookingStatus, TrainingSession
from lms.state import get_session
from tests.browser.support import PASSWORD, PHONE, axe_violations, horizontal_overflow, log_in

pytestmark = pytest.mark.browser

SCREEN = {"width": 1280, "height": 800}
TRAINER = "13700000031"
RIDERS = ("13900000731", "13900000732")


def make_session(app) -> int:
    with app.app_context():
        session = get_session()
        organisation = get_or_create_organisation("望京骑手驿站", OrganisationKind.PLATFORM)
        create_user(TRAINER, PASSWORD, "Li Trainer", Role.TRAINER, organisation)
        cohort = Cohort(organisation_id=organisation.id, name="Morning shift")
        session.add(cohort)
        session.flush()
        riders = [
            create_user(phone, PASSWORD, name, Role.LEARNER)
            for phone, name in zip(RIDERS, ("Zhang Rider", "Wang Rider"), strict=True)
        ]
        now = utcnow()
        training = TrainingSession(
            organisation_id=organisation.id,
            title="Red lights, live",
            place="Wangjing Street 10",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(minutes=85),
            capacity=10,
            course_key="legal-safety",
            languages=["zh_CN", "en"],
        )
        session.add(training)
        session.flush()
        for rider in riders:
            session.add(CohortMember(cohort_id=cohort.id, profile_id=rider.id))
            session.add(
                Booking(session_id=training.id, profile_id=rider.id, status=BookingStatus.BOOKED)
            )
        session.commit()
        return training.id


def count_of(screen, option: str) -> str:
    return screen.locator(f"#live-options li[data-option='{option}'] .live-count").inner_text()


def wait_for_counts(screen, expected: dict[str, int]) -> None:
    condition = " && ".join(
        f"(document.querySelector(\"#live-options li[data-option='{option}'] .live-count\")"
        f" || {{}}).textContent === '{count}'"
        for option, count in expected.items()
    )
    screen.wait_for_function(f"() => {condition}")


def wait_for_step(page, heading: str) -> None:
    page.wait_for_function(
        "(text) => document.getElementById('live-heading').textContent === text", arg=heading
    )


def answer(phone, option_text: str) -> None:
    phone.locator("#live-form label.choice", has_text=option_text).click()
    phone.locator("#live-form button.primary").click()
    phone.get_by_text("Your answer is in. Wait for the trainer.").wait_for()


def move(screen, label: str) -> None:
    screen.get_by_role("button", name=label).click()
    screen.wait_for_load_state("load")


def test_a_live_case_on_the_big_screen_with_two_riders_phones(live_server, new_page):
    base = live_server.url
    session_id = make_session(live_server.app)
    screen = new_page(viewport=SCREEN)
    log_in(screen, base, TRAINER)
    screen.goto(f"{base}/sessions/manage/{session_id}/check-in")
    link = screen.locator("#check-in-qr").get_attribute("data-check-in-url")
    assert link and f"/sessions/{session_id}/check-in?code=" in link

    phones = []
    for phone_number in RIDERS:
        phone = new_page(viewport=PHONE)
        log_in(phone, base, phone_number)
        phone.goto(link)
        phone.click("main form button.primary")
        phone.wait_for_url(f"{base}/sessions/mine")
        phones.append(phone)
    first, second = phones

    screen.goto(f"{base}/sessions/manage/{session_id}/live")
    assert axe_violations(screen) == []
    screen.select_option("#lesson_key", "ls-red-light")
    screen.get_by_role("button", name="Start the live case").click()
    wait_for_step(screen, "The case")
    assert axe_violations(screen) == []

    for phone in phones:
        phone.goto(f"{base}/sessions/{session_id}/live")
        wait_for_step(phone, "The case")
    assert axe_violations(first) == []

    move(screen, "Next step")
    for phone in phones:
        # Pushed by the stream: the phones were not reloaded.
        wait_for_step(phone, "Your decision")
        phone.locator("#live-form").wait_for()
    assert axe_violations(first) == []
    assert horizontal_overflow(first) <= 0
    answer(first, "Wait behind the stop line")
    answer(second, "Nothing is coming")
    wait_for_counts(screen, {"a": 1, "b": 1, "c": 0})
    assert screen.locator("#live-answers").inner_text().endswith("2")

    move(screen, "Reveal the outcome")
    first.locator("#live-options li.best").wait_for()
    assert "Wait behind the stop line" in first.locator("#live-options li.best").inner_text()
    assert axe_violations(screen) == []

    # The second rider's phone loses its connection while the trainer moves on.
    second.context.set_offline(True)
    move(screen, "Next step")
    move(screen, "Next step")
    move(screen, "Next step")
    wait_for_step(first, "Quick check")
    second.context.set_offline(False)
    wait_for_step(second, "Quick check")
    second.locator("#live-form").wait_for()

    answer(first, "15 km/h")
    answer(second, "25 km/h")
    wait_for_counts(screen, {"a": 1, "b": 1, "c": 0})
    move(screen, "Next step")
    for phone in phones:
        wait_for_step(phone, "Quick check")
        phone.locator("#live-form label.choice", has_text="False").wait_for()
    answer(first, "False")
    answer(second, "False")
    wait_for_counts(screen, {"true": 0, "false": 2})
    move(screen, "End the live case")
    screen.get_by_text("The live case has ended. The answers are saved.").first.wait_for()
    for phone in phones:
        phone.get_by_text("The live case has ended. The answers are saved.").wait_for()

    for phone in phones:
        phone.goto(f"{base}/sessions/mine")
        row = phone.get_by_role("row", name=re.compile("Red lights, live"))
        text = row.inner_text()
        assert "Checked in at" in text
        # Checked in about 5 minutes into a 90-minute session: credited from the scan on.
        assert "1.4 h" in text
        assert axe_violations(phone) == []
        assert horizontal_overflow(phone) <= 0


def test_a_phone_without_event_source_follows_the_case_by_polling(live_server, new_page):
    base = live_server.url
    session_id = make_session(live_server.app)
    screen = new_page(viewport=SCREEN)
    log_in(screen, base, TRAINER)
    screen.goto(f"{base}/sessions/manage/{session_id}/check-in")
    link = screen.locator("#check-in-qr").get_attribute("data-check-in-url")
    phone = new_page(viewport=PHONE)
    # An old browser: no EventSource, so live.js polls the JSON state.
    phone.context.add_init_script("delete window.EventSource;")
    log_in(phone, base, RIDERS[0])
    phone.goto(link)
    phone.click("main form button.primary")
    phone.wait_for_url(f"{base}/sessions/mine")
    # The phone opens the page before the trainer starts: it waits, then follows.
    phone.goto(f"{base}/sessions/{session_id}/live")
    wait_for_step(phone, "The trainer has not started the live case yet.")
    assert phone.evaluate("() => typeof window.EventSource") == "undefined"
    screen.goto(f"{base}/sessions/manage/{session_id}/live")
    screen.select_option("#lesson_key", "ls-red-light")
    screen.get_by_role("button", name="Start the live case").click()
    wait_for_step(phone, "The case")
    move(screen, "Next step")
    wait_for_step(phone, "Your decision")
    answer(phone, "Wait behind the stop line")
    wait_for_counts(screen, {"a": 0, "b": 1, "c": 0})

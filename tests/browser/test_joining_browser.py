"""Joining a station's cohort in a real browser: the trainer prints the join QR,
a new rider opens its link on a 360 px phone, signs up, reads the consent screen,
joins and takes a lesson; the trainer's report shows the rider; the rider leaves
and the report shows nothing new of them."""

from __future__ import annotations

import pytest

from lms.accounts.models import OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.state import get_session
from tests.browser.support import PASSWORD, PHONE, horizontal_overflow, log_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
STATION = "朝阳骑手驿站"
LESSON = "/courses/legal-safety/lessons/ls-helmet"


def make_trainer(app, phone: str) -> None:
    with app.app_context():
        organisation = get_or_create_organisation(STATION, OrganisationKind.PLATFORM)
        create_user(phone, PASSWORD, "Li Trainer", Role.TRAINER, organisation)
        get_session().commit()


def test_a_rider_joins_by_the_stations_qr_code_and_leaves_again(live_server, new_page):
    base = live_server.url
    make_trainer(live_server.app, "13700000001")
    trainer = new_page(viewport=DESKTOP)
    log_in(trainer, base, "13700000001")

    # The trainer makes a cohort and an invitation, and prints its sheet.
    trainer.goto(f"{base}/staff/cohorts")
    trainer.get_by_label("Cohort name (station, employer or class)").fill("Morning shift")
    trainer.get_by_role("button", name="Create cohort").click()
    trainer.get_by_role("button", name="Make an invitation").click()
    trainer.wait_for_url("**/invites/*")
    assert trainer.locator(".invite-sheet .qr svg").count() == 1
    code = trainer.locator(".join-code").inner_text()
    assert len(code) == 6
    link = trainer.locator(".link-text a").get_attribute("href")
    trainer.emulate_media(media="print")
    assert not trainer.locator("header.bar").is_visible()
    assert trainer.locator(".invite-sheet .qr svg").is_visible()
    trainer.emulate_media(media="screen")

    # A new rider opens the link on a 360 px phone, signs up and sees the consent screen.
    rider = new_page(viewport=PHONE)
    rider.goto(link)
    rider.wait_for_url("**/login**")
    rider.locator("main").get_by_role("link", name="Sign up").click()
    rider.fill("#phone", "13900000777")
    rider.fill("#display_name", "Zhang Rider")
    rider.fill("#password", PASSWORD)
    rider.fill("#confirm", PASSWORD)
    rider.click("main form button.primary")
    rider.wait_for_url(link)
    rider.get_by_text(
        f"Li Trainer at {STATION} will see your progress, scores and certificates."
    ).wait_for()
    assert horizontal_overflow(rider) <= 0
    rider.get_by_role("button", name="I agree, join").click()
    rider.wait_for_url(f"{base}/my/cohorts")
    rider.get_by_text("Morning shift", exact=True).wait_for()

    # The rider takes a lesson; the trainer's report shows them.
    rider.goto(f"{base}{LESSON}?step=situation")
    rider.get_by_role("button", name="I have stopped").click()
    rider.get_by_role("button", name="Next").click()
    rider.wait_for_url(f"{base}{LESSON}?step=decision")
    trainer.goto(f"{base}/studio/reports/courses/legal-safety")
    trainer.get_by_role("cell", name="Zhang Rider").wait_for()
    assert trainer.locator("dd.started").inner_text() == "1"

    # The rider leaves; what they do next never reaches the report.
    rider.goto(f"{base}/my/cohorts")
    rider.get_by_role("button", name="Leave this cohort").click()
    rider.get_by_text("Nobody but you sees your progress.").wait_for()
    rider.goto(f"{base}{LESSON}?step=decision")
    rider.get_by_role("button", name="Wait until it has turned, then go").click()
    rider.get_by_text("You wait a few seconds").wait_for()
    trainer.goto(f"{base}/studio/reports/courses/legal-safety")
    assert trainer.get_by_role("cell", name="Zhang Rider").count() == 0
    assert trainer.locator("dd.enrolled").inner_text() == "0"

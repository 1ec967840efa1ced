"""The question editor on a 360 px phone: the rarely changed parts (settings,
each option's feedback, explanation and rule, scenario parts) are collapsed
``<details>`` sections, so one question's editor is a few screens long, not
dozens, and every field is still one tap away."""

from __future__ import annotations

import pytest

from lms.accounts.models import Role
from tests.browser.support import horizontal_overflow, log_in
from tests.conftest import People
from tests.studio.conftest import make_draft, valid_course

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def _editor_heights(live_server, new_page) -> dict[str, int]:
    person = People(live_server.app).make(Role.TRAINER, name="李老师", phone="13700000021")
    draft_id = make_draft(live_server.app, person, valid_course())
    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, person.phone)
    heights = {}
    for index, question in enumerate(valid_course()["questions"]):
        page.goto(f"{live_server.url}/studio/drafts/{draft_id}/questions/{index}")
        assert horizontal_overflow(page) == 0
        heights[question["type"]] = page.evaluate("document.documentElement.scrollHeight")
    return page, heights


def test_each_question_editor_is_at_most_a_few_screens_on_a_phone(live_server, new_page):
    # Before the sections folded away: single 4,332 px, multiple 5,161, ordering 3,810,
    # scenario 9,661 (measured with this test on the previous templates).
    page, heights = _editor_heights(live_server, new_page)
    print("editor heights at 360 px:", heights)
    assert max(heights.values()) <= 4 * PHONE["height"], heights


def test_a_folded_field_is_one_tap_away(live_server, new_page):
    page, _heights = _editor_heights(live_server, new_page)
    scenario = [q["type"] for q in valid_course()["questions"]].index("scenario")
    page.goto(page.url.rsplit("/", 1)[0] + f"/{scenario}")
    feedback = page.locator('[name="parts.1.options.1.feedback.en"]')
    assert not feedback.is_visible()
    for summary in page.locator("details.more", has=feedback).locator("> summary").all():
        summary.click()
    feedback.fill("Lights off: nobody sees you.")
    assert feedback.is_visible()

"""The trainer studio in a real browser: a trainer writes a two-lesson course with a
scenario question in Chinese and English, previews it at 360 px, publishes it; a
learner takes it; the trainer sees the learner in the report."""

from __future__ import annotations

import pytest

from lms.accounts.models import OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.state import get_session
from tests.browser.support import PASSWORD, log_in, sign_up

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
KEY = "night-riding"


def make_trainer(app, phone: str) -> None:
    with app.app_context():
        organisation = get_or_create_organisation(
            "夜骑培训中心", OrganisationKind.TRAINING_PROVIDER
        )
        create_user(phone, PASSWORD, "Li Trainer", Role.TRAINER, organisation)
        get_session().commit()


def fill(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f'[name="{name}"]').fill(value)


def bi(prefix: str, zh: str, en: str) -> dict[str, str]:
    return {f"{prefix}.zh_CN": zh, f"{prefix}.en": en}


def write_lesson(page, number: int) -> None:
    page.get_by_role("button", name="Add a lesson").click()
    page.wait_for_url("**/lessons/*")
    fill(
        page,
        {
            **bi("front.title", f"第{number}课：夜里送餐", f"Lesson {number}: delivering at night"),
            **bi("body.situation", f"晚上十点，第{number}单。", f"10 p.m., order number {number}."),
            **bi(
                "front.decision.prompt",
                "前方路灯坏了，你会怎么做？",
                "The street light is out. What do you do?",
            ),
            **bi("front.decision.options.0.text", "开灯慢行", "Lights on, ride slowly"),
            **bi("front.decision.options.0.consequence", "安全送达。", "You arrive safely."),
            **bi("front.decision.options.1.text", "关灯快骑", "Lights off, ride fast"),
            **bi(
                "front.decision.options.1.consequence", "差点撞到行人。", "You nearly hit someone."
            ),
            **bi(
                "body.outcome", "开灯的骑手安全送达。", "The rider with lights on arrived safely."
            ),
            **bi("body.rule", "- 夜间行驶要开灯", "- Use your lights at night"),
            **bi("front.rule_source", "《道路交通安全法》", "Road Traffic Safety Law"),
            **bi("front.check.0.prompt", "夜里骑车要开灯吗？", "Do you use lights at night?"),
            **bi("front.check.0.options.0.text", "要", "Yes"),
            **bi("front.check.0.options.1.text", "不用", "No"),
            **bi("front.check.0.explanation", "看得见，也被看见。", "See and be seen."),
        },
    )
    page.get_by_role("button", name="Save lesson").click()
    page.get_by_text("Saved.").wait_for()


def write_scenario(page) -> None:
    page.get_by_label("Type").select_option("scenario")
    page.get_by_role("button", name="Add", exact=True).click()
    # An empty editor: nothing is in the bank until the question is saved.
    page.wait_for_url("**/questions/new?type=scenario")
    values = {
        **bi("prompt", "读案例，回答两个小题。", "Read the case and answer both parts."),
        **bi(
            "case", "小李深夜送餐，路灯坏了。", "Xiao Li delivers late at night; the light is out."
        ),
        **bi("explanation", "夜里要让人看见你。", "At night, be seen."),
        **bi("rule", "夜间开灯（《道路交通安全法》）", "Lights at night (Road Traffic Safety Law)"),
    }
    for part in (0, 1):
        values.update(
            bi(f"parts.{part}.prompt", f"第{part + 1}问：开灯吗？", f"Part {part + 1}: lights?")
        )
        values.update(bi(f"parts.{part}.options.0.text", "开", "On"))
        values.update(bi(f"parts.{part}.options.1.text", "关", "Off"))
        values.update(bi(f"parts.{part}.explanation", "开灯。", "Lights on."))
    fill(page, values)
    page.get_by_role("button", name="Save question").click()
    page.wait_for_url("**/questions/0")
    page.get_by_text("Saved.").wait_for()


def test_trainer_authors_previews_publishes_and_sees_the_learner(live_server, new_page):
    base = live_server.url
    make_trainer(live_server.app, "13700000009")
    trainer = new_page(viewport=DESKTOP)
    log_in(trainer, base, "13700000009")

    trainer.goto(f"{base}/studio")
    fill(trainer, {"key": KEY, "title.zh_CN": "夜间骑行安全", "title.en": "Riding safely at night"})
    trainer.get_by_role("button", name="Create draft").click()
    trainer.wait_for_url("**/studio/drafts/*")
    draft_url = trainer.url

    fill(
        trainer,
        {
            **bi("summary", "两个夜间送餐的真实案例。", "Two real cases of delivering at night."),
            **bi("quiz.title", "夜间骑行测验", "Night riding quiz"),
            "quiz.draw": "1",
            "quiz.pass_mark": "50",
            "quiz.max_attempts": "0",
            "quiz.cooldown_minutes": "0",
        },
    )
    trainer.get_by_label("Food and online delivery riders").check()
    trainer.get_by_role("button", name="Save course").click()
    trainer.get_by_text("Saved.").wait_for()

    for number in (1, 2):
        trainer.goto(draft_url)
        write_lesson(trainer, number)

    trainer.goto(f"{draft_url}/questions")
    write_scenario(trainer)

    # Preview the first lesson as a learner on a 360 px phone.
    trainer.goto(f"{draft_url}/lessons/0/preview")
    frame = trainer.locator("iframe.phone")
    box = frame.bounding_box()
    assert box is not None and 350 <= box["width"] <= 380
    preview = trainer.frame_locator("iframe.phone")
    preview.get_by_text("10 p.m., order number 1.").wait_for()
    width = preview.locator("html").evaluate("node => node.clientWidth")
    assert width <= 360

    trainer.goto(draft_url)
    trainer.get_by_role("button", name="Publish", exact=True).click()
    trainer.get_by_text("Published as version 1.").wait_for()

    # The report counts learners who joined the organisation's cohorts.
    trainer.goto(f"{base}/staff/cohorts")
    trainer.get_by_label("Cohort name (station, employer or class)").fill("Night riders")
    trainer.get_by_role("button", name="Create cohort").click()
    trainer.get_by_role("button", name="Make an invitation").click()
    code = trainer.locator(".join-code").inner_text()

    learner = new_page()
    sign_up(learner, base, "13900000077", name="Zhang Rider")
    learner.goto(f"{base}/join")
    learner.get_by_label("Join code").fill(code.lower())
    learner.get_by_role("button", name="Continue").click()
    learner.get_by_role("button", name="I agree, join").click()
    learner.wait_for_url(f"{base}/my/cohorts")
    learner.goto(f"{base}/courses/{KEY}")
    lesson_url = f"{base}/courses/{KEY}/lessons/{KEY}-l1?step=situation"
    learner.goto(lesson_url)
    learner.get_by_role("button", name="I have stopped").click()
    learner.get_by_text("10 p.m., order number 1.").wait_for()
    learner.get_by_role("button", name="Next", exact=True).click()
    learner.get_by_role("button", name="Lights on, ride slowly").click()
    learner.get_by_text("You arrive safely.").wait_for()

    learner.goto(f"{base}/courses/{KEY}/quiz")
    learner.get_by_role("button", name="Start attempt 1").click()
    learner.get_by_text("Xiao Li delivers late at night").wait_for()
    for radio in learner.get_by_role("radio", name="On").all():
        radio.check()
    learner.get_by_role("button", name="Submit my answers").click()
    learner.wait_for_url("**/result")

    trainer.goto(f"{base}/studio/reports/courses/{KEY}")
    trainer.get_by_role("cell", name="Zhang Rider").wait_for()
    assert trainer.locator("dd.started").inner_text() == "1"
    assert trainer.locator("dd.pass-rate").inner_text() == "100.0%"

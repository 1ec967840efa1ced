"""A learner walks from no level to level 5 of a track through the real pages,
with the shipped content: every step of every required lesson, then the quiz
answered right, then the level shows on home and the track page in Chinese and
English, and its certificate on "My certificates".

The track: the online-delivery-worker's level 5 asks for the legal-safety and the
logistics quizzes passed with 80 %, every critical question right, and 10 lessons of
those two courses: the walk takes every legal-safety lesson and the first logistics
one (the food-seal lesson), then both quizzes."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import Profile, User
from lms.certificates.models import Certificate, CertificateKind
from lms.certificates.numbers import format_number
from lms.courses.models import LessonProgress
from lms.courses.services import course_by_key
from lms.levels.services import achievements_for
from lms.questions.tokens import AnswerTokens
from lms.state import get_session
from tests.answers import attempt_tokens, lesson_tokens, page_answer
from tests.browser.support import axe_violations, horizontal_overflow, sign_up
from tests.browser.test_quiz_browser import (
    AutosaveWatch,
    attempt_questions,
    correct_answer,
    fill_answer,
    load_attempt,
    start_quiz,
    submit_quiz,
)

pytestmark = pytest.mark.browser

TRACK = "online-delivery-worker"
COURSE = "legal-safety"
SECOND_COURSE = "logistics"
PHONE_NUMBER = "13900000301"
STEP_HEADINGS = {
    "situation": "The case",
    "decision": "Your decision",
    "outcome": "What happened",
    "rule": "The rule",
    "check": "Quick check",
}
L5 = {"en": "L5 Junior (modelled on level-5 knowledge)", "zh_CN": "L5 初级（对标五级知识要求）"}
TRACK_TITLE = {"en": "Online delivery worker", "zh_CN": "网约配送员"}


def profile_id_of(app: Any, phone: str) -> int:
    with app.app_context():
        user = get_session().scalar(select(User).where(User.phone == phone))
        return get_session().scalar(select(Profile.id).where(Profile.user_ref == str(user.id)))


def course_lessons(app: Any, course: str) -> list[dict[str, Any]]:
    """The published lessons of a course, in order: key, title, decision, checks."""
    with app.app_context():
        version = course_by_key(course).current_version
        return [
            {
                "key": lesson.key,
                "title": lesson.title,
                "decision": lesson.decision,
                "checks": lesson.checks,
            }
            for lesson in version.lessons
        ]


def completed_lessons(app: Any, profile_id: int) -> set[str]:
    with app.app_context():
        return set(
            get_session().scalars(
                select(LessonProgress.lesson_key).where(
                    LessonProgress.profile_id == profile_id,
                    LessonProgress.completed_at.is_not(None),
                )
            )
        )


def fill_check(
    page: Any, name: str, spec: dict[str, Any], answer: Any, tokens: AnswerTokens | None = None
) -> None:
    """Answer one quick-check question of the lesson player (inputs ``q-<id>``);
    ``answer`` is in the content's ids, ``tokens`` are the page's names for them."""
    if tokens is not None:
        spec, answer = tokens.question(spec), page_answer(tokens, spec, answer)
    kind = spec["type"]
    if kind in ("single", "true_false"):
        value = answer if kind == "single" else ("true" if answer else "false")
        page.locator(f'input[type="radio"][name="{name}"][value="{value}"]').check()
    elif kind == "multiple":
        for option in spec["options"]:
            box = page.locator(f'input[type="checkbox"][name="{name}"][value="{option["id"]}"]')
            box.set_checked(option["id"] in answer)
    elif kind == "ordering":
        for place, item_id in enumerate(answer, start=1):
            page.locator(f'select[name="{name}@{item_id}"]').select_option(str(place))
    elif kind == "scenario":
        for part in spec["parts"]:
            fill_check(page, f"{name}.{part['id']}", part, answer[part["id"]])
    else:
        raise ValueError(f"unknown question type {kind!r}")


def assert_step(page: Any, url: str, step: str) -> None:
    page.wait_for_url(f"{url}?step={step}")
    assert page.locator("#step-title").inner_text() == STEP_HEADINGS[step]


def walk_lesson(
    page: Any, base: str, lesson: dict[str, Any], app: Any, profile_id: int, course: str = COURSE
) -> None:
    """Every step of one lesson, one screen each, as a learner taps through it."""
    url = f"{base}/courses/{course}/lessons/{lesson['key']}"
    assert_step(page, url, "situation")
    assert page.get_by_role("heading", name=lesson["title"]["en"]).is_visible()
    page.get_by_role("button", name="Next").click()

    assert_step(page, url, "decision")
    best = next(o for o in lesson["decision"]["options"] if o.get("best"))
    page.get_by_role("button", name=best["text"]["en"]).click()
    page.get_by_text(best["consequence"]["en"]).wait_for()
    page.get_by_role("link", name="Next", exact=True).click()

    for step, following in (("outcome", "rule"), ("rule", "check")):
        assert_step(page, url, step)
        page.get_by_role("button", name="Next").click()
        assert_step(page, url, following)

    for question in lesson["checks"]:
        tokens = lesson_tokens(app, profile_id, course, lesson["key"])
        fill_check(page, f"q-{question['id']}", question, correct_answer(question), tokens)
    page.get_by_role("button", name="Check my answers").click()
    # The player saves the answers, then shows the same step with the review.
    page.locator(".answered").first.wait_for()
    assert page.locator(".answered.right").count() == len(lesson["checks"])
    assert page.locator(".answered.wrong").count() == 0
    page.get_by_text("✓ Lesson done").wait_for()


def switch_language(page: Any, code: str, name: str) -> None:
    """Use the language form in the top bar; it returns to the same page."""
    url = page.url
    page.locator("header form.lang").get_by_role("button", name=name).click()
    page.wait_for_url(url)
    page.wait_for_function(
        "lang => document.documentElement.lang === lang",
        arg="zh-CN" if code == "zh_CN" else code,
    )


def assert_level_five_shown(page: Any, base: str, language: str) -> None:
    """Home's level panel and the track page say level 5 is reached."""
    page.goto(f"{base}/")
    panel = page.locator("section.level-panel")
    assert L5[language] in panel.inner_text()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []

    page.goto(f"{base}/levels/{TRACK}")
    assert page.locator("h1").inner_text() == TRACK_TITLE[language]
    assert page.locator("section[aria-labelledby=current] strong").inner_text() == L5[language]
    reached = page.locator("section[aria-labelledby=reached] li")
    assert reached.count() == 1
    assert reached.first.inner_text().startswith(L5[language])
    # The next level is now the one to work on.
    assert "L4" in page.locator("#next").inner_text()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []


def pass_quiz(page: Any, base: str, app: Any, course: str) -> set[str]:
    """Start the course's quiz, answer every question right, submit; the question types."""
    attempt_id = start_quiz(page, base, course)
    questions = attempt_questions(app, attempt_id)
    tokens = attempt_tokens(app, attempt_id)
    for question in questions:
        fill_answer(
            page,
            f"q{question['position']}",
            question["spec"],
            correct_answer(question["spec"]),
            tokens,
        )
    for status in page.locator("fieldset.question .save-status").all():
        expect(status).to_have_text("Saved")
    submit_quiz(page)
    page.wait_for_url(f"{base}/attempts/{attempt_id}/result")
    assert load_attempt(app, attempt_id)["passed"] is True
    return {question["spec"]["type"] for question in questions}


def test_a_learner_walks_from_no_level_to_level_5(live_server, new_page):
    base = live_server.url
    app = live_server.app
    page = new_page()
    sign_up(page, base, PHONE_NUMBER)
    profile_id = profile_id_of(app, PHONE_NUMBER)

    page.goto(f"{base}/levels/{TRACK}")
    assert page.get_by_text("No level yet.").is_visible()
    assert page.locator("section[aria-labelledby=reached]").get_by_text("None yet.").is_visible()

    # Every lesson of the course, every step, starting with "I have stopped".
    lessons = course_lessons(app, COURSE)
    assert len(lessons) == 9
    first = f"{base}/courses/{COURSE}/lessons/{lessons[0]['key']}"
    page.goto(f"{first}?step=situation")
    assert page.get_by_role("heading", name="Only learn when you have stopped").is_visible()
    page.get_by_role("button", name="I have stopped").click()
    for index, lesson in enumerate(lessons):
        walk_lesson(page, base, lesson, app, profile_id)
        if index + 1 < len(lessons):
            following = lessons[index + 1]["title"]["en"]
            page.get_by_role("link", name=f"Next lesson: {following}").click()
    food_seal = course_lessons(app, SECOND_COURSE)[0]
    page.goto(f"{base}/courses/{SECOND_COURSE}/lessons/{food_seal['key']}?step=situation")
    walk_lesson(page, base, food_seal, app, profile_id, SECOND_COURSE)
    done = {lesson["key"] for lesson in lessons} | {food_seal["key"]}
    assert completed_lessons(app, profile_id) == done
    with app.app_context():
        assert achievements_for(profile_id) == []  # the quizzes are still missing
    pass_quiz(page, base, app, SECOND_COURSE)
    with app.app_context():
        assert achievements_for(profile_id) == []  # the legal-safety quiz is still missing

    # The quiz: every question answered right, saved as the learner goes.
    autosaves = AutosaveWatch(page)
    attempt_id = start_quiz(page, base, COURSE)
    questions = attempt_questions(app, attempt_id)
    types = set()
    for question in questions:
        spec = question["spec"]
        types.add(spec["type"])
        fill_answer(
            page,
            f"q{question['position']}",
            spec,
            correct_answer(spec),
            attempt_tokens(app, attempt_id),
        )
    # quiz.js says "Saved" under each question once the server has it.
    for status in page.locator("fieldset.question .save-status").all():
        expect(status).to_have_text("Saved")
    autosaves.settle()
    assert autosaves.sent >= len(questions)
    assert set(autosaves.statuses) == {200}
    saved = attempt_questions(app, attempt_id)
    assert [q["answer"] for q in saved] == [correct_answer(q["spec"]) for q in questions]
    # The critical ordering question is drawn every time; the rest vary.
    assert {"single", "ordering"} <= types

    submit_quiz(page)
    page.wait_for_url(f"{base}/attempts/{attempt_id}/result")
    graded = load_attempt(app, attempt_id)
    assert graded == {
        "status": "graded",
        "score_percent": 100.0,
        "passed": True,
        "critical_failed": [],
    }
    assert page.locator("p.score").inner_text() == "Your score: 100%"
    assert page.get_by_text("You passed.").is_visible()

    with app.app_context():
        reached = {(a.track_key, a.level) for a in achievements_for(profile_id)}
        earned = {
            c.kind: c.number
            for c in get_session().scalars(
                select(Certificate).where(Certificate.profile_id == profile_id)
            )
        }
    assert (TRACK, 5) in reached

    # Success that shows: the certificates just earned, by number, with their
    # downloads; the level now held and what the next one needs.
    panel = page.locator("section.earned")
    for kind in (CertificateKind.TRAINING, CertificateKind.LEVEL):
        item = panel.locator("li", has_text=format_number(earned[kind]))
        assert item.get_by_role("link", name="Download PDF").is_visible()
    download = panel.get_by_role("link", name="Download PDF").first
    assert (
        page.request.get(base + download.get_attribute("href"))
        .headers["content-type"]
        .startswith("application/pdf")
    )
    level = page.locator("section.level-panel")
    assert f"Current level: {L5['en']}" in level.inner_text()
    assert "Next:" in level.inner_text()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []

    # Level 5 on home and on the track page, in English, then in Chinese
    # (switched with the top bar's form), then back in English.
    assert_level_five_shown(page, base, "en")
    switch_language(page, "zh_CN", "中文")
    assert page.locator("section[aria-labelledby=current] strong").inner_text() == L5["zh_CN"]
    assert_level_five_shown(page, base, "zh_CN")
    switch_language(page, "en", "English")
    assert page.locator("section[aria-labelledby=current] strong").inner_text() == L5["en"]
    assert_level_five_shown(page, base, "en")

    # The level's certificate (and the course's) on "My certificates".
    page.get_by_role("link", name="My certificates").click()
    page.wait_for_url(f"{base}/certificates")
    with app.app_context():
        certificates = get_session().scalars(
            select(Certificate).where(Certificate.profile_id == profile_id)
        )
        level_number = next(
            c.number
            for c in certificates
            if c.kind is CertificateKind.LEVEL and c.track_key == TRACK and c.level == 5
        )
    level_card = page.locator("li.card", has_text=format_number(level_number))
    assert level_card.count() == 1
    assert L5["en"] in level_card.inner_text()
    assert "Training level statement" in level_card.inner_text()
    assert level_card.get_by_role("link", name="Download PDF").is_visible()
    course_card = page.locator("li.card", has_text="Legal safety for riders and drivers")
    assert course_card.count() == 1
    assert "Certificate of training" in course_card.inner_text()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []

"""The learner's phone in a real browser: resume on another device, offline
answers synced exactly once, phone-width pages, accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import Profile, User
from lms.courses.models import LessonProgress, StepEvent, StepEventKind
from lms.state import get_session
from tests.answers import correct_answer, lesson_tokens
from tests.browser.support import axe_violations, horizontal_overflow, log_in, sign_up
from tests.browser.test_level_walk import course_lessons, fill_check

pytestmark = pytest.mark.browser

LESSON = "/courses/legal-safety/lessons/ls-helmet"


def profile_id_of(app, phone):
    with app.app_context():
        user = get_session().scalar(select(User).where(User.phone == phone))
        return get_session().scalar(select(Profile.id).where(Profile.user_ref == str(user.id)))


def step_events(app, profile_id, kind):
    with app.app_context():
        rows = (
            get_session()
            .scalars(
                select(StepEvent).where(StepEvent.profile_id == profile_id, StepEvent.kind == kind)
            )
            .all()
        )
        return [(row.step, row.question_key, row.answer, row.client_key) for row in rows]


def start_lesson(page, base):
    page.goto(f"{base}{LESSON}?step=situation")
    page.get_by_role("button", name="I have stopped").click()
    page.wait_for_url(f"{base}{LESSON}?step=situation")


def test_a_lesson_resumes_at_the_same_step_on_a_new_device(live_server, new_page):
    base = live_server.url
    phone = new_page()
    sign_up(phone, base, "13900000001")
    start_lesson(phone, base)
    phone.get_by_role("button", name="Next").click()
    phone.wait_for_url(f"{base}{LESSON}?step=decision")
    phone.get_by_role("button", name="Wait until it has turned, then go").click()
    phone.get_by_text("You wait a few seconds").wait_for()
    phone.get_by_role("link", name="Next").click()
    phone.wait_for_url(f"{base}{LESSON}?step=outcome")
    phone.context.close()

    other = new_page()
    log_in(other, base, "13900000001")
    other.get_by_role("link", name="Continue").click()
    other.get_by_role("button", name="I have stopped").click()
    other.wait_for_url(f"{base}{LESSON}?step=outcome")
    assert other.get_by_role("heading", name="What happened").is_visible()


def wait_for_decision(app, profile_id, page):
    """Until the server holds the learner's decision (at most 40 s)."""
    for _ in range(400):
        if step_events(app, profile_id, StepEventKind.DECISION):
            return
        page.wait_for_timeout(100)


def test_a_server_restart_between_steps_loses_nothing_saved(live_server, new_page):
    base = live_server.url
    page = new_page()
    sign_up(page, base, "13900000002")
    start_lesson(page, base)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=decision")
    page.get_by_role("button", name="Wait until it has turned, then go").click()
    page.get_by_text("Everything is saved.").wait_for()
    # The page's load may have said "saved" before the decision was sent.
    wait_for_decision(live_server.app, profile_id_of(live_server.app, "13900000002"), page)
    live_server.restart()
    page.goto(f"{base}{LESSON}")
    page.wait_for_url(f"{base}{LESSON}?step=outcome")
    page.goto(f"{base}{LESSON}?step=decision")
    assert page.get_by_text("You chose").is_visible()


def test_answers_given_offline_reach_the_server_exactly_once(live_server, new_page):
    base = live_server.url
    page = new_page()
    sign_up(page, base, "13900000003")
    start_lesson(page, base)
    # Let the service worker take over and keep this lesson's steps.
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function(
        "() => caches.open('lms-pages').then(c => c.keys()).then(k => k.length >= 10)"
    )
    page.context.set_offline(True)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=decision")
    page.get_by_role("button", name="Wait until it has turned, then go").click()
    page.get_by_text("You wait a few seconds").wait_for()
    assert page.get_by_text("You are offline.").is_visible()
    page.get_by_role("link", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=outcome")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=rule")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=check")
    page.get_by_label("True").check()
    page.get_by_label("Behind the bus, where its mirrors can see you").check()
    page.get_by_role("button", name="Check my answers").click()
    page.get_by_text("Your answers are saved on this phone.").wait_for()
    profile_id = profile_id_of(live_server.app, "13900000003")
    # (Whether the decision reached the server while "offline" depends on
    # Chromium's emulation covering service-worker fetches, which it does not
    # always; what matters is below: after reconnecting, each answer is stored
    # exactly once.)

    page.context.set_offline(False)
    page.get_by_text("Everything is saved.").wait_for()
    # Another page load flushes again: nothing may be doubled.
    page.goto(f"{base}{LESSON}?step=check")
    page.get_by_text("Everything is saved.").wait_for()
    decisions = step_events(live_server.app, profile_id, StepEventKind.DECISION)
    answers = step_events(live_server.app, profile_id, StepEventKind.ANSWER)
    assert [(step, answer) for step, _q, answer, _k in decisions] == [("decision", {"value": "c"})]
    assert sorted(question for _s, question, _a, _k in answers) == ["ls-helmet-c1", "ls-helmet-c2"]
    assert (
        step_events(live_server.app, profile_id, StepEventKind.DONE)
        and len(step_events(live_server.app, profile_id, StepEventKind.DONE)) == 3
    )
    with live_server.app.app_context():
        progress = get_session().scalar(
            select(LessonProgress).where(LessonProgress.profile_id == profile_id)
        )
        assert progress.completed_at is not None
    assert page.get_by_text("✓ Right").count() == 2


def test_a_lost_response_is_retried_without_a_double(live_server, new_page):
    base = live_server.url
    page = new_page()
    sign_up(page, base, "13900000004")
    start_lesson(page, base)
    dropped = []

    def drop_first_answer(route):
        response = route.fetch()  # the server saves it...
        if not dropped:
            dropped.append(response.status)
            route.abort()  # ...but the phone never hears back
        else:
            route.fulfill(response=response)

    page.route("**/api/sync", drop_first_answer)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=decision", timeout=40_000)
    # The decision page's own load resends the step whose answer was lost and can
    # say "saved" before the decision is sent: wait for the decision to arrive.
    page.get_by_role("button", name="Wait until it has turned, then go").click()
    page.get_by_text("Everything is saved.").wait_for(timeout=40_000)
    profile_id = profile_id_of(live_server.app, "13900000004")
    wait_for_decision(live_server.app, profile_id, page)
    expect(page.locator("#sync-status")).to_have_text("Everything is saved.", timeout=40_000)
    assert dropped == [200]
    assert len(step_events(live_server.app, profile_id, StepEventKind.DONE)) == 1
    assert len(step_events(live_server.app, profile_id, StepEventKind.DECISION)) == 1


def test_pages_fit_a_360_px_phone_and_pass_axe(live_server, new_page):
    base = live_server.url
    page = new_page()
    page.goto(f"{base}/login")
    assert horizontal_overflow(page) == 0
    sign_up(page, base, "13900000005")
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    page.goto(f"{base}/courses/legal-safety")
    assert horizontal_overflow(page) == 0
    start_lesson(page, base)
    for step in ("situation", "decision", "outcome", "rule", "check"):
        page.goto(f"{base}{LESSON}?step={step}")
        assert horizontal_overflow(page) == 0, step
        assert axe_violations(page) == [], step
    page.get_by_label("False").check()
    page.get_by_label("Behind the bus, where its mirrors can see you").check()
    page.get_by_role("button", name="Check my answers").click()
    page.get_by_text("Not right").wait_for()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    for url in ("/", "/courses/legal-safety", "/review"):
        page.goto(f"{base}{url}")
        assert horizontal_overflow(page) == 0, url
        assert axe_violations(page) == [], url
    page.goto(f"{base}/")
    assert page.get_by_role("heading", name="Continue where you left off").is_visible()


def test_the_lesson_works_without_javascript(live_server, new_page):
    base = live_server.url
    page = new_page(java_script_enabled=False)
    sign_up(page, base, "13900000006")
    start_lesson(page, base)
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{base}{LESSON}?step=decision")
    page.get_by_role("button", name="Wait until it has turned, then go").click()
    page.wait_for_url(f"{base}{LESSON}?step=decision")
    assert page.get_by_text("You wait a few seconds").is_visible()
    page.goto(f"{base}{LESSON}?step=check")
    page.get_by_label("True").check()
    page.get_by_label("Behind the bus, where its mirrors can see you").check()
    page.get_by_role("button", name="Check my answers").click()
    page.wait_for_url(f"{base}{LESSON}?step=check")
    assert page.get_by_text("✓ Right").count() == 2


def lesson_events(app, profile_id, lesson_key):
    with app.app_context():
        rows = get_session().scalars(
            select(StepEvent).where(
                StepEvent.profile_id == profile_id, StepEvent.lesson_key == lesson_key
            )
        )
        return [(row.kind, row.step, row.question_key, row.answer) for row in rows]


def walk_offline(page, base, lesson, app, profile_id):
    """Every step of ``lesson`` (as published) with no network: Next, the best
    choice, then the check answered right."""
    url = f"{base}/courses/legal-safety/lessons/{lesson['key']}"
    page.wait_for_url(f"{url}?step=situation")
    # The page is the kept copy, with its styles and script (the hashed URLs were kept).
    assert page.evaluate("() => getComputedStyle(document.body).margin") == "0px"
    assert page.locator("#sync-status").get_by_text("You are offline.").is_visible()
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{url}?step=decision")
    page.get_by_role("button", name=best_option(lesson)["text"]["en"]).click()
    page.locator("#decision-result").wait_for()
    page.get_by_role("link", name="Next").click()
    for step in ("outcome", "rule"):
        page.wait_for_url(f"{url}?step={step}")
        page.get_by_role("button", name="Next").click()
    page.wait_for_url(f"{url}?step=check")
    tokens = lesson_tokens(app, profile_id, "legal-safety", lesson["key"])
    for question in lesson["checks"]:
        fill_check(page, f"q-{question['id']}", question, correct_answer(question), tokens)
    page.get_by_role("button", name="Check my answers").click()
    page.get_by_text("Your answers are saved on this phone.").wait_for()


def best_option(lesson):
    return next(o for o in lesson["decision"]["options"] if o.get("best"))


def test_after_one_page_online_a_whole_lesson_is_answered_offline_and_synced_once(
    live_server, new_page
):
    base = live_server.url
    setup = new_page()
    sign_up(setup, base, "13900000007")
    setup.context.close()
    profile_id = profile_id_of(live_server.app, "13900000007")

    # A fresh phone: nothing kept, no service worker yet. One lesson page online...
    page = new_page()
    log_in(page, base, "13900000007")
    page.goto(f"{base}/courses/legal-safety/lessons/ls-red-light")
    page.get_by_role("button", name="I have stopped").click()
    page.wait_for_url(f"{base}/courses/legal-safety/lessons/ls-red-light?step=situation")
    # ...and the service worker keeps its shell and the next lesson, without a reload.
    page.wait_for_function(
        """() => caches.open('lms-pages').then(c => c.match(
               location.origin + '/courses/legal-safety/lessons/ls-helmet?step=check'))
           .then(hit => !!hit)"""
    )
    page.context.set_offline(True)
    page.reload()
    first, second = course_lessons(live_server.app, "legal-safety")[:2]
    assert (first["key"], second["key"]) == ("ls-red-light", "ls-helmet")
    walk_offline(page, base, first, live_server.app, profile_id)
    page.get_by_role("link", name=f"Next lesson: {second['title']['en']}").click()
    walk_offline(page, base, second, live_server.app, profile_id)
    # The answers wait on the phone, in IndexedDB, not in localStorage.
    assert page.evaluate("() => localStorage.length") == 0
    queued = page.evaluate(
        "() => lmsQueue.waiting(document.getElementById('lms-player').dataset.profile)"
        ".then(events => events.length)"
    )
    assert queued >= 12
    assert lesson_events(live_server.app, profile_id, "ls-helmet") == []

    # Back online: the open page sends the queue and shows the explanations by itself.
    page.context.set_offline(False)
    expect(page.get_by_text("✓ Right")).to_have_count(len(second["checks"]))
    page.get_by_text("Everything is saved.").wait_for()
    page.goto(f"{base}/courses/legal-safety/lessons/ls-helmet?step=check")
    page.get_by_text("Everything is saved.").wait_for()
    for lesson, choice, questions in (
        (spec["key"], {"value": best_option(spec)["id"]}, sorted(q["id"] for q in spec["checks"]))
        for spec in (first, second)
    ):
        events = lesson_events(live_server.app, profile_id, lesson)
        decisions = [answer for kind, _s, _q, answer in events if kind is StepEventKind.DECISION]
        answers = [question for kind, _s, question, _a in events if kind is StepEventKind.ANSWER]
        done = [step for kind, step, _q, _a in events if kind is StepEventKind.DONE]
        assert decisions == [choice], lesson
        assert sorted(answers) == questions, lesson
        assert sorted(done) == ["outcome", "rule", "situation"], lesson
    with live_server.app.app_context():
        finished = get_session().scalars(
            select(LessonProgress.lesson_key).where(
                LessonProgress.profile_id == profile_id, LessonProgress.completed_at.is_not(None)
            )
        )
        assert sorted(finished) == ["ls-helmet", "ls-red-light"]


def header_height(page):
    return page.evaluate(
        "() => document.querySelector('header.bar').getBoundingClientRect().height"
    )


def test_the_header_is_one_row_at_360_px_in_both_languages_with_verification_in_reach(
    live_server, new_page
):
    base = live_server.url
    page = new_page()
    heights = {"visitor": header_height(page) if page.goto(f"{base}/") else None}
    sign_up(page, base, "13900000008")
    heights["en"] = header_height(page)
    page.locator("header .lang button").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    heights["zh_CN"] = header_height(page)
    print(f"header height at 360 px: {heights}")
    assert all(height <= 56 for height in heights.values()), heights
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    # The links scroll sideways inside the bar; verification is one of them.
    page.locator("header.bar").get_by_role("link", name="核验证书").click()
    page.wait_for_url(f"{base}/verify")


#: A stand-in for the phone's speech synthesis: the given voices, and a record of what was spoken.
FAKE_SPEECH = """
(() => {
  const voices = %s;
  window.spoken = [];
  const speech = {
    speaking: false,
    getVoices: () => voices,
    speak: (u) => { window.spoken.push({ text: u.text, lang: u.lang }); },
    cancel: () => {},
    addEventListener: () => {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: speech, configurable: true });
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ""; };
})();
"""


def test_listen_reads_the_step_aloud_only_when_tapped_and_only_with_a_voice(live_server, new_page):
    base = live_server.url
    page = new_page()
    page.context.add_init_script(
        FAKE_SPEECH % '[{"lang": "zh-CN", "name": "Tingting"}, {"lang": "en-US", "name": "Sam"}]'
    )
    sign_up(page, base, "13900000009")
    start_lesson(page, base)
    listen = page.get_by_role("button", name="Listen")
    expect(listen).to_be_visible()
    assert page.evaluate("() => window.spoken") == []  # never starts by itself
    assert axe_violations(page) == []
    listen.click()
    spoken = page.evaluate("() => window.spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "en-US"
    assert spoken[0]["text"].startswith("The case")
    assert page.locator(".prose").inner_text().strip()[:40] in spoken[0]["text"]
    assert "I have stopped" not in spoken[0]["text"]
    expect(listen).to_have_attribute("aria-pressed", "true")
    listen.click()  # a second tap stops it
    expect(listen).to_have_attribute("aria-pressed", "false")

    # In Chinese, the Chinese voice reads.
    page.locator("header .lang button").click()
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'")
    page.get_by_role("button", name="朗读").click()
    assert page.evaluate("() => window.spoken.at(-1).lang") == "zh-CN"

    # A phone with no voice for the language shows no button.
    bare = new_page()
    bare.context.add_init_script(FAKE_SPEECH % '[{"lang": "fr-FR", "name": "Amelie"}]')
    sign_up(bare, base, "13900000010")
    start_lesson(bare, base)
    assert bare.locator("#listen").count() == 1
    assert not bare.locator("#listen").is_visible()

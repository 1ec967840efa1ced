"""The course quiz in a real browser: quiz.js saves each answer as it changes
(no page load), a reload shows what was saved, submitting grades it, and the
pages pass axe-core and fit a 360 px phone without revealing the key.

The helpers at the top (reading an attempt's questions from the database and
filling the attempt form with an answer) are shared with test_level_walk.py."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.assessments.models import Attempt, AttemptQuestion
from lms.questions.tokens import AnswerTokens
from lms.state import get_session
from tests.answers import attempt_tokens, page_answer
from tests.browser.support import axe_violations, horizontal_overflow, sign_up

pytestmark = pytest.mark.browser

QUIZ = "/courses/legal-safety/quiz"
ATTEMPT_URL = re.compile(r"/attempts/(\d+)$")


# --------------------------------------------------------------- shared helpers


def attempt_questions(app: Any, attempt_id: int) -> list[dict[str, Any]]:
    """The attempt's questions as stored: position, spec, option order, answer."""
    with app.app_context():
        rows = get_session().scalars(
            select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt_id)
            .order_by(AttemptQuestion.position)
        )
        return [
            {
                "position": row.position,
                "key": row.question_key,
                "spec": row.question_version.spec,
                "order": row.option_order,
                "answer": row.answer,
                "answered_at": row.answered_at,
            }
            for row in rows
        ]


def load_attempt(app: Any, attempt_id: int) -> dict[str, Any]:
    with app.app_context():
        attempt = get_session().get(Attempt, attempt_id)
        return {
            "status": attempt.status.value,
            "score_percent": attempt.score_percent,
            "passed": attempt.passed,
            "critical_failed": list(attempt.critical_failed or []),
        }


def correct_answer(spec: dict[str, Any]) -> Any:
    """The full-marks answer of a question spec, in the shape grading stores."""
    kind = spec["type"]
    if kind == "single":
        return next(option["id"] for option in spec["options"] if option.get("correct"))
    if kind == "multiple":
        return sorted(option["id"] for option in spec["options"] if option.get("correct"))
    if kind == "true_false":
        return bool(spec["answer"])
    if kind == "ordering":
        return [item["id"] for item in spec["items"]]
    if kind == "scenario":
        return {part["id"]: correct_answer(part) for part in spec["parts"]}
    raise ValueError(f"unknown question type {kind!r}")


def show_question(page: Any, position: int) -> None:
    """On a phone the quiz shows one question a screen: step to ``position``
    with Previous and Next, as a learner would (no-op on the full list)."""
    if not page.locator("#quiz-pager").is_visible():
        return
    box = page.locator(f"#q{position}")
    while not box.is_visible():
        found = re.match(r"Question (\d+) of", page.locator("#quiz-where").inner_text())
        step = "-1" if found is None or int(found.group(1)) > position else "1"
        page.locator(f'#quiz-pager button[data-go="{step}"]').click()


def submit_quiz(page: Any) -> None:
    """Submit the attempt; on a phone through the review screen after the last question."""
    if page.locator("#quiz-pager").is_visible():
        show_question(page, page.locator("fieldset.question").count())
        page.get_by_role("button", name="Review my answers").click()
    page.get_by_role("button", name="Submit my answers").click()


def fill_answer(
    page: Any, name: str, spec: dict[str, Any], answer: Any, tokens: AnswerTokens | None = None
) -> None:
    """Set the attempt form's inputs named after ``name`` (``q3``, ``q3.p1``) to
    ``answer``, the way a learner would: tick radios and boxes, pick numbers.

    ``answer`` is in the content's ids; ``tokens`` are the page's names for them."""
    if tokens is not None:
        spec, answer = tokens.question(spec), page_answer(tokens, spec, answer)
    if re.fullmatch(r"q\d+", name):
        show_question(page, int(name[1:]))
    kind = spec["type"]
    if kind == "single":
        page.locator(f'input[type="radio"][name="{name}"][value="{answer}"]').check()
    elif kind == "multiple":
        for option in spec["options"]:
            box = page.locator(f'input[type="checkbox"][name="{name}"][value="{option["id"]}"]')
            box.set_checked(option["id"] in answer)
    elif kind == "true_false":
        value = "true" if answer else "false"
        page.locator(f'input[type="radio"][name="{name}"][value="{value}"]').check()
    elif kind == "ordering":
        for place, item_id in enumerate(answer, start=1):
            page.locator(f'select[name="{name}@{item_id}"]').select_option(str(place))
    elif kind == "scenario":
        for part in spec["parts"]:
            fill_answer(page, f"{name}.{part['id']}", part, answer[part["id"]])
    else:
        raise ValueError(f"unknown question type {kind!r}")


class AutosaveWatch:
    """Counts quiz.js's autosave requests so a test can wait until all have answered."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.sent = 0
        self.done = 0
        self.statuses: list[int] = []
        page.on("request", self._request)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    @staticmethod
    def _ours(request: Any) -> bool:
        return request.method == "POST" and "/answers/" in request.url

    def _request(self, request: Any) -> None:
        if self._ours(request):
            self.sent += 1

    def _finished(self, request: Any) -> None:
        if self._ours(request):
            self.done += 1
            response = request.response()
            self.statuses.append(response.status if response else 0)

    def _failed(self, request: Any) -> None:
        if self._ours(request):
            self.done += 1
            self.statuses.append(0)

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until every autosave sent so far has its response."""
        deadline = time.monotonic() + timeout
        while self.done < self.sent:
            assert time.monotonic() < deadline, f"{self.sent - self.done} autosaves still open"
            self.page.wait_for_timeout(50)


def start_quiz(page: Any, base: str, course: str = "legal-safety") -> int:
    """Open the quiz intro, start an attempt; returns the attempt id."""
    page.goto(f"{base}/courses/{course}/quiz")
    page.locator("main form button.primary").click()
    page.wait_for_url(ATTEMPT_URL)
    return int(ATTEMPT_URL.search(page.url).group(1))


def attribute_text(page: Any) -> str:
    """Every attribute name and value of the page, one per line (no visible text)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('*')).flatMap(el =>
               Array.from(el.attributes).map(a => el.tagName + ' ' + a.name + '=' + a.value)
           ).join('\\n')"""
    )


def texts_of(value: Any) -> list[str]:
    """Both languages of a bilingual text (nothing for None)."""
    return [text for text in (value or {}).values() if text]


def assert_no_key_on_page(page: Any, questions: list[dict[str, Any]]) -> None:
    """The attempt page must not tell which answer is right: no marker in any
    attribute, no review-only text (feedback, explanation, rule)."""
    attributes = attribute_text(page)
    assert not re.search(r"correct|best|data-key|data-answer\b", attributes, re.I), [
        line for line in attributes.splitlines() if re.search(r"correct|best", line, re.I)
    ]
    assert not page.locator(".key, .ok, .tag").count()
    html = page.content()
    for question in questions:
        specs = [question["spec"], *question["spec"].get("parts", [])]
        for spec in specs:
            hidden = texts_of(spec.get("explanation")) + texts_of(spec.get("rule"))
            for option in spec.get("options", []):
                hidden += texts_of(option.get("feedback"))
            for text in hidden:
                assert text not in html, (question["key"], text)


# ------------------------------------------------------------------------ test


def test_quiz_answers_autosave_survive_a_reload_and_are_graded(live_server, new_page):
    base = live_server.url
    app = live_server.app
    page = new_page()
    sign_up(page, base, "13900000101")

    # The quiz intro: rules of the quiz, then the start button.
    page.goto(f"{base}{QUIZ}")
    assert page.get_by_role("heading", name="How this quiz works").is_visible()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    page.get_by_role("button", name="Start attempt 1").click()
    page.wait_for_url(ATTEMPT_URL)
    attempt_id = int(ATTEMPT_URL.search(page.url).group(1))

    questions = attempt_questions(app, attempt_id)
    assert len(questions) == 10
    assert page.locator("fieldset.question").count() == 10
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []
    assert_no_key_on_page(page, questions)

    # Answer one single-choice question by its label; quiz.js saves it at once.
    target = next(q for q in questions if q["spec"]["type"] == "single")
    position = target["position"]
    right = correct_answer(target["spec"])
    label = next(o["text"]["en"] for o in target["spec"]["options"] if o["id"] == right)
    show_question(page, position)
    box = page.locator(f"#q{position}")
    status = box.locator(".save-status")
    assert status.inner_text().strip() == ""
    page.evaluate("() => { window.sameDocument = true; }")
    with page.expect_response(
        lambda r: (
            r.request.method == "POST"
            and r.url == f"{base}/attempts/{attempt_id}/answers/{position}"
        )
    ) as saved:
        box.get_by_label(label, exact=True).check()
    response = saved.value
    assert response.ok
    assert response.json()["saved"] is True
    expect(status).to_have_text("Saved")
    assert page.evaluate("() => window.sameDocument") is True  # no page load
    assert page.url == f"{base}/attempts/{attempt_id}"

    stored = {q["position"]: q for q in attempt_questions(app, attempt_id)}
    assert stored[position]["answer"] == right
    assert stored[position]["answered_at"] is not None
    assert all(q["answer"] is None for p, q in stored.items() if p != position)

    # A reload (or another visit) shows the saved answer ticked.
    page.reload()
    show_question(page, position)
    box = page.locator(f"#q{position}")
    assert box.get_by_label(label, exact=True).is_checked()
    assert box.locator("input[type=radio]:checked").count() == 1
    assert box.locator(".save-status").inner_text().strip() == "Saved"
    assert page.locator("input:checked").count() == 1
    assert_no_key_on_page(page, questions)
    assert horizontal_overflow(page) == 0

    # Submit: one right answer of ten is 10 %, below the pass mark.
    submit_quiz(page)
    page.wait_for_url(f"{base}/attempts/{attempt_id}/result")
    graded = load_attempt(app, attempt_id)
    assert graded["status"] == "graded"
    assert graded["score_percent"] == 10.0
    assert graded["passed"] is False
    assert page.locator("p.score").inner_text() == "Your score: 10%"
    assert page.get_by_text("You did not pass this time.").is_visible()
    assert page.get_by_text("The pass mark is 80%.").is_visible()
    assert page.get_by_role("heading", name="Safety questions you missed").is_visible()
    assert page.locator("ol.review > li").count() == 10
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []

    # The attempt is closed: its page now leads to the result.
    page.goto(f"{base}/attempts/{attempt_id}")
    page.wait_for_url(f"{base}/attempts/{attempt_id}/result")


def test_a_failed_autosave_says_so_in_words(live_server, new_page):
    base = live_server.url
    page = new_page()
    sign_up(page, base, "13900000102")
    attempt_id = start_quiz(page, base)
    questions = attempt_questions(live_server.app, attempt_id)
    target = next(q for q in questions if q["spec"]["type"] in ("single", "true_false"))
    position = target["position"]
    status = page.locator(f"#q{position} .save-status")

    # The connection drops: the learner reads that the answer is not saved.
    page.route(f"**/attempts/{attempt_id}/answers/{position}", lambda route: route.abort())
    fill_answer(
        page,
        f"q{position}",
        target["spec"],
        correct_answer(target["spec"]),
        attempt_tokens(live_server.app, attempt_id),
    )
    expect(status).to_have_text("This answer could not be saved.")
    assert attempt_questions(live_server.app, attempt_id)[position - 1]["answer"] is None

    # The server refuses (here: a tampered answer): its own words are shown.
    page.unroute(f"**/attempts/{attempt_id}/answers/{position}")
    page.route(
        f"**/attempts/{attempt_id}/answers/{position}",
        lambda route: route.continue_(post_data='{"answer": "no-such-option"}'),
    )
    page.locator(f"#q{position} input[type=radio]:not(:checked)").first.check()
    expect(status).to_have_text("This answer does not fit the question.")
    assert attempt_questions(live_server.app, attempt_id)[position - 1]["answer"] is None

    # Autosave does the saving: no manual Save button where it works.
    assert page.get_by_role("button", name="Save", exact=True).count() == 0


def test_without_javascript_the_whole_quiz_is_one_form_with_save_buttons(live_server, new_page):
    base = live_server.url
    page = new_page(java_script_enabled=False)
    sign_up(page, base, "13900000104")
    attempt_id = start_quiz(page, base)
    questions = attempt_questions(live_server.app, attempt_id)
    target = next(q for q in questions if q["spec"]["type"] in ("single", "true_false"))
    position = target["position"]
    # Every question on the page, each with its own Save button.
    assert page.locator("fieldset.question:visible").count() == len(questions)
    assert page.get_by_role("button", name="Save", exact=True).count() == len(questions)
    fill_answer(
        page,
        f"q{position}",
        target["spec"],
        correct_answer(target["spec"]),
        attempt_tokens(live_server.app, attempt_id),
    )
    page.locator(f"#q{position}").get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/attempts/{attempt_id}#q{position}")
    assert page.get_by_text("Your answers are saved.").is_visible()
    expect(page.locator(f"#q{position} .save-status")).to_have_text("Saved")
    stored = attempt_questions(live_server.app, attempt_id)[position - 1]
    assert stored["answer"] == correct_answer(target["spec"])
    submit_quiz(page)
    page.wait_for_url(f"{base}/attempts/{attempt_id}/result")
    assert page.locator("p.score").inner_text() == "Your score: 10%"


def test_a_phone_shows_one_question_a_screen_with_the_timer_in_sight(live_server, new_page):
    base = live_server.url
    app = live_server.app
    page = new_page()
    sign_up(page, base, "13900000105")
    attempt_id = start_quiz(page, base)
    questions = attempt_questions(app, attempt_id)
    total = len(questions)
    where = page.locator("#quiz-where")
    expect(where).to_have_text(f"Question 1 of {total}")
    assert page.locator("fieldset.question:visible").count() == 1
    assert not page.get_by_role("button", name="Submit my answers").is_visible()
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []

    # Answer the first, go on, come back: nothing is lost.
    first = questions[0]
    fill_answer(
        page, "q1", first["spec"], correct_answer(first["spec"]), attempt_tokens(app, attempt_id)
    )
    page.get_by_role("button", name="Next").click()
    expect(where).to_have_text(f"Question 2 of {total}")
    assert page.locator("#q2").is_visible() and not page.locator("#q1").is_visible()
    page.get_by_role("button", name="Previous").click()
    expect(where).to_have_text(f"Question 1 of {total}")
    expect(page.locator("#q1 .save-status")).to_have_text("Saved")
    assert attempt_questions(app, attempt_id)[0]["answer"] is not None

    # The timer and "question n of m" stay in sight when the learner scrolls.
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    # A short question may fit the screen, leaving nothing to scroll.
    page.wait_for_function(
        "() => window.scrollY > 0 || document.documentElement.scrollHeight <= innerHeight"
    )
    timer = page.locator(".timer").bounding_box()
    assert page.locator(".timer").is_visible()
    assert 0 <= timer["y"] and timer["y"] + timer["height"] <= 640
    assert 0 <= where.bounding_box()["y"] <= 640

    # The last question leads to the review screen: every question, then Submit.
    show_question(page, total)
    page.get_by_role("button", name="Review my answers").click()
    review = page.locator("#quiz-review li")
    expect(review).to_have_count(total)
    assert "answered" in review.nth(0).inner_text()
    assert "not answered yet" in review.nth(1).inner_text()
    assert axe_violations(page) == []
    review.nth(1).get_by_role("button").click()
    expect(where).to_have_text(f"Question 2 of {total}")
    show_question(page, total)
    page.get_by_role("button", name="Review my answers").click()
    page.get_by_role("button", name="Submit my answers").click()
    page.wait_for_url(f"{base}/attempts/{attempt_id}/result")
    assert load_attempt(app, attempt_id)["status"] == "graded"


def test_quick_taps_keep_one_save_in_flight_and_the_last_tap_wins(live_server, new_page):
    base = live_server.url
    page = new_page()
    sign_up(page, base, "13900000103")
    attempt_id = start_quiz(page, base)
    questions = attempt_questions(live_server.app, attempt_id)
    target = next(q for q in questions if q["spec"]["type"] == "single")
    position = target["position"]
    options = [option["id"] for option in target["spec"]["options"]][:3]
    held, sent = [], []

    def hold_the_first(route):
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            held.append(route)  # the phone's first save hangs on a slow network
        else:
            route.continue_()

    page.route(f"**/attempts/{attempt_id}/answers/{position}", hold_the_first)
    tokens = attempt_tokens(live_server.app, attempt_id)
    for option in options:
        fill_answer(page, f"q{position}", target["spec"], option, tokens)
    while not sent:
        page.wait_for_timeout(20)
    assert len(sent) == 1  # the later taps wait for the first answer
    held[0].continue_()
    expect(page.locator(f"#q{position} .save-status")).to_have_text("Saved")
    # One request for the first tap, then one for the latest; the middle tap is never sent.
    assert [body["seq"] for body in sent] == [1, 3]
    assert sent[1]["fields"][f"q{position}"][-1] == tokens.token(target["key"], options[-1])
    assert attempt_questions(live_server.app, attempt_id)[position - 1]["answer"] == options[-1]

    # After a reload the page carries on from the stored number.
    page.unroute(f"**/attempts/{attempt_id}/answers/{position}")
    page.reload()
    with page.expect_response(lambda r: f"/answers/{position}" in r.url) as again:
        fill_answer(page, f"q{position}", target["spec"], options[0], tokens)
    assert again.value.json() == {
        "saved": True,
        "position": position,
        "answered_at": again.value.json()["answered_at"],
        "seq": 4,
    }
    assert attempt_questions(live_server.app, attempt_id)[position - 1]["answer"] == options[0]

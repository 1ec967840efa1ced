"""Chinese pages use Chinese punctuation: no half-width colon or comma glued
to a Chinese character ("你选择了: ..." reads as a typo)."""

from __future__ import annotations

import re

from tests.conftest import post_form
from tests.courses.conftest import COURSE, LESSON_URL, RIGHT

CHINESE = {"Accept-Language": "zh-CN"}
#: A CJK character, then a half-width colon or comma (not a time like 18:05).
GLUED = re.compile(r"[\u3400-\u9fff][:,]")


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", "", html)
    return re.sub(r"\s+", "", text)


def glued(html: str) -> list[str]:
    text = visible_text(html)
    return [text[max(0, m.start() - 12) : m.end() + 12] for m in GLUED.finditer(text)]


def test_rendered_chinese_pages_use_full_width_colons_and_commas(content_app, learner):
    client = learner.client
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    # The check step answered, so its review (with "why" and "rule") shows too.
    learner.save("check", **RIGHT)
    post_form(client, f"/courses/{COURSE}/quiz/start", {})
    urls = [
        "/",
        f"/courses/{COURSE}",
        *(f"{LESSON_URL}?step={s}" for s in ("situation", "decision", "outcome", "rule", "check")),
        "/review",
        f"/courses/{COURSE}/quiz",
        "/certificates",
        "/levels",
        "/verify",
    ]
    quiz = client.get(f"/courses/{COURSE}/quiz")
    attempt = re.search(r'href="(/attempts/\d+)"', quiz.text).group(1)
    problems = {}
    page = client.get(attempt, headers=CHINESE)
    problems[attempt] = glued(page.text)
    post_form(client, f"{attempt}/submit", {})
    urls.append(f"{attempt}/result")
    for url in urls:
        page = client.get(url, headers=CHINESE, follow_redirects=True)
        assert page.status_code == 200, url
        if glued(page.text):
            problems[url] = glued(page.text)
    visitor = content_app.test_client()
    for url in ("/", "/login", "/register", "/verify", f"/courses/{COURSE}"):
        page = visitor.get(url, headers=CHINESE)
        if glued(page.text):
            problems[url] = glued(page.text)
    assert {url: found for url, found in problems.items() if found} == {}

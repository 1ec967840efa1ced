"""The learner's pages: home, course, the "I have stopped" screen, panels, weight."""

from __future__ import annotations

import gzip
import hashlib
import json
import re

from jinja2 import ChoiceLoader, DictLoader

from lms.courses.home import register_home_panel, unregister_home_panel
from tests.courses.conftest import COURSE, ENGLISH, LESSON_URL


def test_visitors_see_the_catalogue_and_sign_up(content_app):
    page = content_app.test_client().get("/", headers=ENGLISH)
    assert page.status_code == 200
    assert "Legal safety for riders and drivers" in page.text
    assert 'href="/register"' in page.text
    assert "Continue where you left off" not in page.text


def test_a_learning_visit_starts_with_i_have_stopped(content_app, learners):
    rider = learners()
    gate = rider.page(f"{LESSON_URL}?step=situation")
    assert "Only learn when you have stopped" in gate.text
    assert "I have stopped" in gate.text
    assert gate.headers.get("X-LMS-Cache") == "no"
    confirmed = rider.client.post(
        "/stopped",
        data={"next": f"{LESSON_URL}?step=situation", "csrf_token": rider.csrf()},
    )
    assert confirmed.headers["Location"].endswith(f"{LESSON_URL}?step=situation")
    lesson = rider.page(f"{LESSON_URL}?step=situation")
    assert "I have stopped" not in lesson.text
    assert "The case" in lesson.text
    # Nothing plays by itself.
    assert "autoplay" not in lesson.text and "<video" not in lesson.text


def test_i_have_stopped_never_redirects_off_site(learners):
    rider = learners()
    response = rider.client.post(
        "/stopped", data={"next": "https://evil.example/", "csrf_token": rider.csrf()}
    )
    assert response.headers["Location"] == "/"


def test_i_have_stopped_refuses_paths_a_browser_reads_as_another_site(learners):
    rider = learners()
    for target in ("//evil.example/", "/\\evil.example/"):
        response = rider.client.post("/stopped", data={"next": target, "csrf_token": rider.csrf()})
        assert response.headers["Location"] == "/"


def test_the_course_page_shows_lesson_states_and_the_quiz(learner):
    learner.save("situation")
    page = learner.page(f"/courses/{COURSE}")
    assert "in progress" in page.text
    assert f"/courses/{COURSE}/quiz" in page.text
    assert "0 of 9 lessons done" in page.text


def test_home_panels_from_other_domains_show_for_learners(content_app, learner):
    panel_template = "<section><h2>Next level for {{ name }}</h2></section>"
    content_app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"test/panel.html": panel_template}), content_app.jinja_env.loader]
    )

    def next_level(profile):
        return ("test/panel.html", {"name": profile.display_name})

    def nothing(profile):
        return None

    def broken(profile):
        raise RuntimeError("a bug in another domain")

    for panel in (next_level, nothing, broken):
        register_home_panel(panel)
    try:
        page = learner.page("/")
    finally:
        for panel in (next_level, nothing, broken):
            unregister_home_panel(panel)
    assert page.status_code == 200
    assert "Next level for 王小明" in page.text


def test_pages_set_the_language(learner):
    assert '<html lang="en">' in learner.page("/").text
    assert '<html lang="zh-CN">' in learner.client.get("/").text


def test_the_service_worker_covers_the_lms_root(content_app):
    response = content_app.test_client().get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "__CONFIG__" not in response.text
    assert content_app.test_client().get("/offline").status_code == 200


def _worker_config(client):
    source = client.get("/sw.js").text
    return json.loads(re.search(r"^var CONFIG = (.*);$", source, re.M).group(1))


def test_the_service_worker_keeps_the_exact_asset_urls_the_pages_link(learner):
    config = _worker_config(learner.client)
    lesson = learner.page(f"{LESSON_URL}?step=check").text
    linked = re.findall(r'(?:href|src)="(/lms-static/[^"]+)"', lesson)
    assert linked and all("?v=" in url for url in linked)
    # Every asset the lesson links, with its ?v= hash, is kept on install; so is the offline page.
    assert set(linked) <= set(config["precache"])
    assert "/offline" in config["precache"] and config["offline"] == "/offline"
    assert config["queue"] in linked and config["sync"] == "/api/sync"
    quiz_js = next(url for url in config["precache"] if "/quiz.js?v=" in url)
    assert learner.client.get(quiz_js).status_code == 200


def test_a_changed_asset_gives_the_service_worker_a_new_version(content_app, monkeypatch):
    from lms.courses import offline_views as views

    before = _worker_config(content_app.test_client())
    monkeypatch.setattr(
        views, "static_url", lambda name: f"/lms-static/{name}?v=changed", raising=True
    )
    after = _worker_config(content_app.test_client())
    assert before["version"] != after["version"]
    assert "/lms-static/lms/style.css?v=changed" in after["precache"]


def _cache_list(html):
    found = re.search(r'data-cache="([^"]*)"', html)
    return json.loads(found.group(1).replace("&#34;", '"').replace("&quot;", '"'))


def test_the_course_page_keeps_the_lesson_the_learner_opens_next(learner):
    kept = _cache_list(learner.page(f"/courses/{COURSE}").text)
    first = f"/courses/{COURSE}/lessons/ls-red-light"
    assert kept[:2] == ["/", first]
    assert kept[2:] == [
        f"{first}?step={step}" for step in ("situation", "decision", "outcome", "rule", "check")
    ]


def _referenced_assets(html):
    return re.findall(r'(?:href|src)="(/lms-static/[^"?]+\.(?:css|js))(?:\?v=\w+)?"', html)


def test_the_lesson_page_weighs_at_most_30_kb_with_no_third_party_requests(learner):
    page = learner.page(f"{LESSON_URL}?step=check")
    total = len(gzip.compress(page.data))
    assets = _referenced_assets(page.text)
    assert {"/lms-static/lms/style.css", "/lms-static/lms/player.js"} <= set(assets)
    for asset in assets:
        total += len(gzip.compress(learner.client.get(asset).data))
    assert total <= 30 * 1024
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
    assert "@font-face" not in learner.client.get("/lms-static/lms/style.css").text


def test_static_urls_change_with_the_files_they_name(learner):
    """nginx keeps static files for a year: a new release must use new URLs."""
    from lms.web import STATIC_DIR

    page = learner.page(f"{LESSON_URL}?step=check").text
    for name in ("lms/style.css", "lms/player.js"):
        content = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
        assert f"/lms-static/{name}?v={content}" in page


def test_the_app_has_a_favicon_and_a_manifest_for_the_home_screen(content_app):
    client = content_app.test_client()
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    page = client.get("/", headers=ENGLISH).text
    manifest_url = re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)
    manifest = client.get(manifest_url, headers=ENGLISH)
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["name"] == "Skills training" and body["start_url"] == "/"
    assert body["display"] == "standalone"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    assert client.get(manifest_url).get_json(force=True)["name"] == "技能培训"

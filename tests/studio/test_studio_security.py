"""Studio safety: stored XSS stripped, roles checked, organisations kept apart."""

from __future__ import annotations

import json
import re

import pytest

from lms.accounts.models import Cohort, Role
from lms.courses.models import Course, CourseVersion
from lms.state import get_session
from lms.studio.models import Draft
from tests.conftest import People, csrf_token_for, log_in
from tests.studio.conftest import ENGLISH, editor_form, forms_on, make_draft

PAYLOADS = (
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">tap</a>',
    "[tap](javascript:alert(1))",
)
NOT_IDS = ("id", "type", "topic", "difficulty", "minutes", "revision", "csrf_token", "tags")


def _poison(form, payload: str):
    """Append the payload to every text the trainer writes (ids and numbers stay valid)."""
    for name in list(form.keys()):
        last = name.rsplit(".", 1)[-1]
        if last in ("zh_CN", "en") and form[name]:
            form.setlist(name, [f"{form[name]} {payload}"])
        elif last not in NOT_IDS and name.startswith("body."):
            form.setlist(name, [f"{form[name]} {payload}"])
    return form


DANGERS = (
    re.compile(r"<script>alert", re.IGNORECASE),
    re.compile(r"<img\b", re.IGNORECASE),
    re.compile(r"<[a-z][^>]*\sonerror\s*=", re.IGNORECASE),
    re.compile(r"href\s*=\s*[\"']?\s*javascript:", re.IGNORECASE),
)


def _dangerous(text: str) -> list[str]:
    """Live markup an attacker wrote (escaped text shown as text is fine)."""
    return [danger.pattern for danger in DANGERS if danger.search(text)]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_in_every_authored_field_is_stripped_on_publish_and_never_on_a_page(
    content_app, trainer, course_data, payload
):
    draft_id = make_draft(content_app, trainer.person, course_data)
    editors = [f"/studio/drafts/{draft_id}/lessons/{n}" for n in range(2)]
    editors += [f"/studio/drafts/{draft_id}/questions/{n}" for n in range(4)]
    for url in editors:
        form = _poison(editor_form(trainer.get(url).text), payload)
        assert trainer.client.post(url, data=form, headers=ENGLISH).status_code == 303
    page = trainer.get(f"/studio/drafts/{draft_id}")
    course_form = _poison(next(f for f in forms_on(page.text) if "quiz.draw" in f), payload)
    assert (
        trainer.client.post(f"/studio/drafts/{draft_id}/course", data=course_form).status_code
        == 303
    )

    studio_pages = [f"/studio/drafts/{draft_id}", f"/studio/drafts/{draft_id}/questions", *editors]
    studio_pages += [
        f"/studio/drafts/{draft_id}/lessons/0/frame?step={step}"
        for step in ("situation", "decision", "outcome", "rule", "check")
    ]
    for url in studio_pages:
        assert _dangerous(trainer.get(url).text) == [], url

    page = trainer.get(f"/studio/drafts/{draft_id}")
    published = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.headers["Location"].endswith("/studio/courses/acme-safety"), trainer.get(
        published.headers["Location"]
    ).text
    with content_app.app_context():
        version = get_session().query(Course).filter_by(key="acme-safety").one().current_version
        stored = json.dumps(
            [
                version.title,
                version.summary,
                version.quiz_title,
                [
                    [
                        lesson.title,
                        lesson.decision,
                        lesson.rule_source,
                        lesson.situation_html,
                        lesson.outcome_html,
                        lesson.rule_html,
                        lesson.checks,
                    ]
                    for lesson in version.lessons
                ],
                [item.question.spec for item in version.quiz_questions],
            ],
            ensure_ascii=False,
        )
        html = json.dumps(
            [
                [lesson.situation_html, lesson.outcome_html, lesson.rule_html]
                for lesson in version.lessons
            ]
        )
    assert _dangerous(stored) == []
    # Markdown links keep their label and lose a javascript: target.
    assert "javascript:" not in html
    assert "tap" in html or "tap" not in payload

    client = _learner_client(content_app)
    client.post("/stopped", data={"next": "/", "csrf_token": csrf_token_for(client)})
    urls = ["/", "/courses/acme-safety"]
    urls += [
        f"/courses/acme-safety/lessons/acme-safety-l1?step={step}"
        for step in ("situation", "decision", "outcome", "rule", "check")
    ]
    for url in urls:
        response = client.get(url, headers=ENGLISH)
        assert response.status_code == 200, url
        assert _dangerous(response.text) == [], url


def _learner_client(app):
    learner = People(app).make(Role.LEARNER, name="小马", phone="13700000001")
    client = app.test_client()
    log_in(client, learner.phone)
    return client


def _studio_urls(app) -> list[tuple[str, str]]:
    """Every studio page with made-up arguments."""
    values = {"draft_id": 1, "index": 0, "key": "legal-safety", "cohort_id": 1, "table": "items"}
    urls = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("lms.studio."):
                continue
            args = {name: values[name] for name in rule.arguments}
            method = "POST" if "POST" in rule.methods else "GET"
            urls.append((method, url_for(rule.endpoint, **args)))
    return urls


def test_learner_gets_403_on_every_studio_page(content_app):
    client = _learner_client(content_app)
    token = csrf_token_for(client)
    urls = _studio_urls(content_app)
    assert len(urls) > 20
    for method, url in urls:
        if method == "POST":
            response = client.post(url, data={"csrf_token": token, "revision": "1"})
        else:
            response = client.get(url)
        assert response.status_code == 403, (method, url)


def test_visitor_is_sent_to_log_in(content_app):
    client = content_app.test_client()
    response = client.get("/studio")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_studio_post_without_csrf_token_is_refused(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    response = trainer.client.post(f"/studio/drafts/{draft_id}/publish", data={"revision": "1"})
    assert response.status_code == 400
    with content_app.app_context():
        assert get_session().get(Draft, draft_id) is not None


def test_other_organisation_cannot_see_or_change_drafts_courses_or_reports(
    content_app, staff, course_data
):
    owner = staff("甲培训中心", name="李老师")
    other = staff("乙培训中心", name="赵老师")
    draft_id = make_draft(content_app, owner.person, course_data)
    page = owner.get(f"/studio/drafts/{draft_id}")
    owner.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    second = make_draft(
        content_app,
        owner.person,
        {**course_data, "course": {**course_data["course"], "id": "acme-two"}},
    )
    with content_app.app_context():
        session = get_session()
        cohort = Cohort(organisation_id=owner.person.organisation_id, name="甲站")
        session.add(cohort)
        session.commit()
        cohort_id = cohort.id
        before = session.get(Draft, second).revision
        versions = session.query(CourseVersion).count()

    assert "acme-safety" not in other.get("/studio").text
    assert "acme-two" not in other.get("/studio").text
    for url in (
        f"/studio/drafts/{second}",
        f"/studio/drafts/{second}/lessons/0",
        f"/studio/drafts/{second}/lessons/0/frame",
        f"/studio/drafts/{second}/questions/0",
        f"/studio/drafts/{second}/export.zip",
        "/studio/courses/acme-safety",
        "/studio/courses/acme-safety/export.zip",
        "/studio/reports/courses/acme-safety",
        "/studio/reports/courses/acme-safety/learners.csv",
        f"/studio/reports/cohorts/{cohort_id}",
        f"/studio/reports/cohorts/{cohort_id}/items.csv",
    ):
        assert other.get(url).status_code == 404, url
    for url in (
        f"/studio/drafts/{second}/lessons/0",
        f"/studio/drafts/{second}/publish",
        f"/studio/drafts/{second}/delete",
        f"/studio/drafts/{second}/check",
        "/studio/courses/acme-safety/edit",
        "/studio/courses/acme-safety/archive",
        "/studio/courses/acme-safety/copy",
    ):
        response = other.post(url, {"revision": str(before), "new_key": "stolen"})
        assert response.status_code == 404, url
    with content_app.app_context():
        session = get_session()
        assert session.get(Draft, second).revision == before
        assert session.query(CourseVersion).count() == versions
        assert session.query(Course).filter_by(key="acme-safety").one().status.value == "published"
        assert session.query(Draft).filter_by(course_key="stolen").count() == 0


def test_shipped_courses_are_read_only_but_can_be_copied(content_app, trainer):
    assert trainer.get("/studio/courses/legal-safety").status_code == 200
    assert trainer.post("/studio/courses/legal-safety/edit", {}).status_code == 403
    assert trainer.post("/studio/courses/legal-safety/archive", {}).status_code == 403
    copied = trainer.post("/studio/courses/legal-safety/copy", {"new_key": "our-legal-safety"})
    assert copied.status_code == 303
    with content_app.app_context():
        draft = get_session().query(Draft).filter_by(course_key="our-legal-safety").one()
        shipped = get_session().query(Course).filter_by(key="legal-safety").one()
        assert draft.organisation_id == trainer.person.organisation_id
        assert len(draft.data["lessons"]) == len(shipped.current_version.lessons)
        lesson_ids = {lesson["front"]["id"] for lesson in draft.data["lessons"]}
        assert not lesson_ids & {lesson.key for lesson in shipped.current_version.lessons}
        assert shipped.status.value == "published"
    # The copy has its own ids, so it publishes without clashing with the original.
    page = trainer.get(copied.headers["Location"])
    published = trainer.post(
        copied.headers["Location"] + "/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.headers["Location"].endswith("/studio/courses/our-legal-safety")


def test_a_draft_cannot_take_a_shipped_course_id_or_its_lesson_ids(
    content_app, trainer, course_data
):
    refused = trainer.post(
        "/studio/courses", {"key": "legal-safety", "title.zh_CN": "x", "area": "legal-safety"}
    )
    assert refused.status_code == 400
    assert "exists already" in refused.text
    course_data["lessons"][0]["front"]["id"] = "ls-red-light"
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    lesson = trainer.get(f"/studio/drafts/{draft_id}/lessons/0").text
    assert "is used by another course" in lesson


def test_a_nul_byte_in_any_authored_field_is_refused_and_the_draft_is_unchanged(
    content_app, trainer, course_data
):
    """Regression: a NUL in a studio field was a 500 on PostgreSQL (text cannot hold it)."""
    draft_id = make_draft(content_app, trainer.person, course_data)

    def stored():
        with content_app.app_context():
            draft = get_session().get(Draft, draft_id)
            return draft.revision, json.dumps(draft.data, sort_keys=True)

    before = stored()
    editors = [f"/studio/drafts/{draft_id}/lessons/{n}" for n in range(2)]
    editors += [f"/studio/drafts/{draft_id}/questions/{n}" for n in range(4)]
    for url in editors:
        form = _poison(editor_form(trainer.get(url).text), "\x00")
        response = trainer.client.post(url, data=form, headers=ENGLISH)
        assert response.status_code == 400, url
        assert "characters that cannot be saved" in response.get_data(as_text=True), url
    assert stored() == before

"""Drafts: optimistic locking, publish errors next to their fields, editing a published course."""

from __future__ import annotations

import re

from lms.courses.models import Course
from lms.state import get_session
from lms.studio.models import Draft
from tests.studio.conftest import editor_form, forms_on, make_draft


def _draft(app, draft_id: int) -> Draft:
    with app.app_context():
        draft = get_session().get(Draft, draft_id)
        get_session().expunge(draft)
        return draft


def test_second_trainer_saving_a_stale_draft_is_refused(content_app, staff, course_data):
    first = staff("甲培训中心", name="李老师")
    second = staff("甲培训中心", name="王老师")
    draft_id = make_draft(content_app, first.person, course_data)
    url = f"/studio/drafts/{draft_id}/lessons/0"
    # Both open the lesson at the same revision.
    first_form = editor_form(first.get(url).text)
    second_form = editor_form(second.get(url).text)
    assert first_form["revision"] == second_form["revision"]

    first_form.setlist("front.title.en", ["First trainer's title"])
    assert first.client.post(url, data=first_form).status_code == 303
    saved = _draft(content_app, draft_id)

    second_form.setlist("front.title.en", ["Second trainer's title"])
    refused = second.client.post(url, data=second_form, headers={"Accept-Language": "en"})
    assert refused.status_code == 409
    assert "Someone else saved this draft after you opened it" in refused.text
    after = _draft(content_app, draft_id)
    assert after.revision == saved.revision
    assert after.data == saved.data
    assert after.data["lessons"][0]["front"]["title"]["en"] == "First trainer's title"


def test_stale_move_and_publish_are_refused_too(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    old = editor_form(page.text)["revision"]
    trainer.post(f"/studio/drafts/{draft_id}/lessons/1/move", {"revision": old, "direction": "up"})
    for url, data in (
        (f"/studio/drafts/{draft_id}/lessons/1/move", {"revision": old, "direction": "up"}),
        (f"/studio/drafts/{draft_id}/publish", {"revision": old}),
        (f"/studio/drafts/{draft_id}/delete", {"revision": old}),
    ):
        assert trainer.post(url, data).status_code == 409
    with content_app.app_context():
        assert get_session().query(Course).filter_by(key="acme-safety").one_or_none() is None


def test_publish_errors_are_shown_next_to_their_fields(content_app, trainer, course_data):
    course_data["lessons"][1]["front"]["title"]["en"] = ""
    course_data["lessons"][1]["front"]["minutes"] = 9
    course_data["lessons"][1]["front"]["decision"]["options"][1]["consequence"]["zh_CN"] = ""
    course_data["questions"][2]["options"][1]["correct"] = None
    course_data["course"]["quiz"]["pass_mark"] = 150
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    response = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert response.status_code == 303
    overview = trainer.get(response.headers["Location"]).text
    assert "Not published" in overview
    assert "Lesson 2" in overview and "Question 3" in overview

    def error_after(html: str, field: str) -> str:
        """The error text printed inside the block of the field named ``field``."""
        start = html.index(f'name="{field}"')
        following = html[start:]
        found = re.search(r'<p class="error-text" role="alert">([^<]+)</p>', following)
        assert found, field
        return found.group(1)

    lesson = trainer.get(f"/studio/drafts/{draft_id}/lessons/1").text
    assert "is empty" in error_after(lesson, "front.title.en")
    assert "Minutes must be a whole number from 2 to 5" in error_after(lesson, "front.minutes")
    assert "Consequence (Chinese) is empty" in error_after(
        lesson, "front.decision.options.1.consequence.zh_CN"
    )
    question = trainer.get(f"/studio/drafts/{draft_id}/questions/2").text
    assert "at least two" in question
    course_page = trainer.get(f"/studio/drafts/{draft_id}").text
    assert "Pass mark must be a whole number from 1 to 100" in error_after(
        course_page, "quiz.pass_mark"
    )
    assert "Traceback" not in lesson + question + course_page
    with content_app.app_context():
        assert get_session().query(Course).filter_by(key="acme-safety").one_or_none() is None


def test_editing_a_published_course_publishes_a_new_version(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    edit = trainer.post("/studio/courses/acme-safety/edit", {})
    assert edit.status_code == 303
    draft_url = edit.headers["Location"]
    lesson_url = f"{draft_url}/lessons/0"
    assert (
        trainer.submit(lesson_url, {"body.outcome.en": "He arrived; no fine."}).status_code == 303
    )
    page = trainer.get(draft_url)
    published = trainer.post(
        f"{draft_url}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.status_code == 303
    with content_app.app_context():
        course = get_session().query(Course).filter_by(key="acme-safety").one()
        assert course.current_version.number == 2
        assert course.current_version.lessons[0].outcome_html["en"] == "<p>He arrived; no fine.</p>"


def test_saving_the_form_unchanged_keeps_the_course_valid(content_app, trainer, course_data):
    """Every editor writes back exactly what it shows (no field lost on a round trip)."""
    draft_id = make_draft(content_app, trainer.person, course_data)
    for url in (
        f"/studio/drafts/{draft_id}/lessons/0",
        f"/studio/drafts/{draft_id}/lessons/1",
        *(f"/studio/drafts/{draft_id}/questions/{n}" for n in range(4)),
    ):
        assert trainer.submit(url).status_code == 303, url
    page = trainer.get(f"/studio/drafts/{draft_id}")
    course_form = next(form for form in forms_on(page.text) if "quiz.draw" in form)
    saved = trainer.client.post(f"/studio/drafts/{draft_id}/course", data=course_form)
    assert saved.status_code == 303
    assert _without_none(_draft(content_app, draft_id).data) == _without_none(course_data)


def _without_none(value):
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value

"""Authoring in the browser: create, edit step by step, reorder, preview, publish."""

from __future__ import annotations

from lms.courses.models import Course, CourseStatus
from lms.state import get_session
from tests.studio.conftest import editor_form, make_draft


def test_trainer_creates_a_course_and_writes_a_lesson(trainer):
    response = trainer.post(
        "/studio/courses",
        {"key": "night-riding", "title.zh_CN": "夜间骑行", "title.en": "", "area": "legal-safety"},
    )
    assert response.status_code == 303
    draft_url = response.headers["Location"]
    page = trainer.get(draft_url)
    assert page.status_code == 200
    assert "night-riding" in page.text
    # The English title is missing and marked so.
    assert "missing translation" in page.text

    form = editor_form(page.text)
    added = trainer.post(f"{draft_url}/lessons", {"revision": form["revision"]})
    assert added.status_code == 303
    lesson_url = added.headers["Location"]
    saved = trainer.submit(
        lesson_url,
        {
            "front.title.zh_CN": "夜里送餐",
            "front.title.en": "Night delivery",
            "body.situation.zh_CN": "晚上十点，**小王**在送餐。",
            "body.situation.en": "At 10 p.m. **Xiao Wang** is delivering.",
        },
    )
    assert saved.status_code == 303
    page = trainer.get(lesson_url)
    assert "Night delivery" in page.text
    assert "晚上十点，**小王**在送餐。" in page.text


def test_preview_renders_the_draft_lesson_at_phone_width(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}/lessons/0/preview")
    assert page.status_code == 200
    assert 'width="360"' in page.text
    frame = trainer.get(f"/studio/drafts/{draft_id}/lessons/0/frame?step=situation")
    assert frame.status_code == 200
    assert "<strong>10 p.m.</strong>" in frame.text
    decision = trainer.get(f"/studio/drafts/{draft_id}/lessons/0/frame?step=decision&choice=b")
    assert "You nearly hit someone." in decision.text
    check = trainer.get(f"/studio/drafts/{draft_id}/lessons/0/frame?step=check")
    assert "Lights go on at night." in check.text


def test_lessons_move_up_and_down(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    revision = editor_form(page.text)["revision"]
    moved = trainer.post(
        f"/studio/drafts/{draft_id}/lessons/1/move", {"revision": revision, "direction": "up"}
    )
    assert moved.status_code == 303
    page = trainer.get(f"/studio/drafts/{draft_id}").text
    assert page.index("Lesson 2: night delivery") < page.index("Lesson 1: night delivery")


def test_publish_creates_a_version_like_a_file_import(content_app, trainer, course_data):
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    published = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.status_code == 303, published.text
    assert published.headers["Location"].endswith("/studio/courses/acme-safety")
    with content_app.app_context():
        course = get_session().query(Course).filter_by(key="acme-safety").one()
        assert course.status == CourseStatus.PUBLISHED
        assert course.organisation_id == trainer.person.organisation_id
        assert course.current_version.number == 1
        assert len(course.current_version.lessons) == 2
        assert len(course.current_version.quiz_questions) == 4
    assert trainer.get("/courses/acme-safety").status_code == 200


def test_checking_a_valid_draft_shows_answer_cues_as_hints(content_app, trainer, course_data):
    course_data["questions"][0]["options"][0]["text"] = {
        "zh_CN": "开灯，并且放慢速度，注意观察路口行人",
        "en": "Lights on, slow down and watch for people",
    }
    draft_id = make_draft(content_app, trainer.person, course_data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    checked = trainer.post(
        f"/studio/drafts/{draft_id}/check", {"revision": editor_form(page.text)["revision"]}
    )
    assert checked.status_code == 303
    shown = trainer.get(f"/studio/drafts/{draft_id}").text
    assert "No problems found" in shown
    assert "Hint: question &#39;acme-safety-q1&#39;: the right option is much longer" in shown

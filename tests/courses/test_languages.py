"""A course published in Chinese only: it validates without English, publishes
from files and from the studio, and tells English readers it is in Chinese."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from lms.content.errors import ContentError
from lms.courses.loader import load_content
from lms.courses.models import Course, CourseStatus
from lms.courses.services import import_content
from lms.state import get_session
from lms.studio.export import draft_files, write_folder
from tests.conftest import People, log_in
from tests.studio.conftest import editor_form, make_draft, sign_in, valid_course


def chinese_only(value: Any) -> Any:
    """The data with every English text left empty."""
    if isinstance(value, dict):
        if set(value) == {"zh_CN", "en"}:
            return {"zh_CN": value["zh_CN"], "en": ""}
        return {key: chinese_only(item) for key, item in value.items()}
    if isinstance(value, list):
        return [chinese_only(item) for item in value]
    return value


def chinese_course(key: str = "zh-only") -> dict[str, Any]:
    data = chinese_only(copy.deepcopy(valid_course(key)))
    data["course"]["languages"] = ["zh_CN"]
    return data


def write_course(root: Path, data: dict[str, Any]) -> Path:
    folder = root / "courses" / data["course"]["id"]
    write_folder(draft_files(data), folder)
    return root


def test_a_chinese_only_course_needs_no_english(tmp_path):
    root = write_course(tmp_path, chinese_course())
    assert "languages:\n  - zh_CN" in (root / "courses" / "zh-only" / "course.yaml").read_text()
    specs, errors = load_content(root)
    assert errors == []
    assert specs[0].languages == ("zh_CN",)
    assert specs[0].title == {"zh_CN": "夜间安全", "en": ""}


def test_english_stays_required_when_the_course_is_in_both_languages(tmp_path):
    data = chinese_course()
    del data["course"]["languages"]
    _specs, errors = load_content(write_course(tmp_path, data))
    assert errors
    messages = [error.text() for error in errors]
    assert "Title (English) is empty: write the English text" in messages
    assert all(isinstance(error, ContentError) for error in errors)


def test_an_unknown_language_is_an_error_with_its_line(tmp_path):
    root = write_course(tmp_path, chinese_course())
    course_file = root / "courses" / "zh-only" / "course.yaml"
    course_file.write_text(course_file.read_text().replace("  - zh_CN", "  - fr"))
    _specs, errors = load_content(root)
    assert any("unknown language 'fr': use one of zh_CN, en" in error.text() for error in errors), (
        errors
    )


def test_a_chinese_only_course_from_files_tells_english_readers(content_app, tmp_path):
    root = write_course(tmp_path, chinese_course())
    with content_app.app_context():
        report = import_content(root)
        get_session().commit()
        assert report.ok, report.errors
        version = get_session().query(Course).filter_by(key="zh-only").one().current_version
        assert version.languages == ["zh_CN"]
    person = People(content_app).make(name="王小明", phone="13987654323")
    client = content_app.test_client()
    log_in(client, person.phone)
    english = client.get("/courses/zh-only", headers={"Accept-Language": "en"}).text
    assert "This course is available in Chinese only." in english
    assert "夜间安全" in english
    chinese = client.get("/courses/zh-only", headers={"Accept-Language": "zh-CN"}).text
    assert "language-note" not in chinese


def test_a_chinese_only_course_publishes_from_the_studio(content_app):
    from lms.accounts.models import Role

    trainer = sign_in(content_app, People(content_app).make(Role.TRAINER, name="李老师"))
    draft_id = make_draft(content_app, trainer.person, chinese_course("zh-studio"))
    page = trainer.get(f"/studio/drafts/{draft_id}")
    assert 'name="languages" value="en">' in page.text  # English unticked
    published = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.status_code == 303
    assert published.headers["Location"].endswith("/studio/courses/zh-studio"), published.text
    with content_app.app_context():
        course = get_session().query(Course).filter_by(key="zh-studio").one()
        assert course.status == CourseStatus.PUBLISHED
        assert course.current_version.languages == ["zh_CN"]
    # The draft is gone; its old address leads to the published course.
    old = trainer.get(f"/studio/drafts/{draft_id}")
    assert old.status_code == 301
    assert old.headers["Location"].endswith("/studio/courses/zh-studio")


ENGLISH_MISSING = 'English <span class="missing">'


def test_a_chinese_only_draft_edited_in_the_studio_never_asks_for_english(content_app):
    from lms.accounts.models import Role

    trainer = sign_in(content_app, People(content_app).make(Role.TRAINER, name="李老师"))
    draft_id = make_draft(content_app, trainer.person, chinese_course("zh-edit"))
    # Every question type's editor, lesson editors included, saved with English left empty.
    for index in range(len(valid_course()["questions"])):
        url = f"/studio/drafts/{draft_id}/questions/{index}"
        assert ENGLISH_MISSING not in trainer.get(url).text
        assert trainer.submit(url).status_code == 303
    for index in (0, 1):
        url = f"/studio/drafts/{draft_id}/lessons/{index}"
        assert ENGLISH_MISSING not in trainer.get(url).text
        assert trainer.submit(url).status_code == 303
    page = trainer.get(f"/studio/drafts/{draft_id}")
    checked = trainer.post(
        f"/studio/drafts/{draft_id}/check", {"revision": editor_form(page.text)["revision"]}
    )
    assert checked.status_code == 303
    with content_app.app_context():
        from lms.studio.models import Draft

        draft = get_session().get(Draft, draft_id)
        assert draft.problems == []
        feedback = draft.data["questions"][0]["options"][1]["feedback"]
        assert feedback["zh_CN"] and not feedback["en"]

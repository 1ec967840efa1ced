"""The studio's validation messages are in the trainer's language: the same
stored problem reads in Chinese on a Chinese screen and in English on an
English one, naming the field by its label; file errors keep file:line."""

from __future__ import annotations

import re

from lms.content.errors import display_path
from lms.content.messages import Message, catalog_translate, msg, rendering_in
from lms.courses.loader import load_content
from tests.courses.test_languages import write_course
from tests.studio.conftest import editor_form, make_draft

CHINESE = {"Accept-Language": "zh-CN"}


def _alerts(html: str) -> list[str]:
    return re.findall(r'<p class="error-text" role="alert">([^<]+)</p>', html)


def _broken(course_data):
    course_data["course"]["summary"]["en"] = ""
    course_data["course"]["quiz"]["draw"] = 9
    return course_data


def _checked(content_app, trainer, course_data) -> int:
    draft_id = make_draft(content_app, trainer.person, _broken(course_data))
    page = trainer.get(f"/studio/drafts/{draft_id}")
    checked = trainer.post(
        f"/studio/drafts/{draft_id}/check", {"revision": editor_form(page.text)["revision"]}
    )
    assert checked.status_code == 303
    return draft_id


def test_a_chinese_screen_shows_the_problems_in_chinese(content_app, trainer, course_data):
    draft_id = _checked(content_app, trainer, course_data)
    page = trainer.client.get(f"/studio/drafts/{draft_id}", headers=CHINESE).text
    alerts = _alerts(page)
    assert "「简介（英文）」为空：请填写英文内容。" in alerts
    assert any(alert.startswith("「抽题数」是 9，比 questions.yaml 中的") for alert in alerts), (
        alerts
    )
    assert not any("is empty" in alert or "more than" in alert for alert in alerts)


def test_an_english_screen_shows_the_same_problems_in_english(content_app, trainer, course_data):
    draft_id = _checked(content_app, trainer, course_data)
    alerts = _alerts(trainer.get(f"/studio/drafts/{draft_id}").text)
    assert "Summary (English) is empty: write the English text" in alerts
    assert any(
        alert.startswith("Questions drawn is 9, more than the") and "questions.yaml" in alert
        for alert in alerts
    ), alerts


def test_a_file_error_keeps_its_file_and_line_in_either_language(tmp_path, course_data):
    root = write_course(tmp_path, _broken(course_data))
    _specs, errors = load_content(root)
    empty = next(error for error in errors if error.path.name == "course.yaml")
    where = f"{display_path(empty.path)}:{empty.line}"
    assert where.endswith("acme-safety/course.yaml:7")  # the en: line under summary
    assert str(empty) == f"{where}: Summary (English) is empty: write the English text"
    with rendering_in(catalog_translate("zh_CN")):
        assert str(empty) == f"{where}: 「简介（英文）」为空：请填写英文内容。"


def test_a_message_survives_being_stored_and_read_back():
    stored = msg(
        "%(field)s (%(language)s) is empty: write the %(language)s text",
        field=msg("Title"),
        language=msg("English"),
    ).as_data()
    again = Message.from_data(stored)
    assert str(again) == "Title (English) is empty: write the English text"
    assert again.render(catalog_translate("zh_CN")) == "「标题（英文）」为空：请填写英文内容。"

"""Published course versions read once per process: the version itself never
changes, and which version is current is read on every request, so a version
published by another process shows at once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from lms.courses.services import course_by_key, import_content, published_courses
from lms.state import get_session
from tests.conftest import CONTENT_DIR, People, _dispose, make_app
from tests.courses.conftest import LESSON_URL, sign_in

LESSON_PAGE = f"{LESSON_URL}?step=situation"


def version_reads(app: Flask) -> Callable[[], int]:
    """How many statements reading course or lesson versions the app has run."""
    seen = [0]

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM lms_course_version" in statement or "FROM lms_lesson_version" in statement:
            seen[0] += 1

    with app.app_context():
        sa.event.listen(app.extensions["lms"].db.engine, "before_cursor_execute", note)
    return lambda: seen[0]


def retitle_helmet_lesson(root: Path, english: str) -> Path:
    """A copy of the shipped content with ls-helmet's English title changed."""
    target = root / "content-copy"
    shutil.copytree(CONTENT_DIR, target)
    lesson = target / "courses" / "legal-safety" / "02-helmet.md"
    text = lesson.read_text(encoding="utf-8")
    assert "en: A turning truck's blind spot" in text
    lesson.write_text(
        text.replace("en: A turning truck's blind spot", f"en: {english}", 1), encoding="utf-8"
    )
    return target


def test_a_version_is_read_from_the_database_once_per_process(content_app: Flask, learner):
    process = make_app(content_app.config["LMS_DATABASE_URL"])
    try:
        reads = version_reads(process)
        rider = sign_in(process, learner.person)
        rider.stop()
        assert rider.page(LESSON_PAGE).status_code == 200
        warmed = reads()
        for _ in range(3):
            assert rider.page(LESSON_PAGE).status_code == 200
            assert rider.page("/").status_code == 200
            assert rider.page("/courses/legal-safety").status_code == 200

        assert warmed >= 1
        assert reads() == warmed
    finally:
        _dispose(process)


def test_a_version_published_by_another_process_shows_at_once(
    content_app: Flask, tmp_path: Path
) -> None:
    learner = sign_in(content_app, People(content_app).make())
    learner.stop()
    assert "A turning truck&#39;s blind spot" in learner.page(LESSON_PAGE).text
    other = make_app(content_app.config["LMS_DATABASE_URL"])
    try:
        with other.app_context():
            report = import_content(retitle_helmet_lesson(tmp_path, "Blind spots and mirrors"))
            get_session().commit()
            assert report.ok
    finally:
        _dispose(other)

    page = learner.page(LESSON_PAGE).text

    assert "Blind spots and mirrors" in page
    assert "A turning truck&#39;s blind spot" not in page


def test_a_version_published_in_this_request_is_read_but_not_kept(
    content_app: Flask, tmp_path: Path
) -> None:
    with content_app.test_request_context("/"):
        assert course_by_key("legal-safety").current_version.lessons
        old_id = course_by_key("legal-safety").current_version_id
        report = import_content(retitle_helmet_lesson(tmp_path, "Blind spots and mirrors"))
        assert report.ok
        course = next(c for c in published_courses() if c.key == "legal-safety")
        new_id = course.current_version_id
        titles = [lesson.title["en"] for lesson in course.current_version.lessons]
        get_session().rollback()

    assert new_id != old_id
    assert "Blind spots and mirrors" in titles
    cached = content_app.extensions.get("lms_course_versions", {})
    assert old_id in cached
    assert new_id not in cached

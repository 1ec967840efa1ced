"""Round trip: what the studio exports, the loader reads back as the same course."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
import yaml

from lms.courses.loader import load_course
from lms.courses.models import Course
from lms.state import get_session
from lms.studio import drafts as services
from lms.studio.export import draft_files, html_to_markdown, write_folder
from lms.studio.publishing import export_course
from tests.conftest import CONTENT_DIR
from tests.studio.conftest import editor_form, make_draft

SHIPPED = ["legal-safety", "ecommerce", "logistics", "team-lead"]


def _fields(spec) -> dict:
    """Everything of a course spec that is content, not where it came from."""
    data = dataclasses.asdict(spec)
    for key in ("source_path", "content_hash", "id"):
        data.pop(key)
    return data


@pytest.mark.parametrize("key", SHIPPED)
def test_exported_shipped_course_imports_as_a_new_course_with_equal_fields(
    content_app, tmp_path, key
):
    original = load_course(CONTENT_DIR / "courses" / key)
    with content_app.app_context():
        exported = export_course(key)
    folder = write_folder(exported, tmp_path / key)
    # Same ids: the very same course, hash and all.
    assert load_course(folder).content_hash == original.content_hash

    renamed = tmp_path / "renamed"
    write_folder(exported, renamed)
    course_yaml = yaml.safe_load((renamed / "course.yaml").read_text(encoding="utf-8"))
    course_yaml["id"] = f"{key}-copy"
    (renamed / "course.yaml").write_text(
        yaml.safe_dump(course_yaml, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    again = load_course(renamed)
    assert again.id == f"{key}-copy"
    expected, actual = _fields(original), _fields(again)
    assert actual.keys() == expected.keys()
    for name in expected:
        assert actual[name] == expected[name], name
    for before, after in zip(original.lessons, again.lessons, strict=True):
        assert dataclasses.asdict(after) == dataclasses.asdict(before)
    assert again.quiz.questions == original.quiz.questions


def test_draft_published_then_exported_loads_equal_to_the_draft(
    content_app, trainer, course_data, tmp_path
):
    draft_id = make_draft(content_app, trainer.person, course_data)
    from_draft = load_course(write_folder(draft_files(course_data), tmp_path / "draft"))
    page = trainer.get(f"/studio/drafts/{draft_id}")
    response = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert response.status_code == 303
    with content_app.app_context():
        course = get_session().query(Course).filter_by(key="acme-safety").one()
        assert course.current_version.content_hash == from_draft.content_hash
        # Editing again gives back the trainer's own Markdown, field for field.
        assert services.course_data(course) == course_data
        exported = export_course("acme-safety")
    back = load_course(write_folder(exported, tmp_path / "published"))
    assert back.content_hash == from_draft.content_hash


def test_zip_download_holds_a_course_folder(content_app, trainer, tmp_path):
    response = trainer.get("/studio/courses/legal-safety/export.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert "legal-safety/course.yaml" in names
    assert "legal-safety/questions.yaml" in names
    archive.extractall(tmp_path)
    original = load_course(CONTENT_DIR / "courses" / "legal-safety")
    assert load_course(tmp_path / "legal-safety").content_hash == original.content_hash


def test_cli_exports_a_course_folder_and_a_zip(content_app, tmp_path):
    from lms.studio.cli import export_command

    runner = content_app.test_cli_runner()
    result = runner.invoke(export_command, ["logistics", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    original = load_course(CONTENT_DIR / "courses" / "logistics")
    assert load_course(tmp_path / "out").content_hash == original.content_hash
    result = runner.invoke(export_command, ["logistics", str(tmp_path / "logistics.zip")])
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(tmp_path / "logistics.zip")
    refused = runner.invoke(export_command, ["no-such-course", str(tmp_path / "x")])
    assert refused.exit_code != 0
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "html",
    [
        '<p>Plain <strong>bold</strong> and <em>em</em> with a <a href="https://x.cn/a" '
        'rel="noopener noreferrer">link</a>.</p>',
        "<ul>\n<li>one</li>\n<li>two <code>x*y</code></li>\n</ul>",
        "<h3>Steps</h3>\n<ol>\n<li>stop</li>\n<li>call 110</li>\n</ol>",
        "<blockquote>\n<p>quoted 1. not a list</p>\n</blockquote>",
        "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n"
        "<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>",
        "<p>Stars * and _underscores_ and [brackets] stay text.</p>",
    ],
)
def test_html_goes_back_to_markdown_that_renders_the_same(html):
    from lms.courses.markdown import render_markdown

    markdown = html_to_markdown(html)
    assert render_markdown(markdown).strip() == html


def test_every_written_line_names_its_field(course_data):
    exported = draft_files(course_data)
    lesson_file = next(name for name in exported.files if name.endswith(".md"))
    lines = exported.files[lesson_file].split("\n")
    title_line = next(i for i, line in enumerate(lines, 1) if "Lesson 1: night delivery" in line)
    assert exported.field_at(lesson_file, title_line) == "lessons.0.front.title.en"
    heading = lines.index("## outcome [en]") + 1
    assert exported.field_at(lesson_file, heading) == "lessons.0.body.outcome.en"
    assert Path(lesson_file).suffix == ".md"

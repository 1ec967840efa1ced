"""Publishing content: versions, idempotent re-import, atomic rejection, sanitising."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from lms.courses.models import Course, CourseVersion, LessonVersion, QuestionVersion, QuizQuestion
from lms.courses.services import ImportStatus, import_content
from lms.state import get_session
from tests.conftest import CONTENT_DIR


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped content that a test may edit."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def counts() -> dict[str, int]:
    session = get_session()
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Course, CourseVersion, LessonVersion, QuestionVersion, QuizQuestion)
    }


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_import_publishes_every_shipped_course(app):
    shipped = {
        yaml.safe_load(path.read_text(encoding="utf-8"))["id"]
        for path in (CONTENT_DIR / "courses").glob("*/course.yaml")
    }
    assert {"ecommerce", "legal-safety", "logistics", "team-lead"} <= shipped
    with app.app_context():
        report = import_content(CONTENT_DIR)
        get_session().commit()
        assert report.ok
        assert {c.key: c.status for c in report.courses} == dict.fromkeys(
            shipped, ImportStatus.CREATED
        )
        found = counts()
        assert found["Course"] == len(shipped)
        assert found["LessonVersion"] >= 22
        assert found["QuestionVersion"] >= 45


def test_reimporting_unchanged_content_changes_nothing(app):
    with app.app_context():
        import_content(CONTENT_DIR)
        get_session().commit()
        before = counts()
        report = import_content(CONTENT_DIR)
        get_session().commit()
        assert all(c.status == ImportStatus.UNCHANGED for c in report.courses)
        assert counts() == before


def test_a_changed_lesson_publishes_a_new_version_and_keeps_the_old(app, content_copy):
    lesson = next((content_copy / "courses" / "logistics").glob("01-*.md"))
    with app.app_context():
        import_content(content_copy)
        get_session().commit()
        old_version_id = get_session().scalar(
            select(Course.current_version_id).where(Course.key == "logistics")
        )
        edit(lesson, "minutes: 4", "minutes: 5")
        report = import_content(content_copy)
        get_session().commit()
        statuses = {c.key: (c.status, c.version) for c in report.courses}
        assert statuses["logistics"] == (ImportStatus.UPDATED, 2)
        assert statuses["legal-safety"][0] == ImportStatus.UNCHANGED
        course = get_session().scalar(select(Course).where(Course.key == "logistics"))
        assert course.current_version.number == 2
        old = get_session().get(CourseVersion, old_version_id)
        assert old is not None and len(old.lessons) == len(course.current_version.lessons)
        # unchanged questions are shared between versions, not copied
        assert counts()["QuestionVersion"] == len(
            {q.question_version_id for q in get_session().scalars(select(QuizQuestion))}
        )


def test_a_broken_course_is_rejected_whole_and_the_others_still_import(app, content_copy):
    lesson = next((content_copy / "courses" / "ecommerce").glob("02-*.md"))
    edit(lesson, "consequence:", "consequense:")
    with app.app_context():
        report = import_content(content_copy)
        get_session().commit()
        assert not report.ok
        statuses = {c.key: c.status for c in report.courses}
        assert "ecommerce" not in statuses or statuses["ecommerce"] == ImportStatus.REJECTED
        assert statuses["logistics"] == ImportStatus.CREATED
        keys = set(get_session().scalars(select(Course.key)))
        assert "ecommerce" not in keys and {"legal-safety", "logistics"} <= keys
        messages = [str(error) for error in report.errors]
        assert all("courses/ecommerce/02-" in message for message in messages)
        assert any("unknown key 'consequense'" in message for message in messages)
        assert any("has no Consequence" in message for message in messages)


def test_a_failure_halfway_through_leaves_nothing_of_that_course(app, content_copy, monkeypatch):
    import lms.courses.services as services

    original = services._question_version
    calls = {"n": 0}

    def fail_on_the_tenth(spec):
        calls["n"] += 1
        if calls["n"] == 10:
            raise RuntimeError("disk full")
        return original(spec)

    monkeypatch.setattr(services, "_question_version", fail_on_the_tenth)
    with app.app_context():
        with pytest.raises(RuntimeError):
            import_content(content_copy)
        get_session().rollback()
        assert counts() == {name: 0 for name in counts()}


def test_script_and_event_handlers_never_reach_a_page(app, content_copy):
    lesson = next((content_copy / "courses" / "legal-safety").glob("01-*.md"))
    text = lesson.read_text(encoding="utf-8")
    marker = "## situation [zh_CN]\n"
    injected = (
        marker + "\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[点我](javascript:alert(1))\n\n"
    )
    lesson.write_text(text.replace(marker, injected, 1), encoding="utf-8")
    with app.app_context():
        report = import_content(content_copy)
        get_session().commit()
        assert report.ok, [str(e) for e in report.errors]
        stored = get_session().scalar(
            select(LessonVersion.situation_html).where(LessonVersion.key == "ls-red-light")
        )
    html = stored["zh_CN"]
    for bad in ("<script", "onerror", "javascript:"):
        assert bad not in html
    page = app.test_client().get("/courses/legal-safety/lessons/ls-red-light")
    body = page.get_data(as_text=True)
    assert "alert(" not in body and "onerror" not in body


def test_cli_check_reports_file_and_line(app, content_copy):
    lesson = next((content_copy / "courses" / "logistics").glob("03-*.md"))
    edit(lesson, "minutes: ", "minutes: 9 #")
    result = app.test_cli_runner().invoke(args=["lms", "content", "check", str(content_copy)])
    assert result.exit_code != 0
    # The deployment's first language (zh_CN) unless the trainer asks for another.
    assert "03-last-mile.md:6: 「分钟数」必须是" in result.output
    english = app.test_cli_runner().invoke(
        args=["lms", "content", "check", "--lang", "en", str(content_copy)]
    )
    assert "03-last-mile.md:6: Minutes must be a whole number from 2 to 5" in english.output


def test_cli_import_then_no_op(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "content", "import", str(CONTENT_DIR)])
    assert first.exit_code == 0, first.output
    assert "legal-safety: created v1" in first.output
    second = runner.invoke(args=["lms", "content", "import", str(CONTENT_DIR)])
    assert "legal-safety: unchanged v1" in second.output


def test_shipped_courses_show_in_chinese_and_english(content_app):
    client = content_app.test_client()
    chinese = client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for key in ("legal-safety", "ecommerce", "logistics"):
        assert f"/courses/{key}" in chinese
    assert "骑手与司机的法律安全" in chinese
    assert "Legal safety for riders and drivers" in english


def test_a_content_update_keeps_a_learners_progress_and_attempts(app, content_copy, people):
    from lms.accounts.models import Profile
    from lms.assessments.models import Attempt
    from lms.assessments.services import save_answer, start_attempt, submit_attempt
    from lms.courses.models import LessonProgress, StepEvent, StepEventKind
    from lms.courses.progress import EventInput, record_event
    from lms.courses.resume import resume_point
    from tests.answers import correct_answer

    learner = people.make()
    with app.app_context():
        import_content(content_copy)
        get_session().commit()
        profile = get_session().get(Profile, learner.profile_id)
        course = get_session().scalar(select(Course).where(Course.key == "legal-safety"))
        first = course.current_version
        lesson = first.lessons[0]
        record_event(
            profile,
            course,
            lesson,
            EventInput(key="k" * 16, step="situation", kind=StepEventKind.DONE),
        )
        attempt = start_attempt(profile, course)
        for question in attempt.questions:
            save_answer(attempt, question.position, correct_answer(question.question_version.spec))
        submit_attempt(attempt)
        get_session().commit()
        attempt_id, first_id, lesson_version_id = attempt.id, first.id, lesson.id
        score = attempt.score_percent

    # the trainer rewords a question and a lesson; the course is republished
    lesson_file = next((content_copy / "courses" / "legal-safety").glob("01-*.md"))
    edit(lesson_file, "minutes: 4", "minutes: 5")
    bank = content_copy / "courses" / "legal-safety" / "questions.yaml"
    text = bank.read_text(encoding="utf-8")
    bank.write_text(text.replace("zh_CN: ", "zh_CN: （修订）", 1), encoding="utf-8")
    with app.app_context():
        report = import_content(content_copy)
        get_session().commit()
        assert {c.key: c.status for c in report.courses}["legal-safety"] == ImportStatus.UPDATED
        course = get_session().scalar(select(Course).where(Course.key == "legal-safety"))
        assert course.current_version.number == 2
        attempt = get_session().get(Attempt, attempt_id)
        assert attempt.course_version_id == first_id
        assert attempt.score_percent == score
        assert all(q.question_version.spec for q in attempt.questions)
        progress = get_session().scalar(
            select(LessonProgress).where(LessonProgress.profile_id == learner.profile_id)
        )
        assert progress.lesson_key == lesson.key
        events = list(get_session().scalars(select(StepEvent)))
        assert len(events) == 1 and events[0].lesson_version_id == lesson_version_id
        point = resume_point(learner.profile_id)
        assert point is not None and point.lesson_key == "ls-red-light"
    client = app.test_client()
    from tests.conftest import log_in

    log_in(client, learner.phone)
    assert client.get(f"/attempts/{attempt_id}/result").status_code == 200
    assert client.get("/courses/legal-safety").status_code == 200

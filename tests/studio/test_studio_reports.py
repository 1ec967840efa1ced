"""Reports per course and per cohort: counts, median lesson time, item analysis, CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from lms.accounts.models import Cohort, CohortMember, Profile, Role
from lms.assessments.models import Attempt, AttemptQuestion, AttemptStatus
from lms.courses.models import Course, LessonProgress, StepEvent, StepEventKind
from lms.db import utcnow
from lms.state import get_session
from tests.conftest import People
from tests.studio.conftest import editor_form, make_draft


def _publish(app, trainer, data) -> None:
    draft_id = make_draft(app, trainer.person, data)
    page = trainer.get(f"/studio/drafts/{draft_id}")
    response = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert response.status_code == 303


def _activity(
    app, profile_id: int, course_key: str, *, lessons_done: int, seconds: int, score: float | None
) -> None:
    """Lesson progress, active time and (optionally) one graded attempt for a learner."""
    with app.app_context():
        session = get_session()
        course = session.query(Course).filter_by(key=course_key).one()
        version = course.current_version
        now = utcnow()
        for position, lesson in enumerate(version.lessons):
            if position > lessons_done:
                break
            session.add(
                LessonProgress(
                    profile_id=profile_id,
                    course_key=course_key,
                    lesson_key=lesson.key,
                    lesson_version_id=lesson.id,
                    step="check",
                    steps_done=["situation"],
                    completed_at=now if position < lessons_done else None,
                )
            )
            session.add(
                StepEvent(
                    profile_id=profile_id,
                    client_key=f"{profile_id}-{lesson.key}",
                    course_key=course_key,
                    lesson_key=lesson.key,
                    lesson_version_id=lesson.id,
                    step="situation",
                    kind=StepEventKind.DONE,
                    occurred_at=now,
                    active_seconds=seconds,
                )
            )
        if score is not None:
            attempt = Attempt(
                profile_id=profile_id,
                course_version_id=version.id,
                course_key=course_key,
                quiz_key=version.quiz_key,
                number=1,
                status=AttemptStatus.GRADED,
                started_at=now,
                graded_at=now,
                score_percent=score,
                passed=score >= version.quiz_policy["pass_mark"],
                policy=dict(version.quiz_policy),
                review_mode="explanations",
            )
            for position, item in enumerate(version.quiz_questions, 1):
                right = position == 1 or score >= 60
                attempt.questions.append(
                    AttemptQuestion(
                        position=position,
                        question_version_id=item.question_version_id,
                        question_key=item.question.key,
                        option_order=[],
                        answer=None,
                        points=1.0 if right else 0.0,
                        correct=right,
                    )
                )
            session.add(attempt)
        session.commit()


def _cohort(app, organisation_id: int, name: str, members: list[int]) -> int:
    with app.app_context():
        session = get_session()
        cohort = Cohort(organisation_id=organisation_id, name=name)
        session.add(cohort)
        session.flush()
        for profile_id in members:
            session.add(CohortMember(cohort_id=cohort.id, profile_id=profile_id))
        session.commit()
        return cohort.id


def test_course_report_counts_learners_and_times(content_app, trainer, course_data):
    course_data["lessons"][0]["front"]["title"]["zh_CN"] = '=HYPERLINK("http://evil")'
    course_data["lessons"][0]["front"]["title"]["en"] = '=HYPERLINK("http://evil")'
    _publish(content_app, trainer, course_data)
    people = People(content_app)
    done = people.make(Role.LEARNER, name="王一", phone="13600000001")
    failed = people.make(Role.LEARNER, name="王二", phone="13600000002")
    idle = people.make(Role.LEARNER, name="王三", phone="13600000003")
    # Only learners who joined the organisation's cohorts count, also on its own course.
    _cohort(
        content_app,
        trainer.person.organisation_id,
        "夜班",
        [done.profile_id, failed.profile_id, idle.profile_id],
    )
    stranger = people.make(Role.LEARNER, name="外人", phone="13600000004")
    _activity(content_app, done.profile_id, "acme-safety", lessons_done=2, seconds=120, score=100)
    _activity(content_app, failed.profile_id, "acme-safety", lessons_done=1, seconds=60, score=20)
    _activity(content_app, stranger.profile_id, "acme-safety", lessons_done=2, seconds=10, score=0)

    page = trainer.get("/studio/reports/courses/acme-safety")
    assert page.status_code == 200
    text = page.text
    assert '<dd class="enrolled">3</dd>' in text
    assert '<dd class="started">2</dd>' in text
    assert '<dd class="completed">1</dd>' in text
    assert '<dd class="pass-rate">50.0%</dd>' in text
    assert "王一" in text and "王二" in text and "王三" in text and "外人" not in text
    # Median of 120 s and 60 s in lesson 1.
    assert "1:30" in text

    learners = list(
        csv.reader(
            io.StringIO(
                trainer.get("/studio/reports/courses/acme-safety/learners.csv").data.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert learners[0][:2] == ["Learner", "Mobile (masked)"]
    assert "136****0001" in {row[1] for row in learners[1:]}
    assert {row[0] for row in learners[1:]} == {"王一", "王二", "王三"}
    lessons = list(
        csv.reader(
            io.StringIO(
                trainer.get("/studio/reports/courses/acme-safety/lessons.csv").data.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    # A title that a spreadsheet would run as a formula is neutralised.
    assert lessons[1][1].startswith("'=HYPERLINK")
    items = trainer.get("/studio/reports/courses/acme-safety/items.csv")
    assert items.status_code == 200
    assert "acme-safety-q1" in items.data.decode("utf-8-sig")
    assert trainer.get("/studio/reports/courses/acme-safety/secrets.csv").status_code == 404


def test_cohort_report_counts_only_its_members(content_app, trainer, course_data):
    _publish(content_app, trainer, course_data)
    people = People(content_app)
    inside = people.make(Role.LEARNER, name="李一", phone="13600000011")
    outside = people.make(Role.LEARNER, name="李二", phone="13600000012")
    cohort_id = _cohort(content_app, trainer.person.organisation_id, "一组", [inside.profile_id])
    _activity(content_app, inside.profile_id, "acme-safety", lessons_done=2, seconds=90, score=80)
    _activity(content_app, outside.profile_id, "acme-safety", lessons_done=1, seconds=30, score=0)
    page = trainer.get(f"/studio/reports/cohorts/{cohort_id}?course=acme-safety").text
    assert "李一" in page and "李二" not in page
    assert '<dd class="enrolled">1</dd>' in page
    assert '<dd class="pass-rate">100.0%</dd>' in page


def test_shipped_course_report_shows_only_own_cohort_learners(content_app, trainer):
    people = People(content_app)
    ours = people.make(Role.LEARNER, name="周一", phone="13600000021")
    theirs = people.make(Role.LEARNER, name="周二", phone="13600000022")
    _activity(content_app, ours.profile_id, "legal-safety", lessons_done=1, seconds=10, score=None)
    _activity(
        content_app, theirs.profile_id, "legal-safety", lessons_done=1, seconds=10, score=None
    )
    _cohort(content_app, trainer.person.organisation_id, "站点", [ours.profile_id])
    page = trainer.get("/studio/reports/courses/legal-safety").text
    assert "周一" in page and "周二" not in page


def test_large_learner_tables_paginate(content_app, trainer, course_data):
    _publish(content_app, trainer, course_data)
    with content_app.app_context():
        session = get_session()
        cohort = Cohort(organisation_id=trainer.person.organisation_id, name="大班")
        session.add(cohort)
        session.flush()
        for number in range(55):
            profile = Profile(
                user_ref=f"bulk-{number}", display_name=f"Rider {number:02d}", role=Role.LEARNER
            )
            session.add(profile)
            session.flush()
            session.add(CohortMember(cohort_id=cohort.id, profile_id=profile.id))
        session.commit()
    first = trainer.get("/studio/reports/courses/acme-safety").text
    assert "Page 1 of 2" in first
    assert "Rider 00" in first and "Rider 54" not in first
    second = trainer.get("/studio/reports/courses/acme-safety?page=2").text
    assert "Rider 54" in second
    full = trainer.get("/studio/reports/courses/acme-safety/learners.csv").data.decode("utf-8-sig")
    assert len(full.strip().splitlines()) == 56


def test_reports_count_only_what_a_learner_did_while_a_member(content_app, trainer, course_data):
    _publish(content_app, trainer, course_data)
    people = People(content_app)
    rider = people.make(Role.LEARNER, name="赵骑手", phone="13600000021")
    _activity(content_app, rider.profile_id, "acme-safety", lessons_done=2, seconds=90, score=90)
    cohort_id = _cohort(content_app, trainer.person.organisation_id, "晚班", [rider.profile_id])
    page = trainer.get(f"/studio/reports/cohorts/{cohort_id}?course=acme-safety").text
    # A member now, but everything was done before joining: nothing of it shows.
    assert "赵骑手" in page
    assert '<dd class="enrolled">1</dd>' in page and '<dd class="started">0</dd>' in page
    with content_app.app_context():
        member = get_session().scalars(select(CohortMember)).one()
        member.left_at = member.joined_at
        get_session().commit()
    page = trainer.get(f"/studio/reports/cohorts/{cohort_id}?course=acme-safety").text
    assert "赵骑手" not in page and '<dd class="enrolled">0</dd>' in page

"""Progress through a lesson: saved once, resumed anywhere, timed honestly."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Profile
from lms.courses.models import LessonProgress, StepEvent, StepEventKind
from lms.courses.progress import (
    IDLE_LIMIT,
    EventInput,
    ProgressError,
    completed_lesson_keys,
    record_event,
    seconds_by_step,
    training_seconds,
)
from lms.courses.resume import resume_point
from lms.courses.services import course_by_key, lesson_in
from lms.db import utcnow
from lms.signals import lesson_completed
from lms.state import get_session
from tests.conftest import make_app
from tests.courses.conftest import COURSE, LESSON, LESSON_URL, RIGHT, WRONG, sign_in


def events(app, profile_id, **where):
    with app.app_context():
        query = select(func.count(StepEvent.id)).where(StepEvent.profile_id == profile_id)
        for name, value in where.items():
            query = query.where(getattr(StepEvent, name) == value)
        return get_session().scalar(query)


def progress_of(app, profile_id, lesson_key=LESSON):
    with app.app_context():
        record = get_session().scalar(
            select(LessonProgress).where(
                LessonProgress.profile_id == profile_id, LessonProgress.lesson_key == lesson_key
            )
        )
        return None if record is None else (record.step, record.completed_at is not None)


def finish_lesson(learner, answers=RIGHT):
    for step in ("situation", "outcome", "rule"):
        assert learner.save(step).status_code == 303
    assert learner.save("decision", choice="c").status_code == 303
    assert learner.save("check", **answers).status_code == 303


def test_the_same_step_saved_twice_is_one_record(content_app, learner):
    first = learner.save("situation", key="retried-key-1")
    again = learner.save("situation", key="retried-key-1")
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"].endswith("step=decision")
    assert events(content_app, learner.profile_id, kind=StepEventKind.DONE) == 1


def test_an_answer_submitted_twice_is_graded_and_stored_once(content_app, learner):
    learner.save("check", key="answers-key-1", **WRONG)
    learner.save("check", key="answers-key-1", **RIGHT)
    assert events(content_app, learner.profile_id, kind=StepEventKind.ANSWER) == 2  # two questions
    with content_app.app_context():
        stored = (
            get_session()
            .scalars(select(StepEvent.correct).where(StepEvent.kind == StepEventKind.ANSWER))
            .all()
        )
    assert stored == [False, False]  # the retry did not overwrite the first answer


def test_two_learners_may_use_the_same_key(content_app, learners):
    one, two = learners(), learners(name="李四")
    one.stop()
    two.stop()
    one.save("situation", key="shared-key-1")
    two.save("situation", key="shared-key-1")
    assert events(content_app, one.profile_id) == events(content_app, two.profile_id) == 1


def test_progress_resumes_on_another_device(content_app, learner):
    learner.save("situation")
    learner.save("decision", choice="a")
    phone_two = sign_in(content_app, learner.person)
    phone_two.stop()
    home = phone_two.page("/")
    assert "Continue where you left off" in home.text
    assert f"{LESSON_URL}?step=outcome" in home.text
    redirect = phone_two.page(LESSON_URL)
    assert redirect.headers["Location"].endswith(f"{LESSON_URL}?step=outcome")
    with content_app.app_context():
        point = resume_point(learner.profile_id)
    assert (point.course_key, point.lesson_key, point.step) == (COURSE, LESSON, "outcome")


def test_the_decision_shows_the_chosen_consequence(learner):
    learner.save("decision", choice="a")
    page = learner.page(f"{LESSON_URL}?step=decision")
    assert "You chose" in page.text
    assert "rear wheels sweep into you" in page.text
    assert "Stay where you are, let the truck finish" not in page.text.split("You chose")[1]


def test_check_answers_are_graded_on_the_server_with_explanations(learner):
    learner.save("check", **WRONG)
    page = learner.page(f"{LESSON_URL}?step=check")
    assert "Not right" in page.text
    assert "rear wheels cut further in than its front wheels" in page.text


def test_a_missing_check_answer_asks_again_and_saves_nothing(content_app, learner):
    response = learner.save("check", **{"q-ls-helmet-c1": "false"})
    assert response.status_code == 400
    assert "Answer every question" in response.text
    assert events(content_app, learner.profile_id) == 0


@pytest.mark.parametrize(
    "step, fields",
    [
        ("decision", {"choice": "z"}),
        ("check", {"q-ls-helmet-c1": "maybe", "q-ls-helmet-c2": "b"}),
        ("check", {"q-ls-helmet-c1": "false", "q-ls-helmet-c2": "zz"}),
        ("nowhere", {}),
    ],
)
def test_tampered_steps_are_refused_without_a_change(content_app, learner, step, fields):
    response = learner.save(step, **fields)
    assert response.status_code == 400
    assert events(content_app, learner.profile_id) == 0
    assert progress_of(content_app, learner.profile_id) is None


def test_a_bad_event_key_is_refused(content_app, learner):
    assert learner.save("situation", key="<script>").status_code == 400
    assert events(content_app, learner.profile_id) == 0


def test_unknown_lessons_are_404(learner):
    assert (
        learner.save("situation", lesson_url=f"/courses/{COURSE}/lessons/nope").status_code == 404
    )
    assert learner.page("/courses/nope/lessons/ls-helmet?step=situation").status_code == 404
    assert learner.page(f"{LESSON_URL}?step=bogus").status_code == 404


def test_the_lesson_completes_once_after_every_step(content_app, learner):
    seen = []

    def receiver(sender, profile, lesson_version, **extra):
        seen.append((profile.id, lesson_version.key))

    lesson_completed.connect(receiver)
    try:
        finish_lesson(learner)
        learner.save("check", **RIGHT)  # answering again completes nothing new
    finally:
        lesson_completed.disconnect(receiver)
    assert seen == [(learner.profile_id, LESSON)]
    with content_app.app_context():
        assert completed_lesson_keys(learner.profile_id) == {LESSON}
    course = learner.page(f"/courses/{COURSE}")
    assert "1 of 9 lessons done" in course.text


def test_steps_arriving_out_of_order_still_complete_the_lesson(content_app, learner):
    learner.save("check", **RIGHT)
    assert progress_of(content_app, learner.profile_id) == ("situation", False)
    for step in ("rule", "outcome", "situation"):
        learner.save(step)
    assert progress_of(content_app, learner.profile_id) == ("decision", False)
    learner.save("decision", choice="b")
    assert progress_of(content_app, learner.profile_id) == ("check", True)


def test_progress_reported_saved_survives_a_restart(content_app, learner):
    assert learner.save("situation").status_code == 303
    assert learner.save("decision", choice="c").status_code == 303
    url = content_app.config["LMS_DATABASE_URL"]
    with content_app.app_context():
        get_session().remove()
        content_app.extensions["lms"].db.engine.dispose()
    restarted = make_app(url)
    try:
        phone = sign_in(restarted, learner.person)
        phone.stop()
        assert phone.page(LESSON_URL).headers["Location"].endswith("step=outcome")
        assert "You chose" in phone.page(f"{LESSON_URL}?step=decision").text
    finally:
        with restarted.app_context():
            get_session().remove()
            restarted.extensions["lms"].db.engine.dispose()


# --- Active time, through the service with an explicit clock ------------------


def _record(app, profile_id, step, kind, at, key, **extra):
    with app.app_context():
        profile = get_session().get(Profile, profile_id)
        course = course_by_key(COURSE)
        lesson = lesson_in(course.current_version, LESSON)
        event = EventInput(key=key, step=step, kind=kind, **extra)
        record_event(profile, course, lesson, event, now=at)
        get_session().commit()


def test_active_time_counts_the_gaps_between_steps(content_app, learner):
    start = utcnow() - timedelta(hours=1)
    pid = learner.profile_id
    _record(content_app, pid, "situation", StepEventKind.VIEW, start, "view-situation")
    _record(
        content_app,
        pid,
        "situation",
        StepEventKind.DONE,
        start + timedelta(seconds=70),
        "done-0001",
    )
    _record(
        content_app, pid, "decision", StepEventKind.VIEW, start + timedelta(seconds=71), "view-0002"
    )
    _record(
        content_app,
        pid,
        "decision",
        StepEventKind.DECISION,
        start + timedelta(seconds=101),
        "choice-1",
        choice="c",
    )
    with content_app.app_context():
        assert training_seconds(pid) == 101
        assert seconds_by_step(pid, LESSON) == {"situation": 70, "decision": 31}
        assert training_seconds(pid, [LESSON]) == 101
        assert training_seconds(pid, ["ls-red-light"]) == 0
        assert training_seconds(pid, []) == 0


def test_a_tab_left_open_overnight_adds_no_hours(content_app, learner):
    evening = utcnow() - timedelta(hours=11)
    pid = learner.profile_id
    _record(content_app, pid, "situation", StepEventKind.VIEW, evening, "view-evening")
    _record(
        content_app, pid, "situation", StepEventKind.DONE, evening + timedelta(hours=10), "next-day"
    )
    with content_app.app_context():
        assert training_seconds(pid) <= IDLE_LIMIT.total_seconds()
        assert training_seconds(pid) == 0


def test_time_between_two_lessons_is_not_counted(content_app, learner):
    pid = learner.profile_id
    start = utcnow() - timedelta(minutes=10)
    with content_app.app_context():
        profile = get_session().get(Profile, pid)
        course = course_by_key(COURSE)
        other = lesson_in(course.current_version, "ls-red-light")
        record_event(
            profile,
            course,
            other,
            EventInput("other-lesson", "situation", StepEventKind.VIEW),
            now=start,
        )
        get_session().commit()
    _record(
        content_app,
        pid,
        "situation",
        StepEventKind.VIEW,
        start + timedelta(seconds=60),
        "view-0001",
    )
    with content_app.app_context():
        assert training_seconds(pid) == 0


def test_an_offline_event_keeps_its_own_time_but_never_runs_ahead(content_app, learner):
    pid = learner.profile_id
    now = utcnow()
    with content_app.app_context():
        profile = get_session().get(Profile, pid)
        # The rider joined yesterday; the phone was offline for the last five hours.
        profile.created_at = now - timedelta(days=1)
        course = course_by_key(COURSE)
        lesson = lesson_in(course.current_version, LESSON)
        hours_ago = now - timedelta(hours=5)
        record_event(
            profile,
            course,
            lesson,
            EventInput("offline-view", "situation", StepEventKind.VIEW, at=hours_ago),
            now=now,
        )
        record_event(
            profile,
            course,
            lesson,
            EventInput(
                "offline-done",
                "situation",
                StepEventKind.DONE,
                at=hours_ago + timedelta(seconds=40),
            ),
            now=now,
        )
        # A clock in the future is pulled back to the server's time.
        record_event(
            profile,
            course,
            lesson,
            EventInput("future-0001", "decision", StepEventKind.VIEW, at=now + timedelta(days=2)),
            now=now,
        )
        get_session().commit()
        assert training_seconds(pid) == 40
        latest = get_session().scalar(
            select(func.max(StepEvent.occurred_at)).where(StepEvent.profile_id == pid)
        )
        assert latest <= now


def test_a_visitor_is_sent_to_log_in(content_app):
    response = content_app.test_client().get(f"{LESSON_URL}?step=situation")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_progress_error_carries_a_message(content_app, learner):
    with content_app.app_context():
        profile = get_session().get(Profile, learner.profile_id)
        course = course_by_key(COURSE)
        lesson = lesson_in(course.current_version, LESSON)
        with pytest.raises(ProgressError):
            record_event(
                profile, course, lesson, EventInput("k" * 10, "rule", StepEventKind.ANSWER)
            )

"""The quiz rules in lms.assessments.services: draw, limits, cooldown, time, grading once."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from lms.accounts.models import Organisation
from lms.assessments.models import AttemptStatus
from lms.assessments.services import (
    AttemptError,
    item_analysis_for,
    quiz_status,
    save_answer,
    start_attempt,
    submit_attempt,
)
from lms.db import utcnow
from lms.signals import attempt_graded
from lms.state import get_session
from tests.assessments.conftest import (
    course_of,
    mixed_bank,
    multiple,
    ordering,
    profile_of,
    put_in_cohort,
    single,
    true_false,
)


def topic_bank() -> list[dict]:
    """Twelve questions: 8 on traffic, 2 on accident, 2 on labour."""
    return (
        [single(f"tr-{n}", topic="traffic") for n in range(8)]
        + [single(f"ac-{n}", topic="accident") for n in range(2)]
        + [true_false(f"la-{n}", topic="labour") for n in range(2)]
    )


def right_answers(attempt) -> None:
    keys = {
        "single": "a",
        "multiple": ["a", "b"],
        "true_false": True,
        "ordering": ["one", "two", "three"],
        "scenario": {"mx-case-p1": "a", "mx-case-p2": False},
    }
    for question in attempt.questions:
        save_answer(attempt, question.position, keys[question.spec["type"]])


# --- the draw --------------------------------------------------------------------------------


def test_an_attempt_draws_the_policy_size_with_the_tag_minimums(app, quizzes, learner):
    key = quizzes.make(topic_bank(), draw=5, draw_by_tag={"accident": 2, "labour": 1})
    with app.app_context():
        for seed in range(15):
            attempt = start_attempt(profile_of(learner), course_of(key), rng=random.Random(seed))
            topics = Counter(q.spec["topic"] for q in attempt.questions)
            assert len(attempt.questions) == 5
            assert len({q.question_key for q in attempt.questions}) == 5
            assert topics["accident"] == 2
            assert topics["labour"] >= 1
            assert [q.position for q in attempt.questions] == [1, 2, 3, 4, 5]
            get_session().rollback()


def test_every_attempt_gets_a_fresh_draw(app, quizzes, learner):
    bank = [single(f"q-{n}") for n in range(30)]
    key = quizzes.make(bank, draw=5, max_attempts=0, cooldown_minutes=0)
    drawn = []
    with app.app_context():
        for _ in range(3):
            attempt = start_attempt(profile_of(learner), course_of(key))
            drawn.append(frozenset(q.question_key for q in attempt.questions))
            submit_attempt(attempt)
            get_session().commit()
    # Three identical draws of 5 out of 30 would happen once in 2 * 10^10 runs.
    assert len(set(drawn)) > 1


def test_without_shuffling_questions_and_options_keep_the_bank_order(app, quizzes, learner):
    key = quizzes.make(
        [single("s-1"), ordering("s-2"), multiple("s-3")],
        shuffle_questions=False,
        shuffle_options=False,
    )
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        assert [q.question_key for q in attempt.questions] == ["s-1", "s-2", "s-3"]
        assert attempt.questions[0].option_order == ["a", "b", "c"]
        assert attempt.questions[2].option_order == ["a", "b", "c", "d"]
        # The items of an ordering question are written in the right order: always shuffled.
        assert attempt.questions[1].option_order != ["one", "two", "three"]


def test_the_attempt_stores_exactly_what_the_learner_saw(app, quizzes, learner):
    key = quizzes.make()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        case = next(q for q in attempt.questions if q.question_key == "mx-case")
        assert set(case.option_order) == {"mx-case-p1", "mx-case-p2"}
        assert sorted(case.option_order["mx-case-p1"]) == ["a", "b", "c"]
        assert all(q.question_version.spec["id"] == q.question_key for q in attempt.questions)
        assert attempt.policy["pass_mark"] == 80
        assert attempt.review_mode == "explanations"


# --- one open attempt, limits, cooldown --------------------------------------------------------


def test_starting_again_returns_the_open_attempt(app, quizzes, learner):
    key = quizzes.make()
    with app.app_context():
        first = start_attempt(profile_of(learner), course_of(key))
        get_session().commit()
        again = start_attempt(profile_of(learner), course_of(key))
        assert again.id == first.id
        assert again.number == 1


def test_attempt_limit(app, quizzes, learner):
    key = quizzes.make(max_attempts=2, cooldown_minutes=0)
    with app.app_context():
        for number in (1, 2):
            attempt = start_attempt(profile_of(learner), course_of(key))
            assert attempt.number == number
            submit_attempt(attempt)
            get_session().commit()
        with pytest.raises(AttemptError) as refused:
            start_attempt(profile_of(learner), course_of(key))
        assert refused.value.status == 403
        status = quiz_status(profile_of(learner), course_of(key))
        assert status.attempts_used == 2
        assert status.attempts_left == 0
        assert not status.can_start


def test_cooldown_between_attempts(app, quizzes, learner):
    key = quizzes.make(max_attempts=0, cooldown_minutes=30)
    start = utcnow()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key), now=start)
        submit_attempt(attempt, now=start + timedelta(minutes=5))
        get_session().commit()
        with pytest.raises(AttemptError) as refused:
            start_attempt(profile_of(learner), course_of(key), now=start + timedelta(minutes=34))
        assert refused.value.status == 409
        status = quiz_status(profile_of(learner), course_of(key), now=start + timedelta(minutes=20))
        assert status.cooldown_until == start + timedelta(minutes=35)
        second = start_attempt(
            profile_of(learner), course_of(key), now=start + timedelta(minutes=35)
        )
        assert second.number == 2


def test_attempts_of_one_learner_do_not_count_for_another(app, quizzes, people):
    key = quizzes.make(max_attempts=1)
    first, second = people.make(), people.make()
    with app.app_context():
        submit_attempt(start_attempt(profile_of(first), course_of(key)))
        get_session().commit()
        assert start_attempt(profile_of(second), course_of(key)).number == 1


# --- answers and time ------------------------------------------------------------------------


def test_saving_the_same_answer_twice_is_one_state(app, quizzes, learner):
    key = quizzes.make()
    start = utcnow()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key), now=start)
        saved = save_answer(attempt, "mx-multiple", ["b", "a"], now=start + timedelta(minutes=1))
        again = save_answer(attempt, "mx-multiple", ["a", "b"], now=start + timedelta(minutes=2))
        assert again is saved
        assert saved.answer == ["a", "b"]
        assert saved.answered_at == start + timedelta(minutes=1)


def test_time_limit_refuses_late_answers_and_grades_what_was_saved_in_time(app, quizzes, learner):
    key = quizzes.make([single("t-1"), single("t-2")], time_limit_minutes=10, pass_mark=50)
    start = utcnow()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key), now=start)
        assert attempt.deadline == start + timedelta(minutes=10)
        save_answer(attempt, "t-1", "a", now=start + timedelta(minutes=9))
        get_session().commit()
        with pytest.raises(AttemptError) as refused:
            save_answer(attempt, "t-2", "a", now=start + timedelta(minutes=11))
        assert refused.value.status == 409
        get_session().rollback()
        late = submit_attempt(attempt, now=start + timedelta(minutes=15))
        assert late.status == AttemptStatus.GRADED
        assert late.score_percent == 50.0
        assert late.submitted_at == start + timedelta(minutes=15)


def test_an_answer_that_slipped_in_after_the_deadline_does_not_count(app, quizzes, learner):
    key = quizzes.make([single("t-1")], time_limit_minutes=10)
    start = utcnow()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key), now=start)
        question = attempt.questions[0]
        question.answer, question.answered_at = "a", start + timedelta(minutes=12)
        get_session().flush()
        assert submit_attempt(attempt, now=start + timedelta(minutes=13)).score_percent == 0.0


def test_an_expired_open_attempt_is_graded_when_the_learner_starts_again(app, quizzes, learner):
    key = quizzes.make([single("t-1")], time_limit_minutes=10, cooldown_minutes=0)
    start = utcnow()
    with app.app_context():
        first = start_attempt(profile_of(learner), course_of(key), now=start)
        save_answer(first, 1, "a", now=start + timedelta(minutes=1))
        second = start_attempt(profile_of(learner), course_of(key), now=start + timedelta(hours=1))
        assert first.status == AttemptStatus.GRADED
        assert first.score_percent == 100.0
        assert second.number == 2


# --- grading once ----------------------------------------------------------------------------


def test_grading_stores_the_result_and_signals_once(app, quizzes, learner):
    key = quizzes.make()
    graded: list[int] = []

    def listener(sender, attempt):
        graded.append(attempt.id)

    with app.app_context(), attempt_graded.connected_to(listener):
        attempt = start_attempt(profile_of(learner), course_of(key))
        right_answers(attempt)
        submit_attempt(attempt)
        with pytest.raises(AttemptError) as twice:
            submit_attempt(attempt)
        assert twice.value.status == 409
        assert graded == [attempt.id]
        assert attempt.score_percent == 100.0
        assert attempt.passed is True
        assert attempt.critical_failed == []
        assert attempt.by_topic == {"traffic": [3.0, 3], "accident": [2.0, 2]}
        assert all(q.correct and q.points == 1.0 for q in attempt.questions)
        case = next(q for q in attempt.questions if q.question_key == "mx-case")
        assert len(case.score["parts"]) == 2


def test_a_missed_critical_question_fails_the_attempt(app, quizzes, learner):
    key = quizzes.make(pass_mark=50)
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        right_answers(attempt)
        save_answer(attempt, "mx-single", "b")
        submit_attempt(attempt)
        assert attempt.score_percent == 80.0
        assert attempt.passed is False
        assert attempt.critical_failed == ["mx-single"]


def test_answers_are_refused_after_grading(app, quizzes, learner):
    key = quizzes.make()
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        submit_attempt(attempt)
        with pytest.raises(AttemptError) as refused:
            save_answer(attempt, 1, None)
        assert refused.value.status == 409


def test_a_tampered_answer_or_question_is_refused(app, quizzes, learner):
    key = quizzes.make(mixed_bank())
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        with pytest.raises(AttemptError) as foreign:
            save_answer(attempt, "mx-single", "z")
        assert foreign.value.status == 400
        with pytest.raises(AttemptError) as missing:
            save_answer(attempt, 99, "a")
        assert missing.value.status == 404
        with pytest.raises(AttemptError):
            save_answer(attempt, "another-question", "a")
        assert all(q.answer is None for q in attempt.questions)


def test_item_analysis_counts_every_version_of_a_question_under_its_key(app, quizzes, learner):
    key = quizzes.make([single("iv-1")], max_attempts=0, cooldown_minutes=0)
    put_in_cohort(app, learner, "版本统计站")
    with app.app_context():
        attempt = start_attempt(profile_of(learner), course_of(key))
        save_answer(attempt, 1, "a")
        submit_attempt(attempt)
        get_session().commit()
    # A content fix publishes a new wording of the same question.
    reworded = single("iv-1")
    reworded["prompt"] = {"zh_CN": "新的说法", "en": "New wording"}
    quizzes.make([reworded], key="second-course")
    with app.app_context():
        from lms.assessments.models import Attempt

        attempt = start_attempt(profile_of(learner), course_of("second-course"))
        save_answer(attempt, 1, "b")
        submit_attempt(attempt)
        # Pretend both attempts were at the same course, as after a new version.
        for each in get_session().query(Attempt):
            each.course_key = key
        get_session().flush()
        station = get_session().scalar(
            sa.select(Organisation.id).where(Organisation.name == "版本统计站")
        )
        report = item_analysis_for(key, station)
        assert [(s.question_id, s.answered, s.difficulty) for s in report.stats] == [
            ("iv-1", 2, 0.5)
        ]
        assert report.prompts["iv-1"]["en"] == "New wording"

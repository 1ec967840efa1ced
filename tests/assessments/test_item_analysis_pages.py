"""Item analysis for trainers: figures checked by hand, organisation scope, CSV."""

from __future__ import annotations

import csv
import io

import pytest

from lms.accounts.models import Role
from lms.assessments.services import item_analysis_for, save_answer, start_attempt, submit_attempt
from lms.state import get_session
from tests.assessments.conftest import (
    client_for,
    course_of,
    profile_of,
    put_in_cohort,
    single,
    true_false,
)

# Four learners answer four questions (q1, q2: key "a"; q3, q4: true).
#            q1  q2  q3     q4     total
#   A        a   b   true   true   75 %  <- upper group (27 % of 4 = 1 attempt)
#   B        a   c   true   false  50 %
#   C        a   a   false  false  50 %
#   D        b   a   false  false  25 %  <- lower group
# q1: 3/4 right = 0.75, D = 1 - 0 = 1.0, chosen a=3 b=1
# q2: 2/4 right = 0.50, D = 0 - 1 = -1.0 (the weak get it, the strong miss it), a=2 b=1 c=1
# q3: 2/4 right = 0.50, D = 1.0, true=2 false=2
# q4: 1/4 right = 0.25, D = 1.0, true=1 false=3
CHOICES = {
    "A": ["a", "b", True, True],
    "B": ["a", "c", True, False],
    "C": ["a", "a", False, False],
    "D": ["b", "a", False, False],
}
EXPECTED = [
    ("ia-q1", 4, 0.75, 1.0, {"a": 3, "b": 1}, []),
    ("ia-q2", 4, 0.5, -1.0, {"a": 2, "b": 1, "c": 1}, ["negative-discrimination"]),
    ("ia-q3", 4, 0.5, 1.0, {"false": 2, "true": 2}, []),
    ("ia-q4", 4, 0.25, 1.0, {"false": 3, "true": 1}, []),
]
ORGANISATION = "甲培训中心"


@pytest.fixture
def analysed_quiz(app, quizzes, people):
    """The hand-made example, plus one attempt by a learner of another organisation."""
    bank = [single("ia-q1"), single("ia-q2"), true_false("ia-q3"), true_false("ia-q4")]
    key = quizzes.make(bank, shuffle_questions=False, max_attempts=0, pass_mark=50)
    learners = {name: people.make(name=f"学员{name}") for name in [*CHOICES, "X"]}
    for name, person in learners.items():
        put_in_cohort(app, person, ORGANISATION if name != "X" else "乙培训中心")
    with app.app_context():
        for name, person in learners.items():
            attempt = start_attempt(profile_of(person), course_of(key))
            for position, answer in enumerate(CHOICES.get(name, ["c", "c", False, False]), 1):
                save_answer(attempt, position, answer)
            submit_attempt(attempt)
            get_session().commit()
    return key


def figures(stats):
    return [
        (s.question_id, s.answered, s.difficulty, s.discrimination, s.option_counts, s.flags)
        for s in stats
    ]


def test_figures_match_the_hand_computed_example(app, analysed_quiz):
    with app.app_context():
        organisation_id = profile_of_org(app)
        report = item_analysis_for(analysed_quiz, organisation_id)
        assert report.attempts == 4
        assert figures(report.stats) == EXPECTED


def profile_of_org(app) -> int:
    from sqlalchemy import select

    from lms.accounts.models import Organisation

    return get_session().scalar(select(Organisation.id).where(Organisation.name == ORGANISATION))


def test_trainer_page_shows_the_figures_of_their_organisation(app, analysed_quiz, people):
    trainer = people.make(Role.TRAINER, name="李老师", organisation=ORGANISATION)
    page = client_for(app, trainer).get(f"/staff/courses/{analysed_quiz}/items")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "4 graded attempts by learners of your organisation." in text
    assert "Prompt of ia-q2" in text
    assert "75%" in text
    assert "-1.00" in text
    assert "Weak learners do better on this than strong ones." in text
    assert "Option a of ia-q1" in text


def test_admin_sees_the_same_organisation_scope(app, analysed_quiz, people):
    admin = people.make(Role.ADMIN, name="王主任", organisation=ORGANISATION)
    text = (
        client_for(app, admin).get(f"/staff/courses/{analysed_quiz}/items").get_data(as_text=True)
    )
    assert "4 graded attempts" in text


def test_a_trainer_of_another_organisation_sees_only_their_learner(app, analysed_quiz, people):
    other = people.make(Role.TRAINER, name="外单位", organisation="乙培训中心")
    text = (
        client_for(app, other).get(f"/staff/courses/{analysed_quiz}/items").get_data(as_text=True)
    )
    assert "1 graded attempt by learners of your organisation." in text


def test_csv_has_the_same_figures(app, analysed_quiz, people):
    trainer = people.make(Role.TRAINER, name="李老师", organisation=ORGANISATION)
    response = client_for(app, trainer).get(f"/staff/courses/{analysed_quiz}/items.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [
        (r["question_id"], r["answered"], r["difficulty"], r["discrimination"]) for r in rows
    ] == [
        ("ia-q1", "4", "0.7500", "1.0000"),
        ("ia-q2", "4", "0.5000", "'-1.0000"),
        ("ia-q3", "4", "0.5000", "1.0000"),
        ("ia-q4", "4", "0.2500", "1.0000"),
    ]
    assert rows[1]["option_counts"] == "a=2;b=1;c=1"
    assert rows[0]["title"] == "Prompt of ia-q1"


def test_learners_cannot_see_item_analysis(app, analysed_quiz, learner):
    client = client_for(app, learner)
    assert client.get(f"/staff/courses/{analysed_quiz}/items").status_code == 403
    assert client.get(f"/staff/courses/{analysed_quiz}/items.csv").status_code == 403


def test_item_pages_are_paginated(app, quizzes, people):
    bank = [single(f"pg-{n:02d}") for n in range(25)]
    key = quizzes.make(bank, draw=25, shuffle_questions=False)
    learner = people.make()
    put_in_cohort(app, learner, ORGANISATION)
    with app.app_context():
        submit_attempt(start_attempt(profile_of(learner), course_of(key)))
        get_session().commit()
    trainer = client_for(app, people.make(Role.TRAINER, name="李老师", organisation=ORGANISATION))
    first = trainer.get(f"/staff/courses/{key}/items").get_data(as_text=True)
    second = trainer.get(f"/staff/courses/{key}/items?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert "Prompt of pg-00" in first and "Prompt of pg-24" not in first
    assert "Prompt of pg-24" in second


def test_too_few_attempts_are_warned_about_on_the_page_and_per_question(app, analysed_quiz, people):
    trainer = people.make(Role.TRAINER, name="李老师", organisation=ORGANISATION)
    text = (
        client_for(app, trainer).get(f"/staff/courses/{analysed_quiz}/items").get_data(as_text=True)
    )
    assert "Only 4 graded attempts so far: with fewer than 30" in text
    assert text.count("Answered 4 times: too few for these figures to mean much yet.") == 4


def test_thirty_answers_are_enough_for_the_figures():
    from lms.assessments.item_analysis import too_few_answers

    assert too_few_answers(29)
    assert not too_few_answers(30)

"""Fixtures of the assessments tests: hand-made quizzes, learners, attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.accounts.models import Cohort, CohortMember, Organisation, Profile
from lms.assessments.models import Attempt
from lms.assessments.services import DEFAULT_POLICY
from lms.courses.models import Area, Course, CourseVersion, QuestionVersion, QuizQuestion
from lms.courses.services import course_by_key, spec_hash
from lms.state import get_session
from tests.conftest import People, Person, csrf_token_for, log_in, post_form


def t(en: str) -> dict[str, str]:
    return {"zh_CN": f"中文：{en}", "en": en}


def _common(qid: str, qtype: str, topic: str | None, critical: bool) -> dict[str, Any]:
    return {
        "id": qid,
        "type": qtype,
        "topic": topic,
        "difficulty": 1,
        "critical": critical,
        "prompt": t(f"Prompt of {qid}"),
        "explanation": t(f"Explanation of {qid}"),
        "rule": t(f"Rule of {qid}"),
    }


def single(
    qid: str, key: str = "a", topic: str | None = "traffic", critical: bool = False
) -> dict[str, Any]:
    spec = _common(qid, "single", topic, critical)
    spec["options"] = [
        {
            "id": oid,
            "text": t(f"Option {oid} of {qid}"),
            "correct": oid == key,
            "feedback": t(f"Feedback {oid} of {qid}"),
        }
        for oid in "abc"
    ]
    return spec


def multiple(qid: str, keys: str = "ab", scoring: str = "all_or_nothing") -> dict[str, Any]:
    spec = _common(qid, "multiple", "traffic", False)
    spec["scoring"] = scoring
    spec["options"] = [
        {"id": oid, "text": t(f"Option {oid} of {qid}"), "correct": oid in keys, "feedback": None}
        for oid in "abcd"
    ]
    return spec


def true_false(qid: str, answer: bool = True, topic: str | None = "traffic") -> dict[str, Any]:
    spec = _common(qid, "true_false", topic, False)
    spec["answer"] = answer
    return spec


def ordering(qid: str) -> dict[str, Any]:
    spec = _common(qid, "ordering", "accident", False)
    spec["items"] = [
        {"id": iid, "text": t(f"Step {iid} of {qid}")} for iid in ("one", "two", "three")
    ]
    return spec


def scenario(qid: str) -> dict[str, Any]:
    spec = _common(qid, "scenario", "accident", False)
    spec["case"] = t(f"Case of {qid}")
    spec["scoring"] = "per_part"
    first = single(f"{qid}-p1")
    second = true_false(f"{qid}-p2", answer=False)
    for part in (first, second):
        del part["rule"]
    spec["parts"] = [first, second]
    return spec


def mixed_bank() -> list[dict[str, Any]]:
    """One question of every type, the single-choice one critical."""
    return [
        single("mx-single", critical=True),
        multiple("mx-multiple"),
        true_false("mx-tf"),
        ordering("mx-order"),
        scenario("mx-case"),
    ]


@dataclass
class Quizzes:
    """Publishes hand-made courses whose quiz uses exactly the given bank and policy."""

    app: Flask

    def make(
        self,
        questions: list[dict[str, Any]] | None = None,
        key: str = "test-course",
        organisation_id: int | None = None,
        **policy: Any,
    ) -> str:
        questions = questions if questions is not None else mixed_bank()
        policy = {**DEFAULT_POLICY, "draw": len(questions), **policy}
        with self.app.app_context():
            from lms.accounts.services import publishing_organisation

            session = get_session()
            shipped = organisation_id is None
            if organisation_id is None:
                organisation_id = publishing_organisation().id
            course = Course(
                key=key, area=Area.LEGAL_SAFETY, organisation_id=organisation_id, shipped=shipped
            )
            session.add(course)
            session.flush()
            version = CourseVersion(
                course_id=course.id,
                number=1,
                content_hash=key,
                title=t(f"Course {key}"),
                summary=t("Summary"),
                occupations=[],
                level=5,
                quiz_key=f"{key}-quiz",
                quiz_title=t(f"Quiz of {key}"),
                quiz_policy=policy,
                organisation_id=organisation_id,
            )
            for position, spec in enumerate(questions, start=1):
                question = QuestionVersion(key=spec["id"], content_hash=spec_hash(spec), spec=spec)
                version.quiz_questions.append(QuizQuestion(question=question, position=position))
            session.add(version)
            session.flush()
            course.current_version = version
            session.commit()
        return key

    def set_policy(self, key: str, **changes: Any) -> None:
        with self.app.app_context():
            version = course_by_key(key).current_version
            version.quiz_policy = {**version.quiz_policy, **changes}
            get_session().commit()


@pytest.fixture
def quizzes(app: Flask) -> Quizzes:
    return Quizzes(app)


@pytest.fixture
def learner(people: People) -> Person:
    return people.make(name="学员甲")


@pytest.fixture
def learner_client(app: Flask, learner: Person) -> FlaskClient:
    return client_for(app, learner)


def client_for(app: Flask, person: Person) -> FlaskClient:
    """A test client logged in as ``person`` that asks for English pages."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, person.phone)
    return client


def profile_of(person: Person) -> Profile:
    """The person's profile in the current app context."""
    return get_session().get(Profile, person.profile_id)


def course_of(key: str) -> Course:
    return course_by_key(key)


def attempt_by_id(attempt_id: int) -> Attempt:
    session = get_session()
    session.expire_all()
    return session.get(Attempt, attempt_id)


def age_attempt(app: Flask, attempt_id: int, minutes: float) -> None:
    """Move an attempt ``minutes`` into the past, answers included (instead of waiting)."""
    with app.app_context():
        attempt = get_session().get(Attempt, attempt_id)
        shift = timedelta(minutes=minutes)
        attempt.started_at -= shift
        if attempt.deadline is not None:
            attempt.deadline -= shift
        for question in attempt.questions:
            if question.answered_at is not None:
                question.answered_at -= shift
        get_session().commit()


def put_in_cohort(app: Flask, person: Person, organisation_name: str) -> None:
    """Add a learner to a cohort of the named organisation (created if missing)."""
    from lms.accounts.models import OrganisationKind
    from lms.accounts.services import get_or_create_organisation

    with app.app_context():
        org: Organisation = get_or_create_organisation(
            organisation_name, OrganisationKind.TRAINING_PROVIDER
        )
        session = get_session()
        cohort = Cohort(organisation_id=org.id, name=f"{organisation_name} 班")
        session.add(cohort)
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, profile_id=person.profile_id))
        session.commit()


def start(client: FlaskClient, key: str) -> int:
    """Start an attempt through the quiz page; return its id."""
    response = post_form(client, f"/courses/{key}/quiz/start", {})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def autosave(client: FlaskClient, attempt_id: int, position: int, body: Any) -> Any:
    """Save one answer the way quiz.js does."""
    return client.post(
        f"/attempts/{attempt_id}/answers/{position}",
        json=body,
        headers={"X-CSRFToken": csrf_token_for(client), "Accept": "application/json"},
    )


def positions(app: Flask, attempt_id: int) -> dict[str, int]:
    """Question key -> position in the attempt (questions are shuffled)."""
    with app.app_context():
        attempt = get_session().get(Attempt, attempt_id)
        return {q.question_key: q.position for q in attempt.questions}


def stored(app: Flask, attempt_id: int) -> Attempt:
    """The attempt as stored, with its questions, detached for reading."""
    with app.app_context():
        attempt = get_session().get(Attempt, attempt_id)
        _ = [q.answer for q in attempt.questions]
        get_session().expunge_all()
        return attempt

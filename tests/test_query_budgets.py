"""Query budgets of the pages riders open most: SQL statements per page, with
the shipped content and a learner who has done a lot, and the same count for
one who has done almost nothing (a page's cost never grows with history).

Each page is opened once before counting: published content is read once per
process, and what is counted is every request after that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import select

from lms.accounts.models import Profile
from lms.assessments.models import Attempt
from lms.certificates import tokens
from lms.certificates.models import Certificate
from lms.certificates.receivers import issue_for_attempt
from lms.courses.models import Course, LessonProgress
from lms.db import utcnow
from lms.levels.services import achievements_for, check_levels
from lms.state import get_session
from tests.conftest import People, _dispose, build_test_app
from tests.courses.conftest import ENGLISH, RIGHT, WRONG, Learner, sign_in
from tests.levels.conftest import add_attempt, critical_keys

#: The most statements each page may run; transaction control (BEGIN,
#: SAVEPOINT) is not a statement of the page's and is not counted.
BUDGETS = {
    "home": 6,
    "levels": 6,
    "lesson": 6,
    "lesson decision": 6,
    "course": 5,
    "quiz": 8,
}
VISITOR_BUDGETS = {"verify": 2, "verify api": 2}
PAGES = {
    "home": "/",
    "levels": "/levels",
    "lesson": "/courses/legal-safety/lessons/ls-helmet?step=check",
    "lesson decision": "/courses/legal-safety/lessons/ls-helmet?step=decision",
    "course": "/courses/legal-safety",
    "quiz": "/courses/legal-safety/quiz",
}
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


@pytest.fixture
def budget_app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The shipped content and tracks, with certificates signed as in production.

    Certificates are issued without their PDF (the job runner renders it
    later): the pages counted here never read it.
    """
    application = build_test_app(
        database_backend,
        tmp_path,
        with_content=True,
        LMS_SIGNING_KEY=tokens.generate_key()[0],
        LMS_PUBLIC_URL="https://lms.example.cn",
    )
    yield application
    _dispose(application)


def statements(app: Flask) -> Callable[[], list[str]]:
    """Start noting the SQL the app runs; the returned call hands over what was
    noted since the last call."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    with app.app_context():
        sa.event.listen(app.extensions["lms"].db.engine, "before_cursor_execute", note)

    def taken() -> list[str]:
        found = list(seen)
        seen.clear()
        return found

    return taken


def newcomer(app: Flask, people: People) -> Learner:
    """A learner who has read the first step of one lesson and nothing more."""
    learner = sign_in(app, people.make(name="新骑手"))
    learner.stop()
    assert learner.save("situation").status_code == 303
    return learner


def veteran(app: Flask, people: People) -> Learner:
    """A learner with lessons in every course, attempts, levels, certificates and reviews."""
    learner = sign_in(app, people.make(name="老骑手"))
    learner.stop()
    for step in ("situation", "decision", "outcome", "rule"):
        fields = {"choice": "a"} if step == "decision" else {}
        learner.save(step, **fields)
    # A wrong check answer puts questions into the review queue; then the right one.
    assert learner.save("check", **WRONG).status_code in (303, 400)
    assert learner.save("check", **RIGHT).status_code == 303
    with app.app_context():
        profile_id = learner.profile_id
        for course in ("legal-safety", "logistics", "ecommerce"):
            finish_other_lessons(profile_id, course)
            add_attempt(profile_id, course, 40, passed=False)
            add_attempt(profile_id, course, 95, correct=critical_keys(course))
        check_levels(get_session().get(Profile, profile_id))
        for attempt in get_session().scalars(
            select(Attempt).where(Attempt.profile_id == profile_id, Attempt.passed.is_(True))
        ):
            issue_for_attempt(attempt)
        get_session().commit()
        assert achievements_for(profile_id), "the veteran should hold a level"
        held = get_session().scalar(
            select(sa.func.count())
            .select_from(Certificate)
            .where(Certificate.profile_id == profile_id)
        )
        assert held >= 3, held
    return learner


def finish_other_lessons(profile_id: int, course_key: str) -> None:
    """Finish every lesson of the course the learner has not touched in the player."""
    session = get_session()
    started = set(
        session.scalars(
            select(LessonProgress.lesson_key).where(LessonProgress.profile_id == profile_id)
        )
    )
    course = session.scalar(select(Course).where(Course.key == course_key))
    now = utcnow()
    for lesson in course.current_version.lessons:
        if lesson.key in started:
            continue
        session.add(
            LessonProgress(
                profile_id=profile_id,
                course_key=course_key,
                lesson_key=lesson.key,
                lesson_version_id=lesson.id,
                step="check",
                steps_done=["situation", "decision", "outcome", "rule", "check"],
                started_at=now,
                updated_at=now,
                completed_at=now,
            )
        )
    session.flush()


def counts(learner: Learner, taken: Callable[[], list[str]]) -> dict[str, list[str]]:
    """The statements of each page, each page opened once first."""
    found = {}
    for name, url in PAGES.items():
        assert learner.page(url).status_code == 200, name
        taken()
        response = learner.page(url)
        found[name] = taken()
        assert response.status_code == 200, (name, response.status_code)
    return found


def report(found: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{name}: {len(sql)}\n  " + "\n  ".join(" ".join(s.split())[:160] for s in sql)
        for name, sql in found.items()
    )


def test_each_rider_page_stays_within_its_query_budget(budget_app: Flask) -> None:
    people = People(budget_app)
    learner = veteran(budget_app, people)
    taken = statements(budget_app)

    found = counts(learner, taken)

    over = {name: len(sql) for name, sql in found.items() if len(sql) > BUDGETS[name]}
    assert not over, f"over budget {over} (budgets {BUDGETS}):\n{report(found)}"


def test_a_page_costs_the_same_for_a_newcomer_and_a_veteran(budget_app: Flask) -> None:
    people = People(budget_app)
    light, heavy = newcomer(budget_app, people), veteran(budget_app, people)
    taken = statements(budget_app)

    light_counts = {name: len(sql) for name, sql in counts(light, taken).items()}
    heavy_found = counts(heavy, taken)
    heavy_counts = {name: len(sql) for name, sql in heavy_found.items()}

    assert light_counts == heavy_counts, report(heavy_found)


def test_public_verification_stays_within_its_query_budget(budget_app: Flask) -> None:
    people = People(budget_app)
    learner = veteran(budget_app, people)
    with budget_app.app_context():
        number = get_session().scalar(
            select(Certificate.number).where(Certificate.profile_id == learner.profile_id).limit(1)
        )
    visitor = budget_app.test_client()
    taken = statements(budget_app)
    found = {}
    for name, url in {
        "verify": f"/verify/{number}",
        "verify api": f"/api/v1/certificates/{number}",
    }.items():
        assert visitor.get(url, headers=ENGLISH).status_code == 200, name
        taken()
        assert visitor.get(url, headers=ENGLISH).status_code == 200, name
        found[name] = taken()

    over = {name: len(sql) for name, sql in found.items() if len(sql) > VISITOR_BUDGETS[name]}
    assert not over, report(found)

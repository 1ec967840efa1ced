"""Reports are counted by the database: a page runs the same statements for 3
learners as for 30, and the streamed CSV holds every learner."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import text

from lms.accounts.models import CohortMember, Role
from lms.state import get_session
from tests.conftest import People
from tests.studio.test_studio_reports import _activity, _cohort, _publish
from tests.test_query_budgets import statements

PAGES = (
    "/studio/reports/courses/acme-safety",
    "/studio/reports/courses/acme-safety?page=2",
    "/studio/reports/cohorts/{cohort}?course=acme-safety",
    "/studio/reports/courses/acme-safety/learners.csv",
    "/studio/reports/cohorts/{cohort}/lessons.csv?course=acme-safety",
    "/studio/reports/courses/acme-safety/items.csv",
    "/staff/courses/acme-safety/items",
    "/staff/courses/acme-safety/items.csv",
)


def _statements_per_page(trainer, taken, cohort_id: int) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        path = page.format(cohort=cohort_id)
        # Published content is read once per process: count the second request.
        assert trainer.get(path).status_code == 200, path
        taken()
        response = trainer.get(path)
        assert response.status_code == 200, path
        response.get_data()  # a streamed CSV runs its statements while it is read
        counts[path] = len(taken())
    return counts


def _learners(people: People, count: int, first: int) -> list[int]:
    """``count`` learners of one name (the table orders them by id), phones 137000000NN."""
    return [
        people.make(Role.LEARNER, name="骑手", phone=f"137{number:08d}").profile_id
        for number in range(first, first + count)
    ]


def test_a_report_page_runs_as_many_statements_for_30_learners_as_for_3(
    content_app, trainer, course_data
):
    _publish(content_app, trainer, course_data)
    people = People(content_app)
    few = _learners(people, 3, 0)
    cohort_id = _cohort(content_app, trainer.person.organisation_id, "夜班", few)
    for position, profile_id in enumerate(few):
        _activity(
            content_app,
            profile_id,
            "acme-safety",
            lessons_done=position % 3,
            seconds=30 * (position + 1),
            score=[100, 40, 70][position],
        )
    taken = statements(content_app)
    with_three = _statements_per_page(trainer, taken, cohort_id)

    many = _learners(people, 27, 3)
    with content_app.app_context():
        for profile_id in many:
            get_session().add(CohortMember(cohort_id=cohort_id, profile_id=profile_id))
        get_session().commit()
    for position, profile_id in enumerate(many):
        _activity(
            content_app,
            profile_id,
            "acme-safety",
            lessons_done=position % 3,
            seconds=10 * (position + 1),
            score=None if position % 4 == 0 else (position * 7) % 101,
        )
    with_thirty = _statements_per_page(trainer, taken, cohort_id)
    assert with_thirty == with_three

    page = trainer.get("/studio/reports/courses/acme-safety").text
    assert '<dd class="enrolled">30</dd>' in page
    learners = list(
        csv.reader(
            io.StringIO(
                trainer.get("/studio/reports/courses/acme-safety/learners.csv").data.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [row[1] for row in learners[1:]] == [f"137****{number:04d}" for number in range(30)]


def test_an_unknown_csv_table_is_refused_before_anything_is_sent(content_app, trainer, course_data):
    _publish(content_app, trainer, course_data)
    response = trainer.get("/studio/reports/courses/acme-safety/everything.csv")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_report_may_sort_in_memory_on_postgresql_for_its_own_transaction_only(content_app):
    from lms.state import allow_report_memory

    with content_app.app_context():
        session = get_session()
        postgres = session.get_bind().dialect.name == "postgresql"
        before = session.execute(text("SHOW work_mem")).scalar() if postgres else None
        allow_report_memory()  # on SQLite: nothing to set
        if postgres:
            assert session.execute(text("SHOW work_mem")).scalar() == "64MB"
            session.rollback()
            assert session.execute(text("SHOW work_mem")).scalar() == before
        content_app.config["LMS_REPORT_WORK_MEM"] = "64MB'; DROP TABLE lms_user; --"
        if postgres:
            with pytest.raises(ValueError, match="LMS_REPORT_WORK_MEM"):
                allow_report_memory()
        session.rollback()

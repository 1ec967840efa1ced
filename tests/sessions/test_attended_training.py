"""Attendance counts as training: a check-in credits the session's real length
(from the scan on, or the whole session when the trainer vouches by hand), shows
in the rider's record, satisfies a ``session_attended`` level requirement through
the signal, and goes into the certificate's hours."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms.accounts.models import Role
from lms.certificates.models import Certificate
from lms.courses.attended import attended_seconds, credited_seconds
from lms.courses.models import AttendedTraining
from lms.db import utcnow
from lms.levels.models import LevelAchievement
from lms.levels.services import import_levels
from lms.sessions.models import Booking, BookingStatus
from lms.state import get_session
from tests.conftest import CONTENT_DIR, People, _dispose, build_test_app, post_form
from tests.sessions.test_check_in import code_on_screen
from tests.sessions.test_sessions import ORGANISATION, member_of, schedule, signed_in

LADDER = """\
tracks:
  - id: courier
    occupation: courier
    title: {zh_CN: 快递员, en: Courier}
    levels:
      - level: 5
        title: {zh_CN: L5 初级（对标五级知识要求）, en: L5 Junior (modelled on level-5 knowledge)}
        summary: {zh_CN: 参加站点培训, en: Trained at a station}
        requirements:
          - kind: session_attended
            count: 1
            course: legal-safety
"""


@pytest.fixture
def app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The shipped courses, and a one-level track that asks for one session attended."""
    application = build_test_app(database_backend, tmp_path, with_content=True)
    root = tmp_path / "content-copy"
    shutil.copytree(CONTENT_DIR, root)
    (root / "levels.yaml").write_text(LADDER, encoding="utf-8")
    with application.app_context():
        report = import_levels(root)
        assert report.ok, [str(error) for error in report.errors]
        get_session().commit()
    yield application
    _dispose(application)


@pytest.fixture
def people(app: Flask) -> People:
    return People(app)


def test_a_late_scan_earns_the_rest_of_the_session_and_a_vouched_one_the_whole():
    starts = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    ends = starts + timedelta(hours=2)

    assert credited_seconds(starts, ends, starts - timedelta(minutes=5), vouched=False) == 7200
    assert credited_seconds(starts, ends, starts + timedelta(minutes=30), vouched=False) == 5400
    assert credited_seconds(starts, ends, ends + timedelta(minutes=5), vouched=False) == 0
    assert credited_seconds(starts, ends, ends + timedelta(minutes=5), vouched=True) == 7200


def _booked(app, session_id: int, profile_id: int) -> None:
    with app.app_context():
        get_session().add(
            Booking(session_id=session_id, profile_id=profile_id, status=BookingStatus.BOOKED)
        )
        get_session().commit()


def test_a_check_in_by_hand_counts_the_whole_session_reaches_the_level_and_its_hours(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    now = utcnow()
    session_id = schedule(
        app,
        trainer,
        starts_at=now - timedelta(minutes=50),
        ends_at=now + timedelta(minutes=40),
        course_key="legal-safety",
    )
    rider = people.make(Role.LEARNER, name="赵六")
    member_of(app, rider, trainer.organisation_id)
    _booked(app, session_id, rider.profile_id)
    staff = signed_in(app, trainer)

    done = post_form(
        staff,
        f"/sessions/manage/{session_id}/check-in-by-hand",
        {"profile_id": str(rider.profile_id), "reason": "手机没电"},
    )

    assert done.status_code == 302
    with app.app_context():
        (credit,) = get_session().scalars(select(AttendedTraining))
        assert (credit.source_key, credit.course_key, credit.seconds) == (
            f"session:{session_id}",
            "legal-safety",
            90 * 60,
        )
        assert attended_seconds(rider.profile_id, "legal-safety") == 5400
        assert attended_seconds(rider.profile_id, "logistics") == 0
        (achievement,) = get_session().scalars(select(LevelAchievement))
        assert (achievement.profile_id, achievement.level) == (rider.profile_id, 5)
        assert achievement.evidence["session_sources"] == [f"session:{session_id}"]
        # The level's certificate prints the attended time as training hours.
        (certificate,) = get_session().scalars(select(Certificate))
        assert certificate.hours == 1.5
        assert certificate.evidence["attended_training_hours"] == 1.5
    mine = signed_in(app, rider).get("/sessions/mine").get_data(as_text=True)
    assert '<td class="hours">1.5 小时' in mine and "1.5" in mine.split("attended-hours")[1]


def test_a_qr_check_in_counts_from_the_scan_and_only_once(app, people):
    trainer = people.make(Role.TRAINER, organisation=ORGANISATION)
    now = utcnow()
    session_id = schedule(
        app, trainer, starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(minutes=60)
    )
    rider_person = people.make(Role.LEARNER)
    member_of(app, rider_person, trainer.organisation_id)
    staff, rider = signed_in(app, trainer), signed_in(app, rider_person)
    code = code_on_screen(staff, session_id)

    first = post_form(rider, f"/sessions/{session_id}/check-in", {"code": code})
    again = post_form(rider, f"/sessions/{session_id}/check-in", {"code": code})

    assert first.status_code == 302 and again.status_code == 409
    with app.app_context():
        (credit,) = get_session().scalars(select(AttendedTraining))
        # About an hour left when the rider scanned; not the half hour before.
        assert 59 * 60 <= credit.seconds <= 60 * 60
        # A session held for no course satisfies no course's requirement.
        assert credit.course_key is None
        assert get_session().scalars(select(LevelAchievement)).all() == []

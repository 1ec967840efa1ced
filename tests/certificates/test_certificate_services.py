"""Issuing, revoking and re-issuing: exactly once, audited, never the official title."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from lms import signals
from lms.accounts.models import Profile, Role
from lms.certificates import access, issuing, numbers, verification
from lms.certificates.errors import CertificateError
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateKind,
    CertificateStatus,
    RevocationCategory,
)
from lms.courses.models import Course
from lms.state import get_session
from tests.certificates.conftest import Issue, finish_lessons, load
from tests.conftest import POSTGRES_URL
from tests.levels.conftest import add_attempt


def _legal_safety_version(app: Flask) -> int:
    with app.app_context():
        course = get_session().scalar(sa.select(Course).where(Course.key == "legal-safety"))
        assert course is not None and course.current_version_id is not None
        return course.current_version_id


def _attempt(profile_id: int, version_id: int, passed: bool = True) -> SimpleNamespace:
    return SimpleNamespace(
        id=7,
        profile_id=profile_id,
        course_key="legal-safety",
        course_version_id=version_id,
        passed=passed,
        score_percent=90.0 if passed else 40.0,
        graded_at=dt.datetime(2025, 3, 1, 9, 30, tzinfo=dt.UTC),
        questions=[],
    )


def _certificates(app: Flask) -> list[Certificate]:
    with app.app_context():
        return list(get_session().scalars(sa.select(Certificate)))


def test_passing_a_course_issues_one_training_certificate(cert_app: Flask, learner: Any) -> None:
    version_id = _legal_safety_version(cert_app)
    with cert_app.app_context():
        lessons = finish_lessons(learner.profile_id, seconds=900)
        signals.attempt_graded.send(cert_app, attempt=_attempt(learner.profile_id, version_id))
        signals.attempt_graded.send(cert_app, attempt=_attempt(learner.profile_id, version_id))
        get_session().commit()
    [certificate] = _certificates(cert_app)
    assert certificate.kind is CertificateKind.TRAINING
    assert certificate.holder_name == "欧阳晓明"
    assert certificate.title["zh_CN"] == "骑手与司机的法律安全"
    assert certificate.course_key == "legal-safety"
    assert certificate.evidence["score_percent"] == 90.0
    # The hours the learner spent in the lessons, not the course's nominal length.
    assert certificate.hours == round(len(lessons) * 900 / 3600, 1)
    assert numbers.check_number(certificate.number).ok
    assert certificate.issuer_name.startswith("示范区")


def test_a_pass_before_every_lesson_is_finished_issues_nothing(
    cert_app: Flask, learner: Any
) -> None:
    version_id = _legal_safety_version(cert_app)
    with cert_app.app_context():
        finish_lessons(learner.profile_id, count=1)
        signals.attempt_graded.send(cert_app, attempt=_attempt(learner.profile_id, version_id))
        get_session().commit()
    assert _certificates(cert_app) == []


def _lesson_completed(app: Flask, profile_id: int, lesson_key: str) -> None:
    """The lesson player's signal for one finished lesson (its progress already recorded)."""
    course = get_session().scalar(sa.select(Course).where(Course.key == "legal-safety"))
    lesson = next(each for each in course.current_version.lessons if each.key == lesson_key)
    signals.lesson_completed.send(
        app, profile=get_session().get(Profile, profile_id), lesson_version=lesson
    )


def test_the_last_lesson_finished_after_a_pass_issues_the_certificate(
    cert_app: Flask, learner: Any
) -> None:
    with cert_app.app_context():
        attempt = add_attempt(learner.profile_id, "legal-safety", 90)
        attempt_id = attempt.id
        signals.attempt_graded.send(cert_app, attempt=attempt)
        get_session().commit()
        assert _certificates(cert_app) == []
        course = get_session().scalar(sa.select(Course).where(Course.key == "legal-safety"))
        count = len(course.current_version.lessons)
        # Every lesson but the last: still nothing.
        done = finish_lessons(learner.profile_id, count=count - 1, seconds=1200)
        _lesson_completed(cert_app, learner.profile_id, done[-1])
        get_session().commit()
        assert _certificates(cert_app) == []
        # The last lesson completes the course.
        last = finish_lessons(learner.profile_id, seconds=1200)[-1]
        _lesson_completed(cert_app, learner.profile_id, last)
        get_session().commit()
    [certificate] = _certificates(cert_app)
    assert certificate.course_key == "legal-safety"
    assert certificate.evidence["attempt_id"] == attempt_id
    assert certificate.hours == round(count * 1200 / 3600, 1)


def test_a_pass_after_every_lesson_issues_the_certificate_and_a_failed_one_never(
    cert_app: Flask, learner: Any
) -> None:
    with cert_app.app_context():
        finish_lessons(learner.profile_id)
        failed = add_attempt(learner.profile_id, "legal-safety", 40, passed=False)
        signals.attempt_graded.send(cert_app, attempt=failed)
        get_session().commit()
        assert _certificates(cert_app) == []
        passed = add_attempt(learner.profile_id, "legal-safety", 90)
        passed_id = passed.id
        signals.attempt_graded.send(cert_app, attempt=passed)
        get_session().commit()
    [certificate] = _certificates(cert_app)
    assert certificate.evidence["attempt_id"] == passed_id


def test_a_failed_attempt_issues_nothing(cert_app: Flask, learner: Any) -> None:
    version_id = _legal_safety_version(cert_app)
    with cert_app.app_context():
        signals.attempt_graded.send(
            cert_app, attempt=_attempt(learner.profile_id, version_id, passed=False)
        )
        get_session().commit()
    assert _certificates(cert_app) == []


def test_reaching_a_level_issues_a_level_certificate_modelled_on_the_national_level(
    cert_app: Flask, learner: Any
) -> None:
    achievement = SimpleNamespace(
        profile_id=learner.profile_id,
        track_key="courier",
        level=5,
        evidence={"courses": ["legal-safety"]},
        reached_at=dt.datetime(2025, 3, 2, tzinfo=dt.UTC),
        track_title={"zh_CN": "快递员", "en": "Courier"},
        level_title={"zh_CN": "L5 初级（对标五级/初级工）", "en": "L5 Entry (modelled on Level 5)"},
    )
    with cert_app.app_context():
        signals.level_reached.send(cert_app, achievement=achievement)
        signals.level_reached.send(cert_app, achievement=achievement)
        get_session().commit()
    [certificate] = _certificates(cert_app)
    assert certificate.kind is CertificateKind.LEVEL
    assert certificate.level == 5
    assert certificate.achievement_key == f"level:courier:5:profile:{learner.profile_id}"
    assert certificate.evidence["courses"] == ["legal-safety"]
    with cert_app.app_context():
        document = issuing.document_for(certificate)
    assert document.heading_zh == "培训等级证明（L5，对标五级知识要求）"
    assert "职业技能等级证书" not in document.heading_zh


def test_issuing_is_idempotent_and_audited(cert_app: Flask, learner: Any, issue: Issue) -> None:
    first = issue(learner.profile_id)
    again = issue(learner.profile_id, title="ignored the second time")
    assert first == again
    with cert_app.app_context():
        events = list(get_session().scalars(sa.select(CertificateEvent)))
    # Issued once, and its PDF made once (by the render job the fixture runs).
    assert [e.action for e in events] == [CertificateAction.ISSUED, CertificateAction.RENDERED]


def test_numbers_are_never_official_looking(cert_app: Flask, learner: Any, issue: Issue) -> None:
    number = issue(learner.profile_id)
    assert number.startswith("LMS") and len(number) == numbers.COMPACT_LENGTH
    assert not (len(number) == 22 and number[0] in "YS")


def test_revoking_needs_a_known_category_and_keeps_the_note_in_the_audit_log_only(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    with cert_app.app_context():
        certificate = access.certificate_by_number(number)
        for category in ("   ", "Cheating in the quiz", "revoked"):
            with pytest.raises(CertificateError):
                issuing.revoke_certificate(certificate, category, "", None)
        with pytest.raises(CertificateError):
            issuing.revoke_certificate(certificate, "other", "x" * 501, None)
        issuing.revoke_certificate(certificate, "obtained_by_fraud", "Cheating in the quiz", None)
        get_session().commit()
    revoked = load(cert_app, number)
    assert revoked.status is CertificateStatus.REVOKED
    assert revoked.revocation_category is RevocationCategory.OBTAINED_BY_FRAUD
    assert revoked.revoked_at is not None
    with cert_app.app_context():
        events = get_session().scalars(
            sa.select(CertificateEvent).where(CertificateEvent.certificate_id == revoked.id)
        )
        details = [e.detail for e in events if e.action is CertificateAction.REVOKED]
    assert details == [{"category": "obtained_by_fraud", "note": "Cheating in the quiz"}]


def test_reissue_supersedes_the_old_certificate(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    old_number = issue(learner.profile_id)
    with cert_app.app_context():
        old = access.certificate_by_number(old_number)
        new = issuing.reissue_certificate(old, "欧阳小明", learner.profile_id)
        get_session().commit()
        new_number = new.number
        key = new.achievement_key
    old = load(cert_app, old_number)
    new = load(cert_app, new_number)
    assert old.status is CertificateStatus.SUPERSEDED
    assert old.superseded_by == new_number
    assert new.holder_name == "欧阳小明" and new.status is CertificateStatus.VALID
    assert key == f"course:legal-safety:profile:{learner.profile_id}"
    assert new.masked_id_number == old.masked_id_number == "110***********1234"
    # The achievement still has exactly one current certificate.
    with cert_app.app_context():
        assert issuing.certificate_for_achievement(key).number == new_number
        actions = sorted(e.action.value for e in get_session().scalars(sa.select(CertificateEvent)))
    assert actions == ["issued", "issued", "reissued", "rendered"]


def test_expiry_follows_the_configured_validity(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    cert_app.config["LMS_CERTIFICATE_VALID_YEARS"] = 3
    number = issue(learner.profile_id, issued_on=dt.date(2024, 2, 29))
    assert load(cert_app, number).expires_on == dt.date(2027, 2, 28)


def test_reissuing_an_expired_certificate_keeps_its_dates(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    """Regression: the re-issued copy of an expired certificate never expired."""
    cert_app.config["LMS_CERTIFICATE_VALID_YEARS"] = 1
    old_number = issue(learner.profile_id, issued_on=dt.date(2023, 5, 10))
    cert_app.config["LMS_CERTIFICATE_VALID_YEARS"] = None
    with cert_app.app_context():
        new = issuing.reissue_certificate(
            access.certificate_by_number(old_number), "欧阳小明", None
        )
        get_session().commit()
        new_number = new.number
    new = load(cert_app, new_number)
    assert new.issued_on == dt.date(2023, 5, 10)
    assert new.expires_on == dt.date(2024, 5, 10)
    with cert_app.app_context():
        assert verification.verify_certificate(new_number).state.value == "expired"


def test_masking() -> None:
    assert verification.mask_name("张三明") == "张*明"
    assert verification.mask_name("欧阳晓明") == "欧**明"
    assert verification.mask_name("李四") == "李*"
    assert verification.mask_name("Wang Xiaoming") == "W*** X*******"
    assert issuing.mask_id_number("110101199001011234") == "110***********1234"
    assert issuing.mask_id_number(None) is None


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs LMS_TEST_DATABASE_URL (PostgreSQL)")
def test_concurrent_triggers_issue_exactly_once(cert_app: Flask, cert_people: Any) -> None:
    person = cert_people.make(Role.LEARNER, name="王小明")
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results: list[str] = []
    errors: list[BaseException] = []

    def trigger() -> None:
        try:
            with cert_app.app_context():
                barrier.wait(timeout=30)
                certificate = issuing.issue_certificate(
                    profile_id=person.profile_id,
                    kind=CertificateKind.TRAINING,
                    achievement_key=f"course:legal-safety:profile:{person.profile_id}",
                    title={"zh_CN": "法律安全", "en": "Legal safety"},
                    hours=1,
                    evidence={},
                )
                number = certificate.number
                get_session().commit()
                results.append(number)
                get_session().remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=trigger) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == threads_count and len(set(results)) == 1
    [certificate] = _certificates(cert_app)
    assert certificate.number == results[0]
    with cert_app.app_context():
        issued = get_session().scalar(sa.select(sa.func.count()).select_from(CertificateEvent))
    assert issued == 1

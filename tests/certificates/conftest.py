"""Certificate fixtures: an app with a known signing key, people and a helper
that issues certificates straight through the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms.accounts.models import Role
from lms.certificates import tokens
from lms.certificates.issuing import issue_certificate
from lms.certificates.models import Certificate, CertificateKind
from lms.certificates.rendering import render_one
from lms.courses.models import Course, LessonProgress, StepEvent, StepEventKind
from lms.db import utcnow
from lms.state import get_session
from tests.conftest import POSTGRES_REQUIRED, People, _dispose, build_test_app

PUBLIC_URL = "https://lms.example.cn"
LEGAL_SAFETY_TITLE = {"zh_CN": "骑手与司机的法律安全", "en": "Legal safety for riders and drivers"}


@pytest.fixture(scope="session")
def signing_pem() -> str:
    return tokens.generate_key()[0]


@pytest.fixture
def cert_config(signing_pem: str, pdf_signing_file: str) -> dict[str, Any]:
    """Config of the certificate tests; a test may change it before ``cert_app`` is built."""
    return {
        "LMS_SIGNING_KEY": signing_pem,
        "LMS_PDF_SIGNING_FILE": pdf_signing_file,
        "LMS_PUBLIC_URL": PUBLIC_URL,
        "LMS_ISSUER_NAME": ISSUER_NAME,
    }


ISSUER_NAME = "示范区新就业群体服务中心 / Demo Service Centre"


@pytest.fixture(scope="session")
def pdf_signing_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The issuer's PDF signing identity, named after the tests' issuer: not whichever
    app first generated one into the shared instance folder."""
    from lms.certificates.pades import generate_identity_pem

    path = tmp_path_factory.mktemp("pdf-signing") / "signing.pem"
    path.write_bytes(generate_identity_pem(ISSUER_NAME))
    return str(path)


@pytest.fixture
def cert_app(
    database_backend: dict[str, Any], tmp_path: Path, cert_config: dict[str, Any]
) -> Iterator[Flask]:
    application = build_test_app(database_backend, tmp_path, with_content=True, **cert_config)
    yield application
    _dispose(application)


@pytest.fixture
def cert_people(cert_app: Flask) -> People:
    return People(cert_app)


@pytest.fixture
def learner(cert_people: People) -> Any:
    return cert_people.make(Role.LEARNER, name="欧阳晓明")


Issue = Callable[..., str]


@pytest.fixture
def issue(cert_app: Flask) -> Issue:
    """Issue a training certificate via the service and return its compact number;
    its PDF is rendered as the job runner would, unless ``render=False``."""

    def _issue(
        profile_id: int, course: str = "legal-safety", render: bool = True, **overrides: Any
    ) -> str:
        values: dict[str, Any] = {
            "profile_id": profile_id,
            "kind": CertificateKind.TRAINING,
            "achievement_key": f"course:{course}:profile:{profile_id}",
            "title": LEGAL_SAFETY_TITLE,
            "hours": 2.5,
            "evidence": {"score_percent": 90},
            "track_key": "courier",
            "track_title": {"zh_CN": "快递员", "en": "Courier"},
            "course_key": course,
            "id_number": "110101199001011234",
        }
        values.update(overrides)
        with cert_app.app_context():
            certificate = issue_certificate(**values)
            get_session().commit()
            if render:
                render_one(certificate.id)
            return certificate.number

    return _issue


def load(app: Flask, number: str) -> Certificate:
    """A certificate by compact number, detached for reading in the test."""
    with app.app_context():
        session = get_session()
        certificate = session.query(Certificate).filter_by(number=number).one()
        _ = certificate.pdf  # load the deferred column before detaching
        session.expunge(certificate)
        return certificate


def redis_or_skip(url: str) -> Any:
    """A Redis client at ``url``; skip without Redis, but fail in CI, which has it."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        if POSTGRES_REQUIRED:
            pytest.fail(f"Redis at {url} is unreachable: {error}")
        pytest.skip(f"Redis at {url} unreachable: {error}")
    return client


def english(client: Any) -> None:
    """Ask for English pages from now on."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def days_ago(days: int) -> dt.date:
    return dt.date.today() - dt.timedelta(days=days)


def finish_lessons(
    profile_id: int, course_key: str = "legal-safety", count: int | None = None, seconds: int = 600
) -> list[str]:
    """Mark the first ``count`` lessons of a course finished (all: None), each with
    ``seconds`` of active time, as the lesson player records them. Call inside an
    app context; the caller commits. Lessons finished before are left as they are."""
    session = get_session()
    course = session.scalar(select(Course).where(Course.key == course_key))
    lessons = course.current_version.lessons[:count]
    now = utcnow()
    started = set(
        session.scalars(
            select(LessonProgress.lesson_key).where(LessonProgress.profile_id == profile_id)
        )
    )
    for lesson in lessons:
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
        session.add(
            StepEvent(
                profile_id=profile_id,
                client_key=f"test-{lesson.key}-{profile_id}",
                course_key=course_key,
                lesson_key=lesson.key,
                lesson_version_id=lesson.id,
                step="check",
                kind=StepEventKind.DONE,
                occurred_at=now,
                active_seconds=seconds,
            )
        )
    session.flush()
    return [lesson.key for lesson in lessons]

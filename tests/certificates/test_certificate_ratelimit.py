"""Certificate lookups are rate-limited per client, also across app processes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from lms.accounts.models import Role
from lms.certificates import issuing, numbers
from lms.certificates.models import CertificateKind
from lms.ratelimit import storage_url
from lms.state import get_session
from tests.certificates.conftest import english, redis_or_skip
from tests.conftest import People, _dispose, build_test_app

REDIS_URL = "redis://127.0.0.1:6379/13"


def _redis_or_skip() -> Any:
    return redis_or_skip(REDIS_URL)


def lookups(app: Flask, count: int) -> list[int]:
    client = app.test_client()
    english(client)
    statuses = []
    for index in range(count):
        number = numbers.new_certificate_number()
        url = f"/verify/{number}" if index % 2 else f"/api/v1/certificates/{number}"
        statuses.append(client.get(url).status_code)
    return statuses


@pytest.fixture
def limited_app(
    database_backend: dict[str, Any], tmp_path: Path, cert_config: dict[str, Any]
) -> Iterator[Flask]:
    app = build_test_app(
        database_backend,
        tmp_path,
        with_content=False,
        LMS_VERIFY_RATE_LIMIT="5 per minute",
        **cert_config,
    )
    yield app
    _dispose(app)


def test_enumerating_numbers_hits_the_limit_with_a_clear_429(limited_app: Flask) -> None:
    statuses = lookups(limited_app, 7)
    assert statuses[:5] == [404] * 5  # unknown numbers, page and API share one budget
    assert statuses[5:] == [429, 429]
    client = limited_app.test_client()
    english(client)
    page = client.get(f"/verify/{numbers.new_certificate_number()}")
    assert page.status_code == 429
    assert "Too many requests" in page.get_data(as_text=True)
    assert page.headers.get("Retry-After")
    api = client.get(f"/api/v1/certificates/{numbers.new_certificate_number()}")
    assert api.status_code == 429 and api.is_json and api.get_json()["status"] == 429


def test_the_empty_form_and_the_jwks_do_not_count(limited_app: Flask) -> None:
    client = limited_app.test_client()
    for _ in range(8):
        assert client.get("/verify").status_code == 200
        assert client.get("/.well-known/jwks.json").status_code == 200
    assert lookups(limited_app, 5) == [404] * 5


def test_each_client_has_its_own_budget(limited_app: Flask) -> None:
    assert lookups(limited_app, 6)[-1] == 429
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert other.get(f"/api/v1/certificates/{numbers.new_certificate_number()}").status_code == 404


def test_storage_defaults() -> None:
    assert storage_url({}) == "memory://"
    assert storage_url({"LMS_REDIS_URL": "redis://r:6379/1"}) == "redis://r:6379/1"
    assert (
        storage_url({"LMS_RATELIMIT_STORAGE_URL": "redis://x/2", "LMS_REDIS_URL": "y"})
        == "redis://x/2"
    )


def test_the_limit_holds_across_processes_with_redis(
    database_backend: dict[str, Any], tmp_path: Path, cert_config: dict[str, Any]
) -> None:
    redis_client = _redis_or_skip()
    prefix = f"lms-test-{uuid.uuid4().hex}"
    settings = dict(
        cert_config,
        LMS_RATELIMIT_STORAGE_URL=REDIS_URL,
        LMS_RATELIMIT_KEY_PREFIX=prefix,
        LMS_VERIFY_RATE_LIMIT="4 per minute",
    )
    # Two apps with separate memory: as two worker processes would be.
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first = build_test_app(database_backend, tmp_path / "one", with_content=False, **settings)
    second = build_test_app(database_backend, tmp_path / "two", with_content=False, **settings)
    try:
        assert lookups(first, 3) == [404] * 3
        assert lookups(second, 2) == [404, 429]
        assert lookups(first, 1) == [429]
        assert redis_client.keys(f"*{prefix}*")
    finally:
        for key in redis_client.scan_iter(f"*{prefix}*"):
            redis_client.delete(key)
        _dispose(first)
        _dispose(second)


def test_guessing_a_holders_name_counts_against_the_lookup_limit(limited_app: Flask) -> None:
    learner = People(limited_app).make(Role.LEARNER, name="欧阳晓明")
    with limited_app.app_context():
        number = issuing.issue_certificate(
            profile_id=learner.profile_id,
            kind=CertificateKind.TRAINING,
            achievement_key="course:legal-safety:guessed",
            title="Legal safety",
            hours=1.0,
            evidence={},
        ).number
        get_session().commit()
    guesser = limited_app.test_client()
    statuses = [
        guesser.get(f"/api/v1/certificates/{number}", query_string={"name": guess}).status_code
        for guess in ("张三", "李四", "王五", "赵六", "钱七", "欧阳晓明")
    ]
    assert statuses == [200, 200, 200, 200, 200, 429]
    page = guesser.get("/verify", query_string={"number": number, "name": "欧阳晓明"})
    assert page.status_code == 429 and "欧阳晓明" not in page.get_data(as_text=True)

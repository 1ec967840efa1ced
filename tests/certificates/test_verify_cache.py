"""Repeated certificate checks are answered from Redis, and a change to a
certificate shows at once, also on another app process."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, request_started
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.accounts.models import Role
from lms.certificates import access, issuing, numbers, verify_cache, verify_fast_path
from lms.certificates.models import CertificateKind
from lms.state import get_session
from tests.certificates.conftest import Issue, english, redis_or_skip
from tests.conftest import People, _dispose, build_test_app, log_in, make_app

REDIS_URL = "redis://127.0.0.1:6379/12"


@pytest.fixture
def redis_db() -> Any:
    return redis_or_skip(REDIS_URL)


@pytest.fixture
def cert_config(cert_config: dict[str, Any], redis_db: Any) -> Iterator[dict[str, Any]]:
    """The certificate apps of this module keep answers in Redis, under their own prefix."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield {
        **cert_config,
        "LMS_REDIS_URL": REDIS_URL,
        "LMS_REDIS_KEY_PREFIX": prefix,
        "LMS_RATELIMIT_KEY_PREFIX": prefix,
    }
    for key in redis_db.scan_iter(f"{prefix}:*"):
        redis_db.delete(key)


@contextmanager
def another_process(app: Flask, **overrides: Any) -> Iterator[Flask]:
    """Another app on the same database and Redis, as a second gunicorn process would be."""
    config = {key: app.config[key] for key in ("LMS_SIGNING_KEY", "LMS_PUBLIC_URL")}
    for key in (
        "LMS_REDIS_URL",
        "LMS_REDIS_KEY_PREFIX",
        "LMS_RATELIMIT_KEY_PREFIX",
    ):
        config[key] = app.config[key]
    other = make_app(app.config["LMS_DATABASE_URL"], **{**config, **overrides})
    try:
        yield other
    finally:
        _dispose(other)


@pytest.fixture
def second_process(cert_app: Flask) -> Iterator[Flask]:
    with another_process(cert_app) as app:
        yield app


@pytest.fixture
def number(issue: Issue, learner: Any) -> str:
    return issue(learner.profile_id, render=False)


def key_of(app: Flask, number: str) -> str:
    return f"{app.config['LMS_REDIS_KEY_PREFIX']}:verify:{number}"


def certificate_queries(app: Flask) -> Callable[[], int]:
    """How many statements reading certificates the app has run so far."""
    seen = [0]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM lms_certificate " in statement:
            seen[0] += 1

    with app.app_context():
        sa.event.listen(app.extensions["lms"].db.engine, "before_cursor_execute", count)
    return lambda: seen[0]


def revoke(app: Flask, number: str, note: str = "Cheating in the quiz") -> None:
    with app.app_context():
        issuing.revoke_certificate(
            access.certificate_by_number(number), "obtained_by_fraud", note, None
        )
        get_session().commit()


def test_a_repeated_check_is_answered_without_the_database(cert_app: Flask, number: str) -> None:
    queries = certificate_queries(cert_app)
    client = cert_app.test_client()
    english(client)
    first = client.get(f"/verify/{number}")
    after_first = queries()
    second = client.get(f"/verify/{number}")
    assert first.status_code == second.status_code == 200
    assert second.get_data() == first.get_data()
    assert "Valid" in second.get_data(as_text=True)
    assert after_first >= 1 and queries() == after_first


def test_another_process_reuses_the_answer_and_sees_a_revocation_at_once(
    cert_app: Flask, second_process: Flask, number: str
) -> None:
    page, api = f"/verify/{number}", f"/api/v1/certificates/{number}"
    for url in (page, api):
        cert_app.test_client().get(url, headers={"Accept-Language": "en"})
    queries = certificate_queries(second_process)
    other = second_process.test_client()
    english(other)
    assert "Valid" in other.get(page).get_data(as_text=True)
    assert other.get(api).get_json()["state"] == "valid"
    assert queries() == 0

    revoke(cert_app, number)

    revoked_page = other.get(page).get_data(as_text=True)
    assert "Revoked" in revoked_page and "Obtained by fraud" in revoked_page
    assert "Cheating in the quiz" not in revoked_page
    assert other.get(api).get_json()["state"] == "revoked"


def test_a_reissue_shows_the_old_number_superseded_at_once(cert_app: Flask, number: str) -> None:
    client = cert_app.test_client()
    assert client.get(f"/api/v1/certificates/{number}").get_json()["state"] == "valid"
    with cert_app.app_context():
        new = issuing.reissue_certificate(access.certificate_by_number(number), "欧阳小明", None)
        get_session().commit()
        new_number = new.number
    old = client.get(f"/api/v1/certificates/{number}").get_json()
    assert old["state"] == "superseded"
    assert old["certificate"]["superseded_by"].replace("-", "") == new_number


def test_a_lookup_made_before_a_revocation_cannot_store_its_answer_after_it(
    cert_app: Flask, number: str
) -> None:
    """A slow request that read the row before the revocation must not cache it."""
    url = f"/api/v1/certificates/{number}"
    with cert_app.test_request_context(url):
        slot = verify_cache.api_lookup(number, None)
        assert slot is not None and slot.body is None
        revoke(cert_app, number)  # commits, and clears the cache, mid-request
        verify_cache.store(slot, b'{"state": "valid"}', None)
    assert cert_app.test_client().get(url).get_json()["state"] == "revoked"


def test_a_burst_of_checks_on_one_process_sees_a_revocation_made_through_another_at_once(
    cert_app: Flask, second_process: Flask, number: str
) -> None:
    """Regression: a per-process copy answered "valid" for up to 1 s after a revocation."""
    url = f"/api/v1/certificates/{number}"
    reader = second_process.test_client()
    for _ in range(5):
        assert reader.get(url).get_json()["state"] == "valid"
    revoke(cert_app, number)  # through the other process; returns after the commit
    assert reader.get(url).get_json()["state"] == "revoked"


def test_a_signed_in_persons_page_is_neither_cached_nor_served_from_the_cache(
    cert_app: Flask, learner: Any, number: str, redis_db: Any
) -> None:
    visitor = cert_app.test_client()
    english(visitor)
    visitor.get(f"/verify/{number}")  # an anonymous page is now cached
    signed_in = cert_app.test_client()
    english(signed_in)
    log_in(signed_in, learner.phone)
    own_page = signed_in.get(f"/verify/{number}").get_data(as_text=True)
    assert learner.name in own_page and "Log out" in own_page  # their own header
    stored = redis_db.hgetall(key_of(cert_app, number))
    assert stored and not any(learner.name.encode() in value for value in stored.values())
    anonymous_again = visitor.get(f"/verify/{number}").get_data(as_text=True)
    assert "Log out" not in anonymous_again and "csrf_token" not in anonymous_again


def test_checks_by_name_and_unknown_numbers_are_not_kept(
    cert_app: Flask, learner: Any, number: str, redis_db: Any
) -> None:
    client = cert_app.test_client()
    by_name = client.get(f"/verify/{number}?name={learner.name}").get_data(as_text=True)
    assert learner.name in by_name
    unknown = numbers.format_number(numbers.new_certificate_number())
    assert client.get(f"/verify/{unknown}").status_code == 404
    assert client.get(f"/api/v1/certificates/{unknown}").status_code == 404
    prefix = cert_app.config["LMS_REDIS_KEY_PREFIX"]
    assert list(redis_db.scan_iter(f"{prefix}:*")) == []


def test_each_language_gets_its_own_answer(cert_app: Flask, number: str) -> None:
    client = cert_app.test_client()
    for _ in range(2):
        chinese = client.get(f"/verify/{number}", headers={"Accept-Language": "zh-CN"})
        english_page = client.get(f"/verify/{number}", headers={"Accept-Language": "en"})
        assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
        assert '<html lang="en">' in english_page.get_data(as_text=True)


def test_an_expired_certificate_is_not_kept_past_its_last_day(
    cert_app: Flask, number: str, redis_db: Any
) -> None:
    with cert_app.app_context():
        access.certificate_by_number(number).expires_on = dt.date.today() - dt.timedelta(days=1)
        get_session().commit()
    client = cert_app.test_client()
    assert client.get(f"/api/v1/certificates/{number}").get_json()["state"] == "expired"
    # Its deadline, the start of the day after its last day, has passed.
    stored = redis_db.hgetall(key_of(cert_app, number))
    assert [field for field in stored if field != b"gen"] == []


def test_without_redis_every_check_still_gets_its_answer(
    database_backend: dict[str, Any],
    tmp_path: Path,
    cert_config: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = {**cert_config, "LMS_REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens there
    app = build_test_app(database_backend, tmp_path, with_content=True, **config)
    try:
        person = People(app).make(Role.LEARNER, name="李四")
        with app.app_context():
            number = issuing.issue_certificate(
                profile_id=person.profile_id,
                kind=CertificateKind.TRAINING,
                achievement_key="course:legal-safety:profile:x",
                title={"zh_CN": "法律安全", "en": "Legal safety"},
                hours=1,
                evidence={},
            ).number
            get_session().commit()
        client = app.test_client()
        with caplog.at_level("WARNING", logger="lms.certificates.verify_cache"):
            for _ in range(3):
                assert client.get(f"/api/v1/certificates/{number}").get_json()["state"] == "valid"
        # The first failure rests the cache a few seconds: one warning, not one per check.
        assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1
        revoke(app, number)  # clearing the cache fails; the revocation stands
        assert client.get(f"/api/v1/certificates/{number}").get_json()["state"] == "revoked"
    finally:
        _dispose(app)


# ------------------------------------------- the fast path in front of Flask


def flask_requests(app: Flask) -> Callable[[], int]:
    """How many requests Flask itself has handled so far."""
    seen = [0]

    def count(_sender: Any, **_extra: Any) -> None:
        seen[0] += 1

    request_started.connect(count, app, weak=False)
    return lambda: seen[0]


def test_a_repeated_anonymous_check_is_replayed_whole_without_flask(
    cert_app: Flask, number: str
) -> None:
    handled = flask_requests(cert_app)
    client = cert_app.test_client()
    english(client)
    for url in (f"/verify/{number}", f"/api/v1/certificates/{number}"):
        first = client.get(url, headers={"X-Request-ID": "first-request-1"})
        before = handled()
        second = client.get(url, headers={"X-Request-ID": "second-request-2"})
        assert handled() == before  # answered before Flask
        assert second.headers["X-Cache"] == "hit" and "X-Cache" not in first.headers
        assert second.status_code == 200 and second.get_data() == first.get_data()
        for header in ("Content-Type", "Content-Security-Policy", "X-Frame-Options"):
            assert second.headers[header] == first.headers[header]
        assert second.headers["X-Request-ID"] == "second-request-2"
        assert "Set-Cookie" not in second.headers
        third = client.get(url, headers={"X-Request-ID": "<script>"})
        assert third.headers["X-Request-ID"] not in ("<script>", "second-request-2")


def test_a_replayed_answer_shows_a_revocation_through_another_process_at_once(
    cert_app: Flask, second_process: Flask, number: str
) -> None:
    page, api = f"/verify/{number}", f"/api/v1/certificates/{number}"
    reader = second_process.test_client()
    english(reader)
    for url in (page, api, page, api):
        reader.get(url)
    assert reader.get(api).headers["X-Cache"] == "hit"
    revoke(cert_app, number)
    revoked = reader.get(page)
    assert "X-Cache" not in revoked.headers and "Revoked" in revoked.get_data(as_text=True)
    assert reader.get(api).get_json()["state"] == "revoked"
    assert reader.get(api).headers["X-Cache"] == "hit"  # the new answer is shared again


def test_a_visitor_with_a_session_is_answered_by_flask_and_never_replayed_to_others(
    cert_app: Flask, number: str
) -> None:
    url = f"/verify/{number}"
    chooser = cert_app.test_client()
    chooser.get("/language?language=en&next=/")  # their session now says English
    for _ in range(2):
        chosen = chooser.get(url, headers={"Accept-Language": "zh-CN"})
        assert "X-Cache" not in chosen.headers
        assert '<html lang="en">' in chosen.get_data(as_text=True)
    stranger = cert_app.test_client()
    for _ in range(2):
        page = stranger.get(url, headers={"Accept-Language": "zh-CN"})
        assert '<html lang="zh-CN">' in page.get_data(as_text=True)
    assert page.headers["X-Cache"] == "hit"


def test_replayed_answers_still_count_against_the_lookup_limit(
    cert_app: Flask, second_process: Flask, number: str
) -> None:
    url = f"/api/v1/certificates/{number}"
    second_process.test_client().get(url, headers={"Accept-Language": "en"})  # now shared
    with another_process(cert_app, LMS_VERIFY_RATE_LIMIT="3 per minute") as limited:
        client = limited.test_client()
        english(client)
        answers = [client.get(url) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert all(answer.headers.get("X-Cache") == "hit" for answer in answers[:3])
    assert "Too many" in answers[3].get_data(as_text=True)


def test_the_fast_path_goes_below_a_proxy_fix_the_host_added_first() -> None:
    host = Flask("host")
    host.wsgi_app = ProxyFix(host.wsgi_app)  # type: ignore[method-assign]
    verify_fast_path.install(host)
    verify_fast_path.install(host)  # once only
    assert isinstance(host.wsgi_app, ProxyFix)
    assert isinstance(host.wsgi_app.app, verify_fast_path.VerifyFastPath)
    assert not isinstance(host.wsgi_app.app.app, verify_fast_path.VerifyFastPath)

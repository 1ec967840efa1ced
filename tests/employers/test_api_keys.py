"""API keys for HR systems: created (shown once, stored hashed), used, revoked,
refused for another organisation, and rate-limited per key across processes."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from lms.accounts.models import Role
from lms.certificates import numbers
from lms.employers.models import ApiKey
from lms.state import get_session
from tests.certificates.conftest import english, redis_or_skip
from tests.conftest import _dispose, make_app, post_form
from tests.employers.conftest import revoke, signed_in

REDIS_URL = "redis://127.0.0.1:6379/2"
KEY_PATTERN = re.compile(r'id="new-key" [^>]*value="(lmsk_[^"]+)"')


def new_key(client, label: str = "人事系统") -> str:
    response = post_form(client, "/employer/api-keys", {"label": label})
    assert response.status_code == 200, response.get_data(as_text=True)
    found = KEY_PATTERN.search(response.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def call(client, key: str | None, body) -> object:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/api/v1/verifications", json=body, headers=headers)


def test_a_key_is_shown_once_stored_hashed_and_checks_numbers(cert_app, hiring, issue):
    valid = issue(hiring.learner.profile_id)
    revoked = issue(hiring.learner.profile_id, course="other")
    revoke(cert_app, revoked)
    key = new_key(hiring.employer_client)

    later = hiring.employer_client.get("/employer/api-keys").get_data(as_text=True)
    response = call(
        cert_app.test_client(),
        key,
        {
            "certificates": [
                {"number": numbers.format_number(valid).lower(), "name": "欧阳晓明"},
                numbers.format_number(revoked),
                "LMS-0000",
                {"number": numbers.format_number(valid), "name": "张三"},
            ]
        },
    )

    assert key not in later and key[:12] in later
    with cert_app.app_context():
        stored = get_session().scalars(select(ApiKey)).one()
        assert key not in (stored.key_hash, stored.prefix) and stored.last_used_at is not None
    assert response.status_code == 200
    answers = [r["answer"] for r in response.get_json()["results"]]
    assert answers == ["valid", "revoked", "malformed", "name_mismatch"]
    first = response.get_json()["results"][0]["certificate"]
    assert first["holder_name"] == "欧阳晓明"
    assert response.get_json()["results"][3]["certificate"]["holder_name"] == "欧**明"


def test_a_revoked_or_wrong_key_is_refused(cert_app, hiring):
    key = new_key(hiring.employer_client)
    api = cert_app.test_client()
    english(api)
    body = {"certificates": [numbers.new_certificate_number()]}
    assert call(api, key, body).status_code == 200
    with cert_app.app_context():
        key_id = get_session().scalars(select(ApiKey.id)).one()

    assert (
        post_form(hiring.employer_client, f"/employer/api-keys/{key_id}/revoke", {}).status_code
        == 302
    )
    revoked = call(api, key, body)
    wrong = call(api, key[:-2] + "xx", body)
    missing = call(api, None, body)

    assert revoked.status_code == 401 and "revoked" in revoked.get_json()["error"]
    assert wrong.status_code == 401
    assert missing.status_code == 401 and "Bearer" in missing.get_json()["error"]


def test_a_key_of_another_organisation_cannot_be_seen_or_revoked(cert_app, hiring, cert_people):
    key = new_key(hiring.employer_client)
    rival = signed_in(
        cert_app,
        cert_people.make(Role.EMPLOYER, name="赵经理", organisation="另一家物流公司").phone,
    )
    with cert_app.app_context():
        key_id = get_session().scalars(select(ApiKey.id)).one()

    page = rival.get("/employer/api-keys").get_data(as_text=True)
    refused = post_form(rival, f"/employer/api-keys/{key_id}/revoke", {})

    assert key[:12] not in page
    assert refused.status_code == 404
    with cert_app.app_context():
        assert get_session().get(ApiKey, key_id).revoked_at is None
    assert call(cert_app.test_client(), key, {"certificates": ["x"]}).status_code == 200


def test_learners_cannot_make_keys(cert_app, hiring):
    response = post_form(hiring.learner_client, "/employer/api-keys", {"label": "x"})
    assert response.status_code == 403
    with cert_app.app_context():
        assert get_session().scalars(select(ApiKey)).all() == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"certificates": []}, 400),
        ({"numbers": ["x"]}, 400),
        ([1, 2], 400),
        ({"certificates": [{"name": "x"}]}, 400),
        ({"certificates": [{"number": 5}]}, 400),
        ({"certificates": ["LMS"] * 101}, 413),
    ],
)
def test_a_bad_body_is_a_clear_4xx(cert_app, hiring, body, status):
    key = new_key(hiring.employer_client)
    response = call(cert_app.test_client(), key, body)
    assert response.status_code == status
    assert response.get_json()["error"]


def test_the_per_key_limit_holds_across_two_processes(cert_app, hiring):
    redis_or_skip(REDIS_URL)
    key = new_key(hiring.employer_client)
    shared = {
        "LMS_RATELIMIT_STORAGE_URL": REDIS_URL,
        "LMS_RATELIMIT_KEY_PREFIX": f"lms-test18-{uuid.uuid4().hex[:8]}",
        "LMS_EMPLOYER_API_RATE_LIMIT": "3 per minute",
        "LMS_SIGNING_KEY": cert_app.config["LMS_SIGNING_KEY"],
    }
    # Two app instances on one database and one Redis stand for two worker processes.
    first = make_app(cert_app.config["LMS_DATABASE_URL"], **shared)
    second = make_app(cert_app.config["LMS_DATABASE_URL"], **shared)
    body = {"certificates": [numbers.new_certificate_number()]}
    try:
        statuses = [
            call(app.test_client(), key, body).status_code
            for app in (first, second, first, second, first)
        ]
        other_key = new_key(hiring.employer_client, "另一个系统")
        fresh = call(second.test_client(), other_key, body).status_code
        limited = call(first.test_client(), key, body)
    finally:
        _dispose(first)
        _dispose(second)

    assert statuses == [200, 200, 200, 429, 429]
    assert fresh == 200  # each key has its own budget
    assert int(limited.headers["Retry-After"]) >= 1

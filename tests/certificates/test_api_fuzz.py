"""The public verification API, fuzzed from its own OpenAPI document (Schemathesis):
no answer is a 5xx, and every answer matches the document."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from lms.accounts.models import OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.employers.api_keys import create_api_key
from lms.state import get_session
from tests.certificates.conftest import Issue
from tests.conftest import PASSWORD

EXAMPLES = int(os.environ.get("LMS_FUZZ_EXAMPLES", "40"))


@pytest.fixture
def cert_config(cert_config: dict[str, Any]) -> dict[str, Any]:
    """No rate limit: the fuzzer asks far more often than a person would."""
    return {**cert_config, "LMS_RATELIMIT_ENABLED": False}


def _employer_api_key(app: Flask) -> str:
    """An API key of an employer, so the key-protected operations are fuzzed past the key."""
    with app.app_context():
        organisation = get_or_create_organisation("顺达配送有限公司", OrganisationKind.EMPLOYER)
        employer = create_user("13900000999", PASSWORD, "李经理", Role.EMPLOYER, organisation)
        _key, secret = create_api_key(employer, "fuzz")
        get_session().commit()
    return secret


def test_every_api_operation_answers_generated_requests_as_documented_and_never_5xx(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    issue(learner.profile_id)
    key = _employer_api_key(cert_app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", cert_app)
    statuses: dict[str, Counter[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        seen = statuses.setdefault(operation.label, Counter())
        headers = (
            {"Authorization": f"Bearer {key}"} if operation.definition.raw.get("security") else {}
        )

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            response = case.call(headers=headers)  # noqa: B023 - as above
            seen[response.status_code] += 1  # noqa: B023 - called before the loop moves on
            assert response.status_code < 500, response.text[:300]
            case.validate_response(
                response, checks=[status_code_conformance, response_schema_conformance]
            )

        call()
    for label, seen in sorted(statuses.items()):
        print(f"schemathesis {label}: {sum(seen.values())} requests, statuses {dict(seen)}")
    assert statuses and all(sum(seen.values()) >= 1 for seen in statuses.values())

"""Employer fixtures: the certificate app, an employer with a hiring code, a
learner with certificates, and helpers that act as each through the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.accounts.models import Role
from lms.certificates import issuing
from lms.certificates.models import Certificate
from lms.employers.models import HiringCode
from lms.state import get_session
from tests.certificates import conftest as certificate_fixtures
from tests.conftest import People, log_in, post_form

# The certificates' fixtures, used here too: an app with a known signing key, issuing.
signing_pem = certificate_fixtures.signing_pem
pdf_signing_file = certificate_fixtures.pdf_signing_file
cert_config = certificate_fixtures.cert_config
cert_app = certificate_fixtures.cert_app
cert_people = certificate_fixtures.cert_people
issue = certificate_fixtures.issue


def signed_in(app: Flask, phone: str) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, phone).status_code == 302
    return client


def new_hiring_code(client: FlaskClient) -> HiringCode:
    """Create a hiring code through the employer's page; the newest one of the page."""
    response = post_form(client, "/employer/hiring-codes", {"days": "7"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get("/employer/hiring-codes").get_data(as_text=True)
    code = re.search(r'class="code">([A-Z0-9]+)<', page)
    assert code is not None
    return code.group(1)


def share(client: FlaskClient, app: Flask, code: str, numbers: list[str], **ticks: str) -> Any:
    """A learner shares certificates with the employer of ``code``, confirming at once."""
    response = client.get(f"/share?code={code}")
    assert response.status_code == 302
    url = response.headers["Location"]
    ids = [certificate_id(app, number) for number in numbers]
    return post_form(client, url, {"certificate": [str(i) for i in ids], "confirm": "yes", **ticks})


def certificate_id(app: Flask, number: str) -> int:
    with app.app_context():
        return get_session().query(Certificate).filter_by(number=number).one().id


def revoke(app: Flask, number: str, category: str = "obtained_by_fraud") -> None:
    with app.app_context():
        certificate = get_session().query(Certificate).filter_by(number=number).one()
        issuing.revoke_certificate(certificate, category, "private note", None)
        get_session().commit()


@dataclass
class Hiring:
    employer: Any
    learner: Any
    employer_client: FlaskClient
    learner_client: FlaskClient


@pytest.fixture
def hiring(cert_app: Flask, cert_people: People) -> Hiring:
    employer = cert_people.make(Role.EMPLOYER, name="李经理", organisation="顺达配送有限公司")
    learner = cert_people.make(Role.LEARNER, name="欧阳晓明")
    return Hiring(
        employer,
        learner,
        signed_in(cert_app, employer.phone),
        signed_in(cert_app, learner.phone),
    )

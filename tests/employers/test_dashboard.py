"""The employer dashboard: live statuses, filters, the CSV export and the
changed-since-last-visit marks with their signal."""

from __future__ import annotations

import csv
import io

from lms import signals
from lms.certificates import issuing, numbers
from lms.certificates.models import Certificate
from lms.state import get_session
from tests.certificates.conftest import days_ago, english
from tests.employers.conftest import new_hiring_code, revoke, share


def _four_kinds(cert_app, hiring, issue):
    """A valid, a revoked, an expired and a superseded certificate, all shared."""
    learner = hiring.learner.profile_id
    valid = issue(learner, course="valid", expires_on=days_ago(-20))
    revoked = issue(learner, course="revoked")
    expired = issue(learner, course="expired", issued_on=days_ago(400), expires_on=days_ago(5))
    old = issue(learner, course="superseded")
    code = new_hiring_code(hiring.employer_client)
    assert (
        share(hiring.learner_client, cert_app, code, [valid, revoked, expired, old]).status_code
        == 302
    )
    revoke(cert_app, revoked)
    with cert_app.app_context():
        certificate = get_session().query(Certificate).filter_by(number=old).one()
        new = issuing.reissue_certificate(certificate, "欧阳晓明", None).number
        get_session().commit()
    return valid, revoked, expired, old, new


def test_the_dashboard_shows_each_status_with_its_public_detail(cert_app, hiring, issue):
    valid, revoked, expired, old, new = _four_kinds(cert_app, hiring, issue)
    english(hiring.employer_client)

    page = hiring.employer_client.get("/employer").get_data(as_text=True)

    for number in (valid, revoked, expired, old):
        assert numbers.format_number(number) in page
    assert "Revoked: Obtained by fraud" in page
    assert "private note" not in page
    assert f"Superseded: new number {numbers.format_number(new)}" in page
    assert "Expired" in page


def test_the_filters_pick_a_status_or_what_expires_soon(cert_app, hiring, issue):
    valid, revoked, expired, old, _new = _four_kinds(cert_app, hiring, issue)
    client = hiring.employer_client

    revoked_only = client.get("/employer?status=revoked").get_data(as_text=True)
    soon = client.get("/employer?expiring=30").get_data(as_text=True)
    later = client.get("/employer?expiring=10").get_data(as_text=True)

    assert numbers.format_number(revoked) in revoked_only
    assert numbers.format_number(valid) not in revoked_only
    assert numbers.format_number(valid) in soon
    assert numbers.format_number(expired) not in soon
    assert numbers.format_number(valid) not in later


def test_bad_filters_are_a_clear_400(hiring):
    english(hiring.employer_client)
    for query in ("status=lost", "expiring=-3", "expiring=abc", "expiring=99999"):
        response = hiring.employer_client.get(f"/employer?{query}")
        assert response.status_code == 400, query
        assert "Choose" in response.get_data(as_text=True)


def test_the_csv_has_a_bom_localised_headers_iso_dates_and_no_formulas(cert_app, hiring, issue):
    number = issue(hiring.learner.profile_id, holder_name="=HYPERLINK(1)", issued_on=days_ago(3))
    share(hiring.learner_client, cert_app, new_hiring_code(hiring.employer_client), [number])

    response = hiring.employer_client.get("/employer/dashboard.csv")

    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["持证人", "证书编号", "证明内容"]
    assert rows[1][0] == "'=HYPERLINK(1)"
    assert rows[1][5] == days_ago(3).isoformat()
    # Nothing the learner did not tick.
    assert rows[1][10] == "" and rows[1][11] == ""


def test_a_revocation_is_marked_once_as_changed_and_the_host_is_told(cert_app, hiring, issue):
    number = issue(hiring.learner.profile_id)
    share(hiring.learner_client, cert_app, new_hiring_code(hiring.employer_client), [number])
    english(hiring.employer_client)
    assert "Changed since" not in hiring.employer_client.get("/employer").get_data(as_text=True)
    told = []

    def listen(sender, **kwargs):
        told.append((kwargs["number"], kwargs["previous_state"], kwargs["state"]))

    signals.shared_certificate_changed.connect(listen)
    try:
        revoke(cert_app, number)
    finally:
        signals.shared_certificate_changed.disconnect(listen)

    first = hiring.employer_client.get("/employer").get_data(as_text=True)
    second = hiring.employer_client.get("/employer").get_data(as_text=True)
    assert told == [(numbers.format_number(number), "valid", "revoked")]
    assert "Changed since your last visit" in first
    assert "Changed since your last visit" not in second


def test_an_expiry_is_noticed_when_the_dashboard_is_read(cert_app, hiring, issue):
    number = issue(hiring.learner.profile_id, expires_on=days_ago(-1))
    share(hiring.learner_client, cert_app, new_hiring_code(hiring.employer_client), [number])
    english(hiring.employer_client)
    hiring.employer_client.get("/employer")
    with cert_app.app_context():
        certificate = get_session().query(Certificate).filter_by(number=number).one()
        certificate.expires_on = days_ago(1)
        get_session().commit()
    told = []

    def listen(sender, **kwargs):
        told.append(kwargs["state"])

    signals.shared_certificate_changed.connect(listen)
    try:
        page = hiring.employer_client.get("/employer").get_data(as_text=True)
        hiring.employer_client.get("/employer")
    finally:
        signals.shared_certificate_changed.disconnect(listen)

    assert told == ["expired"]
    assert "Changed since your last visit" in page

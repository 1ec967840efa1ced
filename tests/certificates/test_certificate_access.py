"""Who may see what: downloads, share links and the admin pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask
from sqlalchemy import select

from lms.accounts.models import Profile, Role
from lms.certificates.issuing import revoke_certificate
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.numbers import format_number
from lms.state import get_session
from tests.certificates.conftest import Issue, english, load
from tests.conftest import log_in, post_form


def test_my_certificates_lists_mine_with_download_and_share_link(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = cert_app.test_client()
    english(client)
    log_in(client, learner.phone)
    page = client.get("/certificates")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"/certificates/{number}/pdf" in text
    assert f"/certificates/{number}/credential.jwt" in text
    assert f"/certificates/{number}/credential.json" in text
    # Sharing: a share link made on request (see test_sharing.py) and the printed QR.
    assert f'action="/certificates/{number}/share-link"' in text
    assert f"/certificates/{number}/qr.png" in text


def test_my_certificates_show_occupation_and_status_and_offer_nothing_for_a_revoked_one(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    kept = issue(learner.profile_id)
    revoked = issue(learner.profile_id, course="logistics")
    with cert_app.app_context():
        certificate = get_session().scalar(select(Certificate).where(Certificate.number == revoked))
        revoke_certificate(certificate, "issued_in_error", "Wrong learner", None)
        get_session().commit()
    client = cert_app.test_client()
    english(client)
    log_in(client, learner.phone)
    text = client.get("/certificates").get_data(as_text=True)
    cards = dict(
        (number, text.split(format_number(number), 1)[1].split("</li>", 1)[0])
        for number in (kept, revoked)
    )
    assert "Occupation: Courier" in cards[kept] and "Status: Valid" in cards[kept]
    assert f"/certificates/{kept}/pdf" in cards[kept]
    assert f"/certificates/{kept}/share-link" in cards[kept]
    # The revoked one says so, with its public reason, and offers no download or share link.
    assert "Revoked: Issued in error" in cards[revoked]
    assert "Wrong learner" not in text
    assert f"/certificates/{revoked}/pdf" not in text
    assert f"/certificates/{revoked}/share-link" not in text
    assert f"/certificates/{revoked}/qr.png" not in text


def test_my_certificates_needs_login(cert_app: Flask) -> None:
    response = cert_app.test_client().get("/certificates")
    assert response.status_code in (302, 401)


def test_another_learner_cannot_download_my_pdf(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    other = cert_people.make(Role.LEARNER, name="张三")
    client = cert_app.test_client()
    log_in(client, other.phone)
    assert client.get(f"/certificates/{number}/pdf").status_code in (403, 404)
    assert cert_app.test_client().get(f"/certificates/{number}/pdf").status_code in (403, 404)
    forged = cert_app.test_client().get(f"/certificates/{number}/pdf?t=v1.x.y.z")
    assert forged.status_code in (403, 404)


def test_the_share_link_token_allows_the_download(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    token = load(cert_app, number).token
    response = cert_app.test_client().get(f"/certificates/{number}/pdf", query_string={"t": token})
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")


def test_only_admins_of_the_issuer_manage_certificates(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    admin = cert_people.make(Role.ADMIN, name="陈管理", organisation="示范区服务中心")
    with cert_app.app_context():
        from lms.state import get_session

        organisation_id = admin.organisation_id
        get_session().commit()
    number = issue(learner.profile_id, organisation_id=organisation_id)
    trainer = cert_people.make(Role.TRAINER, name="李培训", organisation="示范区服务中心")
    other_admin = cert_people.make(Role.ADMIN, name="别家管理", organisation="另一家机构")

    client = cert_app.test_client()
    log_in(client, trainer.phone)
    assert client.get(f"/admin/certificates/{number}").status_code == 403

    client = cert_app.test_client()
    log_in(client, other_admin.phone)
    # Another organisation's certificate does not exist for this admin.
    assert client.get(f"/admin/certificates/{number}").status_code == 404
    assert client.get(f"/certificates/{number}/pdf").status_code == 404
    assert number not in client.get("/admin/certificates").get_data(as_text=True)

    client = cert_app.test_client()
    log_in(client, admin.phone)
    assert client.get(f"/admin/certificates/{number}").status_code == 200
    assert client.get(f"/certificates/{number}/pdf").status_code == 200
    assert client.get("/admin/certificates").status_code == 200


def test_revoke_needs_a_reason_category_and_changes_nothing_without_one(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    admin = cert_people.make(Role.ADMIN, name="陈管理")
    client = cert_app.test_client()
    english(client)
    log_in(client, admin.phone)
    url = f"/admin/certificates/{number}/revoke"
    refused = post_form(client, url, {"category": "  ", "note": "Wrong person"})
    assert refused.status_code == 400 and "Choose why" in refused.get_data(as_text=True)
    assert load(cert_app, number).status is CertificateStatus.VALID

    # First the admin sees what the public will read, and nothing changes yet.
    asked = post_form(client, url, {"category": "issued_in_error", "note": "Wrong person"})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Revoked: this certificate is no longer valid." in page and "Issued in error" in page
    assert load(cert_app, number).status is CertificateStatus.VALID
    done = post_form(
        client,
        f"/admin/certificates/{number}/revoke",
        {"category": "issued_in_error", "note": "Wrong person", "confirm": "yes"},
    )
    assert done.status_code == 302
    assert load(cert_app, number).status is CertificateStatus.REVOKED
    again = post_form(client, url, {"category": "other", "note": "Twice", "confirm": "yes"})
    assert again.status_code == 400
    audit = client.get("/admin/certificates/audit").get_data(as_text=True)
    assert "Revoked: Issued in error (Wrong person)" in audit and "陈管理" in audit
    assert ">revoked<" not in audit and ">valid<" not in audit


def test_the_audit_log_filters_by_day_actor_and_number_and_exports(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    first, second = issue(learner.profile_id), issue(learner.profile_id, course="ecommerce")
    admin = cert_people.make(Role.ADMIN, name="陈管理")
    client = cert_app.test_client()
    english(client)
    log_in(client, admin.phone)
    post_form(
        client,
        f"/admin/certificates/{first}/revoke",
        {"category": "other", "note": "Duplicate", "confirm": "yes"},
    )
    with cert_app.app_context():
        from lms.state import get_session

        admin_id = get_session().get(Profile, admin.profile_id).id
    by_admin = client.get("/admin/certificates/audit", query_string={"actor": admin_id}).text
    assert "Duplicate" in by_admin and by_admin.count("Issued") == 0
    by_number = client.get("/admin/certificates/audit", query_string={"number": second}).text
    assert "Duplicate" not in by_number and "Issued" in by_number
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    later = client.get("/admin/certificates/audit", query_string={"since": tomorrow}).text
    assert "Nothing yet." in later
    bad = client.get("/admin/certificates/audit", query_string={"since": "next week"})
    assert bad.status_code == 400 and "year-month-day" in bad.text
    exported = client.get("/admin/certificates/audit.csv", query_string={"actor": admin_id})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = exported.data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("When,What,Certificate,Holder,By")
    assert len(rows) == 2 and "Revoked" in rows[1] and "陈管理" in rows[1]


def test_admin_reissues_with_a_corrected_name(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    admin = cert_people.make(Role.ADMIN, name="陈管理")
    client = cert_app.test_client()
    log_in(client, admin.phone)
    response = post_form(
        client, f"/admin/certificates/{number}/reissue", {"holder_name": "欧阳小明"}
    )
    assert response.status_code == 302
    old = load(cert_app, number)
    assert old.status is CertificateStatus.SUPERSEDED and old.superseded_by
    assert load(cert_app, old.superseded_by).holder_name == "欧阳小明"
    assert (
        post_form(
            client, f"/admin/certificates/{old.superseded_by}/reissue", {"holder_name": ""}
        ).status_code
        == 400
    )


def test_learners_cannot_revoke(cert_app: Flask, learner: Any, issue: Issue) -> None:
    number = issue(learner.profile_id)
    client = cert_app.test_client()
    log_in(client, learner.phone)
    response = post_form(
        client, f"/admin/certificates/{number}/revoke", {"category": "other", "note": "mine"}
    )
    assert response.status_code == 403
    assert load(cert_app, number).status is CertificateStatus.VALID


def test_unknown_or_garbage_numbers_are_404(cert_app: Flask, learner: Any) -> None:
    client = cert_app.test_client()
    log_in(client, learner.phone)
    assert client.get("/certificates/nonsense/pdf").status_code == 404
    assert client.get("/certificates/LMS0000000000000/pdf").status_code == 404

"""Sharing with consent: a learner shares with an employer's hiring code, sees what
it will see, and withdraws; the employer's dashboard follows at once."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from sqlalchemy import select

from lms.accounts.models import Role
from lms.certificates import numbers
from lms.db import utcnow
from lms.employers.models import CertificateShare, HiringCode, ShareAction, ShareEvent
from lms.state import get_session
from tests.certificates.conftest import english
from tests.conftest import post_form
from tests.employers.conftest import certificate_id, new_hiring_code, share, signed_in


def test_a_shared_certificate_appears_and_a_withdrawn_one_disappears_at_once(
    cert_app, hiring, issue
):
    number = issue(hiring.learner.profile_id)
    code = new_hiring_code(hiring.employer_client)

    assert share(hiring.learner_client, cert_app, code, [number]).status_code == 302
    page = hiring.employer_client.get("/employer").get_data(as_text=True)
    assert "欧阳晓明" in page and numbers.format_number(number) in page
    # Nothing the learner did not tick: no mobile number, no ID number.
    assert hiring.learner.phone not in page and "1234" not in page

    with cert_app.app_context():
        share_id = get_session().scalars(select(CertificateShare.id)).one()
    response = post_form(hiring.learner_client, f"/my/shares/{share_id}/withdraw", {})
    assert response.status_code == 302
    page = hiring.employer_client.get("/employer").get_data(as_text=True)
    assert numbers.format_number(number) not in page
    csv_text = hiring.employer_client.get("/employer/dashboard.csv").get_data(as_text=True)
    assert numbers.format_number(number) not in csv_text
    with cert_app.app_context():
        actions = list(get_session().scalars(select(ShareEvent.action).order_by(ShareEvent.id)))
    assert actions == [ShareAction.SHARED, ShareAction.WITHDRAWN]


def test_the_preview_shows_exactly_what_the_employer_will_see_and_saves_nothing(
    cert_app, hiring, issue
):
    number = issue(hiring.learner.profile_id)
    code = new_hiring_code(hiring.employer_client)
    url = hiring.learner_client.get(f"/share?code={code}").headers["Location"]

    response = post_form(
        hiring.learner_client,
        url,
        {"certificate": str(certificate_id(cert_app, number)), "show_phone": "yes"},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert hiring.learner.phone in page and "欧阳晓明" in page
    assert "110****" not in page  # the ID number was not ticked
    with cert_app.app_context():
        assert get_session().scalars(select(CertificateShare)).all() == []


def test_the_mobile_number_is_shown_only_when_the_learner_ticks_it(cert_app, hiring, issue):
    number = issue(hiring.learner.profile_id)
    code = new_hiring_code(hiring.employer_client)

    share(hiring.learner_client, cert_app, code, [number], show_phone="yes", show_id_number="yes")

    page = hiring.employer_client.get("/employer").get_data(as_text=True)
    assert hiring.learner.phone in page
    assert "110***********1234" in page


def test_an_expired_hiring_code_is_refused_clearly_and_nothing_is_shared(cert_app, hiring, issue):
    number = issue(hiring.learner.profile_id)
    code = new_hiring_code(hiring.employer_client)
    with cert_app.app_context():
        found = get_session().scalars(select(HiringCode)).one()
        token = found.token
        found.expires_at = utcnow() - timedelta(minutes=1)
        get_session().commit()
    english(hiring.learner_client)

    typed = hiring.learner_client.get(f"/share?code={code.lower()}")
    by_link = post_form(
        hiring.learner_client,
        f"/share/{token}",
        {"certificate": str(certificate_id(cert_app, number)), "confirm": "yes"},
    )

    assert typed.status_code == 410 and "expired" in typed.get_data(as_text=True)
    assert by_link.status_code == 410
    with cert_app.app_context():
        assert get_session().scalars(select(CertificateShare)).all() == []


def test_another_persons_certificate_cannot_be_shared(cert_app, hiring, cert_people, issue):
    other = cert_people.make(Role.LEARNER, name="张三")
    mine = issue(hiring.learner.profile_id)
    theirs = issue(other.profile_id)
    code = new_hiring_code(hiring.employer_client)

    response = share(hiring.learner_client, cert_app, code, [mine, theirs])

    assert response.status_code == 404
    with cert_app.app_context():
        assert get_session().scalars(select(CertificateShare)).all() == []


def test_another_employer_sees_nothing_shared_with_the_first(cert_app, hiring, cert_people, issue):
    number = issue(hiring.learner.profile_id)
    share(hiring.learner_client, cert_app, new_hiring_code(hiring.employer_client), [number])
    rival = cert_people.make(Role.EMPLOYER, name="赵经理", organisation="另一家物流公司")
    client = signed_in(cert_app, rival.phone)

    page = client.get("/employer").get_data(as_text=True)

    assert numbers.format_number(number) not in page


def test_a_learner_cannot_withdraw_someone_elses_share(cert_app, hiring, cert_people, issue):
    number = issue(hiring.learner.profile_id)
    share(hiring.learner_client, cert_app, new_hiring_code(hiring.employer_client), [number])
    other = cert_people.make(Role.LEARNER, name="张三")
    with cert_app.app_context():
        share_id = get_session().scalars(select(CertificateShare.id)).one()

    response = post_form(signed_in(cert_app, other.phone), f"/my/shares/{share_id}/withdraw", {})

    assert response.status_code == 404
    with cert_app.app_context():
        assert get_session().get(CertificateShare, share_id).withdrawn_at is None


def test_an_employers_home_is_its_dashboard_with_verification_one_tap_away(hiring):
    response = hiring.employer_client.get("/")

    assert response.status_code == 302 and response.headers["Location"].endswith("/employer")
    page = hiring.employer_client.get("/employer").get_data(as_text=True)
    assert 'href="/verify"' in page


def test_learners_and_staff_are_refused_the_dashboard(cert_app, hiring, cert_people):
    trainer = cert_people.make(Role.TRAINER, name="培训师")
    assert hiring.learner_client.get("/employer").status_code == 403
    assert signed_in(cert_app, trainer.phone).get("/employer").status_code == 403
    assert dt.date.today()  # the dashboard's day comes from the configured time zone

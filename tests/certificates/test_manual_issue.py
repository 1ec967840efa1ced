"""Issuing a certificate by hand for training done outside the app: from the
admin page and from `flask lms certificates issue`, with the evidence audited."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from lms.accounts.models import Role
from lms.certificates.cli import certificates_cli
from lms.certificates.models import Certificate, CertificateAction, CertificateEvent
from lms.state import get_session
from tests.conftest import PUBLISHER, People, log_in, post_form

EVIDENCE = "2026年11月28日在甲站线下培训，讲师李老师，签到表编号 A-17"


def certificates_of(app: Flask, profile_id: int) -> list[Certificate]:
    with app.app_context():
        found = get_session().query(Certificate).filter_by(profile_id=profile_id).all()
        get_session().expunge_all()
        return found


def test_the_command_line_issues_the_same_certificate_with_its_evidence_audited(
    cert_app: Flask, learner: Any
) -> None:
    result = cert_app.test_cli_runner().invoke(
        certificates_cli,
        ["issue", "--phone", learner.phone, "--course", "legal-safety", "--evidence", EVIDENCE],
    )
    assert result.exit_code == 0, result.output
    [certificate] = certificates_of(cert_app, learner.profile_id)
    assert certificate.evidence["by_hand"] is True
    assert certificate.evidence["evidence"] == EVIDENCE
    assert certificate.token.startswith("eyJ") and certificate.status_index is not None
    assert certificate.pdf_sha256 is not None
    with cert_app.app_context():
        event, rendered = (
            get_session()
            .query(CertificateEvent)
            .filter_by(certificate_id=certificate.id)
            .order_by(CertificateEvent.id)
        )
        assert event.action is CertificateAction.ISSUED and event.detail["evidence"] == EVIDENCE
        # No job runner here: the command rendered the PDF itself.
        assert rendered.action is CertificateAction.RENDERED

    again = cert_app.test_cli_runner().invoke(
        certificates_cli,
        ["issue", "--phone", learner.phone, "--course", "legal-safety", "--evidence", EVIDENCE],
    )
    # The command speaks the default language, Chinese.
    assert again.exit_code != 0 and "此人已持有本课程的证书" in again.output
    assert len(certificates_of(cert_app, learner.profile_id)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "13000000000", "--course", "legal-safety"], "没有人用这个手机号注册"),
        (["--phone", "{phone}", "--course", "no-such-course"], "请选择本机构已发布的课程"),
    ],
)
def test_the_command_line_names_what_is_wrong(
    cert_app: Flask, learner: Any, args: list[str], message: str
) -> None:
    args = [arg.replace("{phone}", learner.phone) for arg in args]
    result = cert_app.test_cli_runner().invoke(
        certificates_cli, ["issue", *args, "--evidence", EVIDENCE]
    )
    assert result.exit_code != 0 and message in result.output
    assert certificates_of(cert_app, learner.profile_id) == []


def test_an_admin_issues_from_the_page_and_another_organisation_cannot(
    cert_app: Flask, cert_people: People, learner: Any
) -> None:
    admin = cert_people.make(Role.ADMIN, name="陈管理", organisation=PUBLISHER)
    client = cert_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, admin.phone)
    page = client.get("/admin/certificates/issue")
    assert page.status_code == 200 and 'value="legal-safety"' in page.get_data(as_text=True)

    empty = post_form(client, "/admin/certificates/issue", {"phone": learner.phone})
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert "Describe the evidence" in text and f'value="{learner.phone}"' in text

    bad_hours = post_form(
        client,
        "/admin/certificates/issue",
        {"phone": learner.phone, "course": "legal-safety", "evidence": EVIDENCE, "hours": "x"},
    )
    assert bad_hours.status_code == 400 and "hours of training" in bad_hours.get_data(as_text=True)

    done = post_form(
        client,
        "/admin/certificates/issue",
        {"phone": learner.phone, "course": "legal-safety", "evidence": EVIDENCE, "hours": "3"},
    )
    assert done.status_code == 302
    [certificate] = certificates_of(cert_app, learner.profile_id)
    assert certificate.hours == 3.0 and done.headers["Location"].endswith(certificate.number)

    other = cert_people.make(Role.ADMIN, name="别家管理", organisation="另一家机构")
    stranger = cert_app.test_client()
    log_in(stranger, other.phone)
    someone = cert_people.make(Role.LEARNER, name="张三")
    refused = post_form(
        stranger,
        "/admin/certificates/issue",
        {"phone": someone.phone, "course": "legal-safety", "evidence": EVIDENCE},
    )
    assert refused.status_code == 400
    assert certificates_of(cert_app, someone.profile_id) == []

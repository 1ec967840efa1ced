"""Certificates in a real browser: an employer checks a number on the public
verify page (valid, name masked; a typo is caught as a typo), and the learner
finds the certificate on "My certificates" with a PDF that downloads."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms.accounts.models import Profile, User
from lms.certificates.issuing import issue_certificate
from lms.certificates.models import CertificateKind
from lms.certificates.numbers import DATA_ALPHABET, format_number
from lms.state import get_session
from tests.browser.support import axe_violations, horizontal_overflow, sign_up

pytestmark = pytest.mark.browser

HOLDER = "欧阳晓明"
MASKED = "欧**明"
TITLE = {"zh_CN": "骑手与司机的法律安全", "en": "Legal safety for riders and drivers"}


def issue_for(app, phone):
    """Issue a training certificate to the learner with this phone, through the service."""
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.phone == phone))
        profile_id = session.scalar(select(Profile.id).where(Profile.user_ref == str(user.id)))
        certificate = issue_certificate(
            profile_id=profile_id,
            kind=CertificateKind.TRAINING,
            achievement_key=f"course:legal-safety:profile:{profile_id}",
            title=TITLE,
            hours=2.5,
            evidence={"score_percent": 90},
            track_key="courier",
            track_title={"zh_CN": "快递员", "en": "Courier"},
            course_key="legal-safety",
        )
        session.commit()
        return certificate.number


def mistyped(number):
    """The formatted number with one data character replaced by another valid one."""
    formatted = format_number(number)
    index = formatted.index("-") + 3  # a data character of the first group
    old = formatted[index]
    new = next(symbol for symbol in DATA_ALPHABET if symbol != old)
    return formatted[:index] + new + formatted[index + 1 :]


def test_an_employer_verifies_a_certificate_by_its_number(live_server, new_page):
    base = live_server.url
    learner = new_page()
    sign_up(learner, base, "13900000201", name=HOLDER)
    number = issue_for(live_server.app, "13900000201")
    formatted = format_number(number)

    # Someone else's phone, not logged in.
    employer = new_page()
    employer.goto(f"{base}/verify")
    assert employer.get_by_role("heading", name="Check a certificate").is_visible()
    assert horizontal_overflow(employer) == 0
    assert axe_violations(employer) == []

    employer.get_by_label("Certificate number").fill(formatted)
    employer.locator("main form button.primary").click()
    employer.wait_for_url(f"{base}/verify?number=*")
    result = employer.locator("section.cert-result")
    assert "cert-valid" in result.get_attribute("class")
    valid = "Valid: this certificate was issued by us and is current."
    assert result.get_by_text(valid).is_visible()
    assert result.locator("dd", has_text=formatted).count() == 1
    holder = result.locator("dt:text-is('Holder') + dd")
    assert holder.inner_text().startswith(MASKED)
    assert "masked" in holder.inner_text()
    assert HOLDER not in employer.content()
    assert result.get_by_text("Legal safety for riders and drivers").is_visible()
    assert horizontal_overflow(employer) == 0
    assert axe_violations(employer) == []

    # The printed link form of the same check: /verify/<number>.
    employer.goto(f"{base}/verify/{number}")
    assert "cert-valid" in employer.locator("section.cert-result").get_attribute("class")
    assert HOLDER not in employer.content()

    # One character typed wrong: reported as a typing mistake, not "not found".
    typo = mistyped(number)
    employer.goto(f"{base}/verify")
    employer.get_by_label("Certificate number").fill(typo)
    employer.locator("main form button.primary").click()
    employer.wait_for_url(f"{base}/verify?number=*")
    result = employer.locator("section.cert-result")
    assert "cert-mistyped" in result.get_attribute("class")
    assert result.get_by_text("This number has a typing mistake").is_visible()
    assert result.locator("dl").count() == 0
    assert employer.get_by_label("Certificate number").input_value() == typo
    assert horizontal_overflow(employer) == 0
    assert axe_violations(employer) == []

    # With the holder's name the full record shows.
    employer.get_by_label("Certificate number").fill(formatted)
    employer.get_by_label("Holder's name (optional)").fill(HOLDER)
    employer.locator("main form button.primary").click()
    employer.wait_for_url(f"{base}/verify?number=*")
    holder = employer.locator("section.cert-result dt:text-is('Holder') + dd")
    assert holder.inner_text().strip() == HOLDER


def test_the_learner_downloads_the_pdf_from_my_certificates(live_server, new_page):
    base = live_server.url
    page = new_page()
    sign_up(page, base, "13900000202", name=HOLDER)
    number = issue_for(live_server.app, "13900000202")
    formatted = format_number(number)

    page.get_by_role("link", name="My certificates").click()
    page.wait_for_url(f"{base}/certificates")
    cards = page.locator("ul.cards > li.card")
    assert cards.count() == 1
    card = cards.first
    assert card.get_by_text("Legal safety for riders and drivers").is_visible()
    assert formatted in card.inner_text()
    assert "Certificate of training" in card.inner_text()
    # A share link is made on request, with its own key (not the printed QR's).
    card.get_by_role("button", name="Make a share link").click()
    page.wait_for_url(f"{base}/certificates*")
    card = page.locator("ul.cards > li.card").first
    share = card.get_by_label("Share link", exact=True).input_value()
    assert "/s/" in share and number not in share
    assert horizontal_overflow(page) == 0
    assert axe_violations(page) == []

    link = card.get_by_role("link", name="Download PDF")
    href = link.get_attribute("href")
    assert href.endswith(f"/certificates/{number}/pdf")
    response = page.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    # the check symbol may be * ~ $ or =, which file names do not allow everywhere
    safe_name = "certificate-" + re.sub(r"[^0-9A-Z]", "_", number) + ".pdf"
    assert safe_name in response.headers["content-disposition"]
    assert response.body().startswith(b"%PDF")

    # Tapping the link downloads the same file.
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    # The check symbol may be one of *~$=U; the browser makes "*" safe for a file name.
    assert download.suggested_filename == safe_name
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # The share link opens the full record for an employer, without logging in.
    # (LMS_PUBLIC_URL is the configured default, not this test server's port.)
    employer = new_page()
    link_parts = urlsplit(share)
    employer.goto(f"{base}{link_parts.path}?{link_parts.query}")
    holder = employer.locator("section.cert-result dt:text-is('Holder') + dd")
    assert holder.inner_text().strip() == HOLDER

    # Nobody else gets the PDF without the link.
    assert employer.request.get(f"{base}{href}").status == 404

"""Employers in a real browser, on a phone (360 px) and on a desktop: the employer
gives a hiring code, a rider shares a certificate with it, the employer sees it,
an admin revokes it, and the employer's dashboard shows it as changed."""

from __future__ import annotations

import re

import pytest

from lms.accounts.models import OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.certificates.numbers import format_number
from lms.state import get_session
from tests.browser.support import PASSWORD, PHONE, horizontal_overflow, sign_up
from tests.browser.test_certificates_browser import issue_for
from tests.conftest import PUBLISHER

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}


def _accounts(app, employer_phone: str, admin_phone: str) -> None:
    with app.app_context():
        employer = get_or_create_organisation("顺达配送有限公司", OrganisationKind.EMPLOYER)
        publisher = get_or_create_organisation(PUBLISHER, OrganisationKind.TRAINING_PROVIDER)
        create_user(employer_phone, PASSWORD, "李经理", Role.EMPLOYER, employer)
        create_user(admin_phone, PASSWORD, "王管理", Role.ADMIN, publisher)
        get_session().commit()


def _log_in(page, base: str, phone: str, lands_on: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#phone", phone)
    page.fill("#password", PASSWORD)
    page.click("main form button.primary")
    page.wait_for_url(f"{base}{lands_on}")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "desktop"])
def test_a_rider_shares_a_certificate_and_the_employer_sees_its_revocation(
    live_server, new_page, viewport
):
    base = live_server.url
    _accounts(live_server.app, "13900000301", "13900000302")

    # The employer signs in: its home is the dashboard, verification one tap away.
    employer = new_page(viewport=viewport)
    _log_in(employer, base, "13900000301", "/employer")
    assert employer.get_by_role("link", name="Verify a certificate").first.is_visible()
    employer.click("text=Hiring codes")
    employer.click("text=Create a hiring code")
    code = employer.locator("td.code").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    assert horizontal_overflow(employer) == 0

    # A rider with a certificate types the code, previews and shares.
    rider = new_page(viewport=viewport)
    sign_up(rider, base, "13900000303", name="欧阳晓明")
    number = issue_for(live_server.app, "13900000303")
    rider.goto(f"{base}/certificates")
    rider.click("text=Share with an employer")
    rider.fill("#code", code.lower())
    rider.click("main form button.primary")
    rider.check("input[name=certificate]")
    rider.click("text=Show what they will see")
    preview = rider.locator("article.shared")
    assert "欧阳晓明" in preview.inner_text()
    assert "13900000303" not in preview.inner_text()
    assert horizontal_overflow(rider) == 0
    rider.click("button[name=confirm][value=yes]")
    rider.wait_for_url(f"{base}/my/shares")
    assert "顺达配送有限公司" in rider.content()

    # The employer sees it, valid.
    employer.goto(f"{base}/employer")
    card = employer.locator(f'article.shared[data-number="{format_number(number)}"]')
    assert "Valid" in card.inner_text()
    assert card.locator(".badge").count() == 0

    # An admin of the issuer revokes it.
    admin = new_page(viewport=DESKTOP)
    _log_in(admin, base, "13900000302", "/")
    admin.goto(f"{base}/admin/certificates/{number}")
    admin.select_option("#category", "issued_in_error")
    admin.click("text=Check what the public will see")
    admin.click("text=Yes, revoke it")
    admin.wait_for_url(re.compile(r".*/admin/certificates/.*"))

    # The employer's dashboard shows it as changed, with the public reason.
    employer.goto(f"{base}/employer")
    card = employer.locator(f'article.shared[data-number="{format_number(number)}"]')
    assert card.locator(".badge").inner_text() == "Changed since your last visit"
    assert "Revoked: Issued in error" in card.inner_text()
    assert horizontal_overflow(employer) == 0
    employer.reload()
    assert (
        employer.locator(f'article.shared[data-number="{format_number(number)}"] .badge').count()
        == 0
    )

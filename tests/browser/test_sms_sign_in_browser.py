"""A rider who forgot the password signs in with a code sent by SMS (the console
sender's outbox stands in for the phone) and sets a new password on the way."""

from __future__ import annotations

import re

import pytest

from lms.accounts.models import Role
from lms.accounts.services import create_user
from lms.accounts.sms import ConsoleSender
from lms.state import get_session
from tests.browser.support import PASSWORD, axe_violations, horizontal_overflow, log_in

pytestmark = pytest.mark.browser

RIDER = "13900000077"


def test_a_rider_signs_in_with_an_sms_code_and_sets_a_new_password(live_server, new_page):
    base = live_server.url
    with live_server.app.app_context():
        create_user(RIDER, PASSWORD, "Zhao Rider", Role.LEARNER)
        get_session().commit()
    ConsoleSender.outbox.clear()
    page = new_page()
    page.goto(f"{base}/login")
    page.get_by_role("link", name="Forgot your password? Log in with an SMS code").click()
    page.wait_for_url(f"{base}/login/code")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0
    page.get_by_label("Mobile number").fill(RIDER)
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url(f"{base}/login/code/enter")
    assert "a code is on its way" in page.inner_text("main")
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0

    texts = [text for phone, text in ConsoleSender.outbox if phone == RIDER]
    assert len(texts) == 1
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", texts[0]).group(1)
    page.get_by_label("Code from the SMS").fill(code)
    page.get_by_label("New password (leave empty to keep your password)").fill("new-pass-2026")
    page.get_by_label("Repeat the new password").fill("new-pass-2026")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    assert "Your password has been changed." in page.inner_text("body")

    # The new password works on another phone; the code does not work twice.
    other = new_page()
    log_in(other, base, RIDER, "new-pass-2026")


def test_the_sms_screens_in_chinese_have_no_axe_violations(live_server, new_page):
    base = live_server.url
    page = new_page(locale="zh-CN")
    page.goto(f"{base}/login/code")
    assert "短信验证码登录" in page.inner_text("h1")
    page.get_by_label("手机号").fill("13700000099")
    page.get_by_role("button", name="发送验证码").click()
    page.wait_for_url(f"{base}/login/code/enter")
    assert axe_violations(page) == []

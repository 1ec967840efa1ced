"""Signing in with a code sent by SMS: expiry, one code a minute, five tries,
nothing that tells a registered number from another, limits that every app
process shares."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.accounts.models import SmsCode
from lms.accounts.services import AccountError
from lms.accounts.sms import ConsoleSender, load_sender
from lms.accounts.sms_codes import (
    CODE_TRIES,
    SmsCodeRefused,
    request_code,
    sign_in_with_code,
)
from lms.db import utcnow
from lms.state import get_session
from tests.conftest import PASSWORD, _dispose, csrf_token_for, log_in, make_app, post_form

UNKNOWN = "13700000001"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture(autouse=True)
def outbox():
    ConsoleSender.outbox.clear()
    yield ConsoleSender.outbox
    ConsoleSender.outbox.clear()


def sent_code(outbox, phone: str) -> str:
    texts = [text for to, text in outbox if to == phone]
    assert texts, f"no SMS to {phone}"
    return CODE.search(texts[-1]).group(1)


def ask(client, phone: str):
    return post_form(client, "/login/code", {"phone": phone})


def enter(client, code: str, **extra):
    token = csrf_token_for(client, "/login/code/enter")
    return client.post("/login/code/enter", data={"csrf_token": token, "code": code, **extra})


def signed_in(client) -> bool:
    return 'action="/logout"' in client.get("/").get_data(as_text=True)


def test_a_code_signs_in_and_marks_the_device_known(client, people, outbox):
    rider = people.make()
    response = ask(client, rider.phone)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/code/enter")
    code = sent_code(outbox, rider.phone)
    assert len(code) == 6
    response = enter(client, code)
    assert response.status_code == 302
    assert "lms_device=" in response.headers.get("Set-Cookie", "")
    assert signed_in(client)


def test_the_code_is_stored_hashed(app, client, people, outbox):
    rider = people.make()
    ask(client, rider.phone)
    code = sent_code(outbox, rider.phone)
    with app.app_context():
        row = get_session().query(SmsCode).one()
        assert code not in row.code_hash
        assert len(row.code_hash) == 64


def test_an_unknown_number_gets_the_same_answer_and_no_sms(app, people, outbox):
    rider = people.make()
    known, unknown = app.test_client(), app.test_client()
    first, second = ask(known, rider.phone), ask(unknown, UNKNOWN)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    page_known = known.get("/login/code/enter").get_data(as_text=True)
    page_unknown = unknown.get("/login/code/enter").get_data(as_text=True)
    mask = lambda text, phone: text.replace(phone[:3] + "****" + phone[-4:], "MASK")  # noqa: E731
    strip = lambda text: CSRF.sub("", text)  # noqa: E731
    assert strip(mask(page_known, rider.phone)) == strip(mask(page_unknown, UNKNOWN))
    assert [to for to, _text in outbox] == [rider.phone]
    # A second ask within the minute is refused the same way for both.
    again_known, again_unknown = ask(known, rider.phone), ask(unknown, UNKNOWN)
    assert again_known.status_code == again_unknown.status_code == 429
    assert strip(again_known.get_data(as_text=True)) == strip(
        again_unknown.get_data(as_text=True)
    ).replace(UNKNOWN, rider.phone)
    # Any code typed for the unknown number is simply wrong.
    assert enter(unknown, "123456").status_code == 400


CSRF = re.compile(r'value="[^"]{40,}"|nonce="[^"]+"')


def test_one_code_a_minute(app, people, outbox):
    rider = people.make()
    start = utcnow()
    with app.test_request_context():
        request_code(rider.phone, "10.0.0.1", now=start)
        get_session().commit()
        with pytest.raises(SmsCodeRefused):
            request_code(rider.phone, "10.0.0.2", now=start + timedelta(seconds=59))
        get_session().rollback()
        request_code(rider.phone, "10.0.0.1", now=start + timedelta(seconds=61))
        get_session().commit()
    assert len(outbox) == 2


def test_a_code_expires_after_five_minutes(app, people, outbox):
    rider = people.make()
    start = utcnow()
    with app.test_request_context():
        request_code(rider.phone, "10.0.0.1", now=start)
        get_session().commit()
        code = sent_code(outbox, rider.phone)
        with pytest.raises(AccountError):
            sign_in_with_code(rider.phone, code, now=start + timedelta(minutes=5, seconds=1))
        get_session().rollback()
        user = sign_in_with_code(rider.phone, code, now=start + timedelta(minutes=4))
        assert user.phone == rider.phone


def test_a_wrong_code_is_refused_and_five_tries_end_the_code(client, people, outbox):
    rider = people.make()
    ask(client, rider.phone)
    code = sent_code(outbox, rider.phone)
    wrong = "000000" if code != "000000" else "111111"
    for _try in range(CODE_TRIES):
        response = enter(client, wrong)
        assert response.status_code == 400
        assert "验证码错误或已失效" in response.get_data(as_text=True)
    assert enter(client, code).status_code == 400
    assert not signed_in(client)


def test_a_used_code_does_not_work_twice(app, people, outbox):
    rider = people.make()
    first, second = app.test_client(), app.test_client()
    ask(first, rider.phone)
    code = sent_code(outbox, rider.phone)
    assert enter(first, code).status_code == 302
    with second.session_transaction() as session:
        session["lms_sms_phone"] = rider.phone
    assert enter(second, code).status_code == 400


def test_a_code_sets_a_new_password_and_ends_other_sessions(app, people, outbox):
    rider = people.make()
    old_phone = app.test_client()
    assert log_in(old_phone, rider.phone).status_code == 302
    client = app.test_client()
    ask(client, rider.phone)
    code = sent_code(outbox, rider.phone)
    # A new password too short is refused and the code stays usable.
    response = enter(client, code, new_password="short", confirm="short")
    assert response.status_code == 400
    response = enter(client, code, new_password="a-new-password", confirm="a-new-password")
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(old_phone)
    assert log_in(app.test_client(), rider.phone, PASSWORD).status_code == 400
    assert log_in(app.test_client(), rider.phone, "a-new-password").status_code == 302


def test_a_bad_number_is_a_clear_400(client):
    response = ask(client, "12345")
    assert response.status_code == 400
    assert "请输入11位中国大陆手机号。" in response.get_data(as_text=True)


def test_the_limits_hold_across_two_app_instances(app, people, outbox):
    settings = {"LMS_SMS_CODES_PER_ADDRESS": 2, "LMS_SMS_CODES_PER_NUMBER": 2}
    one = make_app(app.config["LMS_DATABASE_URL"], **settings)
    two = make_app(app.config["LMS_DATABASE_URL"], **settings)
    try:
        riders = [people.make() for _ in range(3)]
        start = utcnow()
        with one.test_request_context():
            request_code(riders[0].phone, "10.0.0.9", now=start)
            get_session().commit()
        with two.test_request_context():
            # The same number on the other process, within the minute.
            with pytest.raises(SmsCodeRefused):
                request_code(riders[0].phone, "10.0.0.8", now=start + timedelta(seconds=5))
            get_session().rollback()
            request_code(riders[1].phone, "10.0.0.9", now=start + timedelta(seconds=5))
            get_session().commit()
        with one.test_request_context():
            # The address used its two codes of the hour, one on each process.
            with pytest.raises(SmsCodeRefused):
                request_code(riders[2].phone, "10.0.0.9", now=start + timedelta(seconds=9))
            get_session().rollback()
            request_code(riders[0].phone, "10.0.0.7", now=start + timedelta(minutes=2))
            get_session().commit()
        with two.test_request_context():
            # The number used its two codes of the hour.
            with pytest.raises(SmsCodeRefused):
                request_code(riders[0].phone, "10.0.0.6", now=start + timedelta(minutes=4))
            get_session().rollback()
    finally:
        _dispose(one)
        _dispose(two)


def test_the_sender_is_named_by_its_import_path():
    assert isinstance(load_sender("lms.accounts.sms:ConsoleSender"), ConsoleSender)
    with pytest.raises(ValueError):
        load_sender("lms.accounts.sms.ConsoleSender")

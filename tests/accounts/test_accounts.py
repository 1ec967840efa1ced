"""Sign-up, login, logout and password change through the real forms."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Profile, User
from lms.state import get_session
from tests.conftest import PASSWORD, log_in, post_form

GOOD = {"phone": "13912345678", "display_name": "张三", "password": PASSWORD, "confirm": PASSWORD}


def count_users(app) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(User))


def test_register_creates_a_learner_and_logs_in(app, client):
    response = post_form(client, "/register", GOOD)
    assert response.status_code == 302
    with app.app_context():
        profile = get_session().scalar(select(Profile))
        assert profile.display_name == "张三"
        assert profile.role.value == "learner"
        user = get_session().scalar(select(User))
        assert user.phone == "13912345678"
        assert user.password_hash.startswith("scrypt:")
    assert "张三" in client.get("/").get_data(as_text=True)


def test_phone_with_country_code_and_spaces_is_normalised(app, client):
    post_form(client, "/register", {**GOOD, "phone": "+86 139 1234 5678"})
    with app.app_context():
        assert get_session().scalar(select(User.phone)) == "13912345678"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "", "此项为必填项"),
        ("phone", "12345", "请输入11位中国大陆手机号"),
        ("phone", "23912345678", "请输入11位中国大陆手机号"),
        ("phone", "1" * 300, "请输入11位中国大陆手机号"),
        ("display_name", "", "此项为必填项"),
        ("display_name", "张" * 41, "最多"),
        ("display_name", "<script>", "请使用汉字或拉丁字母"),
        ("password", "short", "至少"),
    ],
)
def test_bad_sign_up_input_is_explained_in_chinese(app, client, field, value, message):
    data = {**GOOD, field: value}
    if field == "password":
        data["confirm"] = value
    response = post_form(client, "/register", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_users(app) == 0


def test_bad_sign_up_input_is_explained_in_english(app, client):
    client.post("/language", data={"language": "en", "csrf_token": _token(client)})
    response = post_form(client, "/register", {**GOOD, "phone": "12345"})
    assert response.status_code == 400
    assert "Enter an 11-digit mainland China mobile number." in response.get_data(as_text=True)


def _token(client):
    from tests.conftest import csrf_token_for

    return csrf_token_for(client)


def test_duplicate_phone_is_refused_on_the_form(app, client, people):
    people.make(phone="13912345678")
    response = post_form(client, "/register", GOOD)
    assert response.status_code == 400
    assert "该手机号已注册" in response.get_data(as_text=True)
    assert count_users(app) == 1


def test_mismatched_passwords_are_refused(app, client):
    response = post_form(client, "/register", {**GOOD, "confirm": "something-else"})
    assert response.status_code == 400
    assert "两次输入的密码不一致" in response.get_data(as_text=True)


def test_login_and_logout(client, people):
    person = people.make()
    response = log_in(client, person.phone)
    assert response.status_code == 302
    assert person.name in client.get("/").get_data(as_text=True)
    response = post_form(client, "/logout", {})
    assert response.status_code == 302
    assert person.name not in client.get("/").get_data(as_text=True)


def test_wrong_password_is_a_clear_message(client, people):
    person = people.make()
    response = log_in(client, person.phone, "wrong-password")
    assert response.status_code == 400
    assert "手机号或密码错误" in response.get_data(as_text=True)


def test_sixth_wrong_password_in_a_row_is_throttled(client, people):
    person = people.make()
    for _ in range(5):
        assert log_in(client, person.phone, "wrong-password").status_code == 400
    response = log_in(client, person.phone, "wrong-password")
    assert response.status_code == 429
    assert "密码错误次数过多" in response.get_data(as_text=True)
    # even the right password waits until the lock ends
    assert log_in(client, person.phone).status_code == 429


def test_a_right_password_resets_the_count(client, people):
    person = people.make()
    for _ in range(4):
        log_in(client, person.phone, "wrong-password")
    assert log_in(client, person.phone).status_code == 302
    post_form(client, "/logout", {})
    for _ in range(4):
        assert log_in(client, person.phone, "wrong-password").status_code == 400


def test_change_password(app, client, people):
    person = people.make()
    log_in(client, person.phone)
    response = post_form(
        client,
        "/account/password",
        {"current_password": "not-it", "new_password": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert response.status_code == 400
    assert "当前密码不正确" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "new-pass-123", "confirm": "new-pass-123"},
    )
    assert response.status_code == 302
    post_form(client, "/logout", {})
    assert log_in(client, person.phone).status_code == 400
    assert log_in(client, person.phone, "new-pass-123").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, people):
    person = people.make()
    response = log_in(client, person.phone)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_create_user_cli(app, runner):
    result = runner.invoke(
        args=[
            "lms",
            "create-user",
            "--role",
            "trainer",
            "--phone",
            "13700000000",
            "--name",
            "李老师",
            "--password",
            PASSWORD,
            "--organisation",
            "某区服务中心",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        profile = get_session().scalar(select(Profile))
        assert profile.role.value == "trainer"
        assert profile.organisation.name == "某区服务中心"


def test_create_user_cli_refuses_bad_phone(app, runner):
    result = runner.invoke(
        args=["lms", "create-user", "--phone", "123", "--name", "李", "--password", PASSWORD]
    )
    assert result.exit_code != 0
    assert count_users(app) == 0


def test_outside_testing_passwords_are_hashed_at_full_scrypt_cost(app):
    from werkzeug.security import check_password_hash

    from lms.accounts.services import hash_password

    app.testing = False
    try:
        with app.app_context():
            production_hash = hash_password(PASSWORD)
    finally:
        app.testing = True
    with app.app_context():
        test_hash = hash_password(PASSWORD)

    assert app.config["LMS_TESTING_PASSWORD_HASH"] == "scrypt:1024:8:1"
    assert production_hash.startswith("scrypt:32768:8:1$")
    assert test_hash.startswith("scrypt:1024:8:1$")
    assert check_password_hash(production_hash, PASSWORD)


def test_the_cheap_hash_setting_is_ignored_without_an_app():
    from lms.accounts.services import hash_password

    assert hash_password(PASSWORD).startswith("scrypt:32768:8:1$")

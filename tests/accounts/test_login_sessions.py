"""A session really ends: a copy of the cookie taken before logging out, before
a password change or before "sign out everywhere" no longer signs anyone in."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts.models import LoginSession
from lms.state import get_session
from tests.conftest import PASSWORD, csrf_token_for, log_in, post_form

NEW_PASSWORD = "another-horse-77"


def copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/account/password").status_code == 200


def test_a_cookie_copied_before_logout_does_not_work_after_it(app, people):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)
    thief = copy_of(app, client)
    assert signed_in(thief)

    post_form(client, "/logout", {})

    assert not signed_in(client)
    assert not signed_in(thief)


def test_a_password_change_signs_out_every_other_device_but_this_one(app, people):
    learner = people.make()
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, learner.phone)
    log_in(laptop, learner.phone)
    copied = copy_of(app, phone)

    response = post_form(
        phone,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert signed_in(phone)
    assert signed_in(copied)  # the same session as the phone that changed it
    assert not signed_in(laptop)


def test_sign_out_everywhere_ends_every_session_of_the_account(app, people):
    learner = people.make()
    other = people.make(name="李四")
    phone, laptop, neighbour = app.test_client(), app.test_client(), app.test_client()
    log_in(phone, learner.phone)
    log_in(laptop, learner.phone)
    log_in(neighbour, other.phone)

    response = phone.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token_for(phone)}
    )

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert not signed_in(phone)
    assert not signed_in(laptop)
    assert signed_in(neighbour)


def test_the_database_keeps_only_a_hash_of_the_session_token(app, people):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)

    with app.app_context():
        row = get_session().scalar(select(LoginSession))
    assert len(row.token_hash) == 64
    assert row.token_hash not in client.get_cookie("session").value
    assert row.ended_at is None


def test_an_operator_signs_an_account_out_from_the_command_line(app, people):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)

    result = app.test_cli_runner().invoke(args=["lms", "sign-out", "--phone", learner.phone])

    assert result.exit_code == 0, result.output
    assert "Signed out 1 session(s)" in result.output
    assert not signed_in(client)


def test_signing_out_an_unknown_number_says_so(app):
    result = app.test_cli_runner().invoke(args=["lms", "sign-out", "--phone", "13912345678"])

    assert result.exit_code != 0
    assert "No account has the mobile number" in result.output

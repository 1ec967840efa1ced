"""Who may open what: visitors log in, learners stay out of staff pages,
forms need their CSRF token."""

from __future__ import annotations

from lms.accounts.models import Role
from tests.conftest import PASSWORD, log_in


def test_visitor_is_sent_to_log_in_from_staff_pages(client):
    response = client.get("/staff/people")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_learner_gets_403_on_staff_pages(client, people):
    learner = people.make()
    log_in(client, learner.phone)
    response = client.get("/staff/people")
    assert response.status_code == 403
    assert "您无权访问此页面" in response.get_data(as_text=True)


def test_trainer_sees_only_own_organisation(client, people):
    trainer = people.make(Role.TRAINER, name="李老师", organisation="甲中心")
    people.make(Role.TRAINER, name="外单位", organisation="乙中心")
    log_in(client, trainer.phone)
    page = client.get("/staff/people").get_data(as_text=True)
    assert "李老师" in page
    assert "外单位" not in page


def test_post_without_csrf_token_is_rejected(client, people):
    learner = people.make()
    response = client.post("/login", data={"phone": learner.phone, "password": PASSWORD})
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_post_with_forged_csrf_token_is_rejected(client):
    response = client.post("/language", data={"language": "en", "csrf_token": "forged"})
    assert response.status_code == 400


def test_open_redirect_after_login_is_refused(client, people):
    learner = people.make()
    from tests.conftest import post_form

    response = post_form(
        client, "/login?next=https://evil.example/", {"phone": learner.phone, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]

"""Careless and hostile input is a clear 4xx in the user's language, never a
500, and changes nothing: ids beyond the database's integers, JSON where a form
belongs, JSON nested thousands deep, NUL and other control characters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Cohort, Role
from lms.levels.models import SignOff
from lms.request_guards import has_control_characters, json_depth
from lms.state import get_session
from tests.conftest import csrf_token_for, log_in, post_form

HUGE = "99999999999999999999"
DEEP = "[" * 5000 + "]" * 5000


def count(app, model) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model))


@pytest.fixture
def trainer_client(app, people):
    trainer = people.make(Role.TRAINER, name="李老师", organisation="甲中心")
    client = app.test_client()
    log_in(client, trainer.phone)
    return client


@pytest.mark.parametrize(
    "url",
    [
        f"/attempts/{HUGE}",
        f"/attempts/{HUGE}/result",
        f"/attempts/{2**31}",
        f"/attempts/{-(2**31) - 1}",
    ],
)
def test_an_attempt_id_beyond_the_database_integers_is_a_404(app, people, url):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)

    response = client.get(url)

    assert response.status_code == 404
    assert "此页面不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        f"/staff/cohorts/{HUGE}",
        f"/staff/cohorts/{HUGE}/export.csv",
        f"/studio/drafts/{HUGE}",
        f"/studio/drafts/1/lessons/{HUGE}",
        f"/studio/reports/cohorts/{HUGE}",
        f"/studio/reports/cohorts/{HUGE}/learners.csv",
        f"/surveys/manage/{HUGE}",
        f"/surveys/manage/{HUGE}/results.csv",
        f"/sessions/manage/stations/{HUGE}/report",
        f"/sessions/manage/stations/{HUGE}/report.csv",
    ],
)
def test_staff_pages_with_an_id_beyond_the_database_integers_are_a_404(trainer_client, url):
    assert trainer_client.get(url).status_code == 404


def test_a_post_to_an_id_beyond_the_database_integers_is_a_404_and_adds_nothing(
    app, trainer_client
):
    response = post_form(trainer_client, f"/staff/cohorts/{HUGE}/members", {"phone": "13900000001"})

    assert response.status_code == 404


def test_a_sign_off_for_a_learner_id_beyond_the_database_integers_changes_nothing(
    app, trainer_client
):
    response = post_form(
        trainer_client,
        "/staff/sign-offs",
        {
            "learner_id": HUGE,
            "track_key": "online-delivery-worker",
            "requirement_key": "trainer_signoff:odw-mixed-order-packing",
            "result": "pass",
        },
    )

    assert response.status_code == 400
    assert "该学员不存在" in response.get_data(as_text=True)
    assert count(app, SignOff) == 0


def test_a_review_answer_for_an_item_beyond_the_database_integers_is_a_404(app, people):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)

    posted = post_form(client, "/review", {"item": HUGE, "answer": "a", "event_key": "k" * 12})
    shown = client.get(f"/review?answered={HUGE}")

    assert posted.status_code == 404
    assert shown.status_code in (200, 302)


@pytest.mark.parametrize("url", ["/staff/people?page=" + HUGE, "/staff/people?page=-5"])
def test_a_page_number_beyond_any_list_shows_the_last_page(trainer_client, url):
    assert trainer_client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/account/password", {"current": ["a"], "password": {"x": 1}, "confirm": [1, 2]}),
        ("/staff/cohorts", {"name": ["朝阳站", "海淀站"]}),
        ("/staff/cohorts/1/members", {"phone": {"number": "13900000001"}}),
    ],
)
def test_json_with_lists_and_objects_sent_to_a_form_is_refused_in_words(
    app, trainer_client, url, body
):
    cohorts_before = count(app, Cohort)
    token = csrf_token_for(trainer_client)

    response = trainer_client.post(url, json=body, headers={"X-CSRFToken": token})

    assert response.status_code == 415
    assert "此页面需要填写表单" in response.get_data(as_text=True)
    assert count(app, Cohort) == cohorts_before


def test_json_nested_thousands_deep_to_the_offline_sync_is_a_400(app, people):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)

    response = client.post(
        "/api/sync",
        data=json.dumps({"events": [{"answer": "PLACEHOLDER"}]}).replace('"PLACEHOLDER"', DEEP),
        content_type="application/json",
        headers={"X-Requested-With": "lms-sync", "Origin": "http://localhost"},
    )

    assert response.status_code == 400
    assert response.is_json


def test_json_nested_thousands_deep_to_the_quiz_autosave_is_a_400(app, people):
    learner = people.make()
    client = app.test_client()
    log_in(client, learner.phone)
    token = csrf_token_for(client)

    response = client.post(
        "/attempts/1/answers/1",
        data='{"answer": ' + DEEP + "}",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 400
    assert response.is_json


@pytest.mark.parametrize("name", ["朝阳\x00站", "朝阳站\x07", "\x1b[31m红色"])
def test_control_characters_in_a_cohort_name_are_refused_and_nothing_is_saved(
    app, trainer_client, name
):
    response = post_form(trainer_client, "/staff/cohorts", {"name": name})

    assert response.status_code == 400
    assert "无法保存的字符" in response.get_data(as_text=True)
    assert count(app, Cohort) == 0


def test_tabs_and_new_lines_in_text_are_ordinary_text():
    assert not has_control_characters(["第一行\n第二行\r\n\t缩进"])
    assert has_control_characters([{"nested": ["ok", "bad\x00"]}])
    assert has_control_characters([{"key\x00": "value"}])


def test_json_depth_is_measured_without_parsing_and_ignores_brackets_in_strings():
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[[[[[[", "b": "\\"[["}') == 1
    assert json_depth(DEEP.encode()) == 5000


def test_every_page_forbids_inline_script_and_foreign_frames(client):
    policy = client.get("/login").headers["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "frame-ancestors 'self'" in policy
    assert "unsafe-inline" not in policy


def test_cookies_are_secure_when_the_site_is_served_over_https(database_backend, tmp_path):
    from tests.conftest import build_test_app

    https = build_test_app(
        database_backend, tmp_path, with_content=False, LMS_PUBLIC_URL="https://lms.example.cn"
    )
    response = https.test_client().get("/login")

    assert https.config["SESSION_COOKIE_SECURE"] is True
    assert "Secure" in response.headers.get("Set-Cookie", "")

"""The LMS as a delivery company's Flask app uses it: installed from the wheel,
mounted under /training, on the shop's users, CSRF, migrations and layout."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient
from shop import create_app
from shop.models import db

import lms
from lms.assessments.grading import normalise_answer
from lms.certificates.numbers import new_certificate_number
from lms.ops.startup_checks import StartupCheckFailed
from lms.questions.tokens import AnswerTokens
from lms.schema_migrations import include_object
from shop_tests.conftest import CSRF, DATABASE_URL, csrf_token, log_in

# The check symbol can be one of *~$=U as well as a letter or digit.
NUMBER = re.compile(r"/certificates/(LMS[0-9A-Z*~$=]+)/pdf")


def page_tokens(app: Flask, profile_id: int, context: str) -> AnswerTokens:
    """The tokens the learner's page names options with, from the host's secret key."""
    return AnswerTokens(str(app.secret_key).encode(), profile_id, context)


def in_tokens(tokens: AnswerTokens, spec: dict[str, Any]) -> Any:
    """The right answer as the learner's page sends it: in tokens."""
    return tokens.shown_answer(spec, normalise_answer(spec, correct_answer(spec)))


def correct_answer(spec: dict[str, Any]) -> Any:
    """The answer that scores full marks, in the shape the LMS grades."""
    kind = spec["type"]
    if kind == "single":
        return next(option["id"] for option in spec["options"] if option["correct"])
    if kind == "multiple":
        return [option["id"] for option in spec["options"] if option["correct"]]
    if kind == "true_false":
        return spec["answer"]
    if kind == "ordering":
        return [item["id"] for item in spec["items"]]
    if kind == "scenario":
        return {part["id"]: correct_answer(part) for part in spec["parts"]}
    raise ValueError(f"unknown question type {kind}")


def _json(value: Any) -> Any:
    return value if isinstance(value, dict | list) else json.loads(value)


def _rows(app: Flask, sql: str, **params: Any) -> list[Any]:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(sa.text(sql), params).all()


def test_the_lms_comes_from_the_installed_wheel_not_a_checkout() -> None:
    assert "site-packages" in lms.__file__
    from pathlib import Path

    package = Path(lms.__file__).parent
    assert (package / "migrations" / "env.py").is_file()
    assert (package / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.mo").is_file()
    assert (package / "shipped_content" / "courses").is_dir()
    assert (package / "certificates" / "openapi.yaml").is_file()


def test_migrations_keep_the_shops_tables_and_the_lms_tables_apart(app: Flask) -> None:
    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"users", "orders", "alembic_version", "alembic_version_lms"} <= tables
    others = tables - {"users", "orders", "alembic_version", "alembic_version_lms"}
    assert others and all(name.startswith("lms_") for name in others)
    assert _rows(app, "SELECT version_num FROM alembic_version") == [("shop0001",)]


def test_the_shops_autogenerate_writes_nothing_about_the_lms_tables(app: Flask) -> None:
    # `flask db check` fails when autogenerate would write any operation.
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, db.metadata) == []
        # Without the README's include_object the same comparison would drop them all.
        unfiltered = compare_metadata(MigrationContext.configure(connection), db.metadata)
    dropped = {diff[1].name for diff in unfiltered if diff[0] == "remove_table"}
    assert {"lms_profile", "alembic_version_lms"} <= dropped


def test_a_visitor_cannot_register_or_log_in_through_the_lms(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    for path in ("/training/register", "/training/login"):
        response = client.post(
            path,
            data={
                "csrf_token": token,
                "phone": "13900000003",
                "password": "long-enough-1",
                "confirm": "long-enough-1",
                "display_name": "冒充者",
            },
        )
        assert response.status_code == 404
    with client.session_transaction() as session:
        assert "_user_id" not in session
    response = client.get("/orders/3")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_visitor_is_sent_to_the_shops_login(client: FlaskClient) -> None:
    response = client.get("/training/certificates")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_shops_home_and_its_own_rate_limit_are_untouched(client: FlaskClient) -> None:
    for _ in range(12):
        page = client.get("/", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and "Shunda Express" in page.get_data(as_text=True)
        assert "X-RateLimit-Limit" not in page.headers
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login", data={"csrf_token": token, "email": "x@y.cn", "password": "no"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [400] * 5 + [429]


def test_the_lms_rate_limit_reads_only_its_own_setting(client: FlaskClient) -> None:
    statuses = [
        client.get(f"/training/verify/{new_certificate_number()}").status_code for _ in range(5)
    ]
    assert statuses == [404, 404, 404, 429, 429]


def test_csrf_protects_both_sides_and_spares_the_lms_sync(client: FlaskClient) -> None:
    assert client.post("/login", data={"email": "li@shunda.cn", "password": "x"}).status_code == 400
    log_in(client, "li@shunda.cn")
    assert client.post("/training/language", data={"language": "en"}).status_code == 400
    token = csrf_token(client, "/training/")
    assert (
        client.post("/training/language", data={"language": "en", "csrf_token": token}).status_code
        == 302
    )
    synced = client.post(
        "/training/api/sync",
        data=json.dumps({"events": []}),
        headers={"Content-Type": "application/json", "X-LMS-Sync": "1"},
    )
    assert synced.status_code == 200 and synced.get_json() == {"results": []}


def test_lms_pages_are_chinese_inside_the_shops_layout(client: FlaskClient) -> None:
    log_in(client, "li@shunda.cn")
    page = client.get("/training/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert 'id="shop-bar"' in page  # the shop's layout
    assert "lms/style.css" in page  # the LMS's stylesheet
    assert "我的证书" in page and "技能培训" in page  # its navigation, in Chinese
    assert 'name="language" value="en"' in page  # its language switch
    assert "李骑手" in page
    english = client.post(
        "/training/language",
        data={"language": "en", "csrf_token": CSRF.search(page).group(1), "next": "/training/"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "My certificates" in english
    home = client.get("/").get_data(as_text=True)
    assert "Shunda Express" in home and "lms/style.css" not in home


def test_the_shops_template_overrides_an_lms_page(client: FlaskClient) -> None:
    page = client.get("/training/offline").get_data(as_text=True)
    assert "顺达速运：没有网络时" in page and 'id="shop-bar"' in page


def test_the_openapi_document_and_the_jwks_are_served_under_the_prefix(
    client: FlaskClient,
) -> None:
    document = client.get("/training/api/v1/openapi.json").get_json()
    assert document["servers"] == [{"url": "https://shop.example.cn/training"}]
    assert "/api/v1/certificates/{number}" in document["paths"]
    assert client.get("/training/.well-known/jwks.json").get_json()["keys"]


def test_a_shop_user_takes_the_lessons_passes_the_quiz_and_gets_a_certificate(
    app: Flask, client: FlaskClient
) -> None:
    log_in(client, "li@shunda.cn")
    client.post(
        "/training/stopped",
        data={"csrf_token": csrf_token(client, "/training/"), "next": "/training/"},
    )
    lessons = _rows(
        app,
        "SELECT l.key, l.decision, l.checks FROM lms_lesson_version l "
        "JOIN lms_course c ON c.current_version_id = l.course_version_id "
        "WHERE c.key = 'legal-safety' ORDER BY l.position",
    )
    [profile_id] = [row[0] for row in _rows(app, "SELECT id FROM lms_profile")]
    for key, decision, checks in lessons:
        # The page names each option by this learner's token, never by its id.
        best = next(o["id"] for o in _json(decision)["options"] if o.get("best"))
        choice = page_tokens(app, profile_id, f"lesson:legal-safety:{key}:decision")
        check = page_tokens(app, profile_id, f"lesson:legal-safety:{key}:check")
        answers = {q["id"]: in_tokens(check, q) for q in _json(checks)}
        steps = [
            ("situation", "done", {}),
            ("decision", "decision", {"choice": choice.token("decision", best)}),
            ("outcome", "done", {}),
            ("rule", "done", {}),
            ("check", "answer", {"answers": answers}),
        ]
        events = [
            {
                "key": uuid.uuid4().hex,
                "course": "legal-safety",
                "lesson": key,
                "step": step,
                "kind": kind,
                **extra,
            }
            for step, kind, extra in steps
        ]
        reply = client.post(
            "/training/api/sync",
            data=json.dumps({"events": events}),
            headers={"Content-Type": "application/json", "X-LMS-Sync": "1"},
        ).get_json()
        assert {result["status"] for result in reply["results"]} == {"saved"}, reply

    quiz_token = csrf_token(client, "/training/courses/legal-safety/quiz")
    started = client.post(
        "/training/courses/legal-safety/quiz/start", data={"csrf_token": quiz_token}
    )
    assert started.status_code == 303, started.get_data(as_text=True)
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    token = csrf_token(client, f"/training/attempts/{attempt_id}")
    questions = _rows(
        app,
        "SELECT aq.position, q.spec FROM lms_attempt_question aq "
        "JOIN lms_question_version q ON q.id = aq.question_version_id "
        "WHERE aq.attempt_id = :id ORDER BY aq.position",
        id=attempt_id,
    )
    attempt_tokens = page_tokens(app, profile_id, f"attempt:{attempt_id}")
    for position, spec in questions:
        saved = client.post(
            f"/training/attempts/{attempt_id}/answers/{position}",
            json={"answer": in_tokens(attempt_tokens, _json(spec))},
            headers={"X-CSRFToken": token},
        )
        assert saved.get_json()["saved"] is True
    submitted = client.post(f"/training/attempts/{attempt_id}/submit", data={"csrf_token": token})
    assert submitted.status_code in (302, 303)

    mine = client.get("/training/certificates").get_data(as_text=True)
    [number, *_] = NUMBER.findall(mine)
    pdf = client.get(f"/training/certificates/{number}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    [(user_ref, name)] = _rows(app, "SELECT user_ref, display_name FROM lms_profile")
    assert (user_ref, name) == ("2", "李骑手")
    verify = client.get(f"/training/api/v1/certificates/{number}").get_json()
    assert verify["certificate"]["verify_url"].startswith(
        "https://shop.example.cn/training/verify/"
    )


def test_grant_role_makes_a_shop_user_a_trainer(app: Flask, client: FlaskClient) -> None:
    log_in(client, "wang@shunda.cn")
    assert client.get("/training/staff/people").status_code == 403
    result = app.test_cli_runner().invoke(
        args=["lms", "grant-role", "--user-ref", "3", "--role", "trainer", "--organisation", "某站"]
    )
    assert result.exit_code == 0, result.output
    assert "User 3 is now trainer of 某站." in result.output
    assert client.get("/training/staff/people").status_code == 200


def test_outside_testing_the_shop_refuses_to_start_without_production_settings(
    signing_key_file: Any,
) -> None:
    settings = {"SQLALCHEMY_DATABASE_URI": DATABASE_URL, "LMS_SIGNING_KEY_FILE": None}
    try:
        create_app({**settings, "LMS_PUBLIC_URL": "http://127.0.0.1:5000"})
    except StartupCheckFailed as error:
        assert "LMS_SIGNING_KEY" in str(error) and "LMS_PUBLIC_URL" in str(error)
    else:
        raise AssertionError("the shop started without a signing key")
    started = create_app({**settings, "LMS_SIGNING_KEY_FILE": str(signing_key_file)})
    assert "lms" in started.extensions

"""Health, readiness, request ids, clean 503s while the database is away, backups."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import make_app

UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nothing"


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True


def test_readyz_reports_an_unreachable_database_as_503():
    app = make_app(UNREACHABLE_DATABASE)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_pages_fail_cleanly_with_503_while_the_database_is_away():
    app = make_app(UNREACHABLE_DATABASE)
    response = app.test_client().get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "服务繁忙或正在重启" in page
    assert "Traceback" not in page and "psycopg" not in page


def test_api_clients_get_json_503(app):
    app = make_app(UNREACHABLE_DATABASE)
    response = app.test_client().get("/", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["status"] == 503


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first and second and first != second
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-id-12345"})
    assert kept.headers["X-Request-ID"] == "proxy-id-12345"
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert replaced.headers["X-Request-ID"] != "<script>"


def test_json_log_lines_carry_the_request_id(app, capsys):
    import json
    import logging

    from lms.ops.logs import JSONFormatter

    formatter = JSONFormatter()
    with app.test_request_context("/x"):
        from flask import g

        g.request_id = "abc12345"
        record = logging.LogRecord(
            "lms.requests", logging.INFO, __file__, 1, "GET /x 200", None, None
        )
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "abc12345"
    assert line["message"] == "GET /x 200"


def test_backup_copies_a_live_sqlite_database(app, tmp_path, people):
    if app.config["LMS_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the SQLite backup command; PostgreSQL uses pg_dump")
    people.make(name="备份测试")
    target = tmp_path / "backup" / "lms.sqlite"
    result = app.test_cli_runner().invoke(args=["lms", "backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as connection:
        names = [row[0] for row in connection.execute("SELECT display_name FROM lms_profile")]
    assert names == ["备份测试"]


def test_backup_refuses_postgresql_with_a_pointer_to_pg_dump(tmp_path):
    app = make_app(UNREACHABLE_DATABASE)
    result = app.test_cli_runner().invoke(args=["lms", "backup", str(tmp_path / "x")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output

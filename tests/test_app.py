"""The standalone app: configuration, secrets, error pages."""

from __future__ import annotations

import pytest

from lms import create_app
from lms.app import InsecureSecretKey
from lms.config import DEFAULT_SECRET_KEY, config_from_environment


@pytest.mark.parametrize("key", [None, "", DEFAULT_SECRET_KEY, "short"])
def test_production_refuses_a_missing_or_default_secret(key, tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    with pytest.raises(InsecureSecretKey, match="LMS_SECRET_KEY"):
        create_app({"LMS_SECRET_KEY": key, "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_production_starts_with_a_real_secret(tmp_path):
    app = create_app({"LMS_SECRET_KEY": "a" * 64, "LMS_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.secret_key == "a" * 64


def test_settings_come_from_lms_environment_variables():
    found = config_from_environment(
        {"LMS_DATABASE_URL": "sqlite://", "LMS_LOGIN_MAX_FAILURES": "7", "OTHER": "x"}
    )
    assert found == {"LMS_DATABASE_URL": "sqlite://", "LMS_LOGIN_MAX_FAILURES": 7}


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/lms.sqlite")


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    import sqlalchemy as sa

    with app.app_context():
        engine = app.extensions["lms"].db.engine
        if engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() == 10000


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "此页面不存在" in response.get_data(as_text=True)


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]

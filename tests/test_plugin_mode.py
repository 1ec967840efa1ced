"""The LMS mounted in a host app that owns the database, users and login."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from lms import LMS
from lms.certificates import numbers
from lms.certificates.tokens import generate_key
from lms.certificates.verify_cache import CHANGED
from lms.ops.startup_checks import StartupCheckFailed
from lms.schema_migrations import include_object
from lms.state import get_session
from tests.conftest import _dispose, build_host_app


def test_plugin_registers_once(host_app):
    app, db, _ = host_app
    assert "lms" in app.extensions
    with pytest.raises(RuntimeError):
        LMS(db=db).init_app(app)


def test_host_routes_are_untouched(host_app):
    app, _, _ = host_app
    client = app.test_client()
    assert client.get("/").get_data(as_text=True) == "host home"
    assert client.post("/host-echo", data={"text": "hi"}).get_data(as_text=True) == "hi"


def test_migrations_touch_only_lms_tables(host_app):
    app, db, _ = host_app
    with app.app_context():
        inspector = sa.inspect(db.engine)
        tables = set(inspector.get_table_names())
        assert {"member", "alembic_version", "alembic_version_lms"} <= tables
        foreign = tables - {"member", "alembic_version", "alembic_version_lms"}
        assert foreign and all(name.startswith("lms_") for name in foreign)
        with db.engine.connect() as connection:
            assert (
                connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                == "host-rev-1"
            )
            assert connection.execute(sa.text("SELECT name FROM member")).scalar() == "Host Rider"


def test_visitor_is_sent_to_the_hosts_login(host_app):
    app, _, _ = host_app
    response = app.test_client().get("/training/staff/people")
    assert response.status_code == 302
    assert "/host-login" in response.headers["Location"]


def test_host_user_learns_under_the_prefix(host_app):
    app, db, _ = host_app
    client = app.test_client()
    client.get("/host-login?id=1")
    home = client.get("/training/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    assert "Host Rider" in page
    assert "/training/courses/legal-safety" in page
    course = client.get("/training/courses/legal-safety").get_data(as_text=True)
    assert "/training/courses/legal-safety/lessons/" in course
    with app.app_context():
        from lms.accounts.models import Profile

        profile = get_session().scalar(sa.select(Profile))
        assert profile.user_ref == "1"
        assert profile.display_name == "Host Rider"


def test_plugin_sign_up_pages_are_the_hosts(host_app):
    app, _, _ = host_app
    assert app.test_client().get("/training/register").status_code == 404


# --- accounts: the host's or the LMS's, never both -------------------------


def test_a_host_with_a_login_manager_must_say_whose_accounts_the_lms_uses(tmp_path):
    with pytest.raises(RuntimeError, match='LMS_ACCOUNTS = "host"'):
        build_host_app(tmp_path, migrate=False, LMS_ACCOUNTS=None)


def test_builtin_accounts_beside_a_host_login_manager_refuse_to_start(tmp_path):
    with pytest.raises(RuntimeError, match="LMS_ACCOUNTS"):
        build_host_app(tmp_path, migrate=False, LMS_ACCOUNTS="builtin")


def test_an_unknown_accounts_mode_refuses_to_start(tmp_path):
    with pytest.raises(RuntimeError, match="LMS_ACCOUNTS must be"):
        build_host_app(tmp_path, migrate=False, LMS_ACCOUNTS="both")


def test_a_login_manager_set_up_after_builtin_accounts_stops_every_request(tmp_path):
    app, _, _ = build_host_app(tmp_path, init_order="lms-first", migrate=False, LMS_ACCOUNTS=None)
    client = app.test_client()
    for path in ("/training/register", "/"):
        with pytest.raises(StartupCheckFailed, match='LMS_ACCOUNTS = "host"'):
            client.get(path)


def test_no_lms_form_puts_a_user_id_into_the_hosts_session(host_app):
    app, _, _ = host_app
    # Past the CSRF check, so the views themselves answer.
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    form = {
        "phone": "13900000001",
        "password": "long-enough-1",
        "confirm": "long-enough-1",
        "display_name": "冒充者",
    }
    assert client.post("/training/register", data=form).status_code == 404
    assert client.post("/training/login", data=form).status_code == 404
    assert client.post("/training/logout").status_code == 404
    client.get("/training/language?language=en&next=/training/")
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert session["lms_locale"] == "en"
    with app.app_context():
        from lms.accounts.models import User

        assert get_session().scalar(sa.select(sa.func.count()).select_from(User)) == 0


# --- a good neighbour: CSRF, locale, rate limits, engine --------------------


def _sync(client):
    return client.post(
        "/training/api/sync",
        data=json.dumps({"events": []}),
        headers={"Content-Type": "application/json", "X-LMS-Sync": "1"},
    )


def test_the_offline_sync_is_exempt_in_the_hosts_csrf_protect(tmp_path):
    app, _, _ = build_host_app(tmp_path, csrf="before")
    client = app.test_client()
    client.get("/host-login?id=1")
    response = _sync(client)
    assert response.status_code == 200 and response.get_json() == {"results": []}
    # The host's own routes stay as protected as the host made them.
    assert client.post("/host-echo", data={"text": "hi"}).status_code == 400


def test_a_csrf_protect_set_up_after_the_lms_is_named_at_the_first_request(tmp_path):
    app, _, _ = build_host_app(tmp_path, csrf="after", migrate=False)
    with pytest.raises(StartupCheckFailed, match=r'csrf\.exempt\("lms\.courses\.views\.sync"\)'):
        app.test_client().get("/")


def test_lms_pages_choose_their_language_and_host_pages_keep_theirs(host_app):
    app, _, _ = host_app
    client = app.test_client()
    chinese = {"Accept-Language": "zh-CN"}
    assert client.get("/host-locale", headers=chinese).get_data(as_text=True) == "en"
    page = client.get("/training/", headers=chinese).get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "技能培训" in page


def test_a_hosts_own_babel_is_respected(tmp_path):
    app, _, _ = build_host_app(tmp_path, host_babel=True)
    client = app.test_client()
    chinese = {"Accept-Language": "zh-CN"}
    assert client.get("/host-locale", headers=chinese).get_data(as_text=True) == "fr"
    assert "技能培训" in client.get("/training/", headers=chinese).get_data(as_text=True)


def test_rate_limits_apply_to_lms_routes_only_and_read_lms_settings(tmp_path):
    app, _, _ = build_host_app(
        tmp_path, RATELIMIT_DEFAULT="1 per minute", LMS_VERIFY_RATE_LIMIT="2 per minute"
    )
    client = app.test_client()
    for _ in range(5):
        response = client.get("/")
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers
    lookups = [
        client.get(f"/training/verify/{numbers.new_certificate_number()}").status_code
        for _ in range(3)
    ]
    assert lookups == [404, 404, 429]


def test_the_hosts_sqlite_engine_is_left_as_the_host_set_it(host_app):
    app, db, _ = host_app
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"


def test_the_standalone_sqlite_database_runs_in_wal_mode(app):
    with app.app_context():
        engine = app.extensions["lms"].db.engine
        if engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# --- start-up checks ---------------------------------------------------------


def test_outside_testing_a_host_without_production_settings_refuses_to_start(tmp_path):
    with pytest.raises(StartupCheckFailed) as refused:
        build_host_app(tmp_path, migrate=False, TESTING=False)
    assert "LMS_SIGNING_KEY" in str(refused.value)
    assert "LMS_PUBLIC_URL is http://127.0.0.1:5000, a loopback address" in str(refused.value)


def test_a_configured_redis_that_does_not_answer_refuses_the_start(tmp_path):
    with pytest.raises(StartupCheckFailed, match=r"LMS_REDIS_URL \(redis://127.0.0.1:1/0\)"):
        build_host_app(
            tmp_path,
            migrate=False,
            TESTING=False,
            LMS_SIGNING_KEY=generate_key()[0],
            LMS_PUBLIC_URL="https://training.example.cn",
            LMS_REDIS_URL="redis://127.0.0.1:1/0",
        )


def test_a_host_with_its_production_settings_starts(tmp_path):
    app, _, _ = build_host_app(
        tmp_path,
        migrate=False,
        TESTING=False,
        LMS_SIGNING_KEY=generate_key()[0],
        LMS_PUBLIC_URL="https://training.example.cn",
    )
    assert "lms" in app.extensions


def test_doctor_lists_what_production_still_needs(host_app):
    app, _, _ = host_app
    result = app.test_cli_runner().invoke(args=["lms", "doctor"])
    assert result.exit_code == 1
    assert "LMS_SIGNING_KEY" in result.output and "LMS_PUBLIC_URL" in result.output


# --- the host API ------------------------------------------------------------


def test_grant_role_makes_a_host_user_a_trainer(host_app):
    app, _, _ = host_app
    client = app.test_client()
    client.get("/host-login?id=1")
    assert client.get("/training/staff/people").status_code == 403
    result = app.test_cli_runner().invoke(
        args=["lms", "grant-role", "--user-ref", "1", "--role", "trainer", "--organisation", "某站"]
    )
    assert result.exit_code == 0, result.output
    assert "User 1 is now trainer of 某站." in result.output
    assert client.get("/training/staff/people").status_code == 200


def test_a_staff_role_without_an_organisation_is_refused(host_app):
    app, _, _ = host_app
    result = app.test_cli_runner().invoke(
        args=["lms", "grant-role", "--user-ref", "7", "--role", "admin"]
    )
    assert result.exit_code == 1 and "员工角色需要填写所属机构" in result.output
    with app.app_context():
        from lms.accounts.models import Profile

        assert get_session().scalar(sa.select(sa.func.count()).select_from(Profile)) == 0


def test_the_hosts_autogenerate_leaves_the_lms_tables_alone(host_app):
    app, db, _ = host_app
    with app.app_context(), db.engine.connect() as connection:
        filtered = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(filtered, db.metadata) == []
        unfiltered = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert {"lms_profile", "alembic_version_lms"} <= {
        diff[1].name for diff in unfiltered if diff[0] == "remove_table"
    }


def test_the_openapi_document_is_served_under_the_prefix(host_app):
    app, _, _ = host_app
    document = app.test_client().get("/training/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "http://127.0.0.1:5000/training"}]
    assert "/api/v1/certificates/{number}" in document["paths"]


def test_the_jwks_can_also_be_served_at_the_site_root(tmp_path):
    app, _, _ = build_host_app(tmp_path, LMS_ROOT_JWKS=True)
    client = app.test_client()
    root = client.get("/.well-known/jwks.json").get_json()
    assert root == client.get("/training/.well-known/jwks.json").get_json()
    assert root["keys"]


def test_a_standalone_trial_warns_that_certificates_get_a_loopback_address(
    database_backend, tmp_path, caplog
):
    from tests.conftest import make_app

    with caplog.at_level("WARNING"):
        _dispose(make_app(f"sqlite:///{tmp_path / 'trial.sqlite'}", TESTING=False))
    assert "LMS_PUBLIC_URL is http://127.0.0.1:5000, a loopback address" in caplog.text


def test_the_lms_session_hooks_leave_the_hosts_other_sessions_alone(host_app):
    app, db, member = host_app
    with app.app_context():
        with Session(db.engine) as own:
            own.add(member(id=2, name="Second Rider"))
            own.flush()
            assert CHANGED not in own.info
            own.rollback()
        get_session().add(member(id=3, name="Third Rider"))
        get_session().flush()
        assert CHANGED in get_session().info
        get_session().rollback()

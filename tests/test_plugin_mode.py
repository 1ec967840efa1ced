"""The LMS mounted in a host app that owns the database, users and login."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from lms import LMS
from lms.state import get_session


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

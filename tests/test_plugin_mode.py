"""The LMS mounted in a host app that owns the database, users and login."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, redirect, request
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lms import LMS
from lms.courses.services import import_content
from lms.migrations import upgrade_database
from lms.state import get_session
from tests.conftest import CONTENT_DIR


def build_host(tmp_path: Path) -> tuple[Flask, SQLAlchemy, type]:
    app = Flask("host")
    app.config.update(
        SECRET_KEY="host-secret-for-tests",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite'}",
        TESTING=True,
    )

    class HostBase(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=HostBase)

    class Member(db.Model, UserMixin):
        __tablename__ = "member"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    db.init_app(app)
    login = LoginManager(app)
    login.login_view = "host_login"

    @login.user_loader
    def load(user_id: str):
        return db.session.get(Member, int(user_id))

    @app.route("/")
    def host_home():
        return "host home"

    @app.route("/host-login")
    def host_login():
        login_user(db.session.get(Member, int(request.args["id"])))
        return redirect(request.args.get("next", "/"))

    @app.route("/host-echo", methods=["POST"])
    def host_echo():
        # the host decides about CSRF for its own routes; the plugin must not
        return request.form.get("text", "")

    LMS(db=db).init_app(app, url_prefix="/training")
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            connection.execute(sa.text("INSERT INTO alembic_version VALUES ('host-rev-1')"))
        db.session.add(Member(id=1, name="Host Rider"))
        db.session.commit()
        upgrade_database()
        report = import_content(CONTENT_DIR)
        assert report.ok, [str(e) for e in report.errors]
        get_session().commit()
    return app, db, Member


@pytest.fixture
def host(tmp_path):
    app, db, member = build_host(tmp_path)
    yield app, db, member
    with app.app_context():
        db.engine.dispose()


def test_plugin_registers_once(host):
    app, db, _ = host
    assert "lms" in app.extensions
    with pytest.raises(RuntimeError):
        LMS(db=db).init_app(app)


def test_host_routes_are_untouched(host):
    app, _, _ = host
    client = app.test_client()
    assert client.get("/").get_data(as_text=True) == "host home"
    assert client.post("/host-echo", data={"text": "hi"}).get_data(as_text=True) == "hi"


def test_migrations_touch_only_lms_tables(host):
    app, db, _ = host
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


def test_visitor_is_sent_to_the_hosts_login(host):
    app, _, _ = host
    response = app.test_client().get("/training/staff/people")
    assert response.status_code == 302
    assert "/host-login" in response.headers["Location"]


def test_host_user_learns_under_the_prefix(host):
    app, db, _ = host
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


def test_plugin_sign_up_pages_are_the_hosts(host):
    app, _, _ = host
    assert app.test_client().get("/training/register").status_code == 404

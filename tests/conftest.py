"""Fixtures: the standalone app on a fresh database per test (SQLite by
default, PostgreSQL when LMS_TEST_DATABASE_URL is set), the LMS mounted in a
host app, clients, factories."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, redirect, request
from flask.testing import FlaskClient
from flask_babel import Babel, get_locale
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from lms import LMS, create_app
from lms.accounts.models import OrganisationKind, Role
from lms.accounts.services import create_user, get_or_create_organisation
from lms.db import Base
from lms.schema_migrations import upgrade_database
from lms.state import get_session

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONTENT_DIR = PROJECT_DIR / "content"
TEST_SECRET = "test-secret-key-not-for-production"
PASSWORD = "correct-horse-42"
PUBLISHER = "测试培训中心"
# scrypt at 1/32 of the production work factor: tests hash hundreds of passwords.
TESTING_PASSWORD_HASH = "scrypt:1024:8:1"
POSTGRES_URL = os.environ.get("LMS_TEST_DATABASE_URL")
POSTGRES_REQUIRED = bool(os.environ.get("LMS_REQUIRE_POSTGRES") or os.environ.get("CI"))


def _postgres_reachable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as error:
        return str(error).splitlines()[0]
    return None


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        names = [
            name
            for name in sa.inspect(connection).get_table_names()
            if name.startswith("lms_") or name == "alembic_version_lms"
        ]
        for name in names:
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()


def make_app(database_url: str, **overrides: Any) -> Flask:
    """The standalone app configured for tests."""
    config = {
        "TESTING": True,
        "LMS_DATABASE_URL": database_url,
        "LMS_SECRET_KEY": TEST_SECRET,
        "LMS_CONTENT_DIR": str(CONTENT_DIR),
        "LMS_TESTING_PASSWORD_HASH": TESTING_PASSWORD_HASH,
        # The people factory's default organisation publishes the shipped content,
        # so its staff manage those certificates; tests of organisation boundaries
        # name other organisations.
        "LMS_PUBLISHING_ORGANISATION": PUBLISHER,
    }
    config.update(overrides)
    return create_app(config)


def _create_schema(database_url: str, with_content: bool) -> None:
    # create_all rather than the migrations: quicker, and tests/test_migrations.py
    # proves the migrations build this same schema.

    app = make_app(database_url)
    with app.app_context():
        Base.metadata.create_all(app.extensions["lms"].db.engine)
        if with_content:
            _import_content()
        get_session().remove()
        app.extensions["lms"].db.engine.dispose()


@pytest.fixture(scope="session")
def database_backend(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Where test databases come from: SQLite template files or one PostgreSQL."""
    if POSTGRES_URL:
        problem = _postgres_reachable(POSTGRES_URL)
        if problem:
            message = f"PostgreSQL at LMS_TEST_DATABASE_URL is unreachable: {problem}"
            if POSTGRES_REQUIRED:
                pytest.fail(message)
            pytest.skip(message)
        _reset_postgres(POSTGRES_URL)
        _create_schema(POSTGRES_URL, with_content=False)
        return {"kind": "postgresql", "url": POSTGRES_URL}
    folder = tmp_path_factory.mktemp("templates")
    return {"kind": "sqlite", "folder": folder, "templates": {}}


def _sqlite_template(backend: dict[str, Any], with_content: bool) -> Path:
    templates = backend["templates"]
    if with_content not in templates:
        path = backend["folder"] / ("content.sqlite" if with_content else "empty.sqlite")
        _create_schema(f"sqlite:///{path}", with_content)
        templates[with_content] = path
    return templates[with_content]


def _import_content() -> None:
    from lms.courses.services import import_content
    from lms.levels.services import import_levels

    report = import_content(CONTENT_DIR)
    assert report.ok, [str(e) for e in report.errors]
    get_session().commit()
    levels = import_levels(CONTENT_DIR)
    assert levels.ok, [str(e) for e in levels.errors]
    get_session().commit()


def _truncate_postgres(app: Flask) -> None:
    names = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with app.app_context():
        session = get_session()
        session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        session.commit()


def build_test_app(
    backend: dict[str, Any], tmp_path: Path, with_content: bool, **overrides: Any
) -> Flask:
    """A fresh app and database, optionally with the shipped content imported."""
    if backend["kind"] == "postgresql":
        app = make_app(backend["url"], **overrides)
        _truncate_postgres(app)
        if with_content:
            with app.app_context():
                _import_content()
        return app
    target = tmp_path / "lms.sqlite"
    shutil.copyfile(_sqlite_template(backend, with_content), target)
    return make_app(f"sqlite:///{target}", **overrides)


def build_concurrent_app(
    backend: dict[str, Any], tmp_path: Path, threads: int, with_content: bool
) -> Flask:
    """A fresh app whose database connections serve ``threads`` requests at once."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if backend["kind"] == "postgresql":
        options.update(pool_size=threads + 5, max_overflow=5)
    else:
        options["connect_args"] = {"timeout": 10, "check_same_thread": False}
    return build_test_app(backend, tmp_path, with_content, SQLALCHEMY_ENGINE_OPTIONS=options)


@pytest.fixture
def app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The standalone app on an empty, migrated database."""
    application = build_test_app(database_backend, tmp_path, with_content=False)
    yield application
    _dispose(application)


@pytest.fixture
def content_app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The standalone app with the shipped content imported."""
    application = build_test_app(database_backend, tmp_path, with_content=True)
    yield application
    _dispose(application)


def _dispose(application: Flask) -> None:
    with application.app_context():
        get_session().remove()
        application.extensions["lms"].db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_for(client: FlaskClient, page: str | None = None) -> str:
    """The CSRF token the client's session would find on a page.

    By default the home page (its log-out form) or, for a visitor, whose pages
    carry no form of theirs, the login page.
    """
    for candidate in [page] if page else ["/", "/login"]:
        # An employer's home redirects to its dashboard: follow it to the form.
        page_text = client.get(candidate, follow_redirects=True).get_data(as_text=True)
        found = CSRF_PATTERN.search(page_text)
        if found:
            return found.group(1)
    raise AssertionError(f"no CSRF token on {page or '/ nor /login'}")


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """POST a form the way a browser would, with the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token_for(client), **data}, **kwargs)


@dataclass(frozen=True)
class Person:
    profile_id: int
    phone: str
    name: str
    role: Role
    organisation_id: int | None


class People:
    """Factory of people with roles, phones and the shared test password."""

    def __init__(self, application: Flask) -> None:
        self.app = application
        self.counter = 0

    def make(
        self,
        role: Role = Role.LEARNER,
        name: str = "王小明",
        organisation: str | None = "测试培训中心",
        phone: str | None = None,
    ) -> Person:
        self.counter += 1
        phone = phone or f"139{self.counter:08d}"
        with self.app.app_context():
            org = None
            if role != Role.LEARNER and organisation:
                kind = (
                    OrganisationKind.EMPLOYER
                    if role == Role.EMPLOYER
                    else OrganisationKind.TRAINING_PROVIDER
                )
                org = get_or_create_organisation(organisation, kind)
            profile = create_user(phone, PASSWORD, name, role, org)
            get_session().commit()
            return Person(profile.id, phone, name, role, profile.organisation_id)


@pytest.fixture
def people(app: Flask) -> People:
    return People(app)


HOST_INIT_ORDERS = ("login-manager-first", "lms-first")


def build_host_app(
    tmp_path: Path,
    init_order: str = "login-manager-first",
    migrate: bool = True,
    csrf: str | None = None,
    host_babel: bool = False,
    **config: Any,
) -> tuple[Flask, SQLAlchemy, type]:
    """A host app as a Flask shop writes it: its own database, users, login
    view and routes, with the LMS mounted under /training (before or after the
    host's LoginManager, as ``init_order`` says; with the host's CSRFProtect set
    up ``"before"`` or ``"after"`` the LMS, and its own Babel if asked)."""
    app = Flask("host")
    app.config.update(
        SECRET_KEY="host-secret-for-tests",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'host.sqlite'}",
        TESTING=True,
        LMS_ACCOUNTS="host",
    )
    app.config.update(config)

    class HostBase(DeclarativeBase):
        pass

    db = SQLAlchemy(model_class=HostBase)

    class Member(db.Model, UserMixin):
        __tablename__ = "member"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    db.init_app(app)
    if host_babel:
        Babel(app, locale_selector=lambda: "fr")
    protect = CSRFProtect()
    if csrf == "before":
        protect.init_app(app)
    if init_order == "lms-first":
        LMS(db=db).init_app(app, url_prefix="/training")
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

    @app.route("/host-locale")
    def host_locale():
        return str(get_locale())

    @app.route("/host-echo", methods=["POST"])
    def host_echo():
        # the host decides about CSRF for its own routes; the plugin must not
        return request.form.get("text", "")

    if init_order != "lms-first":
        LMS(db=db).init_app(app, url_prefix="/training")
    if csrf == "after":
        protect.init_app(app)
    if not migrate:
        return app, db, Member
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            connection.execute(sa.text("INSERT INTO alembic_version VALUES ('host-rev-1')"))
        db.session.add(Member(id=1, name="Host Rider"))
        db.session.commit()
        upgrade_database()
        from lms.courses.services import import_content

        report = import_content(CONTENT_DIR)
        assert report.ok, [str(e) for e in report.errors]
        get_session().commit()
    return app, db, Member


@pytest.fixture(params=HOST_INIT_ORDERS)
def host_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Flask, SQLAlchemy, type]]:
    """The LMS mounted in a host app that owns the database, users and login,
    once with the host's LoginManager set up first and once after the LMS."""
    app, db, member = build_host_app(tmp_path, init_order=request.param)
    yield app, db, member
    with app.app_context():
        db.engine.dispose()


def log_in(client: FlaskClient, phone: str, password: str = PASSWORD) -> Any:
    """Log a client in through the real login form."""
    return post_form(client, "/login", {"phone": phone, "password": password})

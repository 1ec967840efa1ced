"""The shop's tests, run against the installed LMS wheel and PostgreSQL
(SHOP_TEST_DATABASE_URL), the way the shop's own CI would run them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from shop import create_app
from shop.models import Order, User, db
from werkzeug.security import generate_password_hash

DATABASE_URL = os.environ.get("SHOP_TEST_DATABASE_URL", "")
PASSWORD = "shop-password-1"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for name in sa.inspect(connection).get_table_names():
            connection.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from lms.certificates.tokens import generate_key

    path = tmp_path_factory.mktemp("keys") / "signing.pem"
    path.write_text(generate_key()[0], encoding="ascii")
    return path


@pytest.fixture
def app(signing_key_file: Path) -> Iterator[Flask]:
    """The shop on an empty database: its migrations, the LMS's, the shipped content."""
    if not DATABASE_URL.startswith("postgresql"):
        pytest.fail("set SHOP_TEST_DATABASE_URL to a PostgreSQL database of its own")
    _drop_everything(DATABASE_URL)
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
            "LMS_SIGNING_KEY_FILE": str(signing_key_file),
            "LMS_VERIFY_RATE_LIMIT": "3 per minute",
        }
    )
    runner = application.test_cli_runner()
    for command in (["db", "upgrade"], ["lms", "db-upgrade"], ["lms", "content", "import"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output, result.exception)
    with application.app_context():
        for user_id, email, name in (
            (1, "boss@shunda.cn", "Boss"),
            (2, "li@shunda.cn", "李骑手"),
            (3, "wang@shunda.cn", "王站长"),
        ):
            db.session.add(
                User(
                    id=user_id,
                    email=email,
                    name=name,
                    password_hash=generate_password_hash(PASSWORD, "scrypt:1024:8:1"),
                )
            )
        db.session.flush()
        db.session.add(Order(user_id=3, item="3 号用户的订单：电动车电池"))
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, page: str) -> str:
    """The CSRF token on one of the pages."""
    found = CSRF.search(client.get(page).get_data(as_text=True))
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def log_in(client: FlaskClient, email: str) -> Any:
    """Log in through the shop's own login form."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})

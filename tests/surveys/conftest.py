"""Surveys run on the shipped courses: a need links to the lessons tagged for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import People, _dispose, build_test_app


@pytest.fixture
def app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    application = build_test_app(database_backend, tmp_path, with_content=True)
    yield application
    _dispose(application)


@pytest.fixture
def people(app: Flask) -> People:
    return People(app)

"""Fixtures of the learner's side: a logged-in learner client and lesson helpers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import People, Person, log_in

ENGLISH = {"Accept-Language": "en"}
COURSE = "legal-safety"
LESSON = "ls-helmet"
LESSON_URL = f"/courses/{COURSE}/lessons/{LESSON}"
#: The right and a wrong answer to each check question of ls-helmet.
RIGHT = {"q-ls-helmet-c1": "true", "q-ls-helmet-c2": "b"}
WRONG = {"q-ls-helmet-c1": "false", "q-ls-helmet-c2": "a"}


@dataclass
class Learner:
    """A logged-in learner and the client they use."""

    person: Person
    client: FlaskClient

    @property
    def profile_id(self) -> int:
        return self.person.profile_id

    def page(self, url: str) -> Any:
        return self.client.get(url, headers=ENGLISH)

    def stop(self) -> None:
        """Tap "I have stopped" so lesson pages show."""
        self.client.post("/stopped", data={"next": "/", "csrf_token": self.csrf()})

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.page("/").text)
        assert found
        return found.group(1)

    def save(self, step: str, key: str | None = None, lesson_url: str = LESSON_URL, **fields: Any):
        """POST one step the way the lesson form does."""
        data = {"step": step, "event_key": key or uuid.uuid4().hex, "csrf_token": self.csrf()}
        data.update(fields)
        return self.client.post(lesson_url, data=data, headers=ENGLISH)


def sign_in(app: Flask, person: Person) -> Learner:
    """A fresh client (a new device) logged in as ``person``."""
    client = app.test_client()
    response = log_in(client, person.phone)
    assert response.status_code == 302, response.text
    return Learner(person, client)


@pytest.fixture
def learners(content_app: Flask):
    """Factory: a new learner, logged in on a new client."""
    people = People(content_app)

    def make(name: str = "王小明") -> Learner:
        return sign_in(content_app, people.make(name=name))

    return make


@pytest.fixture
def learner(learners) -> Learner:
    person = learners()
    person.stop()
    return person

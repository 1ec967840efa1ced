"""Fixtures of the learner's side: a logged-in learner client and lesson helpers."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.questions.tokens import AnswerTokens
from tests.answers import lesson_tokens
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

    def tokens(self, step: str, lesson_url: str = LESSON_URL) -> AnswerTokens:
        """The tokens this learner's page of a lesson step names its options with."""
        course, lesson = re.fullmatch(r"/courses/([^/]+)/lessons/([^/?]+)", lesson_url).groups()
        return lesson_tokens(self.client.application, self.profile_id, course, lesson, step)

    def page_fields(
        self, step: str, fields: dict[str, Any], lesson_url: str = LESSON_URL
    ) -> dict[str, Any]:
        """Fields written with the content's ids (``choice="c"``, ``q-<id>="b"``,
        ``q-<id>@<item>``) as the learner's page names them: every id its token."""
        tokens = self.tokens(step, lesson_url)
        named: dict[str, Any] = {}
        for name, value in fields.items():
            if name == "choice":
                named[name] = tokens.token("decision", value)
            elif step == "check" and name.startswith("q-") and "@" in name:
                question, item = name[2:].split("@", 1)
                named[f"q-{question}@{tokens.token(question, item)}"] = value
            elif step == "check" and name.startswith("q-"):
                question = name[2:]
                values = value if isinstance(value, list) else [value]
                # A true/false question's values are its own words, not ids.
                named[name] = [
                    v if v in ("true", "false", "") else tokens.token(question, v) for v in values
                ]
            else:
                named[name] = value
        return named

    def save(self, step: str, key: str | None = None, lesson_url: str = LESSON_URL, **fields: Any):
        """POST one step the way the lesson form does (fields in the content's ids)."""
        data = {"step": step, "event_key": key or uuid.uuid4().hex, "csrf_token": self.csrf()}
        data.update(self.page_fields(step, fields, lesson_url))
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

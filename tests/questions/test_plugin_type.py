"""A question type added by one module alone, through the registry: it is read
from files, authored and previewed in the studio, exported, published, answered
as a lesson check and in a quiz, without any other module knowing its name."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

import pytest
from flask import Flask
from jinja2 import ChoiceLoader, DictLoader

from lms.content.reader import YamlMapping, scalar_word
from lms.courses.models import Course
from lms.questions import registry
from lms.questions.base import (
    BlankPart,
    BlankTexts,
    EditorFields,
    FileTexts,
    InvalidAnswer,
    PartLoader,
    PartToFile,
    QuestionType,
    Spec,
)
from lms.state import get_session
from lms.studio.export import question_to_file
from tests.assessments.conftest import autosave, positions, put_in_cohort, start
from tests.conftest import People, csrf_token_for, log_in, post_form
from tests.studio.conftest import bi, editor_form, make_draft


class Password(QuestionType):
    """Type the password a depot gate asks for; letter case does not matter."""

    name = "test_password"
    label = "Password"
    file_keys = ("password",)

    def load(self, m: YamlMapping, spec: dict[str, Any], label: str, load_part: PartLoader) -> None:
        node = m.value("password")
        word = scalar_word(node) if node is not None else None
        if not word:
            m.missing("password", "add password: the word to type")
        spec["password"] = word

    def blank(self, question_id: str, texts: BlankTexts, blank_part: BlankPart) -> dict[str, Any]:
        return {"password": "open"}

    def to_file(self, spec: Spec, texts: FileTexts, part_to_file: PartToFile) -> dict[str, Any]:
        return {"password": spec.get("password")}

    def from_editor(
        self, raw: Mapping[str, Any], editor: EditorFields, fresh: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {"password": editor.word(raw.get("password")) or fresh["password"]}

    def normalise_answer(self, spec: Spec, raw: Any) -> str | None:
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str) or len(raw) > 40:
            raise InvalidAnswer("a password is a short text")
        return raw.strip().lower()

    def _fraction(self, spec: Spec, answer: Any) -> Fraction:
        return Fraction(1) if answer == spec["password"].lower() else Fraction(0)

    def _add_answers(self, view: dict[str, Any], spec: Spec, answer: Any) -> None:
        view["chosen"] = answer
        view["password"] = spec["password"]


TEMPLATES = {
    "lms/questions/test_password_input.html": (
        '<input type="text" class="password" name="{{ name }}" value="{{ answer or \'\' }}">'
    ),
    "lms/questions/test_password_review.html": (
        '<p class="password-review">typed {{ view["chosen"] }}, '
        'gate word {{ view["password"] }}</p>'
    ),
    "lms/questions/test_password_editor.html": (
        '<input name="{{ prefix }}password" value="{{ q.get("password") or "" }}">'
    ),
}


@pytest.fixture
def password_type(content_app: Flask) -> Iterator[Password]:
    """The type, registered for one test, with its templates beside the app's."""
    qtype = registry.register(Password())
    original = content_app.jinja_env.loader
    content_app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), original])
    content_app.jinja_env.cache = {}
    yield qtype
    content_app.jinja_env.loader = original
    content_app.jinja_env.cache = {}
    registry.unregister(qtype.name)


def password_question(qid: str, kind: str) -> dict[str, Any]:
    question: dict[str, Any] = {
        "id": qid,
        "type": "test_password",
        "prompt": bi("门口密码？", "The gate password?"),
        "password": "Mango",
        "explanation": bi("站点通知里有。", "It is in the depot notice."),
    }
    if kind == "bank":
        question |= {
            "topic": "traffic",
            "difficulty": 1,
            "rule": bi("进站要密码。", "The gate needs the word."),
        }
    return question


def draft_with_password_questions(course_data: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(course_data)
    data["lessons"][0]["front"]["check"].append(password_question("acme-safety-l1-pw", "check"))
    data["questions"].append(password_question("acme-safety-pw", "bank"))
    data["course"]["quiz"]["draw"] = len(data["questions"])
    return data


def test_a_type_registered_by_one_module_goes_through_studio_lesson_and_quiz(
    content_app, trainer, course_data, password_type
):
    draft_id = make_draft(content_app, trainer.person, draft_with_password_questions(course_data))

    # The studio's question list and editor name the type and show its own fields.
    questions_page = trainer.get(f"/studio/drafts/{draft_id}/questions")
    assert "Password" in questions_page.text
    index = len(course_data["questions"])
    editor = trainer.get(f"/studio/drafts/{draft_id}/questions/{index}")
    assert editor.status_code == 200, editor.text
    assert 'name="password" value="Mango"' in editor.text

    # Preview: the player renders the type's inputs and grades a posted answer.
    frame = f"/studio/drafts/{draft_id}/lessons/0/frame"
    check = trainer.get(f"{frame}?step=check")
    assert 'class="password" name="q-acme-safety-l1-pw"' in check.text
    reviewed = trainer.post(
        f"{frame}?step=check",
        {
            "step": "check",
            "q-acme-safety-l1-c1": "true",
            "q-acme-safety-l1-pw": " MANGO ",
        },
    )
    assert "typed mango, gate word Mango" in reviewed.text

    # Export writes the type's own key back in the file shape.
    exported = question_to_file(password_question("acme-safety-pw", "bank"))
    assert exported["password"] == "Mango"
    assert list(exported)[:2] == ["id", "type"]

    # Publishing reads the exported files back through the loader.
    page = trainer.get(f"/studio/drafts/{draft_id}")
    published = trainer.post(
        f"/studio/drafts/{draft_id}/publish", {"revision": editor_form(page.text)["revision"]}
    )
    assert published.status_code == 303, published.text
    with content_app.app_context():
        course = get_session().query(Course).filter_by(key="acme-safety").one()
        checks = course.current_version.lessons[0].checks
        assert checks[-1] == {
            "id": "acme-safety-l1-pw",
            "type": "test_password",
            "topic": None,
            "difficulty": None,
            "critical": False,
            "prompt": bi("门口密码？", "The gate password?"),
            "explanation": bi("站点通知里有。", "It is in the depot notice."),
            "rule": None,
            "password": "Mango",
        }

    # A learner of the organisation answers the lesson check with it...
    learner = People(content_app).make(name="王小明", phone="13987654321")
    put_in_cohort(content_app, learner, "甲培训中心")
    client = content_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, learner.phone)
    lesson_url = "/courses/acme-safety/lessons/acme-safety-l1"
    answered = post_form(
        client,
        lesson_url,
        {
            "step": "check",
            "event_key": uuid.uuid4().hex,
            "q-acme-safety-l1-c1": "true",
            "q-acme-safety-l1-pw": "mango",
        },
    )
    assert answered.status_code == 303, answered.text
    post_form(client, "/stopped", {"next": "/"})
    lesson_page = client.get(answered.headers["Location"]).text
    assert "typed mango, gate word Mango" in lesson_page

    # ... and in the quiz, saved by autosave's field post and reviewed.
    attempt_id = start(client, "acme-safety")
    where = positions(content_app, attempt_id)
    position = where["acme-safety-pw"]
    attempt_page = client.get(f"/attempts/{attempt_id}").text
    assert f'class="password" name="q{position}"' in attempt_page
    saved = autosave(client, attempt_id, position, {"fields": {f"q{position}": ["Mango"]}})
    assert saved.status_code == 200, saved.text
    assert saved.json["saved"] is True
    submitted = client.post(
        f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_token_for(client)}
    )
    assert submitted.status_code == 303
    result = client.get(f"/attempts/{attempt_id}/result").text
    assert "typed mango, gate word Mango" in result
    assert re.search(r"Points: 1 of 1", result)

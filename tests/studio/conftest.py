"""Fixtures of the trainer studio: trainers of two organisations, English pages,
a complete valid draft, and a reader of the editor forms as a browser sends them."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from lms.accounts.models import Role
from tests.conftest import People, Person, log_in

ENGLISH = {"Accept-Language": "en"}


def bi(zh: str, en: str) -> dict[str, str]:
    return {"zh_CN": zh, "en": en}


def valid_course(key: str = "acme-safety") -> dict[str, Any]:
    """A complete two-lesson course with every question type, as studio draft data."""

    def lesson(n: int) -> dict[str, Any]:
        lid = f"{key}-l{n}"
        return {
            "slug": f"0{n}-{lid}",
            "front": {
                "id": lid,
                "title": bi(f"第{n}课：夜间送餐", f"Lesson {n}: night delivery"),
                "minutes": 3,
                "tags": ["traffic"],
                "decision": {
                    "prompt": bi("你会怎么做？", "What would you do?"),
                    "options": [
                        {
                            "id": "a",
                            "text": bi("开灯慢行", "Lights on, ride slowly"),
                            "consequence": bi("安全到达。", "You arrive safely."),
                            "best": True,
                        },
                        {
                            "id": "b",
                            "text": bi("关灯快跑", "Lights off, ride fast"),
                            "consequence": bi("差点撞人。", "You nearly hit someone."),
                        },
                    ],
                },
                "rule_source": bi("《道路交通安全法》", "Road Traffic Safety Law"),
                "check": [
                    {
                        "id": f"{lid}-c1",
                        "type": "true_false",
                        "prompt": bi("夜间要开灯。", "Lights go on at night."),
                        "answer": True,
                        "explanation": bi("看得见也被看见。", "See and be seen."),
                    }
                ],
            },
            "body": {
                "situation": bi(
                    "**晚上十点**，小王在送餐。", "**10 p.m.**, Xiao Wang is delivering."
                ),
                "outcome": bi("他开灯慢行，安全到达。", "He rode slowly with lights on."),
                "rule": bi("- 夜间开灯", "- Lights on at night"),
            },
        }

    return {
        "course": {
            "id": key,
            "title": bi("夜间安全", "Night safety"),
            "summary": bi("两个夜间案例。", "Two night-time cases."),
            "area": "legal-safety",
            "occupations": ["online-delivery-worker"],
            "level": 5,
            "quiz": {
                "id": f"{key}-quiz",
                "title": bi("夜间安全测验", "Night safety quiz"),
                "draw": 3,
                "draw_by_tag": {},
                "pass_mark": 60,
                "shuffle_questions": False,
                "shuffle_options": False,
                "max_attempts": 0,
                "cooldown_minutes": 0,
                "time_limit_minutes": None,
                "review": "explanations",
            },
        },
        "lessons": [lesson(1), lesson(2)],
        "questions": [
            {
                "id": f"{key}-q1",
                "type": "single",
                "topic": "traffic",
                "difficulty": 1,
                "prompt": bi("夜里骑车要？", "At night you must?"),
                "options": [
                    {"id": "a", "text": bi("开灯", "Use lights"), "correct": True},
                    {
                        "id": "b",
                        "text": bi("关灯", "Lights off"),
                        "feedback": bi("看不见你。", "Nobody sees you."),
                    },
                ],
                "explanation": bi("要开灯。", "Lights on."),
                "rule": bi("开灯规定", "Lights rule"),
            },
            {
                "id": f"{key}-q2",
                "type": "scenario",
                "topic": "traffic",
                "difficulty": 2,
                "critical": True,
                "scoring": "unit",
                "prompt": bi("读案例，回答两个小题。", "Read the case and answer two parts."),
                "case": bi(
                    "小李深夜送餐，路灯坏了。", "Xiao Li delivers late; the street light is out."
                ),
                "parts": [
                    {
                        "id": f"{key}-q2-p1",
                        "type": "true_false",
                        "prompt": bi("他应开灯。", "He should turn on his light."),
                        "answer": True,
                        "explanation": bi("对。", "Yes."),
                    },
                    {
                        "id": f"{key}-q2-p2",
                        "type": "single",
                        "prompt": bi("速度？", "Speed?"),
                        "options": [
                            {"id": "a", "text": bi("慢", "Slow"), "correct": True},
                            {"id": "b", "text": bi("快", "Fast")},
                        ],
                        "explanation": bi("慢一点。", "Go slow."),
                    },
                ],
                "explanation": bi("看清路。", "See the road."),
                "rule": bi("夜间规则", "Night rule"),
            },
            {
                "id": f"{key}-q3",
                "type": "multiple",
                "topic": "traffic",
                "difficulty": 2,
                "scoring": "partial",
                "prompt": bi("哪些是对的？", "Which are right?"),
                "options": [
                    {"id": "a", "text": bi("戴头盔", "Wear a helmet"), "correct": True},
                    {"id": "b", "text": bi("开灯", "Use lights"), "correct": True},
                    {"id": "c", "text": bi("逆行", "Ride against traffic")},
                ],
                "explanation": bi("前两项。", "The first two."),
                "rule": bi("安全规则", "Safety rule"),
            },
            {
                "id": f"{key}-q4",
                "type": "ordering",
                "topic": "traffic",
                "difficulty": 1,
                "prompt": bi("排序：", "Put in order:"),
                "items": [
                    {"id": "a", "text": bi("停车", "Stop")},
                    {"id": "b", "text": bi("报警", "Call the police")},
                    {"id": "c", "text": bi("拍照", "Take photos")},
                ],
                "explanation": bi("先停车。", "Stop first."),
                "rule": bi("事故处理", "Crash handling"),
            },
        ],
    }


@dataclass
class Trainer:
    """A logged-in trainer (or admin) and the client they use."""

    person: Person
    client: FlaskClient

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=ENGLISH)

    def post(self, url: str, data: dict[str, Any] | MultiDict[str, Any], **kwargs: Any) -> Any:
        # A plain dict stays one: MultiDict would split a (file, name) tuple in two.
        data = data.copy()
        if "csrf_token" not in data:
            data["csrf_token"] = self.csrf()
        return self.client.post(url, data=data, headers=ENGLISH, **kwargs)

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get("/studio").text)
        assert found
        return found.group(1)

    def submit(self, url: str, change: dict[str, str] | None = None) -> Any:
        """Load a page, fill its editor form as a browser would, change fields, post it."""
        page = self.get(url)
        assert page.status_code == 200, page.text
        fields = editor_form(page.text)
        for name, value in (change or {}).items():
            fields.setlist(name, [value])
        return self.client.post(url, data=fields, headers=ENGLISH)


def sign_in(app: Flask, person: Person) -> Trainer:
    client = app.test_client()
    response = log_in(client, person.phone)
    assert response.status_code == 302, response.text
    return Trainer(person, client)


@pytest.fixture
def staff(content_app: Flask):
    """Factory: a logged-in staff member of an organisation."""
    people = People(content_app)

    def make(
        organisation: str = "甲培训中心", role: Role = Role.TRAINER, name: str = "李老师"
    ) -> Trainer:
        return sign_in(content_app, people.make(role, name=name, organisation=organisation))

    return make


@pytest.fixture
def trainer(staff) -> Trainer:
    return staff()


@pytest.fixture
def course_data():
    return copy.deepcopy(valid_course())


class _FormReader(HTMLParser):
    """The fields of each form on a page, with the values a browser would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[MultiDict[str, str]] = []
        self.current: MultiDict[str, str] | None = None
        self.textarea: str | None = None
        self.select: str | None = None
        self.select_first: str | None = None
        self.select_chosen = False
        self.buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.current = MultiDict()
            self.forms.append(self.current)
            return
        if self.current is None or "name" not in a:
            if tag == "option" and self.select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.current.add(name, a.get("value", "on"))
            elif kind not in ("submit", "file", "button"):
                self.current.add(name, a.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self.buffer = []
        elif tag == "select":
            self.select = name
            self.select_first = None
            self.select_chosen = False

    def _option(self, a: dict[str, str]) -> None:
        assert self.current is not None and self.select is not None
        if self.select_first is None:
            self.select_first = a.get("value", "")
        if "selected" in a and not self.select_chosen:
            self.current.add(self.select, a.get("value", ""))
            self.select_chosen = True

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.buffer.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self.textarea is not None and self.current is not None:
            text = "".join(self.buffer)
            self.current.add(self.textarea, text[1:] if text.startswith("\n") else text)
            self.textarea = None
        elif tag == "select" and self.select is not None and self.current is not None:
            if not self.select_chosen:
                self.current.add(self.select, self.select_first or "")
            self.select = None
        elif tag == "form":
            self.current = None


def form_fields(html: str, index: int = -1) -> MultiDict[str, str]:
    """The fields of the ``index``-th form of a page, as a browser would submit them."""
    reader = _FormReader()
    reader.feed(html)
    return copy.copy(reader.forms[index])


def editor_form(html: str) -> MultiDict[str, str]:
    """The biggest form of a page: the editor."""
    return copy.copy(max(forms_on(html), key=lambda form: len(list(form.items(multi=True)))))


def make_draft(app: Flask, person: Person, data: dict[str, Any]) -> int:
    """A draft of ``person``'s organisation holding ``data``; returns its id."""
    from lms.accounts.models import Profile
    from lms.state import get_session
    from lms.studio.drafts import create_draft

    with app.app_context():
        session = get_session()
        profile = session.get(Profile, person.profile_id)
        course = data["course"]
        draft = create_draft(profile, course["id"], course["title"], course["area"])
        draft.data = copy.deepcopy(data)
        session.commit()
        return draft.id


def forms_on(html: str) -> list[MultiDict[str, str]]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms

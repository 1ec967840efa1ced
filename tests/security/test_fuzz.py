"""Every form and JSON endpoint, fed generated hostile and careless input
(Hypothesis), answers below 500, and a refused (4xx) request changes nothing.

The routes come from the app's URL map, each visited by a person who gets past
its access rule (taken from the access table), with the objects of
``test_access_matrix``'s world in its URL. Form posts carry a valid CSRF token
and fields named like the app's own, holding lists, NUL bytes, huge numbers,
long and odd text; JSON bodies nest, mix types and go deep. "Changes nothing"
is checked on the database connection itself: no transaction that wrote a row
of ours is committed while a refused request runs.

``LMS_FUZZ_EXAMPLES`` sets the examples per route (default 40); the counts per
route are printed for the issue's closing note (``pytest -s``).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.state import get_session
from tests.conftest import build_test_app, csrf_token_for
from tests.security.test_access_matrix import (
    LOGIN,
    MATRIX,
    SIGNING_OUT,
    _build_objects,
    _clients,
    _make_people,
    _routes,
)

EXAMPLES = int(os.environ.get("LMS_FUZZ_EXAMPLES", "40"))

#: Field names the app's forms and views read (request.form / args, templates, WTForms).
FORM_FIELDS = (
    "action again answered area category choice code confirm course csrf_token current_password "
    "days direction display_name event_key file format holder_name item key language "
    "learner_id level max_uses name new_key new_password next note number occupations page "
    "password phone requirement_key result revision save step submit t text track_key type "
    "lesson_key option at "
    "status station_id title_zh title_en anonymous template_station_id template_anonymous "
    "from to q1 q2 q999 question_1-kind question_1-text_zh question_1-text_en question_1-options"
).split()
#: Keys the JSON endpoints and the sync events read.
JSON_KEYS = (
    "events key type kind course lesson step at answer answers fields choice items parts "
    "position id attempt seconds area text"
).split()

ODD_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "1e9",
    "NaN",
    "true",
    "null",
    "[]",
    "{}",
    "99999999999999999999",
    "2147483648",
    "-2147483649",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\u202e",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%00",
]


def text_values(world: dict[str, Any]) -> st.SearchStrategy[str]:
    """Text a careless or hostile person might type, and the world's real values."""
    return st.one_of(
        st.sampled_from(ODD_TEXT),
        st.sampled_from([str(value) for value in world.values()]),
        st.text(max_size=40),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.integers(min_value=81, max_value=20_000).map(lambda n: "长" * n),
        st.text(max_size=10).map(lambda text: text + "\x00"),
    )


def form_bodies(world: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    values = text_values(world)
    return st.dictionaries(
        st.sampled_from(FORM_FIELDS),
        st.one_of(values, st.lists(values, min_size=2, max_size=3)),
        max_size=6,
    )


def json_values(world: dict[str, Any]) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        text_values(world),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(
                st.one_of(st.sampled_from(JSON_KEYS), st.text(max_size=6)), children, max_size=4
            ),
        ),
        max_leaves=16,
    )


def json_bodies(world: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """JSON texts: any value, the shapes the endpoints expect, and deep nesting."""
    values = json_values(world)
    shaped = st.dictionaries(st.sampled_from(JSON_KEYS), values, max_size=5)
    return st.one_of(
        values.map(json.dumps),
        st.fixed_dictionaries({"events": st.lists(shaped, max_size=5)}).map(json.dumps),
        st.fixed_dictionaries({"answer": values}).map(json.dumps),
        st.fixed_dictionaries({"fields": shaped}).map(json.dumps),
        st.integers(min_value=10, max_value=5000).map(lambda n: "[" * n + "]" * n),
        st.integers(min_value=10, max_value=5000).map(lambda n: '{"a":' * n + "1" + "}" * n),
        st.just('{"events": [{"key": "a"'),
    ).map(lambda text: text.encode("utf-8"))


class CommittedWrites:
    """The lms tables written by transactions committed since the last ``take``."""

    WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)

    def __init__(self, engine: sa.Engine) -> None:
        self.committed: set[str] = set()
        sa.event.listen(engine, "before_cursor_execute", self._note)
        sa.event.listen(engine, "commit", self._commit)
        sa.event.listen(engine, "rollback", self._rollback)

    def _note(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        match = self.WRITE.match(statement)
        if match and match.group(2).startswith("lms_"):
            conn.info.setdefault("fuzz_writes", set()).add(match.group(2))

    def _commit(self, conn: Any) -> None:
        self.committed |= conn.info.pop("fuzz_writes", set())

    def _rollback(self, conn: Any) -> None:
        conn.info.pop("fuzz_writes", None)

    def take(self) -> set[str]:
        taken, self.committed = self.committed, set()
        return taken


def _visitor(endpoint: str, method: str) -> str | None:
    """Who reaches the route's own checks: the first owner the access table lets in."""
    expected = MATRIX[(endpoint, method)]
    for role in ("admin_x", "trainer_x", "learner_a", "platform_admin", "anonymous"):
        if expected[role] not in (403, 404, LOGIN):
            return role
    return None


TOKENS: dict[int, str] = {}


def _token(client: FlaskClient) -> str:
    # One token serves the whole session; fetching a page for each request would
    # spend most of the run rendering home pages.
    if id(client) not in TOKENS:
        TOKENS[id(client)] = csrf_token_for(client)
    return TOKENS[id(client)]


def _send(
    client: FlaskClient, method: str, url: str, json_route: bool, body: Any
) -> tuple[int, str]:
    if method == "GET":
        response = client.get(url, query_string=body)
    elif json_route:
        response = client.post(
            url,
            data=body,
            content_type="application/json",
            headers={"X-LMS-Sync": "1", "X-CSRFToken": _token(client)},
        )
    else:
        response = client.post(url, data={**body, "csrf_token": _token(client)})
    return response.status_code, response.get_data()[:300].decode("utf-8", "replace")


@dataclass(frozen=True)
class Route:
    """One route as fuzzed: where, as whom, and what kind of body."""

    endpoint: str
    method: str
    url: str
    role: str
    json_route: bool
    label: str


def _fuzz(
    route: Route,
    bodies: st.SearchStrategy[Any],
    app: Flask,
    clients: dict[str, FlaskClient],
    phones: dict[str, str],
    writes: CommittedWrites,
    failures: list[str],
    seen: Counter[str],
) -> None:
    """Send the route generated bodies; note every 5xx and every refusal that wrote."""

    @settings(
        max_examples=EXAMPLES if route.method == "POST" else max(5, EXAMPLES // 4),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(body=bodies)
    def visit(body: Any) -> None:
        writes.take()
        client = clients[route.role]
        status, text = _send(client, route.method, route.url, route.json_route, body)
        seen["requests"] += 1
        seen[f"{status // 100}xx"] += 1
        where = f"{route.label} as {route.role}: {status}"
        if status >= 500:
            failures.append(f"{where} for {body!r:.300}\n{text}")
        elif 400 <= status < 500 and status != 429:
            changed = writes.take()
            if changed:
                failures.append(f"{where} yet wrote {sorted(changed)} for {body!r:.200}")
        elif writes.take():
            seen["accepted and written"] += 1
        if route.endpoint in SIGNING_OUT and route.role != "anonymous":
            clients[route.role] = _clients(app, {route.role: phones[route.role]})[route.role]

    visit()


@pytest.fixture
def fuzz_app(database_backend: dict[str, Any], tmp_path: Any) -> Any:
    """The access matrix's app: shipped content, no rate limit (this asks thousands of times)."""
    application = build_test_app(
        database_backend, tmp_path, with_content=True, LMS_RATELIMIT_ENABLED=False
    )
    yield application
    with application.app_context():
        get_session().remove()
        application.extensions["lms"].db.engine.dispose()


def test_no_form_or_json_endpoint_answers_5xx_or_changes_anything_when_it_refuses(
    fuzz_app: Flask,
) -> None:
    phones = _make_people(fuzz_app)
    world = _build_objects(fuzz_app, phones, 1)
    clients = _clients(fuzz_app, phones)
    with fuzz_app.app_context():
        writes = CommittedWrites(fuzz_app.extensions["lms"].db.engine)
    failures: list[str] = []
    counts: dict[str, Counter[str]] = {}
    for endpoint, method, rule in _routes(fuzz_app):
        view = fuzz_app.view_functions[endpoint]
        json_route = hasattr(view, "lms_json_max_bytes")
        role = _visitor(endpoint, method)
        if role is None or endpoint in ("lms.static", "lms.certificates.verify_pdf"):
            continue  # static files have no input; PDF uploads are tested on their own
        with fuzz_app.test_request_context():
            url = url_for(endpoint, **{name: world[name] for name in rule.arguments})
        label = f"{method} {rule.rule}"
        seen = counts.setdefault(label, Counter())
        bodies = json_bodies(world) if json_route else form_bodies(world)

        route = Route(endpoint, method, url, role, json_route, label)
        _fuzz(route, bodies, fuzz_app, clients, phones, writes, failures, seen)
    total = Counter[str]()
    for label, seen in sorted(counts.items()):
        total.update(seen)
        print(f"fuzz {label}: {dict(seen)}")
    print(f"fuzz total: {dict(total)} over {len(counts)} routes")
    assert not failures, "\n".join(failures[:20])
    # The watch on the database can fail: it saw accepted requests write.
    assert total["accepted and written"] > 0

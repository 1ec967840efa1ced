"""The LTI 1.3 tool against an independent platform: ``lti1p3platform`` plays
Moodle, with its own RSA keys, its key set, token endpoint and a line item's
score service served over HTTP by a server this test starts. The platform signs
the launches and deep linking requests, checks our signed deep linking response
and client-credentials assertion with the key set it reads from our
``/lti/jwks.json``, and stores the scores we post, read back here from its side.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService
from sqlalchemy import func, select

from lms import signals
from lms.accounts.models import CohortMember, Profile, Role
from lms.courses.models import Course
from lms.db import utcnow
from lms.interop.lti_grades import deliver_scores
from lms.interop.lti_models import LtiLaunchSession, LtiPlatform, LtiScore, LtiToolKey, LtiUser
from lms.state import get_session
from tests.conftest import (
    People,
    _dispose,
    build_concurrent_app,
    build_test_app,
    csrf_token_for,
    log_in,
    post_form,
)
from tests.courses.test_chinese_punctuation import glued
from tests.levels.conftest import add_attempt, critical_keys

TOOL = "https://lms.example.cn"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def _key_pair() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class PlatformConf(LTI1P3PlatformConfAbstract):
    """The platform's configuration: one registration, the tool's."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self.registration


class PlatformRequest(Request):
    def build_metadata(self, request: Any) -> Any:
        return request


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    """A launch whose preflight answer is our auth redirect's query."""

    def __init__(self, preflight: dict[str, Any], conf: PlatformConf) -> None:
        super().__init__(PlatformRequest({"get_data": preflight, "form_data": {}}), conf)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
        return launch_data


class Gradebook(AssignmentsGradesService):
    """The platform's score service for one line item, storing what it receives."""

    scores: list[dict[str, Any]]

    def find_lineitems(self, page: int = 1, limit: int | None = None) -> None:
        return None

    def find_lineitem(self, line_item_id: str) -> Any:
        return {"id": line_item_id, "scoreMaximum": 100}

    def create_lineitem(self, line_item: Any) -> Any:
        raise NotImplementedError

    update_lineitem = delete_lineitem = create_lineitem

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self.scores.append(score)
        return UpdateScoreStatus.SUCCESS

    def get_results(self, line_item_id: str, page: int = 1, limit: Any = None, user_id: Any = None):
        return {"content": list(self.scores), "has_next": False, "next": None}


class Platform:
    """A platform (issuer = its HTTP server's origin) with its keys and gradebook."""

    def __init__(self) -> None:
        self.private_pem, self.public_pem = _key_pair()
        self.scores: list[dict[str, Any]] = []
        self.down = False
        self.token_requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.registration = (
            Registration()
            .set_iss(self.origin)
            .set_client_id("lms-tool")
            .set_deployment_id("deployment-1")
            .set_oidc_login_url(f"{TOOL}/lti/login")
            .set_launch_url(f"{TOOL}/lti/launch")
            .set_deeplink_launch_url(f"{TOOL}/lti/launch")
            .set_platform_public_key(self.public_pem)
            .set_platform_private_key(self.private_pem)
        )
        self.conf = PlatformConf(registration=self.registration)
        self.conf.get_registration()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def line_item(self) -> str:
        return f"{self.origin}/lineitems/1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: Any) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                if self.path == "/jwks":
                    self._reply(200, {"keys": platform.registration.get_jwks()})
                else:
                    self._reply(404, {})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if platform.down:
                    self._reply(503, {"error": "maintenance"})
                    return
                if self.path == "/token":
                    platform.token_requests += 1
                    form = dict(parse_qsl(raw))
                    self._reply(200, platform.conf.get_access_token(form))
                    return
                if self.path == "/lineitems/1/scores":
                    request = PlatformRequest(
                        {"method": "POST", "headers": dict(self.headers), "json": json.loads(raw)}
                    )
                    service = Gradebook(
                        request, platform.conf, f"{platform.origin}/lineitems", platform.line_item
                    )
                    service.scores = platform.scores
                    response = service.handle_update_score("1")
                    self._reply(response.code, {"message": response.message})
                    return
                self._reply(404, {})

            def log_message(self, *args: Any) -> None:
                return

        return Handler

    def login_url(self, hint: str) -> str:
        login = Login(None, self.conf)
        login.set_lti_message_hint(hint=hint)
        return login.prepare_preflight_url(hint)

    def launch(
        self, client: FlaskClient, sub: str, roles: list[str], **options: Any
    ) -> tuple[Any, dict[str, Any]]:
        """The whole dance, ending with the platform's form post to our launch URL."""
        form = self.signed_launch(client, sub, roles, **options)
        response = client.post(
            "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}
        )
        return response, form

    def signed_launch(
        self,
        client: FlaskClient,
        sub: str,
        roles: list[str],
        *,
        deep_link: bool = False,
        custom: dict[str, str] | None = None,
        ags: bool = False,
        sign_with: str | None = None,
        expires_in: int = 300,
        locale: str | None = None,
    ) -> dict[str, Any]:
        """The platform's login initiation, our redirect to its authentication,
        and the signed launch it would post back (``id_token`` and ``state``)."""
        started = urlsplit(self.login_url(sub))
        answer = client.get(f"{started.path}?{started.query}")
        assert answer.status_code == 302, answer.get_data(as_text=True)
        redirect = urlsplit(answer.headers["Location"])
        assert f"{redirect.scheme}://{redirect.netloc}" == self.origin
        preflight = dict(parse_qsl(redirect.query))
        assert preflight["redirect_uri"] == f"{TOOL}/lti/launch"
        message = Launch(preflight, self.conf)
        message.set_user_data(sub, roles, full_name=f"平台用户 {sub}")
        message.set_launch_context_claim("course-101", context_title="骑手安全必修")
        message.set_id_token_expiration(expires_in)
        if deep_link:
            message.set_dl(f"{self.origin}/deep-link-return", title="添加内容")
        else:
            message.set_resource_link_claim("link-1", title="夜间安全测验")
        if custom:
            message.set_custom_parameters_claim(custom)
        if locale:
            message.set_extra_claims(
                {
                    "https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {
                        "document_target": "iframe",
                        "locale": locale,
                    }
                }
            )
        if ags:
            message.set_ags(f"{self.origin}/lineitems", self.line_item)
        if sign_with is not None:
            self.registration.set_platform_private_key(sign_with)
        try:
            return message.lti_launch()
        finally:
            self.registration.set_platform_private_key(self.private_pem)


@pytest.fixture
def platform() -> Iterator[Platform]:
    found = Platform()
    found.thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def lti_app(database_backend: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    application = build_test_app(database_backend, tmp_path, with_content=True, LMS_PUBLIC_URL=TOOL)
    yield application
    _dispose(application)


class ToolClient(FlaskClient):
    """A browser on the tool's public HTTPS address (where Secure cookies travel)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", TOOL)
        return super().open(*args, **kwargs)


def _tool_client(app: Flask) -> FlaskClient:
    app.test_client_class = ToolClient
    return app.test_client()


def _register(app: Flask, platform: Platform) -> Any:
    people = People(app)
    admin = people.make(Role.ADMIN, name="平台管理员", organisation="甲骑手平台")
    client = _tool_client(app)
    assert log_in(client, admin.phone).status_code == 302
    form = {
        "name": "甲平台 Moodle",
        "issuer": platform.origin,
        "client_id": "lms-tool",
        "deployment_ids": "deployment-1\n",
        "key_set_url": f"{platform.origin}/jwks",
        "auth_login_url": f"{platform.origin}/auth",
        "auth_token_url": f"{platform.origin}/token",
    }
    refused = post_form(client, "/lti/platforms", {**form, "key_set_url": "http://moodle.cn/k"})
    assert refused.status_code == 400 and "https://" in refused.get_data(as_text=True)
    done = post_form(client, "/lti/platforms", form)
    assert done.status_code == 302, done.get_data(as_text=True)
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f"{TOOL}/lti/login" in page and f"{TOOL}/lti/jwks.json" in page
    for url in ("/lti/platforms", done.headers["Location"]):
        assert glued(client.get(url).get_data(as_text=True)) == [], url
    keys = _tool_client(app).get("/lti/jwks.json")
    assert keys.status_code == 200
    platform.registration.set_tool_key_set(keys.get_json())
    return admin


def _count(model: Any) -> int:
    return get_session().scalar(select(func.count()).select_from(model))


def _profile_of(sub: str) -> Profile:
    link = get_session().scalars(select(LtiUser).where(LtiUser.sub == sub)).one()
    return get_session().get(Profile, link.profile_id)


def test_a_platform_registers_deep_links_launches_and_reads_back_the_grade(lti_app, platform):
    admin = _register(lti_app, platform)

    # Deep linking: the platform's teacher picks a quiz and a lesson from our catalogue.
    teacher = _tool_client(lti_app)
    picker, _form = platform.launch(teacher, "teacher-7", [LIS + "Instructor"], deep_link=True)
    assert picker.status_code == 200, picker.get_data(as_text=True)
    assert "SameSite=None" in picker.headers["Set-Cookie"]
    assert "Secure" in picker.headers["Set-Cookie"]
    assert f"frame-ancestors 'self' {platform.origin}" in picker.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in picker.headers
    page = picker.get_data(as_text=True)
    assert glued(page) == []
    launch_id = re.search(r'name="launch_id" value="([^"]+)"', page).group(1)
    lesson_target = re.search(r'value="(lesson:legal-safety/[^"]+)"', page).group(1)
    chosen = teacher.post(
        "/lti/deep-link",
        data={
            "csrf_token": CSRF_PATTERN.search(page).group(1),
            "launch_id": launch_id,
            "item": ["quiz:legal-safety", lesson_target, "quiz:no-such-course"],
        },
    )
    assert chosen.status_code == 200, chosen.get_data(as_text=True)
    assert f"form-action 'self' {platform.origin}" in chosen.headers["Content-Security-Policy"]
    returned = chosen.get_data(as_text=True)
    assert f'action="{platform.origin}/deep-link-return"' in returned
    response_jwt = unescape(re.search(r'name="JWT" value="([^"]+)"', returned).group(1))
    items = platform.conf.validate_deeplinking_resp({"JWT": response_jwt})
    assert [item["custom"]["lms_target"] for item in items] == ["quiz:legal-safety", lesson_target]
    assert all(
        item["type"] == "ltiResourceLink" and item["url"] == f"{TOOL}/lti/launch" for item in items
    )
    assert items[0]["lineItem"]["scoreMaximum"] == 100

    # A learner opens the quiz link in the platform's iframe.
    learner = _tool_client(lti_app)
    opened, form = platform.launch(
        learner, "learner-42", [LIS + "Learner"], custom=items[0]["custom"], ags=True
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    assert opened.headers["Location"].endswith("/courses/legal-safety/quiz")
    quiz = learner.get(opened.headers["Location"])
    assert quiz.status_code == 200
    assert f"frame-ancestors 'self' {platform.origin}" in quiz.headers["Content-Security-Policy"]
    # Another platform (or any other site) still may not frame the page.
    assert (
        "frame-ancestors 'self' " + platform.origin + ";"
        in quiz.headers["Content-Security-Policy"] + ";"
    )

    with lti_app.app_context():
        student = _profile_of("learner-42")
        coach = _profile_of("teacher-7")
        platform_row = get_session().scalars(select(LtiPlatform)).one()
        assert platform_row.organisation_id == admin.organisation_id
        assert student.role == Role.LEARNER and student.display_name == "平台用户 learner-42"
        assert coach.role == Role.TRAINER and coach.organisation_id == admin.organisation_id
        members = get_session().scalars(select(CohortMember.profile_id)).all()
        assert sorted(members) == sorted([student.id, coach.id])
        users, sessions = _count(LtiUser), _count(LtiLaunchSession)

    # The same signed launch again: refused, and nothing changes.
    replay = _tool_client(lti_app).post(
        "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}
    )
    assert replay.status_code == 400
    assert "已过期或已经使用过" in replay.get_data(as_text=True)
    with lti_app.app_context():
        assert (_count(LtiUser), _count(LtiLaunchSession)) == (users, sessions)

    # The learner's graded attempt goes to the platform's gradebook; the
    # platform is down at first, so the score waits and is retried.
    with lti_app.test_request_context():
        attempt = add_attempt(student.id, "legal-safety", 90, correct=critical_keys("legal-safety"))
        signals.attempt_graded.send(lti_app, attempt=attempt)
        signals.attempt_graded.send(lti_app, attempt=attempt)
        get_session().commit()
        assert _count(LtiScore) == 1
        platform.down = True
        assert deliver_scores().failed == 1
        row = get_session().scalars(select(LtiScore)).one()
        assert row.delivered_at is None and row.attempts == 1 and "503" in row.last_error
        assert deliver_scores().failed == 0  # not due yet: the back-off holds it
        platform.down = False
        later = utcnow() + timedelta(hours=2)
        assert deliver_scores(now=later).delivered == 1
        assert deliver_scores(now=later).delivered == 0
    (score,) = platform.scores
    assert score["userId"] == "learner-42"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (90, 100)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert score["comment"] == "Passed"
    assert platform.token_requests >= 1


def test_a_failed_critical_question_reaches_the_gradebook_as_not_passed(lti_app, platform):
    _register(lti_app, platform)
    learner = _tool_client(lti_app)
    opened, _form = platform.launch(
        learner,
        "learner-9",
        [LIS + "Learner"],
        custom={"lms_target": "quiz:legal-safety"},
        ags=True,
    )
    assert opened.status_code == 302
    with lti_app.test_request_context():
        student = _profile_of("learner-9")
        attempt = add_attempt(
            student.id, "legal-safety", 95, passed=False, wrong=critical_keys("legal-safety")[:1]
        )
        attempt.critical_failed = critical_keys("legal-safety")[:1]
        signals.attempt_graded.send(lti_app, attempt=attempt)
        get_session().commit()
        assert deliver_scores().delivered == 1
    (score,) = platform.scores
    assert score["comment"].startswith("Not passed: a critical question")
    extension = score[f"{TOOL}/lti/score"]
    assert extension["passed"] is False and extension["criticalFailed"]


def test_a_launch_signed_with_another_key_is_refused_and_changes_nothing(lti_app, platform):
    _register(lti_app, platform)
    stranger_key, _public = _key_pair()
    client = _tool_client(lti_app)
    refused, _form = platform.launch(client, "intruder", [LIS + "Learner"], sign_with=stranger_key)
    assert refused.status_code == 400
    assert "签名" in refused.get_data(as_text=True)
    with lti_app.app_context():
        assert (_count(LtiUser), _count(LtiLaunchSession), _count(CohortMember)) == (0, 0, 0)
    assert client.get("/courses/legal-safety/quiz").status_code == 302  # not signed in


def test_an_expired_launch_and_an_unknown_issuer_are_refused(lti_app, platform):
    _register(lti_app, platform)
    client = _tool_client(lti_app)
    expired, _form = platform.launch(client, "late", [LIS + "Learner"], expires_in=-120)
    assert expired.status_code == 400 and "已过期" in expired.get_data(as_text=True)
    unknown = client.get("/lti/login?iss=https://other.example.cn&login_hint=x&client_id=y")
    assert unknown.status_code == 404 and "未在本站登记" in unknown.get_data(as_text=True)
    incomplete = client.post("/lti/launch", data={"state": "state-x"})
    assert incomplete.status_code == 400
    with lti_app.app_context():
        assert (_count(LtiUser), _count(LtiLaunchSession)) == (0, 0)


def test_a_learner_may_not_deep_link_and_another_organisation_cannot_see_the_platform(
    lti_app, platform
):
    _register(lti_app, platform)
    client = _tool_client(lti_app)
    refused, _form = platform.launch(client, "learner-1", [LIS + "Learner"], deep_link=True)
    assert refused.status_code == 403
    other = People(lti_app).make(
        Role.ADMIN, name="乙管理员", organisation="乙物流", phone="13800000099"
    )
    stranger = _tool_client(lti_app)
    assert log_in(stranger, other.phone).status_code == 302
    with lti_app.app_context():
        platform_id = get_session().scalars(select(LtiPlatform.id)).one()
    assert stranger.get(f"/lti/platforms/{platform_id}").status_code == 404
    listing = stranger.get("/lti/platforms").get_data(as_text=True)
    assert "甲平台 Moodle" not in listing
    token = csrf_token_for(stranger, "/lti/platforms")
    edited = stranger.post(f"/lti/platforms/{platform_id}", data={"csrf_token": token, "name": "x"})
    assert edited.status_code == 404


def test_a_lesson_link_opens_the_lesson_and_the_launched_person_has_no_password_here(
    lti_app, platform
):
    _register(lti_app, platform)
    with lti_app.app_context():
        course = get_session().scalars(select(Course).where(Course.key == "legal-safety")).one()
        lesson_key = course.current_version.lessons[0].key
    client = _tool_client(lti_app)
    opened, _form = platform.launch(
        client,
        "rider-3",
        [LIS + "Learner"],
        custom={"lms_target": f"lesson:legal-safety/{lesson_key}"},
        locale="en-US",
    )
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/courses/legal-safety/lessons/{lesson_key}")
    lesson = client.get(opened.headers["Location"], follow_redirects=True)
    assert lesson.status_code == 200
    password = client.get("/account/password")
    # The platform's language (en-US) is the page's: the refusal says why, in English.
    assert password.status_code == 403
    assert "manage your account there" in password.get_data(as_text=True)
    token = CSRF_PATTERN.search(lesson.get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    with lti_app.app_context():
        assert _count(LtiLaunchSession) == 0
    assert client.get(opened.headers["Location"]).status_code == 302  # to the login page


def test_the_tool_key_is_made_once_and_published_with_its_kid(lti_app):
    client = _tool_client(lti_app)
    first = client.get("/lti/jwks.json").get_json()
    second = client.get("/lti/jwks.json").get_json()
    assert first == second and len(first["keys"]) == 1
    (key,) = first["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert "d" not in key  # the public half only
    with lti_app.app_context():
        assert _count(LtiToolKey) == 1


def test_a_platform_address_must_be_https_except_loopback_while_testing():
    from lms.interop.lti_platforms import url_problem

    assert url_problem("https://moodle.example.cn/mod/lti/auth.php", False) is None
    assert url_problem("http://127.0.0.1:8000/jwks", True) is None
    assert url_problem("http://127.0.0.1:8000/jwks", False) is not None
    assert url_problem("http://moodle.example.cn/jwks", True) is not None
    assert url_problem("javascript:alert(1)", True) is not None
    assert url_problem("moodle.example.cn", True) is not None


def test_one_launch_posted_twice_at_once_signs_in_once(database_backend, tmp_path, platform):
    application = build_concurrent_app(database_backend, tmp_path, 2, with_content=True)
    application.config["LMS_PUBLIC_URL"] = TOOL
    try:
        _register(application, platform)
        form = platform.signed_launch(
            _tool_client(application),
            "twice",
            [LIS + "Learner"],
            custom={"lms_target": "course:legal-safety"},
        )
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def post() -> None:
            client = _tool_client(application)
            barrier.wait()
            answer = client.post(
                "/lti/launch", data={"id_token": form["id_token"], "state": form["state"]}
            )
            statuses.append(answer.status_code)

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [302, 400]
        with application.app_context():
            assert (_count(LtiUser), _count(LtiLaunchSession)) == (1, 1)
    finally:
        _dispose(application)


def test_a_login_after_a_launch_is_who_is_asking(lti_app, platform):
    _register(lti_app, platform)
    rider = People(lti_app).make(name="李骑手", phone="13800000077")
    client = _tool_client(lti_app)
    opened, _form = platform.launch(client, "shared-phone", [LIS + "Learner"])
    assert opened.status_code == 302
    assert "平台用户 shared-phone" in client.get("/").get_data(as_text=True)
    assert log_in(client, rider.phone).status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "李骑手" in home and "平台用户 shared-phone" not in home

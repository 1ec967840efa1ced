"""Open Badges 3.0 credentials, the short QR link and the revocation status list,
checked the way people outside our site check them: another JOSE library, a QR
decoder on the printed page, and the offline verifier with the network cut."""

from __future__ import annotations

import io
import json
import socket
import subprocess
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jwcrypto import jwk, jws
from jwcrypto.common import JWException

from lms.accounts.models import Role
from lms.certificates import credentials, issuing, tokens
from lms.certificates import verify as offline
from lms.certificates.models import Certificate, CertificateKind, CertificateStatusList
from lms.certificates.pdf import qr_version
from lms.state import get_session
from tests.certificates.conftest import PUBLIC_URL, Issue, english, load
from tests.certificates.test_certificate_verification import altered_jws, revoke
from tests.conftest import log_in

#: What Open Badges 3.0 marks required ([1] or [1..*]) in each class we emit.
OB3_REQUIRED = {
    "AchievementCredential": [
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "name",
        "credentialSubject",
    ],
    "Profile": ["id", "type"],
    "AchievementSubject": ["type", "achievement"],
    "Achievement": ["id", "type", "criteria", "description", "name"],
    "IdentityObject": ["type", "hashed", "identityHash", "identityType"],
    "BitstringStatusListEntry": [
        "type",
        "statusPurpose",
        "statusListIndex",
        "statusListCredential",
    ],
}


@pytest.fixture
def client(cert_app: Flask) -> FlaskClient:
    client = cert_app.test_client()
    english(client)
    return client


def jwcrypto_keys(client: FlaskClient) -> jwk.JWKSet:
    """The JWKS as fetched over HTTP, read by jwcrypto (the app itself uses joserfc)."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return jwk.JWKSet.from_json(response.get_data(as_text=True))


def jwcrypto_verify(token: str, keyset: jwk.JWKSet) -> dict[str, Any]:
    checked = jws.JWS()
    checked.deserialize(token)
    kid = checked.jose_header["kid"]
    checked.verify(keyset.get_key(kid), alg="EdDSA")
    return json.loads(checked.payload)


def test_a_credential_verifies_with_another_jose_library_against_the_published_jwks(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    token = load(cert_app, number).token
    keyset = jwcrypto_keys(client)

    header = json.loads(tokens._b64url_decode(token.split(".")[0]))
    assert header["alg"] == "EdDSA" and header["typ"] == "vc+jwt"
    assert keyset.get_key(header["kid"]) is not None
    assert header["jku"] == f"{PUBLIC_URL}/.well-known/jwks.json"
    credential = jwcrypto_verify(token, keyset)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"{PUBLIC_URL}/verify/{number}"

    for change in ({"name": "Forged"}, {"validUntil": "2099-12-31T23:59:59Z"}):
        with pytest.raises(JWException):
            jwcrypto_verify(altered_jws(token, change), keyset)


def test_the_json_credential_has_every_property_open_badges_3_requires(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = cert_app.test_client()
    log_in(client, learner.phone)
    response = client.get(f"/certificates/{number}/credential.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    credential = response.get_json()

    def missing(document: dict[str, Any], kind: str) -> list[str]:
        return [name for name in OB3_REQUIRED[kind] if document.get(name) in (None, "", [])]

    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    assert missing(credential, "AchievementCredential") == []
    assert missing(credential["issuer"], "Profile") == []
    assert missing(subject, "AchievementSubject") == []
    assert missing(achievement, "Achievement") == []
    assert missing(subject["identifier"][0], "IdentityObject") == []
    assert missing(credential["credentialStatus"], "BitstringStatusListEntry") == []
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in credential["type"]
    assert "Profile" in credential["issuer"]["type"] and credential["issuer"]["url"]
    assert "AchievementSubject" in subject["type"] and "Achievement" in achievement["type"]
    assert credential["credentialStatus"]["type"] == "BitstringStatusListEntry"
    # The criteria in both languages, the hours, the holder's name.
    narrative = achievement["criteria"]["narrative"]
    assert "考核合格" in narrative and "passed its assessment" in narrative
    assert achievement["creditsAvailable"] == 2.5 and subject["creditsEarned"] == 2.5
    assert subject["identifier"][0]["identityHash"] == "欧阳晓明"
    assert subject["identifier"][0]["identityType"] == "name"
    # The .json carries the signed JWT, and says exactly what it signs.
    jwt = client.get(f"/certificates/{number}/credential.jwt")
    assert jwt.mimetype == "application/vc+jwt"
    proof = credential.pop("proof")
    assert proof["jwt"] == jwt.get_data(as_text=True)
    assert credentials.credential_payload(proof["jwt"]) == credential


def test_a_level_credential_names_the_national_level_it_is_modelled_on(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(
        learner.profile_id,
        kind=CertificateKind.LEVEL,
        achievement_key=f"level:courier:5:profile:{learner.profile_id}",
        level=5,
        title={"zh_CN": "快递员五级", "en": "Courier level 5"},
        course_key=None,
    )
    credential = credentials.credential_payload(load(cert_app, number).token)
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certificate"
    assert "对标五级" in achievement["specialization"]
    assert "modelled on national Level 5" in achievement["specialization"]


def test_only_the_holder_an_admin_or_the_share_link_gets_the_credential(
    cert_app: Flask, cert_people: Any, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    certificate = load(cert_app, number)
    stranger = cert_app.test_client()
    assert stranger.get(f"/certificates/{number}/credential.jwt").status_code == 404
    assert stranger.get(f"/certificates/{number}/credential.jwt?k=wrongwrong12").status_code == 404
    with cert_app.app_context():
        key = issuing.share_key(certificate)
    shared = stranger.get(f"/certificates/{number}/credential.jwt?k={key}")
    assert shared.status_code == 200 and shared.get_data(as_text=True) == certificate.token


def test_the_short_link_shows_the_full_record_and_links_the_credential(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    certificate = load(cert_app, number)
    with cert_app.app_context():
        url = issuing.short_url(certificate)
        key = issuing.share_key(certificate)
    assert url == f"{PUBLIC_URL}/c/{number}.{key}"
    page = client.get(f"/c/{number}.{key}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "欧阳晓明" in text
    assert f"/certificates/{number}/credential.jwt?k={key}" in text
    # It previews in chat apps: Open Graph tags with the course, never the holder.
    assert f'<meta property="og:url" content="{url}">' in text
    assert 'property="og:title" content="Legal safety for riders and drivers"' in text
    assert "欧阳晓明" not in text.split("</head>")[0]
    # A wrong key is the masked record and a warning; a mistyped number a 400.
    wrong = client.get(f"/c/{number}.AAAAAAAAAAAA").get_data(as_text=True)
    assert "欧阳晓明" not in wrong and "signature does not match" in wrong
    mistyped = number[:-1] + ("1" if number[-1] == "0" else "0")
    assert client.get(f"/c/{mistyped}.{key}").status_code in (400, 404)
    assert client.get("/c/nothing").status_code == 400


def test_the_api_returns_the_credential_with_the_full_record_only(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    token = load(cert_app, number).token
    assert client.get(f"/api/v1/certificates/{number}").get_json()["credential"] is None
    full = client.get(f"/api/v1/certificates/{number}", query_string={"name": "欧阳晓明"})
    assert full.get_json()["credential"] == token


def test_each_certificate_gets_its_own_status_index(
    cert_app: Flask, cert_people: Any, issue: Issue
) -> None:
    learners = [
        cert_people.make(Role.LEARNER, name=name) for name in ("张三", "李四", "王五", "赵六")
    ]
    numbers = [issue(person.profile_id) for person in learners]
    with cert_app.app_context():
        rows = get_session().query(Certificate).filter(Certificate.number.in_(numbers)).all()
        entries = {(c.status_list_id, c.status_index) for c in rows}
        status_list = get_session().get(CertificateStatusList, rows[0].status_list_id)
        assert status_list is not None and status_list.next_index >= 4
    assert len(entries) == 4 and None not in {index for _list, index in entries}


def _cut_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("network is cut for this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _offline(*args: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = offline.main([*args, "--json"])
    return code, json.loads(out.getvalue())


def test_a_revoked_certificate_is_revoked_offline_after_one_status_list_download(
    client: FlaskClient,
    cert_app: Flask,
    learner: Any,
    issue: Issue,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = issue(learner.profile_id)
    other = issue(learner.profile_id, course="night-safety")
    token = load(cert_app, number).token
    credential = credentials.credential_payload(token)
    list_url = credential["credentialStatus"]["statusListCredential"]
    path = list_url.removeprefix(PUBLIC_URL)
    (tmp_path / "token.jwt").write_text(token)
    (tmp_path / "other.jwt").write_text(load(cert_app, other).token)
    (tmp_path / "jwks.json").write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    before = client.get(path)
    assert before.status_code == 200 and before.mimetype == "application/vc+jwt"

    revoke(cert_app, number)
    # Downloaded once, after the revocation; then no network at all.
    (tmp_path / "status.jwt").write_text(client.get(path).get_data(as_text=True))
    (tmp_path / "old-status.jwt").write_text(before.get_data(as_text=True))
    _cut_network(monkeypatch)
    files = ["--jwks", str(tmp_path / "jwks.json"), "--status-list", str(tmp_path / "status.jwt")]

    code, report = _offline(str(tmp_path / "token.jwt"), *files)
    assert code == 1 and report["status"] == "revoked" and report["revocation_checked"]
    code, report = _offline(str(tmp_path / "other.jwt"), *files)
    assert code == 0 and report["status"] == "valid" and report["revocation_checked"]
    # The list from before the revocation still said valid: it is the download that counts.
    stale = [
        "--jwks",
        str(tmp_path / "jwks.json"),
        "--status-list",
        str(tmp_path / "old-status.jwt"),
    ]
    assert _offline(str(tmp_path / "token.jwt"), *stale)[1]["status"] == "valid"
    # Without a list it says what it could not check.
    code, report = _offline(str(tmp_path / "token.jwt"), "--jwks", str(tmp_path / "jwks.json"))
    assert code == 0 and not report["revocation_checked"] and "--status-list" in report["note"]


def test_a_forged_status_list_is_refused(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    number = issue(learner.profile_id)
    token = load(cert_app, number).token
    path = credentials.credential_payload(token)["credentialStatus"]["statusListCredential"]
    genuine = client.get(path.removeprefix(PUBLIC_URL)).get_data(as_text=True)
    (tmp_path / "jwks.json").write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    (tmp_path / "status.jwt").write_text(altered_jws(genuine, {"id": "x"}))
    code, report = _offline(
        token, "--jwks", str(tmp_path / "jwks.json"), "--status-list", str(tmp_path / "status.jwt")
    )
    assert code == 2 and "not trustworthy" in report["reason"]


def test_the_verifier_reads_the_pdf_the_json_and_spots_an_edited_json(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    number = issue(learner.profile_id)
    certificate = load(cert_app, number)
    (tmp_path / "jwks.json").write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    (tmp_path / "certificate.pdf").write_bytes(certificate.pdf or b"")
    document = credentials.credential_document(certificate.token)
    (tmp_path / "credential.json").write_text(json.dumps(document, ensure_ascii=False))
    jwks = ["--jwks", str(tmp_path / "jwks.json")]

    code, report = _offline(str(tmp_path / "certificate.pdf"), *jwks)
    assert code == 0 and report["fields"]["number"] == number
    code, report = _offline(str(tmp_path / "credential.json"), *jwks)
    assert code == 0 and report["fields"]["holder"] == "欧阳晓明"

    document["credentialSubject"]["identifier"][0]["identityHash"] = "张三"
    (tmp_path / "edited.json").write_text(json.dumps(document, ensure_ascii=False))
    code, report = _offline(str(tmp_path / "edited.json"), *jwks)
    assert code == 1 and report["error"] == "bad_signature"


def test_the_verifier_finds_the_credential_behind_a_qr_link() -> None:
    url = "https://lms.example.cn/lms/c/LMS7K2MQX4D9B3NT5.AbCdEfGhIjKl"
    assert offline.credential_url(url) == (
        "https://lms.example.cn/lms/certificates/LMS7K2MQX4D9B3NT5/credential.jwt?k=AbCdEfGhIjKl"
    )
    assert offline.credential_url("https://lms.example.cn/verify/LMS7K2MQX4D9B3NT5") is None


def test_help_says_where_each_input_comes_from_and_the_exit_codes() -> None:
    text = offline._parser().format_help()
    for words in ("--status-list", "jwks.json", "statusListCredential", "Exit codes", "REVOKED"):
        assert words in text


def test_the_qr_code_on_the_printed_pdf_decodes_to_the_short_link(
    cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    number = issue(learner.profile_id)
    certificate = load(cert_app, number)
    with cert_app.app_context():
        url = issuing.short_url(certificate)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate.pdf or b"")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    found = pyzbar.decode(Image.open(tmp_path / "page.png"))
    assert [symbol.data.decode("ascii") for symbol in found] == [url]
    version = qr_version(url)
    print(f"QR version {version} at error correction M, URL length {len(url)}")
    assert version <= 8
    # Printed at least 25 mm wide: at 150 dpi that is 148 pixels.
    assert found[0].rect.width >= 25 / 25.4 * 150 * 0.95

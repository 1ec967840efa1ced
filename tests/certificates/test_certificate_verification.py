"""Verification by number, name and QR token: on the page, the API and offline."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from openapi_schema_validator import OAS31Validator, validate

from lms.certificates import access, issuing, keys, numbers, tokens, verification
from lms.certificates import verify as offline
from lms.state import get_session
from tests.certificates.conftest import Issue, days_ago, english, load

OPENAPI = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "lms/certificates/openapi.yaml").read_text("utf-8")
)


def api(client: FlaskClient, number: str, **params: str) -> Any:
    """Call the API and check the response against the OpenAPI document."""
    response = client.get(f"/api/v1/certificates/{number}", query_string=params)
    operation = OPENAPI["paths"]["/api/v1/certificates/{number}"]["get"]
    spec = operation["responses"][str(response.status_code)]
    schema = dict(spec["content"]["application/json"]["schema"], components=OPENAPI["components"])
    validate(response.get_json(), schema, cls=OAS31Validator)
    return response


@pytest.fixture
def client(cert_app: Flask) -> FlaskClient:
    client = cert_app.test_client()
    english(client)
    return client


def fields_of(token: str) -> dict[str, Any]:
    return json.loads(tokens._b64url_decode(token.split(".")[2]))


def with_fields(token: str, fields: dict[str, Any]) -> str:
    """The token with its payload replaced and its signature kept: an alteration."""
    version, kid, _payload, signature = token.split(".")
    payload = tokens._b64url_encode(tokens.canonical_payload(fields))
    return f"{version}.{kid}.{payload}.{signature}"


def v1_token(app: Flask, number: str) -> str:
    """The v1 token the certificate's QR carried before credentials (still honoured)."""
    with app.app_context():
        certificate = access.certificate_by_number(number)
        signing = keys.signing_key()
        return tokens.sign_certificate(
            issuing.token_fields(certificate), signing.private_key, signing.kid
        )


def altered_jws(token: str, change: dict[str, Any]) -> str:
    """The credential JWT with its payload changed and its signature kept."""
    header, payload, signature = token.split(".")
    credential = json.loads(tokens._b64url_decode(payload)) | change
    body = tokens._b64url_encode(json.dumps(credential, ensure_ascii=False).encode())
    return f"{header}.{body}.{signature}"


def mistype(number: str) -> str:
    formatted = numbers.format_number(number)
    wrong = "0" if formatted[5] != "0" else "1"
    return formatted[:5] + wrong + formatted[6:]


def revoke(
    app: Flask, number: str, note: str = "Issued by mistake", category: str = "issued_in_error"
) -> None:
    with app.app_context():
        issuing.revoke_certificate(access.certificate_by_number(number), category, note, None)
        get_session().commit()


def reissue(app: Flask, number: str, name: str) -> str:
    with app.app_context():
        new = issuing.reissue_certificate(access.certificate_by_number(number), name, None)
        get_session().commit()
        return new.number


# ---------------------------------------------------------------- page


def test_valid_number_shows_the_record_with_the_name_masked(
    client: FlaskClient, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    page = client.get(f"/verify/{number}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Valid" in text and numbers.format_number(number) in text
    assert "欧**明" in text and "欧阳晓明" not in text
    assert "110***********1234" not in text  # the ID number only with the full record


def test_the_holder_name_or_the_qr_token_unlock_the_full_record(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    by_name = client.get("/verify", query_string={"number": number, "name": "欧阳 晓明"})
    assert "欧阳晓明" in by_name.get_data(as_text=True)
    wrong_name = client.get("/verify", query_string={"number": number, "name": "张三"})
    assert "欧阳晓明" not in wrong_name.get_data(as_text=True)
    token = load(cert_app, number).token
    by_token = client.get(f"/verify/{number}", query_string={"t": token})
    text = by_token.get_data(as_text=True)
    assert "欧阳晓明" in text and "110***********1234" in text


def test_a_guessed_name_gets_no_yes_or_no_only_the_full_record_when_right(
    client: FlaskClient, learner: Any, issue: Issue
) -> None:
    """Regression: name_matches answered a bare false to every wrong guess."""
    number = issue(learner.profile_id)
    no_name = api(client, number).get_json()
    wrong = api(client, number, name="张三").get_json()
    assert wrong == no_name
    assert wrong["name_check"] is None and wrong["certificate"]["holder_name_masked"] is True
    right = api(client, number, name="欧阳晓明").get_json()
    assert right["name_check"] == "matches"
    assert right["certificate"]["holder_name"] == "欧阳晓明"
    assert right["certificate"]["masked_id_number"] == "110***********1234"


def test_an_altered_or_forged_token_is_flagged_and_unlocks_nothing(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    token = v1_token(cert_app, number)
    fields = fields_of(token)
    altered = with_fields(token, dict(fields, hours=999))
    kid = tokens.token_kid(token)
    stranger = Ed25519PrivateKey.generate()
    forged = tokens.sign_certificate(dict(fields, holder="张三"), stranger, kid)
    credential = load(cert_app, number).token
    altered_credential = altered_jws(credential, {"name": "张三"})
    # The v1 token and the credential of the certificate both unlock the record.
    for good in (token, credential):
        assert api(client, number, t=good).get_json()["token"] == "valid"
    for bad in (altered, forged, altered_credential, "garbage"):
        page = client.get(f"/verify/{number}", query_string={"t": bad})
        text = page.get_data(as_text=True)
        assert "signature does not match" in text
        assert "欧阳晓明" not in text and "张三" not in text
        body = api(client, number, t=bad).get_json()
        assert body["token"] != "valid" and body["certificate"]["holder_name_masked"] is True


def test_revoked_certificate_shows_date_and_category_but_never_the_admins_note(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    revoke(cert_app, number, "Quiz answers were shared by 王五", "obtained_by_fraud")
    text = client.get(f"/verify/{number}").get_data(as_text=True)
    assert "Revoked" in text and "Obtained by fraud" in text
    assert "Quiz answers" not in text and "王五" not in text
    assert dt.date.today().isoformat() in text
    body = api(client, number, name="欧阳晓明").get_json()
    assert body["state"] == "revoked"
    assert body["certificate"]["revocation_category"] == "obtained_by_fraud"
    assert body["certificate"]["revocation_label"] == "Obtained by fraud"
    assert "Quiz answers" not in json.dumps(body, ensure_ascii=False)
    chinese = client.get(f"/verify/{number}", headers={"Accept-Language": "zh-CN"})
    assert "Obtained by fraud" not in chinese.get_data(as_text=True)


def test_expired_certificate(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    cert_app.config["LMS_CERTIFICATE_VALID_YEARS"] = 1
    number = issue(learner.profile_id, issued_on=days_ago(800))
    assert "Expired" in client.get(f"/verify/{number}").get_data(as_text=True)
    assert api(client, number).get_json()["state"] == "expired"


def test_superseded_certificate_points_to_the_new_number(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    new_number = reissue(cert_app, number, "欧阳小明")
    text = client.get(f"/verify/{number}").get_data(as_text=True)
    assert "Superseded" in text and numbers.format_number(new_number) in text
    body = api(client, number).get_json()
    assert body["state"] == "superseded"
    assert body["certificate"]["superseded_by"] == numbers.format_number(new_number)
    assert api(client, new_number).get_json()["state"] == "valid"


def test_unknown_number(client: FlaskClient, cert_app: Flask) -> None:
    unknown = numbers.new_certificate_number()
    page = client.get(f"/verify/{unknown}")
    assert page.status_code == 404 and "No certificate has this number" in page.get_data(
        as_text=True
    )
    assert api(client, unknown).status_code == 404


def test_a_mistyped_number_is_reported_before_any_lookup(
    client: FlaskClient, learner: Any, issue: Issue, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(learner.profile_id)

    def no_lookup(compact: str) -> None:
        raise AssertionError("a mistyped number must not be looked up")

    monkeypatch.setattr(verification, "certificate_by_number", no_lookup)
    page = client.get("/verify", query_string={"number": mistype(number)})
    assert page.status_code == 400 and "typing mistake" in page.get_data(as_text=True)
    body = api(client, mistype(number)).get_json()
    assert body["state"] == "mistyped" and body["certificate"] is None
    official = "Y000123000001195000001"
    assert api(client, official).get_json()["state"] == "malformed"


def test_the_verify_form_and_qr_link_work_without_login(client: FlaskClient) -> None:
    page = client.get("/verify")
    assert page.status_code == 200
    assert 'name="number"' in page.get_data(as_text=True)


def test_api_full_record_matches_the_schema(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    body = api(client, number, name="欧阳晓明").get_json()
    assert body["name_check"] == "matches"
    certificate = body["certificate"]
    assert certificate["holder_name"] == "欧阳晓明"
    assert certificate["title"]["en"] == "Legal safety for riders and drivers"


def test_jwks_is_published_and_matches_the_signing_key(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    jwks = client.get("/.well-known/jwks.json").get_json()
    schema = dict(OPENAPI["components"]["schemas"]["JWKS"], components=OPENAPI["components"])
    validate(jwks, schema, cls=OAS31Validator)
    trusted = tokens.public_keys_from_jwks(jwks)
    header, credential = tokens.verify_jws(load(cert_app, number).token, trusted)
    assert header["kid"] in trusted and header["alg"] == "EdDSA"
    fields = tokens.credential_fields(credential)
    assert fields["number"] == number
    assert fields["verify_url"] == f"https://lms.example.cn/verify/{number}"
    old = tokens.verify_token(v1_token(cert_app, number), trusted)
    assert old["number"] == numbers.format_number(number)


def test_retired_keys_stay_published(cert_app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    old = Ed25519PrivateKey.generate()
    old_kid = tokens.kid_for(old.public_key())
    cert_app.config["LMS_RETIRED_PUBLIC_KEYS"] = tokens.jwks({old_kid: old.public_key()})
    cert_app.extensions.pop("lms_certificate_keys", None)
    kids = [key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]]
    assert old_kid in kids and len(kids) == 2


# ---------------------------------------------------------------- offline verifier


def offline_check(token: str, jwks_file: Path) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = offline.main([token, "--jwks", str(jwks_file), "--json"])
    return code, json.loads(out.getvalue())


def test_the_offline_verifier_checks_issued_tokens(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    number = issue(learner.profile_id)
    token = load(cert_app, number).token
    code, report = offline_check(token, jwks_file)
    assert code == 0 and report["status"] == "valid"
    assert report["fields"]["holder"] == "欧阳晓明"

    # Revoked or superseded: offline it still verifies, and says revocation was not checked.
    revoke(cert_app, number)
    code, report = offline_check(token, jwks_file)
    assert code == 0 and report["revocation_checked"] is False
    assert report["verify_url"].endswith(number)

    # Altered: any property changed breaks the signature.
    for name in ("name", "validFrom", "id", "credentialSubject"):
        altered = altered_jws(token, {name: "2030-01-01T00:00:00Z"})
        _code, report = offline_check(altered, jwks_file)
        assert report["error"] == "bad_signature", name

    # Forged with another key under our kid, and unknown garbage.
    header, payload, _signature = token.split(".")
    stranger = Ed25519PrivateKey.generate()
    forged_signature = stranger.sign(f"{header}.{payload}".encode())
    forged = f"{header}.{payload}.{tokens._b64url_encode(forged_signature)}"
    assert offline_check(forged, jwks_file)[1]["error"] == "bad_signature"
    assert offline_check("v1.nobody.AAAA.BBBB", jwks_file)[0] == 1


def test_the_offline_verifier_reports_expiry(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    cert_app.config["LMS_CERTIFICATE_VALID_YEARS"] = 1
    number = issue(learner.profile_id, issued_on=days_ago(800))
    code, report = offline_check(load(cert_app, number).token, jwks_file)
    assert code == 1 and report["status"] == "expired"

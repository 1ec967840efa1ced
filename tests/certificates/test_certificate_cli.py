"""`flask lms certificates render` (``--missing``, ``--all``) renders what has no
PDF yet; `rotate-key` changes the signing key without losing what the old one signed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from lms.certificates import credentials, tokens
from lms.certificates.cli import certificates_cli
from tests.certificates.conftest import PUBLIC_URL, Issue, load


def test_render_all_renders_missing_pdfs_once(cert_app: Flask, learner: Any, issue: Issue) -> None:
    first = issue(learner.profile_id, render=False)
    second = issue(learner.profile_id, course="ecommerce", render=False)
    assert load(cert_app, first).pdf is None
    runner = cert_app.test_cli_runner()
    result = runner.invoke(certificates_cli, ["render", "--all"])
    assert result.exit_code == 0, result.output
    assert "Rendered 2 certificate PDF(s)." in result.output
    rendered = load(cert_app, first)
    assert rendered.pdf and rendered.pdf_sha256
    assert load(cert_app, second).pdf
    again = runner.invoke(certificates_cli, ["render", "--all"])
    assert "Rendered 0 certificate PDF(s)." in again.output
    assert load(cert_app, first).pdf == rendered.pdf


def test_render_without_arguments_renders_the_missing_ones_and_numbers_only_those(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    first = issue(learner.profile_id, render=False)
    second = issue(learner.profile_id, course="ecommerce", render=False)
    runner = cert_app.test_cli_runner()
    only = runner.invoke(certificates_cli, ["render", first])
    assert "Rendered 1 certificate PDF(s)." in only.output
    assert load(cert_app, first).pdf and load(cert_app, second).pdf is None
    rest = runner.invoke(certificates_cli, ["render"])
    assert rest.exit_code == 0 and "Rendered 1 certificate PDF(s)." in rest.output
    assert load(cert_app, second).pdf
    assert runner.invoke(certificates_cli, ["render", "LMS-NOT-A-NUMBER"]).exit_code == 2


def test_jwks_command(cert_app: Flask) -> None:
    result = cert_app.test_cli_runner().invoke(certificates_cli, ["jwks"])
    assert result.exit_code == 0 and '"Ed25519"' in result.output


def test_rotating_the_key_keeps_old_credentials_verifying_and_re_signs_status_lists(
    cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    key_file = tmp_path / "signing.pem"
    key_file.write_text(cert_app.config["LMS_SIGNING_KEY"])
    cert_app.config.update(LMS_SIGNING_KEY=None, LMS_SIGNING_KEY_FILE=str(key_file))
    cert_app.config["LMS_RETIRED_PUBLIC_KEYS"] = str(tmp_path / "retired.json")
    cert_app.extensions.pop("lms_certificate_keys", None)
    old_number = issue(learner.profile_id)
    old = load(cert_app, old_number)

    result = cert_app.test_cli_runner().invoke(certificates_cli, ["rotate-key"])
    assert result.exit_code == 0, result.output
    assert "Re-signed 1 status list(s)" in result.output
    assert old.key_id in result.output

    client = cert_app.test_client()
    published = tokens.public_keys_from_jwks(client.get("/.well-known/jwks.json").get_data())
    assert old.key_id in published and len(published) == 2
    header, _credential = tokens.verify_jws(old.token, published)
    assert header["kid"] == old.key_id
    new = load(cert_app, issue(learner.profile_id, course="night-safety"))
    assert new.key_id != old.key_id and new.key_id in published
    status_path = credentials.credential_payload(old.token)["credentialStatus"][
        "statusListCredential"
    ].removeprefix(PUBLIC_URL)
    status_list = client.get(status_path).get_data(as_text=True)
    assert tokens.verify_jws(status_list, published)[0]["kid"] == new.key_id


def test_an_inline_key_cannot_be_rotated_and_says_what_to_do(cert_app: Flask) -> None:
    result = cert_app.test_cli_runner().invoke(certificates_cli, ["rotate-key"])
    assert result.exit_code != 0
    assert "LMS_SIGNING_KEY_FILE" in result.output

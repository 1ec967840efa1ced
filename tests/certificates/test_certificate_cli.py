"""`flask lms certificates render --all` renders what has no PDF yet."""

from __future__ import annotations

from typing import Any

from flask import Flask

from lms.certificates.cli import certificates_cli
from tests.certificates.conftest import Issue, load


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


def test_render_needs_numbers_or_all(cert_app: Flask) -> None:
    result = cert_app.test_cli_runner().invoke(certificates_cli, ["render"])
    assert result.exit_code == 2


def test_jwks_command(cert_app: Flask) -> None:
    result = cert_app.test_cli_runner().invoke(certificates_cli, ["jwks"])
    assert result.exit_code == 0 and '"Ed25519"' in result.output

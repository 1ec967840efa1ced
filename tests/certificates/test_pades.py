"""Signed certificate PDFs (PAdES): what poppler's pdfsig and our upload check say
about a fresh download, a copy with one byte changed and a copy a reader appended to."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.certificates import pades
from tests.certificates.conftest import Issue, english
from tests.conftest import log_in, post_form

PDF_BUDGET_BYTES = 60 * 1024


@pytest.fixture
def client(cert_app: Flask) -> FlaskClient:
    client = cert_app.test_client()
    english(client)
    return client


def download(cert_app: Flask, learner: Any, number: str) -> bytes:
    holder = cert_app.test_client()
    log_in(holder, learner.phone)
    response = holder.get(f"/certificates/{number}/pdf")
    assert response.status_code == 200
    return response.data


def pdfsig(data: bytes, tmp_path: Path) -> str:
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (Debian poppler-utils) is not installed")
    path = tmp_path / "checked.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
    return result.stdout + result.stderr


def upload(client: FlaskClient, data: bytes) -> Any:
    return post_form(
        client,
        "/verify/pdf",
        {"file": (io.BytesIO(data), "certificate.pdf")},
        content_type="multipart/form-data",
    )


def one_byte_changed(data: bytes) -> bytes:
    """The PDF with one byte inside the signed page content flipped."""
    changed = bytearray(data)
    changed[len(data) // 3] ^= 0x01
    return bytes(changed)


def test_a_fresh_download_is_signed_valid_and_whole_for_pdfsig_and_the_upload_page(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    number = issue(learner.profile_id)
    data = download(cert_app, learner, number)
    print(f"signed certificate PDF: {len(data) / 1024:.1f} KB")
    assert len(data) <= PDF_BUDGET_BYTES

    report = pdfsig(data, tmp_path)
    assert "Signature is Valid." in report
    assert "Total document signed" in report
    assert "示范区新就业群体服务中心" in report

    page = upload(client, data)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Signed by 示范区新就业群体服务中心 / Demo Service Centre on" in text
    assert "unchanged since" in text and "欧阳晓明" in text


def test_one_changed_byte_in_the_signed_range_breaks_the_signature_everywhere(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue, tmp_path: Path
) -> None:
    number = issue(learner.profile_id)
    changed = one_byte_changed(download(cert_app, learner, number))

    report = pdfsig(changed, tmp_path)
    assert "Signature is Valid." not in report

    text = upload(client, changed).get_data(as_text=True)
    assert "this file was changed after" in text
    assert "unchanged since" not in text and "欧阳晓明" not in text
    with cert_app.app_context():
        assert pades.check_signature(changed, pades.signing_identity()).outcome == "modified"


def test_a_copy_that_only_appended_to_the_signed_file_is_still_recognised(
    client: FlaskClient, cert_app: Flask, learner: Any, issue: Issue
) -> None:
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    number = issue(learner.profile_id)
    original = download(cert_app, learner, number)
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    writer.root[NameObject("/PageMode")] = NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    resaved = out.getvalue()
    assert resaved != original and resaved.startswith(original)

    text = upload(client, resaved).get_data(as_text=True)
    assert "unchanged since" in text and "This file is the PDF we issued" in text


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"hello, this is not a PDF", 400, "This file is not a PDF."),
        (b"", 400, "Choose a PDF file to check."),
        (b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024), 413, "The file is too large."),
    ],
)
def test_a_bad_upload_gets_its_message_on_the_same_page_with_the_form(
    client: FlaskClient, data: bytes, status: int, message: str
) -> None:
    response = upload(client, data)
    text = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in text
    assert 'name="file"' in text and 'enctype="multipart/form-data"' in text


def test_a_pdf_signed_by_someone_else_is_named_as_such(client: FlaskClient) -> None:
    from lms.certificates.bench import sample_documents
    from lms.certificates.pdf import render_pdf

    stranger = pades.identity_from_pem(pades.generate_identity_pem("Forged Training Ltd"))
    forged = pades.sign_pdf(render_pdf(sample_documents()[0]), stranger, "forged")
    text = upload(client, forged).get_data(as_text=True)
    assert "signed by Forged Training Ltd, which is not our signing certificate" in text
    assert "This file is the PDF we issued" not in text


def test_an_unsigned_pdf_is_said_to_carry_no_signature(client: FlaskClient) -> None:
    from lms.certificates.bench import sample_documents
    from lms.certificates.pdf import render_pdf

    unsigned = render_pdf(sample_documents()[0])
    text = upload(client, unsigned).get_data(as_text=True)
    assert "This PDF carries no signature." in text

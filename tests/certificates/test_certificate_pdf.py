"""The certificate PDF: real Chinese text, rendered once, served byte for byte."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pypdf
import pytest
from flask import Flask

from lms.accounts.models import Role
from lms.certificates import numbers, pdf
from lms.certificates.bench import run, sample_documents
from tests.certificates.conftest import Issue, english, load
from tests.conftest import log_in, post_form


def text_of(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    return reader.pages[0].extract_text()


def test_the_pdf_embeds_the_chinese_name_and_is_small(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    certificate = load(cert_app, number)
    assert certificate.pdf is not None
    assert len(certificate.pdf) <= 100 * 1024
    text = text_of(certificate.pdf)
    assert "欧阳晓明" in text
    assert "培训结业证书" in text and "Certificate of Training Completion" in text
    # Labels of the app's own: none of the official field set (职业（工种）, 证件号码, 证书编号).
    assert "适用岗位" in text
    assert "职业（工种）" not in text and "证件号码" not in text and "证书编号" not in text
    assert numbers.format_number(number) in text
    assert "110***********1234" in text
    # Never styled as the official certificate, nor pointing at its query site.
    assert "职业技能等级证书" not in text and "osta.org.cn" not in text


def test_downloads_are_byte_identical_and_match_the_stored_hash(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    client = cert_app.test_client()
    log_in(client, learner.phone)
    first = client.get(f"/certificates/{number}/pdf")
    second = client.get(f"/certificates/{number}/pdf")
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.data == second.data
    stored = load(cert_app, number)
    assert hashlib.sha256(first.data).hexdigest() == stored.pdf_sha256
    assert first.data == stored.pdf


def test_an_uploaded_pdf_is_recognised_only_when_unchanged(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    number = issue(learner.profile_id)
    original = load(cert_app, number).pdf
    assert original is not None
    client = cert_app.test_client()
    english(client)

    def upload(data: bytes) -> Any:
        return post_form(
            client,
            "/verify/pdf",
            {"file": (io.BytesIO(data), "certificate.pdf")},
            content_type="multipart/form-data",
        )

    same = upload(original)
    assert same.status_code == 200
    text = same.get_data(as_text=True)
    assert "This file is the PDF we issued" in text and "欧阳晓明" in text
    assert "unchanged since" in text
    edited = original.replace("欧阳晓明".encode("utf-16-be"), "欧阳晓东".encode("utf-16-be"))
    edited = edited if edited != original else original[:-10] + b"% edited\n"
    changed = upload(edited)
    assert changed.status_code == 200
    assert "does not match" in changed.get_data(as_text=True)
    not_pdf = upload(b"hello, this is not a PDF")
    assert not_pdf.status_code == 400 and "not a PDF" in not_pdf.get_data(as_text=True)
    empty = upload(b"")
    assert empty.status_code == 400


def test_the_url_fetcher_loads_nothing_from_outside() -> None:
    fetcher = pdf.locked_fetcher({"lms-font:regular": b"font"})
    assert fetcher.fetch("lms-font:regular").read() == b"font"
    for url in ("file:///etc/passwd", "http://169.254.169.254/", "https://example.com/x.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_a_name_with_markup_is_printed_as_text(
    cert_app: Flask, cert_people: Any, issue: Issue
) -> None:
    person = cert_people.make(Role.LEARNER, name="王小明")
    number = issue(
        person.profile_id,
        holder_name='<img src="file:///etc/passwd">王小明',
    )
    text = text_of(load(cert_app, number).pdf or b"")
    assert '<img src="file:///etc/passwd">王小明' in text.replace("\n", "")


def test_bench_prints_the_two_lines() -> None:
    lines = run(runs=1)
    assert lines[0].startswith("certificate chinese/latin render ratio: ")
    assert lines[1].startswith("certificate pdf size KB: ")
    assert "naive system font" in lines[0] and "naive system font" in lines[1]


def test_the_latin_yardstick_really_is_latin_only() -> None:
    _chinese, latin = sample_documents()
    data = pdf.render_pdf(latin, pdf.LATIN_FONT, subset=False)
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = [f.get_object()["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and all("DejaVu" in str(name) for name in fonts)


def test_a_level_certificate_says_modelled_on_never_the_official_title(
    cert_app: Flask, learner: Any, issue: Issue
) -> None:
    from lms.certificates.models import CertificateKind

    number = issue(
        learner.profile_id,
        kind=CertificateKind.LEVEL,
        achievement_key=f"level:courier:5:profile:{learner.profile_id}",
        title={"zh_CN": "L5 初级（对标五级/初级工）", "en": "L5 Entry"},
        level=5,
        course_key=None,
    )
    text = text_of(load(cert_app, number).pdf or b"").replace("\n", "")
    assert "培训等级证明（L5，对标五级知识要求）" in text
    assert "modelled on the level-5 knowledge requirements" in text
    assert "职业技能等级证书" not in text


def test_an_oversized_upload_is_refused(cert_app: Flask) -> None:
    client = cert_app.test_client()
    english(client)
    big = b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024)
    response = post_form(
        client,
        "/verify/pdf",
        {"file": (io.BytesIO(big), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413

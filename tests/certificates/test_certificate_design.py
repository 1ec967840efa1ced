"""An organisation's own certificate design: the admin page, its upload checks,
the preview and the certificates issued afterwards."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest
from flask import Flask
from PIL import Image

from lms.accounts.models import Role
from lms.certificates import design
from lms.certificates.errors import CertificateError
from lms.certificates.models import CertificateDesign
from lms.certificates.pdf import render_pdf
from lms.state import get_session
from tests.certificates.conftest import english, load
from tests.conftest import PUBLISHER, People, log_in, post_form

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png(size: tuple[int, int] = (300, 120), colour: tuple[int, ...] = (16, 92, 160)) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "secret-author-13800000000")
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg(size: tuple[int, int] = (200, 200)) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "secret-camera-note"  # ImageDescription
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def designs(app: Flask) -> list[CertificateDesign]:
    with app.app_context():
        found = get_session().query(CertificateDesign).all()
        get_session().expunge_all()
        return found


def images_in(data: bytes) -> int:
    reader = pypdf.PdfReader(io.BytesIO(data))
    resources = reader.pages[0]["/Resources"]
    objects = resources.get("/XObject", {})
    return sum(1 for ref in objects.values() if ref.get_object()["/Subtype"] == "/Image")


@pytest.fixture
def admin_client(cert_app: Flask, cert_people: People) -> Any:
    admin = cert_people.make(Role.ADMIN, name="陈管理", organisation=PUBLISHER)
    client = cert_app.test_client()
    english(client)
    log_in(client, admin.phone)
    return client


def test_an_admin_sets_the_design_and_certificates_issued_afterwards_carry_it(
    cert_app: Flask, admin_client: Any, learner: Any, issue: Any
) -> None:
    page = admin_client.get("/admin/certificates/design")
    assert page.status_code == 200 and 'value="#7a5a16"' in page.get_data(as_text=True)
    saved = post_form(
        admin_client,
        "/admin/certificates/design",
        {
            "signatory_name": "王建国",
            "signatory_title": "培训部主任",
            "accent": "#1D5C9F",
            "logo": (io.BytesIO(png()), "logo.png"),
            "seal": (io.BytesIO(jpeg()), "seal.JPG"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    [stored] = designs(cert_app)
    assert stored.accent == "#1d5c9f" and stored.signatory_name == "王建国"
    with cert_app.app_context():
        row = get_session().get(CertificateDesign, stored.id)
        logo, seal = row.logo_png, row.seal_png
    # Re-encoded: PNG both, and nothing of the uploads' metadata is kept.
    assert logo.startswith(PNG_MAGIC) and seal.startswith(PNG_MAGIC)
    assert b"secret-author" not in logo and b"secret-camera" not in seal
    assert Image.open(io.BytesIO(seal)).info.get("exif") is None

    preview = admin_client.get("/admin/certificates/design/preview.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert preview.data.startswith(PNG_MAGIC)
    assert Image.open(io.BytesIO(preview.data)).width > Image.open(io.BytesIO(preview.data)).height

    number = issue(learner.profile_id)
    with cert_app.app_context():
        from lms.certificates import rendering
        from lms.certificates.access import certificate_by_number

        rendering.store_pdf(certificate_by_number(number))
        get_session().commit()
    data = load(cert_app, number).pdf
    assert images_in(data) == 2
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "王建国" in text and "培训部主任" in text
    assert len(data) <= 60 * 1024


def test_an_image_left_out_keeps_the_stored_one_and_remove_drops_it(
    cert_app: Flask, admin_client: Any
) -> None:
    fields = {"signatory_name": "", "signatory_title": "", "accent": "#123456"}
    post_form(
        admin_client,
        "/admin/certificates/design",
        {**fields, "logo": (io.BytesIO(png()), "logo.png")},
        content_type="multipart/form-data",
    )
    post_form(admin_client, "/admin/certificates/design", fields)
    with cert_app.app_context():
        assert get_session().query(CertificateDesign).one().logo_png is not None
    post_form(admin_client, "/admin/certificates/design", {**fields, "remove_logo": "1"})
    with cert_app.app_context():
        assert get_session().query(CertificateDesign).one().logo_png is None


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((b"just some text, not a picture", "logo.png"), "not a PNG or JPEG image"),
        ((png(), "logo.jpg"), "does not match its content"),
        ((png(size=(4001, 1)), "wide.png"), "at most 4000 pixels a side"),
        ((b"", "empty.png"), "The file is empty"),
        ((PNG_MAGIC + b"\x00" * 40, "broken.png"), "damaged or incomplete"),
        ((b"%PDF-1.7\n" + b"0" * 100, "seal.pdf"), "not a PNG or JPEG image"),
    ],
)
def test_a_bad_file_is_refused_on_the_same_page_and_nothing_is_stored(
    cert_app: Flask, admin_client: Any, upload: tuple[bytes, str], message: str
) -> None:
    data, name = upload
    refused = post_form(
        admin_client,
        "/admin/certificates/design",
        {"signatory_name": "王建国", "accent": "#1d5c9f", "seal": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and message in text
    # The form keeps what was typed.
    assert 'value="王建国"' in text
    assert designs(cert_app) == []


def test_a_file_over_the_size_limit_is_refused(cert_app: Flask, admin_client: Any) -> None:
    cert_app.config["LMS_CERTIFICATE_IMAGE_MAX_BYTES"] = 1024
    refused = post_form(
        admin_client,
        "/admin/certificates/design",
        {"accent": "#1d5c9f", "logo": (io.BytesIO(png(size=(900, 900)) + b"x" * 2048), "l.png")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "larger than 1 KB" in refused.get_data(as_text=True)
    assert designs(cert_app) == []


@pytest.mark.parametrize("accent", ["", "red", "#12345", "#1234567", "#gggggg", "1d5c9f"])
def test_an_accent_that_is_not_a_hex_colour_is_refused(
    cert_app: Flask, admin_client: Any, accent: str
) -> None:
    refused = post_form(admin_client, "/admin/certificates/design", {"accent": accent})
    assert refused.status_code == 400
    assert "six hex digits" in refused.get_data(as_text=True)
    assert designs(cert_app) == []


def test_each_organisation_edits_only_its_own_design(
    cert_app: Flask, cert_people: People, admin_client: Any
) -> None:
    other = cert_people.make(Role.ADMIN, name="别家管理", organisation="另一家机构")
    stranger = cert_app.test_client()
    log_in(stranger, other.phone)
    post_form(stranger, "/admin/certificates/design", {"accent": "#000000"})
    assert 'value="#7a5a16"' in admin_client.get("/admin/certificates/design").get_data(
        as_text=True
    )
    [stored] = designs(cert_app)
    assert stored.organisation_id == other.organisation_id


def test_a_clean_image_is_a_small_palette_png(cert_app: Flask) -> None:
    with cert_app.app_context():
        cleaned = design.clean_image("photo.jpeg", jpeg(size=(2000, 1500)))
    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "PNG" and image.mode == "P"
    assert max(image.size) == design.STORED_SIDE and not image.info.get("exif")


def test_the_renderer_refuses_an_accent_that_could_break_out_of_the_stylesheet() -> None:
    from lms.certificates.bench import sample_documents

    chinese, _ = sample_documents()
    from dataclasses import replace

    with pytest.raises(ValueError, match="#rrggbb"):
        render_pdf(replace(chinese, accent="red;}</style><img src=http://x>"))
    with pytest.raises(CertificateError):
        design.clean_accent("#fff")

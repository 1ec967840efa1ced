"""An organisation's own certificate design: logo, seal, signatory and accent colour.

Uploaded images are checked by their first bytes (PNG or JPEG only, the name's
extension must agree), by size and by pixel dimensions before Pillow decodes
them, then re-encoded as a small palette PNG: nothing of the upload's own bytes
(metadata, trailing data, a crafted chunk) reaches a PDF.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from lms.accounts.models import Organisation, Profile
from lms.accounts.services import publishing_organisation
from lms.certificates.errors import CertificateError
from lms.certificates.issuing import design_values
from lms.certificates.models import CertificateDesign
from lms.certificates.pdf import BILINGUAL_LABELS, CertificateDocument, render_pdf
from lms.config import config_value
from lms.i18n import _l
from lms.state import get_session

DEFAULT_ACCENT = "#7a5a16"
ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
SIGNATORY_NAME_MAX = 80
SIGNATORY_TITLE_MAX = 120
#: the longest side an image is stored at: sharp at print size, small in the PDF
STORED_SIDE = 360
PALETTE_COLOURS = 96
_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff"}
_EXTENSIONS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}


@dataclass(frozen=True)
class DesignChange:
    """What an admin submitted; an image left out keeps the stored one."""

    signatory_name: str
    signatory_title: str
    accent: str
    logo: tuple[str, bytes] | None = None
    seal: tuple[str, bytes] | None = None
    remove_logo: bool = False
    remove_seal: bool = False


def design_organisation(actor: Profile) -> int:
    """The organisation whose design an admin edits: their own (the operator: the publisher)."""
    return actor.organisation_id or publishing_organisation().id


def design_of(organisation_id: int) -> CertificateDesign | None:
    """The organisation's design, if it set one."""
    return get_session().scalar(
        select(CertificateDesign).where(CertificateDesign.organisation_id == organisation_id)
    )


def _kind(data: bytes) -> str | None:
    return next((kind for kind, magic in _MAGIC.items() if data.startswith(magic)), None)


def clean_image(filename: str, data: bytes) -> bytes:
    """The upload re-encoded as a metadata-free palette PNG, or a CertificateError why not."""
    limit = int(config_value("LMS_CERTIFICATE_IMAGE_MAX_BYTES"))
    if not data:
        raise CertificateError(_l("The file is empty. Choose a PNG or JPEG image."))
    if len(data) > limit:
        raise CertificateError(
            _l("The image is larger than %(size)d KB. Choose a smaller file.", size=limit // 1024)
        )
    kind = _kind(data)
    if kind is None:
        raise CertificateError(_l("This file is not a PNG or JPEG image."))
    named = _EXTENSIONS.get(Path(filename or "").suffix.lower())
    if named != kind:
        raise CertificateError(
            _l(
                "The file's name does not match its content (a %(kind)s image must end "
                "in %(ext)s). Rename it or save it again as PNG or JPEG.",
                kind=kind.upper(),
                ext=".png" if kind == "png" else ".jpg",
            )
        )
    from PIL import Image, UnidentifiedImageError

    side = int(config_value("LMS_CERTIFICATE_IMAGE_MAX_PIXELS"))
    try:
        with Image.open(io.BytesIO(data), formats=["PNG", "JPEG"]) as image:
            # The header gives the size: refuse before decoding a single pixel.
            if max(image.size) > side or min(image.size) < 1:
                raise CertificateError(
                    _l(
                        "The image is %(width)d × %(height)d pixels; at most %(side)d "
                        "pixels a side are accepted.",
                        width=image.size[0],
                        height=image.size[1],
                        side=side,
                    )
                )
            image.load()
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise CertificateError(
            _l("The image is damaged or incomplete. Save it again as PNG or JPEG.")
        ) from error
    return reencode(picture)


def reencode(picture: Any) -> bytes:
    """A Pillow image as a small palette PNG with no metadata, at most STORED_SIDE a side."""
    from PIL import Image

    picture = picture.convert("RGBA")
    picture.thumbnail((STORED_SIDE, STORED_SIDE))
    palette = picture.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def clean_accent(text: str) -> str:
    """``#rrggbb`` in lower case, or a CertificateError."""
    text = (text or "").strip()
    if not ACCENT.fullmatch(text):
        raise CertificateError(
            _l("The accent colour must be written as # and six hex digits, like #7a5a16.")
        )
    return text.lower()


def save_design(organisation_id: int, change: DesignChange) -> CertificateDesign:
    """Check and store the organisation's design; nothing is stored if any part is refused."""
    name = change.signatory_name.strip()
    title = change.signatory_title.strip()
    if len(name) > SIGNATORY_NAME_MAX or len(title) > SIGNATORY_TITLE_MAX:
        raise CertificateError(
            _l(
                "The signatory's name may have at most %(name)d characters and the title "
                "%(title)d.",
                name=SIGNATORY_NAME_MAX,
                title=SIGNATORY_TITLE_MAX,
            )
        )
    accent = clean_accent(change.accent)
    logo = clean_image(*change.logo) if change.logo else None
    seal = clean_image(*change.seal) if change.seal else None
    design = design_of(organisation_id)
    if design is None:
        design = CertificateDesign(organisation_id=organisation_id)
        get_session().add(design)
    design.signatory_name, design.signatory_title, design.accent = name, title, accent
    if logo is not None or change.remove_logo:
        design.logo_png = logo
    if seal is not None or change.remove_seal:
        design.seal_png = seal
    get_session().flush()
    return design


def preview_pdf(organisation_id: int) -> bytes:
    """A sample certificate of the organisation in its saved design (unsigned, never stored)."""
    organisation = get_session().get(Organisation, organisation_id)
    return render_pdf(
        CertificateDocument(
            kind="training",
            heading_zh="培训结业证书",
            heading_en="Certificate of Training Completion",
            holder_name="示例学员 / Sample Learner",
            number="LMS-PREV-IEWP-REVI-EW",
            issued_on="2026-01-01",
            issued_on_zh="2026年1月1日",
            issuer_name=organisation.name if organisation else "",
            hours="8",
            verify_url="https://lms.example.cn/verify/PREVIEW",
            qr_url="https://lms.example.cn/c/PREVIEW",
            key_id="preview",
            rows=[(BILINGUAL_LABELS["course"], "示例课程 / Sample course")],
            **design_values(organisation_id),
        )
    )


def first_page_png(pdf: bytes, dpi: int = 60) -> bytes:
    """The PDF's first page as a PNG (poppler's ``pdftoppm``), for the live preview."""
    # poppler-utils is a system package of the Makefile's SYSTEM_PACKAGES.
    program = shutil.which("pdftoppm")
    if program is None:
        raise RuntimeError("pdftoppm (poppler-utils) is needed for the certificate preview")
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(  # noqa: S603 - fixed argument list, the PDF goes in on stdin
            [
                program,
                "-png",
                "-r",
                str(dpi),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-",
                f"{folder}/page",
            ],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=30,
        )
        return Path(folder, "page.png").read_bytes()

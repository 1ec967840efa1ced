"""The certificate PDF: A4 landscape, Chinese and English, with a QR code.

Rendered from plain values (no database, no request) with WeasyPrint and a URL
fetcher that serves only the fonts made for this document: no ``file:`` and no
network, so nothing a template or a holder's name contains can read a file
or call out.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import segno
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from lms.certificates import fonts

__all__ = [
    "DEFAULT_FONT",
    "LATIN_FONT",
    "CertificateDocument",
    "locked_fetcher",
    "qr_svg",
    "qr_version",
    "render_pdf",
]

LOGGER = logging.getLogger(__name__)
TEMPLATE = "lms/certificates/pdf.html"
#: fontconfig family of the certificate face; Noto Sans CJK subsets well (CFF).
DEFAULT_FONT = "Noto Sans CJK SC"
#: a Latin-only family, for the benchmark's comparison
LATIN_FONT = "DejaVu Sans"
FONT_SCHEME = "lms-font"
IMAGE_SCHEME = "lms-image"
DEFAULT_ACCENT = "#7a5a16"
_ACCENT = re.compile(r"#[0-9a-fA-F]{6}")
_FAMILY = "LMSCertificate"
_SAFE_FAMILY = re.compile(r"[A-Za-z0-9 _-]{1,80}")


#: The fixed wording of the certificate, in both languages. Deliberately not
#: the official 职业技能等级证书 wording: this is the issuer's own training certificate.
BILINGUAL_LABELS: dict[str, Any] = {
    "lang": "zh-CN",
    "certify": "兹证明 / This is to certify that",
    "id_number": "学员身份（部分隐藏） / Learner ID (masked)",
    "completed": (
        "已完成下列培训并考核合格 / has completed the training below and passed its assessment"
    ),
    "completed_level": (
        "已完成下列培训并达到本机构培训等级要求 / has completed the training below and "
        "reached this training level"
    ),
    "course": "培训课程 / Course",
    "occupation": "适用岗位 / For the job of",
    "level": "培训等级 / Training level",
    "hours": "培训学时 / Hours of training",
    "hours_unit": "学时 / hours",
    "issued": "颁发日期 / Date issued",
    "expires": "有效期至 / Valid until",
    "number": "查验编号 / Verification number",
    "issuer": "培训机构 / Training provider",
    "scan": "扫码查验真伪 / Scan to verify",
    "key": "签名密钥 / Signing key",
    "signatory": "签发人 / Signed by",
    "notice": (
        "本证明为培训机构自主颁发的培训记录，不是经职业技能等级认定颁发的证书；"
        "“对标”仅表示培训内容参照相应等级的知识要求。",
        "所列学时为本平台记录的学习时长，不能代替国家职业技能标准规定的培训学时。",
        "This is the training provider's own record of training, not a vocational skill level "
        'certificate nor a skill-level recognition; "modelled on" only means the training '
        "follows that level's knowledge requirements.",
        "The hours are the study time this platform recorded; they do not replace the training "
        "hours a national occupational skill standard requires.",
    ),
}
#: The same wording in English only: the benchmark's Latin-only yardstick.
LATIN_LABELS: dict[str, Any] = {
    key: (
        tuple(line for line in value if line.isascii())
        if isinstance(value, tuple)
        else value.split(" / ", 1)[-1]
    )
    for key, value in BILINGUAL_LABELS.items()
} | {"lang": "en"}


@dataclass(frozen=True)
class CertificateDocument:
    """Everything printed on a certificate, as plain display values."""

    kind: str
    heading_zh: str
    heading_en: str
    holder_name: str
    number: str
    issued_on: str
    issued_on_zh: str
    issuer_name: str
    hours: str
    verify_url: str
    qr_url: str
    key_id: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    labels: dict[str, Any] = field(default_factory=lambda: BILINGUAL_LABELS)
    masked_id_number: str | None = None
    expires_on: str | None = None
    #: the signed VC-JWT, attached to the PDF so a verifier finds it in the file
    credential: str | None = None
    #: the issuing organisation's design: accent colour (``#rrggbb``), re-encoded
    #: PNG logo and seal, and who signs
    accent: str = DEFAULT_ACCENT
    logo_png: bytes | None = None
    seal_png: bytes | None = None
    signatory_name: str = ""
    signatory_title: str = ""


@cache
def _locked_fetcher_class() -> type:
    # WeasyPrint takes most of a second to import: only a process that renders
    # a PDF pays for it, not every app worker at start.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LockedFetcher(URLFetcher):
        """WeasyPrint fetcher that serves our in-memory fonts and images, and refuses the rest."""

        def __init__(self, resources: dict[str, bytes] | None = None) -> None:
            super().__init__(allowed_protocols=(FONT_SCHEME, IMAGE_SCHEME), allow_redirects=False)
            self.resources = dict(resources or {})
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            """Serve ``lms-font:<name>`` and ``lms-image:<name>`` from memory; refuse the rest."""
            body = self.resources.get(url)
            if body is None:
                self.refused.append(url)
                raise ValueError(f"certificate PDFs load nothing from outside: {url[:80]!r}")
            kind = "image/png" if url.startswith(f"{IMAGE_SCHEME}:") else "font/otf"
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    return LockedFetcher


def locked_fetcher(resources: dict[str, bytes] | None = None) -> Any:
    """A WeasyPrint URL fetcher serving only the given in-memory fonts and images."""
    return _locked_fetcher_class()(resources)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("lms", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_version(url: str) -> int:
    """The QR version (size) that encodes ``url`` at error correction M."""
    return segno.make(url, error="m", micro=False, boost_error=False).version


def qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (sized by the stylesheet)."""
    code = segno.make(url, error="m", micro=False)
    return Markup(code.svg_inline(scale=1, border=2, omitsize=True, dark="#000"))  # noqa: S704 - segno's own SVG, the URL is encoded as modules


_face_lock = threading.Lock()


@cache
def _faces(family: str) -> tuple[fonts.FontFace, fonts.FontFace]:
    with _face_lock:
        return fonts.find_face(family), fonts.find_face(f"{family}:bold")


def _font_css(family: str, text: str, subset: bool) -> tuple[str, dict[str, bytes]]:
    if subset:
        try:
            regular, bold = _faces(family)
            resources = {
                f"{FONT_SCHEME}:regular": fonts.subset_font(regular, text),
                f"{FONT_SCHEME}:bold": fonts.subset_font(bold, text),
            }
        except fonts.FontUnavailable as error:
            # Correct but slow and large: WeasyPrint embeds the system face itself.
            LOGGER.warning("certificate font subsetting unavailable (%s); using %s", error, family)
        else:
            css = (
                f"@font-face{{font-family:{_FAMILY};src:url({FONT_SCHEME}:regular);"
                "font-weight:400}"
                f"@font-face{{font-family:{_FAMILY};src:url({FONT_SCHEME}:bold);"
                "font-weight:700}"
            )
            return css, resources
    return "", {}


def render_pdf(
    document: CertificateDocument, font: str = DEFAULT_FONT, *, subset: bool = True
) -> bytes:
    """Render the certificate PDF; ``subset`` cuts the font to this document's characters."""
    template = _environment().get_template(TEMPLATE)
    qr = qr_svg(document.qr_url)
    # The text a reader sees is a subset of the page source, so a font holding
    # every character of the source holds every character printed.
    probe = template.render(cert=document, L=document.labels, qr="", font_family="", font_faces="")
    faces, resources = _font_css(font, probe, subset)
    if not _SAFE_FAMILY.fullmatch(font):
        raise ValueError(f"font family {font!r} must be letters, digits, spaces, _ or -")
    if not _ACCENT.fullmatch(document.accent):
        raise ValueError(f"accent colour {document.accent[:20]!r} must be #rrggbb")
    for name, image in (("logo", document.logo_png), ("seal", document.seal_png)):
        if image:
            resources[f"{IMAGE_SCHEME}:{name}"] = image
    family = Markup(f"{_FAMILY}, '{font}'" if faces else f"'{font}'")  # noqa: S704 - checked above
    html = template.render(
        cert=document,
        L=document.labels,
        qr=qr,
        font_family=family,
        font_faces=Markup(faces),  # noqa: S704 - our own CSS
        accent=Markup(document.accent),  # noqa: S704 - checked above: # and six hex digits
    )
    from weasyprint import HTML, Attachment

    attachments = []
    if document.credential:
        attachments.append(
            Attachment(
                string=document.credential,
                name="credential.jwt",
                description="Open Badges 3.0 credential (VC-JWT)",
                url_fetcher=locked_fetcher(),
            )
        )
    return HTML(string=html, url_fetcher=locked_fetcher(resources), base_url=None).write_pdf(
        attachments=attachments
    )

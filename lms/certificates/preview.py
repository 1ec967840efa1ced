"""The share link's preview image: a 1200×630 PNG that chat apps show under the link.

Drawn with Pillow from plain values and the CJK face fontconfig finds (the
certificate PDF's font). Both languages are on the card, so the image is the
same whichever language the chat app's crawler asks in and one ETag serves
everyone. An ended certificate carries a band across the card that says so:
a forwarded screenshot of the preview must not pass for a valid certificate.
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from lms.certificates import fonts
from lms.certificates.pdf import DEFAULT_FONT

LOGGER = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
#: bumped when the drawing changes, so caches holding the old picture let it go
DRAWING_VERSION = "1"

INK = (28, 28, 30)
MUTED = (96, 96, 104)
PAPER = (252, 250, 245)
#: state -> (band colour, text colour, Chinese / English words)
STATES: dict[str, tuple[tuple[int, int, int], tuple[int, int, int], str]] = {
    "valid": ((22, 122, 62), (255, 255, 255), "有效 / Valid"),
    "revoked": ((178, 28, 36), (255, 255, 255), "已撤销 / Revoked"),
    "expired": ((176, 96, 0), (255, 255, 255), "已过期 / Expired"),
    "superseded": ((90, 90, 96), (255, 255, 255), "已被更正证书取代 / Superseded"),
}


@dataclass(frozen=True)
class PreviewCard:
    """What the preview shows: the verification page's full record, in short."""

    issuer: str
    holder: str
    heading: str
    title_zh: str
    title_en: str
    number: str
    state: str
    accent: str = "#7a5a16"


_face_lock = threading.Lock()


@cache
def _faces() -> tuple[fonts.FontFace, fonts.FontFace] | None:
    # fontconfig is not thread-safe; the answer never changes in a process.
    with _face_lock:
        try:
            return fonts.find_face(DEFAULT_FONT), fonts.find_face(f"{DEFAULT_FONT}:bold")
        except fonts.FontUnavailable as error:
            LOGGER.warning("share preview without the CJK font (%s): Chinese will not show", error)
            return None


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # A font object per image (a few milliseconds): FreeType faces are not safe
    # to share between threads, and nothing is kept between requests.
    faces = _faces()
    if faces is None:
        return ImageFont.load_default(size)
    face = faces[1] if bold else faces[0]
    return ImageFont.truetype(
        face.path, size, index=face.index, layout_engine=ImageFont.Layout.BASIC
    )


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.ImageFont, width: int) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def render_preview(card: PreviewCard) -> bytes:
    """The card as a 1200×630 PNG."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    accent = _rgb(card.accent)
    inner = WIDTH - 2 * MARGIN
    issuer, heading, holder = _font(36, True), _font(28), _font(76, True)
    title, subtitle, number, label = _font(44, True), _font(30), _font(32), _font(32, True)

    def line(y: int, text: str, font: ImageFont.ImageFont, colour: object) -> None:
        draw.text((MARGIN, y), _fit(draw, text, font, inner), colour, font)

    draw.rectangle((0, 0, WIDTH, 104), fill=accent)
    line(30, card.issuer, issuer, "white")
    line(134, card.heading, heading, MUTED)
    line(182, card.holder, holder, INK)
    line(290, card.title_zh, title, INK)
    if card.title_en and card.title_en != card.title_zh:
        line(352, card.title_en, subtitle, MUTED)
    band, ink, words = STATES.get(card.state, STATES["revoked"])
    draw.text((MARGIN, 548), card.number, INK, number)
    if card.state == "valid":
        width = int(draw.textlength(words, font=label)) + 48
        left = WIDTH - MARGIN - width
        draw.rounded_rectangle((left, 536, WIDTH - MARGIN, 592), radius=28, fill=band)
        draw.text((left + 24, 540), words, ink, label)
    else:
        # Across the whole card, between the title and the number: no crop hides it.
        banner = _font(48, True)
        draw.rectangle((0, 420, WIDTH, 510), fill=band)
        width = draw.textlength(words, font=banner)
        draw.text(((WIDTH - width) / 2, 430), words, ink, banner)
    draw.rectangle((0, HEIGHT - 12, WIDTH, HEIGHT), fill=accent)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()

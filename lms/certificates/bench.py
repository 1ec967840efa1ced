"""Certificate PDF speed and size, side by side: ``make bench`` prints these lines.

Three renders of the same certificate layout, each warmed up once and then
timed round-robin over several runs in this one process (medians):

* ``latin``: English-only text in a Latin-only system font (the yardstick);
* ``chinese``: the real bilingual certificate the way we make it, with an
  organisation's logo, seal and signatory (the CJK face cut to the document's
  characters before WeasyPrint sees it, then the PAdES signature added);
* ``naive``: the same Chinese certificate with the system CJK font handed to
  WeasyPrint as it is (what a plain WeasyPrint set-up does).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from lms.certificates import design, pades
from lms.certificates.pdf import (
    BILINGUAL_LABELS,
    DEFAULT_FONT,
    LATIN_FONT,
    LATIN_LABELS,
    CertificateDocument,
    render_pdf,
)

RUNS = 9
VERIFY_URL = "https://lms.example.cn/verify/LMS7K2MQX4D9B3NT5"
SHORT_URL = "https://lms.example.cn/c/LMS7K2MQX4D9B3NT5.AbCdEfGhIjKl"
#: the size of a real credential JWT, attached to the PDF
CREDENTIAL_SAMPLE = "eyJhbGciOiJFZERTQSJ9." + "A" * 3000 + "." + "B" * 86


def sample_seal_png() -> bytes:
    """A red round seal drawn with Pillow, re-encoded as uploads are."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (360, 360), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    red = (200, 30, 30, 230)
    draw.ellipse((8, 8, 352, 352), outline=red, width=14)
    draw.ellipse((40, 40, 320, 320), outline=red, width=3)
    star = [(180, 110), (199, 160), (252, 160), (209, 190), (225, 242), (180, 211)]
    star += [(135, 242), (151, 190), (108, 160), (161, 160)]
    draw.polygon(star, fill=red)
    return design.reencode(image)


def sample_logo_png() -> bytes:
    """A flat two-colour logo drawn with Pillow, re-encoded as uploads are."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (480, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((4, 4, 196, 196), radius=36, fill=(16, 92, 160, 255))
    draw.ellipse((50, 50, 150, 150), fill=(255, 255, 255, 255))
    draw.rectangle((220, 60, 470, 90), fill=(16, 92, 160, 255))
    draw.rectangle((220, 115, 400, 140), fill=(120, 120, 120, 255))
    return design.reencode(image)


def sample_documents() -> tuple[CertificateDocument, CertificateDocument]:
    """A Chinese certificate (with a logo, seal and signatory) and the same in English only."""
    common = {
        "kind": "training",
        "number": "LMS-7K2M-QX4D-9B3N-T5",
        "issued_on": "2025-03-01",
        "hours": "12.5",
        "verify_url": VERIFY_URL,
        "qr_url": SHORT_URL,
        "credential": CREDENTIAL_SAMPLE,
        "key_id": "AbCdEfGhIjKlMnOp",
        "masked_id_number": "110***********123X",
    }
    chinese = CertificateDocument(
        heading_zh="培训结业证书",
        heading_en="Certificate of Training Completion",
        holder_name="欧阳晓明",
        issued_on_zh="2025年3月1日",
        issuer_name="示范区新就业群体服务中心 / LMS Training Centre",
        logo_png=sample_logo_png(),
        seal_png=sample_seal_png(),
        signatory_name="王建国",
        signatory_title="培训部主任 / Head of Training",
        accent="#1d5c9f",
        rows=[
            (
                BILINGUAL_LABELS["course"],
                "骑手与司机的法律安全 / Legal safety for riders and drivers",
            ),
            (
                BILINGUAL_LABELS["occupation"],
                "网约配送员、快递员 / Online delivery worker, courier",
            ),
        ],
        **common,
    )
    latin = CertificateDocument(
        heading_zh="Certificate of Training Completion",
        heading_en="Training certificate",
        holder_name="Ouyang Xiaoming",
        issued_on_zh="1 March 2025",
        issuer_name="New Employment Service Centre / LMS Training Centre",
        rows=[
            (LATIN_LABELS["course"], "Legal safety for riders and drivers"),
            (LATIN_LABELS["occupation"], "Online delivery worker, courier"),
        ],
        labels=LATIN_LABELS,
        **common,
    )
    return chinese, latin


def _measure(renders: dict[str, Callable[[], bytes]], runs: int) -> dict[str, tuple[float, int]]:
    """Median seconds and PDF size of each render, timed round-robin.

    Interleaving the renders run by run means a busy moment on a shared
    machine slows all of them alike instead of skewing the ratio.
    """
    sizes = {name: len(render()) for name, render in renders.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in renders}
    for _ in range(runs):
        for name, render in renders.items():
            started = time.perf_counter()
            render()
            times[name].append(time.perf_counter() - started)
    return {name: (statistics.median(times[name]), sizes[name]) for name in renders}


def run(runs: int = RUNS) -> list[str]:
    """Measure, print and return the benchmark lines."""
    chinese, latin = sample_documents()
    identity = pades.identity_from_pem(pades.generate_identity_pem("LMS Training Centre"))
    results = _measure(
        {
            "latin": lambda: render_pdf(latin, LATIN_FONT, subset=False),
            "chinese": lambda: pades.sign_pdf(
                render_pdf(chinese, DEFAULT_FONT), identity, "Certificate LMS-7K2M-QX4D-9B3N-T5"
            ),
            "naive": lambda: render_pdf(chinese, DEFAULT_FONT, subset=False),
        },
        runs,
    )
    (latin_time, latin_size), (ours_time, ours_size), (naive_time, naive_size) = (
        results["latin"],
        results["chinese"],
        results["naive"],
    )
    lines = [
        f"certificate chinese/latin render ratio: {ours_time / latin_time:.2f} "
        f"(naive system font: {naive_time / latin_time:.2f}; "
        f"chinese {ours_time * 1000:.0f} ms, naive {naive_time * 1000:.0f} ms, "
        f"latin {latin_time * 1000:.0f} ms)",
        f"certificate pdf size KB: {ours_size / 1024:.1f} "
        f"(naive system font: {naive_size / 1024:.1f}; latin {latin_size / 1024:.1f})",
    ]
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    run()

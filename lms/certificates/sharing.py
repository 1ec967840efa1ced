"""Share links: a holder's public link to a certificate, for chat apps, and its withdrawal.

One link in use per certificate, as Credly keeps one public link per badge:
the holder pastes the same link everywhere, and withdrawing it is one clear
act that ends every copy; sharing again makes a new random key, so a withdrawn
link never comes back to life. (Sharing with one named employer, withdrawn
per employer, is the employers' share in ``lms.employers``.)

The key is random and stored, not derived from the certificate like the
printed QR's key, so withdrawing a link leaves the paper's QR working.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

import segno
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.certificates import credentials, numbers
from lms.certificates.access import LINK_KEY_SHAPE
from lms.certificates.errors import CertificateError
from lms.certificates.issuing import NATIONAL_LEVELS, design_values
from lms.certificates.models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateKind,
    CertificateShareLink,
    CertificateStatus,
)
from lms.certificates.preview import DRAWING_VERSION, PreviewCard
from lms.certificates.verification import Verification, shared_records
from lms.db import utcnow
from lms.i18n import _l
from lms.state import get_session

#: bytes of randomness in a key (``token_urlsafe`` writes 22 characters)
KEY_BYTES = 16
#: seconds a chat app may keep the preview image without asking again
PREVIEW_MAX_AGE = 300


class ShareRefused(CertificateError):
    """A share the rules refuse, with the HTTP status that says why."""

    def __init__(self, message: object, status: int) -> None:
        super().__init__(message)
        self.status = status


def share_link_by_key(key: str) -> CertificateShareLink | None:
    """The link with this key, withdrawn or not; None for an unknown or malformed key."""
    if not LINK_KEY_SHAPE.fullmatch(key or ""):
        return None
    return get_session().scalar(select(CertificateShareLink).where(CertificateShareLink.key == key))


def active_links(certificate_ids: list[int]) -> dict[int, CertificateShareLink]:
    """The links in use of some certificates, by certificate id (one query, even for none:
    a page costs a newcomer what it costs a veteran)."""
    links = get_session().scalars(
        select(CertificateShareLink).where(
            CertificateShareLink.certificate_id.in_(certificate_ids),
            CertificateShareLink.withdrawn_at.is_(None),
        )
    )
    return {link.certificate_id: link for link in links}


def _record_event(
    certificate: Certificate, action: CertificateAction, actor_id: int, link_id: int
) -> None:
    # Beside the issue and revocation entries, where the organisation's admins read them.
    # The key stays out: admins read the log, and the key opens the full record.
    get_session().add(
        CertificateEvent(
            certificate_id=certificate.id,
            action=action,
            actor_profile_id=actor_id,
            detail={"share_link_id": link_id},
            organisation_id=certificate.organisation_id,
        )
    )


def _holders_certificate(profile: Profile, certificate: Certificate) -> None:
    # Not found rather than forbidden, as for the PDF: nobody learns which numbers exist.
    if profile.id != certificate.profile_id:
        raise ShareRefused(_l("This page does not exist."), 404)


def create_share_link(
    profile: Profile, certificate: Certificate, now: dt.datetime | None = None
) -> CertificateShareLink:
    """The holder's link to the certificate: the one in use, else a new one (audited).

    A revoked or replaced certificate is not offered for sharing; its old link,
    if any, goes on showing what happened to it.
    """
    _holders_certificate(profile, certificate)
    if certificate.status is not CertificateStatus.VALID:
        raise ShareRefused(
            _l("A revoked or replaced certificate cannot be shared. Share the current one."), 409
        )
    existing = active_links([certificate.id]).get(certificate.id)
    if existing is not None:
        return existing
    session = get_session()
    link = CertificateShareLink(
        certificate_id=certificate.id,
        key=secrets.token_urlsafe(KEY_BYTES),
        created_by_id=profile.id,
        created_at=now or utcnow(),
    )
    try:
        # A second tap that raced this one made the link first: use that one.
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:
        raced = active_links([certificate.id]).get(certificate.id)
        if raced is None:
            raise
        return raced
    _record_event(certificate, CertificateAction.SHARED, profile.id, link.id)
    return link


def withdraw_share_link(
    profile: Profile, certificate: Certificate, link_id: int, now: dt.datetime | None = None
) -> bool:
    """End the holder's link at once; False when it was withdrawn already (nothing changes)."""
    _holders_certificate(profile, certificate)
    session = get_session()
    # Guarded: of two withdrawals at once, one ends the link and writes the audit entry.
    ended = session.execute(
        update(CertificateShareLink)
        .where(
            CertificateShareLink.id == link_id,
            CertificateShareLink.certificate_id == certificate.id,
            CertificateShareLink.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if ended:
        _record_event(certificate, CertificateAction.SHARE_WITHDRAWN, profile.id, link_id)
        return True
    known = session.scalar(
        select(CertificateShareLink.id).where(
            CertificateShareLink.id == link_id,
            CertificateShareLink.certificate_id == certificate.id,
        )
    )
    if known is None:
        raise ShareRefused(_l("This page does not exist."), 404)
    return False


def count_view(link: CertificateShareLink) -> None:
    """One more view of the link's page (a single UPDATE: concurrent views all count)."""
    get_session().execute(
        update(CertificateShareLink)
        .where(CertificateShareLink.id == link.id)
        .values(view_count=CertificateShareLink.view_count + 1)
        .execution_options(synchronize_session=False)
    )


def shared_record(link: CertificateShareLink, today: dt.date | None = None) -> Verification:
    """What the link shows: the full record and current state, as the printed QR's page."""
    return shared_records([link.certificate_id], today)[link.certificate_id]


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG: the code the PDF prints, with a full quiet zone."""
    # The same symbol as ``pdf.qr_svg`` (error correction M, no micro QR), so a
    # scanner reads the paper and this image alike.
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()


def share_url(link: CertificateShareLink) -> str:
    """The link's absolute address, to paste into a chat."""
    return credentials.site_url(f"/s/{link.key}")


def preview_url(link: CertificateShareLink) -> str:
    """The absolute address of the link's preview image (``og:image``)."""
    return credentials.site_url(f"/s/{link.key}/preview.png")


def _heading(certificate: Certificate) -> str:
    if certificate.kind is CertificateKind.LEVEL:
        return "培训等级证明 / Training Level Statement"
    return "培训结业证书 / Certificate of Training Completion"


def preview_card(certificate: Certificate, record: Verification) -> PreviewCard:
    """The preview image's values for a shared record (bilingual, see ``preview``)."""
    title = certificate.title or {}
    title_zh = title.get("zh_CN") or title.get("en") or ""
    title_en = title.get("en") or ""
    national = NATIONAL_LEVELS.get(certificate.level or 0)
    if certificate.kind is CertificateKind.LEVEL and national:
        title_zh = f"{title_zh}（对标{national['zh_CN'].split('/', 1)[0]}）"
    accent = design_values(certificate.organisation_id).get("accent") or "#7a5a16"
    return PreviewCard(
        issuer=certificate.issuer_name,
        holder=certificate.holder_name,
        heading=_heading(certificate),
        title_zh=title_zh,
        title_en=title_en,
        number=numbers.format_number(certificate.number),
        state=record.state.value,
        accent=accent,
    )


def preview_etag(link: CertificateShareLink, card: PreviewCard) -> str:
    """Changes whenever the picture would: the certificate's state, its words, the drawing."""
    text = "\x1f".join((DRAWING_VERSION, str(link.id), *map(str, vars(card).values())))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

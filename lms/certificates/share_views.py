"""Sharing pages of the certificates domain: the holder's share link and QR image, and
the public page and preview image behind the link. Registered on the domain's one blueprint."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from lms.accounts.access import login_required, require_profile
from lms.certificates import issuing, sharing
from lms.certificates.access import certificate_or_404
from lms.certificates.labels import STATE_MESSAGES
from lms.certificates.models import Certificate, CertificateKind, CertificateStatus
from lms.certificates.preview import render_preview
from lms.certificates.views import bp
from lms.i18n import _, gettext_in, localised
from lms.ratelimit import LOOKUP, rate_limited
from lms.state import get_session
from lms.web import current_locale, error_response

#: Shared links are for the chat contacts the holder chose, not for search
#: engines: a name and a certificate findable by anyone searching the name is
#: more than the holder agreed to. Sent on the page and the image alike.
NO_INDEX = "noindex, nofollow, noarchive"


def _refused(error: sharing.ShareRefused) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


def _back_to(certificate: Certificate) -> Any:
    return redirect(url_for(".mine", _anchor=f"certificate-{certificate.id}"), 303)


@bp.route("/certificates/<number>/share-link", methods=["POST"])
@login_required
def create_share_link(number: str) -> Any:
    """Make the holder's share link (or show the one in use)."""
    certificate = certificate_or_404(number)
    try:
        sharing.create_share_link(require_profile(), certificate)
    except sharing.ShareRefused as error:
        return _refused(error)
    get_session().commit()
    flash(_("Your share link is ready. Copy it into a chat; you can withdraw it at any time."))
    return _back_to(certificate)


@bp.route("/certificates/<number>/share-link/<int:link_id>/withdraw", methods=["POST"])
@login_required
def withdraw_share_link(number: str, link_id: int) -> Any:
    """Withdraw the holder's share link: whoever opens it from now on is told so."""
    certificate = certificate_or_404(number)
    try:
        sharing.withdraw_share_link(require_profile(), certificate, link_id)
    except sharing.ShareRefused as error:
        return _refused(error)
    get_session().commit()
    flash(_("The share link is withdrawn. The QR code printed on the certificate still works."))
    return _back_to(certificate)


@bp.route("/certificates/<number>/qr.png")
@login_required
def qr_image(number: str) -> Any:
    """The QR code the PDF prints, as a PNG for the holder to send or print."""
    certificate = certificate_or_404(number)
    if require_profile().id != certificate.profile_id:
        abort(404)
    if certificate.status is not CertificateStatus.VALID:
        return error_response(
            409, _("A revoked or replaced certificate cannot be shared. Share the current one.")
        )
    response = Response(sharing.qr_png(issuing.short_url(certificate)), mimetype="image/png")
    name = f"certificate-{re.sub(r'[^0-9A-Z]', '_', certificate.number)}-qr.png"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _gone() -> Any:
    """A withdrawn link's page, in both languages: whoever follows an old link may read either."""
    response = Response(
        render_template(
            "lms/certificates/share_gone.html",
            messages=[
                gettext_in(
                    code,
                    "The holder of this certificate withdrew this share link. Ask them for "
                    "a new link, or check the certificate by the number printed on it.",
                )
                for code in ("zh_CN", "en")
            ],
        ),
        status=410,
        mimetype="text/html",
    )
    response.headers["X-Robots-Tag"] = NO_INDEX
    response.headers["Cache-Control"] = "no-store"
    return response


def _link_or_gone(link_key: str) -> sharing.CertificateShareLink | Response:
    link = sharing.share_link_by_key(link_key)
    if link is None:
        abort(404)
    if link.withdrawn_at is not None:
        return _gone()
    return link


@bp.route("/s/<link_key>")
@rate_limited(LOOKUP)
def shared(link_key: str) -> Any:
    """The share link's page: the full record, with Open Graph tags for chat apps."""
    link = _link_or_gone(link_key)
    if isinstance(link, Response):
        return link
    record = sharing.shared_record(link)
    certificate = record.certificate
    if certificate is None:
        abort(404)
    sharing.count_view(link)
    data = record.as_dict()
    state_message = str(STATE_MESSAGES[record.state])
    locale = current_locale()
    title = localised(certificate.title, locale)
    kind = (
        _("Training level statement")
        if certificate.kind is CertificateKind.LEVEL
        else _("Certificate of training completion")
    )
    page = render_template(
        "lms/certificates/share.html",
        number=data["certificate"]["number"],
        name="",
        result=record,
        data=data,
        state_message=state_message,
        token_message=None,
        # The download links below the record carry the link's key, so they end with it.
        share_key=link.key,
        share_url=sharing.share_url(link),
        og_title=_("%(holder)s: %(title)s", holder=certificate.holder_name, title=title),
        og_description=_(
            "%(kind)s of %(holder)s: %(title)s, issued by %(issuer)s. %(state)s",
            kind=kind,
            holder=certificate.holder_name,
            title=title,
            issuer=certificate.issuer_name,
            state=state_message,
        ),
        og_image=sharing.preview_url(link),
        og_image_alt=_("%(kind)s: %(title)s", kind=kind, title=title),
    )
    # After rendering: committing first would expire the record and load it again.
    get_session().commit()
    response = Response(page, mimetype="text/html")
    response.headers["X-Robots-Tag"] = NO_INDEX
    # A withdrawal or revocation must show on the next visit.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/s/<link_key>/preview.png")
@rate_limited(LOOKUP)
def share_preview(link_key: str) -> Any:
    """The share link's 1200×630 preview image, drawn on request (about 50 ms)."""
    link = _link_or_gone(link_key)
    if isinstance(link, Response):
        return link
    record = sharing.shared_record(link)
    if record.certificate is None:
        abort(404)
    card = sharing.preview_card(record.certificate, record)
    etag = sharing.preview_etag(link, card)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = Response(render_preview(card), mimetype="image/png")
    response.set_etag(etag)
    # Short: a chat app shows a revocation or a withdrawal within minutes.
    response.headers["Cache-Control"] = f"public, max-age={sharing.PREVIEW_MAX_AGE}"
    response.headers["X-Robots-Tag"] = NO_INDEX
    return response

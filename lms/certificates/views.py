"""Pages of the certificates domain: public verification and the learner's
certificates. The admins' pages live in admin_views.py on the same blueprint."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
)

from lms.accounts.access import current_profile, login_required, require_profile
from lms.accounts.models import Profile
from lms.certificates import (
    access,
    credentials,
    issuing,
    keys,
    numbers,
    rendering,
    sharing,
    verification,
    verify_cache,
)
from lms.certificates.errors import CertificateError
from lms.certificates.labels import STATE_MESSAGES
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.verification import Verification, VerificationState
from lms.config import config_value
from lms.i18n import _
from lms.ratelimit import LOOKUP, rate_limited
from lms.state import get_session, get_state
from lms.web import error_response

bp = Blueprint("certificates", __name__)


def _no_lookup() -> bool:
    # The empty form costs nothing and reveals nothing.
    return request.endpoint == "lms.certificates.verify" and not (
        (request.view_args or {}).get("number") or request.args.get("number")
    )


def _token_message(status: str | None) -> str | None:
    if status is None or status == "valid":
        return None
    return _(
        "The QR code's signature does not match this certificate: the link was altered "
        "or forged. Do not trust the details it came with."
    )


@bp.route("/verify", endpoint="verify")
@bp.route("/verify/<number>", endpoint="verify")
@rate_limited(LOOKUP, exempt_when=_no_lookup)
def verify(number: str | None = None) -> Any:
    """Public check by number (and optional name), or a QR link with its token."""
    number = number or request.args.get("number", "")
    name = request.args.get("name", "")
    token = request.args.get("t") or None
    slot = verify_cache.page_lookup(number, name) if number.strip() else None
    if slot is not None and slot.body is not None:
        return Response(slot.body, mimetype="text/html")
    result: Verification | None = None
    if number.strip():
        result = verification.verify_certificate(number, name, token)
    status = 200
    if result is not None and result.state in (
        VerificationState.MALFORMED,
        VerificationState.MISTYPED,
    ):
        status = 400
    elif result is not None and result.state is VerificationState.NOT_FOUND:
        status = 404
    page = render_template(
        "lms/certificates/verify.html",
        number=number,
        name=name,
        result=result,
        data=result.as_dict() if result else None,
        state_message=str(STATE_MESSAGES[result.state]) if result else None,
        token_message=_token_message(result.token_status) if result else None,
    )
    if slot is not None and result is not None and result.certificate is not None:
        verify_cache.store(slot, page.encode("utf-8"), result.certificate.expires_on)
    return page, status


@bp.route("/c/<code>")
@rate_limited(LOOKUP)
def short_link(code: str) -> Any:
    """The QR code's and share link's page: ``<number>.<share key>`` shows the full record."""
    number, _dot, key = code.rpartition(".")
    if not number:
        number, key = code, ""
    result = verification.verify_certificate(number, share_key=key)
    status = {
        VerificationState.MALFORMED: 400,
        VerificationState.MISTYPED: 400,
        VerificationState.NOT_FOUND: 404,
    }.get(result.state, 200)
    return render_template(
        "lms/certificates/verify.html",
        number=result.number or number,
        name="",
        result=result,
        data=result.as_dict(),
        state_message=str(STATE_MESSAGES[result.state]),
        token_message=_token_message(result.token_status),
        share_key=key if result.full else None,
        share_url=issuing.short_url(result.certificate) if result.certificate else None,
    ), status


@bp.route("/certificates/<number>/credential.<any(json, jwt):fmt>")
def credential(number: str, fmt: str) -> Any:
    """The Open Badges 3.0 credential: signed ``.jwt`` or ``.json`` with the JWT as proof."""
    certificate = access.certificate_or_404(number)
    profile = current_profile()
    if not access.can_view_certificate(
        profile, certificate, request.args.get("t"), request.args.get("k")
    ):
        abort(404)
    token = issuing.ensure_credential(certificate)
    # A certificate from before credentials just got its entry and token.
    get_session().commit()
    name = f"certificate-{re.sub(r'[^0-9A-Z]', '_', certificate.number)}"
    if fmt == "jwt":
        response = Response(token, mimetype="application/vc+jwt")
    else:
        response = Response(
            json.dumps(credentials.credential_document(token), ensure_ascii=False, indent=2),
            mimetype="application/json",
        )
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/credentials/status/<int:list_id>.jwt")
def status_list(list_id: int) -> Any:
    """An organisation's signed revocation status list (W3C Bitstring Status List)."""
    token = credentials.status_list_token(list_id)
    if token is None:
        abort(404)
    get_session().commit()
    response = Response(token, mimetype="application/vc+jwt")
    # Short: a revocation shows within a minute to verifiers that keep a copy.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.route("/verify/pdf", methods=["GET", "POST"])
@rate_limited(LOOKUP, exempt_when=lambda: request.method == "GET")
def verify_pdf() -> Any:
    """Public check of an uploaded PDF: its signature, and which certificate it is."""
    check = None
    problem = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(verification.MAX_UPLOAD_BYTES + 1) if upload else b""
        try:
            check = verification.check_uploaded_pdf(data)
        except CertificateError as error:
            # The message goes on the same page, above the form, to try another file.
            status = 413 if len(data) > verification.MAX_UPLOAD_BYTES else 400
            problem = str(error.message)
    return render_template(
        "lms/certificates/verify_pdf.html",
        check=check,
        problem=problem,
        signature=check.signature if check else None,
        signature_message=_signature_message(check.signature) if check else None,
        data=check.verification.as_dict() if check and check.verification else None,
        state_message=str(STATE_MESSAGES[check.verification.state])
        if check and check.verification
        else None,
        max_mb=verification.MAX_UPLOAD_BYTES // (1024 * 1024),
    ), status


def _signature_message(signature: Any) -> str | None:
    """What the PDF's signature says, in the reader's language."""
    if signature is None:
        return None
    when = signature.signed_at.date().isoformat() if signature.signed_at else "?"
    messages = {
        "unchanged": _(
            "Signed by %(signer)s on %(date)s, unchanged since.", signer=signature.signer, date=when
        ),
        "modified": _(
            "The signature does not match: this file was changed after %(signer)s signed it.",
            signer=signature.signer or _("the issuer"),
        ),
        "unsigned": _("This PDF carries no signature."),
        "untrusted": _(
            "This PDF is signed by %(signer)s, which is not our signing certificate.",
            signer=signature.signer,
        ),
        "unreadable": _("This PDF is damaged: its signature cannot be read."),
    }
    return messages[signature.outcome]


@bp.route("/api/v1/certificates/<number>")
@rate_limited(LOOKUP)
def api_certificate(number: str) -> Any:
    """JSON form of the verification page (see openapi.yaml)."""
    name = request.args.get("name") or None
    slot = verify_cache.api_lookup(number, name)
    if slot is not None and slot.body is not None:
        return Response(
            slot.body, mimetype="application/json", headers={"Cache-Control": "no-store"}
        )
    result = verification.verify_certificate(number, name, request.args.get("t") or None)
    body = result.as_dict()
    body["message"] = str(STATE_MESSAGES[result.state])
    # Whoever proved they know the holder gets the signed credential as well.
    body["credential"] = None
    if result.full and result.certificate is not None:
        body["credential"] = issuing.ensure_credential(result.certificate)
        get_session().commit()
    status = {
        VerificationState.MALFORMED: 400,
        VerificationState.MISTYPED: 400,
        VerificationState.NOT_FOUND: 404,
    }.get(result.state, 200)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if slot is not None and result.certificate is not None:
        verify_cache.store(slot, response.get_data(), result.certificate.expires_on)
    return response


@bp.route("/.well-known/jwks.json")
def jwks() -> Any:
    """The issuer's public keys for offline verification."""
    response = jsonify(keys.published_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


OPENAPI_FILE = Path(__file__).with_name("openapi.yaml")


@cache
def _openapi_document() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI_FILE.read_text(encoding="utf-8"))


@bp.route("/api/v1/openapi.json")
def openapi() -> Any:
    """The OpenAPI document of the public verification API, with this site's address."""
    document = dict(_openapi_document())
    base = str(config_value("LMS_PUBLIC_URL") or request.host_url).rstrip("/")
    document["servers"] = [{"url": base + get_state().url_prefix}]
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# ---------------------------------------------------------------- learners


@bp.route("/certificates")
@login_required
def mine() -> Any:
    """The learner's certificates, with downloads, the share link and the QR image."""
    profile = require_profile()
    certificates = access.certificates_of(profile.id)
    links = sharing.active_links(
        [c.id for c in certificates if c.status is CertificateStatus.VALID]
    )
    return render_template(
        "lms/certificates/mine.html",
        certificates=certificates,
        share_links=links,
        link_urls={
            certificate_id: sharing.share_url(link) for certificate_id, link in links.items()
        },
        format_number=numbers.format_number,
        revocation_labels=issuing.REVOCATION_LABELS,
        being_prepared=rendering.being_prepared,
    )


def certificate_result_panel(profile: Profile, attempt: Any) -> tuple[str, dict[str, Any]] | None:
    """The quiz result's panel: the certificates this pass earned, with number and download."""
    if not getattr(attempt, "passed", False) or attempt.graded_at is None:
        return None
    earned = [
        c
        for c in access.certificates_of(profile.id)
        if c.status is CertificateStatus.VALID
        and (c.course_key == attempt.course_key or c.created_at >= attempt.graded_at)
    ]
    if not earned:
        return None
    return "lms/certificates/_result_panel.html", {
        "earned": earned,
        "format_number": numbers.format_number,
        "being_prepared": rendering.being_prepared,
    }


#: seconds between the "being prepared" page's checks
PREPARING_REFRESH_SECONDS = 5


def _preparing(certificate: Certificate) -> Any:
    response = Response(
        render_template(
            "lms/certificates/pdf_preparing.html",
            certificate=certificate,
            format_number=numbers.format_number,
            refresh_seconds=PREPARING_REFRESH_SECONDS,
        ),
        status=202,
    )
    response.headers["Retry-After"] = str(PREPARING_REFRESH_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/certificates/<number>/pdf")
def pdf(number: str) -> Any:
    """The stored PDF: for the holder, an admin of the issuer or a share-link holder."""
    certificate = access.certificate_or_404(number)
    if not access.can_view_certificate(
        current_profile(), certificate, request.args.get("t"), request.args.get("k")
    ):
        # Not found rather than forbidden: nobody learns which numbers exist.
        abort(404)
    if certificate.status is CertificateStatus.REVOKED:
        # A revoked certificate is not handed out again, not even its stored copy.
        return error_response(410, _("This certificate was revoked: its PDF is no longer offered."))
    if not rendering.pdf_stored(certificate):
        if not rendering.needs_pdf(certificate):
            # Superseded before its PDF was made: nothing will render it now.
            return error_response(
                410, _("This certificate was replaced by a corrected one: see My certificates.")
            )
        if rendering.being_prepared(certificate):
            # The job runner makes it; a download never renders then.
            return _preparing(certificate)
        # No job runner (standalone, one process): render once, here, and keep it.
        rendering.store_pdf(certificate)
        get_session().commit()
    data = certificate.pdf or b""
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        # The check symbol may be * ~ $ or =, which some systems refuse in file names.
        f'attachment; filename="certificate-{re.sub(r"[^0-9A-Z]", "_", certificate.number)}.pdf"'
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.set_etag(certificate.pdf_sha256 or "")
    return response.make_conditional(request)


# ---------------------------------------------------------------- admins

"""Pages of the certificates domain: public verification, the learner's
certificates and the admins' revoke, re-issue and audit pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.accounts.access import (
    ADMIN_ROLES,
    current_profile,
    login_required,
    require_profile,
    role_required,
)
from lms.accounts.models import Profile
from lms.certificates import (
    access,
    credentials,
    design,
    issuing,
    keys,
    manual,
    numbers,
    verification,
    verify_cache,
)
from lms.certificates.errors import CertificateError
from lms.certificates.labels import ACTION_LABELS, STATUS_LABELS
from lms.certificates.models import Certificate, CertificateStatus, RevocationCategory
from lms.certificates.verification import Verification, VerificationState
from lms.config import config_value
from lms.i18n import _, _l
from lms.ratelimit import rate_limited
from lms.state import get_session, get_state
from lms.web import error_response, local_time

bp = Blueprint("certificates", __name__)


LOOKUP = "certificate-lookup"


def _no_lookup() -> bool:
    # The empty form costs nothing and reveals nothing.
    return request.endpoint == "lms.certificates.verify" and not (
        (request.view_args or {}).get("number") or request.args.get("number")
    )


# Lazy: a response translates only the one message it shows.
STATE_MESSAGES = {
    VerificationState.MALFORMED: _l(
        "This is not a certificate number of ours. Check it and try again."
    ),
    VerificationState.MISTYPED: _l(
        "This number has a typing mistake (its check character does not match). "
        "Compare it with the certificate character by character."
    ),
    VerificationState.NOT_FOUND: _l("No certificate has this number."),
    VerificationState.VALID: _l("Valid: this certificate was issued by us and is current."),
    VerificationState.REVOKED: _l("Revoked: this certificate is no longer valid."),
    VerificationState.EXPIRED: _l(
        "Expired: this certificate was valid but its validity has ended."
    ),
    VerificationState.SUPERSEDED: _l(
        "Superseded: this certificate was replaced by a corrected one."
    ),
}


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
    certificate = _certificate_or_404(number)
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
    """The learner's certificates, with download and share link."""
    profile = require_profile()
    certificates = access.certificates_of(profile.id)
    return render_template(
        "lms/certificates/mine.html",
        certificates=certificates,
        share_urls={
            c.id: issuing.share_url(c) for c in certificates if c.status is CertificateStatus.VALID
        },
        format_number=numbers.format_number,
        revocation_labels=issuing.REVOCATION_LABELS,
    )


def _certificate_or_404(number: str) -> Certificate:
    check = numbers.check_number(number)
    certificate = access.certificate_by_number(check.compact or "") if check.ok else None
    if certificate is None:
        abort(404)
    return certificate


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
    }


@bp.route("/certificates/<number>/pdf")
def pdf(number: str) -> Any:
    """The stored PDF: for the holder, an admin of the issuer or a share-link holder."""
    certificate = _certificate_or_404(number)
    if not access.can_view_certificate(
        current_profile(), certificate, request.args.get("t"), request.args.get("k")
    ):
        # Not found rather than forbidden: nobody learns which numbers exist.
        abort(404)
    if certificate.pdf is None:
        issuing.render_certificate(certificate)
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


def _visible_record(number: str) -> Certificate:
    certificate = _certificate_or_404(number)
    if not access.can_view_certificate_record(require_profile(), certificate):
        # Another organisation's certificate does not exist for this admin.
        abort(404)
    return certificate


def _managed(number: str) -> Certificate:
    certificate = _visible_record(number)
    if not access.can_manage_certificate(require_profile(), certificate):
        abort(403)
    return certificate


@bp.route("/admin/certificates")
@role_required(*ADMIN_ROLES)
def admin_list() -> Any:
    """Certificates an admin manages; find one by number."""
    query = request.args.get("number", "").strip()
    if query:
        check = numbers.check_number(query)
        if check.ok:
            return redirect(url_for(".admin_detail", number=check.compact))
        flash(_("Enter a complete, correctly typed certificate number."), "error")
    return render_template(
        "lms/certificates/admin_list.html",
        certificates=access.manageable_certificates(require_profile()),
        format_number=numbers.format_number,
        status_labels=STATUS_LABELS,
        query=query,
    )


@bp.route("/admin/certificates/issue", methods=["GET", "POST"])
@role_required(*ADMIN_ROLES)
def issue_by_hand() -> Any:
    """Issue a course certificate for training done outside the app."""
    profile = require_profile()
    form = {name: request.form.get(name, "") for name in ("phone", "course", "evidence", "hours")}
    problem = None
    status = 200
    if request.method == "POST":
        try:
            hours = float(form["hours"]) if form["hours"].strip() else None
        except ValueError:
            hours = -1.0  # refused by the service with its message
        try:
            certificate = manual.issue_by_hand(
                manual.HandIssue(form["phone"], form["course"], form["evidence"], hours), profile
            )
        except CertificateError as error:
            get_session().rollback()
            problem, status = str(error.message), 400
        else:
            get_session().commit()
            flash(_("The certificate is issued."), "success")
            return redirect(url_for(".admin_detail", number=certificate.number))
    return render_template(
        "lms/certificates/issue.html",
        courses=manual.courses_for(profile),
        form=form,
        problem=problem,
        evidence_max=manual.EVIDENCE_MAX,
    ), status


def _upload(name: str, limit: int) -> tuple[str, bytes] | None:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        return None
    # One byte past the limit is enough to know it is too large.
    return upload.filename, upload.read(limit + 1)


@bp.route("/admin/certificates/design", methods=["GET", "POST"])
@role_required(*ADMIN_ROLES)
def design_page() -> Any:
    """The organisation's own certificate design, with a preview of the first page."""
    organisation_id = design.design_organisation(require_profile())
    stored = design.design_of(organisation_id)
    form = {
        "signatory_name": stored.signatory_name if stored else "",
        "signatory_title": stored.signatory_title if stored else "",
        "accent": stored.accent if stored else design.DEFAULT_ACCENT,
    }
    problem = None
    status = 200
    if request.method == "POST":
        form = {name: request.form.get(name, "") for name in form}
        limit = int(config_value("LMS_CERTIFICATE_IMAGE_MAX_BYTES"))
        change = design.DesignChange(
            signatory_name=form["signatory_name"],
            signatory_title=form["signatory_title"],
            accent=form["accent"],
            logo=_upload("logo", limit),
            seal=_upload("seal", limit),
            remove_logo=request.form.get("remove_logo") == "1",
            remove_seal=request.form.get("remove_seal") == "1",
        )
        try:
            design.save_design(organisation_id, change)
        except CertificateError as error:
            get_session().rollback()
            problem, status = str(error.message), 400
        else:
            get_session().commit()
            flash(_("The certificate design is saved."), "success")
            return redirect(url_for(".design_page"))
    return render_template(
        "lms/certificates/design.html",
        form=form,
        stored=stored,
        problem=problem,
        max_kb=int(config_value("LMS_CERTIFICATE_IMAGE_MAX_BYTES")) // 1024,
        max_pixels=int(config_value("LMS_CERTIFICATE_IMAGE_MAX_PIXELS")),
        version=int(stored.updated_at.timestamp()) if stored else 0,
    ), status


@bp.route("/admin/certificates/design/preview.png")
@role_required(*ADMIN_ROLES)
def design_preview() -> Any:
    """The first page of a sample certificate in the organisation's saved design."""
    organisation_id = design.design_organisation(require_profile())
    image = design.first_page_png(design.preview_pdf(organisation_id))
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/admin/certificates/<number>")
@role_required(*ADMIN_ROLES)
def admin_detail(number: str) -> Any:
    """One certificate with its revoke and re-issue forms and its history."""
    certificate = _visible_record(number)
    profile = require_profile()
    return render_template(
        "lms/certificates/admin_detail.html",
        certificate=certificate,
        events=access.events_of(profile, [certificate.id]),
        can_manage=access.can_manage_certificate(profile, certificate),
        status_labels=STATUS_LABELS,
        action_labels=ACTION_LABELS,
        actors=access.profiles_by_id(
            {e.actor_profile_id for e in access.events_of(profile, [certificate.id])} - {None}
        ),
        format_number=numbers.format_number,
        valid=certificate.status is CertificateStatus.VALID,
        revocation_labels=issuing.REVOCATION_LABELS,
        note_max=issuing.NOTE_MAX,
    )


@bp.route("/admin/certificates/<number>/revoke", methods=["POST"])
@role_required(*ADMIN_ROLES)
def revoke(number: str) -> Any:
    """Revoke a certificate (a public category required, a private note optional)."""
    certificate = _managed(number)
    category = request.form.get("category", "")
    note = request.form.get("note", "")
    try:
        if request.form.get("confirm") != "yes":
            # First the admin sees what anyone checking the certificate will read.
            chosen, note = issuing.check_revocation(certificate, category, note)
            return render_template(
                "lms/certificates/revoke_confirm.html",
                certificate=certificate,
                category=chosen,
                category_label=issuing.REVOCATION_LABELS[chosen],
                note=note,
                public_message=str(STATE_MESSAGES[VerificationState.REVOKED]),
                format_number=numbers.format_number,
            )
        issuing.revoke_certificate(certificate, category, note, require_profile().id)
    except CertificateError as error:
        get_session().rollback()
        return error_response(400, str(error.message))
    get_session().commit()
    flash(_("The certificate is revoked."), "success")
    return redirect(url_for(".admin_detail", number=certificate.number))


@bp.route("/admin/certificates/<number>/reissue", methods=["POST"])
@role_required(*ADMIN_ROLES)
def reissue(number: str) -> Any:
    """Re-issue a certificate with a corrected name; the old one is superseded."""
    certificate = _managed(number)
    try:
        new = issuing.reissue_certificate(
            certificate, request.form.get("holder_name", ""), require_profile().id
        )
    except CertificateError as error:
        get_session().rollback()
        return error_response(400, str(error.message))
    get_session().commit()
    flash(_("A corrected certificate was issued; the old one is superseded."), "success")
    return redirect(url_for(".admin_detail", number=new.number))


@dataclass(frozen=True)
class AuditFilter:
    """The audit log's filters as typed in the form."""

    since: dt.date | None
    until: dt.date | None
    actor_id: int | None
    number: str
    certificate_id: int | None


def _day(name: str) -> dt.date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CertificateError(_l("Enter dates as year-month-day, e.g. 2026-03-01.")) from None


def _audit_filter() -> AuditFilter:
    """The filters of the request; bad input is a CertificateError with its message."""
    actor = request.args.get("actor", "").strip()
    if actor and not actor.isdigit():
        raise CertificateError(_l("Choose who acted from the list."))
    number = request.args.get("number", "").strip()
    certificate_id = None
    if number:
        check = numbers.check_number(number)
        found = access.certificate_by_number(check.compact or "") if check.ok else None
        if found is None or not access.can_view_certificate_record(require_profile(), found):
            raise CertificateError(_l("No certificate of yours has this number."))
        certificate_id = found.id
    return AuditFilter(
        _day("since"), _day("until"), int(actor) if actor else None, number, certificate_id
    )


def _audit_rows() -> tuple[AuditFilter, list[Any], dict[int, Any], dict[int, Any]]:
    chosen = _audit_filter()
    events = access.audit_events(
        require_profile(), chosen.since, chosen.until, chosen.actor_id, chosen.certificate_id
    )
    certificates = access.certificates_by_id({e.certificate_id for e in events})
    actors = access.profiles_by_id({e.actor_profile_id for e in events if e.actor_profile_id})
    return chosen, events, certificates, actors


@bp.route("/admin/certificates/audit")
@role_required(*ADMIN_ROLES)
def audit() -> Any:
    """Issues, revocations and re-issues the admin may see, filtered by day, actor, number."""
    try:
        chosen, events, certificates, actors = _audit_rows()
    except CertificateError as error:
        return error_response(400, str(error.message))
    everyone = access.audit_events(require_profile(), limit=2000)
    choices = access.profiles_by_id({e.actor_profile_id for e in everyone if e.actor_profile_id})
    return render_template(
        "lms/certificates/audit.html",
        events=events,
        by_id=certificates,
        actors=actors,
        actor_choices=sorted(choices.values(), key=lambda p: (p.display_name, p.id)),
        chosen=chosen,
        action_labels=ACTION_LABELS,
        format_number=numbers.format_number,
        revocation_labels=issuing.REVOCATION_LABELS,
    )


@bp.route("/admin/certificates/audit.csv")
@role_required(*ADMIN_ROLES)
def audit_csv() -> Any:
    """The filtered audit log as CSV in the admin's language."""
    try:
        _chosen, events, certificates, actors = _audit_rows()
    except CertificateError as error:
        return error_response(400, str(error.message))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("When"), _("What"), _("Certificate"), _("Holder"), _("By"), _("Reason"), _("Note")]
    )
    for event in events:
        certificate = certificates.get(event.certificate_id)
        actor = actors.get(event.actor_profile_id or 0)
        writer.writerow(
            [
                local_time(event.created_at),
                str(ACTION_LABELS[event.action]),
                numbers.format_number(certificate.number) if certificate else "",
                _spreadsheet_safe(certificate.holder_name if certificate else ""),
                _spreadsheet_safe(actor.display_name) if actor else _("system"),
                _revocation_label(event.detail.get("category")),
                _spreadsheet_safe(
                    str(event.detail.get("note") or event.detail.get("reason") or "")
                ),
            ]
        )
    # A BOM so spreadsheet programs read the Chinese as UTF-8.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="certificate-audit.csv"'
    return response


def _audit_note(detail: dict[str, object]) -> str:
    # Revocations before categories kept the admin's words as "reason".
    return str(detail.get("note") or detail.get("reason") or "")


def _revocation_label(category: object) -> str:
    try:
        return str(issuing.REVOCATION_LABELS[RevocationCategory(str(category))])
    except ValueError:
        return ""


def _spreadsheet_safe(text: str) -> str:
    # A spreadsheet runs a cell that starts with these as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

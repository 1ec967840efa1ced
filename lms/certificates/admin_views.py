"""Admin pages of the certificates domain: issuing by hand, the design,
revoke, re-issue and the audit trail. Registered on the domain's one blueprint."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.accounts.access import ADMIN_ROLES, require_profile, role_required
from lms.certificates import (
    access,
    design,
    issuing,
    manual,
    numbers,
    rendering,
)
from lms.certificates.access import certificate_or_404
from lms.certificates.errors import CertificateError
from lms.certificates.labels import ACTION_LABELS, STATE_MESSAGES, STATUS_LABELS
from lms.certificates.models import Certificate, CertificateStatus, RevocationCategory
from lms.certificates.verification import VerificationState
from lms.certificates.views import bp
from lms.config import config_value
from lms.i18n import _, _l
from lms.state import get_session
from lms.web import error_response, local_time


def _visible_record(number: str) -> Certificate:
    certificate = certificate_or_404(number)
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
        being_prepared=rendering.being_prepared(certificate),
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

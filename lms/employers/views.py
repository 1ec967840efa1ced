"""Pages of the employers domain: the employer's dashboard, hiring codes, bulk
checks and API keys; the learner's sharing with consent; the HR systems' API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.accounts.access import login_required, require_profile
from lms.accounts.models import Profile
from lms.certificates import access as certificate_access
from lms.certificates import numbers
from lms.certificates.verification import VerificationState, verify_certificates
from lms.db import utcnow
from lms.employers import api_keys, bulk, services
from lms.employers.forms import ApiKeyForm, HiringCodeForm, HiringCodeLookupForm
from lms.employers.models import ShareAction
from lms.employers.services import EmployerError
from lms.i18n import _, _l
from lms.ratelimit import hit_limit
from lms.request_guards import takes_json
from lms.state import get_session
from lms.web import csrf_exempt, error_response, local_time

bp = Blueprint("employers", __name__)

API_MAX_NUMBERS = 100

STATE_LABELS = {
    VerificationState.VALID: _l("Valid"),
    VerificationState.REVOKED: _l("Revoked"),
    VerificationState.EXPIRED: _l("Expired"),
    VerificationState.SUPERSEDED: _l("Superseded"),
}
ACTION_LABELS = {
    ShareAction.SHARED: _l("Shared"),
    ShareAction.WITHDRAWN: _l("Withdrawn"),
    ShareAction.CHANGED: _l("Status changed"),
}


def _employer() -> Profile:
    profile = require_profile()
    if not services.is_employer(profile):
        abort(403)
    return profile


def _refused(error: EmployerError) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


def _spreadsheet_safe(text: object) -> str:
    # A spreadsheet runs a cell that starts with these as a formula.
    value = "" if text is None else str(text)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_response(header: list[str], rows: Iterable[list[object]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_spreadsheet_safe(cell) for cell in row])
    # A BOM so spreadsheet programs read the Chinese as UTF-8.
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- the dashboard


def _dashboard_filters() -> tuple[str | None, int | None]:
    status = request.args.get("status", "").strip() or None
    within = request.args.get("expiring", "").strip()
    if within and not within.isdigit():
        raise EmployerError(_l("Choose a number of days from 0 to %(count)d.", count=3650))
    return status, int(within) if within else None


@bp.route("/employer")
def dashboard() -> Any:
    """The certificates riders shared with the employer, with their live status."""
    employer = _employer()
    try:
        status, within = _dashboard_filters()
        rows = services.dashboard(employer, status, within)
    except EmployerError as error:
        return _refused(error)
    get_session().commit()
    return render_template(
        "lms/employers/dashboard.html",
        rows=rows,
        status=status or "",
        expiring=within if within is not None else "",
        states=services.DASHBOARD_STATES,
        state_labels=STATE_LABELS,
        revocation_label=bulk.revocation_label,
        changed=sum(1 for row in rows if row.changed),
        format_number=numbers.format_number,
    )


@bp.route("/employer/dashboard.csv")
def dashboard_csv() -> Any:
    """The dashboard's rows as CSV: only what the riders shared."""
    employer = _employer()
    try:
        status, within = _dashboard_filters()
        rows = services.dashboard(employer, status, within, mark_visit=False)
    except EmployerError as error:
        return _refused(error)
    get_session().commit()
    locale_title = _title_picker()
    header = [
        _("Holder"),
        _("Certificate number"),
        _("Certifies"),
        _("Level"),
        _("Issuer"),
        _("Issued on"),
        _("Expires on"),
        _("Status"),
        _("Revocation reason"),
        _("Superseded by"),
        _("Mobile number"),
        _("ID number"),
        _("Shared on"),
    ]
    lines = []
    for row in rows:
        certificate = row.record.certificate
        if certificate is None:
            continue
        lines.append(
            [
                certificate.holder_name,
                row.record.number,
                locale_title(certificate.title),
                certificate.level or "",
                certificate.issuer_name,
                certificate.issued_on.isoformat(),
                certificate.expires_on.isoformat() if certificate.expires_on else "",
                str(STATE_LABELS[row.state]),
                bulk.revocation_label(
                    certificate.revocation_category.value
                    if certificate.revocation_category
                    else None
                ),
                numbers.format_number(certificate.superseded_by)
                if certificate.superseded_by
                else "",
                row.phone or "",
                row.id_number or "",
                row.share.shared_at.date().isoformat(),
            ]
        )
    return _csv_response(header, lines, "shared-certificates.csv")


def _title_picker() -> Any:
    from lms.i18n import localised
    from lms.web import current_locale

    locale = current_locale()
    return lambda text: localised(text, locale)


# ---------------------------------------------------------------- hiring codes


@bp.route("/employer/hiring-codes", methods=["GET", "POST"])
def hiring_codes() -> Any:
    """The employer's hiring codes and links, a new one, and the sharing audit log."""
    employer = _employer()
    form = HiringCodeForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                code = services.create_hiring_code(employer, form.days.data or 30)
            except EmployerError as error:
                return _refused(error)
            get_session().commit()
            flash(_("New hiring code: %(code)s", code=code.code), "success")
            return redirect(url_for(".hiring_codes"))
        status = 400
    events = services.share_events(employer)
    return (
        render_template(
            "lms/employers/hiring_codes.html",
            form=form,
            codes=services.hiring_codes(employer),
            events=events,
            action_labels=ACTION_LABELS,
            state_labels={s.value: label for s, label in STATE_LABELS.items()},
            local_time=local_time,
            now=utcnow(),
        ),
        status,
    )


@bp.route("/employer/hiring-codes/<int:code_id>/revoke", methods=["POST"])
def revoke_hiring_code(code_id: int) -> Any:
    """Stop a hiring code; what riders shared with it stays shared."""
    employer = _employer()
    try:
        services.revoke_hiring_code(employer, code_id)
    except EmployerError as error:
        return _refused(error)
    get_session().commit()
    flash(_("The hiring code no longer works."), "success")
    return redirect(url_for(".hiring_codes"))


# ---------------------------------------------------------------- bulk checks


@bp.route("/employer/checks", methods=["GET", "POST"])
def bulk_checks() -> Any:
    """Upload a CSV or Excel file of certificate numbers; every row gets its answer."""
    employer = _employer()
    organisation_id = services.employer_organisation_id(employer)
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read(bulk.MAX_UPLOAD_BYTES + 1) if upload else b""
        try:
            check = bulk.run_bulk_check(
                organisation_id, employer.id, upload.filename if upload else "", data
            )
        except EmployerError as error:
            return _refused(error)
        get_session().commit()
        return redirect(url_for(".bulk_check", check_id=check.id))
    return render_template(
        "lms/employers/checks.html",
        max_rows=bulk.MAX_ROWS,
        max_mb=bulk.MAX_UPLOAD_BYTES // (1024 * 1024),
        used=bulk.rows_checked_today(organisation_id),
        limit=bulk.daily_limit(),
    )


@bp.route("/employer/checks/<int:check_id>")
def bulk_check(check_id: int) -> Any:
    """One bulk check's answers as a table."""
    employer = _employer()
    try:
        check = bulk.bulk_check_of(services.employer_organisation_id(employer), check_id)
    except EmployerError as error:
        return _refused(error)
    counts: dict[str, int] = {}
    for row in check.results:
        counts[row["kind"]] = counts.get(row["kind"], 0) + 1
    return render_template(
        "lms/employers/check.html",
        check=check,
        counts=counts,
        row_labels=bulk.ROW_LABELS,
        revocation_label=bulk.revocation_label,
        title_of=_title_picker(),
    )


@bp.route("/employer/checks/<int:check_id>.csv")
def bulk_check_csv(check_id: int) -> Any:
    """One bulk check's answers as CSV."""
    employer = _employer()
    try:
        check = bulk.bulk_check_of(services.employer_organisation_id(employer), check_id)
    except EmployerError as error:
        return _refused(error)
    title_of = _title_picker()
    header = [
        _("Row"),
        _("As typed"),
        _("Answer"),
        _("Certificate number"),
        _("Holder"),
        _("Certifies"),
        _("Issued on"),
        _("Expires on"),
        _("Revocation reason"),
        _("Superseded by"),
        _("Check character"),
    ]
    lines = [
        [
            row["line"],
            row["input"],
            str(bulk.ROW_LABELS[row["kind"]]),
            row["number"] or "",
            row["holder_name"] or "",
            title_of(row["title"]) if row["title"] else "",
            row["issued_on"] or "",
            row["expires_on"] or "",
            bulk.revocation_label(row["revocation_category"]),
            row["superseded_by"] or "",
            row.get("check_character") or "",
        ]
        for row in check.results
    ]
    return _csv_response(header, lines, f"bulk-check-{check.id}.csv")


# ---------------------------------------------------------------- API keys


@bp.route("/employer/api-keys", methods=["GET", "POST"])
def keys() -> Any:
    """The organisation's API keys; a new key is shown once, right after it is made."""
    employer = _employer()
    form = ApiKeyForm()
    secret = None
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _key, secret = api_keys.create_api_key(employer, form.label.data or "")
            except EmployerError as error:
                return _refused(error)
            get_session().commit()
            form = ApiKeyForm(formdata=None)
        else:
            status = 400
    return (
        render_template(
            "lms/employers/api_keys.html",
            form=form,
            secret=secret,
            keys=api_keys.api_keys(employer),
            local_time=local_time,
            max_numbers=API_MAX_NUMBERS,
        ),
        status,
    )


@bp.route("/employer/api-keys/<int:key_id>/revoke", methods=["POST"])
def revoke_key(key_id: int) -> Any:
    """Revoke a key: the next call with it is refused."""
    employer = _employer()
    try:
        api_keys.revoke_api_key(employer, key_id)
    except EmployerError as error:
        return _refused(error)
    get_session().commit()
    flash(_("The API key is revoked."), "success")
    return redirect(url_for(".keys"))


def _api_error(status: int, message: object, retry_after: int | None = None) -> Any:
    get_session().rollback()
    response = jsonify(error=str(message), status=status)
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/api/v1/verifications", methods=["POST"])
@csrf_exempt
@takes_json(max_bytes=64 * 1024)
def api_verifications() -> Any:
    """Check up to 100 numbers with an employer's API key (see openapi.yaml)."""
    try:
        key = api_keys.key_from_header(request.headers.get("Authorization"))
    except EmployerError as error:
        return _api_error(error.status, error.message)
    retry_after = hit_limit(current_app, "employer-api", f"key-{key.id}")
    if retry_after is not None:
        return _api_error(429, _("Too many requests. Wait a moment and try again."), retry_after)
    body = request.get_json(silent=True) if request.is_json else None
    items = body.get("certificates") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        return _api_error(
            400, _('Send JSON like {"certificates": [{"number": "...", "name": "..."}]}.')
        )
    if len(items) > API_MAX_NUMBERS:
        return _api_error(413, _("Send at most %(count)d numbers per call.", count=API_MAX_NUMBERS))
    pairs: list[tuple[str, str | None]] = []
    for item in items:
        if isinstance(item, str):
            item = {"number": item}
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("number"), str)
            or not isinstance(item.get("name", ""), str | None)
            or len(item["number"]) > 100
            or len(item.get("name") or "") > 100
        ):
            return _api_error(
                400, _("Each entry needs a number (text) and may have a name (text).")
            )
        pairs.append((item["number"], item.get("name") or None))
    results = verify_certificates(pairs)
    api_keys.mark_used(key)
    get_session().commit()
    answers = []
    for (number, _name), result in zip(pairs, results, strict=True):
        data = result.as_dict()
        answers.append(
            {
                "input": number,
                "answer": bulk.kind_of(result),
                "state": data["state"],
                "number": data["number"],
                "name_check": data["name_check"],
                "certificate": data["certificate"],
            }
        )
    response = jsonify(results=answers)
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the learner's side


@bp.route("/share")
@login_required
def share_code() -> Any:
    """The learner types the hiring code an employer gave them."""
    form = HiringCodeLookupForm(request.args)
    if not request.args:
        return render_template("lms/employers/share_code.html", form=form)
    if not form.validate():
        return render_template("lms/employers/share_code.html", form=form), 400
    try:
        code = services.hiring_code_by_text(form.code.data or "")
    except EmployerError as error:
        form.code.errors = [*form.code.errors, str(error.message)]
        return render_template("lms/employers/share_code.html", form=form), error.status
    return redirect(url_for(".share", hiring_token=code.token))


def _chosen_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("certificate"):
        if not value.isdigit() or len(value) > 10:
            raise EmployerError(_l("Choose certificates from your own list."))
        ids.append(int(value))
    return ids


@bp.route("/share/<hiring_token>", methods=["GET", "POST"])
@login_required
def share(hiring_token: str) -> Any:
    """Choose certificates and what else to show, see what the employer will see, share."""
    learner = require_profile()
    try:
        code = services.hiring_code_by_token(hiring_token)
    except EmployerError as error:
        return _refused(error)
    certificates = certificate_access.certificates_of(learner.id)
    show_phone = request.form.get("show_phone") == "yes"
    show_id = request.form.get("show_id_number") == "yes"
    previews = []
    chosen: list[int] = []
    if request.method == "POST":
        try:
            chosen = _chosen_ids()
            if request.form.get("confirm") == "yes":
                services.share_certificates(learner, code, chosen, show_phone, show_id)
                get_session().commit()
                flash(
                    _(
                        "Shared with %(employer)s. You can withdraw it at any time.",
                        employer=code.organisation.name,
                    ),
                    "success",
                )
                return redirect(url_for(".my_shares"))
            if not chosen:
                raise EmployerError(_l("Choose at least one certificate to share."))
            previews = [services.preview_for(learner, i, show_phone, show_id) for i in chosen]
        except EmployerError as error:
            return _refused(error)
    return render_template(
        "lms/employers/share.html",
        code=code,
        employer=code.organisation,
        certificates=certificates,
        chosen=set(chosen),
        show_phone=show_phone,
        show_id=show_id,
        previews=previews,
        state_labels=STATE_LABELS,
        revocation_label=bulk.revocation_label,
        format_number=numbers.format_number,
    )


@bp.route("/my/shares")
@login_required
def my_shares() -> Any:
    """The employers the learner shares certificates with, and a withdraw button for each."""
    learner = require_profile()
    shares = services.learner_shares(learner)
    by_id = {c.id: c for c in certificate_access.certificates_of(learner.id)}
    return render_template(
        "lms/employers/my_shares.html",
        shares=shares,
        by_id=by_id,
        format_number=numbers.format_number,
        local_time=local_time,
    )


@bp.route("/my/shares/<int:share_id>/withdraw", methods=["POST"])
@login_required
def withdraw(share_id: int) -> Any:
    """Withdraw a share: the employer loses access at once."""
    try:
        share = services.withdraw_share(require_profile(), share_id)
    except EmployerError as error:
        return _refused(error)
    get_session().commit()
    flash(
        _("%(employer)s no longer sees this certificate.", employer=share.organisation.name),
        "success",
    )
    return redirect(url_for(".my_shares"))

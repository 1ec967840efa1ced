"""The LTI 1.3 tool's pages: its key set, OIDC login, the launch, the deep
linking picker, and the admin's platform registrations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from lms.accounts.access import require_profile, role_required
from lms.accounts.models import Role
from lms.i18n import _
from lms.interop import lti_catalogue
from lms.interop.lti_forms import PlatformForm
from lms.interop.lti_frames import open_launched_session, origin, platform_origins
from lms.interop.lti_launch import (
    LaunchRefused,
    accept_launch,
    cached_launch,
    login_redirect,
    may_author,
    public_url,
    validate_launch,
)
from lms.interop.lti_models import LtiUser
from lms.interop.lti_platforms import (
    PlatformDetails,
    PlatformError,
    organisation_platforms,
    parse_deployments,
    platform_of,
    register_platform,
    update_platform,
)
from lms.interop.lti_storage import platform_for, tool_jwks
from lms.state import get_session
from lms.web import csrf_exempt, error_response

bp = Blueprint("lti", __name__, url_prefix="/lti")

ADMIN_ROLES = (Role.ADMIN, Role.PLATFORM_ADMIN)
#: Items an author may pick in one deep linking request.
PICK_MAX = 20


def _refused(error: LaunchRefused | PlatformError) -> Any:
    get_session().rollback()
    return error_response(error.status, str(error.message))


@bp.route("/jwks.json")
def jwks() -> Any:
    """The tool's public key set (generated once, on the first request)."""
    keys = tool_jwks()
    get_session().commit()
    response = jsonify(keys)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/login", methods=["GET", "POST"])
@csrf_exempt
def login() -> Any:
    """OIDC third-party login initiation: on to the platform's authentication."""
    params = {key: value for key, value in request.values.items() if len(value) <= 2000}
    if not params.get("iss") or not params.get("login_hint"):
        return error_response(
            400, _("The platform's login request is incomplete. Start again from the platform.")
        )
    try:
        location = login_redirect(params)
    except LaunchRefused as error:
        return _refused(error)
    get_session().commit()
    return redirect(location)


@bp.route("/launch", methods=["POST"])
@csrf_exempt
def launch() -> Any:
    """The platform's signed launch: a resource link opens its page, a deep
    linking request opens the catalogue picker."""
    try:
        message = validate_launch()
        if message.is_deep_link_launch() and not may_author(message):
            raise LaunchRefused(_("Only the platform's teachers may add our lessons."), 403)
        result = accept_launch(message)
    except LaunchRefused as error:
        return _refused(error)
    open_launched_session(result.session_token, result.platform, result.locale)
    get_session().commit()
    if message.is_deep_link_launch():
        return render_template(
            "lms/lti/deep_link.html",
            launch_id=message.get_launch_id(),
            entries=lti_catalogue.entries(),
            platform=result.platform,
        )
    return redirect(result.target or url_for("lms.courses.home"))


@bp.route("/deep-link", methods=["POST"])
def deep_link() -> Any:
    """The author's picks, returned to the platform as a signed deep linking response."""
    profile_id = getattr(g.get("lms_profile"), "id", None)
    message = cached_launch(str(request.form.get("launch_id") or "")[:200])
    if message is None or profile_id is None or not message.is_deep_link_launch():
        return error_response(
            400, _("This deep linking request has expired. Start again from the platform.")
        )
    body = message.get_launch_data()
    platform = platform_for(body.get("iss"), _audience(body))
    if platform is None or not _launched_by(platform.id, str(body.get("sub")), profile_id):
        return error_response(403, _("You do not have access to this page."))
    known = {entry.target: entry for entry in lti_catalogue.entries()}
    picked = [value for value in request.form.getlist("item") if value in known][:PICK_MAX]
    if not picked:
        return error_response(400, _("Choose at least one lesson or course."))
    resources = [_resource(known[value]) for value in picked]
    settings = body.get("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings", {})
    return_url = str(settings.get("deep_link_return_url") or "")
    if origin(return_url) is None:
        return error_response(
            400, _("This deep linking request has expired. Start again from the platform.")
        )
    response_jwt = message.get_deep_link().get_response_jwt(resources)
    get_session().commit()
    # The signed request named where the answer goes: the form may post there.
    g.lms_frame_origins = sorted({*platform_origins(platform), origin(return_url)})
    return render_template(
        "lms/lti/deep_link_return.html", return_url=return_url, response_jwt=response_jwt
    )


def _audience(body: dict[str, Any]) -> str | None:
    audience = body.get("aud")
    value = audience[0] if isinstance(audience, list) and audience else audience
    return str(value) if value else None


def _launched_by(platform_id: int, sub: str, profile_id: int) -> bool:
    found = get_session().scalar(
        select(LtiUser.profile_id).where(LtiUser.platform_id == platform_id, LtiUser.sub == sub)
    )
    return found == profile_id


def _resource(entry: lti_catalogue.CatalogueEntry) -> DeepLinkResource:
    resource = (
        DeepLinkResource()
        .set_url(public_url("lms.lti.launch"))
        .set_title(entry.title)
        .set_custom_params({"lms_target": entry.target})
    )
    if entry.kind == "quiz":
        # The platform makes a gradebook column for the quiz; its launches
        # carry that line item, where the scores go.
        resource.set_lineitem(
            LineItem()
            .set_score_maximum(100)
            .set_label(entry.title)
            .set_resource_id(entry.target)
            .set_tag("lms-quiz")
        )
    return resource


# --- Registering platforms (organisation admins) ------------------------------


def _details(form: PlatformForm) -> PlatformDetails:
    return PlatformDetails(
        name=form.name.data or "",
        issuer=form.issuer.data or "",
        client_id=form.client_id.data or "",
        deployment_ids=parse_deployments(form.deployment_ids.data or ""),
        key_set_url=form.key_set_url.data or "",
        auth_login_url=form.auth_login_url.data or "",
        auth_token_url=form.auth_token_url.data or "",
    )


def _tool_urls() -> dict[str, str]:
    """What a platform's admin enters on their side to register the tool."""
    return {
        "login": public_url("lms.lti.login"),
        "launch": public_url("lms.lti.launch"),
        "jwks": public_url("lms.lti.jwks"),
    }


@bp.route("/platforms", methods=["GET", "POST"])
@role_required(*ADMIN_ROLES)
def platforms() -> Any:
    """The organisation's registered platforms and a form for a new one."""
    admin = require_profile()
    form = PlatformForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                platform = register_platform(admin, _details(form))
            except PlatformError as error:
                return _refused(error)
            get_session().commit()
            flash(_("Platform %(name)s registered.", name=platform.name), "success")
            return redirect(url_for(".edit_platform", platform_id=platform.id))
        status = 400
    return (
        render_template(
            "lms/lti/platforms.html",
            form=form,
            platforms=organisation_platforms(admin),
            tool_urls=_tool_urls(),
        ),
        status,
    )


@bp.route("/platforms/<int:platform_id>", methods=["GET", "POST"])
@role_required(*ADMIN_ROLES)
def edit_platform(platform_id: int) -> Any:
    """Change a registration of the admin's own organisation."""
    admin = require_profile()
    platform = platform_of(admin, platform_id)
    if platform is None:
        abort(404)
    form = PlatformForm(obj=platform if request.method == "GET" else None)
    if request.method == "GET":
        form.deployment_ids.data = "\n".join(d.deployment_id for d in platform.deployments)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                update_platform(admin, platform, _details(form))
            except PlatformError as error:
                return _refused(error)
            get_session().commit()
            flash(_("Platform %(name)s saved.", name=platform.name), "success")
            return redirect(url_for(".edit_platform", platform_id=platform.id))
        status = 400
    return (
        render_template(
            "lms/lti/edit_platform.html", form=form, platform=platform, tool_urls=_tool_urls()
        ),
        status,
    )

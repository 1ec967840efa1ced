"""What every LMS page shares: CSRF checks, template context and error pages."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from lms.config import config_value
from lms.i18n import LANGUAGE_NAMES, _, gettext, html_lang, lms_locale, localised, ngettext
from lms.questions.tokens import AnswerTokens
from lms.state import LMSState

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def current_locale() -> str:
    """The locale of this request as our catalog names it."""
    code = lms_locale()
    return code if code in config_value("LMS_LANGUAGES") else "zh_CN"


def answer_tokens(learner: int, context: str) -> AnswerTokens:
    """The opaque names one learner's page gives what it offers to pick, in ``context``."""
    secret = current_app.secret_key
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    return AnswerTokens(key, learner, context)


def safe_next(target: str | None) -> str:
    """Where to go back to after a form: a path on this site, else the home page.

    Refuses anything a browser would take to another site: a scheme or host,
    and "//host" or "/\\host" (browsers read the backslash as a slash).
    """
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for("lms.courses.home")


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith(_api_prefix()) or best == "application/json"


def _api_prefix() -> str:
    state: LMSState = current_app.extensions["lms"]
    return f"{state.url_prefix}/api/"


def error_response(status: int, message: str) -> tuple[Any, int]:
    """A JSON or HTML error in the user's language."""
    if wants_json():
        return jsonify(error=message, status=status), status
    return render_template("lms/error.html", status=status, message=message), status


ERROR_MESSAGES = {
    400: lambda: _("The request could not be understood. Go back and try again."),
    403: lambda: _("You do not have access to this page."),
    404: lambda: _("This page does not exist."),
    405: lambda: _("This action is not allowed here."),
    413: lambda: _("The file is too large."),
    429: lambda: _("Too many requests. Wait a moment and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you saved was lost. Try again."),
    503: lambda: _("The service is busy or restarting. Try again in a moment."),
}


def _csrf_token() -> str:
    # A page holding the visitor's token is theirs alone: it must never be cached.
    g.lms_page_is_personal = True
    return generate_csrf()


def page_is_personal() -> bool:
    """Whether the page rendered in this request holds something of the visitor's."""
    return bool(g.get("lms_page_is_personal"))


STATIC_DIR = Path(__file__).resolve().parent / "static"


@cache
def _static_version(filename: str) -> str:
    return hashlib.sha256((STATIC_DIR / filename).read_bytes()).hexdigest()[:10]


def static_url(filename: str) -> str:
    """URL of one of our static files that changes whenever the file does.

    nginx serves them with a one-year cache, so a new release must not reuse
    an old URL.
    """
    return url_for("lms.static", filename=filename, v=_static_version(filename))


def local_time(moment: datetime | None, with_time: bool = True) -> str:
    """A stored UTC time as the deployment's local time, e.g. ``2026-03-01 18:05``."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(config_value("LMS_TIME_ZONE")))
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def template_helpers() -> dict[str, Any]:
    """Names every LMS template may use: translation, CSRF, language, layout.

    What the layout shows of the person comes from the accounts domain, which
    the composition root registers beside this (the web layer knows no domain).
    """
    state: LMSState = current_app.extensions["lms"]
    locale = current_locale()
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "csrf_token": _csrf_token,
        "static_url": static_url,
        "local_time": local_time,
        "lms_locale": locale,
        "lms_html_lang": html_lang(locale),
        "lms_languages": [
            (code, LANGUAGE_NAMES.get(code, code)) for code in config_value("LMS_LANGUAGES")
        ],
        "localised": lambda text: localised(text, locale),
        # Chinese text takes full-width punctuation: "原因：", not "原因: ".
        "colon": lambda: "：" if str(locale).startswith("zh") else ": ",
        "comma": lambda: "，" if str(locale).startswith("zh") else ", ",
        "lms_base_template": config_value("LMS_BASE_TEMPLATE"),
        "lms_owns_accounts": state.owns_accounts,
    }


def csrf_exempt(view: Any) -> Any:
    """Mark a view that protects itself another way (a signed API token, an
    offline-sync token) so the blueprint's CSRF check leaves it alone."""
    view.lms_csrf_exempt = True
    return view


def install_request_hooks(bp: Blueprint, state: LMSState) -> None:
    """Attach CSRF protection, template helpers and error pages to the LMS blueprint."""

    @bp.before_request
    def protect_from_cross_site_posts() -> Any:
        if request.method not in UNSAFE_METHODS:
            return None
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "lms_csrf_exempt", False):
            return None
        if not current_app.config.get("WTF_CSRF_ENABLED", True):
            return None
        token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
        try:
            validate_csrf(token)
        except ValidationError:
            return error_response(
                400,
                _(
                    "This form has expired or came from another site. "
                    "Reload the page and try again."
                ),
            )
        return None

    bp.context_processor(template_helpers)

    @bp.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return render_http_error(error)

    bp.register_error_handler(DBAPIError, database_unavailable)

    bp.after_request(add_security_headers)


#: No page of ours has inline script or style, so nothing but our own files may
#: run or style it: an injected <script> or onclick= is inert even if it slipped
#: past the sanitiser. The studio previews a lesson in a frame of our own.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)


def add_security_headers(response: Response) -> Response:
    """The headers every LMS response carries, unless a view set its own."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    return response


def database_unavailable(error: DBAPIError) -> Any:
    """The database went away (restart, failover): a clean 503, never a stack trace.

    Other database errors are bugs and go on to the 500 handler.
    """
    if (
        not isinstance(error, OperationalError | InterfaceError)
        and not error.connection_invalidated
    ):
        raise error
    current_app.logger.warning("database unavailable: %s", type(error.orig).__name__)
    try:
        current_app.extensions["lms"].db.session.rollback()
    except DBAPIError:
        current_app.logger.debug("rollback failed while the database is down")
    body, status = error_response(503, ERROR_MESSAGES[503]())
    return body, status, {"Retry-After": "5"}


def render_http_error(error: HTTPException) -> Any:
    """The LMS error page for an HTTP error, keeping a redirect as it is."""
    if error.code is None or error.code < 400:
        return error
    described = getattr(error, "lms_message", None)
    message = described or ERROR_MESSAGES.get(error.code, lambda: error.name)()
    response = error_response(error.code, message)
    if error.code == 429 and error.response is None:
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            body, status = response
            return body, status, {"Retry-After": str(retry_after)}
    return response

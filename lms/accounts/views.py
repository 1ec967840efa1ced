"""Sign up, log in, log out, change password, choose a language."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from lms.accounts.access import STAFF_ROLES, current_profile, login_required, role_required
from lms.accounts.forms import (
    ChangePasswordForm,
    CodeRequestForm,
    CodeSignInForm,
    LoginForm,
    OrganisationAdminForm,
    RegisterForm,
)
from lms.accounts.login_sessions import (
    KNOWN_DEVICE_COOKIE,
    KNOWN_DEVICE_DAYS,
    LOGIN_SESSION_KEY,
    end_login_session,
    end_login_sessions,
    known_device_token,
    known_device_user_id,
    start_login_session,
)
from lms.accounts.models import Role, User
from lms.accounts.organisations import add_organisation_admin, all_organisations
from lms.accounts.services import (
    AccountError,
    LoginThrottled,
    change_password,
    mask_phone,
    register_learner,
)
from lms.accounts.sms_codes import (
    CODE_MINUTES,
    CODE_TRIES,
    SmsCodeRefused,
    request_code,
    sign_in_with_code,
)
from lms.accounts.staff import organisation_people
from lms.accounts.throttle import LoginSlowedDown, finish_login, reserve_login_attempt
from lms.config import config_value
from lms.i18n import SESSION_KEY, _
from lms.state import get_session, get_state
from lms.web import safe_next

bp = Blueprint("accounts", __name__)


def _own_accounts_only() -> None:
    # In plugin mode the host owns sign-up and login.
    if not get_state().owns_accounts:
        abort(404)


def _sign_in(user: User) -> None:
    login_user(user)
    session[LOGIN_SESSION_KEY] = start_login_session(user)


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    _own_accounts_only()
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            profile = register_learner(form.phone.data, form.password.data, form.display_name.data)
        except AccountError as error:
            get_session().rollback()
            target = getattr(form, error.field or "", None)
            if target is not None:
                target.errors.append(error.message)
            else:
                flash(error.message, "error")
            return render_template("lms/accounts/register.html", form=form), 400
        _sign_in(get_session().get(User, int(profile.user_ref)))
        get_session().commit()
        flash(_("Welcome! Your account is ready."), "success")
        # A rider who scanned a station's invitation goes back to it.
        return redirect(safe_next(request.args.get("next")))
    status = 400 if form.is_submitted() else 200
    return render_template("lms/accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    _own_accounts_only()
    if current_user.is_authenticated:
        return redirect(url_for("lms.courses.home"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        known = known_device_user_id(request.cookies.get(KNOWN_DEVICE_COOKIE))
        try:
            attempt = reserve_login_attempt(form.phone.data, request.remote_addr, known)
        except (LoginThrottled, LoginSlowedDown) as error:
            get_session().commit()
            form.password.errors.append(error.message)
            return render_template("lms/accounts/login.html", form=form), 429
        # The attempt is counted before the slow password check, outside any lock.
        get_session().commit()
        try:
            user = finish_login(attempt, form.password.data)
        except AccountError as error:
            get_session().commit()  # the failure count must stick
            form.password.errors.append(error.message)
            return render_template("lms/accounts/login.html", form=form), 400
        _sign_in(user)
        get_session().commit()
        profile = current_profile()
        if profile is not None and profile.locale:
            session[SESSION_KEY] = profile.locale
        return _signed_in_redirect(user)
    if form.is_submitted():
        status = 400
    return render_template("lms/accounts/login.html", form=form), status


def _signed_in_redirect(user: User) -> Any:
    """Back to where the person was going, this browser now known as theirs."""
    response = redirect(safe_next(request.args.get("next")))
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        known_device_token(user),
        max_age=KNOWN_DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        path=get_state().url_prefix or "/",
    )
    return response


#: Where the session keeps the number a sign-in code was asked for.
SMS_PHONE_KEY = "lms_sms_phone"


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    """Ask for a sign-in code by SMS (forgotten password, new phone)."""
    _own_accounts_only()
    if current_user.is_authenticated:
        return redirect(url_for("lms.courses.home"))
    form = CodeRequestForm()
    status = 200
    if form.validate_on_submit():
        try:
            phone = request_code(form.phone.data, request.remote_addr)
        except AccountError as error:
            get_session().rollback()
            form.phone.errors.append(error.message)
            status = 429 if isinstance(error, SmsCodeRefused) else 400
            return render_template("lms/accounts/login_code.html", form=form), status
        get_session().commit()
        session[SMS_PHONE_KEY] = phone
        # The same words whether or not the number has an account.
        flash(
            _(
                "If %(phone)s has an account here, a code is on its way. It works for "
                "%(minutes)d minutes.",
                phone=mask_phone(phone),
                minutes=CODE_MINUTES,
            ),
            "info",
        )
        return redirect(url_for("lms.accounts.login_code_enter", next=request.args.get("next")))
    if form.is_submitted():
        status = 400
    return render_template("lms/accounts/login_code.html", form=form), status


@bp.route("/login/code/enter", methods=["GET", "POST"])
def login_code_enter() -> Any:
    """Type the code to sign in, and set a new password if wanted."""
    _own_accounts_only()
    if current_user.is_authenticated:
        return redirect(url_for("lms.courses.home"))
    phone = session.get(SMS_PHONE_KEY)
    if not isinstance(phone, str):
        return redirect(url_for("lms.accounts.login_code"))
    form = CodeSignInForm()
    if form.validate_on_submit():
        try:
            user = sign_in_with_code(phone, form.code.data, form.new_password.data or None)
        except AccountError as error:
            get_session().commit()  # the try must stick
            getattr(form, error.field or "code", form.code).errors.append(error.message)
            return render_template(
                "lms/accounts/login_code_enter.html",
                form=form,
                phone=mask_phone(phone),
                minutes=CODE_MINUTES,
                tries=CODE_TRIES,
            ), 400
        if form.new_password.data:
            # Whoever signed in with the old password (a lost phone) is signed out.
            end_login_sessions(user)
        _sign_in(user)
        get_session().commit()
        session.pop(SMS_PHONE_KEY, None)
        profile = current_profile()
        if profile is not None and profile.locale:
            session[SESSION_KEY] = profile.locale
        if form.new_password.data:
            flash(_("Your password has been changed."), "success")
        return _signed_in_redirect(user)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "lms/accounts/login_code_enter.html",
        form=form,
        phone=mask_phone(phone),
        minutes=CODE_MINUTES,
        tries=CODE_TRIES,
    ), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    _own_accounts_only()
    end_login_session(session.pop(LOGIN_SESSION_KEY, None))
    get_session().commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("lms.courses.home"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere() -> Any:
    """End this account's session on every phone and computer, this one too."""
    _own_accounts_only()
    end_login_sessions(current_user)
    get_session().commit()
    session.pop(LOGIN_SESSION_KEY, None)
    logout_user()
    flash(_("You are signed out on every device. Log in again to continue."), "info")
    return redirect(url_for("lms.accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> Any:
    _own_accounts_only()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
            # Whoever else holds a session (a lost phone) is signed out.
            end_login_sessions(current_user, keep=session.get(LOGIN_SESSION_KEY))
        except AccountError as error:
            getattr(form, error.field or "current_password").errors.append(error.message)
            return render_template("lms/accounts/password.html", form=form), 400
        get_session().commit()
        flash(_("Your password has been changed."), "success")
        return redirect(url_for("lms.courses.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("lms/accounts/password.html", form=form), status


@bp.route("/language", methods=["GET", "POST"])
def language() -> Any:
    """Switch the language and go back to the page.

    A signed-in person posts the form in the top bar and the choice is kept on
    their profile; a visitor follows a link (as in Moodle's ``?lang=``) and it
    is kept in their session only, so their pages stay shareable from a cache.
    """
    values = request.form if request.method == "POST" else request.args
    code = values.get("language", "")
    if code not in config_value("LMS_LANGUAGES"):
        abort(400)
    session[SESSION_KEY] = code
    profile = current_profile()
    if profile is not None and request.method == "POST":
        profile.locale = code
        get_session().commit()
    return redirect(safe_next(values.get("next")))


@bp.route("/staff/people")
@role_required(*STAFF_ROLES)
def people() -> Any:
    profile = current_profile()
    page = request.args.get("page", 1, type=int) or 1
    listing = organisation_people(profile, page=max(1, page))
    return render_template("lms/accounts/people.html", listing=listing)


@bp.route("/admin/organisations", methods=["GET", "POST"])
@role_required(Role.PLATFORM_ADMIN)
def organisations() -> Any:
    """The operator's page: every organisation and its admins; add one with its admin."""
    _own_accounts_only()
    form = OrganisationAdminForm()
    status = 200
    if form.validate_on_submit():
        try:
            admin = add_organisation_admin(
                form.name.data,
                form.kind.data,
                form.phone.data,
                form.display_name.data,
                form.password.data,
            )
        except AccountError as error:
            get_session().rollback()
            getattr(form, error.field or "name", form.name).errors.append(error.message)
            status = 400
        else:
            get_session().commit()
            flash(
                _(
                    "%(name)s can now log in as admin of %(organisation)s.",
                    name=admin.display_name,
                    organisation=admin.organisation.name if admin.organisation else "",
                ),
                "success",
            )
            return redirect(url_for("lms.accounts.organisations"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "lms/accounts/organisations.html", rows=all_organisations(), form=form
    ), status

"""Sign-up, login and password forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from lms.accounts.services import (
    NAME_MAX,
    PASSWORD_MAX,
    find_user_by_phone,
    is_valid_display_name,
    normalise_phone,
    password_problem,
)
from lms.i18n import _l


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


class PhoneField(StringField):
    """A mainland mobile number; the cleaned 11 digits end up in ``data``."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.raw_text = self.data or ""


def _validate_phone_format(field: StringField) -> str:
    if len(field.data or "") > 20:
        raise ValidationError(_l("Enter an 11-digit mainland China mobile number."))
    phone = normalise_phone(field.data or "")
    if phone is None:
        raise ValidationError(_l("Enter an 11-digit mainland China mobile number."))
    return phone


class RegisterForm(FlaskForm):
    phone = PhoneField(_l("Mobile number"), validators=[_required()])
    display_name = StringField(
        _l("Your name"),
        validators=[
            _required(),
            Length(max=NAME_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[_required()])
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[_required(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Sign up"))

    def validate_phone(self, field: StringField) -> None:
        phone = _validate_phone_format(field)
        if find_user_by_phone(phone) is not None:
            raise ValidationError(_l("This mobile number is already registered. Log in instead."))

    def validate_display_name(self, field: StringField) -> None:
        if not is_valid_display_name((field.data or "").strip()):
            raise ValidationError(
                _l("Use Chinese characters or Latin letters, at most %(count)d.", count=NAME_MAX)
            )

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    phone = PhoneField(_l("Mobile number"), validators=[_required()])
    password = PasswordField(
        _l("Password"),
        validators=[
            _required(),
            Length(max=PASSWORD_MAX, message=_l("Wrong mobile number or password.")),
        ],
    )
    submit = SubmitField(_l("Log in"))

    def validate_phone(self, field: StringField) -> None:
        _validate_phone_format(field)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[_required()])
    new_password = PasswordField(_l("New password"), validators=[_required()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            _required(),
            EqualTo("new_password", message=_l("The passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Change password"))

    def validate_new_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class OrganisationAdminForm(FlaskForm):
    name = StringField(
        _l("Organisation"),
        validators=[_required(), Length(max=120, message=_l("Use at most %(max)d characters."))],
    )
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("service-centre", _l("District service centre")),
            SelectChoice("platform", _l("Platform or rider station")),
            SelectChoice("training-provider", _l("Training provider")),
            SelectChoice("employer", _l("Employer")),
        ],
    )
    phone = PhoneField(_l("Admin's mobile number"), validators=[_required()])
    display_name = StringField(
        _l("Admin's name"),
        validators=[
            _required(),
            Length(max=NAME_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )
    password = PasswordField(_l("First password (the admin changes it)"), validators=[_required()])
    submit = SubmitField(_l("Add"))

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class CodeRequestForm(FlaskForm):
    phone = PhoneField(_l("Mobile number"), validators=[_required()])
    submit = SubmitField(_l("Send me a code"))

    def validate_phone(self, field: StringField) -> None:
        _validate_phone_format(field)


class CodeSignInForm(FlaskForm):
    code = StringField(
        _l("Code from the SMS"),
        validators=[
            _required(),
            Length(max=6, message=_l("The code has 6 digits.")),
        ],
    )
    new_password = PasswordField(
        _l("New password (leave empty to keep your password)"),
        validators=[Length(max=PASSWORD_MAX, message=_l("Use at most %(max)d characters."))],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[EqualTo("new_password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Log in"))

    def validate_new_password(self, field: PasswordField) -> None:
        problem = password_problem(field.data) if field.data else None
        if problem:
            raise ValidationError(problem)

"""Employer forms (a hiring code, an API key) and the learner's hiring-code lookup."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lms.employers.api_keys import LABEL_MAX
from lms.employers.services import DAYS_MAX
from lms.i18n import _l


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


class HiringCodeForm(FlaskForm):
    days = IntegerField(
        _l("Valid for (days)"),
        default=30,
        validators=[
            Optional(),
            NumberRange(min=1, max=DAYS_MAX, message=_l("Choose a validity of 1 to %(max)d days.")),
        ],
    )
    submit = SubmitField(_l("Create a hiring code"))


class ApiKeyForm(FlaskForm):
    label = StringField(
        _l("Label (e.g. the HR system's name)"),
        validators=[
            _required(),
            Length(max=LABEL_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Create an API key"))


class HiringCodeLookupForm(FlaskForm):
    # GET: a lookup, so the link printed at the hiring desk can carry the code.
    class Meta:
        csrf = False

    code = StringField(
        _l("Hiring code"),
        validators=[
            _required(),
            Length(max=40, message=_l("The hiring code has 8 letters and digits.")),
        ],
    )

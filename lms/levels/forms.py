"""Trainer forms (a cohort, an invitation, a sign-off) and the learner's join code."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from lms.db import ID_MAX
from lms.i18n import _l
from lms.levels.cohorts import COHORT_NAME_MAX, NOTE_MAX
from lms.levels.invites import DAYS_MAX, USES_MAX


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


class CohortForm(FlaskForm):
    name = StringField(
        _l("Cohort name (station, employer or class)"),
        validators=[
            _required(),
            Length(max=COHORT_NAME_MAX, message=_l("Use at most %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Create cohort"))


class MemberForm(FlaskForm):
    phone = StringField(
        _l("Learner's mobile number"),
        validators=[
            _required(),
            Length(max=20, message=_l("Enter an 11-digit mainland China mobile number.")),
        ],
    )
    submit = SubmitField(_l("Invite this number"))


class InviteForm(FlaskForm):
    days = IntegerField(
        _l("Valid for (days)"),
        default=14,
        validators=[
            _required(),
            NumberRange(min=1, max=DAYS_MAX, message=_l("Choose 1 to %(max)d days.")),
        ],
    )
    max_uses = IntegerField(
        _l("How many learners may join with it"),
        default=50,
        validators=[
            _required(),
            NumberRange(min=1, max=USES_MAX, message=_l("Choose 1 to %(max)d.")),
        ],
    )
    submit = SubmitField(_l("Make an invitation"))


class JoinCodeForm(FlaskForm):
    # GET: the code form is a lookup, so a learner may bookmark or share the link.
    class Meta:
        csrf = False

    code = StringField(
        _l("Join code"),
        validators=[
            _required(),
            Length(max=40, message=_l("The join code has 6 letters and digits.")),
        ],
    )


class SignOffForm(FlaskForm):
    learner_id = IntegerField(
        validators=[
            _required(),
            NumberRange(min=1, max=ID_MAX, message=_l("This learner does not exist.")),
        ]
    )
    track_key = HiddenField(validators=[_required(), Length(max=64)])
    requirement_key = HiddenField(validators=[_required(), Length(max=140)])
    # Radio buttons on the page; record_signoff checks the value is pass or not_yet.
    result = StringField(_l("Result"), validators=[_required(), Length(max=16)])
    note = TextAreaField(
        _l("Note (what you saw; what to practise if not yet)"),
        validators=[Length(max=NOTE_MAX, message=_l("Use at most %(max)d characters."))],
    )
    submit = SubmitField(_l("Record sign-off"))

"""The form an organisation's admin registers a platform with."""

from __future__ import annotations

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.i18n import _l
from lms.interop.lti_platforms import DEPLOYMENTS_MAX, parse_deployments, url_problem


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


def _at_most(count: int) -> Length:
    return Length(max=count, message=_l("Use at most %(max)d characters."))


def _endpoint(form: FlaskForm, field: StringField) -> None:
    app = current_app
    problem = url_problem(field.data or "", bool(app.debug or app.testing))
    if problem:
        raise ValidationError(problem)


class PlatformForm(FlaskForm):
    name = StringField(_l("Name (e.g. our Moodle)"), validators=[_required(), _at_most(120)])
    issuer = StringField(_l("Issuer (platform ID)"), validators=[_required(), _at_most(255)])
    client_id = StringField(_l("Client ID"), validators=[_required(), _at_most(255)])
    deployment_ids = TextAreaField(
        _l("Deployment IDs (one a line)"), validators=[_required(), _at_most(4000)]
    )
    key_set_url = StringField(
        _l("Public keyset URL"), validators=[_required(), _at_most(500), _endpoint]
    )
    auth_login_url = StringField(
        _l("Authentication request URL"), validators=[_required(), _at_most(500), _endpoint]
    )
    auth_token_url = StringField(
        _l("Access token URL"), validators=[_required(), _at_most(500), _endpoint]
    )

    def validate_issuer(self, field: StringField) -> None:
        app = current_app
        problem = url_problem(field.data or "", bool(app.debug or app.testing))
        if problem:
            raise ValidationError(problem)

    def validate_deployment_ids(self, field: TextAreaField) -> None:
        ids = parse_deployments(field.data or "")
        if not ids:
            raise ValidationError(_l("This field is required."))
        if len(ids) > DEPLOYMENTS_MAX:
            raise ValidationError(_l("At most %(count)d deployment IDs.", count=DEPLOYMENTS_MAX))
        if any(len(value) > 255 for value in ids):
            raise ValidationError(_l("A deployment ID has at most 255 characters."))

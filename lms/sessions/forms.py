"""Forms of the sessions domain: a station, a session."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, ValidationError

from lms.i18n import _l
from lms.sessions.models import Facility

FACILITY_LABELS = {
    Facility.DRINKING_WATER: _l("Drinking water"),
    Facility.PHONE_CHARGING: _l("Phone charging"),
    Facility.REST_AREA: _l("Rest area"),
    Facility.MICROWAVE: _l("Microwave"),
    Facility.TOILETS: _l("Toilets"),
}


def _required() -> DataRequired:
    return DataRequired(message=_l("This field is required."))


def _at_most(count: int) -> Length:
    return Length(max=count, message=_l("Use at most %(max)d characters."))


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        known = {value for value, _label in self.choices}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("Choose from the list."))


class StationForm(FlaskForm):
    name_zh = StringField(_l("Name in Chinese"), validators=[_required(), _at_most(80)])
    name_en = StringField(_l("Name in English (optional)"), validators=[_at_most(80)])
    address = StringField(_l("Address"), validators=[_required(), _at_most(200)])
    district = StringField(_l("District"), validators=[_required(), _at_most(40)])
    opening_hours = StringField(
        _l("Opening hours (e.g. 08:00–22:00)"), validators=[_required(), _at_most(80)]
    )
    facilities = CheckboxesField(
        _l("Facilities"),
        choices=[(facility.value, label) for facility, label in FACILITY_LABELS.items()],
    )
    submit = SubmitField(_l("Save the station"))


LANGUAGE_LABELS = {"zh_CN": _l("Chinese"), "en": _l("English")}


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[_required(), _at_most(120)])
    station_id = SelectField(_l("Station"), coerce=int, validate_choice=False)
    place = StringField(_l("Or another place (address)"), validators=[_at_most(200)])
    starts_at = DateTimeLocalField(
        _l("Starts"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message=_l("Give a date and time."))],
    )
    ends_at = DateTimeLocalField(
        _l("Ends"),
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message=_l("Give a date and time."))],
    )
    capacity = IntegerField(
        _l("Places"),
        validators=[
            DataRequired(message=_l("Give the number of places.")),
            NumberRange(min=1, max=500, message=_l("Choose a capacity of 1 to %(max)d.")),
        ],
    )
    course_key = SelectField(_l("Course"), validate_choice=False)
    languages = CheckboxesField(
        _l("Languages of the session"),
        choices=list(LANGUAGE_LABELS.items()),
        validators=[DataRequired(message=_l("Choose the languages the session is held in."))],
    )
    submit = SubmitField(_l("Schedule the session"))

    def validate_ends_at(self, field: DateTimeLocalField) -> None:
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The session must end after it starts."))

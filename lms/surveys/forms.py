"""Forms of the surveys domain: writing a survey, starting one from the template.

A rider's answers are read from the request by the view (their fields depend on
the survey's questions) and checked by the service, which refuses them whole.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from lms.i18n import _l
from lms.surveys.models import QuestionKind
from lms.surveys.services import OptionDraft, QuestionDraft

KIND_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.RATING: _l("Rating 1 to 5"),
    QuestionKind.TEXT: _l("Free text"),
}


def _at_most(count: int) -> Length:
    return Length(max=count, message=_l("Use at most %(max)d characters."))


class QuestionForm(Form):
    """One question slot; a slot left without a question is not part of the survey."""

    kind = SelectField(
        _l("Kind of question"),
        choices=[(kind.value, label) for kind, label in KIND_LABELS.items()],
        validate_choice=False,
    )
    text_zh = StringField(_l("Question in Chinese"), validators=[_at_most(300)])
    text_en = StringField(_l("Question in English (optional)"), validators=[_at_most(300)])
    options = TextAreaField(
        _l("Options, one a line: Chinese | English | lesson topics"),
        validators=[_at_most(3000)],
    )

    def draft(self) -> QuestionDraft | None:
        """The question as the service takes it, or None for an empty slot."""
        text_zh = (self.text_zh.data or "").strip()
        if not text_zh:
            return None
        options = []
        for line in (self.options.data or "").splitlines():
            if not line.strip():
                continue
            zh, _bar, rest = line.partition("|")
            en, _bar, topics = rest.partition("|")
            options.append(OptionDraft(zh.strip(), en.strip(), tuple(topics.split())))
        return QuestionDraft(
            kind=self.kind.data or "",
            text_zh=text_zh,
            text_en=self.text_en.data or "",
            options=tuple(options),
        )


class SurveyForm(FlaskForm):
    title_zh = StringField(
        _l("Title in Chinese"),
        validators=[DataRequired(message=_l("This field is required.")), _at_most(120)],
    )
    title_en = StringField(
        _l("Title in English (leave empty for a survey in Chinese only)"),
        validators=[_at_most(120)],
    )
    anonymous = BooleanField(_l("Anonymous: store no name with the answers"), default=True)
    station_id = SelectField(_l("Station"), coerce=int, validate_choice=False)
    # Fixed slots rather than a FieldList: a FieldList renumbers a sparse post
    # (slots 1 and 3) and reads the last slot twice.
    question_1 = FormField(QuestionForm)
    question_2 = FormField(QuestionForm)
    question_3 = FormField(QuestionForm)
    question_4 = FormField(QuestionForm)
    submit = SubmitField(_l("Open the survey"))

    def slots(self) -> list[FormField]:
        """The question slots, in order."""
        return [self.question_1, self.question_2, self.question_3, self.question_4]

    def drafts(self) -> list[QuestionDraft]:
        """The questions written, in order, empty slots left out."""
        found = [slot.form.draft() for slot in self.slots()]
        return [draft for draft in found if draft is not None]


class TemplateForm(FlaskForm):
    # Named apart from the survey form's fields: both forms are on one page.
    template_station_id = SelectField(_l("Station"), coerce=int, validate_choice=False)
    template_anonymous = BooleanField(_l("Anonymous: store no name with the answers"), default=True)
    submit = SubmitField(_l("Start from the template"))

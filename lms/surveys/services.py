"""Writing, opening, closing and answering needs surveys: they flush, the view commits."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.access import STAFF_ROLES, is_staff_of
from lms.accounts.models import Profile
from lms.db import utcnow
from lms.i18n import _l
from lms.sessions.models import Station
from lms.sessions.services import joined_organisation_ids
from lms.state import get_session
from lms.studio.sanitising import clean_text
from lms.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyAnswered,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)
from lms.surveys.needs_template import NEEDS_TEMPLATE

QUESTIONS_MAX = 12
OPTIONS_MAX = 12
TEXT_MAX = 1000
RATING_RANGE = range(1, 6)
_TOPIC_RE = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)


class SurveyError(Exception):
    """A refused survey operation: the HTTP status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class OptionDraft:
    """One choice as the trainer wrote it, with the lesson topics it is about."""

    zh: str
    en: str = ""
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionDraft:
    kind: str
    text_zh: str
    text_en: str = ""
    options: tuple[OptionDraft, ...] = ()
    need_group: str | None = None


@dataclass(frozen=True)
class SurveyDraft:
    """What the trainer's form says of a survey."""

    title_zh: str
    title_en: str
    anonymous: bool
    station_id: int | None
    questions: Sequence[QuestionDraft] = field(default_factory=tuple)


def _require_trainer(profile: Profile) -> int:
    if not profile.has_role(*STAFF_ROLES) or profile.organisation_id is None:
        raise SurveyError(403, _l("Only an organisation's trainers write surveys."))
    return profile.organisation_id


def _station_of(organisation_id: int, station_id: int | None) -> int | None:
    if station_id is None:
        return None
    station = get_session().get(Station, station_id)
    if station is None or station.organisation_id != organisation_id:
        raise SurveyError(400, _l("Choose one of your organisation's stations."))
    return station.id


def _checked_question(draft: QuestionDraft, position: int, bilingual: bool) -> SurveyQuestion:
    try:
        kind = QuestionKind(draft.kind)
    except ValueError:
        raise SurveyError(400, _l("Choose a kind for every question.")) from None
    text_zh, text_en = clean_text(draft.text_zh).strip(), clean_text(draft.text_en).strip()
    if not text_zh or len(text_zh) > 300 or len(text_en) > 300:
        raise SurveyError(400, _l("Write every question in Chinese, in at most 300 characters."))
    if bilingual and not text_en:
        raise SurveyError(
            400, _l("The survey is in both languages: write every question in English too.")
        )
    options = []
    if kind in CHOICE_KINDS:
        if not 2 <= len(draft.options) <= OPTIONS_MAX:
            raise SurveyError(
                400, _l("Give a choice question 2 to %(max)d options.", max=OPTIONS_MAX)
            )
        for number, option in enumerate(draft.options, start=1):
            zh, en = clean_text(option.zh).strip()[:80], clean_text(option.en).strip()[:80]
            if not zh or (bilingual and not en):
                raise SurveyError(400, _l("Write every option in the survey's languages."))
            topics = [topic for topic in option.topics if topic]
            if any(not _TOPIC_RE.match(topic) for topic in topics):
                raise SurveyError(
                    400, _l("Write topics as lowercase lesson tags, such as traffic.")
                )
            options.append({"id": f"o{number}", "zh": zh, "en": en, "topics": topics[:5]})
    return SurveyQuestion(
        position=position,
        kind=kind,
        text_zh=text_zh,
        text_en=text_en if bilingual else "",
        need_group=draft.need_group,
        options=options,
    )


def create_survey(trainer: Profile, draft: SurveyDraft, template_key: str | None = None) -> Survey:
    """A new open survey of the trainer's organisation; nothing is written if any part is wrong."""
    organisation_id = _require_trainer(trainer)
    title_zh, title_en = clean_text(draft.title_zh).strip(), clean_text(draft.title_en).strip()
    if not title_zh or len(title_zh) > 120 or len(title_en) > 120:
        raise SurveyError(400, _l("Give the survey a Chinese title of at most 120 characters."))
    if not draft.questions:
        raise SurveyError(400, _l("A survey needs at least one question."))
    if len(draft.questions) > QUESTIONS_MAX:
        raise SurveyError(400, _l("A survey has at most %(max)d questions.", max=QUESTIONS_MAX))
    bilingual = bool(title_en)
    questions = [
        _checked_question(question, position, bilingual)
        for position, question in enumerate(draft.questions, start=1)
    ]
    survey = Survey(
        organisation_id=organisation_id,
        author_id=trainer.id,
        title_zh=title_zh,
        title_en=title_en,
        anonymous=draft.anonymous,
        station_id=_station_of(organisation_id, draft.station_id),
        status=SurveyStatus.OPEN,
        template_key=template_key,
        questions=questions,
    )
    session = get_session()
    session.add(survey)
    session.flush()
    if template_key is not None:
        # The shipped options keep their own ids (water, scams...), stable across surveys.
        for question, shipped in zip(survey.questions, NEEDS_TEMPLATE["questions"], strict=True):
            question.options = [dict(option) for option in shipped["options"]]
        session.flush()
    return survey


def create_from_template(trainer: Profile, station_id: int | None, anonymous: bool) -> Survey:
    """The shipped survey of the three groups of urgent needs, ready to answer."""
    draft = SurveyDraft(
        title_zh=NEEDS_TEMPLATE["title_zh"],
        title_en=NEEDS_TEMPLATE["title_en"],
        anonymous=anonymous,
        station_id=station_id,
        questions=[
            QuestionDraft(
                kind=question["kind"],
                text_zh=question["text_zh"],
                text_en=question["text_en"],
                need_group=question["need_group"],
                options=tuple(
                    OptionDraft(option["zh"], option["en"], tuple(option["topics"]))
                    for option in question["options"]
                ),
            )
            for question in NEEDS_TEMPLATE["questions"]
        ],
    )
    return create_survey(trainer, draft, template_key=NEEDS_TEMPLATE["key"])


def organisation_surveys(trainer: Profile) -> list[Survey]:
    """The trainer's organisation's surveys, newest first."""
    organisation_id = _require_trainer(trainer)
    return list(
        get_session().scalars(
            select(Survey)
            .where(Survey.organisation_id == organisation_id)
            .order_by(Survey.created_at.desc(), Survey.id.desc())
        )
    )


def managed_survey(trainer: Profile, survey_id: int) -> Survey:
    """A survey of the trainer's own organisation: another's is not found."""
    _require_trainer(trainer)
    survey = get_session().get(Survey, survey_id)
    if survey is None or not is_staff_of(trainer, survey.organisation_id):
        raise SurveyError(404, _l("No such survey."))
    return survey


def set_status(trainer: Profile, survey_id: int, status: SurveyStatus) -> Survey:
    """Open or close a survey of the trainer's organisation."""
    survey = managed_survey(trainer, survey_id)
    survey.status = status
    get_session().flush()
    return survey


# ------------------------------------------------------------------ answering


def _rider_hash(survey_id: int, profile_id: int) -> str:
    # Keyed with the app's secret: the table alone cannot be matched to riders
    # by hashing every profile id.
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    message = f"lms-survey-answered:{survey_id}:{profile_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def has_answered(survey_id: int, profile_id: int) -> bool:
    """Whether the rider has answered the survey (for named and anonymous ones alike)."""
    found = get_session().get(SurveyAnswered, (survey_id, _rider_hash(survey_id, profile_id)))
    return found is not None


def open_surveys_for(rider: Profile) -> list[tuple[Survey, bool]]:
    """Open surveys of the organisations the rider joined, with whether they answered."""
    session = get_session()
    surveys = list(
        session.scalars(
            select(Survey)
            .where(
                Survey.organisation_id.in_(joined_organisation_ids(rider)),
                Survey.status == SurveyStatus.OPEN,
            )
            .order_by(Survey.created_at.desc(), Survey.id.desc())
        )
    )
    if not surveys:
        return []
    # One lookup for all: each survey's hash of this rider is its own.
    hashes = [_rider_hash(survey.id, rider.id) for survey in surveys]
    answered = set(
        session.scalars(
            select(SurveyAnswered.survey_id).where(SurveyAnswered.rider_hash.in_(hashes))
        )
    )
    return [(survey, survey.id in answered) for survey in surveys]


def visible_survey(rider: Profile, survey_id: int) -> Survey:
    """A survey of an organisation the rider joined: another's is not found."""
    survey = get_session().scalar(
        select(Survey).where(Survey.id == survey_id).options(selectinload(Survey.questions))
    )
    if survey is None or survey.organisation_id not in set(
        get_session().scalars(joined_organisation_ids(rider))
    ):
        raise SurveyError(404, _l("No such survey."))
    return survey


def answering_stations(survey: Survey) -> list[Station]:
    """The stations a rider may say they use, when the survey is not about one."""
    if survey.station_id is not None:
        return []
    return list(
        get_session().scalars(
            select(Station)
            .where(Station.organisation_id == survey.organisation_id)
            .order_by(Station.district, Station.name_zh, Station.id)
        )
    )


def _answers_of(survey: Survey, given: Mapping[int, Sequence[str]]) -> list[SurveyAnswer]:
    """The answers to write, checked against every question; refused as a whole."""
    known = {question.id for question in survey.questions}
    if set(given) - known:
        raise SurveyError(400, _l("Answer the questions of this survey only."))
    answers: list[SurveyAnswer] = []
    for question in survey.questions:
        values = [value.strip() for value in given.get(question.id, ()) if value.strip()]
        number = question.position
        if question.kind in CHOICE_KINDS:
            ids = {option["id"] for option in question.options}
            if not values:
                raise SurveyError(400, _l("Answer question %(number)d.", number=number))
            if any(value not in ids for value in values) or len(set(values)) != len(values):
                raise SurveyError(
                    400, _l("Choose from the options of question %(number)d.", number=number)
                )
            if question.kind == QuestionKind.SINGLE and len(values) > 1:
                raise SurveyError(
                    400, _l("Choose one option in question %(number)d.", number=number)
                )
            answers += [SurveyAnswer(question_id=question.id, option_id=value) for value in values]
        elif question.kind == QuestionKind.RATING:
            if len(values) != 1 or not values[0].isdigit() or int(values[0]) not in RATING_RANGE:
                raise SurveyError(400, _l("Rate question %(number)d from 1 to 5.", number=number))
            answers.append(SurveyAnswer(question_id=question.id, rating=int(values[0])))
        else:
            text = clean_text(" ".join(values)).strip()
            if len(text) > TEXT_MAX:
                raise SurveyError(400, _l("Write at most %(max)d characters.", max=TEXT_MAX))
            if text:
                answers.append(SurveyAnswer(question_id=question.id, text=text))
    return answers


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def submit_response(
    rider: Profile,
    survey_id: int,
    given: Mapping[int, Sequence[str]],
    station_id: int | None = None,
) -> SurveyResponse:
    """Record the rider's one response; a closed survey, a second response or a
    wrong answer is refused and nothing is written."""
    survey = visible_survey(rider, survey_id)
    if survey.status != SurveyStatus.OPEN:
        raise SurveyError(409, _l("This survey is closed."))
    if has_answered(survey.id, rider.id):
        raise SurveyError(409, _l("You have already answered this survey."))
    answers = _answers_of(survey, given)
    if survey.station_id is not None:
        station_id = survey.station_id
    elif station_id is not None:
        station_id = _station_of(survey.organisation_id, station_id)
    session = get_session()
    try:
        with session.begin_nested():
            session.add(
                SurveyAnswered(survey_id=survey.id, rider_hash=_rider_hash(survey.id, rider.id))
            )
            session.flush()
    except IntegrityError:
        # Two submissions at once: the primary key lets one through.
        raise SurveyError(409, _l("You have already answered this survey.")) from None
    now = utcnow()
    response = SurveyResponse(
        survey_id=survey.id,
        profile_id=None if survey.anonymous else rider.id,
        station_id=station_id,
        created_at=_day(now) if survey.anonymous else now,
    )
    session.add(response)
    session.flush()
    for answer in answers:
        answer.response_id = response.id
    session.add_all(answers)
    session.flush()
    return response

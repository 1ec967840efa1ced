"""What a survey's answers add up to: counts per option and station, ratings,
the needs ranked, and the courses and lessons that address each need.

Every figure is one SQL aggregate; only the published lessons (a few dozen,
already in the process) are matched to a need's topics in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from lms.accounts.access import membership_windows
from lms.accounts.models import Profile
from lms.courses.services import published_courses
from lms.state import get_session
from lms.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)


@dataclass(frozen=True)
class LessonLink:
    """A published lesson that carries one of a need's topics."""

    course_key: str
    course_title: dict[str, str]
    lesson_key: str
    lesson_title: dict[str, str]


@dataclass
class Need:
    """One option riders chose, with how many chose it and what teaches it."""

    key: str
    label: dict[str, str]
    group: str | None
    topics: tuple[str, ...]
    count: int = 0
    lessons: list[LessonLink] = field(default_factory=list)

    @property
    def courses(self) -> list[tuple[str, dict[str, str]]]:
        """The courses of the need's lessons, each once, in lesson order."""
        seen: dict[str, dict[str, str]] = {}
        for link in self.lessons:
            seen.setdefault(link.course_key, link.course_title)
        return list(seen.items())


def lessons_for_topics(topics: Iterable[str]) -> list[LessonLink]:
    """Published lessons tagged with any of these topics, in course order."""
    wanted = set(topics)
    if not wanted:
        return []
    found = []
    for course in published_courses():
        version = course.current_version
        if version is None:
            continue
        for lesson in version.lessons:
            if wanted & set(lesson.tags or ()):
                found.append(
                    LessonLink(course.key, dict(version.title), lesson.key, dict(lesson.title))
                )
    return found


def response_counts(survey: Survey) -> dict[int | None, int]:
    """How many riders answered, by station (None: no station said)."""
    rows = get_session().execute(
        select(SurveyResponse.station_id, func.count())
        .where(SurveyResponse.survey_id == survey.id)
        .group_by(SurveyResponse.station_id)
    )
    return {station_id: count for station_id, count in rows}


def option_counts(survey: Survey) -> dict[tuple[int, str], dict[int | None, int]]:
    """For each (question, option): how many riders chose it, by station."""
    rows = get_session().execute(
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.option_id,
            SurveyResponse.station_id,
            func.count(),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.option_id.is_not(None))
        .group_by(SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyResponse.station_id)
    )
    counts: dict[tuple[int, str], dict[int | None, int]] = {}
    for question_id, option_id, station_id, count in rows:
        counts.setdefault((question_id, option_id), {})[station_id] = count
    return counts


def rating_summary(survey: Survey) -> dict[int, dict[int | None, tuple[float, int]]]:
    """For each rating question: the mean rating and how many rated, by station."""
    rows = get_session().execute(
        select(
            SurveyAnswer.question_id,
            SurveyResponse.station_id,
            func.avg(SurveyAnswer.rating),
            func.count(),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.rating.is_not(None))
        .group_by(SurveyAnswer.question_id, SurveyResponse.station_id)
    )
    summary: dict[int, dict[int | None, tuple[float, int]]] = {}
    for question_id, station_id, mean, count in rows:
        summary.setdefault(question_id, {})[station_id] = (round(float(mean), 1), count)
    return summary


@dataclass(frozen=True)
class FreeText:
    """A rider's free text, for the organisation's staff only."""

    question_id: int
    text: str
    #: the rider's name on a named survey while they are still a member, else ""
    name: str


def free_texts(survey: Survey) -> list[FreeText]:
    """The free texts of a survey, newest first. A named survey shows the name
    only of riders still in the organisation's cohorts (they agreed to it by
    joining); a rider who left is shown without one."""
    members = membership_windows(survey.organisation_id)
    rows = get_session().execute(
        select(SurveyAnswer.question_id, SurveyAnswer.text, Profile.display_name)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .outerjoin(members, members.c.profile_id == SurveyResponse.profile_id)
        .outerjoin(Profile, Profile.id == members.c.profile_id)
        .where(SurveyResponse.survey_id == survey.id, SurveyAnswer.text.is_not(None))
        .order_by(SurveyResponse.id.desc(), SurveyAnswer.id)
    )
    return [
        FreeText(question_id, text, "" if survey.anonymous else (name or ""))
        for question_id, text, name in rows
    ]


def top_needs(
    organisation_id: int,
    *,
    survey_id: int | None = None,
    station_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[Need]:
    """The options riders chose most across the organisation's choice questions
    (or one survey's, one station's, one period's), with the lessons that teach them.

    A shipped template's options keep their ids across surveys, so "water" asked
    at two stations adds up to one need.
    """
    query = (
        select(
            Survey.id,
            Survey.template_key,
            SurveyAnswer.question_id,
            SurveyAnswer.option_id,
            func.count(),
        )
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(Survey.organisation_id == organisation_id, SurveyAnswer.option_id.is_not(None))
        .group_by(Survey.id, Survey.template_key, SurveyAnswer.question_id, SurveyAnswer.option_id)
    )
    if survey_id is not None:
        query = query.where(Survey.id == survey_id)
    if station_id is not None:
        query = query.where(SurveyResponse.station_id == station_id)
    if since is not None:
        query = query.where(SurveyResponse.created_at >= since)
    if until is not None:
        query = query.where(SurveyResponse.created_at < until)
    rows = get_session().execute(query).all()
    if not rows:
        return []
    questions = {
        question.id: question
        for question in get_session().scalars(
            select(SurveyQuestion).where(
                SurveyQuestion.id.in_({row[2] for row in rows}),
                SurveyQuestion.kind.in_((QuestionKind.SINGLE, QuestionKind.MULTIPLE)),
            )
        )
    }
    needs: dict[str, Need] = {}
    for survey, template_key, question_id, option_id, count in rows:
        question = questions.get(question_id)
        option = _option(question, option_id) if question else None
        if question is None or option is None:
            continue
        key = (
            f"{template_key}:{option_id}" if template_key else f"{survey}:{question_id}:{option_id}"
        )
        need = needs.get(key)
        if need is None:
            label = {"zh_CN": option["zh"], "en": option.get("en") or option["zh"]}
            need = needs[key] = Need(
                key, label, question.need_group, tuple(option.get("topics") or ())
            )
        need.count += count
    ranked = sorted(needs.values(), key=lambda need: (-need.count, need.key))[:limit]
    for need in ranked:
        need.lessons = lessons_for_topics(need.topics)
    return ranked


def _option(question: SurveyQuestion, option_id: str) -> dict[str, Any] | None:
    return next((option for option in question.options if option["id"] == option_id), None)

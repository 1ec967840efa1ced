"""A draft lesson shown through the learner's lesson player, before it is published.

The preview objects carry the attributes the player's template reads from a
published course, lesson and version; nothing a preview does is recorded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from lms.assessments.grading import (
    InvalidAnswer,
    answer_from_form,
    grade,
    learner_view,
    review_view,
)
from lms.content.schema import LANGUAGES
from lms.courses.markdown import render_markdown
from lms.courses.models import CourseStatus
from lms.i18n import _l
from lms.studio.errors import StudioError
from lms.studio.models import Draft

__all__ = [
    "PREVIEW_STEPS",
    "PreviewCourse",
    "PreviewLesson",
    "PreviewVersion",
    "player_context",
    "preview_course",
    "preview_lesson",
    "review_checks",
]

PREVIEW_STEPS = ("situation", "decision", "outcome", "rule", "check")


@dataclass(frozen=True)
class PreviewLesson:
    """A draft lesson with the attributes of a published ``LessonVersion``."""

    id: int
    key: str
    position: int
    slug: str
    title: dict[str, str]
    minutes: int
    tags: list[str]
    decision: dict[str, Any]
    rule_source: dict[str, str]
    situation_html: dict[str, str]
    outcome_html: dict[str, str]
    rule_html: dict[str, str]
    checks: list[dict[str, Any]]
    content_hash: str = ""


@dataclass(frozen=True)
class PreviewVersion:
    """A draft course with the attributes of a published ``CourseVersion``."""

    id: int
    number: int
    title: dict[str, str]
    summary: dict[str, str]
    occupations: list[str]
    level: int
    lessons: list[PreviewLesson]
    quiz_key: str
    quiz_title: dict[str, str]
    quiz_policy: dict[str, Any]
    languages: list[str] | None = None

    @property
    def total_minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


@dataclass(frozen=True)
class PreviewCourse:
    """A draft course with the attributes of a published ``Course``."""

    id: int
    key: str
    area: str
    status: str
    current_version: PreviewVersion
    organisation_id: int | None = None


def _minutes(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _rendered(body: dict[str, Any], section: str) -> dict[str, str]:
    texts = body.get(section) or {}
    return {lang: render_markdown(str(texts.get(lang) or "")).strip() for lang in LANGUAGES}


def _normalised_question(question: dict[str, Any]) -> dict[str, Any]:
    normal = copy.deepcopy(question)
    for option in normal.get("options") or []:
        option["correct"] = bool(option.get("correct"))
        option.setdefault("feedback", None)
    for part in normal.get("parts") or []:
        for option in part.get("options") or []:
            option["correct"] = bool(option.get("correct"))
            option.setdefault("feedback", None)
    return normal


def preview_course(draft: Draft) -> PreviewCourse:
    """The draft as the learner pages' objects, Markdown rendered and sanitised."""
    data = draft.data
    course = data.get("course") or {}
    lessons = []
    for position, lesson in enumerate(data.get("lessons") or [], 1):
        front = lesson.get("front") or {}
        body = lesson.get("body") or {}
        decision = copy.deepcopy(front.get("decision") or {"prompt": {}, "options": []})
        for option in decision.get("options") or []:
            option["best"] = bool(option.get("best"))
        lessons.append(
            PreviewLesson(
                id=-position,
                key=str(front.get("id") or f"lesson-{position}"),
                position=position,
                slug=str(lesson.get("slug") or ""),
                title=front.get("title") or {},
                minutes=_minutes(front.get("minutes")),
                tags=list(front.get("tags") or []),
                decision=decision,
                rule_source=front.get("rule_source") or {},
                situation_html=_rendered(body, "situation"),
                outcome_html=_rendered(body, "outcome"),
                rule_html=_rendered(body, "rule"),
                checks=[_normalised_question(q) for q in front.get("check") or []],
            )
        )
    quiz = course.get("quiz") or {}
    version = PreviewVersion(
        id=-draft.id,
        number=0,
        title=course.get("title") or {},
        summary=course.get("summary") or {},
        occupations=list(course.get("occupations") or []),
        level=_minutes(course.get("level")),
        lessons=lessons,
        quiz_key=str(quiz.get("id") or ""),
        quiz_title=quiz.get("title") or {},
        quiz_policy={key: value for key, value in quiz.items() if key not in ("id", "title")},
        languages=list(course["languages"]) if course.get("languages") else None,
    )
    return PreviewCourse(
        id=-draft.id,
        key=draft.course_key,
        area=str(course.get("area") or ""),
        status=CourseStatus.DRAFT.value,
        current_version=version,
        organisation_id=draft.organisation_id,
    )


def preview_lesson(draft: Draft, index: int) -> tuple[PreviewCourse, PreviewLesson]:
    """One draft lesson ready for the learner's lesson player."""
    course = preview_course(draft)
    lessons = course.current_version.lessons
    if not 0 <= index < len(lessons):
        raise StudioError(_l("This lesson does not exist."), 404)
    return course, lessons[index]


def review_checks(checks: list[dict[str, Any]], form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """The posted answers to a lesson's check questions, graded and explained."""
    reviewed = []
    for question in checks:
        name = f"q-{question.get('id')}"
        try:
            raw: Any = answer_from_form(question, form.getlist, name)
            reviewed.append(review_view(question, raw, grade(question, raw), "explanations"))
        except (InvalidAnswer, KeyError, TypeError, ValueError):
            return []
    return reviewed


def player_context(
    course: PreviewCourse,
    lesson: PreviewLesson,
    step: str,
    choice: str | None,
    frame: str,
    reviewed: list[dict[str, Any]],
    following_frame: str,
) -> dict[str, Any]:
    """What the learner's lesson player template needs to show one step of a draft lesson."""
    position = PREVIEW_STEPS.index(step)
    after = PREVIEW_STEPS[position + 1] if position + 1 < len(PREVIEW_STEPS) else None
    options = {option["id"]: option for option in lesson.decision.get("options") or []}
    following = course.current_version.lessons[lesson.position :]
    try:
        questions = [learner_view(question) for question in lesson.checks]
    except (KeyError, TypeError, ValueError):
        questions = []
    return {
        "course": course,
        "version": course.current_version,
        "lesson": lesson,
        "step": step,
        "step_number": position + 1,
        "steps": PREVIEW_STEPS,
        "next_step": after,
        "next_url": f"{frame}?step={after}" if after else None,
        "chosen": options.get(choice) if choice else None,
        "questions": questions,
        "reviewed": reviewed,
        "next_lesson": following[0] if following else None,
        "next_lesson_url": following_frame if following else None,
        "event_key": "preview",
        "error": None,
        "cache_urls": [],
        "done": False,
        "lesson_minutes": 0,
        "preview": True,
        "preview_save_url": frame,
    }

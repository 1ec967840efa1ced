"""Where a learner comes back to: the exact step of their latest unfinished
lesson, or the next lesson of the course they last worked in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lms.courses.models import Course, CourseVersion, LessonVersion
from lms.courses.progress import STEPS, LearnerLessons, learner_lessons
from lms.courses.services import lesson_in, published_courses


@dataclass(frozen=True)
class ResumePoint:
    """The exact step a learner comes back to."""

    course_key: str
    lesson_key: str
    step: str
    course_title: dict[str, Any]
    lesson_title: dict[str, Any]
    step_number: int


def resume_point(profile_id: int, lessons: LearnerLessons | None = None) -> ResumePoint | None:
    """Where the learner left off: their latest unfinished lesson at its exact step,
    else the next lesson of the course they last worked in; None if nothing is left."""
    found = lessons if lessons is not None else learner_lessons(profile_id)
    records = sorted(found.records.values(), key=lambda r: (r.updated_at, r.id), reverse=True)
    courses = {course.key: course for course in published_courses()}
    done = found.done_keys
    for record in records[:20]:
        course = courses.get(record.course_key)
        if course is None or course.current_version is None:
            continue
        version = course.current_version
        if record.completed_at is None:
            lesson = lesson_in(version, record.lesson_key)
            if lesson is not None:
                return _point(course, version, lesson, record.step)
            continue
        following = [lesson for lesson in version.lessons if lesson.key not in done]
        if following:
            nxt = found.records.get(following[0].key)
            return _point(course, version, following[0], nxt.step if nxt else STEPS[0])
        return None
    return None


def _point(course: Course, version: CourseVersion, lesson: LessonVersion, step: str) -> ResumePoint:
    return ResumePoint(
        course_key=course.key,
        lesson_key=lesson.key,
        step=step,
        course_title=dict(version.title),
        lesson_title=dict(lesson.title),
        step_number=STEPS.index(step) + 1,
    )

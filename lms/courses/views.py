"""The learner's catalogue: home, a course, a lesson."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request

from lms.courses.models import Area
from lms.courses.services import course_by_key, lesson_in, published_courses

bp = Blueprint("courses", __name__)

LESSON_STEPS = ("situation", "decision", "outcome", "rule", "check")


@bp.route("/")
def home() -> Any:
    courses = published_courses()
    by_area = {area: [c for c in courses if c.area == area] for area in Area}
    return render_template("lms/courses/home.html", by_area=by_area)


@bp.route("/courses/<key>")
def course(key: str) -> Any:
    found = course_by_key(key)
    if found is None or found.current_version is None:
        abort(404)
    return render_template("lms/courses/course.html", course=found, version=found.current_version)


@bp.route("/courses/<key>/lessons/<lesson_key>")
def lesson(key: str, lesson_key: str) -> Any:
    found = course_by_key(key)
    if found is None or found.current_version is None:
        abort(404)
    version = found.current_version
    lesson_version = lesson_in(version, lesson_key)
    if lesson_version is None:
        abort(404)
    step = request.args.get("step", LESSON_STEPS[0])
    if step not in LESSON_STEPS:
        abort(404)
    index = LESSON_STEPS.index(step)
    choice = request.args.get("choice")
    options = {option["id"]: option for option in lesson_version.decision["options"]}
    if choice is not None and choice not in options:
        abort(400)
    following = version.lessons[lesson_version.position :] if lesson_version.position else []
    return render_template(
        "lms/courses/lesson.html",
        course=found,
        lesson=lesson_version,
        step=step,
        step_number=index + 1,
        steps=LESSON_STEPS,
        next_step=LESSON_STEPS[index + 1] if index + 1 < len(LESSON_STEPS) else None,
        chosen=options.get(choice) if choice else None,
        next_lesson=following[0] if following else None,
    )

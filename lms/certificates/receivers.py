"""Reactions to other domains' events: a course finished and passed, or a
level reached, earns its certificate.

A course certificate needs every lesson of the course finished AND its quiz
passed, and is issued on whichever comes last: the quiz passed once the lessons
are done, or the last lesson finished after a pass. It prints the hours the
learner actually spent in the course's lessons, and in the training sessions held
for the course that they attended (the sessions domain credits those).

Nothing here listens until :func:`connect` is called (the extension's
``init_app`` does): importing the module connects nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms import signals
from lms.accounts.services import publishing_organisation
from lms.assessments.models import Attempt
from lms.certificates import jobs, verify_cache
from lms.certificates.issuing import issue_certificate, level_text
from lms.certificates.models import Certificate, CertificateKind
from lms.courses.models import Course, CourseVersion, LessonVersion
from lms.levels.models import LevelAchievement
from lms.state import get_session

#: The occupations a course trains for, as printed on its certificate.
OCCUPATIONS: dict[str, dict[str, str]] = {
    "online-delivery-worker": {"zh_CN": "网约配送员", "en": "Online delivery worker"},
    "courier": {"zh_CN": "快递员", "en": "Courier"},
    "ride-hailing-driver": {"zh_CN": "网约车驾驶员", "en": "Ride-hailing driver"},
    "truck-driver": {"zh_CN": "货车司机", "en": "Truck driver"},
    "ecommerce-operator": {"zh_CN": "电子商务/互联网营销", "en": "E-commerce operator"},
}


def _training_hours(
    profile_id: int, lesson_keys: list[str] | None, course_key: str | None = None
) -> float:
    """Hours of active time the learner spent in these lessons (all lessons: None),
    plus the training they attended in person: the sessions held for this course
    (every session attended, for all lessons)."""
    from lms.courses.attended import attended_seconds
    from lms.courses.progress import training_seconds

    studied = max(training_seconds(profile_id, lesson_keys=lesson_keys), 0)
    if lesson_keys is not None and course_key is None:
        return studied / 3600
    return (studied + attended_seconds(profile_id, course_key)) / 3600


def _attended_hours(profile_id: int, course_key: str | None) -> float:
    """The part of the hours attended in person (sessions), kept in the evidence."""
    from lms.courses.attended import attended_seconds

    return round(attended_seconds(profile_id, course_key) / 3600, 2)


def _lessons_done(profile_id: int, version: CourseVersion) -> bool:
    from lms.courses.progress import completed_lesson_keys

    keys = {lesson.key for lesson in version.lessons}
    return keys <= completed_lesson_keys(profile_id)


def issue_for_attempt(attempt: Attempt) -> Certificate | None:
    """Issue the training certificate of a passed course attempt once every lesson of
    the course is finished too (None while something is missing). Its hours are the
    time in the course's lessons and in the sessions attended for the course."""
    # getattr throughout: a sender may pass a lighter stand-in for the attempt
    # that lacks the result columns (the spaced-review tests do).
    if not getattr(attempt, "passed", False):
        return None
    session = get_session()
    version = session.get(CourseVersion, attempt.course_version_id)
    if version is None:
        return None
    if not _lessons_done(attempt.profile_id, version):
        return None
    course = session.get(Course, version.course_id)
    occupations = list(version.occupations or [])
    track_key = occupations[0] if occupations else None
    track_title = {
        "zh_CN": "、".join(OCCUPATIONS.get(o, {}).get("zh_CN", o) for o in occupations),
        "en": ", ".join(OCCUPATIONS.get(o, {}).get("en", o) for o in occupations),
    }
    lesson_keys = [lesson.key for lesson in version.lessons]
    graded_at = getattr(attempt, "graded_at", None)
    return issue_certificate(
        profile_id=attempt.profile_id,
        kind=CertificateKind.TRAINING,
        achievement_key=f"course:{attempt.course_key}:profile:{attempt.profile_id}",
        title=version.title,
        hours=_training_hours(attempt.profile_id, lesson_keys, attempt.course_key),
        evidence={
            "attempt_id": getattr(attempt, "id", None),
            "course_version": version.number,
            "score_percent": getattr(attempt, "score_percent", None),
            "graded_at": graded_at.isoformat() if graded_at else None,
            "attended_training_hours": _attended_hours(attempt.profile_id, attempt.course_key),
        },
        track_key=track_key,
        track_title=track_title if occupations else None,
        course_key=attempt.course_key,
        organisation_id=course.organisation_id if course else publishing_organisation().id,
    )


def _title_of(obj: object, *names: str) -> Any:
    for name in names:
        value = getattr(obj, name, None)
        if value:
            return getattr(value, "title", value)
    return None


def issue_for_level(achievement: LevelAchievement) -> Certificate:
    """Issue the skill-level training certificate of a level reached."""
    # The stored achievement carries no titles; one that does has them printed.
    level = int(achievement.level)
    evidence = dict(getattr(achievement, "evidence", None) or {})
    reached = getattr(achievement, "reached_at", None)
    if reached is not None:
        evidence.setdefault("reached_at", reached.isoformat())
    track_title = _title_of(achievement, "track_title", "track") or OCCUPATIONS.get(
        achievement.track_key
    )
    level_title = _title_of(achievement, "level_title", "title") or level_text(level)
    hours = evidence.get("hours")
    if not isinstance(hours, int | float):
        hours = _training_hours(achievement.profile_id, None)
        evidence.setdefault(
            "attended_training_hours", _attended_hours(achievement.profile_id, None)
        )
    return issue_certificate(
        profile_id=achievement.profile_id,
        kind=CertificateKind.LEVEL,
        achievement_key=f"level:{achievement.track_key}:{level}:profile:{achievement.profile_id}",
        title=level_title,
        hours=float(hours),
        evidence=evidence,
        track_key=achievement.track_key,
        track_title=track_title,
        level=level,
        # Levels are shipped content: the publishing organisation certifies them.
        organisation_id=publishing_organisation().id,
    )


def _on_attempt_graded(sender: object, attempt: Attempt | None = None, **_extra: object) -> None:
    if attempt is not None:
        issue_for_attempt(attempt)


def _latest_pass(profile_id: int, course_key: str) -> Attempt | None:
    return get_session().scalar(
        select(Attempt)
        .where(
            Attempt.profile_id == profile_id,
            Attempt.course_key == course_key,
            Attempt.passed.is_(True),
        )
        .order_by(Attempt.graded_at.desc(), Attempt.id.desc())
        .limit(1)
    )


def issue_for_lesson(profile_id: int, lesson_version: LessonVersion) -> Certificate | None:
    """Issue the course certificate when this lesson was the last one missing
    after the quiz was passed (None otherwise)."""
    version = get_session().get(CourseVersion, lesson_version.course_version_id)
    if version is None:
        return None
    course = get_session().get(Course, version.course_id)
    if course is None:
        return None
    attempt = _latest_pass(profile_id, course.key)
    return issue_for_attempt(attempt) if attempt is not None else None


def _on_lesson_completed(
    sender: object,
    profile: object = None,
    lesson_version: LessonVersion | None = None,
    **_extra: object,
) -> None:
    profile_id = getattr(profile, "id", None)
    if isinstance(profile_id, int) and lesson_version is not None:
        issue_for_lesson(profile_id, lesson_version)


def _on_level_reached(
    sender: object, achievement: LevelAchievement | None = None, **_extra: object
) -> None:
    if achievement is not None:
        issue_for_level(achievement)


def _on_certificate_issued(
    sender: object, certificate: Certificate | None = None, **_extra: object
) -> None:
    if certificate is not None:
        jobs.note_issued(certificate)


def connect() -> None:
    """Issue certificates when a course is passed or a level reached, clear
    cached verification answers when a certificate changes, and queue each new
    certificate's PDF once its transaction commits.

    Called once per app from ``LMS.init_app``; connecting again is harmless.
    """
    signals.attempt_graded.connect(_on_attempt_graded, weak=False)
    signals.lesson_completed.connect(_on_lesson_completed, weak=False)
    signals.level_reached.connect(_on_level_reached, weak=False)
    signals.certificate_issued.connect(_on_certificate_issued, weak=False)
    jobs.listen_for_commits()
    verify_cache.track_certificate_changes()

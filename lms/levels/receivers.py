"""Reactions to other domains' events: a graded quiz, a finished lesson or a
session attended may complete a level."""

from __future__ import annotations

from typing import Any

from lms.accounts.models import Profile
from lms.assessments.models import Attempt
from lms.courses.models import LessonVersion
from lms.levels.services import check_levels
from lms.signals import attempt_graded, lesson_completed, session_attended
from lms.state import get_session


def on_attempt_graded(sender: Any, attempt: Attempt | None = None, **_extra: Any) -> None:
    """Check the learner's levels once their attempt is graded."""
    if attempt is None:
        return
    profile = get_session().get(Profile, attempt.profile_id)
    if profile is not None:
        check_levels(profile)


def on_lesson_completed(
    sender: Any,
    profile: Profile | None = None,
    lesson_version: LessonVersion | None = None,
    **_extra: Any,
) -> None:
    """Check the learner's levels once they finish a lesson."""
    if profile is not None:
        check_levels(profile)


def on_session_attended(sender: Any, attendance: Any = None, **_extra: Any) -> None:
    """Check the learner's levels once they are checked in to a training session.

    Only ``attendance.profile_id`` is read: the attended time itself is already in
    the learner's record (``lms_attended_training``) when the signal is sent.
    """
    profile_id = getattr(attendance, "profile_id", None)
    profile = get_session().get(Profile, profile_id) if isinstance(profile_id, int) else None
    if profile is not None:
        check_levels(profile)


def connect() -> None:
    """Listen to the signals; called once per app from ``LMS.init_app``.

    Connecting again is harmless: blinker keeps one connection per receiver.
    """
    attempt_graded.connect(on_attempt_graded)
    lesson_completed.connect(on_lesson_completed)
    session_attended.connect(on_session_attended)

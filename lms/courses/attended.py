"""Training time earned in person: a learner checked in to a session at a station.

The sessions domain records it here when it checks someone in (the time counts
in the learner's record, their levels and their certificates' hours), so every
domain that adds up training time reads one table and none imports the sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.courses.models import AttendedTraining
from lms.state import get_session


def credited_seconds(
    starts_at: datetime, ends_at: datetime, checked_in_at: datetime, vouched: bool
) -> int:
    """The seconds a check-in earns: the session's real length, from the check-in on.

    Like lesson time, only time the platform can vouch for counts: a rider who
    scans the code late earns the part of the session still to come. A trainer
    who checks a rider in by hand (often after the session, for a flat phone)
    vouches for the whole session.
    """
    start = starts_at if vouched else max(starts_at, checked_in_at)
    return max(0, int((ends_at - start).total_seconds()))


def record_attended_training(
    profile_id: int,
    source_key: str,
    title: str,
    seconds: int,
    attended_at: datetime,
    course_key: str | None = None,
) -> AttendedTraining | None:
    """Credit in-person training once per source; None when it was credited before."""
    session = get_session()
    row = AttendedTraining(
        profile_id=profile_id,
        source_key=source_key,
        course_key=course_key,
        title=title[:120],
        seconds=max(0, int(seconds)),
        attended_at=attended_at,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row


def attended_seconds(profile_id: int, course_key: str | None = None) -> int:
    """Seconds of in-person training credited to the learner (all, or one course's)."""
    query = select(func.coalesce(func.sum(AttendedTraining.seconds), 0)).where(
        AttendedTraining.profile_id == profile_id
    )
    if course_key is not None:
        query = query.where(AttendedTraining.course_key == course_key)
    return int(get_session().scalar(query) or 0)


def attended_by_source(profile_id: int) -> dict[str, AttendedTraining]:
    """The learner's in-person training by its source key (``session:<id>``)."""
    rows = get_session().scalars(
        select(AttendedTraining).where(AttendedTraining.profile_id == profile_id)
    )
    return {row.source_key: row for row in rows}

"""Which courses and drafts a trainer may see and which they own.

Shipped courses (imported from files, owned by the publishing organisation)
can be read and copied by every trainer, never changed in the studio;
another organisation's courses and drafts do not exist as far as this trainer
is concerned.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select

from lms.accounts.models import Profile
from lms.courses.models import Course, CourseStatus, CourseVersion
from lms.i18n import _l
from lms.state import get_session
from lms.studio.errors import StudioError
from lms.studio.models import Draft, VersionSource

__all__ = [
    "CourseRow",
    "authoring_organisation",
    "course_draft",
    "draft_of",
    "is_own_course",
    "own_course",
    "studio_courses",
    "visible_course",
]


@dataclass(frozen=True)
class CourseRow:
    """One line of the studio's course list."""

    key: str
    title: dict[str, str]
    status: str
    versions: int
    current_number: int | None
    course: Course | None
    draft: Draft | None
    editable: bool


def authoring_organisation(profile: Profile) -> int:
    """The organisation the trainer writes courses for; refused when they have none."""
    if profile.organisation_id is None:
        raise StudioError(
            _l("Your account belongs to no organisation, so it cannot author courses."), 403
        )
    return profile.organisation_id


def _readable_courses(profile: Profile) -> ColumnElement[bool]:
    """The courses this trainer may read: shipped ones and their organisation's."""
    if profile.organisation_id is None:
        return Course.shipped.is_(True)
    return or_(Course.shipped.is_(True), Course.organisation_id == profile.organisation_id)


def visible_course(profile: Profile, key: str) -> Course | None:
    """A course this trainer may read: their organisation's or a shipped one."""
    return get_session().scalar(select(Course).where(Course.key == key, _readable_courses(profile)))


def is_own_course(profile: Profile, course: Course) -> bool:
    """Whether the course belongs to the trainer's organisation, so they may change it."""
    return not course.shipped and course.organisation_id == profile.organisation_id


def own_course(profile: Profile, key: str) -> Course:
    """A course of the trainer's organisation; a shipped or unknown one is refused."""
    course = visible_course(profile, key)
    if course is None:
        raise StudioError(_l("This course does not exist."), 404)
    if not is_own_course(profile, course):
        raise StudioError(
            _l("Shipped courses are read-only here: copy the course into a draft to change it."),
            403,
        )
    return course


def draft_of(profile: Profile, draft_id: int) -> Draft:
    """A draft of this trainer's organisation, or a 404."""
    draft = get_session().get(Draft, draft_id)
    if draft is None or draft.organisation_id != profile.organisation_id:
        raise StudioError(_l("This draft does not exist."), 404)
    return draft


def published_from_draft(profile: Profile, draft_id: int) -> str | None:
    """The id of the own course a since-published draft became, if it did."""
    return get_session().scalar(
        select(Course.key)
        .join(CourseVersion, CourseVersion.course_id == Course.id)
        .join(VersionSource, VersionSource.course_version_id == CourseVersion.id)
        .where(
            VersionSource.draft_id == draft_id,
            Course.organisation_id == profile.organisation_id,
        )
        .limit(1)
    )


def course_draft(profile: Profile, key: str) -> Draft | None:
    """The draft of a course id, if the trainer's organisation has one."""
    draft = get_session().scalar(select(Draft).where(Draft.course_key == key))
    if draft is None or draft.organisation_id != profile.organisation_id:
        return None
    return draft


def studio_courses(profile: Profile) -> list[CourseRow]:
    """Every course the trainer may see, with its status, versions and draft."""
    session = get_session()
    drafts: dict[str, Draft] = {}
    if profile.organisation_id is not None:
        drafts = {
            draft.course_key: draft
            for draft in session.scalars(
                select(Draft).where(Draft.organisation_id == profile.organisation_id)
            )
        }
    counts = dict(
        session.execute(
            select(CourseVersion.course_id, func.count()).group_by(CourseVersion.course_id)
        ).all()
    )
    rows: list[CourseRow] = []
    courses = select(Course).where(_readable_courses(profile)).order_by(Course.key)
    for course in session.scalars(courses):
        version = course.current_version
        draft = drafts.pop(course.key, None)
        rows.append(
            CourseRow(
                key=course.key,
                title=dict(version.title) if version else {},
                status=course.status.value,
                versions=counts.get(course.id, 0),
                current_number=version.number if version else None,
                course=course,
                draft=draft,
                editable=not course.shipped,
            )
        )
    for draft in drafts.values():
        rows.append(
            CourseRow(
                key=draft.course_key,
                title=dict(draft.data.get("course", {}).get("title") or {}),
                status=CourseStatus.DRAFT.value,
                versions=0,
                current_number=None,
                course=None,
                draft=draft,
                editable=True,
            )
        )
    return sorted(rows, key=lambda row: (not row.editable, row.key))

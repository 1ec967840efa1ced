"""Published course versions held in the process: a version never changes once
published, so it and its lessons are read from the database once per process
and every later request puts a copy of them into its own session without a
query (the quiz bank, which only the quiz pages read, is loaded there).

Only the pointer from a course to its current version is read per request
(``published_courses``, ``course_by_key``), so a new version shows in every
process at once; what is cached is keyed by the version's id and immutable.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.courses.models import Course, CourseVersion
from lms.state import get_session, request_has_written

#: ``app.extensions`` key of the process's versions, by id.
EXTENSION_KEY = "lms_course_versions"
#: More published versions than any deployment keeps current; past it the
#: cache starts again rather than grow.
MAX_VERSIONS = 1024


def _versions() -> dict[int, CourseVersion]:
    return current_app.extensions.setdefault(EXTENSION_KEY, {})


def _load(ids: list[int], into: dict[int, CourseVersion]) -> None:
    # A session of its own on the request's connection: what it loads is
    # detached at once and shared read-only, never tied to one request.
    with Session(bind=get_session().connection()) as reader:
        versions = reader.scalars(
            select(CourseVersion)
            .where(CourseVersion.id.in_(ids))
            # The lessons only: most pages never read the quiz bank, and copying
            # it into every request would cost more than the quiz page's one query.
            .options(selectinload(CourseVersion.lessons))
        ).all()
        reader.expunge_all()
    if len(into) + len(versions) > MAX_VERSIONS:
        into.clear()
    for version in versions:
        into[version.id] = version


def attach_current_versions(courses: Iterable[Course]) -> None:
    """Put each course's current version, with its lessons, into the
    request's session from the process cache, so reading them costs no query.

    After a write in this request (say, a version just published and not yet
    committed) nothing is cached or attached: those pages read the database.
    """
    if request_has_written():
        return
    courses = [course for course in courses if course.current_version_id]
    cache = _versions()
    missing = [c.current_version_id for c in courses if c.current_version_id not in cache]
    if missing:
        _load(missing, cache)
    session = get_session()
    for course in courses:
        found = cache.get(course.current_version_id)
        if found is not None:
            # The course holds its copy, as if the relationship had been loaded
            # (the session itself keeps only weak references).
            set_committed_value(course, "current_version", session.merge(found, load=False))

"""Publishing tracks, gathering a learner's record and recording levels reached."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.content.errors import ContentError
from lms.content.schema import LEVELS_FILE
from lms.db import utcnow
from lms.levels.loader import read_levels
from lms.levels.models import LevelAchievement, LevelTrack, LevelTrackVersion, SignOff
from lms.levels.progress import (
    AttemptFact,
    Catalog,
    HeldLevel,
    LearnerRecord,
    LevelProgress,
    SignOffFact,
    TrackProgress,
    evaluate_track,
)
from lms.levels.specs import CourseFacts, TrackSpec
from lms.state import get_session

__all__ = [
    "LevelsImport",
    "PublishedTrack",
    "check_levels",
    "course_facts",
    "evaluate_track",
    "gather_record",
    "import_levels",
    "load_catalog",
    "progress_for",
    "published_tracks",
    "track_by_key",
]


# ------------------------------------------------------------------ publishing


class TrackImportStatus(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    RETIRED = "retired"


@dataclass(frozen=True)
class TrackImport:
    key: str
    status: TrackImportStatus
    version: int | None = None


@dataclass
class LevelsImport:
    """What ``import_levels`` did: one line per track, or the errors that stopped it."""

    tracks: list[TrackImport] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def course_facts(
    content_root: Path | None = None, published: bool = True
) -> dict[str, CourseFacts]:
    """Course ids, lessons and critical questions the levels file may refer to.

    Published courses first (unless ``published`` is False), then the course
    files under ``content_root`` (so ``content check`` works without a database).
    """
    from lms.courses.models import Course, CourseStatus

    facts: dict[str, CourseFacts] = {}
    session = get_session()
    courses = (
        session.scalars(
            select(Course).where(
                Course.status == CourseStatus.PUBLISHED, Course.current_version_id.is_not(None)
            )
        )
        if published
        else []
    )
    for course in courses:
        version = course.current_version
        if version is None:
            continue
        facts[course.key] = CourseFacts(
            course.key,
            dict(version.title),
            tuple(lesson.key for lesson in version.lessons),
            tuple(
                quiz_question.question.key
                for quiz_question in version.quiz_questions
                if quiz_question.question.spec.get("critical")
            ),
        )
    if content_root is not None:
        from lms.courses.loader import load_content

        specs, _errors = load_content(Path(content_root))
        for spec in specs:
            facts.setdefault(
                spec.id,
                CourseFacts(
                    spec.id,
                    dict(spec.title),
                    tuple(lesson.id for lesson in spec.lessons),
                    tuple(q["id"] for q in spec.quiz.questions if q.get("critical")),
                ),
            )
    return facts


def _spec_hash(data: dict[str, Any]) -> str:
    from lms.courses.services import spec_hash

    return spec_hash(data)


def import_levels(content_root: Path) -> LevelsImport:
    """Validate ``content_root/levels.yaml`` and publish each changed track as a new version.

    Unchanged tracks are left alone; tracks gone from the file are retired
    (levels reached on them stay). Any error rejects the whole file. The caller
    commits.
    """
    path = Path(content_root) / LEVELS_FILE
    report = LevelsImport()
    if not path.is_file():
        return report
    spec, errors = read_levels(path, course_facts(Path(content_root)))
    if spec is None:
        report.errors = errors
        return report
    session = get_session()
    with session.begin_nested():
        for track_spec in spec.tracks:
            report.tracks.append(_publish_track(track_spec))
        listed = {track.key for track in spec.tracks}
        for track in session.scalars(select(LevelTrack).where(LevelTrack.active.is_(True))):
            if track.key not in listed:
                track.active = False
                report.tracks.append(TrackImport(track.key, TrackImportStatus.RETIRED))
        session.flush()
    return report


def _publish_track(spec: TrackSpec) -> TrackImport:
    session = get_session()
    data = spec.as_dict()
    digest = _spec_hash(data)
    track = session.scalar(select(LevelTrack).where(LevelTrack.key == spec.key))
    created = track is None
    if track is None:
        track = LevelTrack(key=spec.key, position=spec.position)
        session.add(track)
        session.flush()
    elif track.current_version is not None and track.current_version.content_hash == digest:
        if not track.active:
            track.active = True
            return TrackImport(spec.key, TrackImportStatus.UPDATED, track.current_version.number)
        return TrackImport(spec.key, TrackImportStatus.UNCHANGED, track.current_version.number)
    last = session.scalar(
        select(func.max(LevelTrackVersion.number)).where(LevelTrackVersion.track_id == track.id)
    )
    version = LevelTrackVersion(
        track_id=track.id, number=(last or 0) + 1, content_hash=digest, spec=data
    )
    session.add(version)
    session.flush()
    track.current_version = version
    track.position = spec.position
    track.active = True
    session.flush()
    status = TrackImportStatus.CREATED if created else TrackImportStatus.UPDATED
    return TrackImport(spec.key, status, version.number)


@dataclass(frozen=True)
class PublishedTrack:
    """A track's current definition and the version row it came from."""

    spec: TrackSpec
    version_id: int

    @property
    def key(self) -> str:
        return self.spec.key


def published_tracks() -> list[PublishedTrack]:
    """Every active track, in file order."""
    session = get_session()
    tracks = session.scalars(
        select(LevelTrack)
        .where(LevelTrack.active.is_(True), LevelTrack.current_version_id.is_not(None))
        .order_by(LevelTrack.position, LevelTrack.key)
    )
    found = []
    for track in tracks:
        version = track.current_version
        if version is not None:
            found.append(PublishedTrack(TrackSpec.from_dict(version.spec), version.id))
    return found


def track_by_key(key: str) -> PublishedTrack | None:
    """An active track by its stable id."""
    return next((track for track in published_tracks() if track.key == key), None)


# ------------------------------------------------------------------ records


def load_catalog() -> Catalog:
    """The published courses' lessons, critical questions and titles."""
    facts = course_facts()
    return Catalog(
        lessons_by_course={key: fact.lesson_keys for key, fact in facts.items()},
        critical_by_course={key: fact.critical_keys for key, fact in facts.items()},
        course_titles={key: dict(fact.title) for key, fact in facts.items()},
    )


def _graded_attempts(profile_id: int) -> tuple[AttemptFact, ...]:
    from lms.assessments.models import Attempt

    attempts = get_session().scalars(
        select(Attempt)
        .where(Attempt.profile_id == profile_id, Attempt.graded_at.is_not(None))
        .order_by(Attempt.graded_at, Attempt.id)
    )
    return tuple(
        AttemptFact(
            id=attempt.id,
            course_key=attempt.course_key,
            score_percent=float(attempt.score_percent or 0),
            passed=bool(attempt.passed),
            graded_at=attempt.graded_at,
            correct_keys=frozenset(q.question_key for q in attempt.questions if q.correct),
        )
        for attempt in attempts
        if attempt.graded_at is not None
    )


def _completed_lessons(profile_id: int) -> frozenset[str]:
    from lms.courses.progress import completed_lesson_keys

    return frozenset(completed_lesson_keys(profile_id))


def _signoffs(profile_id: int) -> tuple[SignOffFact, ...]:
    rows = get_session().scalars(
        select(SignOff)
        .where(SignOff.profile_id == profile_id)
        .order_by(SignOff.created_at, SignOff.id)
    )
    return tuple(
        SignOffFact(
            id=row.id,
            track_key=row.track_key,
            level=row.level,
            requirement_key=row.requirement_key,
            result=row.result.value,
            trainer_id=row.trainer_id,
            trainer_name=row.trainer_name,
            note=row.note,
            created_at=row.created_at,
        )
        for row in rows
    )


def _held(profile_id: int) -> tuple[HeldLevel, ...]:
    rows = get_session().scalars(
        select(LevelAchievement).where(LevelAchievement.profile_id == profile_id)
    )
    return tuple(HeldLevel(row.track_key, row.level, row.reached_at, row.id) for row in rows)


def gather_record(profile_id: int, catalog: Catalog | None = None) -> LearnerRecord:
    """A learner's record read from the source rows: attempts, lessons, sign-offs, levels.

    This is the one place that knows where the facts live.
    """
    return LearnerRecord(
        profile_id=profile_id,
        attempts=_graded_attempts(profile_id),
        completed_lessons=_completed_lessons(profile_id),
        signoffs=_signoffs(profile_id),
        held=_held(profile_id),
        catalog=catalog if catalog is not None else load_catalog(),
    )


def progress_for(
    profile_id: int,
    tracks: list[PublishedTrack] | None = None,
    catalog: Catalog | None = None,
) -> list[TrackProgress]:
    """The learner's progress on every track (or the given ones), computed now."""
    record = gather_record(profile_id, catalog)
    return [evaluate_track(record, track.spec) for track in tracks or published_tracks()]


# ------------------------------------------------------------ reaching levels


def _evidence(track: PublishedTrack, progress: LevelProgress) -> dict[str, Any]:
    return {
        "track": {
            "key": track.key,
            "title": dict(track.spec.title),
            "occupation": track.spec.occupation,
            "version_id": track.version_id,
        },
        "level": progress.level.as_dict(),
        "checklist": [item.as_dict() for item in progress.items],
        "attempt_ids": sorted(
            {
                item.evidence["attempt_id"]
                for item in progress.items
                if "attempt_id" in item.evidence
            }
            | {
                attempt_id
                for item in progress.items
                for attempt_id in item.evidence.get("questions", {}).values()
            }
        ),
        "lesson_keys": sorted(
            {key for item in progress.items for key in item.evidence.get("lessons", ())}
        ),
        "signoff_ids": sorted(
            item.evidence["signoff_id"] for item in progress.items if "signoff_id" in item.evidence
        ),
    }


def _record_level(
    profile: Profile, track: PublishedTrack, progress: LevelProgress
) -> LevelAchievement | None:
    """Insert the achievement; None when another request recorded it first."""
    session = get_session()
    achievement = LevelAchievement(
        profile_id=profile.id,
        track_key=track.key,
        level=progress.level.level,
        track_version_id=track.version_id,
        reached_at=utcnow(),
        evidence=_evidence(track, progress),
    )
    try:
        with session.begin_nested():
            session.add(achievement)
            session.flush()
    except IntegrityError:
        return None
    return achievement


def check_levels(profile: Profile) -> list[LevelAchievement]:
    """Record every level the learner now meets, lowest first, each exactly once.

    Sends ``level_reached`` for each new level before the caller commits, so a
    certificate is issued in the same transaction.
    """
    from lms.signals import level_reached

    tracks = published_tracks()
    if not tracks:
        return []
    record = gather_record(profile.id)
    reached: list[LevelAchievement] = []
    for track in tracks:
        progress = evaluate_track(record, track.spec)
        for level in progress.newly_reached:
            achievement = _record_level(profile, track, level)
            if achievement is None:
                # Recorded a moment ago by another request; it still counts as
                # held for the level above, so go on.
                continue
            reached.append(achievement)
            level_reached.send(current_app._get_current_object(), achievement=achievement)
    return reached


def signoffs_for(profile_id: int, track_key: str | None = None) -> list[SignOff]:
    """A learner's sign-offs, newest first: part of their record."""
    query = select(SignOff).where(SignOff.profile_id == profile_id)
    if track_key is not None:
        query = query.where(SignOff.track_key == track_key)
    return list(get_session().scalars(query.order_by(SignOff.created_at.desc(), SignOff.id.desc())))


def achievements_for(profile_id: int) -> list[LevelAchievement]:
    """The levels a learner reached, oldest first."""
    return list(
        get_session().scalars(
            select(LevelAchievement)
            .where(LevelAchievement.profile_id == profile_id)
            .order_by(LevelAchievement.reached_at, LevelAchievement.id)
        )
    )

"""Publishing tracks, gathering a learner's record and recording levels reached."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import Boolean, Float, Integer, String, Text, func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import Profile
from lms.content.errors import ContentError
from lms.content.schema import LEVELS_FILE
from lms.db import utcnow
from lms.levels.loader import read_levels
from lms.levels.models import (
    LevelAchievement,
    LevelTrack,
    LevelTrackVersion,
    SignOff,
    SignOffResult,
)
from lms.levels.progress import (
    AttemptFact,
    AttendedFact,
    Catalog,
    HeldLevel,
    LearnerRecord,
    LevelProgress,
    SignOffFact,
    TrackProgress,
    evaluate_track,
)
from lms.levels.specs import CourseFacts, TrackSpec
from lms.state import get_session, request_has_written, request_memo

#: More track versions than any deployment keeps current; past it the cache starts again.
MAX_TRACK_SPECS = 256

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
    from lms.courses.services import published_courses

    facts: dict[str, CourseFacts] = {}
    courses = published_courses() if published else []
    known = _course_facts_by_version()
    for course in courses:
        version_id = course.current_version_id
        found = known.get(version_id) if version_id else None
        if found is None:
            version = course.current_version
            if version is None:
                continue
            found = CourseFacts(
                course.key,
                dict(version.title),
                tuple(lesson.key for lesson in version.lessons),
                tuple(
                    quiz_question.question.key
                    for quiz_question in version.quiz_questions
                    if quiz_question.question.spec.get("critical")
                ),
            )
            if not request_has_written():
                # A published version never changes: its facts hold for the process.
                if len(known) >= MAX_TRACK_SPECS:
                    known.clear()
                known[version.id] = found
        facts[course.key] = found
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


def _course_facts_by_version() -> dict[int, CourseFacts]:
    return current_app.extensions.setdefault("lms_course_facts", {})


def _track_specs() -> dict[int, TrackSpec]:
    # A track version never changes once published: its parsed spec is kept per
    # process, by version id, and only the pointers are read per request.
    return current_app.extensions.setdefault("lms_track_specs", {})


def _published_tracks() -> list[PublishedTrack]:
    session = get_session()
    version_ids = list(
        session.scalars(
            select(LevelTrack.current_version_id)
            .where(LevelTrack.active.is_(True), LevelTrack.current_version_id.is_not(None))
            .order_by(LevelTrack.position, LevelTrack.key)
        )
    )
    specs = _track_specs()
    missing = [version_id for version_id in version_ids if version_id not in specs]
    if missing:
        rows = session.execute(
            select(LevelTrackVersion.id, LevelTrackVersion.spec).where(
                LevelTrackVersion.id.in_(missing)
            )
        )
        loaded = {version_id: TrackSpec.from_dict(spec) for version_id, spec in rows}
        if request_has_written():
            # Perhaps published in this very transaction: used, not kept.
            return [
                PublishedTrack((loaded | specs)[i], i) for i in version_ids if i in loaded | specs
            ]
        if len(specs) + len(loaded) > MAX_TRACK_SPECS:
            specs.clear()
        specs.update(loaded)
    return [PublishedTrack(specs[i], i) for i in version_ids if i in specs]


def published_tracks() -> list[PublishedTrack]:
    """Every active track, in file order (one query per request; specs from the process)."""
    return list(request_memo("published_tracks", _published_tracks))


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


def _record_statement() -> Any:
    """Every fact of one learner's record in one query: graded attempts (one row per
    correct question), finished lessons, sign-offs, levels held and sessions attended.

    Built once per process with the learner as a bound parameter, so a request
    neither builds nor compiles it again.
    """
    profile_id = sa.bindparam("profile_id", type_=Integer)
    from lms.assessments.models import Attempt, AttemptQuestion
    from lms.courses.models import AttendedTraining, LessonProgress

    def kind(name: str) -> Any:
        return sa.literal_column(f"'{name}'", String).label("kind")

    def none(type_: Any) -> Any:
        return sa.cast(sa.null(), type_)

    attempts = (
        select(
            kind("attempt"),
            Attempt.id.label("id"),
            Attempt.course_key.label("key"),
            AttemptQuestion.question_key.label("detail"),
            none(Integer).label("level"),
            Attempt.score_percent.label("score"),
            Attempt.passed.label("flag"),
            Attempt.graded_at.label("at"),
            none(String).label("result"),
            none(Integer).label("trainer_id"),
            none(String).label("trainer_name"),
            none(Text).label("note"),
        )
        .outerjoin(
            AttemptQuestion,
            sa.and_(AttemptQuestion.attempt_id == Attempt.id, AttemptQuestion.correct.is_(True)),
        )
        .where(Attempt.profile_id == profile_id, Attempt.graded_at.is_not(None))
    )
    lessons = select(
        kind("lesson"),
        LessonProgress.id,
        LessonProgress.lesson_key,
        none(String),
        none(Integer),
        none(Float),
        none(Boolean),
        LessonProgress.completed_at,
        none(String),
        none(Integer),
        none(String),
        none(Text),
    ).where(LessonProgress.profile_id == profile_id, LessonProgress.completed_at.is_not(None))
    signoffs = select(
        kind("signoff"),
        SignOff.id,
        SignOff.track_key,
        SignOff.requirement_key,
        SignOff.level,
        none(Float),
        none(Boolean),
        SignOff.created_at,
        sa.cast(SignOff.result, String),
        SignOff.trainer_id,
        SignOff.trainer_name,
        SignOff.note,
    ).where(SignOff.profile_id == profile_id)
    held = select(
        kind("held"),
        LevelAchievement.id,
        LevelAchievement.track_key,
        none(String),
        LevelAchievement.level,
        none(Float),
        none(Boolean),
        LevelAchievement.reached_at,
        none(String),
        none(Integer),
        none(String),
        none(Text),
    ).where(LevelAchievement.profile_id == profile_id)
    attended = select(
        kind("attended"),
        AttendedTraining.id,
        AttendedTraining.course_key,
        AttendedTraining.source_key,
        none(Integer),
        sa.cast(AttendedTraining.seconds, Float),
        none(Boolean),
        AttendedTraining.attended_at,
        none(String),
        none(Integer),
        none(String),
        none(Text),
    ).where(AttendedTraining.profile_id == profile_id)
    everything = sa.union_all(attempts, lessons, signoffs, held, attended).subquery()
    return select(everything).order_by(everything.c.kind, everything.c.at, everything.c.id)


_RECORD_STATEMENT: list[Any] = []


def _record_rows(profile_id: int) -> Any:
    if not _RECORD_STATEMENT:
        _RECORD_STATEMENT.append(_record_statement())
    return get_session().execute(_RECORD_STATEMENT[0], {"profile_id": profile_id})


def gather_record(profile_id: int, catalog: Catalog | None = None) -> LearnerRecord:
    """A learner's record read from the source rows: attempts, lessons, sign-offs, levels.

    This is the one place that knows where the facts live; it reads them in one query.
    """
    attempts: dict[int, tuple[Any, set[str]]] = {}
    lessons: set[str] = set()
    signoffs: list[SignOffFact] = []
    held: list[HeldLevel] = []
    attended: list[AttendedFact] = []
    for row in _record_rows(profile_id):
        if row.kind == "attempt":
            _first, correct = attempts.setdefault(row.id, (row, set()))
            if row.detail:
                correct.add(row.detail)
        elif row.kind == "lesson":
            lessons.add(row.key)
        elif row.kind == "signoff":
            signoffs.append(
                SignOffFact(
                    id=row.id,
                    track_key=row.key,
                    level=row.level,
                    requirement_key=row.detail,
                    result=SignOffResult(row.result).value,
                    trainer_id=row.trainer_id,
                    trainer_name=row.trainer_name,
                    note=row.note,
                    created_at=row.at,
                )
            )
        elif row.kind == "attended":
            attended.append(AttendedFact(row.id, row.detail, row.key, int(row.score or 0), row.at))
        else:
            held.append(HeldLevel(row.key, row.level, row.at, row.id))
    return LearnerRecord(
        profile_id=profile_id,
        attempts=tuple(
            AttemptFact(
                id=row.id,
                course_key=row.key,
                score_percent=float(row.score or 0),
                passed=bool(row.flag),
                graded_at=row.at,
                correct_keys=frozenset(correct),
            )
            for row, correct in attempts.values()
        ),
        completed_lessons=frozenset(lessons),
        signoffs=tuple(signoffs),
        held=tuple(held),
        attended=tuple(attended),
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
        "session_sources": sorted(
            {key for item in progress.items for key in item.evidence.get("sessions", ())}
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

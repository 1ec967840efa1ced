"""Where a learner stands on a track: plain data in, plain data out.

``evaluate_track(record, track)`` is the one place the level rules live. It
reads a ``LearnerRecord`` (facts gathered from attempts, lessons, sign-offs and
levels already recorded) and never a stored counter, so the same record always
gives the same answer and a test can rebuild it from scratch. Nothing here
imports Flask or SQLAlchemy.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lms.levels.specs import LevelSpec, Requirement, TrackSpec


class RequirementState(enum.StrEnum):
    DONE = "done"
    IN_PROGRESS = "in-progress"
    NOT_STARTED = "not-started"
    NOT_YET = "not-yet"  # a trainer looked and said "not yet"


@dataclass(frozen=True)
class AttemptFact:
    """A graded quiz attempt, reduced to what the level rules read."""

    id: int
    course_key: str
    score_percent: float
    passed: bool
    graded_at: datetime
    correct_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SignOffFact:
    """A trainer's sign-off of one practical requirement."""

    id: int
    track_key: str
    level: int
    requirement_key: str
    result: str  # "pass" | "not_yet"
    trainer_id: int | None
    trainer_name: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class HeldLevel:
    """A level recorded for the learner (``LevelAchievement``)."""

    track_key: str
    level: int
    reached_at: datetime
    achievement_id: int | None = None


@dataclass(frozen=True)
class AttendedFact:
    """A session the learner was checked in to, with the training time it earned."""

    id: int
    source_key: str
    course_key: str | None
    seconds: int
    attended_at: datetime


@dataclass(frozen=True)
class Catalog:
    """The published courses the requirements are measured against."""

    lessons_by_course: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    critical_by_course: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    course_titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def lesson_pool(self, courses: tuple[str, ...]) -> set[str]:
        """Lesson keys of these courses (all published courses when empty)."""
        names = courses or tuple(self.lessons_by_course)
        return {key for name in names for key in self.lessons_by_course.get(name, ())}


@dataclass(frozen=True)
class LearnerRecord:
    """Everything the level rules may look at for one learner."""

    profile_id: int
    attempts: tuple[AttemptFact, ...] = ()
    completed_lessons: frozenset[str] = frozenset()
    signoffs: tuple[SignOffFact, ...] = ()  # oldest first
    held: tuple[HeldLevel, ...] = ()
    attended: tuple[AttendedFact, ...] = ()  # oldest first
    catalog: Catalog = field(default_factory=Catalog)

    def held_in(self, track_key: str) -> dict[int, HeldLevel]:
        """Recorded levels of one track by level number."""
        return {held.level: held for held in self.held if held.track_key == track_key}


@dataclass(frozen=True)
class RequirementResult:
    """One checklist line: the requirement, how far along it is and what proves it."""

    requirement: Requirement
    state: RequirementState
    fraction: float
    have: float | None = None
    need: int | None = None
    subject: Mapping[str, str] | None = None
    note: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state == RequirementState.DONE

    @property
    def kind(self) -> str:
        return self.requirement.kind

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored as evidence, compared in tests)."""
        return {
            "requirement": self.requirement.as_dict(),
            "state": self.state.value,
            "fraction": round(self.fraction, 4),
            "have": self.have,
            "need": self.need,
            "note": self.note,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class LevelProgress:
    """A level's checklist and the share of it that is done."""

    level: LevelSpec
    items: tuple[RequirementResult, ...]

    @property
    def done(self) -> bool:
        return all(item.done for item in self.items)

    @property
    def percent(self) -> int:
        if not self.items:
            return 100
        # Floor, so 99.6% never shows as 100% while something is still open.
        return math.floor(100 * sum(item.fraction for item in self.items) / len(self.items))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "level": self.level.level,
            "percent": self.percent,
            "items": [item.as_dict() for item in self.items],
        }


@dataclass(frozen=True)
class TrackProgress:
    """A learner on one track: levels held, levels newly met, the next level's checklist."""

    track: TrackSpec
    held: tuple[HeldLevel, ...]
    newly_reached: tuple[LevelProgress, ...]
    next: LevelProgress | None

    @property
    def current_level(self) -> int | None:
        numbers = [held.level for held in self.held]
        numbers += [progress.level.level for progress in self.newly_reached]
        return min(numbers) if numbers else None

    @property
    def current(self) -> LevelSpec | None:
        number = self.current_level
        return self.track.level(number) if number is not None else None

    @property
    def percent(self) -> int:
        return self.next.percent if self.next else 100

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: what the pages show, for comparing two computations."""
        return {
            "track": self.track.key,
            "current_level": self.current_level,
            "held": sorted(held.level for held in self.held),
            "newly_reached": [progress.level.level for progress in self.newly_reached],
            "next": self.next.as_dict() if self.next else None,
        }


# ------------------------------------------------------------- requirements


def _course_passed(requirement: Requirement, record: LearnerRecord) -> RequirementResult:
    course = requirement.course or ""
    need = requirement.min_score or 0
    graded = [attempt for attempt in record.attempts if attempt.course_key == course]
    subject = record.catalog.course_titles.get(course)
    if not graded:
        return RequirementResult(
            requirement, RequirementState.NOT_STARTED, 0.0, None, need, subject
        )
    best = max(attempt.score_percent for attempt in graded)
    qualifying = [a for a in graded if a.passed and a.score_percent >= need]
    if not qualifying:
        return RequirementResult(
            requirement, RequirementState.IN_PROGRESS, 0.0, round(best, 1), need, subject
        )
    chosen = min(qualifying, key=lambda a: (-a.score_percent, a.graded_at, a.id))
    return RequirementResult(
        requirement,
        RequirementState.DONE,
        1.0,
        round(best, 1),
        need,
        subject,
        evidence={"attempt_id": chosen.id, "score_percent": chosen.score_percent},
    )


def _critical_questions(requirement: Requirement, record: LearnerRecord) -> RequirementResult:
    wanted: list[str] = []
    for course in requirement.courses:
        wanted.extend(record.catalog.critical_by_course.get(course, ()))
    first_right: dict[str, int] = {}
    for attempt in sorted(record.attempts, key=lambda a: (a.graded_at, a.id)):
        for key in attempt.correct_keys:
            first_right.setdefault(key, attempt.id)
    right = {key: first_right[key] for key in wanted if key in first_right}
    need = len(wanted)
    fraction = len(right) / need if need else 1.0
    if len(right) == need:
        state = RequirementState.DONE
    elif right or any(a.course_key in requirement.courses for a in record.attempts):
        state = RequirementState.IN_PROGRESS
    else:
        state = RequirementState.NOT_STARTED
    subjects = [record.catalog.course_titles.get(course) for course in requirement.courses]
    return RequirementResult(
        requirement,
        state,
        fraction,
        len(right),
        need,
        _joined(subjects),
        evidence={"questions": dict(sorted(right.items()))}
        if state == RequirementState.DONE
        else {},
    )


def _lessons_completed(requirement: Requirement, record: LearnerRecord) -> RequirementResult:
    need = requirement.count or 0
    counted = sorted(record.completed_lessons & record.catalog.lesson_pool(requirement.courses))
    have = len(counted)
    if have >= need:
        state = RequirementState.DONE
    elif have:
        state = RequirementState.IN_PROGRESS
    else:
        state = RequirementState.NOT_STARTED
    subjects = [record.catalog.course_titles.get(course) for course in requirement.courses]
    return RequirementResult(
        requirement,
        state,
        min(have, need) / need if need else 1.0,
        have,
        need,
        _joined(subjects) if requirement.courses else None,
        evidence={"lessons": counted} if state == RequirementState.DONE else {},
    )


def _level_held(
    requirement: Requirement, track: TrackSpec, held: Mapping[int, HeldLevel], newly: set[int]
) -> RequirementResult:
    level = requirement.level or 0
    spec = track.level(level)
    subject = dict(spec.title) if spec else None
    if level in held:
        return RequirementResult(
            requirement,
            RequirementState.DONE,
            1.0,
            subject=subject,
            evidence={"achievement_id": held[level].achievement_id, "level": level},
        )
    if level in newly:
        return RequirementResult(
            requirement, RequirementState.DONE, 1.0, subject=subject, evidence={"level": level}
        )
    return RequirementResult(requirement, RequirementState.NOT_STARTED, 0.0, subject=subject)


def _trainer_signoff(
    requirement: Requirement, track: TrackSpec, record: LearnerRecord
) -> RequirementResult:
    mine = [
        signoff
        for signoff in record.signoffs
        if signoff.track_key == track.key and signoff.requirement_key == requirement.key
    ]
    if not mine:
        return RequirementResult(
            requirement, RequirementState.NOT_STARTED, 0.0, subject=requirement.title
        )
    latest = max(mine, key=lambda signoff: (signoff.created_at, signoff.id))
    if latest.result == "pass":
        return RequirementResult(
            requirement,
            RequirementState.DONE,
            1.0,
            subject=requirement.title,
            note=latest.note,
            evidence={
                "signoff_id": latest.id,
                "trainer_id": latest.trainer_id,
                "trainer_name": latest.trainer_name,
            },
        )
    return RequirementResult(
        requirement, RequirementState.NOT_YET, 0.0, subject=requirement.title, note=latest.note
    )


def _session_attended(requirement: Requirement, record: LearnerRecord) -> RequirementResult:
    need = requirement.count or 1
    counted = [
        fact
        for fact in record.attended
        if requirement.course is None or fact.course_key == requirement.course
    ]
    have = len(counted)
    if have >= need:
        state = RequirementState.DONE
    elif have:
        state = RequirementState.IN_PROGRESS
    else:
        state = RequirementState.NOT_STARTED
    subject = record.catalog.course_titles.get(requirement.course) if requirement.course else None
    return RequirementResult(
        requirement,
        state,
        min(have, need) / need,
        have,
        need,
        subject,
        evidence={"sessions": [fact.source_key for fact in counted[:need]]}
        if state == RequirementState.DONE
        else {},
    )


def _joined(subjects: list[Mapping[str, str] | None]) -> dict[str, str] | None:
    known = [subject for subject in subjects if subject]
    if not known:
        return None
    languages = {lang for subject in known for lang in subject}
    separators = {"zh_CN": "、"}
    return {
        lang: separators.get(lang, ", ").join(subject.get(lang, "") for subject in known)
        for lang in languages
    }


def evaluate_requirement(
    requirement: Requirement,
    record: LearnerRecord,
    track: TrackSpec,
    newly: set[int] | None = None,
) -> RequirementResult:
    """The state of one requirement for one learner."""
    if requirement.kind == "course_passed":
        return _course_passed(requirement, record)
    if requirement.kind == "critical_questions":
        return _critical_questions(requirement, record)
    if requirement.kind == "lessons_completed":
        return _lessons_completed(requirement, record)
    if requirement.kind == "level_held":
        return _level_held(requirement, track, record.held_in(track.key), newly or set())
    if requirement.kind == "trainer_signoff":
        return _trainer_signoff(requirement, track, record)
    if requirement.kind == "session_attended":
        return _session_attended(requirement, record)
    raise ValueError(f"unknown requirement kind {requirement.kind!r}")


def evaluate_level(
    level: LevelSpec, record: LearnerRecord, track: TrackSpec, newly: set[int] | None = None
) -> LevelProgress:
    """The checklist of one level."""
    items = tuple(evaluate_requirement(r, record, track, newly) for r in level.requirements)
    return LevelProgress(level, items)


def evaluate_track(record: LearnerRecord, track: TrackSpec) -> TrackProgress:
    """Levels held, levels met now but not yet recorded (lowest first), and the next checklist.

    A recorded level is never re-checked: content changes do not take it away.
    """
    held = record.held_in(track.key)
    best_held = min(held) if held else None
    newly: list[LevelProgress] = []
    newly_numbers: set[int] = set()
    upcoming: LevelProgress | None = None
    for level in track.levels:  # lowest first
        if level.level in held:
            continue
        if best_held is not None and level.level > best_held:
            # A rung below one already held (added to the track later): not owed.
            continue
        progress = evaluate_level(level, record, track, newly_numbers)
        if progress.done:
            newly.append(progress)
            newly_numbers.add(level.level)
            continue
        upcoming = progress
        break
    ordered_held = tuple(sorted(held.values(), key=lambda item: -item.level))
    return TrackProgress(track, ordered_held, tuple(newly), upcoming)

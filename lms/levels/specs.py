"""The frozen specs a levels file loads into: tracks, their levels and the
requirements of each, with the JSON form a track version stores. Pure Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CourseFacts",
    "LevelSpec",
    "LevelsSpec",
    "Recognition",
    "Requirement",
    "TrackSpec",
]


@dataclass(frozen=True)
class CourseFacts:
    """What the levels file may refer to in a course: its lessons and critical questions."""

    key: str
    title: Mapping[str, str]
    lesson_keys: tuple[str, ...]
    critical_keys: tuple[str, ...]


@dataclass(frozen=True)
class Requirement:
    """One condition of a level; ``key`` is stable within the track."""

    key: str
    kind: str
    course: str | None = None
    min_score: int | None = None
    courses: tuple[str, ...] = ()
    count: int | None = None
    level: int | None = None
    title: Mapping[str, str] | None = None
    description: Mapping[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, the one stored with a track version and in evidence."""
        data: dict[str, Any] = {"key": self.key, "kind": self.kind}
        for name in ("course", "min_score", "count", "level"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.courses:
            data["courses"] = list(self.courses)
        if self.title is not None:
            data["title"] = dict(self.title)
        if self.description is not None:
            data["description"] = dict(self.description)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Requirement:
        """Rebuild a requirement stored with ``as_dict``."""
        return cls(
            key=data["key"],
            kind=data["kind"],
            course=data.get("course"),
            min_score=data.get("min_score"),
            courses=tuple(data.get("courses") or ()),
            count=data.get("count"),
            level=data.get("level"),
            title=data.get("title"),
            description=data.get("description"),
        )


@dataclass(frozen=True)
class LevelSpec:
    """One rung of a track: 5 (五级) ... 1 (一级)."""

    level: int
    title: Mapping[str, str]
    summary: Mapping[str, str]
    requirements: tuple[Requirement, ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "level": self.level,
            "title": dict(self.title),
            "summary": dict(self.summary),
            "requirements": [requirement.as_dict() for requirement in self.requirements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LevelSpec:
        """Rebuild a level stored with ``as_dict``."""
        return cls(
            level=int(data["level"]),
            title=data["title"],
            summary=data["summary"],
            requirements=tuple(Requirement.from_dict(item) for item in data["requirements"]),
        )


@dataclass(frozen=True)
class Recognition:
    """Where learners are pointed for official skill-level recognition."""

    from_level: int
    url: str
    note: Mapping[str, str]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {"from_level": self.from_level, "url": self.url, "note": dict(self.note)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recognition:
        """Rebuild from ``as_dict``."""
        return cls(int(data["from_level"]), str(data["url"]), data["note"])


@dataclass(frozen=True)
class TrackSpec:
    """A validated track: an occupation's ladder, lowest level first."""

    key: str
    occupation: str
    title: Mapping[str, str]
    official_occupation: Mapping[str, str] | None
    levels: tuple[LevelSpec, ...]
    recognition: Recognition | None = None
    position: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: what a track version stores and hashes."""
        return {
            "key": self.key,
            "occupation": self.occupation,
            "title": dict(self.title),
            "official_occupation": (
                dict(self.official_occupation) if self.official_occupation else None
            ),
            "levels": [level.as_dict() for level in self.levels],
            "recognition": self.recognition.as_dict() if self.recognition else None,
            "position": self.position,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrackSpec:
        """Rebuild a track stored with ``as_dict``."""
        recognition = data.get("recognition")
        return cls(
            key=data["key"],
            occupation=data["occupation"],
            title=data["title"],
            official_occupation=data.get("official_occupation"),
            levels=tuple(LevelSpec.from_dict(level) for level in data["levels"]),
            recognition=Recognition.from_dict(recognition) if recognition else None,
            position=int(data.get("position", 0)),
        )

    def level(self, number: int) -> LevelSpec | None:
        """The level with this number, if the track has it."""
        return next((level for level in self.levels if level.level == number), None)


@dataclass(frozen=True)
class LevelsSpec:
    """Everything in a levels file."""

    tracks: tuple[TrackSpec, ...]
    recognition: Recognition | None
    source_path: Path

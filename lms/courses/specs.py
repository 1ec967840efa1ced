"""The frozen specs a course folder loads into, and the hash that versions them.

Pure Python: the loader builds them, the import stores them as a version, the
studio compares them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CourseSpec", "LessonSpec", "QuizSpec", "hash_content"]


@dataclass(frozen=True)
class QuizSpec:
    """A course's final quiz: the draw policy and the normalised question bank."""

    id: str
    title: dict[str, str]
    draw: int
    draw_by_tag: dict[str, int]
    pass_mark: int
    shuffle_questions: bool
    shuffle_options: bool
    max_attempts: int
    cooldown_minutes: int
    time_limit_minutes: int | None
    review: str
    questions: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class LessonSpec:
    """One lesson: front matter fields plus the sanitised HTML of its body sections."""

    id: str
    position: int
    slug: str
    title: dict[str, str]
    minutes: int
    tags: tuple[str, ...]
    decision: dict[str, Any]
    rule_source: dict[str, str]
    situation_html: dict[str, str]
    outcome_html: dict[str, str]
    rule_html: dict[str, str]
    check: tuple[dict[str, Any], ...]
    content_hash: str


@dataclass(frozen=True)
class CourseSpec:
    """A validated course; ``content_hash`` covers its lessons and quiz."""

    id: str
    title: dict[str, str]
    summary: dict[str, str]
    area: str
    occupations: tuple[str, ...]
    level: int
    languages: tuple[str, ...]
    lessons: tuple[LessonSpec, ...]
    quiz: QuizSpec
    source_path: Path
    content_hash: str


def hash_content(data: Any) -> str:
    """The SHA-256 of the data as canonical JSON: equal content, equal hash."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

"""Drafts of the trainer studio: a course being written, held in the shape of its files.

A draft's ``data`` has the same structure as a content folder (course.yaml,
one front matter plus Markdown body per lesson, questions.yaml), so export,
validation and publishing are the very code paths the files take.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import Base, utcnow


class Draft(Base):
    """A course being edited in the studio; publishing turns it into a course version."""

    __tablename__ = "lms_studio_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One draft per course id: two drafts of one course would publish over each other.
    course_key: Mapped[str] = mapped_column(String(64), unique=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_course.id", ondelete="SET NULL"), index=True
    )
    base_version_id: Mapped[int | None]
    data: Mapped[dict[str, Any]]
    # Optimistic lock: every save names the revision it was loaded at.
    revision: Mapped[int] = mapped_column(default=1)
    # The problems found by the last check or publish, each {"path", "message"}.
    problems: Mapped[list[Any]] = mapped_column(default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_profile.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VersionSource(Base):
    """The studio data a course version was published from, so editing it again
    gives back the trainer's own Markdown rather than a conversion of the HTML."""

    __tablename__ = "lms_studio_version_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("lms_course_version.id", ondelete="CASCADE"), unique=True
    )
    data: Mapped[dict[str, Any]]
    # The draft it was published from, so that draft's old address can lead here.
    draft_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""What a platform's author may pick in a deep linking request: the published
courses, their lessons and quizzes. The courses domain provides the list
through a function the composition root registers (interop never imports it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    kind: str  # "course", "lesson" or "quiz"
    target: str  # what a launch's lms_target custom parameter names, e.g. "quiz:night-safety"
    title: str
    course_title: str


Catalogue = Callable[[], Iterable[CatalogueEntry]]

_SOURCES: list[Catalogue] = []


def register_catalogue(source: Catalogue) -> Catalogue:
    """Add a source of pickable content (called by ``LMS.init_app``)."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def entries() -> list[CatalogueEntry]:
    """Every pickable entry, in the order the sources give them."""
    return [entry for source in _SOURCES for entry in source()]

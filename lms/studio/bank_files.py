"""A course folder's question bank for trainers who work in files: read it for
export, add imported questions to it. Files only: no database, no app state."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from lms.content.errors import ContentError
from lms.content.schema import BANK_FILE, COURSE_FILE
from lms.courses.id_registry import CourseIds
from lms.courses.question_loader import load_bank
from lms.i18n import _l
from lms.studio.export import bank_yaml, question_to_file

__all__ = ["BankFileError", "add_to_bank", "course_folder", "read_bank"]


class BankFileError(Exception):
    """A course folder or bank file that cannot be used; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(str(message))
        self.message = str(message)


def course_folder(content_root: Path, course_id: str) -> Path:
    """The folder of the course whose ``course.yaml`` has ``id: course_id``."""
    courses = content_root / "courses" if (content_root / "courses").is_dir() else content_root
    candidates = [courses / course_id, *sorted(courses.glob(f"*/{COURSE_FILE}"))]
    for candidate in candidates:
        folder = candidate if candidate.is_dir() else candidate.parent
        course_file = folder / COURSE_FILE
        if not course_file.is_file():
            continue
        try:
            data = yaml.safe_load(course_file.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and data.get("id") == course_id:
            return folder
    raise BankFileError(
        _l("No course %(course)s under %(root)s.", course=course_id, root=str(content_root))
    )


def read_bank(folder: Path) -> tuple[list[dict[str, Any]], list[ContentError]]:
    """The bank's questions in the grading shape, and the file's errors."""
    errors: list[ContentError] = []
    questions = load_bank(folder / BANK_FILE, CourseIds(), errors) or []
    return [question for question in questions if question.get("id")], errors


def _ids_in_bank(path: Path) -> set[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as error:
        raise BankFileError(_l("%(file)s cannot be read.", file=str(path))) from error
    ids: set[str] = set()
    for question in (data or {}).get("questions") or [] if isinstance(data, dict) else []:
        if isinstance(question, dict):
            ids.add(str(question.get("id")))
            ids.update(str(part.get("id")) for part in question.get("parts") or [])
    return ids


def add_to_bank(folder: Path, course_id: str, questions: Sequence[dict[str, Any]]) -> list[str]:
    """Append questions to the folder's bank file under ids not used there; returns the ids."""
    path = folder / BANK_FILE
    taken = _ids_in_bank(path)
    added = []
    for question in questions:
        question = dict(question)
        qid = str(question.get("id") or "")
        number = len(taken) + 1
        while not qid or qid == "imported" or qid in taken:
            qid = f"{course_id[:54]}-q{number}"
            number += 1
        taken.add(qid)
        question["id"] = qid
        added.append(question_to_file(question))
    if not added:
        return []
    new_lines = bank_yaml(added).split("\n", 1)[1]
    existing = path.read_text(encoding="utf-8") if path.is_file() else "questions:\n"
    path.write_text(existing.rstrip("\n") + "\n" + new_lines, encoding="utf-8")
    return [question["id"] for question in added]
